"""An OAuth bearer token from /oauth/token is only as good as the key behind it: it is refused as soon
as the key is revoked or the account deactivated, on both dialects' routes (reads and POST /v1/events)."""

from __future__ import annotations

import base64

import pytest
from rest_framework.test import APIClient

from eventhub.models import ApiKey
from eventhub.services.accounts import deactivate_account, revoke_api_key

pytestmark = pytest.mark.django_db


def _token_client(keyed) -> APIClient:
    client = APIClient()
    basic = base64.b64encode(f"{keyed.key_id}:{keyed.key}".encode()).decode()
    response = client.post(
        "/oauth/token",
        {"grant_type": "client_credentials"},
        format="json",
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access_token']}")
    return client


def _calls(client: APIClient, keyed) -> dict[str, int]:
    """Status of a card-dialect read, a billing-dialect read and an event publish made with the token."""
    return {
        "card_read": client.get("/v1/events").status_code,
        "billing_read": client.get(f"/organizations/{keyed.token}/events").status_code,
        "publish": client.post(
            "/v1/events", {"event_type": "card.created", "payload": {}}, format="json"
        ).status_code,
    }


def test_token_works_while_key_and_account_are_live(acme, event_types):
    assert _calls(_token_client(acme), acme) == {"card_read": 200, "billing_read": 200, "publish": 201}


def test_token_is_refused_right_after_account_deactivation(acme, event_types):
    client = _token_client(acme)
    deactivate_account(acme.account)
    assert _calls(client, acme) == {"card_read": 401, "billing_read": 401, "publish": 401}


def test_token_is_refused_when_account_is_deactivated_outside_the_service(acme, event_types):
    """The admin form saves `is_active` directly: the token check reads the row, not a cached flag."""
    client = _token_client(acme)
    type(acme.account).objects.filter(pk=acme.account.pk).update(is_active=False)
    assert _calls(client, acme) == {"card_read": 401, "billing_read": 401, "publish": 401}


def test_token_is_refused_right_after_key_revocation(acme, event_types):
    client = _token_client(acme)
    revoke_api_key(ApiKey.objects.get(key_id=acme.key_id))
    assert _calls(client, acme) == {"card_read": 401, "billing_read": 401, "publish": 401}


def test_no_token_is_issued_for_a_deactivated_account(acme, event_types):
    deactivate_account(acme.account)
    basic = base64.b64encode(f"{acme.key_id}:{acme.key}".encode()).decode()
    response = APIClient().post(
        "/oauth/token",
        {"grant_type": "client_credentials"},
        format="json",
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert response.status_code == 401
