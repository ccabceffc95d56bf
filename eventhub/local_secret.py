"""The development secret key: generated once per installation and kept in var/ (mode 0600), so no
shared public key exists and restarts keep sessions, API-key digests and encrypted secrets valid."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path


def load_or_create(path: Path) -> str:
    """Read the key at `path`, creating it atomically if missing (several processes may start at once:
    the first hard link wins and every process reads the same key)."""
    for _ in range(50):
        try:
            key = path.read_text().strip()
        except FileNotFoundError:
            key = ""
        if key:
            return key
        if not path.exists():
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
            continue
        time.sleep(0.05)
    raise RuntimeError(f"could not read or create the secret key file {path}")
