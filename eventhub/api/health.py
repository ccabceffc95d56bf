"""GET /healthz (liveness: the process answers, touches nothing) and GET /readyz (readiness: database
reachable, migrations applied, broker reachable within a short timeout, plus the delivery figures).

Error text names hosts, ports and driver messages, so only staff (a staff API key or a staff admin
session) see it, and the delivery figures; everyone else sees ok true/false.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from eventhub import ops
from eventhub.api.authentication import ApiKeyAuthentication
from eventhub.celery import app

logger = logging.getLogger(__name__)
_migrations_applied = False  # once true in a process it stays true (migrations are not un-applied)


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # health must report, not raise
        return {"ok": False, "error": str(exc)[:200]}


def _migrations() -> dict:
    global _migrations_applied
    if _migrations_applied:
        return {"ok": True}
    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        return {"ok": False, "error": str(exc)[:200]}
    if pending:
        return {"ok": False, "error": f"{len(pending)} migration(s) not applied"}
    _migrations_applied = True
    return {"ok": True}


def _broker() -> dict:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=settings.EVENTHUB_READY_BROKER_TIMEOUT)
            return {"ok": True, "transport": conn.transport.driver_type}
    except Exception as exc:
        return {"ok": False, "error": str(exc)[:200]}


def _is_staff(request: HttpRequest) -> bool:
    """Staff key or staff session; any failure (no database, bad key) means not staff."""
    try:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            return True
        authenticated = ApiKeyAuthentication().authenticate(request)
        return bool(authenticated and authenticated[0].is_staff)
    except Exception:
        return False


def _redact(check: dict) -> dict:
    return {"ok": check["ok"]}


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database()}
    checks["migrations"] = (
        _migrations() if checks["database"]["ok"] else {"ok": False, "error": "no database"}
    )
    checks["broker"] = _broker()
    ready = all(c["ok"] for c in checks.values())
    if not ready:
        logger.warning("not ready: %s", {name: c.get("error") for name, c in checks.items() if not c["ok"]})
    staff = _is_staff(request)
    if not staff:
        checks = {name: _redact(c) for name, c in checks.items()}
    body = {"status": "ok" if ready else "degraded", **checks}
    if staff and checks["database"]["ok"]:
        body["deliveries"] = ops.figures()  # backlog and ages across accounts: operators only
    return JsonResponse(body, status=200 if ready else 503)
