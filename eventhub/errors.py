"""Domain errors raised by services; eventhub.api.errors maps them to HTTP responses in one place."""

from __future__ import annotations


class HubError(Exception):
    """Base domain error: a status, a message, and optional per-field errors."""

    status_code = 400
    should_retry: bool | None = None

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class InvalidInput(HubError):
    status_code = 400


class PayloadTooLarge(HubError):
    status_code = 413


class NotFound(HubError):
    status_code = 404


class Conflict(HubError):
    """Deterministic conflicts (version mismatch, duplicate); clients must not retry them."""

    status_code = 409
    should_retry = False


class Forbidden(HubError):
    status_code = 403
