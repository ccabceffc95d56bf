"""Property tests for the calculation language.

Random expression trees are rendered to text (fully parenthesised with operator aliases, and with
the fewest parentheses precedence allows), compiled, and evaluated against a reference evaluator
written here independently of eventhub.rules.evaluator (recursing over the generated tree itself).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from eventhub.rules.expression import Calculation, InvalidCalculation, compile_calculation
from eventhub.rules.nodes import Binary, Call, Conditional, Field, In, Literal, Node, Unary, unparse

SETTINGS = settings(max_examples=200, deadline=None)
LIMIT = 1e308

# --- generated trees: plain tuples, so nothing here depends on the module under test ---------------


def lit(value: Any) -> tuple:
    return ("lit", value)


LEAVES = st.one_of(
    st.integers(0, 50).map(lit),
    st.sampled_from([10**6, 10**20, 10**300]).map(lit),
    st.floats(0, 1e6, allow_nan=False, allow_infinity=False).map(lit),
    st.sampled_from([None, True, False, "a", "b", "", "it's"]).map(lit),
    st.tuples(st.just("field"), st.sampled_from(["new", "old"]), st.sampled_from(["x", "y", "a.b", "zz"])),
)
BIN_OPS = ["+", "-", "*", "/", "%", "^", "==", "!=", "<", "<=", ">", ">=", "and", "or"]


def _extend(kids: st.SearchStrategy) -> st.SearchStrategy:
    some = st.lists(kids, min_size=1, max_size=3).map(tuple)
    return st.one_of(
        st.tuples(st.just("neg"), kids),
        st.tuples(st.just("not"), kids),
        st.tuples(st.just("bin"), st.sampled_from(BIN_OPS), kids, kids),
        st.tuples(st.just("cond"), kids, kids, kids),
        st.tuples(st.just("in"), kids, some),
        st.tuples(st.just("call"), st.sampled_from(["Math.max", "Math.min"]), some),
        st.tuples(
            st.just("call"),
            st.sampled_from(["Math.abs", "Math.floor", "Math.ceil", "Math.round"]),
            st.tuples(kids),
        ),
        st.tuples(st.just("call"), st.sampled_from(["Math.pow", "isnull"]), st.tuples(kids, kids)),
    )


TREES = st.recursive(LEAVES, _extend, max_leaves=20)

# Arithmetic over small signed numbers and halves: where sign, rounding and precedence bugs hide.
SMALL = st.one_of(st.integers(0, 6), st.sampled_from([0.5, 1.5, 2.5, 0.25, 3.0])).map(lit)
ARITH_TREES = st.recursive(
    st.one_of(SMALL, SMALL.map(lambda leaf: ("neg", leaf)), st.just(("field", "new", "x"))),
    lambda kids: st.one_of(
        st.tuples(st.just("neg"), kids),
        st.tuples(st.just("bin"), st.sampled_from(["+", "-", "*", "/", "%", "^", "<", "=="]), kids, kids),
        st.tuples(
            st.just("call"),
            st.sampled_from(["Math.round", "Math.floor", "Math.ceil", "Math.abs"]),
            st.tuples(kids),
        ),
    ),
    max_leaves=8,
)
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-100, 10**6),
    st.sampled_from(["a", "b", ""]),
    st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
)
STATES = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={
            "x": VALUES,
            "y": VALUES,
            "a": st.one_of(VALUES, st.fixed_dictionaries({}, optional={"b": VALUES})),
        },
    ),
)


def subtrees(t: tuple) -> list[tuple]:
    kind = t[0]
    if kind in ("lit", "field"):
        return []
    if kind in ("neg", "not"):
        return [t[1]]
    if kind == "bin":
        return [t[2], t[3]]
    if kind == "cond":
        return list(t[1:])
    if kind == "in":
        return [t[1], *t[2]]
    return list(t[2])  # call


def depth(t: tuple) -> int:
    return 1 + max(map(depth, subtrees(t)), default=0)


def compile_big(text: str) -> Calculation:
    """Literals like 10**300 make long texts; lift only the length cap."""
    return compile_calculation(text, max_length=100_000)


# --- renderers -------------------------------------------------------------------------------------

LEVEL = {
    "or": 2,
    "and": 3,
    "==": 5,
    "!=": 5,
    "<": 5,
    "<=": 5,
    ">": 5,
    ">=": 5,
    "+": 6,
    "-": 6,
    "*": 7,
    "/": 7,
    "%": 7,
    "^": 9,
}


def render_literal(v: Any) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "True" if v else "false"
    if isinstance(v, str):
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return repr(v)


def render_full(t: tuple) -> str:
    """Every compound in parentheses, using the && || ! aliases."""
    kind = t[0]
    if kind == "lit":
        return render_literal(t[1])
    if kind == "field":
        return f"{t[1]}.{t[2]}"
    if kind == "neg":
        return f"(-{render_full(t[1])})"
    if kind == "not":
        return f"(!{render_full(t[1])})"
    if kind == "bin":
        op = {"and": "&&", "or": "||"}.get(t[1], t[1])
        return f"({render_full(t[2])} {op} {render_full(t[3])})"
    if kind == "cond":
        return f"({render_full(t[1])} ? {render_full(t[2])} : {render_full(t[3])})"
    if kind == "in":
        return f"IN({render_full(t[1])}, {', '.join(map(render_full, t[2]))})"
    return f"{t[1]}({', '.join(map(render_full, t[2]))})"


def render_min(t: tuple) -> tuple[str, int]:
    """Fewest parentheses: (text, binding level), levels as in the spec, loosest = 1."""

    def wrap(sub: tuple, minimum: int) -> str:
        text, level = render_min(sub)
        return text if level >= minimum else f"({text})"

    kind = t[0]
    if kind == "lit":
        return render_literal(t[1]), 10
    if kind == "field":
        return f"{t[1]}.{t[2]}", 10
    if kind == "call":
        return f"{t[1]}({', '.join(render_min(a)[0] for a in t[2])})", 10
    if kind == "neg":
        return "-" + wrap(t[1], 8), 8
    if kind == "not":
        return "not " + wrap(t[1], 4), 4
    if kind == "cond":
        return f"{wrap(t[1], 2)} ? {render_min(t[2])[0]} : {render_min(t[3])[0]}", 1
    if kind == "in":
        return f"{wrap(t[1], 6)} in ({', '.join(render_min(o)[0] for o in t[2])})", 5
    op, level = t[1], LEVEL[t[1]]
    if op == "^":
        return f"{wrap(t[2], 10)}^{wrap(t[3], 8)}", 9
    left, right = (6, 6) if level == 5 else (level, level + 1)
    return f"{wrap(t[2], left)} {op} {wrap(t[3], right)}", level


def to_ast(t: tuple) -> Node:
    kind = t[0]
    if kind == "lit":
        return Literal(t[1])
    if kind == "field":
        return Field(t[1], tuple(t[2].split(".")))
    if kind in ("neg", "not"):
        return Unary("-" if kind == "neg" else "not", to_ast(t[1]))
    if kind == "bin":
        return Binary(t[1], to_ast(t[2]), to_ast(t[3]))
    if kind == "cond":
        return Conditional(to_ast(t[1]), to_ast(t[2]), to_ast(t[3]))
    if kind == "in":
        return In(to_ast(t[1]), tuple(map(to_ast, t[2])))
    return Call(t[1], tuple(map(to_ast, t[2])))


# --- reference evaluator ---------------------------------------------------------------------------


def num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def fit(v: Any) -> Any:
    if v is None or (isinstance(v, float) and (math.isnan(v) or math.isinf(v))):
        return None
    return v if abs(v) <= LIMIT else None


def same_value(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if num(a) and num(b):
        return a == b
    return type(a) is type(b) and type(a) in (bool, str) and a == b


def ref_pow(a: Any, b: Any) -> Any:
    try:
        approx = math.pow(float(a), float(b))
    except (OverflowError, ValueError, ZeroDivisionError):
        return None
    if isinstance(a, int) and isinstance(b, int) and b >= 0:
        return fit(a**b)  # exact; small because the float result was finite
    return fit(approx)


def ref_arith(op: str, a: Any, b: Any) -> Any:
    if op == "+" and isinstance(a, str) and isinstance(b, str):
        return a + b if len(a) + len(b) <= 100_000 else None
    if not (num(a) and num(b)):
        return None
    if op == "^":
        return ref_pow(a, b)
    if op in "/%" and b == 0:
        return None
    if op == "%":
        if isinstance(a, int) and isinstance(b, int):
            magnitude = abs(a) - (abs(a) // abs(b)) * abs(b)
            return magnitude if a >= 0 else -magnitude
        return fit(math.fmod(a, b))
    return fit({"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b}[op]())


def ref_eval(t: tuple, new: dict | None, old: dict | None) -> Any:  # noqa: C901
    kind = t[0]
    if kind == "lit":
        return t[1]
    if kind == "field":
        value: Any = new if t[1] == "new" else old
        for key in t[2].split("."):
            value = value.get(key) if isinstance(value, dict) else None
        return fit(value) if num(value) else value
    if kind == "neg":
        v = ref_eval(t[1], new, old)
        return -v if num(v) else None
    if kind == "not":
        return ref_eval(t[1], new, old) is not True
    if kind == "cond":
        return ref_eval(t[2] if ref_eval(t[1], new, old) is True else t[3], new, old)
    if kind == "in":
        v = ref_eval(t[1], new, old)
        return any(same_value(v, ref_eval(o, new, old)) for o in t[2])
    if kind == "call":
        args = [ref_eval(a, new, old) for a in t[2]]
        if t[1] == "isnull":
            return args[1] if args[0] is None else args[0]
        if not all(num(a) for a in args):
            return None
        if t[1] == "Math.pow":
            return ref_pow(*args)
        x = args[0]
        return fit(
            {
                "Math.max": lambda: max(args),
                "Math.min": lambda: min(args),
                "Math.abs": lambda: abs(x),
                "Math.floor": lambda: math.floor(x),
                "Math.ceil": lambda: math.ceil(x),
                "Math.round": lambda: math.floor(Fraction(x) + Fraction(1, 2)),
            }[t[1]]()
        )
    op, a, b = t[1], ref_eval(t[2], new, old), ref_eval(t[3], new, old)
    if op == "and":
        return a is True and b is True
    if op == "or":
        return a is True or b is True
    if op == "==":
        return same_value(a, b)
    if op == "!=":
        return not same_value(a, b)
    if op in ("<", "<=", ">", ">="):
        if not ((num(a) and num(b)) or (isinstance(a, str) and isinstance(b, str))):
            return False
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    return ref_arith(op, a, b)


def identical(a: Any, b: Any) -> bool:
    """Equal value and type (so True is not 1 and 2 is not 2.0)."""
    return type(a) is type(b) and (a == b or (a is None and b is None))


# --- properties ------------------------------------------------------------------------------------


@SETTINGS
@given(TREES, STATES, STATES)
def test_matches_reference_evaluator(tree: tuple, new: dict | None, old: dict | None) -> None:
    assume(depth(tree) <= 60)
    expected = ref_eval(tree, new, old)
    for text in (render_full(tree), render_min(tree)[0]):
        calc = compile_big(text)
        result = calc.evaluate(new, old)
        assert identical(result, expected), (text, result, expected)
        assert calc.is_true(new, old) is (expected is True)


@SETTINGS
@given(ARITH_TREES, st.one_of(st.integers(-7, 7), st.sampled_from([-2.5, -0.5, 0.5, 2.5])))
def test_arithmetic_matches_reference(tree: tuple, x: int | float) -> None:
    expected = ref_eval(tree, {"x": x}, None)
    for text in (render_full(tree), render_min(tree)[0]):
        assert identical(compile_big(text).evaluate({"x": x}, None), expected), (text, expected)


@SETTINGS
@given(st.one_of(TREES, ARITH_TREES))
def test_precedence_and_round_trip(tree: tuple) -> None:
    assume(depth(tree) <= 60)
    expected = to_ast(tree)
    full, minimal = compile_big(render_full(tree)), compile_big(render_min(tree)[0])
    assert full.ast == expected and minimal.ast == expected
    assert str(full) == str(minimal) == unparse(expected)
    again = compile_big(str(minimal))
    assert again.ast == expected and str(again) == str(minimal)


TOKENS = [
    "new.x",
    "old.y",
    "new.a.b",
    "1",
    "2.5",
    "0",
    "1e3",
    "null",
    "true",
    "FALSE",
    "'s'",
    '"t"',
    "(",
    ")",
    "(",
    ")",
    "+",
    "-",
    "*",
    "/",
    "%",
    "^",
    "==",
    "!=",
    "<",
    ">=",
    "AND",
    "or",
    "NOT",
    "!",
    "&&",
    "||",
    "IN",
    "?",
    ":",
    ",",
    "Math.max",
    "Math.round",
    "isnull",
    "foo",
    "Math.nope",
]


@SETTINGS
@given(
    st.one_of(
        st.text(max_size=80),
        st.text(alphabet="()+-*/%^<>=!&|?:,.'\" 0123456789eE_abnewoldxyINANDORNOTMathmaxisnull", max_size=80),
        st.lists(st.sampled_from(TOKENS), max_size=30).map(" ".join),
    ),
    STATES,
    STATES,
)
def test_garbage_only_raises_invalid_calculation(text: str, new: dict | None, old: dict | None) -> None:
    try:
        calc = compile_calculation(text)
    except InvalidCalculation as exc:
        assert str(exc)
        return
    calc.evaluate(new, old)
    assert isinstance(calc.is_true(new, old), bool)
    again = compile_calculation(str(calc))
    assert again.ast == calc.ast and str(again) == str(calc)
