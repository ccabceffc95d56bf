"""A worker freezes its start-up objects once ready, so the garbage collector's full passes stop walking
them (eventhub/gc_freeze.py); the setting turns it off. A real worker doing it is in
tests/e2e/test_worker_status.py."""

from __future__ import annotations

import gc

import pytest

from eventhub import celery as celery_module
from eventhub.gc_freeze import freeze_startup_objects


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process keeps collecting everything, as before


def test_freezing_moves_the_surviving_objects_out_of_the_collectors_generations(unfrozen):
    kept = [object() for _ in range(1000)]  # survivors: frozen, not collected
    tracked_before = len(gc.get_objects())
    frozen = freeze_startup_objects()
    assert frozen == gc.get_freeze_count() > 1000
    assert len(gc.get_objects()) < tracked_before - 1000  # what a full pass walks shrank by the frozen
    assert kept  # still alive


def test_the_worker_signal_freezes_unless_the_setting_is_off(unfrozen, settings):
    settings.EVENTHUB_GC_FREEZE = False
    celery_module._freeze_startup_objects(sender=None)
    assert gc.get_freeze_count() == 0
    settings.EVENTHUB_GC_FREEZE = True
    celery_module._freeze_startup_objects(sender=None)
    assert gc.get_freeze_count() > 0
