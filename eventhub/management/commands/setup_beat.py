"""manage.py setup_beat: upsert every app's periodic tasks (their `beat.PERIODIC_TASKS`) into django-celery-beat."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from eventhub.periodic_tasks import ensure_periodic_tasks


class Command(BaseCommand):
    help = (
        "Create or update the periodic tasks every installed app declares in its beat.PERIODIC_TASKS "
        "(django-celery-beat database scheduler). Idempotent; an operator's enabled/disabled choice is kept."
    )

    def handle(self, *args, **options):
        for name, created in ensure_periodic_tasks():
            self.stdout.write(f"{'created' if created else 'up to date'}: {name}")
