"""CPU per process kind, every second, from /proc (Linux): where a benchmark's two cores go (web, worker,
PostgreSQL, Redis, the benchmark itself), printed as % of one core. Run it beside a scenario:

    python -m bench.cpu_split 120 > /tmp/cpu.log &  make bench BENCH_ARGS="--scenario ingest-single"

then divide a phase's web (or pg) % by its events/s for CPU per event (docs/performance.md)."""

from __future__ import annotations

import os
import sys
import time

KINDS = (  # first match wins
    ("pg", "postgres"),
    ("web", "gunicorn"),
    ("redis", "redis"),
    ("worker", "celery"),
    ("bench", "-m bench"),
)


def kind_of(command_line: str) -> str:
    return next((kind for kind, needle in KINDS if needle in command_line), "other")


def cpu_seconds_by_process() -> dict[int, tuple[str, float]]:
    """pid -> (kind, user+system CPU seconds so far) for every readable process."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                command_line = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        found[int(name)] = (kind_of(command_line), (int(fields[11]) + int(fields[12])) / ticks)
    return found


def split(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds per kind between two samples; a process first seen in `after` counts from zero."""
    totals: dict[str, float] = {}
    for pid, (kind, seconds) in after.items():
        totals[kind] = totals.get(kind, 0.0) + seconds - before.get(pid, (kind, 0.0))[1]
    return totals


def main(seconds: float) -> None:
    previous = cpu_seconds_by_process()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(1)
        current = cpu_seconds_by_process()
        totals = split(previous, current)
        previous = current
        if sum(totals.values()) > 0.3:  # idle seconds are left out
            cells = " ".join(f"{kind}={share * 100:4.0f}" for kind, share in sorted(totals.items()))
            print(time.strftime("%H:%M:%S"), cells, flush=True)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 120)
