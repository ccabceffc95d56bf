"""The portal's writes call the same services as the API, with their limits: edit, disable/enable,
delete, send example, resend, recover and replay missing (with the since time a form sends)."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from deliveries.models import Message, RecoveryJob, RecoveryKind
from eventhub.models import AuditLogEntry
from subscriptions.models import EventSubscription
from subscriptions.services import create_subscription
from tests.portal.conftest import add_deliveries, open_portal

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(acme, event_types) -> EventSubscription:
    return create_subscription(acme.account, url="https://hooks.acme.example/a", event_types=["card.created"])


def _flash(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_recover_and_replay_take_the_forms_since_time(acme, endpoint):
    browser = open_portal(acme)
    since = (
        (timezone.now() - timedelta(hours=3)).astimezone(UTC).replace(second=0, microsecond=0, tzinfo=None)
    )
    for route, kind in (
        ("endpoint-recover", RecoveryKind.RECOVER),
        ("endpoint-replay", RecoveryKind.REPLAY_MISSING),
    ):
        response = browser.post(
            reverse(f"portal:{route}", args=[endpoint.token]),
            {"since": since.strftime("%Y-%m-%dT%H:%M")},
            follow=True,
        )
        assert "queued" in _flash(response)
        job = RecoveryJob.objects.get(subscription=endpoint, kind=kind)
        assert job.begin == since.replace(tzinfo=UTC)
    entries = AuditLogEntry.objects.filter(details__via="portal").values_list("action", flat=True)
    assert set(entries) == {"subscription.recover_requested", "subscription.replay_missing_requested"}


def test_recover_refuses_a_window_longer_than_the_apis_limit(acme, endpoint, settings):
    settings.EVENTHUB_RECOVERY_MAX_DAYS = 2
    since = (timezone.now() - timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    response = open_portal(acme).post(
        reverse("portal:endpoint-recover", args=[endpoint.token]), {"since": since}, follow=True
    )
    assert "longer than 2 days" in _flash(response)
    assert not RecoveryJob.objects.exists()


def test_unreadable_since_is_a_message_not_an_error(acme, endpoint):
    for since in ("yesterday", "2026-13-45T99:99"):
        response = open_portal(acme).post(
            reverse("portal:endpoint-recover", args=[endpoint.token]), {"since": since}, follow=True
        )
        assert response.status_code == 200 and "YYYY-MM-DD" in _flash(response)
    assert open_portal(acme).get("/portal/messages?since=garbage").status_code == 200


def test_send_example_and_resend(acme, endpoint):
    browser = open_portal(acme)
    response = browser.post(
        reverse("portal:endpoint-example", args=[endpoint.token]), {"event_type": "card.created"}, follow=True
    )
    assert "Example card.created queued" in _flash(response)
    example = Message.objects.get(subscription=endpoint, is_example=True)
    assert (
        browser.post(
            reverse("portal:endpoint-example", args=[endpoint.token]),
            {"event_type": "balance.updated"},
            follow=True,
        ).status_code
        == 200
    )
    message = add_deliveries(endpoint, 1, failed_every=1)[0]
    response = browser.post(reverse("portal:message-resend", args=[message.token]), follow=True)
    assert "Resend queued" in _flash(response)
    message.refresh_from_db()
    assert message.status == "PENDING" and example.token


def test_edit_disable_enable_and_delete(acme, endpoint):
    browser = open_portal(acme)
    edit = reverse("portal:endpoint-edit", args=[endpoint.token])
    assert b'value="https://hooks.acme.example/a"' in browser.get(edit).content
    browser.post(
        edit, {"url": "https://hooks.acme.example/b", "description": "moved", "event_types": ["card.updated"]}
    )
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.description, endpoint.event_types) == (
        "https://hooks.acme.example/b",
        "moved",
        ["card.updated"],
    )
    browser.post(reverse("portal:endpoint-state", args=[endpoint.token]), {"disabled": "1"})
    endpoint.refresh_from_db()
    assert endpoint.disabled and endpoint.disabled_reason == "manual"
    # A disabled endpoint: the service's refusal is shown, nothing queued.
    response = browser.post(
        reverse("portal:endpoint-example", args=[endpoint.token]), {"event_type": "card.updated"}, follow=True
    )
    assert "disabled" in _flash(response)
    browser.post(reverse("portal:endpoint-state", args=[endpoint.token]), {"disabled": "0"})
    endpoint.refresh_from_db()
    assert not endpoint.disabled
    assert browser.get(reverse("portal:endpoint-delete", args=[endpoint.token])).status_code == 200
    browser.post(reverse("portal:endpoint-delete", args=[endpoint.token]))
    assert not EventSubscription.objects.exists()


def test_message_page_shows_payload_and_every_attempt_with_the_first_bytes(acme, endpoint):
    message = add_deliveries(endpoint, 1, failed_every=1)[0]
    page = open_portal(acme).get(reverse("portal:message", args=[message.token])).content.decode()
    assert (
        "&quot;card_token&quot;: &quot;c0&quot;" in page
        and ">500<" in page
        and "boom" in page
        and "100 ms" in page
    )


def test_message_log_filters(acme, endpoint):
    add_deliveries(endpoint, 3, failed_every=2)
    browser = open_portal(acme)
    assert browser.get("/portal/messages?status=FAILED").content.decode().count('data-token="msg') == 2
    assert browser.get("/portal/messages?status=SUCCESS").content.decode().count('data-token="msg') == 1
    assert (
        browser.get("/portal/messages?event_type=card.updated").content.decode().count('data-token="msg') == 0
    )
    later = (timezone.now() + timedelta(minutes=1)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
    assert browser.get(f"/portal/messages?since={later}").content.decode().count('data-token="msg') == 0


def test_health_page_renders_charts(acme, endpoint):
    add_deliveries(endpoint, 4, failed_every=2)
    page = (
        open_portal(acme)
        .get(reverse("portal:endpoint-health", args=[endpoint.token]) + "?window=1h")
        .content.decode()
    )
    assert page.count('<svg class="eh-ring ') == 3 and "eh-ok" in page and "eh-fail" in page
