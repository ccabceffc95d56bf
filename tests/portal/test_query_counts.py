"""Each portal list page runs the same number of SQL statements for N and 3N rows (no per-row queries)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from eventhub.services.catalog import create_event_type
from subscriptions.services import create_subscription
from tests.portal.conftest import add_deliveries, open_portal

pytestmark = pytest.mark.django_db

N = 4


def _grow(account, count: int, start: int) -> None:
    """`count` more endpoints, messages (each with an attempt, some failed) and catalog types."""
    for i in range(start, start + count):
        subscription = create_subscription(
            account, url=f"https://hooks.acme.example/{i}", event_types=["card.created"]
        )
        add_deliveries(subscription, 2, failed_every=2)
        create_event_type(
            f"widget.thing{i}.happened", category="other", description=f"Thing {i}", example={"i": i}
        )


def _statements(browser, url: str, marker: str, expected_rows: int) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(url)
    assert response.status_code == 200
    assert response.content.decode().count(marker) >= expected_rows
    return len(captured)


@pytest.mark.parametrize(
    ("url", "marker", "rows_per_step"),
    [
        ("/portal/endpoints", "hooks.acme.example/", 1),
        ("/portal/messages", 'data-token="msg', 2),
        ("/portal/catalog", "widget.thing", 1),
    ],
)
def test_list_page_statements_do_not_grow_with_rows(acme, event_types, url, marker, rows_per_step):
    browser = open_portal(acme)
    _grow(acme.account, N, 0)
    small = _statements(browser, url, marker, N * rows_per_step)
    _grow(acme.account, 2 * N, N)
    large = _statements(browser, url, marker, 3 * N * rows_per_step)
    assert small == large, f"{url}: {small} statements for {N} rows, {large} for {3 * N}"
