"""JSON parsing that accepts the empty bodies the SDKs send on body-less POST/PUT."""
from __future__ import annotations

import io

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class LenientJSONParser(JSONParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        if not raw or not raw.strip():
            return {}
        try:
            return super().parse(io.BytesIO(raw), media_type, parser_context)
        except ParseError as exc:
            raise ParseError(f"Body is not valid JSON: {exc.detail}") from exc

