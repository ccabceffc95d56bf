"""Example-based tests for the notification-rule calculation language (pure Python, no Django)."""

from __future__ import annotations

import pytest

from eventhub.rules.expression import (
    MAX_LENGTH,
    CalculationSyntaxError,
    CalculationTooComplex,
    InvalidCalculation,
    compile_calculation,
)

DESIGN_EXAMPLE = (
    "(new.amountSpent >= ((new.amount*90)/100)) AND "
    "((old.amountSpent <= ((old.amount*90)/100)) OR (old.amountSpent == null))"
)


def ev(text: str, new: dict | None = None, old: dict | None = None) -> object:
    return compile_calculation(text).evaluate(new, old)


# --- the DESIGN example -------------------------------------------------------------------------


class TestDesignExample:
    calc = compile_calculation(DESIGN_EXAMPLE)

    def test_fires_when_crossing_90_percent(self) -> None:
        assert self.calc.is_true({"amount": 1000, "amountSpent": 910}, {"amount": 1000, "amountSpent": 850})

    def test_does_not_fire_on_next_update_above_90_percent(self) -> None:
        assert not self.calc.is_true(
            {"amount": 1000, "amountSpent": 950}, {"amount": 1000, "amountSpent": 910}
        )

    def test_does_not_fire_below_90_percent(self) -> None:
        assert not self.calc.is_true(
            {"amount": 1000, "amountSpent": 500}, {"amount": 1000, "amountSpent": 400}
        )

    def test_fires_on_created_event_already_above_90_percent(self) -> None:
        assert self.calc.is_true({"amount": 1000, "amountSpent": 950}, None)

    def test_fields(self) -> None:
        assert self.calc.fields == {"new.amountSpent", "new.amount", "old.amountSpent", "old.amount"}

    def test_float_amounts(self) -> None:
        assert self.calc.is_true(
            {"amount": 99.5, "amountSpent": 90.0}, {"amount": 99.5, "amountSpent": 10.25}
        )


# --- operators -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2", 3),
        ("5 - 7", -2),
        ("3 * 4", 12),
        ("7 / 2", 3.5),
        ("10 / 5", 2.0),
        ("7 % 3", 1),
        ("-7 % 3", -1),
        ("7 % -3", 1),
        ("7.5 % 2", 1.5),
        ("2 ^ 10", 1024),
        ("2 ^ 3 ^ 2", 512),
        ("-2 ^ 2", -4),
        ("(-2) ^ 2", 4),
        ("2 ^ -1", 0.5),
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 4 - 3", 3),
        ("64 / 4 / 2", 8.0),
        ("--3", 3),
        ("0.5 + 0.25", 0.75),
        ("1e3", 1000.0),
        (".5", 0.5),
        ("2.5E-1", 0.25),
        ("1 < 2", True),
        ("2 <= 2", True),
        ("3 > 4", False),
        ("4 >= 5", False),
        ("1 == 1.0", True),
        ("1 != 2", True),
        ("'a' < 'b'", True),
        ("'2024-01-02' > '2024-01-01'", True),
        ("true AND false", False),
        ("true and true", True),
        ("false OR true", True),
        ("false or false", False),
        ("NOT true", False),
        ("not false", True),
        ("true && !false", True),
        ("false || true", True),
        ("1 < 2 AND 2 < 3 OR false", True),
        ("NOT 1 == 2", True),
        ("NOT false AND false", False),
        ("true ? 1 : 2", 1),
        ("false ? 1 : 2", 2),
        ("false ? 1 : true ? 3 : 4", 3),
        ("1 > 0 ? 'yes' : 'no'", "yes"),
        ("'ab' + \"cd\"", "abcd"),
        ("'it\\'s'", "it's"),
        ('"a\\"b"', 'a"b'),
        ("'line\\nbreak'", "line\nbreak"),
        ("TRUE", True),
        ("False", False),
        ("NULL", None),
    ],
)
def test_operators(text: str, expected: object) -> None:
    result = ev(text)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("new.status IN ('ACTIVE', 'PENDING')", True),
        ("new.status in ('PENDING')", False),
        ("IN(new.status, 'ACTIVE', 'PENDING')", True),
        ("in(new.count, 1, 2, 3)", True),
        ("new.count IN (1.0)", False),
        ("new.count IN (3.0, 4)", True),
        ("new.missing IN (1, 2)", False),
        ("new.missing IN (1, null)", True),
        ("NOT new.status IN ('X')", True),
        ("new.count + 1 IN (4)", True),
        ("'3' IN (3)", False),
    ],
)
def test_in(text: str, expected: bool) -> None:
    assert ev(text, {"status": "ACTIVE", "count": 3}) is expected


