"""The embedded broker writes whole message files (eventhub/filesystem_broker.py): consumers polling
while producers write never take a file before its message is in it."""

from __future__ import annotations

import queue
import threading
import time

from kombu import Connection

from eventhub.filesystem_broker import Transport

MESSAGES, PRODUCERS, CONSUMERS = 1500, 3, 3


def _exchange(transport, folder) -> dict:
    """Every producer and consumer's own channel on one folder, as separate processes would have."""
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder), "store_processed": False}
    return {"transport": transport, "transport_options": options}


def _race(transport, folder) -> tuple[list, list]:
    """Producers put MESSAGES while consumers poll as fast as they can; what they read, what they failed on."""
    received, failures, done = [], [], threading.Event()

    def produce(start: int) -> None:
        with Connection("filesystem://", **_exchange(transport, folder)) as connection:
            channel = connection.default_channel
            for number in range(start, MESSAGES, PRODUCERS):
                channel._put("q", {"n": number})

    def consume() -> None:
        with Connection("filesystem://", **_exchange(transport, folder)) as connection:
            channel = connection.default_channel
            while len(failures) <= 20:
                try:
                    received.append(channel._get("q")["n"])
                except queue.Empty:
                    if done.is_set() and len(received) + len(failures) >= MESSAGES:
                        return
                except Exception as error:  # the race: an empty or half-written file
                    failures.append(repr(error))

    consumers = [threading.Thread(target=consume) for _ in range(CONSUMERS)]
    producers = [threading.Thread(target=produce, args=(i,)) for i in range(PRODUCERS)]
    for thread in consumers + producers:
        thread.start()
    for thread in producers:
        thread.join(60)
    done.set()
    deadline = time.monotonic() + 30
    for thread in consumers:
        thread.join(max(0.1, deadline - time.monotonic()))
    return received, failures


def test_consumers_polling_during_writes_read_every_message_whole(tmp_path):
    """With kombu's own transport (`_race(filesystem.Transport, ...)`) the same race failed with
    JSONDecodeError in 5 of 6 tries of three rounds each, checked by hand: a result too uncertain to
    assert in CI, and a test of kombu rather than of the hub."""
    received, failures = _race(Transport, tmp_path)
    assert failures == []
    assert sorted(received) == list(range(MESSAGES))


def test_filesystem_urls_use_the_transport_that_writes_whole_files(tmp_path):
    with Connection("filesystem://", **_exchange(None, tmp_path)) as connection:
        assert isinstance(connection.transport, Transport)
    with Connection("redis://127.0.0.1:1/0") as other:  # other schemes keep their own transport
        assert not isinstance(other.transport, Transport)
