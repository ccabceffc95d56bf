"""Admin for tenants and their API keys. Keys are issued and revoked only through the account services,
and the raw key is shown once, in the response that created it (never stored in a cookie or session)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join

from eventhub.admin_base import admin_link, changelist_url, short_time, status_pill
from eventhub.models import Account, ApiKey, Event
from eventhub.services.accounts import issue_api_key, revoke_api_key

# (label, model) of the lists an account row links to, filtered by account. The higher apps' admins add
# theirs (subscriptions, messages) when they are imported: this layer does not know them.
ACCOUNT_LINKS: list[tuple[str, type]] = [("events", Event)]


def _show_issued_keys(request, issued: list, title: str) -> TemplateResponse:
    """Render the new raw keys in this response's messages; they are consumed by this render, so
    Django's message storage never persists them."""
    for item in issued:
        messages.success(
            request,
            format_html(
                'New API key for <strong>{}</strong>: <code class="eh-secret" data-raw-key>{}</code> '
                '<button type="button" class="eh-copy" data-copy="{}">Copy</button> — copy it now, it is shown only once.',
                item.api_key.account.name if item.api_key.account else "staff",
                item.raw_key,
                item.raw_key,
            ),
        )
    context = {
        **admin.site.each_context(request),
        "title": title,
        "issued": issued,
        "keys_url": changelist_url(ApiKey),
    }
    return TemplateResponse(request, "admin/eventhub/apikey/issued.html", context)


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("key_id", "prefix_display", "name", "is_staff", "created", "last_used_at", "state")
    readonly_fields = fields
    verbose_name_plural = "API keys (issue one with the “Issue an API key” action)"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="prefix")
    def prefix_display(self, key: ApiKey):
        return format_html("<code>{}…</code>", key.prefix)

    @admin.display(description="state")
    def state(self, key: ApiKey):
        return status_pill("failed", "revoked") if key.revoked_at else status_pill("success", "active")


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("name", "token", "active_pill", "retention_days", "created_display", "links")
    list_filter = ("is_active",)
    search_fields = ("name", "=token")
    readonly_fields = ("token", "created")
    fields = ("name", "token", "is_active", "retention_days", "created")
    inlines = (ApiKeyInline,)
    actions = ("issue_key",)
    show_facets = admin.ShowFacets.NEVER

    @admin.display(description="status", ordering="is_active")
    def active_pill(self, account: Account):
        return status_pill("success", "active") if account.is_active else status_pill("failed", "inactive")

    @admin.display(description="created", ordering="created")
    def created_display(self, account: Account):
        return short_time(account.created)

    @admin.display(description="")
    def links(self, account: Account):
        return format_html_join(
            " · ",
            '<a href="{}">{}</a>',
            ((changelist_url(model, account=account.pk), label) for label, model in ACCOUNT_LINKS),
        )

    def has_issue_key_permission(self, request) -> bool:
        """Issuing hands out a raw key for the account: the same right as adding a key on the keys page."""
        return request.user.has_perm("eventhub.add_apikey")

    @admin.action(description="Issue an API key for the selected accounts", permissions=["issue_key"])
    def issue_key(self, request, queryset):
        with transaction.atomic():
            issued = []
            for account in queryset:
                item = issue_api_key(account, name=f"admin:{request.user.get_username()}", actor=request.user)
                issued.append(item)
        return _show_issued_keys(request, issued, "API keys issued")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = (
        "key_id",
        "prefix_display",
        "account_link",
        "name",
        "is_staff",
        "created",
        "last_used",
        "state",
    )
    list_filter = ("is_staff", ("revoked_at", admin.EmptyFieldListFilter))
    list_select_related = ("account",)
    search_fields = ("=key_id", "=prefix", "name")
    actions = ("revoke",)
    show_facets = admin.ShowFacets.NEVER

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("account", "name", "is_staff")
        return ("key_id", "prefix", "account", "name", "is_staff", "created", "last_used_at", "revoked_at")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("key_id", "prefix", "account", "is_staff", "created", "last_used_at", "revoked_at")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead: the row keeps the audit trail and last-used time

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name"])
            return
        issued = issue_api_key(obj.account, name=obj.name, is_staff=obj.is_staff, actor=request.user)
        obj.pk = issued.api_key.pk
        obj.__dict__.update({k: v for k, v in issued.api_key.__dict__.items() if not k.startswith("_")})
        request._eventhub_issued_key = issued

    def response_add(self, request, obj, post_url_continue=None):
        issued = getattr(request, "_eventhub_issued_key", None)
        if issued is None:
            return super().response_add(request, obj, post_url_continue)
        return _show_issued_keys(request, [issued], "API key issued")

    @admin.display(description="prefix")
    def prefix_display(self, key: ApiKey):
        return format_html("<code>{}…</code>", key.prefix)

    @admin.display(description="account")
    def account_link(self, key: ApiKey):
        return admin_link(key.account) if key.account_id else status_pill("pending", "staff")

    @admin.display(description="last used", ordering="last_used_at")
    def last_used(self, key: ApiKey):
        return short_time(key.last_used_at)

    @admin.display(description="state")
    def state(self, key: ApiKey):
        return status_pill("failed", "revoked") if key.revoked_at else status_pill("success", "active")

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke(self, request, queryset):
        revoked = 0
        with transaction.atomic():
            for key in queryset.select_related("account").filter(revoked_at__isnull=True):
                revoke_api_key(key, actor=request.user)
                revoked += 1
        self.message_user(
            request, f"Revoked {revoked} key(s); they stop working immediately.", messages.SUCCESS
        )
