"""Shared fixtures: accounts with keys, API clients, event types, and the service checks CI relies on."""

from __future__ import annotations

import os

import pytest
from rest_framework.test import APIClient

from eventhub.services.accounts import create_account_with_key, issue_api_key
from eventhub.services.catalog import create_event_type

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_configure(config):
    """Close connections after each request: live-server threads must not hold the test database open."""
    from django.conf import settings

    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


def require_service(name: str, reason: str) -> None:
    """In CI a missing service is a failure; elsewhere the test is skipped and the reason printed."""
    if IN_CI:
        pytest.fail(f"{name} is required in CI: {reason}")
    pytest.skip(f"{name} unavailable: {reason}")


class KeyedAccount:
    def __init__(self, name: str):
        self.account, issued = create_account_with_key(name)
        self.key = issued.raw_key
        self.key_id = issued.api_key.key_id
        self.api_key = issued.api_key

    @property
    def token(self) -> str:
        return self.account.token

    def client(self) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=self.key)
        return client


@pytest.fixture
def acme(db) -> KeyedAccount:
    return KeyedAccount("Acme")


@pytest.fixture
def globex(db) -> KeyedAccount:
    return KeyedAccount("Globex")


@pytest.fixture
def staff_key(db) -> str:
    return issue_api_key(None, name="staff", is_staff=True).raw_key


@pytest.fixture
def staff_client(staff_key) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=staff_key)
    return client


COMMITMENT_SCHEMA = {
    "type": "object",
    "required": ["id", "amount"],
    "properties": {
        "id": {"type": "string"},
        "amount": {"type": "number", "minimum": 0},
        "amountSpent": {"type": "number"},
        "endDate": {"type": "string"},
    },
}


@pytest.fixture
def event_types(db):
    """A small catalog: card-issuing types, an entity type with a strict schema, one in warn mode, one archived."""
    created = {}
    for name in ("card.created", "card.updated", "card.shipped", "balance.updated"):
        created[name] = create_event_type(name, category="other", example={"card_token": "c1"})
    created["configuration.commitment.created"] = create_event_type(
        "configuration.commitment.created", category="configuration", schema=COMMITMENT_SCHEMA
    )
    created["configuration.commitment.updated"] = create_event_type(
        "configuration.commitment.updated", category="configuration", schema=COMMITMENT_SCHEMA
    )
    created["configuration.commitment.deleted"] = create_event_type(
        "configuration.commitment.deleted", category="configuration"
    )
    created["pos.order.updated"] = create_event_type(
        "pos.order.updated",
        category="other",
        schema={"type": "object", "required": ["order_id"], "properties": {"order_id": {"type": "string"}}},
        schema_mode="warn",
    )
    created["legacy.thing.happened"] = create_event_type("legacy.thing.happened", archived=True)
    created["ingest.validation_failure"] = create_event_type("ingest.validation_failure", category="error")
    return created


LOCAL_ALLOW = ["127.0.0.1", "::1", "localhost"]


@pytest.fixture(autouse=True)
def _local_endpoints_allowed(settings):
    """Receivers in tests listen on 127.0.0.1 over http; production defaults refuse both."""
    settings.EVENTHUB_SSRF_ALLOW = LOCAL_ALLOW
    settings.EVENTHUB_ALLOW_HTTP_HOSTS = LOCAL_ALLOW


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Staff users in tests get MD5 password hashes: Django's default PBKDF2 costs 0.45 s per user here,
    and the staff-role tests create three users each (API keys are not Django passwords; nothing tested
    depends on the hasher). Browser tests log in through the in-process live server, which shares this."""
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _kick_gates_open():
    """Each test starts with no kick waiting (deliveries/services/dispatch.py): a kick an earlier test left
    in a broker no worker reads would hold the shared cache's gate key for up to a second."""
    from django.core.cache import caches

    from deliveries.services.dispatch import LANES, gate_key

    caches["default"].delete_many([gate_key(lane) for lane in LANES])


@pytest.fixture
def receiver_factory():
    """Start real HTTP receivers (tests.receivers.Receiver) on loopback; all stopped after the test."""
    from tests.receivers import Receiver

    started = []

    def start(host: str = "127.0.0.1") -> Receiver:
        started.append(Receiver(host).start())
        return started[-1]

    yield start
    for receiver in started:
        receiver.stop()


@pytest.fixture
def receiver(receiver_factory):
    """One webhook receiver on 127.0.0.1 whose behaviour the test sets (`receiver.behaviour`)."""
    return receiver_factory()
