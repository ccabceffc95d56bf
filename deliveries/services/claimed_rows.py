"""Claimed messages as model instances, built from one joined row each: the message, its event, its
subscription and the subscription's failure streak.

The delivery loop claims a few messages at a time under a trickle of publishes, and Django compiling a
`select_related` query for every claim cost more worker CPU than the claim itself (a profile of the
worker in `e2e-single`). The columns, their order and the database converters are worked out once per
database vendor here; each claim only formats its SQL and applies the converters.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.db import connection
from django.db.models import Model

from deliveries.models import FailureStreak, Message
from eventhub.models import Event
from subscriptions.models import EventSubscription

# Alias of each table in the joined SELECT, in the order its columns come.
_PARTS: tuple[tuple[type[Model], str], ...] = (
    (Message, "m"),
    (Event, "e"),
    (EventSubscription, "s"),
    (FailureStreak, "f"),
)
_JOINS = """
JOIN {event} e ON e.id = m.event_id
JOIN {subscription} s ON s.id = m.subscription_id
LEFT JOIN {streak} f ON f.subscription_id = s.id
"""
_EVENT = Message._meta.get_field("event")
_SUBSCRIPTION = Message._meta.get_field("subscription")
_STREAK = EventSubscription._meta.get_field("failure_streak")


@dataclass(frozen=True)
class _Layout:
    columns: str  # the SELECT list
    joins: str
    # Per model: (its slice of the row, [(position in the slice, converters, column expression)]).
    slices: tuple[tuple[slice, tuple[tuple[int, list, object], ...]], ...]


@cache
def _layout(vendor: str) -> _Layout:
    """What the ORM's compiler would work out for the same select_related query, once per vendor."""
    columns, slices, start = [], [], 0
    for model, alias in _PARTS:
        fields = model._meta.concrete_fields
        converters = []
        for position, field in enumerate(fields):
            column = field.get_col(alias)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                converters.append((position, found, column))
            columns.append(f"{alias}.{connection.ops.quote_name(field.column)}")
        slices.append((slice(start, start + len(fields)), tuple(converters)))
        start += len(fields)
    joins = _JOINS.format(
        event=Event._meta.db_table,
        subscription=EventSubscription._meta.db_table,
        streak=FailureStreak._meta.db_table,
    )
    return _Layout(", ".join(columns), joins, tuple(slices))


def select_list() -> tuple[str, str]:
    """(the SELECT list, the joins) for a query over messages aliased `m`."""
    layout = _layout(connection.vendor)
    return layout.columns, layout.joins


def messages_from_rows(rows: list[tuple]) -> list[Message]:
    """Messages with their event, subscription and failure streak (None when healthy) already attached,
    as `select_related("event", "subscription", "subscription__failure_streak")` would leave them."""
    layout = _layout(connection.vendor)
    (m_part, e_part, s_part, f_part) = layout.slices
    messages = []
    for row in rows:
        message = _instance(Message, row, m_part)
        subscription = _instance(EventSubscription, row, s_part)
        _EVENT.set_cached_value(message, _instance(Event, row, e_part))
        _SUBSCRIPTION.set_cached_value(message, subscription)
        streak = _instance(FailureStreak, row, f_part) if row[f_part[0]][0] is not None else None
        _STREAK.set_cached_value(subscription, streak)
        messages.append(message)
    return messages


def _instance(model: type[Model], row: tuple, part: tuple[slice, tuple]) -> Model:
    where, converters = part
    values = list(row[where])
    for position, functions, column in converters:
        value = values[position]
        for convert in functions:
            value = convert(value, column, connection)
        values[position] = value
    return model.from_db(connection.alias, None, values)
