"""Messages' and attempts' tokens lose their `LIKE` indexes (eventhub/migrations/_like_indexes.py)."""

from django.db import migrations

from eventhub.migrations._like_indexes import DELIVERY_COLUMNS, create_like_indexes, drop_like_indexes


def forward(apps, schema_editor):
    drop_like_indexes(apps, schema_editor, DELIVERY_COLUMNS)


def backward(apps, schema_editor):
    create_like_indexes(apps, schema_editor, DELIVERY_COLUMNS)


class Migration(migrations.Migration):
    atomic = False  # DROP INDEX CONCURRENTLY runs outside a transaction

    dependencies = [
        ("deliveries", "0006_recovery_job_resend_progress"),
        ("eventhub", "0010_drop_unused_like_indexes"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
