"""A customer's visit to the portal, through a real browser (Playwright + Debian's Chromium) against the
live server: the product mints a link through the API, the customer opens it, adds an endpoint pointing
at a local receiver, sends an example and reads the attempt with the receiver's answer, sees a failure,
recovers, rotates the secret; a read-only link's write is refused. Screenshots go to
tests/browser/screenshots/portal_*.png.

No Celery worker runs here: the test runs what the worker would (deliver_due, run_job) in-process.
"""

from __future__ import annotations

import pytest
import requests

from deliveries.models import MessageAttempt, RecoveryJob
from deliveries.services import recovery
from subscriptions.models import EventSubscription
from subscriptions.services import current_secret
from tests.browser import test_admin_walkthrough as admin_walkthrough
from tests.conftest import KeyedAccount

# The admin walkthrough's Chromium launch (skip outside CI, fail in CI), server settings and helpers.
browser_page = admin_walkthrough.browser_page
_live_server_settings = admin_walkthrough._live_server_settings
shot, deliver = admin_walkthrough.shot, admin_walkthrough.deliver


def _mint(base: str, key: str, **options) -> str:
    response = requests.post(
        f"{base}/v1/portal_sessions", json=options, headers={"Authorization": key}, timeout=10
    )
    assert response.status_code == 201, response.text
    return response.json()["url"]


@pytest.mark.django_db(transaction=True)
def test_customer_portal_walkthrough(browser_page, live_server, event_types, receiver):
    page = browser_page
    base = live_server.url
    acme = KeyedAccount("Umbrella Corp")

    # The product's backend mints a link; the customer opens it (once).
    link = _mint(base, acme.key)
    page.goto(link)
    page.wait_for_selector("text=No endpoints yet")
    assert "/portal/start/" not in page.url
    shot(page, "portal_01_endpoints_empty")

    # Add an endpoint for the local receiver, choosing types with the catalog search.
    page.click("#pt-new-endpoint")
    page.fill("#id_url", receiver.url)
    page.fill("#id_description", "Umbrella production webhooks")
    page.fill("#pt-type-search", "card.")
    assert page.locator("#pt-type-list li.pt-hidden").count() > 0  # the search narrowed the list
    page.check("input[name=event_types][value='card.created']")
    page.check("input[name=event_types][value='card.updated']")
    shot(page, "portal_02_new_endpoint")
    page.click("#pt-save")
    page.wait_for_selector("text=Endpoint created")
    subscription = EventSubscription.objects.get(url=receiver.url)
    assert subscription.event_types == ["card.created", "card.updated"]
    shot(page, "portal_03_endpoint")

    # Send an example; the attempt and the receiver's response show up on the endpoint and the message.
    page.select_option("#pt-example-type", "card.created")
    page.click("#pt-send-example")
    page.wait_for_selector("text=Example card.created queued")
    assert deliver() >= 1
    receiver.wait_for(1)
    page.reload()
    page.wait_for_selector("#pt-attempts .pt-pill-success")
    assert page.inner_text("#pt-attempts .pt-code").strip() == "200"
    page.click("#pt-attempts tbody tr a")
    page.wait_for_selector("#pt-message-status >> text=Success")
    assert page.inner_text("#pt-attempts .pt-response").strip() == "ok"
    shot(page, "portal_04_message")

    # The receiver starts failing: the next event's attempt fails, with the first bytes of its answer.
    receiver.behaviour.default_status = 500
    receiver.behaviour.body = b"maintenance: back in 5 minutes"
    requests.post(
        f"{base}/v1/events",
        json={"event_type": "card.updated", "payload": {"card_token": "c_123"}},
        headers={"Authorization": acme.key},
        timeout=10,
    ).raise_for_status()
    deliver()
    receiver.wait_for(2)
    page.goto(f"{base}/portal/messages?status=PENDING")
    page.wait_for_selector("#pt-messages tbody tr")
    page.click("#pt-messages tbody tr a")
    page.wait_for_selector("#pt-attempts .pt-pill-failed")
    assert "maintenance: back in 5 minutes" in page.inner_text("#pt-attempts .pt-response")
    assert page.inner_text("#pt-attempts .pt-code").strip() == "500"
    shot(page, "portal_05_failed_attempt")

    # Fixed; recover everything that failed since the default time (a day ago).
    receiver.behaviour.default_status = 200
    receiver.behaviour.body = b"ok"
    page.goto(f"{base}/portal/endpoints/{subscription.token}")
    page.click("#pt-recover")
    page.wait_for_selector("text=Recovery queued")
    job = RecoveryJob.objects.get(subscription=subscription)
    recovery.run_job(job.pk)
    deliver()
    receiver.wait_for(3)
    assert MessageAttempt.objects.filter(subscription=subscription, status="SUCCESS").count() == 2
    page.goto(f"{base}/portal/messages")
    assert page.locator("#pt-messages .pt-pill-success").count() == 2
    shot(page, "portal_06_message_log")

    # Rotate the secret (confirm dialog), then reveal the new one.
    before = current_secret(subscription)
    page.goto(f"{base}/portal/endpoints/{subscription.token}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#pt-rotate")
    page.wait_for_selector("text=Secret rotated")
    page.wait_for_selector("#pt-overlap")
    page.click("#pt-reveal")
    revealed = page.inner_text("#pt-secret-value").strip()
    subscription.refresh_from_db()
    assert revealed == current_secret(subscription) != before
    shot(page, "portal_07_secret")

    # Health and the catalog.
    page.goto(f"{base}/portal/endpoints/{subscription.token}/health?window=1h")
    page.wait_for_selector("#pt-timeline svg rect.eh-ok")
    assert page.locator("svg.eh-ring").count() == 3
    shot(page, "portal_08_health")
    page.goto(f"{base}/portal/catalog/configuration.commitment.created")
    page.wait_for_selector("text=JSON Schema")
    shot(page, "portal_09_catalog_type")
    page.goto(f"{base}/portal/endpoints")
    page.wait_for_selector("#pt-endpoints .pt-rate")
    shot(page, "portal_10_endpoints")

    # A read-only link: no write controls, and a write posted anyway is refused by the server.
    context = page.context.browser.new_context(viewport={"width": 1440, "height": 960})
    readonly = context.new_page()
    readonly.goto(_mint(base, acme.key, read_only=True))
    readonly.wait_for_selector("#pt-read-only")
    readonly.goto(f"{base}/portal/endpoints/{subscription.token}")
    assert readonly.locator("#pt-rotate").count() == 0
    readonly.goto(f"{base}/portal/endpoints/{subscription.token}/edit")
    readonly.fill("#id_url", "https://attacker.example/hook")
    readonly.click("#pt-save")
    readonly.wait_for_selector("text=Read-only access")
    shot(readonly, "portal_11_read_only_refused")
    context.close()
    subscription.refresh_from_db()
    assert subscription.url == receiver.url

    # The link cannot be opened twice.
    page.goto(link)
    page.wait_for_selector("text=This link was already used")
    shot(page, "portal_12_link_used")
