"""The events' token and event-type columns lose their `LIKE` indexes (eventhub/migrations/_like_indexes.py)."""

from django.db import migrations

from eventhub.migrations._like_indexes import EVENT_COLUMNS, create_like_indexes, drop_like_indexes


def forward(apps, schema_editor):
    drop_like_indexes(apps, schema_editor, EVENT_COLUMNS)


def backward(apps, schema_editor):
    create_like_indexes(apps, schema_editor, EVENT_COLUMNS)


class Migration(migrations.Migration):
    atomic = False  # DROP INDEX CONCURRENTLY runs outside a transaction

    dependencies = [("eventhub", "0009_event_actioned")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
