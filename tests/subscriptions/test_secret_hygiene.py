"""Signing secrets (current and previous after a rotation) and destination credentials are shown only by
the endpoints meant to show them: never in a log record (everything captured at DEBUG, SQL included),
an API error body, another API body, the admin pages (masked there), or any database column in plaintext."""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient
from standardwebhooks.webhooks import Webhook

from deliveries import tasks
from deliveries.models import AttemptStatus, Message, MessageAttempt, MessageStatus
from deliveries.services import engine
from deliveries.services.dispatch import ANY
from eventhub.models import AuditLogEntry
from subscriptions.models import EventSubscription
from subscriptions.secrets import SECRET_PREFIX, decrypt_secret, encrypt_secret, legacy_key
from subscriptions.services import create_subscription

pytestmark = pytest.mark.django_db
BILLING_CREDENTIAL_SECRET = "billing-destination-credential-9f2c7e1a4b"


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    """The engine runs in-process here; its wake-ups of other workers go nowhere."""
    for task in (tasks.deliver_due, tasks.deliver_retries, tasks.sweep, tasks.run_recovery_job):
        monkeypatch.setattr(task, "apply_async", lambda *a, **k: None)


@pytest.fixture
def debug_logs(caplog):
    """Every logger at DEBUG, SQL statements with their parameters included (captured, not printed:
    the settings' console handler keeps its usual threshold)."""
    console = [h for h in logging.getLogger().handlers if not type(h).__module__.startswith("_pytest")]
    thresholds = [h.level for h in console]
    for handler in console:
        handler.setLevel(max(handler.level, logging.WARNING))
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    forced, connection.force_debug_cursor = connection.force_debug_cursor, True
    yield caplog
    connection.force_debug_cursor = forced
    for handler, level in zip(console, thresholds, strict=True):
        handler.setLevel(level)


def forms_of(secret: str) -> set[str]:
    """The ways a secret could leak: whole, its base64 key, and the key bytes as repr/hex would print them."""
    forms = {secret}
    if secret.startswith(SECRET_PREFIX):
        key = secret.removeprefix(SECRET_PREFIX)
        raw = base64.b64decode(key)
        forms |= {key, raw.hex(), repr(raw)[2:-1]}
    return forms


def leaks(text: str, secrets: set[str]) -> list[str]:
    return sorted(s for s in secrets if s in text)


def org(keyed, path: str) -> str:
    return f"/organizations/{keyed.token}/{path}"


