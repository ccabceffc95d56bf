"""Local first-run setup for `make run`: an admin user and a demo account whose key is kept in var/."""

from __future__ import annotations

import json
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from eventhub.models import Account, ApiKey
from eventhub.services.accounts import authenticate_key, create_account_with_key


class Command(BaseCommand):
    help = "Create (once) a local admin user and a demo account with an API key; print how to use them."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="The URL the hub is served at.")

    def handle(self, *args, **options):
        state_file = settings.VAR_DIR / "demo.json"
        state = json.loads(state_file.read_text()) if state_file.exists() else {}
        user_model = get_user_model()
        if not user_model.objects.filter(username="admin").exists():
            state["admin_password"] = secrets.token_urlsafe(12)
            user_model.objects.create_superuser("admin", "admin@localhost", state["admin_password"])
        if not state.get("api_key") or authenticate_key(state["api_key"]) is None:
            account, issued = create_account_with_key("Demo account")
            state.update(account_token=account.token, api_key=issued.raw_key, key_id=issued.api_key.key_id)
        state_file.write_text(json.dumps(state, indent=2))
        state_file.chmod(0o600)
        url = options["url"]
        account = Account.objects.get(token=state["account_token"])
        self.stdout.write(
            "\n".join(
                [
                    "",
                    self.style.SUCCESS("EventHub is starting."),
                    f"  API          {url}/v1/events   (docs: {url}/api/docs)",
                    f"  Admin        {url}/admin/   user: admin   password: {state.get('admin_password', '(unchanged; see var/demo.json)')}",
                    f"  Demo account {account.name} ({account.token})",
                    f"  Demo API key {state['api_key']}   (key id {state['key_id']})",
                    f"  Try:  curl -s -H 'Authorization: {state['api_key']}' {url}/v1/event_types?page_size=3",
                    f"  Keys in the database: {ApiKey.objects.count()} (stored hashed; var/demo.json keeps the demo key for you)",
                    "",
                ]
            )
        )
