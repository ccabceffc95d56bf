"""EventSubscription.max_concurrency: None means EVENTHUB_SUBSCRIPTION_CONCURRENCY, read when messages are
claimed.

0001 froze the setting's value at makemigrations time into the column default. Rows holding the value
the setting has now were created from that default; they become None so they follow the setting from
here on. Other values were chosen for the subscription and are kept."""

from django.conf import settings
from django.db import migrations, models


def follow_the_setting(apps, schema_editor):
    EventSubscription = apps.get_model("subscriptions", "EventSubscription")
    EventSubscription.objects.filter(max_concurrency=settings.EVENTHUB_SUBSCRIPTION_CONCURRENCY).update(
        max_concurrency=None
    )


def keep_the_value_in_force(apps, schema_editor):
    EventSubscription = apps.get_model("subscriptions", "EventSubscription")
    EventSubscription.objects.filter(max_concurrency=None).update(
        max_concurrency=settings.EVENTHUB_SUBSCRIPTION_CONCURRENCY
    )


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0002_integrationconfiguration"),
    ]

    operations = [
        migrations.AlterField(
            model_name="eventsubscription",
            name="max_concurrency",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(follow_the_setting, keep_the_value_in_force),
    ]
