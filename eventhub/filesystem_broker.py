"""The embedded broker (no CELERY_BROKER_URL): kombu's filesystem transport, with message files that
appear whole.

kombu writes a message by creating its file in the queue folder and then writing into it, and a
consumer does not take the writer's lock: one polling in between moves the still-empty file away, reads
nothing, and its worker dies on the JSON error (seen with two workers in tests/e2e/test_leases_e2e.py).
Here a message is written under a name no consumer takes and renamed into place; `os.replace` within
one folder is atomic, so a consumer sees no file or the whole file. `register()` (called where the Celery
app is made) points kombu's `filesystem` URL scheme here, so every process using `filesystem://` gets it,
and a Celery connection to another URL (a health check's, a test's) still gets its own scheme's transport."""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu import transport
from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

PARTIAL_SUFFIX = ".partial"  # consumers take only names ending in ".<queue>.msg"


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        path = os.path.join(self.data_folder_out, name)
        try:
            with open(path + PARTIAL_SUFFIX, "wb") as partial:
                partial.write(str_to_bytes(dumps(payload)))
            os.replace(path + PARTIAL_SUFFIX, path)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {path!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel


def register() -> None:
    """`filesystem://` means this transport from now on (before any connection resolves the scheme)."""
    transport.TRANSPORT_ALIASES["filesystem"] = f"{__name__}:Transport"
