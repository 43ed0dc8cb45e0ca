"""Query budgets: a list endpoint must cost the same number of queries for 1 row as for many."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(action: Callable[[], Any]) -> tuple[int, Any]:
    """Run `action` and return (number of queries it ran, its result)."""
    with CaptureQueriesContext(connection) as captured:
        result = action()
    return len(captured.captured_queries), result


def assert_flat_query_count(request: Callable[[], Any], grow: Callable[[], Any]) -> int:
    """Measure `request` once, `grow` the data, measure again; the two counts must be equal.

    One call first warms the caches (membership, content types), so both measured calls are alike."""
    request()
    before, _ = count_queries(request)
    grow()
    after, _ = count_queries(request)
    assert before == after, f"query count grew with the data: {before} -> {after}"
    return after
