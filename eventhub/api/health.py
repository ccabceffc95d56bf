"""GET /healthz: 200 with the database and broker status (503 when either is down)."""
from __future__ import annotations

from django.db import connection
from django.http import JsonResponse

from eventhub.celery import app


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # health must report, not raise
        return {"ok": False, "error": str(exc)[:200]}


def _broker() -> dict:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            return {"ok": True, "transport": conn.transport_cls if isinstance(conn.transport_cls, str) else conn.transport.driver_type}
    except Exception as exc:
        return {"ok": False, "error": str(exc)[:200]}


def healthz(request):
    checks = {"database": _database(), "broker": _broker()}
    healthy = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ok" if healthy else "degraded", **checks}, status=200 if healthy else 503)
