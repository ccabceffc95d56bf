"""Signing secrets: `whsec_` + base64(32 random bytes), encrypted at rest with a key from settings."""
from __future__ import annotations

import base64
import hashlib
import os

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

SECRET_PREFIX = "whsec_"


def new_signing_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(os.urandom(32)).decode()


def _fernet() -> Fernet:
    # Any configured string works: it is stretched to the 32-byte key Fernet needs.
    digest = hashlib.sha256(("eventhub-secrets:" + settings.EVENTHUB_SECRET_ENCRYPTION_KEY).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_secret(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt_secret(ciphertext: str) -> str:
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise RuntimeError("Cannot decrypt a signing secret: EVENTHUB_SECRET_ENCRYPTION_KEY changed?") from exc
