"""Event types owned by accounts (issue 11 item 2): EventType gains `account` (NULL = global catalog) and
`key` (the name for global rows, `<name>@<account token>` for owned ones); events reference `key`.
Existing `notification.<code>` rows move to the accounts of the rules that created them (scheduled.*
rows: scheduled_events 0003). Events of global types keep their stored value."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F, Q

from eventhub.migrations._owned_types import split_all

PREFIX = "notification."


def keys_from_names(apps, schema_editor):
    apps.get_model("eventhub", "EventType").objects.update(key=F("name"))


def notification_owners(apps):
    Rule = apps.get_model("eventhub", "NotificationRule")

    def owners_of(name: str) -> dict[int, tuple[str, dict]]:
        code = name[len(PREFIX) :]
        return {
            rule.account_id: (
                f"Notification {rule.code!r}: emitted when its rule on {rule.event_name} holds.",
                {
                    "event_type": name,
                    "rule": {
                        "id": rule.token,
                        "code": rule.code,
                        "name": rule.name,
                        "event_name": rule.event_name,
                    },
                    "source_event": {"token": "evt_example", "event_type": rule.event_name},
                    "new": {},
                    "old": None,
                },
            )
            for rule in Rule.objects.filter(code=code)
        }

    return owners_of


def assign_notification_types(apps, schema_editor):
    split_all(apps, PREFIX, notification_owners(apps), "Notification whose rule was deleted.")


class Migration(migrations.Migration):
    dependencies = [
        ("eventhub", "0004_ratelimit_cache_table"),
    ]

    operations = [
        migrations.AddField(
            model_name="eventtype",
            name="key",
            field=models.CharField(editable=False, max_length=200, null=True),
        ),
        migrations.AddField(
            model_name="eventtype",
            name="account",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="event_types",
                to="eventhub.account",
            ),
        ),
        migrations.RunPython(keys_from_names, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="eventtype",
            name="key",
            field=models.CharField(editable=False, max_length=200, unique=True),
        ),
        migrations.AlterField(
            model_name="event",
            name="event_type",
            field=models.ForeignKey(
                db_column="event_type",
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="events",
                to="eventhub.eventtype",
                to_field="key",
            ),
        ),
        migrations.AlterField(
            model_name="eventtype",
            name="name",
            field=models.CharField(max_length=128),
        ),
        migrations.AlterModelOptions(name="eventtype", options={"ordering": ["name", "key"]}),
        migrations.AddConstraint(
            model_name="eventtype",
            constraint=models.UniqueConstraint(
                condition=Q(account__isnull=True), fields=("name",), name="event_type_global_name"
            ),
        ),
        migrations.AddConstraint(
            model_name="eventtype",
            constraint=models.UniqueConstraint(
                fields=("account", "name"), name="event_type_name_per_account"
            ),
        ),
        migrations.RunPython(assign_notification_types, migrations.RunPython.noop),
    ]
