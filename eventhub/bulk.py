"""Bulk inserts for the ingest path: on PostgreSQL one `INSERT ... SELECT` per model whose parameters
are few, long strings rather than per-row values, because rendering parameters is the largest Python
cost of a batch (docs/performance.md, "Batch ingest"): psycopg quotes every element of a list parameter
in Python (about 3 µs a timestamp, more for a JSON text with quotes to escape), while one string is
quoted in one pass. Per column, whichever applies first:

- the same value in every row (the batch's account, type, `created`, the NULL and empty columns, and
  every column of a one-row insert): sent once, as a constant of the SELECT;
- JSON: the rows' values as ONE JSON array document, split by `jsonb_array_elements` (NULL travels as
  JSON `null` and comes back as NULL: a JSONField's None is SQL NULL);
- text without NULLs or the separator, and integers without NULLs: joined into one string and split
  by `string_to_array`;
- aware timestamps: microseconds since the epoch, joined the same way (exact: integer arithmetic);
- anything else: an array parameter, as before.

The per-row columns are zipped by `ROWS FROM (...)` in row order. Elsewhere (SQLite), bulk_create.

Ids are set on the instances as bulk_create would set them, matched by token (not by row order).
Companion inserts (PostgreSQL) ride on the same statement as data-modifying CTEs that read the new
rows from the CTE `inserted` (`id`, `token` and every other non-JSON column): an event and its
messages are one round trip.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from django.db import connection, models

from eventhub.prepared import prepared_cursor

Companion = tuple[str, list]  # an INSERT reading `inserted` (id, token, ...), and its parameters

SEPARATOR = (
    "\x1f"  # ASCII unit separator, chr(31): joins a column's values (a text holding it goes as an array)
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def bulk_insert(
    model: type[models.Model], instances: list[models.Model], companions: Sequence[Companion] = ()
) -> None:
    """Insert `instances` (unsaved, each with a unique `token`) and set their primary keys; run each
    companion INSERT in the same statement (PostgreSQL only: elsewhere there are none to run)."""
    if not instances:
        return
    if connection.vendor != "postgresql":
        assert not companions, "companion inserts need PostgreSQL's data-modifying CTEs"
        model.objects.bulk_create(instances)
        return
    sql, params = insert_statement(model, instances, companions)
    # A one-row insert's text is the same from publish to publish: prepared once per connection.
    with prepared_cursor() if len(instances) == 1 else connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = dict((token, pk) for pk, token in cursor.fetchall())
    for instance in instances:
        instance.pk = ids[instance.token]
        instance._state.adding = False
        instance._state.db = connection.alias


def insert_statement(
    model: type[models.Model], instances: list[models.Model], companions: Sequence[Companion] = ()
) -> tuple[str, list]:
    """PostgreSQL's INSERT of `instances` (returning each row's pk and token) and its parameters, for
    bulk_insert or to ride as a data-modifying CTE on another statement (the instances' pks are then
    not set)."""
    plan = _plan(model)
    selects, constants, per_row, per_row_params = [], [], [], []  # SELECT's placeholders come first
    for field, attname, plain, json_field, cast in plan.columns:
        if plain:  # what pre_save would return, without a method call per row
            values = [getattr(instance, attname) for instance in instances]
        else:
            values = [field.pre_save(instance, add=True) for instance in instances]
        column = f"c{len(per_row)}"
        if json_field:
            # Equal as text or not at all: {"a": true} == {"a": 1} in Python, so values Python finds equal
            # are compared as their JSON texts; values it finds different are different JSON too.
            first = values[0]
            texts = None
            if all(v == first for v in values):
                texts = [None if v is None else json.dumps(v, cls=field.encoder) for v in values]
            if texts is not None and _all_same(texts):
                constants.append(texts[0])
                selects.append("%s::jsonb")
            else:
                per_row_params.append(json.dumps(values, cls=field.encoder))
                per_row.append("jsonb_array_elements(%s::jsonb)")
                selects.append(f"NULLIF({column}, 'null'::jsonb)")
            continue
        if _all_same(values):
            constants.append(field.get_db_prep_save(values[0], connection))
            selects.append(f"%s::{cast}")
            continue
        values = [field.get_db_prep_save(v, connection) for v in values]
        joined = _joined(values)
        if joined is None:
            per_row_params.append(values)
            per_row.append(f"unnest(%s::{cast}[])")
            selects.append(column)
        elif isinstance(field, models.DateTimeField):
            per_row_params.append(joined)
            per_row.append(f"unnest(string_to_array(%s, chr({ord(SEPARATOR)}))::bigint[])")
            selects.append(f"timestamptz 'epoch' + {column} * interval '1 microsecond'")
        else:
            per_row_params.append(joined)
            per_row.append(f"unnest(string_to_array(%s, chr({ord(SEPARATOR)}))::{cast}[])")
            selects.append(column)
    if per_row:
        aliases = ", ".join(f"c{n}" for n in range(len(per_row)))
        source = f" FROM ROWS FROM ({', '.join(per_row)}) AS r({aliases})"
    else:  # one row (rows differing in nothing are ruled out by the unique tokens)
        source = ""
    returning = plan.returning_for_companions if companions else plan.returning
    sql = f"{plan.insert} SELECT {', '.join(selects)}{source} RETURNING {returning}"
    params = constants + per_row_params
    if companions:
        ctes = "".join(f", companion_{n} AS ({companion})" for n, (companion, _) in enumerate(companions))
        sql = f"WITH inserted AS ({sql}){ctes} SELECT {plan.pk}, token FROM inserted"
        params += [param for _, companion_params in companions for param in companion_params]
    return sql, params


class _Plan(NamedTuple):
    """What an insert's SQL takes from the model alone: computed once per model and connection vendor
    (Field.db_type per column per call was ~5 % of a one-event publish's Python CPU)."""

    columns: tuple[tuple[models.Field, str, bool, bool, str], ...]  # field, attname, plain, JSON, cast
    insert: str  # INSERT INTO table (columns)
    pk: str
    returning: str  # pk, token
    returning_for_companions: str  # what a companion may read: every column but the JSON ones


_plans: dict[tuple[type[models.Model], str], _Plan] = {}


def _plan(model: type[models.Model]) -> _Plan:
    key = (model, connection.vendor)
    plan = _plans.get(key)
    if plan is None:
        plan = _plans[key] = _new_plan(model)
    return plan


def _new_plan(model: type[models.Model]) -> _Plan:
    quote = connection.ops.quote_name
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = tuple(
        (
            field,
            field.attname,
            _plain_pre_save(field),
            isinstance(field, models.JSONField),
            "" if isinstance(field, models.JSONField) else _cast(field),
        )
        for field in fields
    )
    pk = quote(model._meta.pk.column)
    returning = [pk, quote("token")]
    readable = returning + [quote(f.column) for f in fields if not isinstance(f, models.JSONField)]
    return _Plan(
        columns=columns,
        insert=f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)})",
        pk=pk,
        returning=", ".join(returning),
        returning_for_companions=", ".join(dict.fromkeys(readable)),
    )