# --- fields and null semantics -------------------------------------------------------------------


def test_nested_fields_and_missing_paths() -> None:
    new = {"terms": {"end": "2025-01-01", "limit": 10}, "name": "acme", "tags": ["a"]}
    assert ev("new.terms.end", new) == "2025-01-01"
    assert ev("new.terms.limit * 2", new) == 20
    assert ev("new.terms.missing", new) is None
    assert ev("new.name.first", new) is None  # not a dict: no attribute or index access
    assert ev("old.terms.end", new, None) is None
    assert ev("new.terms == null", new) is False
    assert ev("new.terms.end > old.terms.end", new, {"terms": {"end": "2024-12-31"}}) is True
    assert compile_calculation("NEW.a + Old.b").fields == {"new.a", "old.b"}


def test_python_internals_are_unreachable() -> None:
    class Sneaky(dict):
        secret = "x"

    assert ev("new.__class__", {}) is None
    assert ev("new.secret", Sneaky()) is None
    assert ev("new.items", {"a": 1}) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("null + 1", None),
        ("1 - null", None),
        ("null * 2", None),
        ("null / 2", None),
        ("-null", None),
        ("null ^ 2", None),
        ("null % 2", None),
        ("new.missing + 1", None),
        ("null > 1", False),
        ("null < 1", False),
        ("null >= null", False),
        ("1 <= null", False),
        ("null == null", True),
        ("new.missing == null", True),
        ("1 == null", False),
        ("null != 1", True),
        ("new.missing != null", False),
        ("0 == null", False),
        ("'' == null", False),
        ("false == null", False),
        ("null AND true", False),
        ("null OR true", True),
        ("null OR null", False),
        ("NOT null", True),
        ("null ? 1 : 2", 2),
        ("1 ? 1 : 2", 2),
        ("'yes' ? 1 : 2", 2),
        ("1 / 0", None),
        ("1 % 0", None),
        ("1.5 / 0.0", None),
        ("0 ^ -1", None),
        ("(-8) ^ 0.5", None),
        ("'a' + 1", None),
        ("1 + 'a'", None),
        ("'a' * 2", None),
        ("'a' - 'b'", None),
        ("true + 1", None),
        ("-true", None),
        ("1 == true", False),
        ("1 == '1'", False),
        ("true == true", True),
        ("'a' < 1", False),
        ("true < false", False),
    ],
)
def test_null_and_type_semantics(text: str, expected: object) -> None:
    result = ev(text)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize("text", ["1", "'true'", "null", "new.flag", "1 + 1", "new.missing"])
def test_only_exact_true_fires(text: str) -> None:
    assert compile_calculation(text).is_true({"flag": "true"}, None) is False


def test_json_containers_are_opaque() -> None:
    assert ev("new.a + 1", {"a": [1]}) is None
    assert ev("new.a == new.a", {"a": {"b": 1}}) is False
    assert ev("new.a != null", {"a": {"b": 1}}) is True


# --- functions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Math.max(1, 5, 3)", 5),
        ("Math.min(4, -2, 7.5)", -2),
        ("Math.max(2)", 2),
        ("Math.max(1, null)", None),
        ("Math.floor(2.7)", 2),
        ("Math.floor(-2.1)", -3),
        ("Math.ceil(2.1)", 3),
        ("Math.ceil(-2.7)", -2),
        ("Math.round(2.5)", 3),
        ("Math.round(2.4)", 2),
        ("Math.round(-2.5)", -2),
        ("Math.round(0.49999999999999994)", 0),
        ("Math.abs(-3)", 3),
        ("Math.abs(2.5)", 2.5),
        ("Math.abs('x')", None),
        ("Math.pow(2, 8)", 256),
        ("Math.pow(4, 0.5)", 2.0),
        ("Math.pow(null, 2)", None),
        ("math.MAX(1, 2)", 2),
        ("isnull(null, 5)", 5),
        ("isnull(3, 5)", 3),
        ("isnull(new.missing, 'x')", "x"),
        ("isnull(null, null)", None),
        ("Math.max(new.a, new.b) >= 10", True),
    ],
)
def test_functions(text: str, expected: object) -> None:
    result = ev(text, {"a": 3, "b": 10})
    assert result == expected and type(result) is type(expected)