def test_secrets_never_appear_in_logs_error_bodies_admin_pages_or_plaintext_columns(
    debug_logs, settings, acme, globex, event_types, receiver_factory, admin_client
):
    settings.EVENTHUB_RETRY_SCHEDULE = [1.0, 1.0]
    settings.EVENTHUB_DELIVERY_TIMEOUT = 2.0
    good, failing, resetting = (receiver_factory() for _ in range(3))
    failing.behaviour.default_status = 500
    failing.behaviour.body = b'{"error":"boom"}'
    resetting.behaviour.reset = True
    client = acme.client()
    bodies: list[tuple[str, int, str]] = []  # every API answer except the one that reveals the secret

    def call(method: str, path: str, data=None, *, as_client=client, **kwargs):
        response = getattr(as_client, method)(path, data, **kwargs)
        bodies.append(
            (f"{method.upper()} {path}", response.status_code, response.content.decode(errors="replace"))
        )
        return response

    tokens = []
    for receiver in (good, failing, resetting):
        created = call("post", "/v1/event_subscriptions", {"url": receiver.url}, format="json")
        assert created.status_code == 201, created.content
        tokens.append(created.json()["token"])
    revealed = {t: client.get(f"/v1/event_subscriptions/{t}/secret").json()["secret"] for t in tokens}
    for token in tokens:
        assert call("post", f"/v1/event_subscriptions/{token}/secret/rotate").status_code == 204
    current = {t: client.get(f"/v1/event_subscriptions/{t}/secret").json()["secret"] for t in tokens}
    assert all(current[t] != revealed[t] and current[t].startswith(SECRET_PREFIX) for t in tokens)

    # A billing-dialect destination: a signing secret of its own and a credential secret it was given.
    destination = call(
        "post",
        org(acme, "integrationdestinations/webhooks"),
        {
            "name": "h",
            "description": "",
            "url": good.url,
            "credentials": {
                "type": "M3TER_SIGNED_REQUEST",
                "apiKey": "k",
                "secret": BILLING_CREDENTIAL_SECRET,
            },
        },
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {acme.key}",
    )
    assert destination.status_code == 200, destination.content
    destination_row = EventSubscription.objects.get(token=destination.json()["id"])
    signing = {*revealed.values(), *current.values(), decrypt_secret(destination_row.secret_encrypted)}
    secrets = {form for secret in signing for form in forms_of(secret)} | {BILLING_CREDENTIAL_SECRET}

    # Deliveries: signed with the new secret and the previous one (grace period), to a good endpoint,
    # one answering 500 and one resetting the connection, until every message is final.
    for index in range(3):
        event = {"event_type": "card.created", "payload": {"card_token": f"c{index}"}}
        assert call("post", "/v1/events", event, format="json").status_code == 201
    now = timezone.now()
    for step in range(4):
        engine.deliver_due(ANY, now=now + timedelta(seconds=2 * step))
    final = {
        t: set(Message.objects.filter(subscription__token=t).values_list("status", flat=True)) for t in tokens
    }
    good_token, failing_token, resetting_token = tokens
    assert final == {
        good_token: {MessageStatus.SUCCESS},
        failing_token: {MessageStatus.FAILED},
        resetting_token: {MessageStatus.FAILED},
    }
    assert MessageAttempt.objects.filter(
        subscription__token=tokens[2], error__contains="reset by peer"
    ).exists()
    first_message = Message.objects.filter(subscription__token=tokens[0]).values_list("token", flat=True)[0]
    [signed] = [r for r in good.requests if r.headers["webhook-id"] == first_message]
    for secret in (current[tokens[0]], revealed[tokens[0]]):  # the secrets really were in use
        Webhook(secret).verify(signed.body, signed.headers)

    # API errors around subscriptions: bad bodies, wrong methods and types, other tenants, bad keys.
    token = tokens[0]
    detail = f"/v1/event_subscriptions/{token}"
    errors = [
        call("patch", detail, {"url": "ftp://example.com/hook"}, format="json"),
        call("patch", detail, {"url": "https://10.0.0.1/hook", "secret": current[token]}, format="json"),
        call("patch", detail, {"event_types": "card.created"}, format="json"),
        call("patch", detail, {"event_types": ["no.such.type"]}, format="json"),
        call("patch", detail, {"disabled": "sometimes"}, format="json"),
        call("patch", detail, {"description": 5}, format="json"),
        call("patch", detail, [current[token]], format="json"),
        call("patch", detail, b'{"url": ', content_type="application/json"),
        call("patch", detail, b"url=x", content_type="application/x-www-form-urlencoded"),
        call(
            "post",
            "/v1/event_subscriptions",
            {"url": "http://example.com/hook", "event_types": 3},
            format="json",
        ),
        call("get", f"{detail}/secret/rotate"),
        call("put", f"{detail}/secret", {"secret": current[token]}, format="json"),
        call("get", f"{detail}/secret", as_client=globex.client()),
        call("post", f"{detail}/secret/rotate", as_client=globex.client()),
        call("get", "/v1/event_subscriptions/ep_unknown/secret"),
        call("get", f"{detail}/secret", as_client=APIClient(), HTTP_AUTHORIZATION=current[token]),
        call("get", f"{detail}/secret", as_client=APIClient(), HTTP_AUTHORIZATION=f"Bearer {current[token]}"),
        call(
            "put",
            org(acme, f"integrationdestinations/webhooks/{destination_row.token}"),
            {
                "name": "h",
                "url": good.url,
                "credentials": {"type": "WRONG", "apiKey": "k", "secret": BILLING_CREDENTIAL_SECRET},
            },
            format="json",
            HTTP_AUTHORIZATION=f"Bearer {acme.key}",
        ),
    ]
    assert all(400 <= e.status_code < 500 for e in errors), [
        (i, e.status_code, e.content[:300]) for i, e in enumerate(errors) if not 400 <= e.status_code < 500
    ]
    assert all(status < 500 for _, status, _ in bodies), bodies
    call("get", "/v1/event_subscriptions")
    call("get", detail)
    call("get", "/v1/events?page_size=10")
    call("get", f"{detail}/attempts")
    call("get", org(acme, "integrationdestinations/webhooks"), HTTP_AUTHORIZATION=f"Bearer {acme.key}")
    leaked_bodies = [
        (what, status, leaks(body, secrets)) for what, status, body in bodies if leaks(body, secrets)
    ]
    assert not leaked_bodies, leaked_bodies

    # The admin shows the secret masked (revealing it is a separate, audited POST).
    pages = {}
    for subscription in EventSubscription.objects.all():
        pages[f"change {subscription.token}"] = admin_client.get(
            f"/admin/subscriptions/eventsubscription/{subscription.pk}/change/"
        )
    pages["subscriptions"] = admin_client.get("/admin/subscriptions/eventsubscription/")
    pages["attempts"] = admin_client.get("/admin/deliveries/messageattempt/")
    failed_attempt = MessageAttempt.objects.filter(status=AttemptStatus.FAILED).first()
    pages["attempt"] = admin_client.get(f"/admin/deliveries/messageattempt/{failed_attempt.pk}/change/")
    pages["audit"] = admin_client.get("/admin/eventhub/auditlogentry/")
    for name, page in pages.items():
        assert page.status_code == 200, (name, page.status_code)
        html = page.content.decode()
        assert not leaks(html, secrets), (name, leaks(html, secrets))
        if name.startswith("change"):
            assert f"{SECRET_PREFIX}••••" in html  # the masked placeholder is what the page shows

    # At rest: the columns hold ciphertext that decrypts to the secrets; no column anywhere holds plaintext.
    for row in EventSubscription.objects.filter(token__in=tokens):
        assert decrypt_secret(row.secret_encrypted) == current[row.token]
        assert decrypt_secret(row.previous_secret_encrypted) == revealed[row.token]
        assert not leaks(row.secret_encrypted + row.previous_secret_encrypted, secrets)
    assert decrypt_secret(destination_row.credentials["secretEncrypted"]) == BILLING_CREDENTIAL_SECRET
    for model in apps.get_models():
        for values in model.objects.values_list():
            assert not leaks(repr(values), secrets), (model.__name__, leaks(repr(values), secrets))

    # Logs: every record (message, arguments, traceback) and the formatted capture.
    records = debug_logs.records
    assert any("secret_encrypted" in r.getMessage() for r in records), "SQL at DEBUG was not captured"
    assert any(r.levelno >= logging.WARNING for r in records), "the 4xx answers were not logged"
    for record in records:
        text = " ".join(
            [record.getMessage(), repr(record.args), record.exc_text or "", repr(record.__dict__)]
        )
        assert not leaks(text, secrets), (record.name, record.levelname, leaks(text, secrets))
    assert not leaks(debug_logs.text, secrets)


