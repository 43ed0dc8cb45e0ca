"""Query budgets: a list endpoint must cost the same number of queries for 1 row as for many."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(action: Callable[[], Any], *, include_search_path: bool = True) -> tuple[int, Any]:
    """Run `action` and return (number of queries it ran, its result)."""
    with CaptureQueriesContext(connection) as captured:
        result = action()
    queries = captured.captured_queries
    if not include_search_path:
        queries = [q for q in queries if not q["sql"].startswith("SET search_path")]
    return len(queries), result


def assert_flat_query_count(request: Callable[[], Any], grow: Callable[[], Any]) -> int:
    """Measure `request` once, `grow` the data, measure again; the two counts must be equal.

    One call first warms the caches (membership, content types). `SET search_path` is left out: whether the
    connection has to switch schema depends on what ran before, not on how many rows there are."""
    request()
    before, _ = count_queries(request, include_search_path=False)
    grow()
    after, _ = count_queries(request, include_search_path=False)
    assert before == after, f"query count grew with the data: {before} -> {after}"
    return after


def plan_with_sequential_scans_off(cursor: Any, sql: str) -> str:
    """EXPLAIN `sql` with sequential scans off, in the caller's transaction: the planner has to show which
    indexes answer. On Citus the setting is passed on to the worker that holds the org's tables (it plans the
    query there), and the shard number is taken off the index names the worker reports, so a plan reads the
    same on both engines."""
    cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
    on_citus = cursor.fetchone() is not None
    if on_citus:
        cursor.execute("SET LOCAL citus.propagate_set_commands = 'local'")
    cursor.execute("SET LOCAL enable_seqscan = off")
    cursor.execute(f"EXPLAIN {sql}")
    plan = "\n".join(row[0] for row in cursor.fetchall())
    return re.sub(r"(\w)_\d{6,}\b", r"\1", plan) if on_citus else plan