# --- syntax errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("new.a > ", 8, "end of calculation"),
        ("(1 + 2", 6, "end of calculation"),
        ("new.a >> 3", 7, "Unexpected token '>'"),
        ("1 + 2)", 5, "Unexpected token ')'"),
        ("Math.foo(1)", 0, "Unknown function 'Math.foo'"),
        ("1 + eval(2)", 4, "Unknown function 'eval'"),
        ("amount > 3", 0, "Unknown name 'amount'"),
        ("new > 3", 0, "Unknown name 'new'"),
        ("new.a < 1 < 2", 10, "Unexpected token '<'"),
        ("new.a = 1", 6, "Unexpected character '='"),
        ("'abc", 0, "Unterminated string"),
        ("new.a ? 1", 9, "end of calculation"),
        ("Math.pow(1)", 0, "Wrong number of arguments to Math.pow()"),
        ("isnull(1, 2, 3)", 0, "Wrong number of arguments to isnull()"),
        ("Math.max()", 0, "Wrong number of arguments"),
        ("IN(1)", 0, "IN() needs a value"),
        ("1 IN ()", 6, "Unexpected token ')'"),
        ("1e999", 0, "out of range"),
        ("   ", 0, "empty"),
        ("new.a @ 2", 6, "Unexpected character '@'"),
    ],
)
def test_syntax_errors(text: str, position: int, fragment: str) -> None:
    with pytest.raises(CalculationSyntaxError) as info:
        compile_calculation(text)
    assert info.value.position == position
    assert fragment in str(info.value)
    assert isinstance(info.value, InvalidCalculation)


def test_error_message_format_and_line_column() -> None:
    with pytest.raises(CalculationSyntaxError) as info:
        compile_calculation("(new.a + 1) * ) 2")
    assert str(info.value) == "Unexpected token ')' at position 14"
    with pytest.raises(CalculationSyntaxError) as info:
        compile_calculation("new.a > 1 AND\n  new.b >> 2")
    assert (info.value.position, info.value.line, info.value.column) == (23, 2, 10)


def test_keywords_are_not_prefixes_of_names() -> None:
    assert ev("new.android == 1 AND new.or == 2", {"android": 1, "or": 2}) is True
    assert ev("new.notes IN ('x')", {"notes": "x"}) is True


# --- limits and pathological input ---------------------------------------------------------------


def test_ten_thousand_nested_parentheses_are_refused() -> None:
    text = "(" * 10_000 + "1" + ")" * 10_000
    with pytest.raises(CalculationTooComplex):
        compile_calculation(text)
    with pytest.raises(CalculationTooComplex, match="nested too deeply"):
        compile_calculation(text, max_length=10**6)  # the paren pre-scan, not just the length limit


def test_deep_nesting_without_parentheses_is_refused() -> None:
    for text in ["-" * 3000 + "1", "NOT " * 900 + "true", "2^" * 1500 + "2", "+".join(["1"] * 1500)]:
        with pytest.raises(CalculationTooComplex, match="nested too deeply"):
            compile_calculation(text)


def test_limits_are_overridable() -> None:
    compile_calculation("((1))", max_depth=2)
    with pytest.raises(CalculationTooComplex):
        compile_calculation("(((1)))", max_depth=2)
    with pytest.raises(CalculationTooComplex, match="too long"):
        compile_calculation("1 + 1", max_length=4)
    with pytest.raises(CalculationTooComplex, match="too large"):
        compile_calculation("Math.max(1, 2, 3, 4, 5)", max_nodes=5)
    with pytest.raises(CalculationTooComplex, match="Too many arguments"):
        compile_calculation("Math.max(1, 2, 3)", max_args=2)
    with pytest.raises(CalculationTooComplex, match="Too many options"):
        compile_calculation("1 IN (1, 2, 3)", max_args=2)
    assert compile_calculation("10 * 10", max_magnitude=50).evaluate(None, None) is None


