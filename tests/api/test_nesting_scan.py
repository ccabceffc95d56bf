"""The nesting pre-scan of request bodies (eventhub/api/parsers.py) finds strings and brackets by regular
expressions; it must decide exactly as the character-by-character scanner it replaced, on any text
(valid JSON or not: unterminated strings, stray escapes, closing brackets first)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from eventhub.api.parsers import MAX_NESTING, _nesting_depth_exceeds


def _reference(raw: str, limit: int) -> bool:
    """The scanner as it was: strings skipped (with their escapes), brackets counted outside them."""
    depth, in_string, escaped = 0, False, False
    for char in raw:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet='"\\[]{}a\n', max_size=60), st.integers(min_value=0, max_value=6))
def test_decides_as_the_character_scanner_on_any_text(raw, limit):
    assert _nesting_depth_exceeds(raw, limit) == _reference(raw, limit)


@given(
    st.recursive(st.text() | st.integers(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner))
)
def test_decides_as_the_character_scanner_on_json(value):
    raw = json.dumps(value)
    for limit in (0, 1, 2, 3):
        assert _nesting_depth_exceeds(raw, limit) == _reference(raw, limit)


def test_brackets_inside_strings_do_not_count_and_outside_they_do():
    deep = "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1)
    assert _nesting_depth_exceeds(deep, MAX_NESTING)
    assert not _nesting_depth_exceeds(json.dumps({"a": deep, "b": 'x\\"' + deep}), MAX_NESTING)
    assert _nesting_depth_exceeds('"unterminated \\"' + deep, MAX_NESTING) is False  # all one string
    assert _nesting_depth_exceeds('"a\\\\"' + deep, MAX_NESTING)  # the escaped backslash ends the string
