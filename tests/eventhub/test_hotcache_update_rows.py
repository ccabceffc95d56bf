"""`hotcache.update_rows`: a bulk update of memoised rows (which sends no signal) forgets the memo, now and
when the transaction commits, so this process's next read sees the change; an update that changed
nothing keeps it."""

from __future__ import annotations

import pytest

from eventhub import hotcache
from eventhub.models import EventType

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_memo(monkeypatch, settings):
    settings.EVENTHUB_HOT_CACHE_SECONDS = 1.0
    monkeypatch.setattr("eventhub.hotcache._clock", lambda: 1000.0)  # no expiry mid-test
    hotcache.clear()


def _archived(name: str) -> bool:
    return hotcache.get(("test-archived", name), lambda: EventType.objects.get(name=name).archived)


def test_an_update_that_changes_rows_is_seen_at_once(event_types):
    assert _archived("card.shipped") is False
    rows = EventType.objects.filter(name="card.shipped", archived=False)
    assert hotcache.update_rows(rows, archived=True) == 1
    assert _archived("card.shipped") is True


def test_an_update_that_changes_nothing_keeps_the_memo(event_types, django_assert_num_queries):
    assert _archived("card.shipped") is False
    assert hotcache.update_rows(EventType.objects.filter(name="no.such.type"), archived=True) == 0
    with django_assert_num_queries(0):
        assert _archived("card.shipped") is False
