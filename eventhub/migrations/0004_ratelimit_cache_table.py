"""The database cache table behind the `ratelimit` cache when no cache server is configured. Created by a
migration (not only `createcachetable`) so every database that is migrated, test databases included, has it."""

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

TABLE = "eventhub_cache"


def create_table(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, TABLE, dry_run=False)


def drop_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("eventhub", "0003_drop_covered_fk_indexes")]

    operations = [migrations.RunPython(create_table, drop_table)]
