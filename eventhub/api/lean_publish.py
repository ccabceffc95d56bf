"""A lean path for the plain one-event `POST /v1/events`, in front of EventListView.

DRF's dispatch around the publish (Request wrapping, content negotiation, parser selection, permission and
throttle objects, finalize_response) was about a fifth of the web process's Python CPU for a one-event publish
(docs/performance.md, "Fourth round: lean parsing and rendering"). The common request -- a JSON object naming
one event, an account's own API key, nothing in the query string, a JSON-or-anything Accept -- is served here
with the very same pieces the view uses: the view's authentication, permission and throttle classes (same
counter, same 429), the same strict JSON loader and size limit, the same plain shape check, `publish_batch`,
`event_bodies`, and DRF's JSONRenderer through a DRF Response.

Anything else is handed to the DRF view untouched, and always before the rate limit counted the request, so a
hit is never counted twice. Once counted, an error is rendered by the configured DRF exception handler, as
the view would render it; an exception the handler does not take (a lost database) propagates to the
middleware, as from the view. tests/api/test_lean_publish.py holds both paths to the same answers.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.exceptions import ParseError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from eventhub.api.event_batch import event_bodies, plain_event
from eventhub.api.parsers import LenientJSONParser, loads_strict
from eventhub.models import Account
from eventhub.services.ingest import Submission, publish_batch

# Content types LenientJSONParser takes as is, and Accept headers for which DRF's negotiation picks
# JSONRenderer with the bare media type "application/json" (no `indent=` or other parameter to honour).
_JSON_TYPES = frozenset(
    {"application/json", "application/json; charset=utf-8", "application/json;charset=utf-8"}
)
_PLAIN_ACCEPT = frozenset({"*/*", "application/json"})


def published_response(account: Account, fields: dict, header_key: str | None) -> Response:
    """Publish one validated submission and answer 201 with the event, or 200 for an idempotent repeat.
    Shared by EventListView.post and the lean path, so the two cannot drift."""
    submission = Submission(
        fields["event_type"],
        fields["payload"],
        header_key or fields.get("idempotency_key"),
        fields.get("occurred_at"),
    )
    result = publish_batch(account, [submission], single=True)[0]
    return Response(
        event_bodies([result.event])[0],
        status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
    )


def with_lean_publish(view_class):
    """`view_class.as_view()` with the lean path in front of its POST. The DRF view's attributes (`cls`,
    `initkwargs`) are kept, so drf-spectacular documents the route exactly as before."""
    drf_view = view_class.as_view()
    if not _renders_and_parses_json_only(view_class):
        return drf_view
    allow = _allow_header(view_class)

    @functools.wraps(drf_view)
    def view(request, *args, **kwargs):
        if request.method == "POST" and settings.EVENTHUB_LEAN_PUBLISH:
            response = lean_publish(request, view_class, allow)
            if response is not None:
                return response
        return drf_view(request, *args, **kwargs)

    return csrf_exempt(view)


def lean_publish(request, view_class, allow: str) -> Response | None:
    """The response to a plain one-event publish, or None to let the DRF view answer (nothing counted yet)."""
    fields = _plain_submission(request)
    if fields is None:
        return None
    drf_request = _authorized(request, view_class)
    if drf_request is None:
        return None
    try:
        _check_throttles(drf_request, view_class)
        response = published_response(
            drf_request.user.account, fields, request.META.get("HTTP_IDEMPOTENCY_KEY")
        )
    except Exception as exc:
        response = _handled(exc, drf_request)
    return _finalized(response, drf_request, allow)


def _plain_submission(request) -> dict | None:
    """The validated submission when the request is plain; None for anything DRF should judge. Reading
    `request.body` leaves the bytes for DRF's parser too, should the request be handed over later."""
    meta = request.META
    if (
        meta.get("QUERY_STRING")  # `format=` and `account_token=` change negotiation and scoping
        or meta.get("CONTENT_TYPE", "").lower() not in _JSON_TYPES
        or meta.get("HTTP_ACCEPT", "*/*") not in _PLAIN_ACCEPT
        or "HTTP_X_EVENTHUB_ACCOUNT" in meta
    ):
        return None
    raw = _bounded_body(request)
    if not raw or not raw.strip():
        return None
    try:
        data = loads_strict(raw)
    except ParseError:
        return None
    if type(data) is not dict or "events" in data or "account_token" in data:
        return None
    return plain_event(data)


def _bounded_body(request) -> bytes | None:
    """The body when its declared length is within both limits; None (unread) otherwise, so the DRF view's
    parser answers a 413 and Django never raises its own 400 for a too-large body."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    django_limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if length <= 0 or length > settings.EVENTHUB_MAX_REQUEST_BYTES:
        return None
    if django_limit is not None and length > django_limit:
        return None
    return request.body


def _authorized(request, view_class) -> Request | None:
    """A DRF request authenticated by the view's own authentication classes, in DRF's order, when the caller
    is an account's own (non-staff) key the view's permissions admit; None otherwise, counting nothing."""
    drf_request = Request(request)
    for authenticator_class in view_class.authentication_classes:
        try:
            user_auth = authenticator_class().authenticate(drf_request)
        except exceptions.APIException:
            return None
        if user_auth is not None:
            drf_request.user, drf_request.auth = user_auth
            break
    else:
        return None
    caller = drf_request.user
    if getattr(caller, "is_staff", True) or getattr(caller, "account", None) is None:
        return None
    permissions = (permission_class() for permission_class in view_class.permission_classes)
    if not all(permission.has_permission(drf_request, None) for permission in permissions):
        return None
    return drf_request


def _check_throttles(drf_request: Request, view_class) -> None:
    """APIView.check_throttles with the view's throttle classes: each counts this request once."""
    durations = []
    for throttle_class in view_class.throttle_classes:
        throttle = throttle_class()
        if not throttle.allow_request(drf_request, None):
            durations.append(throttle.wait())
    if durations:
        raise exceptions.Throttled(max((d for d in durations if d is not None), default=None))


def _handled(exc: Exception, drf_request: Request) -> Response:
    """APIView.handle_exception for a caller already authenticated: the configured handler's response, or
    the exception itself when the handler does not take it (DatabaseUnavailableMiddleware answers those)."""
    context = {"view": None, "args": (), "kwargs": {}, "request": drf_request}
    response = api_settings.EXCEPTION_HANDLER(exc, context)
    if response is None:
        raise exc
    response.exception = True
    return response


def _finalized(response: Response, drf_request: Request, allow: str) -> Response:
    """APIView.finalize_response for the one renderer the API has, as its negotiation picks it here."""
    response.accepted_renderer = JSONRenderer()
    response.accepted_media_type = JSONRenderer.media_type
    response.renderer_context = {"view": None, "args": (), "kwargs": {}, "request": drf_request}
    response["Allow"] = allow
    return response


def _renders_and_parses_json_only(view_class) -> bool:
    """The lean path renders and parses as JSONRenderer and LenientJSONParser do; a view that negotiates
    between several (and so also sends `Vary: Accept`) is left to DRF entirely."""
    return list(view_class.renderer_classes) == [JSONRenderer] and list(view_class.parser_classes) == [
        LenientJSONParser
    ]


def _allow_header(view_class) -> str:
    """The `Allow` header APIView adds: the methods of a set-up view instance (setup adds HEAD for GET)."""
    view = view_class()
    view.setup(None)
    return ", ".join(view.allowed_methods)
