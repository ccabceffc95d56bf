"""GET /v1/events: cursor pages both ways, filters, and the official lithic SDK driving it unmodified."""

from __future__ import annotations

from datetime import timedelta

import lithic
import pytest
from django.utils import timezone

from eventhub.models import Event
from eventhub.services.ingest import publish

pytestmark = pytest.mark.django_db


def make_events(account, count, event_type="card.created", start=None):
    """Events one second apart (oldest first), so time filters have something to cut."""
    start = start or timezone.now() - timedelta(hours=1)
    tokens = []
    for i in range(count):
        event = publish(account, event_type, {"card_token": f"c{i}"}).event
        Event.objects.filter(pk=event.pk).update(created=start + timedelta(seconds=i))
        tokens.append(event.token)
    return tokens  # oldest first


def test_forward_pages_cover_every_event_once_newest_first(acme, event_types):
    tokens = make_events(acme.account, 7)
    client, seen, after = acme.client(), [], None
    for _ in range(10):
        params = {"page_size": 3} | ({"starting_after": after} if after else {})
        page = client.get("/v1/events", params).json()
        seen += [e["token"] for e in page["data"]]
        if not page["has_more"]:
            break
        after = page["data"][-1]["token"]
    assert seen == list(reversed(tokens))


def test_ending_before_returns_the_items_closest_to_the_cursor(acme, event_types):
    tokens = list(reversed(make_events(acme.account, 5)))  # list order: newest first, e5..e1
    client = acme.client()
    page = client.get("/v1/events", {"page_size": 2, "ending_before": tokens[3]}).json()
    assert [e["token"] for e in page["data"]] == tokens[1:3] and page["has_more"] is True
    page = client.get("/v1/events", {"page_size": 2, "ending_before": tokens[1]}).json()
    assert [e["token"] for e in page["data"]] == tokens[:1] and page["has_more"] is False


def test_filters_begin_end_and_event_types(acme, event_types):
    start = timezone.now() - timedelta(hours=2)
    created = make_events(acme.account, 6, start=start)
    shipped = make_events(acme.account, 2, "card.shipped", start=start + timedelta(seconds=100))
    client = acme.client()
    window = {
        "begin": (start + timedelta(seconds=2)).isoformat(),
        "end": (start + timedelta(seconds=5)).isoformat(),
    }
    data = client.get("/v1/events", window).json()["data"]
    assert [e["token"] for e in data] == list(reversed(created[2:5]))
    typed = client.get("/v1/events", {"event_types": "card.shipped,balance.updated"}).json()["data"]
    assert {e["token"] for e in typed} == set(shipped)
    zulu = client.get(
        "/v1/events", {"begin": (start + timedelta(seconds=100)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    ).json()
    assert {e["token"] for e in zulu["data"]} == set(shipped)


def test_with_content_false_gives_empty_payloads(acme, event_types):
    make_events(acme.account, 1)
    data = acme.client().get("/v1/events", {"with_content": "false"}).json()["data"]
    assert data[0]["payload"] == {}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 101}, "page_size"),
        ({"page_size": "x"}, "page_size"),
        ({"begin": "yesterday"}, "begin"),
        ({"starting_after": "evt_unknown"}, "starting_after"),
        ({"with_content": "maybe"}, "with_content"),
    ],
)
def test_bad_list_parameters_are_400_naming_them(acme, event_types, params, field):
    response = acme.client().get("/v1/events", params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_another_accounts_events_are_invisible(acme, globex, event_types):
    token = make_events(acme.account, 1)[0]
    client = globex.client()
    assert client.get(f"/v1/events/{token}").status_code == 404
    assert client.get("/v1/events").json()["data"] == []
    assert client.get("/v1/events", {"starting_after": token}).status_code == 400


def test_staff_key_sees_every_account_and_can_narrow_to_one(acme, globex, event_types, staff_client):
    a, b = make_events(acme.account, 1)[0], make_events(globex.account, 1)[0]
    assert {e["token"] for e in staff_client.get("/v1/events").json()["data"]} == {a, b}
    narrowed = staff_client.get("/v1/events", HTTP_X_EVENTHUB_ACCOUNT=globex.token).json()["data"]
    assert [e["token"] for e in narrowed] == [b]


@pytest.mark.django_db(transaction=True)
def test_lithic_sdk_lists_pages_both_ways_and_retrieves_in_strict_mode(live_server, acme, event_types):
    tokens = make_events(acme.account, 5, "card.created") + make_events(acme.account, 2, "balance.updated")
    client = lithic.Lithic(
        api_key=acme.key, base_url=live_server.url, _strict_response_validation=True, max_retries=0
    )

    listed = [e.token for e in client.events.list(page_size=2)]
    newest_first = list(reversed(tokens[:5])), list(reversed(tokens[5:]))
    assert set(listed) == set(tokens) and len(listed) == 7

    only_cards = [e.token for e in client.events.list(page_size=2, event_types=["card.created"])]
    assert only_cards == newest_first[0]

    backward = client.events.list(page_size=2, ending_before=tokens[0], event_types=["card.created"])
    pages = [[e.token for e in p.data] for p in backward.iter_pages()]
    assert pages == [[tokens[2], tokens[1]], [tokens[4], tokens[3]]]

    event = client.events.retrieve(tokens[0])
    assert event.token == tokens[0] and event.event_type == "card.created"
    assert event.payload == {"card_token": "c0", "event_type": "card.created"}

    with pytest.raises(lithic.NotFoundError):
        client.events.retrieve("evt_does_not_exist")
    with pytest.raises(lithic.AuthenticationError):
        lithic.Lithic(api_key="wrong", base_url=live_server.url, max_retries=0).events.retrieve(tokens[0])


def test_an_unknown_event_type_filter_is_a_400_naming_it(acme, event_types):
    response = acme.client().get("/v1/events?event_types=card.created,card.craeted")
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {"event_types": ["Unknown event type: card.craeted."]}
    assert acme.client().get("/v1/events?event_types=card.created").status_code == 200


def test_another_accounts_own_type_name_is_unknown_to_this_account(acme, globex, event_types):
    from eventhub.services.rules import create_rule

    create_rule(
        globex.account, name="Low", code="globex_low", event_name="card.created", always_fire_event=True
    )
    response = acme.client().get("/v1/events?event_types=notification.globex_low")
    assert response.status_code == 400 and "notification.globex_low" in response.json()["message"]
