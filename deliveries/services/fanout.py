"""Fan-out: every new event gets one Message per enabled, matching subscription of its account, written
in the event's own transaction (on PostgreSQL in the events' own INSERT statement); one worker kick is
asked for when that transaction commits."""

from __future__ import annotations

from collections import defaultdict

from django.db import connection

from deliveries.models import Message, MessageStatus
from deliveries.services.dispatch import kick_on_commit
from eventhub import hotcache, tokens
from eventhub.bulk import SEPARATOR
from eventhub.models import Event
from eventhub.services.processors import InsertCompanion
from subscriptions.models import EventSubscription


def create_messages(events: list[Event], *, depth: int = 0) -> None:
    """An event processor (EVENTHUB_EVENT_PROCESSORS): one query for the accounts' subscriptions, one
    bulk insert for the messages. Examples are never fanned out (send_example makes its own message)."""
    pairs = _pairs(events)
    if pairs:
        insert_pending_messages(pairs)
        kick_on_commit()


def _messages_with_insert(events: list[Event], *, depth: int = 0) -> InsertCompanion | None:
    """create_messages as a companion of the events' own INSERT (PostgreSQL): the events have no ids
    yet, so each message names its event by token and takes the id, account and time from `inserted`;
    ids follow the pairs' order (ORDER BY), as in insert_pending_messages. Per message three strings'
    worth of values, joined (eventhub/bulk.py: one string costs less to send than a list)."""
    pairs = _pairs(events)
    if not pairs:
        return InsertCompanion("", [])  # no matching subscription: nothing to insert, nothing left to do
    return InsertCompanion(
        _INSERT_WITH_EVENTS_SQL.format(table=Message._meta.db_table),
        [
            MessageStatus.PENDING,
            SEPARATOR.join(tokens.new_tokens("msg", len(pairs))),  # tokens never hold the separator
            SEPARATOR.join([event.token for event, _ in pairs]),
            SEPARATOR.join([str(subscription_id) for _, subscription_id in pairs]),
        ],
        then=kick_on_commit,
    )


def _idle_for(events: list[Event], *, depth: int = 0) -> bool:
    """No matching subscription: nothing to fan out (off PostgreSQL, where there is no companion)."""
    return not _pairs(events)


create_messages.with_insert = _messages_with_insert
create_messages.idle_for = _idle_for


def _pairs(events: list[Event]) -> list[tuple[Event, int]]:
    """(event, subscription id) for every enabled subscription of the event's account that matches it."""
    events = [e for e in events if not e.is_example]
    if not events:
        return []
    subscriptions = enabled_subscriptions({e.account_id for e in events})
    pairs = []
    for event in events:
        name = event.event_type_name  # same account: the name is its global or own type
        pairs += [(event, s.id) for s in subscriptions[event.account_id] if s.matches(name)]
    return pairs


def enabled_subscriptions(account_ids: set[int]) -> dict[int, list[EventSubscription]]:
    """Each account's enabled subscriptions (id and event types only), memoised per process for at most
    1 s (eventhub/hotcache.py): a new, changed or disabled subscription applies to every event published
    1 s after the change. One account (a one-event publish) is one memo entry; a batch of several
    accounts reads them in one query."""
    if len(account_ids) == 1:
        [account_id] = account_ids
        return {
            account_id: hotcache.get(
                ("subscriptions", account_id), lambda: _load_subscriptions(account_ids)[account_id]
            )
        }
    return _load_subscriptions(account_ids)


def _load_subscriptions(account_ids: set[int]) -> dict[int, list[EventSubscription]]:
    found: dict[int, list[EventSubscription]] = defaultdict(list)
    for subscription in EventSubscription.objects.filter(account_id__in=account_ids, disabled=False).only(
        "id", "account_id", "event_types"
    ):
        found[subscription.account_id].append(subscription)
    return found


hotcache.clear_on_change(EventSubscription)


# Per pair only what differs (token, event, subscription, joined); the account and time come once per event
# (a batch of 500 events × 5 subscriptions renders 500 timestamps, not 2,500). Ids follow the pairs' order.
_INSERT_SQL = """
INSERT INTO {table} (token, account_id, event_id, subscription_id, status, attempt_count, schedule_step,
                     next_attempt_at, is_example, created)
SELECT m.token, e.account_id, m.event_id, m.subscription_id, %s, 0, 0, e.created, false, e.created
FROM ROWS FROM (
    unnest(string_to_array(%s, chr(31))),
    unnest(string_to_array(%s, chr(31))::bigint[]),
    unnest(string_to_array(%s, chr(31))::bigint[])
) WITH ORDINALITY AS m(token, event_id, subscription_id, n)
JOIN unnest(%s::bigint[], %s::bigint[], %s::timestamptz[]) AS e(id, account_id, created) ON e.id = m.event_id
ORDER BY m.n
"""


# Per message only what differs (token, event token, subscription), joined by eventhub.bulk.SEPARATOR;
# the event's id, account and time come from `inserted`. Ids follow the pairs' order.
_INSERT_WITH_EVENTS_SQL = """
INSERT INTO {table} (token, account_id, event_id, subscription_id, status, attempt_count, schedule_step,
                     next_attempt_at, is_example, created)
SELECT m.token, inserted.account_id, inserted.id, m.subscription_id, %s, 0, 0, inserted.created, false,
       inserted.created
FROM ROWS FROM (
    unnest(string_to_array(%s, chr(31))),
    unnest(string_to_array(%s, chr(31))),
    unnest(string_to_array(%s, chr(31))::bigint[])
) WITH ORDINALITY AS m(token, event_token, subscription_id, n)
JOIN inserted ON inserted.token = m.event_token
ORDER BY m.n
"""


def insert_pending_messages(pairs: list[tuple[Event, int]]) -> None:
    """New messages due at their event's time. On PostgreSQL one statement with array parameters: a
    batch's thousands of rows cost no model instances and no per-row SQL (ingest's hottest step)."""
    if connection.vendor != "postgresql":
        Message.objects.bulk_create(
            Message(
                account_id=event.account_id,
                event_id=event.id,
                subscription_id=subscription_id,
                status=MessageStatus.PENDING,
                next_attempt_at=event.created,
                created=event.created,
            )
            for event, subscription_id in pairs
        )
        return
    events = list({event.id: event for event, _ in pairs}.values())
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_SQL.format(table=Message._meta.db_table),
            [
                MessageStatus.PENDING,
                SEPARATOR.join(tokens.new_tokens("msg", len(pairs))),
                SEPARATOR.join([str(event.id) for event, _ in pairs]),
                SEPARATOR.join([str(subscription_id) for _, subscription_id in pairs]),
                [event.id for event in events],
                [event.account_id for event in events],
                [event.created for event in events],
            ],
        )
