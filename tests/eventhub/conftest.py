"""Fixtures shared by the eventhub tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def redis_round_trips(monkeypatch) -> list[bytes]:
    """Every command batch the process writes to Redis (a spy on the real connection: the real Redis answers)."""
    from redis.connection import Connection

    sent: list[bytes] = []
    original = Connection.send_packed_command

    def spy(self, command, check_health=True):
        sent.append(command)
        return original(self, command, check_health)

    monkeypatch.setattr(Connection, "send_packed_command", spy)
    return sent