def _all_same(values: list) -> bool:
    """Equal and of one type (so True and 1, or 1 and 1.0, are never taken for each other)."""
    first, kind = values[0], type(values[0])
    return all(value is first or (type(value) is kind and value == first) for value in values)


def _plain_pre_save(field: models.Field) -> bool:
    """pre_save is the attribute itself: Field's own, or a date field's without auto_now(_add)."""
    pre_save = type(field).pre_save
    if pre_save in (models.DateField.pre_save, models.DateTimeField.pre_save):
        return not (field.auto_now or field.auto_now_add)
    return pre_save is models.Field.pre_save


def _cast(field: models.Field) -> str:
    """The column's SQL type for a cast; varchar(n) as text, so that a too long value is an error of
    the INSERT (an explicit cast to varchar(n) would silently truncate it)."""
    db_type = field.db_type(connection)
    return "text" if db_type.startswith("varchar") else db_type


def _joined(values: list) -> str | None:
    """The values as one SEPARATOR-joined string, when that is exact: all text without the separator,
    all integers (not bools), or all aware datetimes (as epoch microseconds); else None."""
    kind = type(values[0])
    if not all(type(value) is kind for value in values):
        return None
    if kind is str:
        joined = SEPARATOR.join(values)
        return joined if joined.count(SEPARATOR) == len(values) - 1 else None
    if kind is int:
        return SEPARATOR.join(map(str, values))
    if kind is datetime and all(value.utcoffset() is not None for value in values):
        return SEPARATOR.join(str((value - _EPOCH) // _MICROSECOND) for value in values)
    return None
