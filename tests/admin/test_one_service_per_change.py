"""The admin calls the same services as the API: each change is audited once (by the service, for the
staff user), side effects are the same, validation runs once (no dry run), and admin modules never
import a higher app."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.urls import reverse

from deliveries.models import RecoveryJob
from eventhub.models import AuditLogEntry, Event
from subscriptions import ssrf
from subscriptions.models import EventSubscription

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["eventhub", "subscriptions", "deliveries", "scheduled_events"]
CHANGELIST = "admin:subscriptions_eventsubscription_changelist"


def _action(client, name, subscriptions, **extra):
    return client.post(
        reverse(CHANGELIST),
        {"action": name, "_selected_action": [s.pk for s in subscriptions], **extra},
        follow=True,
    )


@pytest.mark.django_db
def test_admin_disable_emits_the_disabled_event_and_one_audit_row_by_the_staff_user(staff, world, admin_user):
    _action(staff, "disable", [world.subscription], _apply="Disable", reason="endpoint migrating")
    event = Event.objects.get(account=world.account, event_type_id="event_subscription.disabled")
    assert event.payload["event_subscription_token"] == world.subscription.token
    assert event.payload["detail"] == "endpoint migrating"
    rows = list(
        AuditLogEntry.objects.filter(action="subscription.disabled", object_token=world.subscription.token)
    )
    assert len(rows) == 1 and rows[0].actor_user_id == admin_user.pk


@pytest.mark.django_db
def test_admin_change_page_button_disables_through_the_same_service(staff, world):
    url = reverse("admin:subscriptions_eventsubscription_state", args=[world.subscription.pk])
    staff.post(url, {"state": "disable", "disable_reason": "maintenance"})
    assert (
        Event.objects.filter(account=world.account, event_type_id="event_subscription.disabled").count() == 1
    )
    staff.post(url, {"state": "enable"})
    assert (
        AuditLogEntry.objects.filter(
            action="subscription.enabled", object_token=world.subscription.token
        ).count()
        == 1
    )


@pytest.mark.django_db
def test_admin_create_and_edit_audit_once_each_for_the_staff_user(staff, world, admin_user):
    add = reverse("admin:subscriptions_eventsubscription_add")
    staff.post(
        add,
        {
            "account": world.account.pk,
            "url": "https://hooks.example.com/new",
            "description": "d",
            "event_types": [],
        },
    )
    created = EventSubscription.objects.get(url="https://hooks.example.com/new")
    change = reverse("admin:subscriptions_eventsubscription_change", args=[created.pk])
    staff.post(change, {"url": "https://hooks.example.com/newer", "description": "d", "event_types": []})
    rows = list(
        AuditLogEntry.objects.filter(object_token=created.token).values_list("action", "actor_user_id")
    )
    assert rows.count(("subscription.created", admin_user.pk)) == 1
    assert rows.count(("subscription.updated", admin_user.pk)) == 1
    assert len(rows) == 2


@pytest.mark.django_db
def test_admin_create_resolves_the_endpoint_host_once(staff, world, monkeypatch):
    lookups: list[str] = []
    real = ssrf.resolve_host

    def counting(host, port):
        lookups.append(host)
        return real(host, port)

    monkeypatch.setattr(ssrf, "resolve_host", counting)
    add = reverse("admin:subscriptions_eventsubscription_add")
    response = staff.post(
        add,
        {"account": world.account.pk, "url": "https://127.0.0.1/hook", "description": "", "event_types": []},
    )
    assert response.status_code == 302
    assert lookups == ["127.0.0.1"]


@pytest.mark.django_db
def test_admin_form_shows_the_services_validation_errors(staff, world):
    add = reverse("admin:subscriptions_eventsubscription_add")
    page = staff.post(
        add,
        {"account": world.account.pk, "url": "https://10.0.0.1/hook", "description": "", "event_types": []},
    ).content.decode()
    assert "private, loopback" in page
    assert not EventSubscription.objects.filter(url="https://10.0.0.1/hook").exists()


@pytest.mark.django_db
def test_bulk_resend_progress_lives_on_a_recovery_job_and_is_audited_once(
    staff, world, admin_user, django_capture_on_commit_callbacks
):
    from deliveries.services.recovery import run_job

    messages = world.add_deliveries(25, failed_every=1)
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(
            reverse("admin:deliveries_message_changelist"),
            {"action": "resend_messages", "_selected_action": [m.pk for m in messages]},
        )
    job = RecoveryJob.objects.get(kind="resend")
    assert (job.total, job.done, job.errors, job.status) == (25, 0, 0, "QUEUED")
    run_job(job.pk)  # what the worker does with the kick
    job.refresh_from_db()
    assert (job.total, job.done, job.errors, job.status) == (25, 25, 0, "DONE")
    rows = list(AuditLogEntry.objects.values_list("action", "actor_user_id", "details"))
    assert (
        len(rows) == 1
        and rows[0][:2] == ("messages.resend_requested", admin_user.pk)
        and rows[0][2]["job"] == job.token
    )
    page = staff.get(reverse("admin:deliveries_jobs")).content.decode()
    assert job.token in page and "25 of 25" in page


def _imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
    return found


@pytest.mark.parametrize("app", LAYERS[:-1])
def test_admin_modules_import_no_higher_app(app):
    higher = set(LAYERS[LAYERS.index(app) + 1 :])
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_apps(path) & higher)
        for path in (ROOT / app).glob("admin*.py")
        if _imported_apps(path) & higher
    }
    assert offenders == {}
