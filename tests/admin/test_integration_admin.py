"""Integration configurations in the admin: listed with their account, destination, entity, enabled flag
and status; enabled and disabled by operators only, through the API's service (routing follows, one audit
row for the staff user, lastModifiedBy `user:<username>`); the change page is read-only. Also: admin
saves of scheduled configurations and event-type archives are audited by their services, once."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from eventhub.models import AuditLogEntry
from eventhub.services.rules import create_rule
from eventhub.services.staff_roles import OPERATOR, SUPPORT, VIEWER
from scheduled_events.models import ScheduledEventConfiguration
from subscriptions.integrations import UNROUTED, create_integration, create_webhook_destination
from subscriptions.models import EventSubscription, IntegrationConfiguration

CHANGELIST = "admin:subscriptions_integrationconfiguration_changelist"
CREDENTIALS = {"type": "M3TER_SIGNED_REQUEST", "apiKey": "k", "secret": "s"}


@pytest.fixture
def config(world) -> IntegrationConfiguration:
    destination = create_webhook_destination(
        world.account, url="https://hooks.example.com/billing", name="billing", credentials=CREDENTIALS
    )
    rule = create_rule(
        world.account, name="Any", code="any", event_name="card.created", always_fire_event=True
    )
    return create_integration(
        world.account,
        destination="WEBHOOK",
        entity_type="Notification",
        destination_id=destination.token,
        entity_id=rule.token,
    )


@pytest.fixture
def role_client(db, client, django_user_model):
    call_command("setup_staff_roles", stdout=open("/dev/null", "w"))  # noqa: SIM115

    def login(role: str):
        user = django_user_model.objects.create_user(f"{role}-user", password="x", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
        return client

    return login


def _routes(config: IntegrationConfiguration) -> list[str]:
    return EventSubscription.objects.get(pk=config.subscription_id).event_types


@pytest.mark.django_db
def test_the_list_shows_account_destination_entity_enabled_and_status_and_filters(staff, config):
    page = staff.get(reverse(CHANGELIST)).content.decode()
    assert config.token in page and "Acme" in page and "https://hooks.example.com/billing" in page
    assert f"Notification {config.entity_id}" in page and "waiting" in page  # nothing routed yet
    assert config.token not in staff.get(reverse(CHANGELIST) + "?enabled__exact=0").content.decode()
    assert config.token in staff.get(reverse(CHANGELIST) + f"?q={config.token}").content.decode()


@pytest.mark.django_db
def test_an_operator_disables_and_enables_through_the_service(role_client, config):
    client = role_client(OPERATOR)
    client.post(reverse(CHANGELIST), {"action": "disable", "_selected_action": [config.pk]})
    config.refresh_from_db()
    assert config.enabled is False and _routes(config) == [UNROUTED]
    assert config.last_modified_by == "user:operator-user"
    client.post(reverse(CHANGELIST), {"action": "enable", "_selected_action": [config.pk]})
    config.refresh_from_db()
    assert config.enabled is True and _routes(config) == ["notification.any"]
    rows = AuditLogEntry.objects.filter(object_token=config.token).exclude(action="integration.created")
    assert [(r.action, r.actor_user.username) for r in rows.order_by("id")] == [
        ("integration.disabled", "operator-user"),
        ("integration.enabled", "operator-user"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [VIEWER, SUPPORT])
def test_viewers_and_support_may_look_but_not_disable(role_client, config, role):
    client = role_client(role)
    assert config.token in client.get(reverse(CHANGELIST)).content.decode()
    client.post(reverse(CHANGELIST), {"action": "disable", "_selected_action": [config.pk]})
    config.refresh_from_db()
    assert config.enabled is True and _routes(config) == ["notification.any"]
    assert not AuditLogEntry.objects.filter(action="integration.disabled").exists()


@pytest.mark.django_db
def test_the_change_page_is_read_only_even_for_a_superuser(staff, config):
    url = reverse("admin:subscriptions_integrationconfiguration_change", args=[config.pk])
    page = staff.get(url)
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert staff.post(url, {"enabled": ""}).status_code == 403
    assert staff.get(reverse("admin:subscriptions_integrationconfiguration_add")).status_code == 403
    config.refresh_from_db()
    assert config.enabled is True


@pytest.mark.django_db
def test_an_admin_delete_goes_through_the_service(staff, config, admin_user):
    url = reverse("admin:subscriptions_integrationconfiguration_delete", args=[config.pk])
    staff.post(url, {"post": "yes"})
    assert not IntegrationConfiguration.objects.filter(pk=config.pk).exists()
    assert _routes(config) == [UNROUTED]
    row = AuditLogEntry.objects.get(action="integration.deleted", object_token=config.token)
    assert row.actor_user_id == admin_user.pk


@pytest.mark.django_db
def test_admin_scheduled_configuration_saves_are_audited_once_by_the_service(staff, world, admin_user):
    url = reverse("admin:scheduled_events_scheduledeventconfiguration_add")
    data = {
        "account": world.account.pk,
        "name": "scheduled.commitment.ending",
        "entity": "commitment",
        "field": "endDate",
        "offset": -30,
        "active": "on",
    }
    assert staff.post(url, data).status_code == 302
    configuration = ScheduledEventConfiguration.objects.get()
    change = reverse("admin:scheduled_events_scheduledeventconfiguration_change", args=[configuration.pk])
    assert staff.post(change, {**data, "offset": -10}).status_code == 302
    rows = AuditLogEntry.objects.filter(object_token=configuration.token).order_by("id")
    assert [(r.action, r.actor_user_id) for r in rows] == [
        ("scheduled_event.created", admin_user.pk),
        ("scheduled_event.updated", admin_user.pk),
    ]
    configuration.refresh_from_db()
    assert (configuration.created_by, configuration.last_modified_by) == ("user:admin", "user:admin")


@pytest.mark.django_db
def test_admin_archive_is_audited_once_by_the_catalog_service(staff, event_types, admin_user):
    event_type = event_types["card.shipped"]
    url = reverse("admin:eventhub_eventtype_changelist")
    staff.post(url, {"action": "archive", "_selected_action": [event_type.pk]})
    staff.post(url, {"action": "archive", "_selected_action": [event_type.pk]})  # already archived
    staff.post(url, {"action": "unarchive", "_selected_action": [event_type.pk]})
    rows = AuditLogEntry.objects.filter(object_token="card.shipped").order_by("id")
    assert [(r.action, r.actor_user_id) for r in rows] == [
        ("event_type.archived", admin_user.pk),
        ("event_type.unarchived", admin_user.pk),
    ]
