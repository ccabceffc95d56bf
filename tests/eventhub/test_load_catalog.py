"""`manage.py load_catalog` loads every pack idempotently and ingest accepts every pack's example."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from eventhub.catalog.packs import available_packs, read_pack
from eventhub.models import EventType
from eventhub.services.ingest import publish

pytestmark = pytest.mark.django_db


def test_load_catalog_twice_changes_nothing_the_second_time():
    out = StringIO()
    call_command("load_catalog", stdout=out)
    total = sum(len(read_pack(name).event_types) for name in available_packs())
    assert EventType.objects.count() == total
    again = StringIO()
    call_command("load_catalog", stdout=again)
    assert " 0 created, 0 updated" in again.getvalue()
    assert EventType.objects.count() == total


def test_load_named_pack_only_and_refuse_unknown_ones():
    call_command("load_catalog", "hub", stdout=StringIO())
    assert set(EventType.objects.values_list("source_pack", flat=True)) == {"hub"}
    with pytest.raises(CommandError, match="Unknown pack"):
        call_command("load_catalog", "nope", stdout=StringIO())


def test_every_example_is_accepted_by_ingest(acme):
    call_command("load_catalog", stdout=StringIO())
    for event_type in EventType.objects.all():
        result = publish(acme.account, event_type.name, event_type.example)
        assert result.event.schema_errors is None, (event_type.name, result.event.schema_errors)
