"""Accounts and API keys: hashed storage, both header forms, revocation, staff-only routes, the command."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from eventhub.models import Account, ApiKey
from eventhub.services.accounts import issue_api_key, revoke_api_key

pytestmark = pytest.mark.django_db


def test_raw_key_is_not_stored_anywhere_in_the_database(acme):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM eventhub_apikey")
        rows = cursor.fetchall()
    dumped = json.dumps(rows, default=str)
    assert acme.key not in dumped
    assert acme.key[12:] not in dumped  # not even the secret part beyond the visible prefix
    assert ApiKey.objects.get(key_id=acme.key_id).prefix == acme.key[:12]


@pytest.mark.parametrize("template", ["{key}", "Bearer {key}", "bearer {key}"])
def test_both_header_forms_authenticate(acme, event_types, template):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=template.format(key=acme.key))
    assert client.get("/v1/events").status_code == 200


@pytest.mark.parametrize("header", [None, "nope", "Bearer nope", "Basic Zm9vOmJhcg=="])
def test_missing_or_bad_keys_are_401_json(event_types, header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/v1/events")
    assert response.status_code == 401
    assert "message" in response.json()


def test_revoked_key_is_refused_at_once(acme, event_types):
    client = acme.client()
    assert client.get("/v1/events").status_code == 200
    revoke_api_key(ApiKey.objects.get(key_id=acme.key_id))
    assert client.get("/v1/events").status_code == 401


def test_account_keys_cannot_use_staff_routes(acme, staff_client):
    assert acme.client().get("/v1/accounts").status_code == 403
    assert acme.client().post("/v1/event_types", {"name": "x.y"}, format="json").status_code == 403
    response = staff_client.post("/v1/accounts", {"name": "Initech"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith("acct_") and body["api_key"].startswith("ehk_")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=body["api_key"])
    assert other.get("/v1/events").status_code == 200


def test_staff_key_must_name_the_account_to_publish(staff_client, acme, event_types):
    body = {"event_type": "card.created", "payload": {}}
    missing = staff_client.post("/v1/events", body, format="json")
    assert missing.status_code == 400 and "account_token" in missing.json()["errors"]
    ok = staff_client.post("/v1/events", {**body, "account_token": acme.token}, format="json")
    assert ok.status_code == 201
    assert acme.client().get(f"/v1/events/{ok.json()['token']}").status_code == 200


def test_create_account_command_prints_json():
    out = StringIO()
    call_command("create_account", "--name", "Cmd Co", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert set(data) == {"token", "api_key", "key_id"}
    account = Account.objects.get(token=data["token"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=data["api_key"])
    assert client.get("/v1/event_types").status_code == 200
    assert ApiKey.objects.get(key_id=data["key_id"]).account == account


def test_last_used_is_recorded(acme, event_types):
    key = ApiKey.objects.get(key_id=acme.key_id)
    assert key.last_used_at is None
    acme.client().get("/v1/events")
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_staff_keys_need_no_account_but_account_keys_do():
    issued = issue_api_key(None, is_staff=True)
    assert issued.api_key.account is None
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        issue_api_key(None, is_staff=False)
