"""Building blocks every EventHub admin page shares: a paginator that never counts a huge table,
list filters that only touch indexed columns, exact-token search, and readable JSON.

Why: events, messages and attempts reach millions of rows; Django's defaults (COUNT(*) per page,
facet counts, case-insensitive search, date hierarchies) each turn into a full scan there.
"""

from __future__ import annotations

import json
import math
import re
from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from eventhub.models import Account

COUNT_CAP = 10_000
MAX_PAGES = 200


class LargeTablePaginator(Paginator):
    """Counts at most COUNT_CAP rows; an unfiltered PostgreSQL table is estimated from pg_class.

    The page links stop at MAX_PAGES (OFFSET grows linearly); search by token or filter to go deeper.
    """

    estimated = False
    capped = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if isinstance(queryset, QuerySet):
            estimate = _planner_estimate(queryset)
            if estimate is not None and estimate > COUNT_CAP:
                self.estimated = True
                return estimate
            found = queryset.order_by()[: COUNT_CAP + 1].count()
            if found > COUNT_CAP:
                self.capped = True
                return COUNT_CAP
            return found
        return len(queryset)

    @cached_property
    def num_pages(self) -> int:
        return min(super().num_pages, MAX_PAGES)

    @property
    def count_label(self) -> str:
        if self.estimated:
            return f"≈ {self.count:,}"
        if self.capped:
            return f"{COUNT_CAP:,}+"
        return f"{self.count:,}"


def _planner_estimate(queryset: QuerySet) -> int | None:
    """The planner's row estimate for an unfiltered table (PostgreSQL only); None elsewhere."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql" or queryset.query.where:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [queryset.model._meta.db_table]
        )
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] and row[0] > 0 else None


class LargeTableAdmin(admin.ModelAdmin):
    """Defaults for changelists over big tables: no full counts, no facets, no sorting by unindexed columns."""

    paginator = LargeTablePaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    list_max_show_all = 200
    sortable_by: tuple[str, ...] = ()
    token_search_fields: tuple[str, ...] = ("token",)
    search_help_text = "Exact token (e.g. evt_…)."
    search_fields = ("token",)  # presence turns the search box on; matching is done by get_search_results

    def get_search_results(self, request, queryset, search_term):
        """Tokens are matched exactly (the unique index), never with a case-insensitive LIKE scan."""
        term = search_term.strip()
        if not term:
            return queryset, False
        condition = Q()
        for field in self.token_search_fields:
            condition |= Q(**{field: term})
        return queryset.filter(condition), False


class ReadOnlyAdminMixin:
    """Records written by the hub itself (events, attempts, the audit log): look, never touch."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- list filters ---------------------------------------------------------------------------------


class CreatedWithinFilter(admin.SimpleListFilter):
    """A recent-window filter on `created` (indexed), instead of date_hierarchy's full-table DISTINCT."""

    title = "created"
    parameter_name = "created_within"
    field_name = "created"
    windows = {
        "1h": ("Last hour", timedelta(hours=1)),
        "24h": ("Last 24 hours", timedelta(days=1)),
        "7d": ("Last 7 days", timedelta(days=7)),
        "30d": ("Last 30 days", timedelta(days=30)),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in self.windows.items()]

    def queryset(self, request, queryset):
        window = self.windows.get(self.value() or "")
        if window is None:
            return queryset
        return queryset.filter(**{f"{self.field_name}__gte": timezone.now() - window[1]})


class AccountFilter(admin.SimpleListFilter):
    """Accounts by name (the first 100; beyond that filter by searching the account's token)."""

    title = "account"
    parameter_name = "account"
    field_name = "account_id"

    def lookups(self, request, model_admin):
        return [
            (str(pk), name) for pk, name in Account.objects.order_by("name").values_list("pk", "name")[:100]
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(**{self.field_name: int(value)})
        return queryset


class InputFilter(admin.SimpleListFilter):
    """A free-text filter (a token), for relations too large to list as links."""

    template = "admin/eventhub/input_filter.html"
    placeholder = ""

    def lookups(self, request, model_admin):
        return ()

    def has_output(self) -> bool:
        return True

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "All",
            "value": self.value() or "",
            "parameter_name": self.parameter_name,
            "placeholder": self.placeholder,
            "hidden": [
                (k, v) for k, v in changelist.get_filters_params().items() if k != self.parameter_name
            ],
        }


class ChoicesFilter(admin.SimpleListFilter):
    """Links for a fixed set of choices on a plain column."""

    field_name = ""
    choices_list: list[tuple[str, str]] = []

    def lookups(self, request, model_admin):
        return self.choices_list

    def queryset(self, request, queryset):
        value = self.value()
        if value in {key for key, _ in self.choices_list}:
            return queryset.filter(**{self.field_name: value})
        return queryset


# --- rendering ------------------------------------------------------------------------------------

