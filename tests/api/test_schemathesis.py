"""Schemathesis against the served OpenAPI schema: every operation of both dialects, with a valid key,
must answer without a 5xx and with a body that matches the documented schema."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from eventhub.wsgi import application

CASES_RUN = {"count": 0}


@pytest.fixture
def api_schema(db):
    # As Django's test client does: requests must not close the test transaction's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema?format=json", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_no_server_errors_and_responses_match_the_schema(case, acme, event_types):
    CASES_RUN["count"] += 1
    headers = {"Authorization": acme.key}
    if "{orgId}" in case.path or "{org_id}" in case.path:
        case.path_parameters = {**(case.path_parameters or {}), "org_id": acme.token, "orgId": acme.token}
    response = case.call(headers=headers)
    case.validate_response(response, checks=(not_a_server_error, response_schema_conformance))


def test_report_schemathesis_case_count(capsys):
    """Runs after the parametrized cases in this module (file order) and prints how many ran."""
    with capsys.disabled():
        print(f"\nschemathesis: {CASES_RUN['count']} generated cases run")
