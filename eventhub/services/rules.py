"""Notification rules (DESIGN section 6): save them with their calculation compiled, and apply them to
every new event. A rule that holds emits `notification.<code>`, caused by the event, which
subscriptions receive like any other event."""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from eventhub import hotcache
from eventhub.catalog.packs import numeric_string_paths
from eventhub.errors import Conflict, InvalidInput
from eventhub.models import Account, Event, EventCategory, EventType, NotificationRule
from eventhub.rules.expression import Calculation, InvalidCalculation, compile_calculation
from eventhub.selectors import event_types_named
from eventhub.services.audit import Actor, record_action, stamp
from eventhub.services.catalog import derive_owned_type, retire_owned_type
from eventhub.services.ingest import EventSpec, record_events
from eventhub.services.rule_changes import rules_changed
from eventhub.services.validation import EVENT_TYPE_NAME_MAX
from eventhub.versions import check_version

logger = logging.getLogger(__name__)
NOTIFICATION_PREFIX = "notification."
CODE = re.compile(r"^[A-Za-z0-9_]+$")
CODE_MAX = min(100, EVENT_TYPE_NAME_MAX - len(NOTIFICATION_PREFIX))
FIELDS = ("name", "code", "description", "event_name", "calculation", "always_fire_event", "active")


def notification_type_name(code: str) -> str:
    return NOTIFICATION_PREFIX + code


@lru_cache(maxsize=4096)
def compiled(rule_id: int, version: int, text: str) -> Calculation:
    """Parsed once per (rule, version): evaluation is then a walk over a frozen AST."""
    return compile_calculation(text)


def check_rule(account: Account, values: dict[str, Any]) -> dict[str, Any]:
    """Validate a full rule body (no writes): the services and the admin form both call it."""
    errors: dict[str, list[str]] = {}
    for key, limit in (("name", 200), ("description", 2000)):
        value = values.get(key)
        if not isinstance(value, str) or len(value) > limit or (key == "name" and not value.strip()):
            errors[key] = [
                f"Must be a {'non-empty ' if key == 'name' else ''}string of at most {limit} characters."
            ]
    code = values.get("code")
    if not isinstance(code, str) or not CODE.match(code) or len(code) > CODE_MAX:
        errors["code"] = [f"Must be letters, digits and _ (at most {CODE_MAX} characters)."]
    event_name = values.get("event_name")
    event_type = (
        event_types_named(account, [event_name]).get(event_name) if isinstance(event_name, str) else None
    )
    if event_type is None or event_type.archived:  # another account's types are unknown here
        errors["event_name"] = [f"Unknown event type {str(event_name)[:EVENT_TYPE_NAME_MAX]!r}."]
    for flag in ("always_fire_event", "active"):
        if not isinstance(values.get(flag), bool):
            errors[flag] = ["Must be true or false."]
    calculation = values.get("calculation")
    if calculation is None:
        values["calculation"] = calculation = ""
    if not isinstance(calculation, str):
        errors["calculation"] = ["Must be a string."]
    elif calculation.strip():
        try:
            compile_calculation(calculation)
        except InvalidCalculation as exc:
            errors["calculation"] = [exc.message]
    elif values.get("always_fire_event") is False:
        errors["calculation"] = ["Required unless alwaysFireEvent is true."]
    if errors:
        first = next(iter(errors))
        raise InvalidInput(f"{first}: {errors[first][0]}", errors)
    return values


def _ensure_notification_type(rule: NotificationRule) -> EventType:
    """The rule's `notification.<code>` type, owned by the rule's account (its example names the rule)."""
    return derive_owned_type(
        rule.account,
        notification_type_name(rule.code),
        category=EventCategory.NOTIFICATION,
        description=f"Notification {rule.code!r}: emitted when its rule on {rule.event_name} holds.",
        example=notification_payload(
            rule, Event(token="evt_example", event_type_id=rule.event_name, payload={})
        ),
    )


def _routes_changed(account: Account) -> None:
    """Webhook destinations linked to rules (billing integration configurations) follow code changes."""
    rules_changed(account)


def create_rule(account: Account, *, actor: Actor = None, **fields: Any) -> NotificationRule:
    """A new rule and its `notification.<code>` type; audited (and stamped createdBy) for `actor`."""
    values = check_rule(
        account, {"description": "", "calculation": "", "always_fire_event": False, "active": True, **fields}
    )
    try:
        with transaction.atomic():
            rule = NotificationRule(account=account, **{k: values[k] for k in FIELDS})
            stamp(rule, actor, created=True)
            rule.save()
            record_action(actor, "notification_rule.created", target=rule, code=rule.code)
            _ensure_notification_type(rule)
            _routes_changed(account)
            return rule
    except IntegrityError:
        raise Conflict(
            f"A notification with code {values['code']!r} already exists.", {"code": ["Already exists."]}
        ) from None


def update_rule(
    rule: NotificationRule, changes: dict[str, Any], *, version: int | None = None, actor: Actor = None
) -> NotificationRule:
    """Replace the given fields (others keep their values) if `version` is current; bumps the version.
    Audited (and stamped lastModifiedBy) for `actor`."""
    try:
        with transaction.atomic():
            locked = NotificationRule.objects.select_for_update().get(pk=rule.pk)
            check_version(locked.version, version)
            values = check_rule(
                locked.account,
                {
                    **{k: getattr(locked, k) for k in FIELDS},
                    **{k: v for k, v in changes.items() if k in FIELDS},
                },
            )
            old_code = locked.code
            code_changed = values["code"] != old_code
            for key in FIELDS:
                setattr(locked, key, values[key])
            locked.version += 1
            stamp(locked, actor)
            locked.save()
            record_action(actor, "notification_rule.updated", target=locked, fields=sorted(changes))
            _ensure_notification_type(locked)
            if code_changed:
                retire_owned_type(locked.account, notification_type_name(old_code))
                _routes_changed(locked.account)
            return locked
    except IntegrityError:
        raise Conflict(
            f"A notification with code {changes.get('code')!r} already exists.", {"code": ["Already exists."]}
        ) from None


