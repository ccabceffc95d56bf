"""Opaque, unique, roughly time-ordered public identifiers with a type prefix (acct_, evt_, ep_, ...)."""

from __future__ import annotations

import base64
import os
import time

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_FROM_RFC4648 = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _CROCKFORD)
_BYTE_TO_DIGIT = bytes(ord(_CROCKFORD[byte % 32]) for byte in range(256))


def new_token(prefix: str) -> str:
    """ULID-style: 48-bit millisecond time + 80 random bits, base32; sortable by creation time."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    # 20 bytes = 32 base32 digits, 5 bits each from the top: the last 26 carry the low 130 bits.
    digits = base64.b32encode(value.to_bytes(20, "big")).decode("ascii")[6:]
    return f"{prefix}_{digits.translate(_FROM_RFC4648)}"


def new_tokens(prefix: str, count: int) -> list[str]:
    """`count` tokens at once, for bulk inserts that skip model instances. Same layout as new_token: the
    first 10 digits are the millisecond stamp, the last 16 the 80 random bits, here drawn as 16 random
    bytes each reduced to 5 bits by one C-level translate (256 is a multiple of 32: still uniform)."""
    stamp = _stamp_digits(int(time.time() * 1000))
    digits = os.urandom(16 * count).translate(_BYTE_TO_DIGIT).decode("ascii")
    return [f"{prefix}_{stamp}{digits[offset : offset + 16]}" for offset in range(0, 16 * count, 16)]


def _stamp_digits(milliseconds: int) -> str:
    return (
        base64.b32encode((milliseconds << 80).to_bytes(20, "big"))
        .decode("ascii")[6:16]
        .translate(_FROM_RFC4648)
    )


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
