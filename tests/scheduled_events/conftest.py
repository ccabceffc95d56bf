"""Commitments with an end date, the entity the scheduled-event tests schedule on."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from eventhub.services.catalog import create_event_type
from eventhub.services.ingest import publish

COMMITMENT_SCHEMA = {
    "type": "object",
    "required": ["id"],
    "properties": {"id": {"type": "string"}, "amount": {"type": "number"}, "endDate": {"type": "string"}},
}


@pytest.fixture
def commitment_types(db):
    for action in ("created", "updated", "deleted"):
        create_event_type(
            f"configuration.commitment.{action}", category="configuration", schema=COMMITMENT_SCHEMA
        )


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def commit(account, commitment_id: str, end_date: str | None, *, action: str = "created", **extra):
    payload = {"id": commitment_id, "amount": 100, **extra}
    if end_date is not None:
        payload["endDate"] = end_date
    return publish(account, f"configuration.commitment.{action}", payload).event


def days(n: float) -> timedelta:
    return timedelta(days=n)


def now() -> datetime:
    return timezone.now()
