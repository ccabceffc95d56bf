"""Submission validation (DESIGN section 3): type known and live, payload an object within the size
limit, conforming to the type's JSON Schema in `strict` mode (recorded only in `warn` mode)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.conf import settings
from jsonschema import Draft202012Validator

from eventhub.models import EventType, SchemaMode
from eventhub.services.fast_schema import accepts, fast_validator

EVENT_TYPE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")
EVENT_TYPE_NAME_MAX = 128
IDEMPOTENCY_KEY_MAX = 255
ENTITY_EVENT = re.compile(
    r"^(?P<category>[a-z_]+)\.(?P<entity>[A-Za-z0-9_]+)\.(?P<action>created|updated|deleted)$"
)


class _Validators(NamedTuple):
    full: Draft202012Validator  # the errors' messages and paths
    fast: object | None  # a quick "valid" for the schemas it reads alike (eventhub/services/fast_schema.py)


_validators: dict[tuple[str, str], _Validators] = {}


@dataclass
class Verdict:
    """Outcome for one submission: `errors` reject it; `schema_warnings` are kept on the event."""

    errors: dict[str, list[str]] = field(default_factory=dict)
    payload: dict | None = None
    schema_warnings: list[dict] | None = None
    too_large: bool = False

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)


def entity_parts(event_type: EventType) -> tuple[str, str] | None:
    """(entity, action) when the type is an entity event: `<its category>.<entity>.<created|updated|deleted>`."""
    match = ENTITY_EVENT.match(event_type.name)
    if match is None or match["category"] != event_type.category:
        return None
    return match["entity"], match["action"]


def _validators_for(event_type: EventType) -> _Validators:
    key = (event_type.key, event_type.updated.isoformat() if event_type.updated else "")
    validators = _validators.get(key)
    if validators is None:
        if len(_validators) > 2000:
            _validators.clear()
        schema = event_type.schema
        validators = _validators[key] = _Validators(Draft202012Validator(schema), fast_validator(schema))
    return validators


def _schema_errors(event_type: EventType, payload: dict) -> list[dict]:
    validators = _validators_for(event_type)
    if validators.fast is not None and accepts(validators.fast, payload):
        return []
    errors = []
    for error in validators.full.iter_errors(payload):
        path = ".".join(str(p) for p in error.absolute_path)
        errors.append({"path": f"payload.{path}" if path else "payload", "message": error.message[:300]})
        if len(errors) >= 20:
            break
    return errors


def validate_submission(
    event_type_name: Any, payload: Any, event_type: EventType | None, idempotency_key: Any = None
) -> Verdict:
    verdict = Verdict()
    if not isinstance(event_type_name, str) or not event_type_name:
        verdict.add("event_type", "This field is required and must be a string.")
    elif event_type is None:
        verdict.add("event_type", f"Unknown event type {event_type_name[:EVENT_TYPE_NAME_MAX]!r}.")
    elif event_type.archived:
        verdict.add("event_type", f"Event type {event_type.name!r} is archived.")
    if idempotency_key is not None and (
        not isinstance(idempotency_key, str) or not 0 < len(idempotency_key) <= IDEMPOTENCY_KEY_MAX
    ):
        verdict.add("idempotency_key", f"Must be a string of 1 to {IDEMPOTENCY_KEY_MAX} characters.")
    if not isinstance(payload, dict):
        verdict.add("payload", "This field is required and must be a JSON object.")
        return verdict
    dumped = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    try:
        size = len(dumped.encode())
    except UnicodeEncodeError:
        verdict.add("payload", "Strings must be valid Unicode (no lone surrogates).")
        return verdict
    if size > settings.EVENTHUB_MAX_PAYLOAD_BYTES:
        verdict.too_large = True
        verdict.add(
            "payload", f"Payload is {size} bytes; the limit is {settings.EVENTHUB_MAX_PAYLOAD_BYTES}."
        )
        return verdict
    if "\\u0000" in dumped:
        verdict.add("payload", "Strings must not contain NUL (\\u0000) characters.")
        return verdict
    if payload.get("event_type", event_type_name) != event_type_name:
        verdict.add("payload.event_type", "Must equal event_type when present (the hub sets it).")
        return verdict
    if event_type is None or event_type.archived:
        return verdict
    # The delivered body is the payload with `event_type` inside (the card-issuing webhook shape).
    payload = verdict.payload = {**payload, "event_type": event_type.name}
    if entity_parts(event_type) is not None and not isinstance(payload.get("id"), (str, int)):
        verdict.add("payload.id", "Entity events need the entity's `id` (a string or an integer).")
    if event_type.schema:
        problems = _schema_errors(event_type, payload)
        if problems and event_type.schema_mode == SchemaMode.STRICT:
            for problem in problems:
                verdict.add(problem["path"], problem["message"])
        elif problems:
            verdict.schema_warnings = problems
    return verdict
