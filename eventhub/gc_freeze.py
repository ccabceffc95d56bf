"""Keeping a worker's start-up objects out of the garbage collector's full passes.

What a worker imports and builds before it is ready (Django, Celery, DRF, the app: ~150,000 objects)
lives as long as the process, yet every full collection walks all of it. On the benchmark machine each
full pass held the GIL for 64-81 ms, three times in a short run and collecting nothing: every delivery
lane in the process stopped meanwhile, which was the p99 of publish -> receipt (docs/performance.md,
"Eighth round"). Frozen when the worker starts (and again once it is ready, for what its pool built),
they are never walked again; objects made later are collected as before, and a frozen full pass took
4-11 ms.
"""

from __future__ import annotations

import gc
import logging

logger = logging.getLogger(__name__)


def freeze_startup_objects(*, collect: bool = True) -> int:
    """Collect once (start-up garbage is not kept forever), then freeze what survived; returns how many
    objects the collector now leaves alone. A forked child passes `collect=False`: its parent froze before
    the fork, and a collection would write to every inherited object, copying the pages it shares."""
    if collect:
        gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    logger.info("froze %d start-up objects: full garbage collections no longer walk them", frozen)
    return frozen
