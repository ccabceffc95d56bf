"""Defaults that come from settings are read when used, never frozen into a row or a migration: an
operator who changes EVENTHUB_DEFAULT_RETENTION_DAYS changes every account without a value of its own
(EVENTHUB_SUBSCRIPTION_CONCURRENCY: tests/deliveries/test_concurrency_setting.py)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from eventhub.models import Account
from eventhub.services.accounts import create_account
from eventhub.services.retention import retention_days

pytestmark = pytest.mark.django_db


def test_an_account_without_its_own_retention_follows_the_setting_when_it_changes(settings):
    account = create_account("follows the default")
    settings.EVENTHUB_DEFAULT_RETENTION_DAYS = 7
    assert retention_days(Account.objects.get(pk=account.pk)) == 7


def test_an_account_with_its_own_retention_keeps_it_when_the_setting_changes(settings):
    account = create_account("own retention", retention_days=90)
    settings.EVENTHUB_DEFAULT_RETENTION_DAYS = 7
    assert retention_days(Account.objects.get(pk=account.pk)) == 90


def test_the_models_match_the_migrations(capsys):
    call_command("makemigrations", "--check", "--dry-run", verbosity=1)
