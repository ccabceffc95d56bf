"""/metrics after a delivery run by a real worker process (multiprocess mode: the worker writes its
samples under PROMETHEUS_MULTIPROC_DIR, the web process sums them): the counters match the database."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from deliveries.models import Message, MessageAttempt, MessageStatus
from eventhub.models import Event
from eventhub.services.ingest import Submission, publish_batch
from subscriptions.services import create_subscription
from tests.e2e.conftest import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
TOKEN = "metrics-test-token"


def scrape(**headers) -> dict[tuple[str, tuple], float]:
    response = APIClient().get("/metrics", **headers)
    assert response.status_code == 200, response.content
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def metrics_dir(tmp_path, monkeypatch, settings):
    """Workers started after this write their samples here; the scrape reads them."""
    directory = tmp_path / "metrics"
    directory.mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    settings.EVENTHUB_METRICS_DIR = str(directory)
    settings.EVENTHUB_METRICS_TOKEN = TOKEN
    return directory


def test_metrics_counters_match_the_database_after_a_delivery_run(
    metrics_dir, worker_factory, acme, event_types, receiver_factory
):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
    before = scrape(**auth)  # this process's in-memory counters carry earlier tests' ingests
    healthy, failing = receiver_factory(), receiver_factory()
    failing.behaviour.default_status = 500
    for receiver in (healthy, failing):
        create_subscription(acme.account, url=receiver.url)
    # With its beat, as `make run` runs it: retries are woken by delayed kicks, and a kick that is lost is the
    # sweeper's to make up (by design); without beat a lost retry kick left messages pending past the deadline.
    call_command("setup_beat", verbosity=0)
    worker_factory(beat=True)
    publish_batch(acme.account, [Submission("card.created", {"card_token": f"c{i}"}) for i in range(20)])
    pending = [MessageStatus.PENDING, MessageStatus.SENDING]
    wait_until(
        lambda: not Message.objects.filter(status__in=pending).exists(),
        timeout=60,
        message="every message final",
    )
    after = scrape(**auth)

    def delta(name: str, **labels) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    attempts = MessageAttempt.objects.all()
    assert (
        delta("eventhub_events_ingested_total", category="other")
        == Event.objects.filter(event_type__category="other").count()
        == 20
    )
    assert (
        delta("eventhub_messages_finished_total", status="success")
        == Message.objects.filter(status="SUCCESS").count()
        == 20
    )
    assert (
        delta("eventhub_messages_finished_total", status="failed")
        == Message.objects.filter(status="FAILED").count()
        == 20
    )
    assert (
        delta("eventhub_attempts_total", response_class="2xx")
        == attempts.filter(response_status_code=200).count()
    )
    assert (
        delta("eventhub_attempts_total", response_class="5xx")
        == attempts.filter(response_status_code=500).count()
        == 80
    )
    assert delta("eventhub_attempt_duration_seconds_count") == attempts.count() == 100
    assert delta("eventhub_publish_to_receipt_seconds_count") == 20
    # A message given back unsent (its lease ran short) is claimed again: claims can exceed attempts.
    assert delta("eventhub_claim_batch_size_sum") >= attempts.count()
    assert value(after, "eventhub_due_backlog") == 0 and value(after, "eventhub_oldest_due_age_seconds") == 0
    assert value(after, "eventhub_subscriptions_disabled_now") == 0


def test_metrics_answer_only_the_token_or_an_allowed_network(settings):
    settings.EVENTHUB_METRICS_TOKEN = TOKEN
    settings.EVENTHUB_METRICS_ALLOW = []
    assert APIClient().get("/metrics").status_code == 404
    assert APIClient().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert APIClient().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    settings.EVENTHUB_METRICS_TOKEN = ""
    settings.EVENTHUB_METRICS_ALLOW = ["127.0.0.0/8"]
    assert APIClient().get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert APIClient().get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404
