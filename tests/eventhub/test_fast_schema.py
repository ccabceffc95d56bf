"""jsonschema-rs may only say "valid" where jsonschema agrees (eventhub/services/fast_schema.py): checked on
every catalog schema with its example and typed variants of it, and on generated JSON."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from eventhub.catalog.packs import read_all_packs
from eventhub.services.fast_schema import accepts, fast_validator

CATALOG = [t for pack in read_all_packs() for t in pack.event_types if t.schema]
# JSON values of every kind, including the number edges: 1 vs 1.0, true vs 1, beyond 64 bits.
VALUES = [
    None,
    True,
    False,
    0,
    1,
    1.0,
    -5,
    2.5,
    2**70,
    -(2**64),
    "",
    "x",
    "2026-12-05T10:00:00Z",
    [],
    [1, "a"],
]
VALUES += [[1.0, 2], {}, {"x": 1}, {"nested": {"deep": [None]}}]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _valid(schema: dict, payload) -> bool:
    return not list(Draft202012Validator(schema).iter_errors(payload))


def _variants(example: dict):
    """The example, each key dropped, and each key's value replaced by every value of VALUES."""
    yield example
    for key in example:
        dropped = {k: v for k, v in example.items() if k != key}
        yield dropped
        for value in VALUES:
            yield {**example, key: copy.deepcopy(value)}


def test_every_catalog_schema_takes_the_fast_path():
    """Otherwise the speed-up would not reach the shipped catalog (and the agreement tests would test nothing)."""
    missing = [t.name for t in CATALOG if fast_validator(t.schema) is None]
    assert not missing


@pytest.mark.parametrize("spec", CATALOG, ids=lambda t: t.name)
def test_on_catalog_schemas_a_fast_yes_is_a_jsonschema_yes(spec):
    fast = fast_validator(spec.schema)
    accepted = 0
    for payload in _variants(spec.example):
        if accepts(fast, payload):
            accepted += 1
            assert _valid(spec.schema, payload), payload
        else:  # only a slower path, but the two should agree on JSON values: say where they do not
            assert not _valid(spec.schema, payload), payload
    assert accepted  # the example itself at least


SCHEMAS = [
    {
        "type": "object",
        "required": ["a"],
        "properties": {"a": {"type": ["string", "null"]}, "n": {"type": "integer"}},
    },
    {"type": "array", "items": {"type": "number", "minimum": 0, "maximum": 10}, "minItems": 1, "maxItems": 3},
    {"type": "object", "properties": {"k": {"enum": ["x", None, True]}, "c": {"const": False}}},
    {"type": "object", "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 3}},
    {
        "type": "object",
        "additionalProperties": False,
        "properties": {"id": {"type": "string", "format": "uuid"}},
    },
]


@pytest.mark.parametrize("schema", SCHEMAS)
@settings(max_examples=150, deadline=None)
@given(payload=json_values)
def test_on_generated_json_a_fast_yes_is_a_jsonschema_yes(schema, payload):
    fast = fast_validator(schema)
    assert fast is not None
    if accepts(fast, payload):
        assert _valid(schema, payload)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "pattern": "^\\d+$"},  # two regex dialects
        {"$ref": "https://example.com/schema.json"},  # retrieval
        {"const": 1},  # number equality: 1 == 1.0, true != 1
        {"enum": ["a", 2]},
        {"anyOf": [{"type": "string"}]},
        {"properties": {"a": {"pattern": "x"}}},  # nested too
        {"items": [{"type": "string"}]},  # 2020-12 reads an array here differently
        {"type": "decimal"},
        {"minimum": True},
        # A nested `$schema` switches jsonschema's draft: under draft 3, 1.0 is no integer and
        # `required` is a boolean of the property (found by review: jsonschema-rs stayed on 2020-12).
        {"properties": {"a": {"$schema": "http://json-schema.org/draft-03/schema#", "type": "integer"}}},
        {"items": {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "integer"}},
        # A meta-schema jsonschema-rs does not know: it would fetch it (and obey its vocabularies).
        {"$schema": "http://127.0.0.1:9/meta", "type": "string"},
        {"$schema": "http://json-schema.org/draft-07/schema#", "type": "string"},
        {"$schema": {"not": "a string"}, "type": "string"},
    ],
)
def test_schemas_with_other_keywords_keep_the_jsonschema_path(schema):
    assert fast_validator(schema) is None


def test_the_root_may_name_this_draft():
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "string"}
    fast = fast_validator(schema)
    assert fast is not None and accepts(fast, "a") and not accepts(fast, 1)


def test_a_schema_too_deep_to_walk_keeps_the_jsonschema_path():
    schema: dict = {"type": "integer"}
    for _ in range(5000):
        schema = {"items": schema}
    assert fast_validator(schema) is None


def test_a_value_it_cannot_read_is_left_to_jsonschema():
    fast = fast_validator({"type": "number"})
    assert accepts(fast, 1.5)
    assert not accepts(fast, float("nan"))  # JSON has no NaN; jsonschema would call it a number
    assert _valid({"type": "number"}, float("nan"))