# --- Keys: EVENTHUB_ENCRYPTION_KEYS (first encrypts, all decrypt), the legacy key, rotate_encryption_key --------


def _legacy_encrypt(secret: str, passphrase: str) -> str:
    return Fernet(legacy_key(passphrase)).encrypt(secret.encode()).decode()


def test_a_new_first_key_encrypts_while_the_old_keys_still_decrypt(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.EVENTHUB_ENCRYPTION_KEYS = [old]
    stored = encrypt_secret("whsec_old")
    settings.EVENTHUB_ENCRYPTION_KEYS = [new, old]
    fresh = encrypt_secret("whsec_new")
    assert decrypt_secret(stored) == "whsec_old" and decrypt_secret(fresh) == "whsec_new"
    assert Fernet(new.encode()).decrypt(fresh.encode()) == b"whsec_new"  # the first key encrypts


def test_rotate_encryption_key_moves_legacy_and_old_key_secrets_to_the_first_key(acme, settings):
    """Rows written under the SECRET_KEY-derived legacy key (before EVENTHUB_ENCRYPTION_KEYS) and under a
    retired key still decrypt; the command moves every stored secret to the first key, with progress."""
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    legacy_passphrase = settings.EVENTHUB_SECRET_ENCRYPTION_KEY
    subscriptions = [create_subscription(acme.account, url=f"https://example.com/{i}") for i in range(3)]
    EventSubscription.objects.filter(pk=subscriptions[0].pk).update(
        secret_encrypted=_legacy_encrypt("whsec_legacy_current", legacy_passphrase),
        previous_secret_encrypted=_legacy_encrypt("whsec_legacy_previous", legacy_passphrase),
        credentials={
            "type": "M3TER_SIGNED_REQUEST",
            "apiKey": "k",
            "secretEncrypted": _legacy_encrypt("cred", legacy_passphrase),
        },
    )
    EventSubscription.objects.filter(pk=subscriptions[1].pk).update(
        secret_encrypted=Fernet(old_key.encode()).encrypt(b"whsec_old_key").decode()
    )
    settings.EVENTHUB_ENCRYPTION_KEYS = [new_key, old_key, *settings.EVENTHUB_ENCRYPTION_KEYS]
    output = StringIO()
    call_command("rotate_encryption_key", "--batch", "2", stdout=output)
    text = output.getvalue()
    assert "2 subscriptions scanned" in text and "3 subscriptions scanned" in text  # progress per batch
    assert (
        "3 subscriptions, 5 secrets re-encrypted" in text
    )  # 3 of the first, 1 of the second, the third's own

    # Only the first key is left (the legacy passphrase changed too): every stored secret still opens.
    settings.EVENTHUB_ENCRYPTION_KEYS = [new_key]
    settings.EVENTHUB_SECRET_ENCRYPTION_KEY = "a-different-legacy-passphrase"
    rows = {row.pk: row for row in EventSubscription.objects.all()}
    first, second = rows[subscriptions[0].pk], rows[subscriptions[1].pk]
    assert decrypt_secret(first.secret_encrypted) == "whsec_legacy_current"
    assert decrypt_secret(first.previous_secret_encrypted) == "whsec_legacy_previous"
    assert decrypt_secret(first.credentials["secretEncrypted"]) == "cred"
    assert decrypt_secret(second.secret_encrypted) == "whsec_old_key"
    assert decrypt_secret(rows[subscriptions[2].pk].secret_encrypted).startswith(SECRET_PREFIX)
    assert AuditLogEntry.objects.filter(action="encryption_key.rotate").count() == 1

    again = StringIO()
    call_command("rotate_encryption_key", stdout=again)
    assert "0 secrets re-encrypted" in again.getvalue()  # idempotent


def test_rotate_encryption_key_reports_secrets_no_key_opens_and_moves_the_rest(acme, settings):
    lost, kept = (create_subscription(acme.account, url=f"https://example.com/{i}") for i in range(2))
    EventSubscription.objects.filter(pk=lost.pk).update(
        secret_encrypted=Fernet(Fernet.generate_key()).encrypt(b"whsec_unknown").decode()
    )
    settings.EVENTHUB_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.EVENTHUB_ENCRYPTION_KEYS]
    with pytest.raises(CommandError, match=lost.token):
        call_command("rotate_encryption_key", stdout=StringIO())
    settings.EVENTHUB_ENCRYPTION_KEYS = settings.EVENTHUB_ENCRYPTION_KEYS[:1]
    kept.refresh_from_db()
    assert decrypt_secret(kept.secret_encrypted).startswith(SECRET_PREFIX)


