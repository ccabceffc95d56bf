"""Opaque, unique, roughly time-ordered public identifiers with a type prefix (acct_, evt_, ep_, ...)."""
from __future__ import annotations

import os
import time

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def new_token(prefix: str) -> str:
    """ULID-style: 48-bit millisecond time + 80 random bits, base32; sortable by creation time."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return f"{prefix}_{''.join(reversed(chars))}"


# Named defaults for model fields (migrations need importable callables, one per prefix).
def account_token() -> str:
    return new_token("acct")


def api_key_id() -> str:
    return new_token("key")


def event_token() -> str:
    return new_token("evt")


def subscription_token() -> str:
    return new_token("ep")


def message_token() -> str:
    return new_token("msg")


def attempt_token() -> str:
    return new_token("atmpt")


def rule_token() -> str:
    return new_token("ntf")


def scheduled_config_token() -> str:
    return new_token("sched")


def integration_config_token() -> str:
    return new_token("intcfg")
