"""Events are read-only with their causes, consequences and deliveries; notification rules are saved
through the rules service and can be tested against an event."""

from __future__ import annotations

import pytest
from django.urls import reverse

from eventhub.models import Event, NotificationRule
from eventhub.services.ingest import publish
from eventhub.services.rules import create_rule


@pytest.mark.django_db
def test_event_page_shows_payload_cause_caused_events_and_messages(staff, world):
    create_rule(
        world.account, name="big", code="big_card", event_name="card.created", calculation="new.amount > 100"
    )
    source = publish(world.account, "card.created", {"card_token": "c1", "amount": 500}).event
    caused = Event.objects.get(caused_by=source)
    page = staff.get(reverse("admin:eventhub_event_change", args=[source.pk])).content.decode()
    assert caused.token in page  # events it caused
    assert "eh-json-number" in page  # pretty payload
    assert world.subscription.url in page  # its message inline
    page = staff.get(reverse("admin:eventhub_event_change", args=[caused.pk])).content.decode()
    assert source.token in page  # link to caused_by


@pytest.mark.django_db
def test_event_list_filters_and_exact_token_search(staff, world):
    world.add_deliveries(3)
    world.add_deliveries(2, event_type="balance.updated")
    url = reverse("admin:eventhub_event_changelist")
    token = Event.objects.filter(event_type_id="balance.updated").first().token
    page = staff.get(url, {"q": token}).content.decode()
    assert token in page and page.count("balance.updated") >= 1
    page = staff.get(url, {"event_type": "balance.updated"}).content.decode()
    assert "card.created</td>" not in page
    assert (
        staff.get(url, {"category": "other", "account": world.account.pk, "created_within": "1h"}).status_code
        == 200
    )
    assert staff.get(url, {"q": token.upper()}).content.decode().count(token) == 0  # exact, case-sensitive


@pytest.mark.django_db
def test_events_cannot_be_changed_or_deleted(staff, world):
    world.add_deliveries(1)
    event = Event.objects.first()
    page = staff.get(reverse("admin:eventhub_event_change", args=[event.pk])).content.decode()
    assert 'name="_save"' not in page
    assert (
        staff.post(reverse("admin:eventhub_event_delete", args=[event.pk]), {"post": "yes"}).status_code
        == 403
    )


@pytest.mark.django_db
def test_rule_form_shows_the_calculation_error_position(staff, world):
    response = staff.post(
        reverse("admin:eventhub_notificationrule_add"),
        {
            "account": world.account.pk,
            "name": "r",
            "code": "r1",
            "event_name": "card.created",
            "calculation": "new.amount >",
            "description": "",
            "active": "on",
        },
    )
    assert response.status_code == 200
    assert "position" in response.content.decode()
    assert not NotificationRule.objects.exists()


@pytest.mark.django_db
def test_testing_a_rule_against_an_event(staff, world):
    rule = create_rule(
        world.account, name="big", code="big", event_name="card.created", calculation="new.amount > 100"
    )
    small = publish(world.account, "card.created", {"card_token": "c1", "amount": 5}).event
    big = publish(world.account, "card.created", {"card_token": "c2", "amount": 500}).event
    url = reverse("admin:eventhub_notificationrule_test", args=[rule.pk])
    assert big.token in staff.get(url).content.decode()  # the latest event of the type is proposed
    assert "Fires" in staff.post(url, {"event_token": big.token}).content.decode()
    assert "Does not fire" in staff.post(url, {"event_token": small.token}).content.decode()
    page = staff.post(url, {"new": '{"amount": 101}', "old": ""}).content.decode()
    assert "Fires" in page and "<code>true</code>" in page
