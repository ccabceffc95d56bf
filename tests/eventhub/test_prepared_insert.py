"""On PostgreSQL a one-event publish's INSERT (event and messages, one statement) binds its values on the
server and runs as a statement prepared once per connection (eventhub/bulk.py): PostgreSQL no longer
parses and plans a new text per publish. A new connection (after the server dropped the old one) prepares
it again; a unique violation is still Django's IntegrityError (ingest retries on it), and leaves the
connection usable."""

from __future__ import annotations

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction

from deliveries.models import Message
from eventhub.bulk import bulk_insert
from eventhub.models import Event
from subscriptions.services import create_subscription

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"),
]
HOOK = "http://127.0.0.1:9/hook"


def _publish(client, **extra) -> dict:
    response = client.post(
        "/v1/events",
        {"event_type": "card.created", "payload": {"card_token": "c1"}},
        format="json",
        **extra,
    )
    assert response.status_code in (200, 201), response.content
    return response.json()


def _prepared_inserts() -> list[str]:
    """The INSERT statements prepared on this connection (PostgreSQL's own view of the session)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement ILIKE '%%insert into%%'")
        return [statement for (statement,) in cursor.fetchall()]


def _server_drops_the_connection() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [pid] = cursor.fetchone()
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_one_event_publishes_reuse_one_prepared_insert(acme, event_types):
    create_subscription(acme.account, url=HOOK)
    client = acme.client()
    tokens = [_publish(client)["token"] for _ in range(3)]
    prepared = _prepared_inserts()
    assert len(prepared) == 1 and '"eventhub_event"' in prepared[0]
    assert Message.objects.filter(event__token__in=tokens).count() == 3


def test_a_new_connection_prepares_the_insert_again(acme, event_types):
    client = acme.client()
    _publish(client)
    _server_drops_the_connection()
    connection.close_if_unusable_or_obsolete()  # what the end of a request does with a broken connection
    connection.close()
    token = _publish(client)["token"]
    assert len(_prepared_inserts()) == 1
    assert Event.objects.filter(token=token).exists()


def test_a_failed_prepared_insert_is_djangos_integrity_error_and_the_next_publish_works(acme, event_types):
    client = acme.client()
    duplicate = Event.objects.get(token=_publish(client)["token"])
    duplicate.pk, duplicate._state.adding = None, True  # the same unique token again
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert(Event, [duplicate])
    assert Event.objects.filter(token=_publish(client)["token"]).exists()
    assert len(_prepared_inserts()) == 1
