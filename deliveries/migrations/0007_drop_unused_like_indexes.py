"""Messages' and attempts' tokens lose their `LIKE` indexes (eventhub/migrations/_like_indexes.py)."""

from django.db import migrations

from eventhub.migrations._like_indexes import dropping

forward, backward = dropping(("deliveries", "Message", "token"), ("deliveries", "MessageAttempt", "token"))


class Migration(migrations.Migration):
    dependencies = [
        ("deliveries", "0006_recovery_job_resend_progress"),
        ("eventhub", "0010_drop_unused_like_indexes"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
