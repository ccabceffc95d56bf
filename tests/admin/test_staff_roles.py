"""Staff roles against every admin action, button and custom view. The cases are generated from the
admin site itself (every registered ModelAdmin's actions, every URL its get_urls() adds), so a new action
without a declared permission, or a new action or custom page without an expectation here, fails."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from eventhub.models import AuditLogEntry
from eventhub.services.rules import create_rule
from eventhub.services.staff_roles import OPERATOR, ROLES, SUPPORT, VIEWER, role_permissions

EVERYONE = frozenset(ROLES)
OPERATORS = frozenset({OPERATOR})
SUPPORTERS = frozenset({SUPPORT, OPERATOR})
NOBODY = frozenset()

# Which roles may run each action (superusers may run all). `delete_selected` is listed per model below.
ACTION_ROLES: dict[tuple[str, str], frozenset[str]] = {
    ("eventhub.account", "issue_key"): NOBODY,
    ("eventhub.apikey", "revoke"): NOBODY,
    ("eventhub.event", "mark_actioned"): SUPPORTERS,
    ("eventhub.eventtype", "archive"): OPERATORS,
    ("eventhub.eventtype", "unarchive"): OPERATORS,
    ("subscriptions.eventsubscription", "enable"): OPERATORS,
    ("subscriptions.eventsubscription", "disable"): OPERATORS,
    ("subscriptions.eventsubscription", "rotate"): OPERATORS,
    ("subscriptions.eventsubscription", "recover_failed"): SUPPORTERS,
    ("subscriptions.eventsubscription", "replay_missing"): SUPPORTERS,
    ("subscriptions.eventsubscription", "send_example"): SUPPORTERS,
    ("subscriptions.integrationconfiguration", "enable"): OPERATORS,
    ("subscriptions.integrationconfiguration", "disable"): OPERATORS,
    ("deliveries.message", "resend_messages"): SUPPORTERS,
    ("axes.accessattempt", "cleanup_expired_attempts"): NOBODY,
    ("django_celery_beat.periodictask", "enable_tasks"): OPERATORS,
    ("django_celery_beat.periodictask", "disable_tasks"): OPERATORS,
    ("django_celery_beat.periodictask", "toggle_tasks"): OPERATORS,
    ("django_celery_beat.periodictask", "run_tasks"): OPERATORS,
}
# Models operators may delete rows of from the admin; every other admin refuses deletion to the roles.
OPERATOR_DELETES = {
    "eventhub.notificationrule",
    "subscriptions.eventsubscription",
    "subscriptions.integrationconfiguration",
    "scheduled_events.scheduledeventconfiguration",
    "django_celery_beat.periodictask",
    "django_celery_beat.intervalschedule",
    "django_celery_beat.crontabschedule",
    "django_celery_beat.solarschedule",
    "django_celery_beat.clockedschedule",
}

# Custom admin views: (method, POST data, roles allowed). Every one takes the object id of its model
# (from `objects` below) when its pattern has one.
CUSTOM_VIEWS: dict[str, tuple[str, dict, frozenset[str]]] = {
    "eventhub_eventtype_validate": ("get", {}, EVERYONE),
    "eventhub_notificationrule_test": ("get", {}, EVERYONE),
    "subscriptions_eventsubscription_reveal": ("post", {}, OPERATORS),
    "subscriptions_eventsubscription_rotate": ("post", {}, OPERATORS),
    "subscriptions_eventsubscription_state": (
        "post",
        {"state": "disable", "disable_reason": "test"},
        OPERATORS,
    ),
    "deliveries_jobs": ("get", {}, EVERYONE),
    "deliveries_health": ("get", {}, EVERYONE),
}
STANDARD_SUFFIXES = ("_changelist", "_add", "_history", "_delete", "_change")
STANDARD_SITE_VIEWS = {
    "index",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "autocomplete",
    "jsi18n",
    "view_on_site",
    "app_list",
    "auth_user_password_change",
}


def _registered_actions() -> list[tuple[str, str]]:
    return sorted(
        (model._meta.label_lower, name)
        for model, model_admin in admin.site._registry.items()
        for _func, name, _description in model_admin._get_base_actions()
    )


def _custom_views() -> list[tuple[str, str | None]]:
    """(url name, model label or None for the site) of every URL that is not one of Django's own."""
    found = []
    for model, model_admin in admin.site._registry.items():
        for pattern in model_admin.get_urls():
            if pattern.name is None or pattern.name.endswith(STANDARD_SUFFIXES):
                continue
            found.append((pattern.name, model._meta.label_lower))
    for pattern in admin.site.get_urls():
        name = getattr(pattern, "name", None)
        if name is not None and name not in STANDARD_SITE_VIEWS:
            found.append((name, None))
    return sorted(found)


