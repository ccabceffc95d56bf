"""Tenant isolation over every endpoint of both dialects: account B's key never sees or touches account
A's objects (404, or 403 for A's orgId), a staff key sees both. The last test fails when a route is
added without being covered here."""

from __future__ import annotations

import re

import pytest
from django.urls import URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from deliveries.models import MessageAttempt
from deliveries.services.recovery import resend
from eventhub.services.ingest import publish
from subscriptions.models import EventSubscription

pytestmark = pytest.mark.django_db
HOOK = "http://127.0.0.1:9/hook"
CREDENTIALS = {"type": "M3TER_SIGNED_REQUEST", "apiKey": "k", "secret": "s"}
COVERED: set[str] = set()


def bearer(keyed) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {keyed.key}")
    return client


def _objects(keyed) -> dict:
    """One of everything, made through the API, plus a delivered message with an attempt."""
    client, org = bearer(keyed), f"/organizations/{keyed.token}"
    event = publish(
        keyed.account, "configuration.commitment.created", {"id": f"c-{keyed.token}", "amount": 10}
    ).event
    sub_token = client.post("/v1/event_subscriptions", {"url": HOOK}, format="json").json()["token"]
    subscription = EventSubscription.objects.get(token=sub_token)
    message = resend(event, subscription)
    MessageAttempt.objects.create(
        account=keyed.account,
        message=message,
        event=event,
        subscription=subscription,
        status="FAILED",
        url=HOOK,
        created=timezone.now(),
    )
    schedule = client.post(
        f"{org}/scheduledevents/configurations",
        {"name": "scheduled.commitment.ending", "entity": "commitment", "field": "endDate", "offset": -1},
        format="json",
    ).json()["id"]
    rule = client.post(
        f"{org}/notifications/configurations",
        {
            "name": "n",
            "code": f"n_{keyed.account.id}",
            "description": "d",
            "eventName": "configuration.commitment.created",
            "alwaysFireEvent": True,
        },
        format="json",
    ).json()["id"]
    webhook = client.post(
        f"{org}/integrationdestinations/webhooks",
        {"name": "w", "description": "d", "url": HOOK, "credentials": CREDENTIALS},
        format="json",
    ).json()["id"]
    integration = client.post(
        f"{org}/integrationconfigs",
        {"destination": "WEBHOOK", "entityType": "Notification", "entityId": rule, "destinationId": webhook},
        format="json",
    ).json()["id"]
    return {
        "event": event.token,
        "sub": sub_token,
        "schedule": schedule,
        "rule": rule,
        "webhook": webhook,
        "integration": integration,
    }


def _v1_requests(a: dict) -> list[tuple[str, str, str, dict | None]]:
    """(route pattern, method, path, body) aimed at A's objects."""
    e, s = a["event"], a["sub"]
    return [
        ("v1/events/<str:event_token>", "get", f"/v1/events/{e}", None),
        ("v1/events/<str:event_token>/attempts", "get", f"/v1/events/{e}/attempts", None),
        (
            "v1/events/<str:event_token>/event_subscriptions/<str:token>/resend",
            "post",
            f"/v1/events/{e}/event_subscriptions/{s}/resend",
            None,
        ),
        ("v1/event_subscriptions/<str:token>", "get", f"/v1/event_subscriptions/{s}", None),
        ("v1/event_subscriptions/<str:token>", "patch", f"/v1/event_subscriptions/{s}", {"url": HOOK}),
        ("v1/event_subscriptions/<str:token>", "delete", f"/v1/event_subscriptions/{s}", None),
        ("v1/event_subscriptions/<str:token>/secret", "get", f"/v1/event_subscriptions/{s}/secret", None),
        (
            "v1/event_subscriptions/<str:token>/secret/rotate",
            "post",
            f"/v1/event_subscriptions/{s}/secret/rotate",
            None,
        ),
        ("v1/event_subscriptions/<str:token>/attempts", "get", f"/v1/event_subscriptions/{s}/attempts", None),
        ("v1/event_subscriptions/<str:token>/recover", "post", f"/v1/event_subscriptions/{s}/recover", None),
        (
            "v1/event_subscriptions/<str:token>/replay_missing",
            "post",
            f"/v1/event_subscriptions/{s}/replay_missing",
            None,
        ),
        (
            "v1/simulate/event_subscriptions/<str:token>/send_example",
            "post",
            f"/v1/simulate/event_subscriptions/{s}/send_example",
            {"event_type": "card.created"},
        ),
    ]


