"""The three staff roles of the admin, as Django groups: viewer (read only), support (viewer plus the
delivery actions: resend, recover, replay, send example, and marking error events actioned) and operator (everything except accounts and
API keys). Permissions are named by app label and codename, so this lowest layer imports no higher app."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from eventhub.services.audit import record_audit

HUB_APPS = ("eventhub", "subscriptions", "deliveries", "scheduled_events", "django_celery_beat")

# What the support role may do beyond reading; each is the model permission the admin action declares.
SUPPORT_EXTRA = (
    "deliveries.change_message",  # resend messages
    "deliveries.add_recoveryjob",  # recover failed messages, replay missing ones
    "deliveries.add_message",  # send an example message
    "eventhub.change_event",  # mark error events actioned
)
# Accounts and keys (who may call the API) stay with superusers: operators may only look at them.
OPERATOR_EXCLUDED = tuple(
    f"eventhub.{verb}_{model}" for model in ("account", "apikey") for verb in ("add", "change", "delete")
)

VIEWER, SUPPORT, OPERATOR = "viewer", "support", "operator"
ROLES = (VIEWER, SUPPORT, OPERATOR)


def _permissions(names: Iterable[str]) -> Q:
    condition = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".", 1)
        condition |= Q(content_type__app_label=app_label, codename=codename)
    return condition


def role_permissions(role: str) -> list[Permission]:
    """The exact permissions of a role, from the permissions that exist now (so new models are included)."""
    hub = Permission.objects.filter(content_type__app_label__in=HUB_APPS).select_related("content_type")
    viewing = hub.filter(codename__startswith="view_")
    if role == VIEWER:
        chosen = viewing
    elif role == SUPPORT:
        chosen = viewing | Permission.objects.filter(_permissions(SUPPORT_EXTRA))
    elif role == OPERATOR:
        chosen = hub.exclude(_permissions(OPERATOR_EXCLUDED))
    else:
        raise ValueError(f"unknown staff role {role!r}")
    return list(chosen.order_by("content_type__app_label", "codename"))


def setup_staff_roles(*, user=None) -> dict[str, int]:
    """Create or update the role groups so each holds exactly its permissions (safe to run again after
    every migration); returns the number of permissions per role."""
    counts: dict[str, int] = {}
    with transaction.atomic():
        for role in ROLES:
            group, _ = Group.objects.get_or_create(name=role)
            permissions = role_permissions(role)
            group.permissions.set(permissions)
            counts[role] = len(permissions)
        record_audit("staff_roles.set_up", user=user, **counts)
    return counts
