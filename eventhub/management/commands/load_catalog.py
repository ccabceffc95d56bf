"""Load the event-type catalog packs shipped in eventhub/catalog/packs (idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from eventhub.catalog.packs import PackError, available_packs
from eventhub.services.catalog import load_packs


class Command(BaseCommand):
    help = "Load catalog packs (all by default). Running it again updates changed types and leaves the rest."

    def add_arguments(self, parser):
        parser.add_argument("packs", nargs="*", help=f"Pack names; available: {', '.join(available_packs())}")

    def handle(self, *args, **options):
        unknown = set(options["packs"]) - set(available_packs())
        if unknown:
            raise CommandError(
                f"Unknown pack(s): {', '.join(sorted(unknown))}. Available: {', '.join(available_packs())}"
            )
        try:
            reports = load_packs(options["packs"] or None, progress=self.stdout.write)
        except PackError as exc:
            raise CommandError(str(exc)) from exc
        total = sum(r.created + r.updated + r.unchanged for r in reports)
        self.stdout.write(self.style.SUCCESS(f"Catalog: {total} event types in {len(reports)} packs."))
