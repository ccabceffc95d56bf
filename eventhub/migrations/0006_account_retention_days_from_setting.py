"""Account.retention_days: None means EVENTHUB_DEFAULT_RETENTION_DAYS, read when retention runs.

0001 froze the setting's value at makemigrations time into the column default. Rows holding the value
the setting has now were created from that default; they become None so they follow the setting from
here on. Other values were chosen for the account and are kept."""

from django.conf import settings
from django.db import migrations, models


def follow_the_setting(apps, schema_editor):
    Account = apps.get_model("eventhub", "Account")
    Account.objects.filter(retention_days=settings.EVENTHUB_DEFAULT_RETENTION_DAYS).update(
        retention_days=None
    )


def keep_the_value_in_force(apps, schema_editor):
    Account = apps.get_model("eventhub", "Account")
    Account.objects.filter(retention_days=None).update(
        retention_days=settings.EVENTHUB_DEFAULT_RETENTION_DAYS
    )


class Migration(migrations.Migration):
    dependencies = [
        ("eventhub", "0005_account_owned_event_types"),
    ]

    operations = [
        migrations.AlterField(
            model_name="account",
            name="retention_days",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(follow_the_setting, keep_the_value_in_force),
    ]
