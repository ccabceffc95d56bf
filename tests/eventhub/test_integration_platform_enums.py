"""The integration-platform pack's documented value sets (`active`/`inactive`, `success`/`error`,
`auto_closed`) are enums, so strict mode rejects any other value; the pack's own examples still pass."""

from __future__ import annotations

import pytest

from eventhub.catalog.packs import read_pack
from eventhub.models import Event
from eventhub.services.catalog import load_packs
from eventhub.services.ingest import IngestRejected, publish

pytestmark = pytest.mark.django_db
EXAMPLES = {spec.name: spec.example for spec in read_pack("integration_platform").event_types}
VALUE_SETS = [
    ("account.connection.updated", "status", ["active", "inactive"], "paused"),
    ("account.flow.executed", "status", ["success", "error"], "ok"),
    ("account.issue.closed", "issue_status", ["auto_closed"], "closed"),
]


@pytest.mark.parametrize(("event_type", "field", "allowed", "wrong"), VALUE_SETS)
def test_strict_mode_accepts_each_documented_value_and_rejects_any_other(
    acme, event_type, field, allowed, wrong
):
    load_packs(["integration_platform"])
    for value in allowed:
        publish(acme.account, event_type, {**EXAMPLES[event_type], field: value})
    assert Event.objects.filter(account=acme.account, event_type=event_type).count() == len(allowed)
    with pytest.raises(IngestRejected) as rejected:
        publish(acme.account, event_type, {**EXAMPLES[event_type], field: wrong})
    assert any(field in key for key in rejected.value.errors), rejected.value.errors
    assert Event.objects.filter(account=acme.account, event_type=event_type).count() == len(allowed)
