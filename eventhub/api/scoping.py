"""Tenant scoping: an account key sees only its account; a staff key sees all, or one account when it
names it (`X-EventHub-Account` header or `account_token` query/body field)."""

from __future__ import annotations

from django.db.models import QuerySet

from eventhub.errors import Forbidden, InvalidInput, NotFound
from eventhub.models import Account

ACCOUNT_HEADER = "X-EventHub-Account"


def _named_account(token: str) -> Account:
    account = Account.objects.filter(token=token).first()
    if account is None:
        raise NotFound(f"No account {token[:64]!r}.")
    return account


def caller_account(request, body_token: str | None = None) -> Account | None:
    """The account the request acts for; None means "every account" (staff keys only)."""
    caller = request.user
    if body_token is not None and not isinstance(body_token, str):
        raise InvalidInput("account_token must be a string.", {"account_token": ["Must be a string."]})
    named = body_token or request.headers.get(ACCOUNT_HEADER) or request.query_params.get("account_token")
    if caller.account is not None:
        if named and named != caller.account.token and not caller.is_staff:
            raise NotFound(f"No account {named[:64]!r}.")
        return caller.account
    return _named_account(named) if named else None


def acting_account(request, body_token: str | None = None) -> Account:
    """For writes: the one account the change belongs to (a staff key must name it)."""
    account = caller_account(request, body_token)
    if account is None:
        raise InvalidInput(
            f"A staff key must name the account: send {ACCOUNT_HEADER} or account_token.",
            {"account_token": ["Required with a staff key."]},
        )
    return account


def scoped(queryset: QuerySet, request) -> QuerySet:
    account = caller_account(request)
    return queryset if account is None else queryset.filter(account=account)


def for_org(request, org_id: str) -> Account:
    """Billing dialect: the path's orgId must be the caller's account (staff may use any)."""
    caller = request.user
    if caller.account is not None and caller.account.token != org_id and not caller.is_staff:
        raise Forbidden("This key does not belong to that organization.")
    return (
        caller.account
        if caller.account is not None and caller.account.token == org_id
        else _named_account(org_id)
    )