def _expected_action_roles(label: str, action: str) -> frozenset[str]:
    if action == "delete_selected":
        return OPERATORS if label in OPERATOR_DELETES else NOBODY
    assert (label, action) in ACTION_ROLES, (
        f"admin action {label}.{action} has no expectation in ACTION_ROLES"
    )
    return ACTION_ROLES[label, action]


@pytest.fixture
def role_users(db, django_user_model) -> dict[str, object]:
    call_command("setup_staff_roles", stdout=open("/dev/null", "w"))  # noqa: SIM115
    users = {}
    for role in ROLES:
        user = django_user_model.objects.create_user(f"{role}-user", password="x", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        users[role] = django_user_model.objects.get(pk=user.pk)  # fresh: no cached permissions
    return users


@pytest.fixture
def objects(world) -> dict[str, int]:
    """One row per model the actions and custom views touch; other models' actions get a missing pk."""
    message = world.add_deliveries(1, failed_every=1)[0]
    rule = create_rule(
        world.account, name="big", code="big", event_name="card.created", calculation="new.amount > 1"
    )
    from eventhub.models import ApiKey, EventType
    from eventhub.services.ingest import EventSpec, record_events
    from subscriptions.integrations import create_integration, create_webhook_destination

    destination = create_webhook_destination(
        world.account,
        url="https://hooks.example.com/billing",
        name="billing hook",
        credentials={"type": "M3TER_SIGNED_REQUEST", "apiKey": "k", "secret": "s"},
    )
    rule_route = create_integration(
        world.account,
        destination="WEBHOOK",
        entity_type="Notification",
        destination_id=destination.token,
        entity_id=rule.token,
        enabled=False,  # so that `enable` changes it (and `disable` is a no-op): both are checked
    )
    [error] = record_events(
        world.account, [EventSpec(EventType.objects.get(name="ingest.validation_failure"), {"errors": []})]
    )
    assert error.event.awaiting_action  # an error event: "Mark actioned" has something to change
    return {
        "eventhub.event": error.event.pk,
        "eventhub.account": world.account.pk,
        "eventhub.apikey": ApiKey.objects.filter(account=world.account).values_list("pk", flat=True).first(),
        "eventhub.eventtype": EventType.objects.get(name="card.created").pk,
        "eventhub.notificationrule": rule.pk,
        "subscriptions.eventsubscription": world.subscription.pk,
        "subscriptions.integrationconfiguration": rule_route.pk,
        "deliveries.message": message.pk,
    }


def _row(model, pk) -> dict | None:
    return model.objects.filter(pk=pk).values().first()


@pytest.mark.parametrize("label,action", _registered_actions())
def test_every_admin_action_declares_a_permission(label, action):
    model_admin = next(a for m, a in admin.site._registry.items() if m._meta.label_lower == label)
    func = next(f for f, name, _ in model_admin._get_base_actions() if name == action)
    assert getattr(func, "allowed_permissions", None), f"{label}.{action} declares no permissions="
    _expected_action_roles(label, action)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("label,action", _registered_actions())
def test_each_role_can_run_exactly_its_admin_actions(client, role_users, objects, role, label, action):
    model, model_admin = next((m, a) for m, a in admin.site._registry.items() if m._meta.label_lower == label)
    allowed = role in _expected_action_roles(label, action)
    user = role_users[role]
    client.force_login(user)
    pk = objects.get(label, 0)
    before, audits = _row(model, pk), AuditLogEntry.objects.count()
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = client.post(url, {"action": action, "_selected_action": [pk]}, follow=True)
    page = response.content.decode()
    if allowed:
        assert response.status_code == 200 and "No action selected" not in page
    else:
        assert response.status_code in (200, 403)
        assert "New API key for" not in page and "data-raw-key" not in page
        assert _row(model, pk) == before and AuditLogEntry.objects.count() == audits
    request = RequestFactory().get("/")
    request.user = user
    assert (action in model_admin.get_actions(request)) is allowed


def test_every_custom_admin_view_has_an_expectation():
    unlisted = [name for name, _ in _custom_views() if name not in CUSTOM_VIEWS]
    assert not unlisted, f"custom admin views without an expectation in CUSTOM_VIEWS: {unlisted}"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name,label", _custom_views())
def test_each_role_reaches_exactly_its_custom_admin_views(client, role_users, objects, role, name, label):
    method, data, roles = CUSTOM_VIEWS[name]
    pattern_has_id = "object_id" in next(
        str(p.pattern) for m, a in admin.site._registry.items() for p in a.get_urls() if p.name == name
    )
    url = reverse(f"admin:{name}", args=[objects[label]] if pattern_has_id else [])
    client.force_login(role_users[role])
    audits = AuditLogEntry.objects.count()
    response = getattr(client, method)(url, data)
    if role in roles:
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 403
        assert AuditLogEntry.objects.count() == audits


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_subscription_page_offers_secret_and_state_buttons_only_to_operators(client, role_users, world, role):
    client.force_login(role_users[role])
    page = client.get(
        reverse("admin:subscriptions_eventsubscription_change", args=[world.subscription.pk])
    ).content.decode()
    for button in ('id="eh-reveal"', 'id="eh-rotate"', 'id="eh-disable"'):
        assert (button in page) is (role == OPERATOR)


@pytest.mark.django_db
def test_superuser_keeps_every_action(admin_user):
    request = RequestFactory().get("/")
    request.user = admin_user
    for model, model_admin in admin.site._registry.items():
        for _func, name, _ in model_admin._get_base_actions():
            if name == "delete_selected" and not model_admin.has_delete_permission(request):
                continue
            assert name in model_admin.get_actions(request), f"{model._meta.label_lower}.{name}"


@pytest.mark.django_db
def test_setup_staff_roles_gives_each_role_its_permissions_and_is_idempotent(role_users):
    call_command("setup_staff_roles", stdout=open("/dev/null", "w"))  # noqa: SIM115
    perms = {
        role: {
            f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=role).permissions.all()
        }
        for role in ROLES
    }
    assert all(p.split(".")[1].startswith("view_") for p in perms[VIEWER])
    assert "subscriptions.view_eventsubscription" in perms[VIEWER]
    assert perms[SUPPORT] - perms[VIEWER] == {
        "deliveries.change_message",
        "deliveries.add_recoveryjob",
        "deliveries.add_message",
        "eventhub.change_event",  # mark error events actioned
    }
    assert (
        "subscriptions.change_eventsubscription" in perms[OPERATOR]
        and "eventhub.view_apikey" in perms[OPERATOR]
    )
    assert (
        not {
            "eventhub.add_apikey",
            "eventhub.change_apikey",
            "eventhub.add_account",
            "eventhub.change_account",
        }
        & perms[OPERATOR]
    )
    assert not any(p.startswith("auth.") for role in ROLES for p in perms[role])
    assert all(len(perms[role]) == len(role_permissions(role)) for role in ROLES)
    assert Group.objects.filter(name__in=ROLES).count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_no_role_can_add_or_edit_accounts_or_keys(client, role_users, objects, role):
    client.force_login(role_users[role])
    for name in ("eventhub_account_add", "eventhub_apikey_add"):
        assert client.get(reverse(f"admin:{name}")).status_code == 403
    response = client.post(
        reverse("admin:eventhub_apikey_add"), {"account": objects["eventhub.account"], "name": "x"}
    )
    assert response.status_code == 403 and b"data-raw-key" not in response.content
    key = reverse("admin:eventhub_apikey_change", args=[objects["eventhub.apikey"]])
    assert b'name="_save"' not in client.get(key).content
