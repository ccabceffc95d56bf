"""Create or refresh the admin's staff role groups: viewer, support, operator."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from eventhub.services.staff_roles import setup_staff_roles


class Command(BaseCommand):
    help = (
        "Create or update the groups viewer (read only), support (resend, recover, replay, send example) and "
        "operator (everything but accounts and API keys). Run again after migrations add models. "
        "Give staff users a role by adding them to one group."
    )

    def handle(self, *args, **options):
        for role, count in setup_staff_roles().items():
            self.stdout.write(f"{role:9} {count} permissions")
