"""The catalog packs are data the hub trusts at load time: every pack must read cleanly and match its source."""

from __future__ import annotations

import copy
import importlib
import json
import typing
from pathlib import Path

import pydantic
import pytest
from jsonschema import Draft202012Validator
from lithic.types import Event as LithicEvent
from lithic.types.parsed_webhook_event import ParsedWebhookEvent

from eventhub.catalog.packs import (
    CATEGORIES,
    PACK_DIR,
    PackError,
    available_packs,
    read_all_packs,
    read_pack,
    rule_fields,
)

EXPECTED_PACKS = {"billing", "card_issuing", "fact_sheet", "hub", "integration_platform", "utility_data"}
LITHIC_EVENT_TYPES = typing.get_args(LithicEvent.model_fields["event_type"].annotation)


def _webhook_literals() -> set[str]:
    """Every event_type literal of the SDK's ParsedWebhookEvent union (the webhook bodies it parses)."""

    def literals(annotation: typing.Any) -> set[str]:
        if typing.get_origin(annotation) is typing.Literal:
            return {a for a in typing.get_args(annotation) if isinstance(a, str)}
        return set().union(*(literals(a) for a in typing.get_args(annotation)))  # Optional[Literal[...]]

    return set().union(
        *(literals(m.model_fields["event_type"].annotation) for m in typing.get_args(ParsedWebhookEvent))
    )


WEBHOOK_ONLY_TYPES = sorted(_webhook_literals() - set(LITHIC_EVENT_TYPES))


def lithic_webhook_model(event_type: str) -> typing.Any:
    """The SDK's webhook body model for a type: lithic.types.<type>_webhook_event.<Name>WebhookEvent."""
    module = importlib.import_module(f"lithic.types.{event_type.replace('.', '_')}_webhook_event")
    return getattr(module, module.__all__[0])


@pytest.fixture(scope="module")
def packs():
    return {pack.pack: pack for pack in read_all_packs()}


def test_every_shipped_pack_reads_cleanly(packs):
    assert set(available_packs()) == EXPECTED_PACKS
    assert set(packs) == EXPECTED_PACKS
    for pack in packs.values():
        assert pack.title and pack.description and pack.source
        assert pack.event_types


def test_event_type_names_are_unique_across_packs(packs):
    names = [spec.name for pack in packs.values() for spec in pack.event_types]
    assert len(names) == len(set(names))


def test_every_example_validates_against_its_own_schema(packs):
    for pack in packs.values():
        for spec in pack.event_types:
            assert spec.category in CATEGORIES
            if spec.schema is not None:
                Draft202012Validator.check_schema(spec.schema)
                errors = list(Draft202012Validator(spec.schema).iter_errors(spec.example))
                assert not errors, f"{pack.pack}/{spec.name}: {errors[0].message}"


def test_card_issuing_pack_has_the_sdk_event_types_and_the_webhook_only_ones(packs):
    names = [spec.name for spec in packs["card_issuing"].event_types]
    assert len(LITHIC_EVENT_TYPES) == 62
    assert WEBHOOK_ONLY_TYPES == [
        "card_authorization.approval_request",
        "digital_wallet.tokenization_approval_request",
        "three_ds_authentication.approval_request",
    ]
    assert sorted(names) == sorted([*LITHIC_EVENT_TYPES, *WEBHOOK_ONLY_TYPES])


@pytest.mark.parametrize("event_type", [*LITHIC_EVENT_TYPES, *WEBHOOK_ONLY_TYPES])
def test_card_issuing_example_parses_as_the_sdk_webhook_body(packs, event_type):
    spec = next(s for s in packs["card_issuing"].event_types if s.name == event_type)
    assert spec.example["event_type"] == event_type
    assert spec.schema_mode == "strict"
    pydantic.TypeAdapter(lithic_webhook_model(event_type)).validate_python(spec.example)


@pytest.mark.parametrize("event_type", WEBHOOK_ONLY_TYPES)
def test_webhook_only_card_types_reject_a_body_missing_a_field_the_sdk_requires(packs, event_type):
    spec = next(s for s in packs["card_issuing"].event_types if s.name == event_type)
    required = [key for key in spec.schema["required"] if key != "event_type"]
    assert required
    incomplete = {k: v for k, v in spec.example.items() if k != required[0]}
    assert list(Draft202012Validator(spec.schema).iter_errors(incomplete))
    with pytest.raises(pydantic.ValidationError):
        pydantic.TypeAdapter(lithic_webhook_model(event_type)).validate_python(incomplete)


def test_billing_entity_types_identify_the_entity_by_id(packs):
    billing = packs["billing"]
    entity_types = [
        s for s in billing.event_types if s.name.rsplit(".", 1)[-1] in ("created", "updated", "deleted")
    ]
    assert {"configuration.commitment.created", "billing.bill.deleted"} <= {s.name for s in entity_types}
    for spec in entity_types:
        assert "id" in spec.schema["required"], spec.name
        assert spec.example["id"]
    assert "ingest.validation_failure" not in {s.name for s in billing.event_types}
    assert "ingest.validation_failure" in {s.name for s in packs["hub"].event_types}


