"""A staff member's day in the admin, through a real browser (Playwright + Debian's Chromium) against
the live server: create an account and a key, subscribe a local receiver, publish, watch the attempt,
break the receiver, recover, rotate the secret, and read the health page. Screenshots of each screen
go to tests/browser/screenshots/.

No Celery worker runs here: after each publish or recovery the test runs what the worker would run
(deliveries.services.engine.deliver_due, deliveries.services.recovery.run_job) in-process.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import requests

from deliveries.models import MessageAttempt, RecoveryJob
from deliveries.services import engine, recovery
from deliveries.services.dispatch import ANY
from eventhub.models import Account
from subscriptions.models import EventSubscription
from subscriptions.services import current_secret
from tests.conftest import require_service

CHROMIUM = os.environ.get("EVENTHUB_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery staple"


@pytest.fixture
def browser_page(monkeypatch):
    # Playwright's sync API keeps an event loop on this thread; the test's own ORM calls are still
    # synchronous and safe, so Django's async-context guard is switched off for the test only.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_service("playwright", "pip install playwright (the dev extra)")
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        require_service("chromium", f"{CHROMIUM} not found (apt-get install chromium)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 960}, device_scale_factor=1)
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()


@pytest.fixture(autouse=True)
def _live_server_settings(settings):
    settings.EVENTHUB_RETRY_SCHEDULE = [1.0, 2.0, 4.0]
    settings.EVENTHUB_DELIVERY_TIMEOUT = 2.0
    settings.EVENTHUB_CONNECT_TIMEOUT = 1.0


def shot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def deliver() -> int:
    """What a worker does when kicked: send everything due now."""
    return engine.deliver_due(ANY, budget_seconds=5)


@pytest.mark.django_db(transaction=True)
def test_staff_walkthrough(browser_page, live_server, django_user_model, event_types, receiver):
    page = browser_page
    base = live_server.url
    django_user_model.objects.create_superuser("ops", "ops@example.com", PASSWORD)

    # Log in.
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector(".eh-index-cards")
    shot(page, "01_index")

    # Create an account, then issue its key from the accounts list (the raw key is shown once).
    page.goto(f"{base}/admin/eventhub/account/add/")
    page.fill("#id_name", "Umbrella Corp")
    page.click("input[name=_save]")
    page.wait_for_selector("text=Umbrella Corp")
    page.check("input.action-select")
    page.select_option("select[name=action]", "issue_key")
    page.click("button[name=index]")
    raw_key = page.inner_text("[data-raw-key]").strip()
    assert raw_key.startswith("ehk_")
    shot(page, "02_key_issued")

    # Subscribe the local receiver.
    page.goto(f"{base}/admin/subscriptions/eventsubscription/add/")
    umbrella = Account.objects.get(name="Umbrella Corp")
    page.select_option("#id_account", value=str(umbrella.pk))
    page.fill("#id_url", receiver.url)
    page.fill("#id_description", "Umbrella webhooks")
    page.click("input[name=_save]")
    page.wait_for_selector("text=was added successfully")
    subscription = EventSubscription.objects.get(url=receiver.url)
    shot(page, "03_subscriptions")

    # Publish through the API with the new key; the worker's job is run here.
    response = requests.post(
        f"{base}/v1/events",
        json={"event_type": "card.created", "payload": {"card_token": "c_123", "amount": 42}},
        headers={"Authorization": raw_key},
        timeout=10,
    )
    assert response.status_code in (200, 201), response.text
    assert deliver() >= 1
    receiver.wait_for(1)
    change_url = f"{base}/admin/subscriptions/eventsubscription/{subscription.pk}/change/"
    page.goto(change_url)
    page.wait_for_selector("#eh-recent-attempts .eh-pill-success")
    shot(page, "04_subscription_with_attempt")

    # The receiver starts failing: the next event's attempt fails and is shown as such.
    receiver.behaviour.default_status = 500
    requests.post(
        f"{base}/v1/events",
        json={"event_type": "card.updated", "payload": {"card_token": "c_123"}},
        headers={"Authorization": raw_key},
        timeout=10,
    ).raise_for_status()
    deliver()
    receiver.wait_for(2)
    page.goto(f"{base}/admin/deliveries/messageattempt/?status=FAILED")
    page.wait_for_selector("td.field-code_display >> text=500")
    shot(page, "05_failed_attempts")

    # The receiver is fixed; recover through the action (intermediate date-range form).
    receiver.behaviour.default_status = 200
    page.goto(f"{base}/admin/subscriptions/eventsubscription/")
    page.check(f"input.action-select[value='{subscription.pk}']")
    page.select_option("select[name=action]", "recover_failed")
    page.click("button[name=index]")
    page.wait_for_selector("text=Recover failed messages")
    shot(page, "06_recover_form")
    page.click("input[name=_apply]")
    page.wait_for_selector("text=background job(s) queued")
    job = RecoveryJob.objects.get(subscription=subscription)
    recovery.run_job(job.pk)
    deliver()
    receiver.wait_for(3)
    page.goto(f"{base}/admin/deliveries/message/jobs/")
    page.wait_for_selector(f"#{job.token}[data-state=done]")
    shot(page, "07_jobs")
    assert MessageAttempt.objects.filter(subscription=subscription, status="SUCCESS").count() == 2

    page.goto(change_url)
    assert page.locator("#eh-recent-attempts tbody td:nth-child(2) .eh-pill-success").count() == 2
    shot(page, "08_recovered")

    # Rotate the secret (confirm dialog), then reveal the new one in place.
    before = current_secret(subscription)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#eh-rotate")
    page.wait_for_selector("text=Secret rotated")
    page.click("#eh-reveal")
    page.wait_for_function(
        "document.getElementById('eh-secret-value').textContent.startsWith('whsec_') && !document.getElementById('eh-secret-value').textContent.includes('•')"
    )
    revealed = page.inner_text("#eh-secret-value").strip()
    subscription.refresh_from_db()
    assert revealed == current_secret(subscription) != before
    shot(page, "09_secret_rotated")

    # The health page with its charts.
    page.goto(f"{base}/admin/deliveries/messageattempt/health/?window=1h")
    page.wait_for_selector("#eh-timeline svg rect.eh-ok")
    assert page.locator("#eh-subscription-health tbody tr").count() == 1
    assert page.locator("svg.eh-ring").count() == 3
    shot(page, "10_health")


@pytest.mark.django_db(transaction=True)
def test_catalog_and_event_screens(browser_page, live_server, django_user_model, event_types):
    """The read-side screens: the event list with its filters, an event with its payload, causes and
    deliveries, and the payload validator of an event type."""
    from eventhub.services.accounts import create_account_with_key
    from eventhub.services.ingest import publish
    from eventhub.services.rules import create_rule

    page = browser_page
    base = live_server.url
    django_user_model.objects.create_superuser("ops", "ops@example.com", PASSWORD)
    account, _ = create_account_with_key("Umbrella Corp")
    create_rule(
        account,
        name="Large card",
        code="large_card",
        event_name="card.created",
        calculation="new.amount > 100",
    )
    for amount in (5, 250, 40):
        event = publish(
            account,
            "card.created",
            {"card_token": f"c_{amount}", "amount": amount, "limits": {"daily": 1000}},
        ).event
    page.goto(f"{base}/admin/login/?next=/admin/eventhub/event/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#result_list")
    assert page.locator("#result_list tbody tr").count() == 4  # three published, one notification
    shot(page, "11_events")

    page.goto(f"{base}/admin/eventhub/event/{event.pk}/change/")
    page.wait_for_selector("pre.eh-json .eh-json-key")
    shot(page, "12_event_detail")

    commitment = event_types["configuration.commitment.created"]
    page.goto(f"{base}/admin/eventhub/eventtype/{commitment.pk}/validate/")
    page.fill("#id_payload", '{"id": "cm_1", "amount": "lots"}')
    page.click("input[type=submit][value=Validate]")
    page.wait_for_selector("#validation-result.eh-result-bad")
    assert "payload.amount" in page.inner_text("#validation-result")
    shot(page, "13_validate_payload")
