"""setup_beat: every app's PERIODIC_TASKS upserted by name into django-celery-beat, idempotently."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from eventhub.periodic_tasks import ensure_periodic_tasks, registered_periodic_tasks

pytestmark = pytest.mark.django_db
FIRE = "scheduled_events: fire due occurrences"


def test_setup_beat_registers_the_scheduler_every_minute(capsys):
    call_command("setup_beat")
    task = PeriodicTask.objects.get(name=FIRE)
    assert task.task == "scheduled_events.tasks.fire_due_occurrences"
    assert (task.interval.every, task.interval.period) == (60, "seconds")
    assert task.enabled and task.expire_seconds == 55
    assert f"created: {FIRE}" in capsys.readouterr().out


def test_setup_beat_collects_every_apps_beat_module():
    names = {entry["name"] for entry in registered_periodic_tasks()}
    assert FIRE in names and "eventhub: apply retention" in names
    call_command("setup_beat")
    assert set(PeriodicTask.objects.values_list("name", flat=True)) >= names


def test_running_it_again_changes_nothing_and_keeps_an_operators_disable(capsys):
    call_command("setup_beat")
    PeriodicTask.objects.filter(name=FIRE).update(enabled=False)
    call_command("setup_beat")
    assert PeriodicTask.objects.filter(name=FIRE).count() == 1
    assert PeriodicTask.objects.get(name=FIRE).enabled is False
    assert f"up to date: {FIRE}" in capsys.readouterr().out


def test_a_changed_declaration_updates_the_row():
    ensure_periodic_tasks([{"name": "x: job", "task": "x.old", "every_seconds": 30}])
    ensure_periodic_tasks([{"name": "x: job", "task": "x.new", "every_seconds": 120}])
    task = PeriodicTask.objects.get(name="x: job")
    assert task.task == "x.new" and task.interval.every == 120


@pytest.mark.parametrize(
    "entry",
    [
        {"name": "n", "task": "t"},
        {"name": "", "task": "t", "every_seconds": 5},
        {"name": "n", "task": "t", "every_seconds": 0},
    ],
)
def test_malformed_entries_are_refused(entry):
    with pytest.raises(ValueError):
        ensure_periodic_tasks([entry])


def test_the_beat_task_runs_the_scheduler(acme):
    from scheduled_events.tasks import fire_due_occurrences

    assert fire_due_occurrences() == {"fired": 0, "planned": 0}
