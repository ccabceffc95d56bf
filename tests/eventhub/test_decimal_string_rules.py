"""The utility-data pack carries money as decimal strings; its schemas mark them `"format": "decimal"`, so a
rule such as `new.totalCharges > 1000` compares numbers, tested on the pack's own example payloads."""

from __future__ import annotations

import copy

import pytest

from eventhub.catalog.packs import numeric_string_paths, read_pack, rule_fields
from eventhub.models import Event
from eventhub.rules.evaluator import decimal_value
from eventhub.rules.expression import compile_calculation
from eventhub.services.catalog import load_packs
from eventhub.services.ingest import publish
from eventhub.services.rules import create_rule

pytestmark = pytest.mark.django_db
PACK = read_pack("utility_data")
EXAMPLE = {spec.name: spec.example for spec in PACK.event_types}  # totalCharges "1939.29"


def _notifications(account, code: str) -> list[Event]:
    return list(
        Event.objects.filter(account=account, event_type__in=[f"notification.{code}@{account.token}"])
    )


@pytest.mark.parametrize("event_name", ["document.created", "document.updated"])
def test_a_money_threshold_rule_fires_on_the_packs_own_example(acme, event_name):
    load_packs(["utility_data"])
    create_rule(
        acme.account,
        name="Big bill",
        code="big_bill",
        event_name=event_name,
        calculation="new.totalCharges > 1000",
    )
    create_rule(
        acme.account,
        name="Huge bill",
        code="huge_bill",
        event_name=event_name,
        calculation="new.totalCharges > 5000",
    )
    create_rule(
        acme.account,
        name="Tax share",
        code="tax_share",
        event_name=event_name,
        calculation="(new.taxCharges * 100) / new.totalCharges >= 4.9 AND new.currentCharges + new.taxCharges == 1939.29",
    )
    publish(acme.account, event_name, EXAMPLE[event_name])
    assert len(_notifications(acme.account, "big_bill")) == 1
    assert _notifications(acme.account, "huge_bill") == []
    assert len(_notifications(acme.account, "tax_share")) == 1


def test_the_schema_marks_the_examples_amounts_numeric_and_leaves_other_strings_alone():
    schema = next(s.schema for s in PACK.event_types if s.name == "document.created")
    paths = numeric_string_paths(schema)
    assert {("totalCharges",), ("currentCharges",), ("taxCharges",)} <= paths
    assert ("id",) not in paths and ("invoiceId",) not in paths
    fields = rule_fields(schema, EXAMPLE["document.created"])
    assert fields["totalCharges"] == "number" and fields["id"] == "string"


def test_without_the_numeric_mark_a_decimal_string_is_not_a_number():
    calculation = compile_calculation("new.totalCharges > 1000")
    payload = copy.deepcopy(EXAMPLE["document.created"])
    assert calculation.is_true(payload, None) is False
    assert calculation.is_true(payload, None, frozenset({("totalCharges",)})) is True
    payload["totalCharges"] = "n/a"  # not a decimal: null, so the comparison is false rather than an error
    assert calculation.is_true(payload, None, frozenset({("totalCharges",)})) is False


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1939.29", 1939.29),
        ("0.00", 0.0),
        ("-12", -12),
        (" 42 ", 42),
        ("1e3", 1000.0),
        ("12abc", None),
        ("", None),
        ("9" * 101, None),
    ],
)
def test_decimal_strings_become_numbers_and_anything_else_null(text, value):
    assert decimal_value(text) == value
