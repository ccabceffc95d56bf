"""Inclusive sampled time per request of the functions on the publish path, from the collapsed stacks
`EVENTHUB_BENCH_PROFILE_DIR` makes py-spy write (`python -m bench.profile_summary FILE REQUESTS`), so
before/after profiles compare as the table in docs/performance.md does."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

SAMPLE_MS = 1000 / 200  # py-spy -r 200 (bench/common.py)
PUBLISH_PATH = (
    "WSGIHandler.__call__",
    "close_if_health_check_failed",
    "APIView.dispatch",
    "ApiKeyAuthentication.authenticate",
    "APIView.check_throttles",
    "EventListView.post",
    "publish_batch",
    "record_events",
    "bulk_insert",
    "create_messages",
    "Atomic.__exit__",
    "kick (deliveries",
    "CoalescingKicker._run",
    "Response.rendered_content",
    "Connection.wait",
    "Connection._exec_command",
)


def inclusive_samples(path: Path) -> tuple[Counter, int]:
    """Samples per frame (counted once per stack) and the total of request-handling samples."""
    counts: Counter = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit() or "WSGIHandler.__call__" not in stack and "CoalescingKicker" not in stack:
            continue
        total += int(count)
        for frame in set(stack.split(";")):
            counts[frame] += int(count)
    return counts, total


def summary(path: Path, requests: int) -> list[tuple[str, float]]:
    counts, _ = inclusive_samples(path)
    rows = []
    for name in PUBLISH_PATH:
        samples = sum(n for frame, n in counts.items() if name in frame)
        rows.append((name, samples * SAMPLE_MS / requests))
    outside = dict(rows)["WSGIHandler.__call__"] - dict(rows)["APIView.dispatch"]
    rows.insert(1, ("middleware and handler outside the view", outside))
    return rows


if __name__ == "__main__":
    for name, ms in summary(Path(sys.argv[1]), int(sys.argv[2])):
        print(f"{name:45} {ms:6.2f} ms/request")
