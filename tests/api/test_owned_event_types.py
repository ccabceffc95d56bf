"""Event types derived from an account's notification rules and scheduled configurations belong to that
account (issue 11 item 2): other accounts never see them in either dialect, the same code in two
accounts is two independent types, and deleting a rule or configuration retires only its own type."""

from __future__ import annotations

import m3ter
import pytest
from rest_framework.test import APIClient

from deliveries.models import Message
from eventhub.models import Event, EventType
from eventhub.services.ingest import publish
from eventhub.services.rules import create_rule, delete_rule
from scheduled_events.services import create_configuration, delete_configuration
from subscriptions.services import create_subscription

pytestmark = pytest.mark.django_db
CREATED = "configuration.commitment.created"
HOOK = "http://127.0.0.1:9/hook"


def bearer(keyed) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {keyed.key}")
    return client


def _acme_rule_and_schedule(acme):
    rule = create_rule(
        acme.account, name="Acme low balance", code="acme_lowbal", event_name=CREATED, always_fire_event=True
    )
    config = create_configuration(
        acme.account, name="scheduled.commitment.acme_end", entity="commitment", field="endDate", offset=-3
    )
    return rule, config


def test_other_account_cannot_list_or_look_up_owned_types_in_either_dialect(acme, globex, event_types):
    rule, _config = _acme_rule_and_schedule(acme)
    owned = ("notification.acme_lowbal", "scheduled.commitment.acme_end")
    a, b = acme.client(), globex.client()

    a_names = {t["name"] for t in a.get("/v1/event_types", {"page_size": 100}).json()["data"]}
    b_names = {t["name"] for t in b.get("/v1/event_types", {"page_size": 100}).json()["data"]}
    assert set(owned) <= a_names
    assert not set(owned) & b_names
    assert CREATED in b_names  # the global catalog stays visible to everyone
    for name in owned:
        assert a.get(f"/v1/event_types/{name}").status_code == 200
        assert b.get(f"/v1/event_types/{name}").status_code == 404, name

    a_org, b_org = f"/organizations/{acme.token}", f"/organizations/{globex.token}"
    assert set(owned) <= set(bearer(acme).get(f"{a_org}/events/types").json()["events"])
    b_types = bearer(globex).get(f"{b_org}/events/types").json()["events"]
    assert not set(owned) & set(b_types) and CREATED in b_types
    for name in owned:
        assert bearer(acme).get(f"{a_org}/events/fields", {"eventName": name}).status_code == 200
        assert bearer(globex).get(f"{b_org}/events/fields", {"eventName": name}).status_code == 404, name
    # Nor can B publish to A's type or subscribe to it.
    assert (
        b.post(
            "/v1/events", {"event_type": "notification.acme_lowbal", "payload": {}}, format="json"
        ).status_code
        == 400
    )
    response = b.post(
        "/v1/event_subscriptions", {"url": HOOK, "event_types": ["notification.acme_lowbal"]}, format="json"
    )
    assert response.status_code == 400
    assert rule.token not in str(b.get("/v1/event_types", {"page_size": 100}).json())


def test_same_code_in_two_accounts_gives_two_independent_types(acme, globex, event_types):
    create_rule(
        acme.account,
        name="Acme low",
        code="lowbal",
        description="a",
        event_name=CREATED,
        always_fire_event=True,
    )
    b_rule = create_rule(
        globex.account,
        name="Globex low",
        code="lowbal",
        description="b",
        event_name=CREATED,
        always_fire_event=True,
    )
    rows = EventType.objects.filter(name="notification.lowbal")
    assert {row.account_id for row in rows} == {acme.account.id, globex.account.id}

    b_view = globex.client().get("/v1/event_types/notification.lowbal").json()
    assert b_view["example"]["rule"]["id"] == b_rule.token
    assert b_view["example"]["rule"]["name"] == "Globex low"
    assert "Acme" not in str(b_view)

    # Events keep the wire name and land on each account's own type row.
    publish(acme.account, CREATED, {"id": "c1", "amount": 1})
    publish(globex.account, CREATED, {"id": "c1", "amount": 1})
    for keyed in (acme, globex):
        body = keyed.client().get("/v1/events", {"event_types": "notification.lowbal"}).json()
        assert [e["event_type"] for e in body["data"]] == ["notification.lowbal"]
        assert body["data"][0]["payload"]["event_type"] == "notification.lowbal"
        event = Event.objects.get(account=keyed.account, event_type__name="notification.lowbal")
        assert event.event_type.account_id == keyed.account.id


def test_subscription_filter_by_owned_type_name_receives_only_its_accounts_notifications(
    acme, globex, event_types
):
    create_rule(acme.account, name="A", code="lowbal", event_name=CREATED, always_fire_event=True)
    create_rule(globex.account, name="B", code="lowbal", event_name=CREATED, always_fire_event=True)
    a_sub = create_subscription(acme.account, url=HOOK, event_types=["notification.lowbal"])
    b_sub = create_subscription(globex.account, url=HOOK, event_types=["notification.lowbal"])
    publish(acme.account, CREATED, {"id": "c1", "amount": 1})
    a_messages = list(Message.objects.filter(subscription=a_sub).select_related("event"))
    assert [m.event.event_type.name for m in a_messages] == ["notification.lowbal"]
    assert a_messages[0].event.account_id == acme.account.id
    assert not Message.objects.filter(subscription=b_sub).exists()


