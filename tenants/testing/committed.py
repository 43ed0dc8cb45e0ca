"""Committed writes in tests: work on a connection of its own, and a net that removes what a block committed.

Most tests run inside a transaction that is rolled back. Tests of a worker process or a live server must commit,
and whatever they leave behind in the session's pool of orgs shows up in later tests' counts. The net works on
every table of the orgs' schemas (not on a hand-kept list), so a new module's rows are covered too."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from django.db import connection
from django.utils import timezone

T = TypeVar("T")


def in_own_connection(action: Callable[[], T]) -> T:
    """Run `action` on a connection of its own (another thread), so what it writes is committed at once and a
    worker or server process sees it."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = action()
        except BaseException as error:  # handed back to the test
            result["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


@contextmanager
def committed_rows_removed(*orgs: Any) -> Iterator[None]:
    """Afterwards, delete every row committed into the orgs' schemas while the block ran (by `created_at`), and
    the orgs' audit events of that time. Rows the block only updated are the test's to put back."""
    started = timezone.now()
    try:
        yield
    finally:
        in_own_connection(lambda: _delete_created_since(started, [org.schema_name for org in orgs],
                                                        [org.pk for org in orgs]))  # fmt: skip


def _delete_created_since(started: datetime, schemas: list[str], org_ids: list[Any]) -> None:
    from django.db import transaction

    with transaction.atomic(), connection.cursor() as cursor:
        # A row the test's own open transaction holds would block the delete for ever; fail instead.
        cursor.execute("SET LOCAL lock_timeout = '10s'")
        cursor.execute(
            "SELECT c.table_schema, c.table_name FROM information_schema.columns c "
            "JOIN information_schema.tables t USING (table_schema, table_name) "
            "WHERE c.column_name = 'created_at' AND c.table_schema = ANY(%s) AND t.table_type = 'BASE TABLE'",
            [schemas],
        )
        # Foreign keys are DEFERRABLE INITIALLY DEFERRED, so the order of the deletes does not matter.
        for schema, table in cursor.fetchall():
            # Names come from the catalogue, never from input.
            cursor.execute(f'DELETE FROM "{schema}"."{table}" WHERE created_at >= %s', [started])  # noqa: S608
        cursor.execute(
            "DELETE FROM public.tenants_auditevent WHERE org_id = ANY(%s) AND created_at >= %s", [org_ids, started]
        )