def _billing_object_requests(org: str, a: dict) -> list[tuple[str, str, str, dict | None]]:
    p = "organizations/<str:org_id>/"
    out = [
        (p + "events/<str:event_id>", "get", f"{org}/events/{a['event']}", None),
        (p + "events/<str:event_id>/action", "post", f"{org}/events/{a['event']}/action", None),
    ]
    for route, key in (
        ("scheduledevents/configurations", "schedule"),
        ("notifications/configurations", "rule"),
        ("integrationdestinations/webhooks", "webhook"),
        ("integrationconfigs", "integration"),
    ):
        for method in ("get", "put", "delete"):
            out.append((f"{p}{route}/<str:object_id>", method, f"{org}/{route}/{a[key]}", {}))
    out.append(
        (
            p + "integrationdestinations/webhooks/<str:object_id>/active",
            "put",
            f"{org}/integrationdestinations/webhooks/{a['webhook']}/active?active=false",
            None,
        )
    )
    out.append(
        (
            p + "integrationconfigs/<str:object_id>/enable",
            "post",
            f"{org}/integrationconfigs/{a['integration']}/enable",
            None,
        )
    )
    return out


BILLING_LISTS = [
    ("events", "get"),
    ("events/fields", "get"),
    ("events/types", "get"),
    ("scheduledevents/configurations", "get"),
    ("scheduledevents/configurations", "post"),
    ("notifications/configurations", "get"),
    ("notifications/configurations", "post"),
    ("integrationdestinations/webhooks", "get"),
    ("integrationdestinations/webhooks", "post"),
    ("integrationconfigs", "get"),
    ("integrationconfigs", "post"),
    ("integrationconfigs/entity/<str:entity_type>", "get"),
]


def _call(client, method, path, body):
    return (
        getattr(client, method)(path, body, format="json")
        if body is not None
        else getattr(client, method)(path)
    )


def test_account_b_gets_404_for_each_of_account_as_objects(acme, globex, event_types):
    a, b_objects = _objects(acme), _objects(globex)
    b = globex.client()
    for route, method, path, body in _v1_requests(a):
        response = _call(b, method, path, body)
        assert response.status_code == 404, (method, path, response.status_code, response.content)
        COVERED.add(route)
    # B's own subscription with A's event, and A's subscription with B's event, are both 404.
    assert b.post(f"/v1/events/{a['event']}/event_subscriptions/{b_objects['sub']}/resend").status_code == 404
    assert b.post(f"/v1/events/{b_objects['event']}/event_subscriptions/{a['sub']}/resend").status_code == 404
    own_org = f"/organizations/{globex.token}"
    for route, method, path, body in _billing_object_requests(own_org, a):
        response = _call(bearer(globex), method, path, body)
        assert response.status_code == 404, (method, path, response.status_code, response.content)
        COVERED.add(route)


def test_account_b_is_refused_on_account_as_org(acme, globex, event_types):
    a = _objects(acme)
    client, foreign = bearer(globex), f"/organizations/{acme.token}"
    for route, method in BILLING_LISTS:
        path = f"{foreign}/{route.replace('<str:entity_type>', 'Notification')}"
        response = _call(client, method, path, {} if method == "post" else None)
        assert response.status_code in (403, 404), (method, path, response.status_code)
        COVERED.add(f"organizations/<str:org_id>/{route}")
    for _route, method, path, body in _billing_object_requests(foreign, a):
        assert _call(client, method, path, body).status_code in (403, 404), (method, path)


