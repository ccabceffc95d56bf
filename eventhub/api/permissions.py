"""Every API route needs a key; staff-only routes additionally need a staff key."""

from __future__ import annotations

from rest_framework.permissions import BasePermission


class HasAccountOrStaffKey(BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.user is not None and getattr(request.user, "is_authenticated", False)


class IsStaffKey(BasePermission):
    message = "This operation needs a staff API key."

    def has_permission(self, request, view) -> bool:
        return bool(getattr(request.user, "is_staff", False))


class ReadOrStaffWrite(BasePermission):
    """The catalog: every key reads it; only staff keys change it."""

    message = IsStaffKey.message

    def has_permission(self, request, view) -> bool:
        if not HasAccountOrStaffKey().has_permission(request, view):
            return False
        return request.method in ("GET", "HEAD", "OPTIONS") or bool(request.user.is_staff)
