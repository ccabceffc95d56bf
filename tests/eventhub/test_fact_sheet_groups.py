"""The fact-sheet pack keeps the source catalog's sections as each type's group, stored on load and shown in
the catalog listing (category stays `other`: it drives entity events and billing groups, a group never does)."""

from __future__ import annotations

import pytest

from eventhub.catalog.packs import read_pack
from eventhub.models import EventType
from eventhub.services.catalog import load_packs, update_event_type

pytestmark = pytest.mark.django_db
# The source document's sections, in its order, with the events it lists under each.
SOURCE_GROUPS = {
    "Fact Sheets": ["FACT_SHEET_CREATED", "FACT_SHEET_UPDATED", "FACT_SHEET_ARCHIVED", "FACT_SHEET_DELETED"],
    "Fact Sheet Relations": [
        "RELATION_CREATED",
        "RELATION_UPDATED",
        "RELATION_ARCHIVED",
        "RELATION_DELETED",
        "RELATION_SWITCH",
    ],
    "Fact Sheet Tags": ["FACT_SHEET_TAG_ADDED", "FACT_SHEET_TAG_REMOVED"],
    "Fact Sheet Fields": ["FACT_SHEET_FIELD_UPDATED"],
    "Fact Sheet Resources": ["DOCUMENT_CREATED", "DOCUMENT_UPDATED", "DOCUMENT_DELETED"],
    "Fact Sheet Subscriptions": ["SUBSCRIPTION_CREATED", "SUBSCRIPTION_UPDATED", "SUBSCRIPTION_DELETED"],
    "Integration Runs": ["INTEGRATION_RUN_STARTED", "INTEGRATION_RUN_FINISHED", "INTEGRATION_RUN_ABORTED"],
    "Integration Configurations": [
        "CONFIGURATION_CREATED",
        "CONFIGURATION_UPDATED",
        "CONFIGURATION_DELETED",
        "CONFIGURATION_ACTIVATED",
        "CONFIGURATION_DEACTIVATED",
    ],
    "Survey Responses": ["POLL_RESULT_CREATED", "POLL_RESULT_UPDATED"],
}
EXPECTED = {name: group for group, names in SOURCE_GROUPS.items() for name in names}


def test_every_fact_sheet_type_carries_its_source_group():
    assert {spec.name: spec.group for spec in read_pack("fact_sheet").event_types} == EXPECTED


def test_groups_are_stored_on_load_and_shown_in_the_catalog_listing(acme):
    load_packs(["fact_sheet"])
    assert dict(EventType.objects.filter(source_pack="fact_sheet").values_list("name", "group")) == EXPECTED
    listed, after = {}, None
    while True:
        params = {"page_size": 100, **({"starting_after": after} if after else {})}
        page = acme.client().get("/v1/event_types", params).json()
        listed.update({t["name"]: t["group"] for t in page["data"]})
        if not page["has_more"]:
            break
        after = page["data"][-1]["name"]
    assert {name: listed[name] for name in EXPECTED} == EXPECTED
    assert acme.client().get("/v1/event_types/RELATION_SWITCH").json()["group"] == "Fact Sheet Relations"


def test_a_staff_edit_can_regroup_and_reloading_the_pack_restores_the_source_group():
    load_packs(["fact_sheet"])
    update_event_type("POLL_RESULT_CREATED", {"group": "Surveys"})
    assert EventType.objects.get(name="POLL_RESULT_CREATED").group == "Surveys"
    [report] = load_packs(["fact_sheet"])
    assert report.updated == 1
    assert EventType.objects.get(name="POLL_RESULT_CREATED").group == "Survey Responses"
