"""A worker freezes its start-up objects (before a prefork pool forks, and once ready), so the garbage
collector's full passes stop walking them (eventhub/gc_freeze.py); the setting turns it off. A real
worker doing it is in tests/e2e/test_worker_status.py."""

from __future__ import annotations

import gc
import weakref

import pytest

from eventhub import celery as celery_module
from eventhub.gc_freeze import freeze_startup_objects


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process keeps collecting everything, as before


class _Node:
    pass


def test_freezing_moves_the_surviving_objects_out_of_the_collectors_generations(unfrozen):
    kept = [[] for _ in range(1000)]  # tracked containers that survive: frozen, not walked again
    assert all(gc.is_tracked(item) for item in kept)
    tracked_before = len(gc.get_objects())
    frozen = freeze_startup_objects()
    # The count only falls after the freeze, as frozen objects are freed (a CI run saw 1 go while logging).
    assert frozen > 1000 and 0 <= frozen - gc.get_freeze_count() < 100
    assert len(gc.get_objects()) < tracked_before - 1000  # what a full pass walks shrank by the frozen


def test_a_cycle_made_after_the_freeze_is_still_collected(unfrozen):
    freeze_startup_objects()
    node = _Node()
    node.self = node  # a reference cycle: only the collector frees it
    alive = weakref.ref(node)
    del node
    gc.collect()
    assert alive() is None


def test_a_forked_child_freezes_without_collecting(unfrozen):
    garbage = _Node()
    garbage.self = garbage
    alive = weakref.ref(garbage)
    del garbage
    assert freeze_startup_objects(collect=False) > 0
    assert alive() is not None  # not collected first: frozen with the rest, as inherited pages stay shared


def test_the_worker_signals_freeze_unless_the_setting_is_off(unfrozen, settings):
    settings.EVENTHUB_GC_FREEZE = False
    celery_module._freeze_startup_objects(sender=None)
    celery_module._freeze_in_a_child(sender=None)
    assert gc.get_freeze_count() == 0
    settings.EVENTHUB_GC_FREEZE = True
    celery_module._freeze_in_a_child(sender=None)
    assert gc.get_freeze_count() > 0
    gc.unfreeze()
    celery_module._freeze_startup_objects(sender=None)
    assert gc.get_freeze_count() > 0
