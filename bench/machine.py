"""How fast the machine ran during a benchmark. Ratios compare code that shares the run's cores, but the
latency floors are in milliseconds, and this VM has run the same code at half its usual speed within an
hour (docs/performance.md): each run records a fixed Python loop's time at its start and end, and the
share of CPU time the hypervisor took (steal), so a reader can tell a slow machine from slow code."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

PROC_STAT = Path("/proc/stat")
_LOOP_SIZE = 1_000_000


def loop_ms(rounds: int = 3, size: int = _LOOP_SIZE) -> float:
    """The best of `rounds` timings of a fixed pure-Python loop, in ms (lower is faster)."""
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        total = 0
        for i in range(size):
            total += i * i % 7
        best = min(best, (time.perf_counter() - began) * 1000)
    return best


def steal_and_total(stat_text: str) -> tuple[int, int] | None:
    """(steal ticks, all ticks) from the aggregate `cpu` line of /proc/stat's text; None without one."""
    for line in stat_text.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            ticks = [int(value) for value in fields[1:]]
            # user nice system idle iowait irq softirq steal guest guest_nice: guests are already in user
            return (ticks[7] if len(ticks) > 7 else 0), sum(ticks[:8])
    return None


def _read_ticks() -> tuple[int, int] | None:
    try:
        return steal_and_total(PROC_STAT.read_text())
    except OSError:  # not Linux
        return None


def steal_percent(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    if before is None or after is None or after[1] <= before[1]:
        return None
    return 100 * (after[0] - before[0]) / (after[1] - before[1])


@dataclass
class MachineReading:
    loop_ms_start: float
    ticks_start: tuple[int, int] | None
    loop_ms_end: float | None = None
    steal_percent: float | None = None

    @classmethod
    def start(cls) -> MachineReading:
        return cls(loop_ms(), _read_ticks())

    def finish(self) -> None:
        self.loop_ms_end = loop_ms()
        self.steal_percent = steal_percent(self.ticks_start, _read_ticks())

    def summary(self) -> str:
        end = "?" if self.loop_ms_end is None else f"{self.loop_ms_end:.0f}"
        steal = "unknown" if self.steal_percent is None else f"{self.steal_percent:.1f} %"
        return (
            f"machine: a fixed Python loop took {self.loop_ms_start:.0f} ms at the start and {end} ms at "
            f"the end (lower is faster); CPU stolen by the hypervisor during the run: {steal}"
        )

    def as_dict(self) -> dict:
        return {
            "loop_ms_start": self.loop_ms_start,
            "loop_ms_end": self.loop_ms_end,
            "steal_percent": self.steal_percent,
        }
