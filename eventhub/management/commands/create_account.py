"""Create an account and its first API key; the key is printed once."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from eventhub.services.accounts import create_account_with_key, issue_api_key


class Command(BaseCommand):
    help = "Create an account (tenant) with an API key. With --staff, create a staff key (acts for every account) instead."

    def add_arguments(self, parser):
        parser.add_argument("--name", help="Account name (required unless --staff).")
        parser.add_argument(
            "--json", action="store_true", help='Print {"token", "api_key", "key_id"} as JSON.'
        )
        parser.add_argument("--staff", action="store_true", help="Issue a staff key not tied to one account.")

    def handle(self, *args, **options):
        if options["staff"]:
            issued = issue_api_key(None, name=options["name"] or "staff", is_staff=True)
            result = {"token": None, "api_key": issued.raw_key, "key_id": issued.api_key.key_id}
        else:
            if not options["name"]:
                self.stderr.write("--name is required")
                raise SystemExit(2)
            account, issued = create_account_with_key(options["name"])
            result = {"token": account.token, "api_key": issued.raw_key, "key_id": issued.api_key.key_id}
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            for label, value in result.items():
                self.stdout.write(f"{label:8} {value}")
            self.stdout.write(self.style.WARNING("Store the API key now: it is not shown again."))
