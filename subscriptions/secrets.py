"""Signing secrets: `whsec_` + base64(32 random bytes), encrypted at rest under EVENTHUB_ENCRYPTION_KEYS.

The keys form a MultiFernet: the first encrypts, every key decrypts, so a new key is put first, the
stored secrets are moved to it (`manage.py rotate_encryption_key`), then the old key is removed. Values
written before these settings existed were encrypted with a key stretched from
EVENTHUB_SECRET_ENCRYPTION_KEY (or SECRET_KEY); that key stays a decrypt-only legacy key.
"""

from __future__ import annotations

import base64
import hashlib
import os
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

SECRET_PREFIX = "whsec_"
UNDECRYPTABLE = "signing secret cannot be decrypted with any EVENTHUB_ENCRYPTION_KEYS key"


class SecretUndecryptable(RuntimeError):
    """A stored secret that none of the configured keys (nor the legacy key) decrypts."""

    def __init__(self, what: str = "signing secret"):
        super().__init__(UNDECRYPTABLE.replace("signing secret", what, 1))


def new_signing_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(os.urandom(32)).decode()


def legacy_key(passphrase: str) -> bytes:
    """The sha256-stretched Fernet key the hub used before EVENTHUB_ENCRYPTION_KEYS."""
    digest = hashlib.sha256(("eventhub-secrets:" + passphrase).encode()).digest()
    return base64.urlsafe_b64encode(digest)


@lru_cache(maxsize=8)
def _keyring(keys: tuple[str, ...], legacy: str) -> tuple[Fernet, MultiFernet]:
    fernets = [Fernet(key.encode()) for key in keys]
    return fernets[0], MultiFernet([*fernets, Fernet(legacy_key(legacy))])


def _keys() -> tuple[Fernet, MultiFernet]:
    """(the encrypting key, all decrypting keys), rebuilt only when the settings change (tests override them)."""
    return _keyring(tuple(settings.EVENTHUB_ENCRYPTION_KEYS), settings.EVENTHUB_SECRET_ENCRYPTION_KEY)


def encrypt_secret(secret: str) -> str:
    return _keys()[0].encrypt(secret.encode()).decode()


def decrypt_secret(ciphertext: str, what: str = "signing secret") -> str:
    try:
        return _decrypted(_keys()[1], ciphertext)
    except InvalidToken as exc:
        raise SecretUndecryptable(what) from exc


@lru_cache(maxsize=4096)
def _decrypted(keyring: MultiFernet, ciphertext: str) -> str:
    """The delivery loop decrypts its subscriptions' secrets on every claim (an HMAC and an AES pass
    each); a ciphertext always decrypts to the same secret under the same keys, so once per process
    will do. A failure is not cached."""
    return keyring.decrypt(ciphertext.encode()).decode()


def reencrypt_secret(ciphertext: str, what: str = "signing secret") -> str | None:
    """The value encrypted under the first key, or None when it already is (nothing to write)."""
    primary, keyring = _keys()
    try:
        primary.decrypt(ciphertext.encode())
        return None
    except InvalidToken:
        pass
    try:
        return keyring.rotate(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise SecretUndecryptable(what) from exc
