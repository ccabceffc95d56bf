"""A fast yes for schema validation: jsonschema-rs (compiled, ~0.2 µs a payload against jsonschema's ~10 µs)
answers "valid?" for schemas built only from keywords on which the two libraries agree for JSON values; a
payload it accepts has no schema errors, and any other payload goes to jsonschema, which stays the one
source of error messages and paths. In a batch of 500 events, jsonschema was about a quarter of the web
process's Python (docs/performance.md, "Ninth round").

Agreement is tested (tests/eventhub/test_fast_schema.py): on every catalog schema and on generated JSON, a
payload jsonschema-rs accepts is one jsonschema accepts. The keywords left out (`pattern` with its two
regex dialects, `$ref` with its retrieval, numeric `const`/`enum` with their equality rules, the
combinators, a `$schema` other than this draft's at the root) keep the jsonschema path, and jsonschema-rs
never fetches anything (`offline`).
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs

# Annotations: no effect on validity in either library (formats are not asserted by either, as configured).
_ANNOTATIONS = frozenset({"$comment", "title", "description", "examples", "default", "deprecated", "format"})
# `$schema` only at the root and only this draft's: jsonschema switches drafts at a nested `$schema` (draft 3
# reads `type` and `required` differently) and jsonschema-rs would fetch a meta-schema it does not know.
_DRAFT_2020_12 = frozenset(
    {"https://json-schema.org/draft/2020-12/schema", "https://json-schema.org/draft/2020-12/schema#"}
)
_COUNTS = frozenset({"minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems"})
_TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})


def fast_validator(schema: Any) -> jsonschema_rs.Draft202012Validator | None:
    """A compiled validator when every keyword of `schema` is one the two libraries read alike, else None."""
    if isinstance(schema, dict) and "$schema" in schema:
        if not (isinstance(schema["$schema"], str) and schema["$schema"] in _DRAFT_2020_12):
            return None
        schema = {keyword: value for keyword, value in schema.items() if keyword != "$schema"}
    try:
        if not _agreed(schema):
            return None
        # offline: no retrieval of any kind, whatever the schema says (it is written by account users).
        return jsonschema_rs.Draft202012Validator(schema, validate_formats=False, offline=True)
    except Exception:  # too deep to walk, or a schema jsonschema-rs will not compile: the jsonschema path
        return None


def accepts(validator: jsonschema_rs.Draft202012Validator, payload: Any) -> bool:
    """True only when the payload is valid; False also when jsonschema-rs cannot say (jsonschema decides)."""
    try:
        return validator.is_valid(payload)
    except Exception:  # a value it cannot convert (e.g. a number beyond its range): let jsonschema judge
        return False


def _agreed(schema: Any) -> bool:
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict):
        return False
    for keyword, value in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        if keyword in _COUNTS:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif keyword == "type":
            names = value if isinstance(value, list) else [value]
            ok = bool(names) and all(isinstance(name, str) and name in _TYPES for name in names)
        elif keyword == "required":
            ok = isinstance(value, list) and all(isinstance(name, str) for name in value)
        elif keyword == "properties":
            ok = isinstance(value, dict) and all(_agreed(sub) for sub in value.values())
        elif keyword in ("items", "additionalProperties"):
            ok = _agreed(value)
        elif keyword == "const":
            ok = _plain(value)
        elif keyword == "enum":
            ok = isinstance(value, list) and all(_plain(item) for item in value)
        else:
            ok = False
        if not ok:
            return False
    return True


def _plain(value: Any) -> bool:
    """Values whose equality the two libraries define alike (a number's would be 1 == 1.0 vs true == 1)."""
    return value is None or isinstance(value, str | bool)