@pytest.mark.parametrize(
    "present",
    [{}, {"EVENTHUB_API_KEY_PEPPER": "pepper"}, {"EVENTHUB_ENCRYPTION_KEYS": "Zm9v"}],
    ids=["neither", "pepper only", "keys only"],
)
def test_production_refuses_to_start_without_its_own_encryption_keys_and_pepper(present):
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENTHUB_")}
    env.update(
        EVENTHUB_ENV="production",
        EVENTHUB_SECRET_KEY="s" * 50,
        DJANGO_SETTINGS_MODULE="eventhub.settings",
        **present,
    )
    run = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode != 0
    assert "EVENTHUB_ENCRYPTION_KEYS" in run.stderr and "EVENTHUB_API_KEY_PEPPER" in run.stderr


def test_production_starts_with_its_own_keys_and_rejects_a_malformed_key():
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENTHUB_")}
    env.update(
        EVENTHUB_ENV="production", EVENTHUB_SECRET_KEY="s" * 50, DJANGO_SETTINGS_MODULE="eventhub.settings"
    )
    env.update(EVENTHUB_API_KEY_PEPPER="p" * 40, EVENTHUB_ENCRYPTION_KEYS=Fernet.generate_key().decode())
    code = "import django; django.setup(); from django.conf import settings; print(settings.EVENTHUB_API_KEY_PEPPER)"
    ok = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "p" * 40
    env["EVENTHUB_ENCRYPTION_KEYS"] = "not-a-fernet-key"
    bad = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode != 0 and "must be a Fernet key" in bad.stderr
