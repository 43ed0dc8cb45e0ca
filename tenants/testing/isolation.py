"""Isolation checks shared by the module suites: ids from another org find nothing, exactly like random ids."""

from __future__ import annotations

from typing import Any

EMPTY_PAGE: dict[str, Any] = {"count": 0, "next": None, "previous": None, "results": []}
RANDOM_ID = "00000000-0000-7000-8000-00000000abcd"


def assert_foreign_ids_find_nothing(client: Any, url: str, foreign_ids: dict[str, object]) -> None:
    """Another org's id finds nothing, exactly like a random one; a malformed one is a 400 in the envelope."""
    assert client.get(url).json()["count"] > 0  # so an empty answer below means something
    for name, foreign_id in foreign_ids.items():
        foreign, random = client.get(url, {name: str(foreign_id)}), client.get(url, {name: RANDOM_ID})
        assert (foreign.status_code, foreign.json()) == (200, EMPTY_PAGE), name
        assert (random.status_code, random.json()) == (200, EMPTY_PAGE), name
        malformed = client.get(url, {name: "not-a-uuid"})
        error = {"code": "invalid", "detail": "Enter a valid UUID."}
        assert (malformed.status_code, malformed.json()) == (400, {**error, "fields": {name: [error]}}), name
