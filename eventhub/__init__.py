"""EventHub: a self-hosted event hub. Importing the package loads the Celery app so shared tasks bind to it."""

from __future__ import annotations

from .celery import app as celery_app

__all__ = ["celery_app", "publish"]


def publish(account, event_type, payload, **kwargs):
    """In-process ingest for Django producers: same validation and effects as POST /v1/events."""
    # Not a cycle: this package is imported (for Celery) before Django's app registry is ready, and the
    # ingest service needs the models, so it is loaded on first use.
    from eventhub.services.ingest import publish as _publish

    return _publish(account, event_type, payload, **kwargs).event