def test_deleting_a_rule_or_configuration_retires_only_its_own_type(acme, globex, event_types):
    a_rule = create_rule(acme.account, name="A", code="lowbal", event_name=CREATED, always_fire_event=True)
    create_rule(globex.account, name="B", code="lowbal", event_name=CREATED, always_fire_event=True)
    a_config = create_configuration(
        acme.account, name="scheduled.commitment.end", entity="commitment", field="endDate", offset=0
    )
    create_configuration(
        globex.account, name="scheduled.commitment.end", entity="commitment", field="endDate", offset=0
    )

    delete_rule(a_rule)
    delete_configuration(a_config)

    for name in ("notification.lowbal", "scheduled.commitment.end"):
        assert EventType.objects.get(name=name, account=acme.account).archived is True
        assert EventType.objects.get(name=name, account=globex.account).archived is False
        assert name not in {
            t["name"] for t in acme.client().get("/v1/event_types", {"page_size": 100}).json()["data"]
        }
        assert name in {
            t["name"] for t in globex.client().get("/v1/event_types", {"page_size": 100}).json()["data"]
        }


def test_staff_list_shows_every_accounts_owned_types_with_the_owner(acme, globex, event_types, staff_client):
    create_rule(acme.account, name="A", code="lowbal", event_name=CREATED, always_fire_event=True)
    create_rule(globex.account, name="B", code="lowbal", event_name=CREATED, always_fire_event=True)
    data = staff_client.get("/v1/event_types", {"page_size": 100}).json()["data"]
    owners = {t["account_token"] for t in data if t["name"] == "notification.lowbal"}
    assert owners == {acme.token, globex.token}
    assert {t["account_token"] for t in data if t["name"] == CREATED} == {None}


@pytest.mark.django_db(transaction=True)
def test_m3ter_sdk_lists_only_the_orgs_own_types(acme, globex, event_types, live_server):
    _acme_rule_and_schedule(acme)

    def client(keyed) -> m3ter.M3ter:
        return m3ter.M3ter(
            api_key="unused",
            api_secret="unused",
            token=keyed.key,
            org_id=keyed.token,
            base_url=live_server.url,
            _strict_response_validation=True,
            max_retries=0,
        )

    assert "notification.acme_lowbal" in client(acme).events.get_types().events
    b_types = client(globex).events.get_types().events
    assert "notification.acme_lowbal" not in b_types and "scheduled.commitment.acme_end" not in b_types
    with pytest.raises(m3ter.NotFoundError):
        client(globex).events.get_fields(event_name="notification.acme_lowbal")


def test_staff_lookup_by_name_needs_the_account_when_two_accounts_own_it(
    acme, globex, event_types, staff_client
):
    create_rule(acme.account, name="A", code="lowbal", event_name=CREATED, always_fire_event=True)
    assert staff_client.get("/v1/event_types/notification.lowbal").json()["account_token"] == acme.token
    create_rule(globex.account, name="B", code="lowbal", event_name=CREATED, always_fire_event=True)
    assert staff_client.get("/v1/event_types/notification.lowbal").status_code == 404
    named = staff_client.get(
        "/v1/event_types/notification.lowbal", HTTP_X_EVENTHUB_ACCOUNT=globex.token
    ).json()
    assert (named["account_token"], named["example"]["rule"]["name"]) == (globex.token, "B")
    assert staff_client.get(f"/v1/event_types/{CREATED}").json()["account_token"] is None


def test_another_accounts_type_cannot_drive_a_rule(acme, globex, event_types):
    create_configuration(
        acme.account, name="scheduled.commitment.end", entity="commitment", field="endDate", offset=0
    )
    body = {
        "name": "n",
        "code": "x",
        "description": "",
        "eventName": "scheduled.commitment.end",
        "alwaysFireEvent": True,
    }
    refused = bearer(globex).post(
        f"/organizations/{globex.token}/notifications/configurations", body, format="json"
    )
    assert refused.status_code == 400 and "eventName" in refused.json()["errors"]
    accepted = bearer(acme).post(
        f"/organizations/{acme.token}/notifications/configurations", body, format="json"
    )
    assert accepted.status_code == 200


def test_staff_cannot_create_a_global_type_in_the_owned_namespaces(event_types, staff_client):
    for name in ("notification.global_one", "scheduled.commitment.global_one"):
        response = staff_client.post("/v1/event_types", {"name": name, "category": "other"}, format="json")
        assert response.status_code == 400 and "name" in response.json()["errors"], name


def test_deleting_an_account_takes_its_owned_types_and_their_events_along(acme, globex, event_types):
    create_rule(acme.account, name="A", code="lowbal", event_name=CREATED, always_fire_event=True)
    create_rule(globex.account, name="B", code="lowbal", event_name=CREATED, always_fire_event=True)
    publish(acme.account, CREATED, {"id": "c1", "amount": 1})
    acme.account.delete()
    assert list(
        EventType.objects.filter(name="notification.lowbal").values_list("account_id", flat=True)
    ) == [globex.account.id]
    assert EventType.objects.filter(key=CREATED).exists()
