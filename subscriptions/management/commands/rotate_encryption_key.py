"""`manage.py rotate_encryption_key`: re-encrypt every stored secret under the first EVENTHUB_ENCRYPTION_KEYS key."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from subscriptions.key_rotation import RotationReport, reencrypt_stored_secrets


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret (signing secrets, previous secrets, destination credentials) under the "
        "first EVENTHUB_ENCRYPTION_KEYS key. Run after putting a new key first; then the old keys can be removed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=500, help="Subscriptions per transaction.")

    def handle(self, *args, batch: int, **options):
        def progress(report: RotationReport) -> None:
            self.stdout.write(
                f"  {report.scanned} subscriptions scanned, {report.reencrypted} secrets re-encrypted"
            )

        report = reencrypt_stored_secrets(progress, batch=batch)
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {report.scanned} subscriptions, {report.reencrypted} secrets re-encrypted."
            )
        )
        if report.undecryptable:
            raise CommandError(
                f"{len(report.undecryptable)} subscriptions have a secret no EVENTHUB_ENCRYPTION_KEYS key decrypts "
                f"(left unchanged): {', '.join(report.undecryptable[:20])}"
            )
