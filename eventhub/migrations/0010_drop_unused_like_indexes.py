"""The events' token and event-type columns lose their `LIKE` indexes (eventhub/migrations/_like_indexes.py)."""

from django.db import migrations

from eventhub.migrations._like_indexes import dropping

forward, backward = dropping(("eventhub", "Event", "token"), ("eventhub", "Event", "event_type"))


class Migration(migrations.Migration):
    dependencies = [("eventhub", "0009_event_actioned")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