# ---------------------------------------------------------------------------- broken packs

GOOD_TYPE = {
    "name": "widget.created",
    "category": "configuration",
    "description": "A widget was created.",
    "schema": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
    "schema_mode": "strict",
    "example": {"id": "w1"},
}


def write_pack(directory: Path, name: str, event_types: list[dict]) -> None:
    body = {"pack": name, "source": "test", "title": "T", "description": "D", "event_types": event_types}
    (directory / f"{name}.json").write_text(json.dumps(body))


def broken(**changes) -> dict:
    spec = copy.deepcopy(GOOD_TYPE)
    spec.update(changes)
    return spec


@pytest.mark.parametrize(
    ("event_types", "message"),
    [
        ([broken(category="billingz")], "bad category 'billingz'"),
        ([broken(schema_mode="lenient")], "bad schema_mode"),
        ([broken(example={"id": 7})], "example does not match its schema at id"),
        ([broken(example={})], "example does not match its schema at (root)"),
        (
            [broken(schema={"type": "object", "properties": {"id": {"type": "strang"}}})],
            "invalid JSON Schema",
        ),
        ([GOOD_TYPE, GOOD_TYPE], "duplicate name"),
        ([broken(example=["not", "an", "object"])], "example must be a JSON object"),
        ([broken(shema={})], "unknown keys ['shema']"),
    ],
)
def test_broken_pack_raises_pack_error_naming_pack_and_type(tmp_path, event_types, message):
    write_pack(tmp_path, "widgets", event_types)
    with pytest.raises(PackError) as excinfo:
        read_pack("widgets", pack_dir=tmp_path)
    assert "pack 'widgets', event type 'widget.created'" in str(excinfo.value)
    assert message in str(excinfo.value)


@pytest.mark.parametrize("name", ["9lives", "widget..created", "widget.created!", "w" * 129])
def test_bad_event_type_name_is_rejected(tmp_path, name):
    write_pack(tmp_path, "widgets", [broken(name=name)])
    with pytest.raises(PackError, match="bad name"):
        read_pack("widgets", pack_dir=tmp_path)


def test_name_defined_in_two_packs_is_rejected(tmp_path):
    write_pack(tmp_path, "a_widgets", [GOOD_TYPE])
    write_pack(tmp_path, "b_widgets", [GOOD_TYPE])
    with pytest.raises(PackError, match="'widget.created': already defined in pack 'a_widgets'"):
        read_all_packs(pack_dir=tmp_path)


def test_unknown_or_malformed_pack_file(tmp_path):
    with pytest.raises(PackError, match="no such pack"):
        read_pack("missing", pack_dir=tmp_path)
    (tmp_path / "garbled.json").write_text('{"pack": "garbled",')
    with pytest.raises(PackError, match="pack 'garbled': invalid JSON"):
        read_pack("garbled", pack_dir=tmp_path)


def test_pack_dir_defaults_to_the_shipped_packs():
    assert PACK_DIR.name == "packs"
    assert (PACK_DIR / "billing.json").is_file()


# ---------------------------------------------------------------------------- rule fields


def test_rule_fields_flattens_nested_schema_and_falls_back_to_example():
    schema = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "amount": {"type": ["number", "null"]},
            "event_type": {"const": "contract.updated"},
            "terms": {
                "type": "object",
                "properties": {"end": {"type": ["string", "null"]}, "renewals": {"type": "integer"}},
            },
            "meta": {"type": "object"},
            "untyped": {},
        },
    }
    example = {
        "id": "c1",
        "amount": None,
        "terms": {"end": "2026-01-01", "renewals": 2, "notice": {"days": 30}},
        "meta": {"source": "api", "ratio": 0.5, "active": True},
        "untyped": [1, 2],
        "tags": ["a"],
    }
    assert rule_fields(schema, example) == {
        "id": "string",
        "amount": "number",
        "event_type": "string",
        "terms": "object",
        "terms.end": "string",
        "terms.renewals": "integer",
        "meta": "object",
        "untyped": "array",
        "terms.notice": "object",
        "terms.notice.days": "integer",
        "meta.source": "string",
        "meta.ratio": "number",
        "meta.active": "boolean",
        "tags": "array",
    }


def test_rule_fields_without_schema_uses_example_only():
    assert rule_fields(None, {"a": {"b": 1}}) == {"a": "object", "a.b": "integer"}
    assert rule_fields(None, None) == {}


def test_rule_fields_for_a_catalog_type(packs):
    spec = next(s for s in packs["billing"].event_types if s.name == "configuration.commitment.updated")
    fields = rule_fields(spec.schema, spec.example)
    assert fields["amount"] == "number"
    assert fields["amountSpent"] == "number"
    assert fields["endDate"] == "string"
    assert all(isinstance(v, str) for v in fields.values())
