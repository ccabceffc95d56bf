"""Null-safe interpreter for calculation ASTs.

Rules run on every matching event, so evaluation must never raise and never run away: every
value is null, a bool, a bounded int/float, a string, or an opaque JSON container; anything
undefined (null operands, type mismatches, division by zero, overflow) quietly becomes null.
Numbers are Python int/float: int literals and int arithmetic stay exact, `/` always gives a float.
Fields the event type's schema marks numeric (`"format": "decimal"` on a string) are read as numbers,
so `new.totalCharges > 1000` works on payloads that carry money as decimal strings.
"""

from __future__ import annotations

import math
import operator
import re
from decimal import Decimal
from typing import Any

from .nodes import Binary, Call, Conditional, Field, In, Literal, Node, Unary

MAX_MAGNITUDE = 1e308
MAX_STRING_LENGTH = 100_000  # concatenation beyond this is null, so `s + s + ...` can't eat memory

# lower-case name -> (canonical name, min args, max args or None for "up to the arg limit")
FUNCTIONS: dict[str, tuple[str, int, int | None]] = {
    "math.max": ("Math.max", 1, None),
    "math.min": ("Math.min", 1, None),
    "math.floor": ("Math.floor", 1, 1),
    "math.ceil": ("Math.ceil", 1, 1),
    "math.round": ("Math.round", 1, 1),
    "math.abs": ("Math.abs", 1, 1),
    "math.pow": ("Math.pow", 2, 2),
    "isnull": ("isnull", 2, 2),
}

DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?")
MAX_DECIMAL_LENGTH = 100
NO_PATHS: frozenset[tuple[str, ...]] = frozenset()

_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def is_number(value: object) -> bool:
    """bool is an int subclass in Python, but `true + 1` must not be 2."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def equal(a: object, b: object) -> bool:
    """`==` only holds between null and null, numbers and numbers, strings, or booleans."""
    if a is None or b is None:
        return a is None and b is None
    if is_number(a) and is_number(b):
        return a == b
    if type(a) is type(b) and isinstance(a, (bool, str)):
        return a == b
    return False


def evaluate(
    node: Node,
    new: dict | None,
    old: dict | None,
    max_magnitude: float = MAX_MAGNITUDE,
    numeric: frozenset[tuple[str, ...]] = NO_PATHS,
) -> Any:
    """`numeric`: field paths (below `new`/`old`) whose decimal-string values are numbers."""
    return _Evaluator({"new": new, "old": old}, max_magnitude, numeric).eval(node)


def decimal_value(text: str) -> int | float | None:
    """A decimal string as a number (int when it has no fraction or exponent); null when it is not one."""
    text = text.strip()
    if len(text) > MAX_DECIMAL_LENGTH or not DECIMAL.fullmatch(text):
        return None
    if "." in text or "e" in text or "E" in text:
        return float(text)
    return int(text)


def _fmod(a: int | float, b: int | float) -> int | float:
    """Truncated remainder (sign of the dividend), as in Java/JavaScript rather than Python's `%`."""
    if isinstance(a, int) and isinstance(b, int):
        r = abs(a) % abs(b)  # ZeroDivisionError is mapped to null by the caller
        return -r if a < 0 else r
    return math.fmod(a, b)  # ValueError on zero divisor


def _round_half_up(x: int | float) -> int:
    if isinstance(x, int):
        return x
    whole = math.floor(x)
    return whole + 1 if x - whole >= 0.5 else whole  # avoids the x + 0.5 rounding trap


class _Evaluator:
    def __init__(
        self, states: dict[str, Any], max_magnitude: float, numeric: frozenset[tuple[str, ...]]
    ) -> None:
        self.states = states
        self.numeric = numeric
        self.limit = max_magnitude
        self.log_limit = math.log10(max_magnitude) + 1  # slack; the exact check runs after computing

    def bounded(self, value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return None if abs(value) > self.limit else value

    def eval(self, node: Node) -> Any:  # noqa: C901 - one flat dispatch is the clearest form
        match node:
            case Literal(value=value):
                return value
            case Field(root=root, path=path):
                return self.lookup(self.states[root], path, numeric=path in self.numeric)
            case Unary(op="-", operand=x):
                value = self.eval(x)
                return -value if is_number(value) else None
            case Unary(operand=x):  # NOT: anything but exactly true counts as false
                return self.eval(x) is not True
            case Binary(op="and", left=a, right=b):
                return self.eval(a) is True and self.eval(b) is True
            case Binary(op="or", left=a, right=b):
                return self.eval(a) is True or self.eval(b) is True
            case Binary(op="==", left=a, right=b):
                return equal(self.eval(a), self.eval(b))
            case Binary(op="!=", left=a, right=b):
                return not equal(self.eval(a), self.eval(b))
            case Binary(op=op, left=a, right=b) if op in _ORDER:
                x, y = self.eval(a), self.eval(b)
                comparable = (is_number(x) and is_number(y)) or (isinstance(x, str) and isinstance(y, str))
                return comparable and _ORDER[op](x, y)
            case Binary(op=op, left=a, right=b):
                return self.arith(op, self.eval(a), self.eval(b))
            case In(subject=s, options=options):
                value = self.eval(s)
                return any(equal(value, self.eval(o)) for o in options)
            case Conditional(test=t, then=a, otherwise=b):
                return self.eval(a) if self.eval(t) is True else self.eval(b)
            case Call(name=name, args=args):
                return self.call(name, [self.eval(a) for a in args])
        raise TypeError(f"not an expression node: {node!r}")

    def lookup(self, value: Any, path: tuple[str, ...], *, numeric: bool = False) -> Any:
        """Plain dict lookups only: no getattr, no indexing, so a rule can't reach Python objects."""
        for key in path:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
        if numeric and isinstance(value, str):
            value = decimal_value(value)
        if isinstance(value, Decimal):
            value = float(value)
        return self.bounded(value) if is_number(value) else value

    def arith(self, op: str, a: Any, b: Any) -> Any:
        if op == "+" and isinstance(a, str) and isinstance(b, str):
            return a + b if len(a) + len(b) <= MAX_STRING_LENGTH else None
        if not (is_number(a) and is_number(b)):
            return None
        try:
            if op == "+":
                result = a + b
            elif op == "-":
                result = a - b
            elif op == "*":
                result = a * b
            elif op == "/":
                result = a / b
            elif op == "%":
                result = _fmod(a, b)
            else:
                result = self.power(a, b)
        except (ZeroDivisionError, OverflowError, ValueError):
            return None
        return None if result is None else self.bounded(result)

    def power(self, base: int | float, exp: int | float) -> int | float | None:
        """Refuse (null) before computing anything whose size would blow the limit, so 9^9^9^9 is instant."""
        if base == 0:
            return None if exp < 0 else base**exp
        if exp * math.log10(abs(base)) > self.log_limit:
            return None
        if isinstance(base, int) and isinstance(exp, int) and exp >= 0:
            return base**exp  # exact, and at most ~1030 bits thanks to the check above
        return math.pow(base, exp)  # float semantics; ValueError for (-8)^0.5 instead of a complex

    def call(self, name: str, args: list[Any]) -> Any:
        if name == "isnull":
            return args[1] if args[0] is None else args[0]
        if not all(is_number(a) for a in args):
            return None
        if name == "Math.pow":
            return self.arith("^", *args)
        unary = {
            "Math.floor": math.floor,
            "Math.ceil": math.ceil,
            "Math.round": _round_half_up,
            "Math.abs": abs,
        }
        result = (
            max(args) if name == "Math.max" else min(args) if name == "Math.min" else unary[name](args[0])
        )
        return self.bounded(result)