def test_node_and_argument_limits() -> None:
    ok = "Math.max(" + ", ".join(["1"] * 100) + ")"
    assert ev(ok) == 1
    with pytest.raises(CalculationTooComplex):
        compile_calculation("Math.max(" + ", ".join(["1"] * 101) + ")")
    wide = "+".join(f"Math.max({','.join(['1'] * 50)})" for _ in range(30))  # shallow but > 1000 nodes
    with pytest.raises(CalculationTooComplex, match="too large"):
        compile_calculation(wide)


def test_huge_expression_is_refused() -> None:
    with pytest.raises(CalculationTooComplex, match="too long"):
        compile_calculation("1 + " * 25_000 + "1")  # ~100 KB
    assert ev("1" + " " * (MAX_LENGTH - 1)) == 1  # exactly at the limit is fine


@pytest.mark.parametrize(
    "text",
    [
        "9^9^9^9^9",
        "9^9^9^9",
        "Math.pow(10, 400)",
        "Math.pow(2, 2^30)",
        "10^308 * 10",
        "1e308 * 10",
        "(0.5)^(-2000)",
        "Math.pow(Math.pow(10, 300), 2)",
        "99999999999^99999999999",
    ],
)
def test_huge_numbers_become_null_quickly(text: str) -> None:
    assert ev(text) is None


def test_string_concatenation_is_capped() -> None:
    text = " + ".join(["new.s"] * 20)
    assert ev(text, {"s": "x" * 1000}) == "x" * 20_000
    assert ev(text, {"s": "x" * 10_000}) is None


def test_large_but_allowed_numbers() -> None:
    assert ev("Math.pow(10, 308) > 0") is True
    assert ev("1e308") == 1e308
    assert ev("(-1) ^ 1000001") == -1
    assert ev("1 ^ 99999999999999999999") == 1
    assert ev("new.big * 1", {"big": 10**400}) is None  # out-of-range input values are null too


def test_garbage_is_rejected_cleanly() -> None:
    for text in [
        "\x00",
        "new.a\u00a0> 1",
        "ünicode",
        "new.ä",
        "(((",
        ")))",
        "?:",
        "1 ? : 2",
        "new..a",
        "new.a.",
        "__import__('os')",
        "new.a; 1",
        "'\\",
        "Math.max(,)",
        "1 2",
    ]:
        with pytest.raises(InvalidCalculation):
            compile_calculation(text)


def test_canonical_text_round_trips() -> None:
    calc = compile_calculation(DESIGN_EXAMPLE)
    again = compile_calculation(str(calc))
    assert again.ast == calc.ast and str(again) == str(calc)
    assert str(compile_calculation("(1 + 2) * 3 - -4 ^ 2")) == "(1 + 2) * 3 - -4^2"


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("(2^3)^2", "(2^3)^2"),
        ("2^(3^2)", "2^3^2"),
        ("(-2)^2", "(-2)^2"),
        ("-(2^2)", "-2^2"),
        ("2^(-2)", "2^-2"),
        ("1 - (2 - 3)", "1 - (2 - 3)"),
        ("(1 - 2) - 3", "1 - 2 - 3"),
        ("(1 + 2) * 3", "(1 + 2) * 3"),
        ("1 / (2 * 3)", "1 / (2 * 3)"),
        ("-(1 + 2)", "-(1 + 2)"),
        ("--1", "--1"),
        ("(true ? 1 : 2) ? 3 : 4", "(true ? 1 : 2) ? 3 : 4"),
        ("true ? (false ? 1 : 2) : 3", "true ? false ? 1 : 2 : 3"),
        ("NOT (true AND false)", "NOT (true AND false)"),
        ("(NOT true) AND false", "NOT true AND false"),
        ("(1 == 2) == false", "(1 == 2) == false"),
        ("(1 < 2) IN (true)", "(1 < 2) IN (true)"),
        ("true OR (false AND true)", "true OR false AND true"),
        ("(true OR false) AND true", "(true OR false) AND true"),
        ("-(NOT true)", "-(NOT true)"),
        ("isnull(new.a, 'x\"y')", 'isnull(new.a, "x\\"y")'),
    ],
)
def test_canonical_printing(text: str, canonical: str) -> None:
    calc = compile_calculation(text)
    assert str(calc) == canonical
    assert compile_calculation(canonical).ast == calc.ast
