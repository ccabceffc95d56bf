"""Accounts, API keys and the catalog through the admin: keys shown once and audited, revocation,
event types validated by the catalog service, archive actions and the payload validator."""

from __future__ import annotations

import pytest
from django.urls import reverse

from eventhub.models import ApiKey, AuditLogEntry, EventType
from eventhub.services.accounts import authenticate_key, create_account


@pytest.mark.django_db
def test_adding_a_key_shows_the_raw_key_once_and_it_authenticates(staff):
    account = create_account("Initech")
    response = staff.post(reverse("admin:eventhub_apikey_add"), {"account": account.pk, "name": "ci"})
    assert response.status_code == 200
    key = ApiKey.objects.get(account=account, name="ci")
    page = response.content.decode()
    raw = page.split("data-raw-key>")[1].split("<")[0]
    assert raw.startswith(key.prefix)
    assert authenticate_key(raw).pk == key.pk
    assert AuditLogEntry.objects.filter(action="api_key.issued", account=account).count() == 1
    # The message was consumed by that render: the next page does not show the key again.
    assert raw not in staff.get(reverse("admin:eventhub_apikey_changelist")).content.decode()


@pytest.mark.django_db
def test_issue_key_action_on_accounts(staff):
    account = create_account("Hooli")
    response = staff.post(
        reverse("admin:eventhub_account_changelist"),
        {"action": "issue_key", "_selected_action": [account.pk]},
    )
    assert response.status_code == 200
    assert "shown only once" in response.content.decode()
    assert account.api_keys.count() == 1


@pytest.mark.django_db
def test_revoke_action_revokes_and_audits(staff, acme):
    response = staff.post(
        reverse("admin:eventhub_apikey_changelist"),
        {"action": "revoke", "_selected_action": [acme.api_key.pk]},
        follow=True,
    )
    assert "Revoked 1 key" in response.content.decode()
    assert authenticate_key(acme.key) is None
    assert AuditLogEntry.objects.filter(action="api_key.revoked").count() == 1


@pytest.mark.django_db
def test_event_type_form_reports_the_catalog_services_errors(staff, event_types):
    url = reverse("admin:eventhub_eventtype_add")
    bad = {
        "name": "card.frozen",
        "category": "other",
        "schema_mode": "strict",
        "schema": '{"type": "nope"}',
        "example": "{}",
        "description": "",
    }
    response = staff.post(url, bad)
    assert response.status_code == 200
    assert "Not a valid JSON Schema" in response.content.decode()
    assert not EventType.objects.filter(name="card.frozen").exists()
    good = {
        **bad,
        "schema": '{"type": "object", "required": ["card_token"]}',
        "example": '{"card_token": "c9"}',
    }
    response = staff.post(url, good)
    assert response.status_code == 302
    assert EventType.objects.get(name="card.frozen").schema["required"] == ["card_token"]


@pytest.mark.django_db
def test_event_type_change_page_pretty_prints_schema_and_example(staff, event_types):
    event_type = event_types["configuration.commitment.created"]
    page = staff.get(reverse("admin:eventhub_eventtype_change", args=[event_type.pk])).content.decode()
    assert 'class="eh-json"' in page and "eh-json-key" in page
    assert "Validate a payload" in page


@pytest.mark.django_db
def test_archive_and_unarchive_actions(staff, event_types):
    pk = event_types["card.shipped"].pk
    url = reverse("admin:eventhub_eventtype_changelist")
    staff.post(url, {"action": "archive", "_selected_action": [pk]})
    assert EventType.objects.get(pk=pk).archived
    staff.post(url, {"action": "unarchive", "_selected_action": [pk]})
    assert not EventType.objects.get(pk=pk).archived


@pytest.mark.django_db
def test_validate_a_payload_shows_the_ingest_verdict(staff, event_types):
    event_type = event_types["configuration.commitment.created"]
    url = reverse("admin:eventhub_eventtype_validate", args=[event_type.pk])
    assert staff.get(url).status_code == 200
    rejected = staff.post(url, {"payload": '{"id": "c1", "amount": -5}'}).content.decode()
    assert "Rejected" in rejected and "payload.amount" in rejected
    accepted = staff.post(url, {"payload": '{"id": "c1", "amount": 10}'}).content.decode()
    assert "Valid" in accepted and "configuration.commitment.created" in accepted
