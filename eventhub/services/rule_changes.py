"""Who must hear that an account's notification rules changed (created, renamed, deleted).

The rules live here, but what follows them lives in higher apps (subscriptions routes notification types
to the webhook destinations its integration configurations name). Those apps register a listener in their
`AppConfig.ready()`; eventhub never imports them.
"""

from __future__ import annotations

from collections.abc import Callable

from eventhub.models import Account

RuleChangeListener = Callable[[Account], None]
rule_change_listeners: list[RuleChangeListener] = []


def on_rule_change(listener: RuleChangeListener) -> None:
    """Register `listener(account)`; registering the same function twice keeps one entry."""
    if listener not in rule_change_listeners:
        rule_change_listeners.append(listener)


def rules_changed(account: Account) -> None:
    """Called inside the rule's transaction, so listeners' writes commit or roll back with it."""
    for listener in rule_change_listeners:
        listener(account)
