"""Cross-cutting API behaviour: JSON errors, no slash redirects, the catalog API, health and OpenAPI."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_trailing_slash_is_a_json_404_not_a_redirect(acme, event_types):
    response = acme.client().post("/v1/events/", {"event_type": "card.created", "payload": {}}, format="json")
    assert response.status_code == 404
    assert "No route" in response.json()["message"]


def test_readyz_reports_database_and_broker():
    response = APIClient().get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["database"]["ok"] is True and body["broker"]["ok"] is True


def test_openapi_schema_covers_the_api(acme):
    response = APIClient().get("/api/schema", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/v1/events", "/v1/events/{event_token}", "/v1/event_types", "/v1/event_subscriptions"):
        assert path in paths
    assert APIClient().get("/api/docs").status_code == 200


def test_catalog_is_readable_by_accounts_and_editable_by_staff(acme, staff_client, event_types):
    client = acme.client()
    listed = client.get("/v1/event_types", {"page_size": 3}).json()
    assert len(listed["data"]) == 3 and listed["has_more"] is True
    nxt = client.get("/v1/event_types", {"page_size": 3, "starting_after": listed["data"][-1]["name"]}).json()
    assert listed["data"][-1]["name"] < nxt["data"][0]["name"]
    assert "legacy.thing.happened" not in [
        t["name"] for t in client.get("/v1/event_types", {"page_size": 100}).json()["data"]
    ]

    created = staff_client.post(
        "/v1/event_types",
        {
            "name": "invoice.paid",
            "category": "billing",
            "schema": {"type": "object"},
            "example": {"id": "i1"},
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert staff_client.post("/v1/event_types", {"name": "invoice.paid"}, format="json").status_code == 409
    patched = staff_client.patch("/v1/event_types/invoice.paid", {"archived": True}, format="json")
    assert patched.json()["archived"] is True
    assert client.get("/v1/event_types/invoice.paid").json()["archived"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "bad name!"}, "name"),
        ({"name": "x" * 200}, "name"),
        ({"name": "ok.name", "category": "weird"}, "category"),
        ({"name": "ok.name", "schema": {"type": "nonsense"}}, "schema"),
        ({"name": "ok.name", "schema": {"type": "object", "required": ["a"]}, "example": {}}, "example"),
    ],
)
def test_bad_event_types_are_400_naming_the_field(staff_client, body, field):
    response = staff_client.post("/v1/event_types", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_conflicts_tell_sdks_not_to_retry(staff_client, event_types):
    response = staff_client.post("/v1/event_types", {"name": "card.created"}, format="json")
    assert response.status_code == 409
    assert response["x-should-retry"] == "false"
