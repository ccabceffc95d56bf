"""Existing `scheduled.*` event types move to the accounts of the configurations that created them
(issue 11 item 2; the EventType columns come from eventhub 0004)."""

from django.db import migrations

from eventhub.migrations._owned_types import split_all

PREFIX = "scheduled."


def assign_scheduled_types(apps, schema_editor):
    Configuration = apps.get_model("scheduled_events", "ScheduledEventConfiguration")

    def owners_of(name: str) -> dict[int, tuple[str, dict]]:
        owners = {}
        for config in Configuration.objects.filter(name=name):
            example = {
                "event_type": name,
                "entity": {"id": "id-1", config.field.split(".")[0]: "2025-01-31T00:00:00Z"},
                "configuration": {
                    "id": "sched_1",
                    "name": name,
                    "entity": config.entity,
                    "field": config.field,
                    "offset": 0,
                },
                "fire_at": "2025-01-31T00:00:00Z",
            }
            description = f"Scheduled event: fires for each {config.entity} at its {config.field} plus the configured offset."
            owners[config.account_id] = (description, example)
        return owners

    split_all(apps, PREFIX, owners_of, "Scheduled event whose configuration was deleted.")


class Migration(migrations.Migration):
    dependencies = [
        ("eventhub", "0005_account_owned_event_types"),
        ("scheduled_events", "0002_scheduler_state"),
    ]

    operations = [
        migrations.RunPython(assign_scheduled_types, migrations.RunPython.noop),
    ]