_JSON_TOKEN = re.compile(
    r'(?P<key>"(?:\\.|[^"\\])*")(?=\s*:)|(?P<string>"(?:\\.|[^"\\])*")|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)'
    r"|(?P<literal>\btrue\b|\bfalse\b|\bnull\b)"
)


def pretty_json(value: Any, *, max_chars: int = 200_000) -> SafeString:
    """Indented, syntax-coloured JSON in a <pre>; escaped first, so payload content can never inject markup."""
    if value is None:
        return muted("—")
    text = json.dumps(value, indent=2, sort_keys=False, ensure_ascii=False, default=str)
    truncated = len(text) > max_chars
    text = text[:max_chars]

    def colour(match: re.Match[str]) -> str:
        kind = match.lastgroup
        return f'<span class="eh-json-{kind}">{match.group(0)}</span>'

    # Quotes are harmless in element text, so they are restored after escaping to let the tokenizer see them.
    body = _JSON_TOKEN.sub(colour, str(escape(text)).replace("&quot;", '"'))
    note = '<div class="eh-muted">… truncated</div>' if truncated else ""
    return mark_safe(
        f'<div class="eh-json-wrap"><button type="button" class="eh-copy" data-copy-json>Copy</button><pre class="eh-json">{body}</pre>{note}</div>'
    )  # noqa: S308


def status_pill(status: str, label: str | None = None) -> SafeString:
    return format_html('<span class="eh-pill eh-pill-{}">{}</span>', status.lower(), label or status.title())


def response_code_pill(code: int) -> SafeString:
    if not code:
        return mark_safe('<span class="eh-pill eh-pill-failed" title="no HTTP response">network</span>')
    kind = "success" if 200 <= code < 300 else "pending" if code < 400 else "failed"
    return format_html('<span class="eh-pill eh-pill-{}">{}</span>', kind, code)


def admin_link(obj: Any, label: str | None = None, *, pk: Any = None, model: Any = None) -> SafeString:
    """A link to an object's change page; works from a pk alone so lists need no join for it."""
    model = model or type(obj)
    pk = pk if pk is not None else obj.pk
    if pk is None:
        return muted("—")
    try:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[pk])
    except NoReverseMatch:
        return format_html("{}", label or obj)
    return format_html('<a href="{}">{}</a>', url, label if label is not None else str(obj))


def changelist_url(model: Any, **params: Any) -> str:
    from urllib.parse import urlencode

    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def short_time(value) -> SafeString:
    """Relative time with the exact UTC timestamp on hover."""
    if value is None:
        return muted("—")
    delta = timezone.now() - value
    seconds = delta.total_seconds()
    if seconds < 0:
        ago = f"in {_humanize(-seconds)}"
    else:
        ago = f"{_humanize(seconds)} ago"
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        value.strftime("%Y-%m-%d %H:%M:%S UTC"),
        ago,
    )


def _humanize(seconds: float) -> str:
    if seconds < 60:
        return f"{int(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"


def duration(ms: int | float | None) -> str:
    if ms is None or (isinstance(ms, float) and math.isnan(ms)):
        return "—"
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{int(round(ms))} ms"


# --- service errors on forms --------------------------------------------------------------------------


def add_service_errors(form, errors: dict[str, list[str]]) -> None:
    for field, messages in errors.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(
                target, message if target else f"{field}: {message}" if field != "__all__" else message
            )


# --- intermediate forms for actions -----------------------------------------------------------------


def action_form_step(
    modeladmin,
    request,
    queryset,
    form_class,
    *,
    title: str,
    intro: str,
    apply_label: str,
    initial=None,
    form_kwargs=None,
):
    """The second step of an action that needs input (a date range, a reason, an event type).

    Returns (cleaned_data, None) once the staff member confirmed a valid form, else (None, response)
    rendering the form with the selection carried along in hidden fields.
    """
    from django.contrib.admin import helpers
    from django.template.response import TemplateResponse

    form_kwargs = form_kwargs or {}
    if "_apply" in request.POST:
        form = form_class(request.POST, **form_kwargs)
        if form.is_valid():
            return form.cleaned_data, None
    else:
        form = form_class(initial=initial, **form_kwargs)
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": opts,
        "title": title,
        "intro": intro,
        "apply_label": apply_label,
        "form": form,
        "objects": list(queryset[:50]),
        "more": max(0, queryset.count() - 50)
        if request.POST.get("select_across") == "1"
        else max(0, len(request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)) - 50),
        "action": request.POST.get("action", ""),
        "select_across": request.POST.get("select_across", "0"),
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media + form.media,
    }
    return None, TemplateResponse(request, "admin/eventhub/action_form.html", context)


def muted(text: str) -> SafeString:
    """Secondary text (an empty value, a hint) in the quiet colour."""
    return format_html('<span class="eh-muted">{}</span>', text)
