"""Twenty moves into one column at once, each on its own connection and committed: every one answers (200, or a
412 for the one stale version), none deadlocks, and the column ends with a duplicate-free order."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection

from boards.models import Card
from boards.tests.helpers import board, card, columns
from common.context import org_context
from tenants.testing.committed import committed_rows_removed
from tenants.testing.committed import in_own_connection as _in_thread
from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db
MOVES = 20


@pytest.fixture
def committed(cast: Cast) -> Iterator[dict[str, Any]]:
    """A committed board: 20 cards in "To do", 5 already in "Doing"."""

    def make() -> dict[str, Any]:
        made = board(cast.member, name="Concurrent")
        todo, doing, _ = columns(made)
        return {
            "board": made,
            "doing": doing,
            "moving": [card(cast.member, made, todo) for _ in range(MOVES)],
            "resident": [card(cast.member, made, doing) for _ in range(5)],
        }

    with committed_rows_removed(cast.org_a):
        yield _in_thread(make)


def _move(cast: Cast, card_id: Any, column_id: Any, after: Any, etag: str | None = None) -> int:
    try:
        api = client_for(cast.member)
        if etag is None:
            etag = api.get(f"/api/cards/{card_id}/").headers["ETag"]
        body = {"column": str(column_id), "after": str(after) if after else None}
        return api.post(f"/api/cards/{card_id}/move/", body, format="json", HTTP_IF_MATCH=etag).status_code
    finally:
        connection.close()


def test_twenty_concurrent_moves_into_one_column_end_in_a_consistent_order(
    cast: Cast, committed: dict[str, Any]
) -> None:
    doing, anchor = committed["doing"], committed["resident"][2]
    # Half go right after the same card (one gap, squeezed again and again), half to the top.
    jobs = [(c.pk, anchor.pk if i % 2 else None) for i, c in enumerate(committed["moving"])]

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(lambda job: _move(cast, job[0], doing.pk, job[1]), jobs))

    assert statuses == [200] * MOVES

    def check() -> None:
        with org_context(cast.org_a):
            rows = list(Card.objects.filter(column=doing).order_by("position").values_list("pk", "position"))
            assert len(rows) == MOVES + 5
            assert len({position for _, position in rows}) == len(rows)
            ids = [pk for pk, _ in rows]
            resident = [c.pk for c in committed["resident"]]
            assert [pk for pk in ids if pk in resident] == resident  # the cards already there keep their order

    _in_thread(check)


def test_two_moves_of_one_card_with_the_same_version_one_wins_one_is_a_412(
    cast: Cast, committed: dict[str, Any]
) -> None:
    moving = committed["moving"][0]
    etag = _in_thread(lambda: client_for(cast.member).get(f"/api/cards/{moving.pk}/").headers["ETag"])
    targets = [committed["resident"][0].pk, committed["resident"][3].pk]

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(
            pool.map(lambda after: _move(cast, moving.pk, committed["doing"].pk, after, etag), targets)
        )

    assert statuses == [200, 412]