def test_lists_never_show_another_accounts_objects(acme, globex, event_types):
    a = _objects(acme)
    b = globex.client()
    for path, token_key, field in (
        ("/v1/events", "event", "token"),
        ("/v1/event_subscriptions", "sub", "token"),
    ):
        tokens = {item[field] for item in b.get(path, {"page_size": 100}).json()["data"]}
        assert a[token_key] not in tokens
        COVERED.add(path.lstrip("/"))
    org = f"/organizations/{globex.token}"
    client = bearer(globex)
    for route, key in (
        ("events", "event"),
        ("scheduledevents/configurations", "schedule"),
        ("notifications/configurations", "rule"),
        ("integrationdestinations/webhooks", "webhook"),
        ("integrationconfigs", "integration"),
    ):
        ids = {item["id"] for item in client.get(f"{org}/{route}", {"pageSize": 100}).json()["data"]}
        assert a[key] not in ids, route


def test_catalog_listings_and_lookups_never_show_another_accounts_types(acme, globex, event_types):
    """Types derived from A's rule and scheduled configuration are A's: B's catalog in both dialects
    neither lists nor resolves them, while B's own type of the same scheduled name is B's row."""
    a, b_objects = _objects(acme), _objects(globex)
    a_types = (f"notification.n_{acme.account.id}",)
    b = globex.client()
    listed = b.get("/v1/event_types", {"page_size": 100, "include_archived": "true"}).json()["data"]
    assert not {t["name"] for t in listed} & set(a_types)
    assert a["rule"] not in str(listed) and a["schedule"] not in str(listed)
    assert {t["account_token"] for t in listed} <= {None, globex.token}
    COVERED.add("v1/event_types")
    for name in a_types:
        assert b.get(f"/v1/event_types/{name}").status_code == 404
    own = b.get("/v1/event_types/scheduled.commitment.ending").json()
    assert own["account_token"] == globex.token
    COVERED.add("v1/event_types/<str:name>")
    org, client = f"/organizations/{globex.token}", bearer(globex)
    assert not set(client.get(f"{org}/events/types").json()["events"]) & set(a_types)
    for name in a_types:
        assert client.get(f"{org}/events/fields", {"eventName": name}).status_code == 404
    assert b_objects["rule"]


def test_staff_key_sees_both_accounts(acme, globex, event_types, staff_client):
    a, b = _objects(acme), _objects(globex)
    tokens = {e["token"] for e in staff_client.get("/v1/events", {"page_size": 100}).json()["data"]}
    assert {a["event"], b["event"]} <= tokens
    subs = {
        s["token"] for s in staff_client.get("/v1/event_subscriptions", {"page_size": 100}).json()["data"]
    }
    assert {a["sub"], b["sub"]} <= subs
    for keyed, objects in ((acme, a), (globex, b)):
        assert staff_client.get(f"/v1/events/{objects['event']}").status_code == 200
        org = f"/organizations/{keyed.token}"
        assert (
            staff_client.get(f"{org}/scheduledevents/configurations/{objects['schedule']}").status_code == 200
        )


def test_account_b_cannot_mint_a_portal_link_for_account_a(acme, globex):
    response = globex.client().post("/v1/portal_sessions", {"account_token": acme.token}, format="json")
    assert response.status_code == 404
    COVERED.add("v1/portal_sessions")


def test_every_tenant_scoped_route_is_covered_above():
    """Runs last in this module: a new route must be added to the requests above."""
    if not COVERED:
        pytest.skip("run with the whole module")
    tenant_free = {"v1/accounts", "oauth/token", "healthz", "readyz", "metrics", "api/schema", "api/docs"}

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if "admin" not in str(pattern.pattern):
                    yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    # portal/ pages are walked route by route in tests/portal/test_isolation.py (session auth, not keys).
    routes = {r for r in walk(get_resolver().url_patterns) if not re.match(r"^(admin|static|portal/)", r)}
    missing = routes - COVERED - tenant_free
    assert not missing, f"routes without an isolation check: {sorted(missing)}"
