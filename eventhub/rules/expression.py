"""Notification-rule calculations: m3ter's expression language over an event's `new`/`old` state.

Calculations are user input evaluated on every matching event, so they are parsed once (when the
rule is saved) by a fixed LALR grammar into a frozen AST and run by an explicit interpreter: no
Python `eval`, no attribute access, and hard limits on length, nesting, size and numeric magnitude.

Precedence, loosest first: `c ? a : b`, OR/||, AND/&&, NOT/!, comparisons and IN (non-associative),
`+ -`, `* / %`, unary `-`, `^` (right-associative; `-2^2` is -4), then atoms: numbers, strings,
null/true/false, `new.<path>`, `old.<path>`, function calls and parentheses.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedToken

from .evaluator import FUNCTIONS, MAX_MAGNITUDE, NO_PATHS, evaluate
from .nodes import Binary, Call, Conditional, Field, In, Literal, Node, Unary, fields, unparse

MAX_LENGTH = 4000
MAX_DEPTH = 64
MAX_NODES = 1000
MAX_ARGS = 100

_GRAMMAR = r"""
?start: ternary
?ternary: or_expr
        | or_expr "?" ternary ":" ternary -> cond
?or_expr: and_expr
        | or_expr (_OR | "||") and_expr -> or_
?and_expr: not_expr
         | and_expr (_AND | "&&") not_expr -> and_
?not_expr: comparison
         | (_NOT | "!") not_expr -> not_
?comparison: sum
           | sum COMPARE sum -> binary
           | sum IN "(" args ")" -> in_
?sum: product
    | sum (PLUS | MINUS) product -> binary
?product: unary
        | product MUL unary -> binary
?unary: power
      | MINUS unary -> neg
?power: atom
      | atom "^" unary -> pow
?atom: NUMBER -> number
     | STRING -> string
     | NULL -> null
     | TRUE -> true
     | FALSE -> false
     | NAME -> ref
     | (NAME | IN) "(" [args] ")" -> call
     | "(" ternary ")"
args: ternary ("," ternary)*

_OR: "or"i
_AND: "and"i
_NOT: "not"i
IN: "in"i
NULL: "null"i
TRUE: "true"i
FALSE: "false"i
PLUS: "+"
MINUS: "-"
MUL: /[*\/%]/
COMPARE: /==|!=|<=|>=|<|>/
NAME: /[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*/i
NUMBER: /(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/
STRING: /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/s
%ignore /\s+/
"""

# Keywords are string terminals the NAME regex also matches; lark re-types such NAMEs, so
# `and`/`AND` is an operator while `android` or `new.and` stay names. re.ASCII keeps \s and
# case-folding ASCII-only.
_PARSER = Lark(
    _GRAMMAR,
    parser="lalr",
    lexer="basic",
    propagate_positions=True,
    maybe_placeholders=True,
    g_regex_flags=re.ASCII,
)

_STRING_RE = re.compile(r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'""", re.S)
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.S)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


