"""Strict, bounded JSON parsing: empty bodies (sent by the SDKs on body-less POST/PUT) are `{}`; NaN,
Infinity, out-of-range numbers and pathological nesting are 400s, never 500s."""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate

from django.conf import settings
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import BaseParser

MAX_NESTING = 64


class RequestTooLarge(APIException):
    status_code = 413
    default_detail = "Request body too large."


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)  # an unterminated one runs to the end
_BRACKET = re.compile(r"[\[\]{}]")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _nesting_depth_exceeds(raw: str, limit: int) -> bool:
    """Cheap scan run before json.loads, whose recursion would otherwise overflow: strings dropped and
    brackets found by regular expressions (C speed), then only the brackets walked in Python (a batch
    of 500 events is 60,000 characters and about 1,000 brackets)."""
    brackets = _BRACKET.findall(_STRING.sub("", raw))
    return len(brackets) > limit and max(accumulate(map(_STEP.__getitem__, brackets))) > limit


def loads_strict(raw: bytes) -> object:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"Body is not valid UTF-8 (byte {exc.start}).") from None
    if _nesting_depth_exceeds(text, MAX_NESTING):
        raise ParseError(f"Body is not valid JSON: nested deeper than {MAX_NESTING} levels.")
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"Body is not valid JSON: {str(exc)[:200]}") from None


class LenientJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read(settings.EVENTHUB_MAX_REQUEST_BYTES + 1) if stream is not None else b""
        if len(raw) > settings.EVENTHUB_MAX_REQUEST_BYTES:
            raise RequestTooLarge(f"Body is larger than {settings.EVENTHUB_MAX_REQUEST_BYTES} bytes.")
        if not raw or not raw.strip():
            return {}
        return loads_strict(raw)