def delete_rule(rule: NotificationRule, *, actor: Actor = None) -> NotificationRule:
    """Its past notification events stay; its own type is retired (archived) and destinations stop
    receiving it. Another account's rule with the same code keeps its type. Audited for `actor`."""
    with transaction.atomic():
        account = rule.account
        record_action(actor, "notification_rule.deleted", target=rule, code=rule.code)
        rule.delete()
        retire_owned_type(account, notification_type_name(rule.code))
        _routes_changed(account)
    return rule


def notification_payload(rule: NotificationRule, event: Event) -> dict:
    return {
        "event_type": notification_type_name(rule.code),
        "rule": {"id": rule.token, "code": rule.code, "name": rule.name, "event_name": rule.event_name},
        "source_event": {"token": event.token, "event_type": event.event_type_name},
        "new": event.payload,
        "old": event.previous_state,
    }


def _holds(rule: NotificationRule, event: Event) -> bool:
    if rule.always_fire_event:
        return True
    if not rule.calculation.strip():
        return False
    try:
        calculation = compiled(rule.pk, rule.version, rule.calculation)
    except InvalidCalculation:  # saved before a stricter limit; refused at save time today
        logger.warning("notification rule %s has an invalid calculation; skipped", rule.token)
        return False
    return calculation.is_true(event.payload, event.previous_state, _numeric_paths(event.event_type))


_NUMERIC_PATHS: dict[tuple[str, object], frozenset[tuple[str, ...]]] = {}


def _numeric_paths(event_type: EventType) -> frozenset[tuple[str, ...]]:
    """The type's decimal-string fields, computed once per type version (its `updated` stamp)."""
    stamp = (event_type.key, event_type.updated)
    paths = _NUMERIC_PATHS.get(stamp)
    if paths is None:
        if len(_NUMERIC_PATHS) >= 4096:
            _NUMERIC_PATHS.clear()
        paths = _NUMERIC_PATHS[stamp] = numeric_string_paths(event_type.schema)
    return paths


def active_rules(account_ids: set[int], event_names: set[str]) -> list[NotificationRule]:
    """The accounts' active rules on these event names. One account (a one-event publish) is served from
    a per-process memo of all its active rules for at most 1 s (eventhub/hotcache.py): a new or changed
    rule applies to every event published 1 s after the change."""
    if len(account_ids) == 1:
        [account_id] = account_ids
        every = hotcache.get(
            ("rules", account_id),
            lambda: list(NotificationRule.objects.filter(active=True, account_id=account_id)),
        )
        return [rule for rule in every if rule.event_name in event_names]
    return list(
        NotificationRule.objects.filter(active=True, account_id__in=account_ids, event_name__in=event_names)
    )


hotcache.clear_on_change(NotificationRule)


def _idle_for(events: list[Event], *, depth: int = 0) -> bool:
    """Before the insert (eventhub/services/processors.py): no active rule on any of the events' types,
    so no notification can be emitted. The same memoised lookup apply_notification_rules makes."""
    return not active_rules({e.account_id for e in events}, {e.event_type_name for e in events})


def apply_notification_rules(events: list[Event], *, depth: int = 0) -> None:
    """Event processor: one query for the batch's active rules, then `notification.<code>` events
    recorded at depth+1; nothing is emitted beyond EVENTHUB_MAX_CAUSAL_DEPTH (rule loops end there)."""
    if not events:
        return
    rules = active_rules({e.account_id for e in events}, {e.event_type_name for e in events})
    by_key: dict[tuple[int, str], list[NotificationRule]] = defaultdict(list)
    for rule in rules:
        by_key[(rule.account_id, rule.event_name)].append(rule)
    if not by_key:
        return
    fired: dict[int, list[tuple[NotificationRule, Event]]] = defaultdict(list)
    for event in events:
        for rule in by_key.get((event.account_id, event.event_type_name), ()):
            if _holds(rule, event):
                fired[event.account_id].append((rule, event))
    if not fired:
        return
    if depth >= settings.EVENTHUB_MAX_CAUSAL_DEPTH:
        logger.warning("notification rules not applied at causal depth %s (EVENTHUB_MAX_CAUSAL_DEPTH)", depth)
        return
    keys = {
        EventType.key_for(notification_type_name(rule.code), event.account)
        for items in fired.values()
        for rule, event in items
    }
    types = {t.key: t for t in EventType.objects.filter(key__in=keys)}  # each account's own types
    for items in fired.values():
        account = items[0][1].account
        specs = []
        for rule, event in items:
            key = EventType.key_for(notification_type_name(rule.code), account)
            if key not in types:
                types[key] = _ensure_notification_type(rule)
            specs.append(
                EventSpec(event_type=types[key], payload=notification_payload(rule, event), caused_by=event)
            )
        record_events(account, specs, depth=depth + 1)


apply_notification_rules.idle_for = _idle_for
