"""Operational figures that higher apps contribute to /readyz and /metrics without eventhub importing
them (layering): deliveries registers "oldest due age" and friends in its AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Callable

# name -> function returning a number, evaluated on each scrape / readiness request (cheap, indexed reads).
_figures: dict[str, Callable[[], float]] = {}


def register_figure(name: str, compute: Callable[[], float]) -> None:
    _figures[name] = compute


def figures() -> dict[str, float | None]:
    """Every registered figure; one that cannot be computed (database down) is None, never an error."""
    values: dict[str, float | None] = {}
    for name, compute in _figures.items():
        try:
            values[name] = compute()
        except Exception:  # reporting must not fail because one figure could not be read
            values[name] = None
    return values