class InvalidCalculation(ValueError):
    """Any reason a calculation is refused; the API turns it into a 400."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CalculationSyntaxError(InvalidCalculation):
    """The text is not a valid calculation; `position` is the 0-based offset, `line`/`column` 1-based."""

    def __init__(self, message: str, position: int, text: str = "") -> None:
        super().__init__(message)
        self.position = position
        self.line = text.count("\n", 0, position) + 1
        self.column = position - (text.rfind("\n", 0, position) + 1) + 1


class CalculationTooComplex(InvalidCalculation):
    """The calculation is syntactically fine but exceeds a size/nesting limit."""


@dataclass(frozen=True)
class Calculation:
    """A parsed, validated calculation; safe to cache and share between threads."""

    text: str
    ast: Node
    max_magnitude: float = MAX_MAGNITUDE

    @property
    def fields(self) -> set[str]:
        return fields(self.ast)

    def evaluate(
        self, new: dict | None, old: dict | None, numeric: frozenset[tuple[str, ...]] = NO_PATHS
    ) -> Any:
        return evaluate(self.ast, new, old, self.max_magnitude, numeric)

    def is_true(
        self, new: dict | None, old: dict | None, numeric: frozenset[tuple[str, ...]] = NO_PATHS
    ) -> bool:
        """A rule fires only on exactly `true`; null, numbers and strings do not count. `numeric`: paths
        whose decimal strings compare as numbers (from the event type's schema)."""
        return self.evaluate(new, old, numeric) is True

    def __str__(self) -> str:
        return unparse(self.ast)


def compile_calculation(
    text: str,
    *,
    max_length: int = MAX_LENGTH,
    max_depth: int = MAX_DEPTH,
    max_nodes: int = MAX_NODES,
    max_args: int = MAX_ARGS,
    max_magnitude: float = MAX_MAGNITUDE,
) -> Calculation:
    """Parse and validate `text`; raises InvalidCalculation (syntax error or too complex)."""
    if not isinstance(text, str):
        raise TypeError("calculation must be a string")
    if len(text) > max_length:
        raise CalculationTooComplex(
            f"Calculation is too long ({len(text)} characters; the limit is {max_length})"
        )
    if not text.strip():
        raise CalculationSyntaxError("Calculation is empty", 0, text)
    _check_parentheses(text, max_depth)
    try:
        tree = _PARSER.parse(text)
    except UnexpectedToken as exc:
        if exc.token.type == "$END":
            raise CalculationSyntaxError(
                f"Unexpected end of calculation at position {len(text)}", len(text), text
            ) from None
        pos = exc.token.start_pos
        raise CalculationSyntaxError(
            f"Unexpected token {str(exc.token)!r} at position {pos}", pos, text
        ) from None
    except UnexpectedCharacters as exc:
        pos, char = exc.pos_in_stream, text[exc.pos_in_stream]
        what = "Unterminated string" if char in "'\"" else f"Unexpected character {char!r}"
        raise CalculationSyntaxError(f"{what} at position {pos}", pos, text) from None
    except LarkError as exc:  # pragma: no cover - defensive; the cases above cover LALR errors
        raise CalculationSyntaxError(f"Invalid calculation: {exc}", 0, text) from None
    ast = _Builder(text, max_depth, max_nodes, max_args).build(tree)
    return Calculation(text=text, ast=ast, max_magnitude=max_magnitude)


def _check_parentheses(text: str, max_depth: int) -> None:
    """Cheap pre-scan so 10,000 nested parentheses are refused before the parser sees them."""
    depth = 0
    for char in _STRING_RE.sub("", text):
        if char == "(":
            depth += 1
            if depth > max_depth:
                raise CalculationTooComplex(
                    f"Calculation is nested too deeply (more than {max_depth} levels)"
                )
        elif char == ")":
            depth -= 1


class _Builder:
    """Turns lark's parse tree into AST nodes bottom-up with an explicit stack, never recursing,
    and refuses the result as soon as it gets too deep or too big (`1+1+...` nests without parens)."""

    def __init__(self, text: str, max_depth: int, max_nodes: int, max_args: int) -> None:
        self.text, self.max_depth, self.max_nodes, self.max_args = text, max_depth, max_nodes, max_args

    def build(self, tree: Tree) -> Node:
        todo: list[tuple[Any, bool]] = [(tree, False)]
        done: list[tuple[Any, int, int]] = []  # (value, depth, node count)
        while todo:
            item, expanded = todo.pop()
            if not isinstance(item, Tree):
                done.append((item, 0, 0))
            elif not expanded:
                todo.append((item, True))
                todo.extend((child, False) for child in reversed(item.children))
            else:
                start = len(done) - len(item.children)
                kids, done[start:] = done[start:], []
                own = 0 if item.data == "args" else 1  # an argument list is not a level of its own
                depth = own + max((k[1] for k in kids), default=0)
                size = own + sum(k[2] for k in kids)
                if depth > self.max_depth:
                    raise CalculationTooComplex(
                        f"Calculation is nested too deeply (more than {self.max_depth} levels)"
                    )
                if size > self.max_nodes:
                    raise CalculationTooComplex(
                        f"Calculation is too large (more than {self.max_nodes} terms)"
                    )
                done.append((getattr(self, f"_{item.data}")(*(k[0] for k in kids)), depth, size))
        return done[0][0]

    def _error(self, message: str, token: Token, hint: str = "") -> CalculationSyntaxError:
        pos = token.start_pos
        return CalculationSyntaxError(f"{message} at position {pos}{hint}", pos, self.text)

    def _number(self, tok: Token) -> Literal:
        value: int | float = int(tok) if tok.isdigit() and len(tok) <= 400 else float(tok)
        if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
            raise self._error(f"Number {str(tok)[:20]!r} is out of range", tok)
        return Literal(value, pos=tok.start_pos)

    def _string(self, tok: Token) -> Literal:
        def unescape(m: re.Match[str]) -> str:
            code = m[1]
            return chr(int(code[1:], 16)) if len(code) == 5 else _ESCAPES.get(code, code)

        return Literal(_ESCAPE_RE.sub(unescape, tok[1:-1]), pos=tok.start_pos)

    def _null(self, tok: Token) -> Literal:
        return Literal(None, pos=tok.start_pos)

    def _true(self, tok: Token) -> Literal:
        return Literal(True, pos=tok.start_pos)

    def _false(self, tok: Token) -> Literal:
        return Literal(False, pos=tok.start_pos)

    def _ref(self, tok: Token) -> Field:
        root, *path = tok.split(".")
        if root.lower() not in ("new", "old") or not path:
            raise self._error(
                f"Unknown name {str(tok)!r}", tok, "; fields are written new.<field> or old.<field>"
            )
        return Field(root.lower(), tuple(path), pos=tok.start_pos)

    def _call(self, tok: Token, args: tuple[Node, ...] | None) -> Node:
        args = args or ()
        if len(args) > self.max_args:
            raise CalculationTooComplex(f"Too many arguments to {tok} (more than {self.max_args})")
        if tok.type == "IN":
            if len(args) < 2:
                raise self._error("IN() needs a value and at least one option", tok)
            return In(args[0], args[1:], pos=tok.start_pos)
        if str(tok).lower() not in FUNCTIONS:
            raise self._error(f"Unknown function {str(tok)!r}", tok)
        name, low, high = FUNCTIONS[tok.lower()]
        if not low <= len(args) <= (high or self.max_args):
            wanted = f"{low}" if low == high else f"at least {low}"
            raise self._error(
                f"Wrong number of arguments to {name}()", tok, f"; it takes {wanted}, not {len(args)}"
            )
        return Call(name, args, pos=tok.start_pos)

    def _args(self, *items: Node) -> tuple[Node, ...]:
        return items

    def _in_(self, subject: Node, tok: Token, options: tuple[Node, ...]) -> In:
        if len(options) > self.max_args:
            raise CalculationTooComplex(f"Too many options for IN (more than {self.max_args})")
        return In(subject, options, pos=subject.pos)

    def _binary(self, left: Node, op: Token, right: Node) -> Binary:
        return Binary(str(op), left, right, pos=left.pos)

    def _pow(self, left: Node, right: Node) -> Binary:
        return Binary("^", left, right, pos=left.pos)

    def _neg(self, tok: Token, operand: Node) -> Unary:
        return Unary("-", operand, pos=tok.start_pos)

    def _not_(self, operand: Node) -> Unary:
        return Unary("not", operand, pos=operand.pos)

    def _and_(self, left: Node, right: Node) -> Binary:
        return Binary("and", left, right, pos=left.pos)

    def _or_(self, left: Node, right: Node) -> Binary:
        return Binary("or", left, right, pos=left.pos)

    def _cond(self, test: Node, then: Node, otherwise: Node) -> Conditional:
        return Conditional(test, then, otherwise, pos=test.pos)
