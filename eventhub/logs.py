"""Log formatting: `EVENTHUB_LOG_FORMAT=json` writes one JSON object per line with the record's
structured fields (`extra={"account": ..., "subscription": ..., "message": ..., "event": ...}`).

Callers pass tokens and outcomes only: never a secret or a payload body.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def event(logger: logging.Logger, level: int, name: str, **fields) -> None:
    """One structured log line: `name` is the message, `fields` its data (tokens, statuses, counts)."""
    if logger.isEnabledFor(level):
        text = name + "".join(f" {k}={v}" for k, v in fields.items() if v is not None)
        logger.log(
            level,
            text,
            extra={"event_name": name, **{f"eh_{k}" if k in _STANDARD else k: v for k, v in fields.items()}},
        )
