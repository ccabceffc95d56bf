"""Immutable AST for notification-rule calculations, plus a canonical printer.

The AST is what gets evaluated, so keeping it tiny and frozen means a compiled rule can be shared
between threads and cached without anyone mutating it. `pos` (0-based offset in the source text)
is kept for error messages but excluded from equality so re-parsed text compares equal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Node:
    pos: int = field(default=0, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True)
class Literal(Node):
    value: None | bool | int | float | str


@dataclass(frozen=True)
class Field(Node):
    root: str  # "new" or "old"
    path: tuple[str, ...]

    @property
    def dotted(self) -> str:
        return ".".join((self.root, *self.path))


@dataclass(frozen=True)
class Unary(Node):
    op: str  # "-" or "not"
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    op: str  # "or" "and" "==" "!=" "<" "<=" ">" ">=" "+" "-" "*" "/" "%" "^"
    left: Node
    right: Node


@dataclass(frozen=True)
class In(Node):
    subject: Node
    options: tuple[Node, ...]


@dataclass(frozen=True)
class Conditional(Node):
    test: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True)
class Call(Node):
    name: str  # canonical spelling, e.g. "Math.max"
    args: tuple[Node, ...]


def children(node: Node) -> tuple[Node, ...]:
    """Direct sub-expressions, for generic walks (fields, depth)."""
    match node:
        case Unary(operand=x):
            return (x,)
        case Binary(left=a, right=b):
            return (a, b)
        case In(subject=s, options=o):
            return (s, *o)
        case Conditional(test=t, then=a, otherwise=b):
            return (t, a, b)
        case Call(args=args):
            return args
    return ()


def fields(node: Node) -> set[str]:
    """Every `new.x` / `old.x` path the expression reads (depth is bounded at parse time)."""
    found = {node.dotted} if isinstance(node, Field) else set()
    for child in children(node):
        found |= fields(child)
    return found


# Binding strength, loosest first; the grammar in expression.py encodes the same table.
TERNARY, OR, AND, NOT, COMPARE, SUM, PRODUCT, NEGATE, POWER, ATOM = range(1, 11)
BINARY_LEVEL = {
    "or": OR,
    "and": AND,
    "==": COMPARE,
    "!=": COMPARE,
    "<": COMPARE,
    "<=": COMPARE,
    ">": COMPARE,
    ">=": COMPARE,
    "+": SUM,
    "-": SUM,
    "*": PRODUCT,
    "/": PRODUCT,
    "%": PRODUCT,
    "^": POWER,
}


def unparse(node: Node) -> str:
    """Print with the fewest parentheses that parse back to the same AST (used to normalise rules)."""
    return _fmt(node)[0]


def _wrap(node: Node, minimum: int) -> str:
    text, level = _fmt(node)
    return text if level >= minimum else f"({text})"


def _literal(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # escapes \ " and control chars the lexer understands
    return repr(value)


def _fmt(node: Node) -> tuple[str, int]:
    match node:
        case Literal(value=v):
            return _literal(v), ATOM
        case Field():
            return node.dotted, ATOM
        case Call(name=name, args=args):
            return f"{name}({', '.join(map(unparse, args))})", ATOM
        case Unary(op="-", operand=x):
            return "-" + _wrap(x, NEGATE), NEGATE
        case Unary(operand=x):
            return "NOT " + _wrap(x, NOT), NOT
        case Binary(op="^", left=a, right=b):
            return f"{_wrap(a, ATOM)}^{_wrap(b, NEGATE)}", POWER
        case Binary(op=op, left=a, right=b):
            level = BINARY_LEVEL[op]
            left_min, right_min = (SUM, SUM) if level == COMPARE else (level, level + 1)
            return f"{_wrap(a, left_min)} {op.upper()} {_wrap(b, right_min)}", level
        case In(subject=s, options=o):
            return f"{_wrap(s, SUM)} IN ({', '.join(map(unparse, o))})", COMPARE
        case Conditional(test=t, then=a, otherwise=b):
            return f"{_wrap(t, OR)} ? {unparse(a)} : {unparse(b)}", TERNARY
    raise TypeError(f"not an expression node: {node!r}")
