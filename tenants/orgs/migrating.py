"""Migrating every org schema: one query finds the schemas behind the code, only those are migrated, in parallel.

django-tenants runs Django's whole `migrate` command once per schema, current or not. Each run lists the
database's tables (a query over the whole catalog, which grows with every org) several times and rebuilds the
project state from every migration, so a release with nothing to apply cost ~0.6 s per schema and a full run
grew with the square of the org count. Here:

1. The schemas that hold a `django_migrations` table are found by a lookup on the catalog's (name, namespace)
   index, and the migrations every one of them is missing are read in one query (a UNION over their tables).
2. Current schemas are left alone. The schemas behind are grouped by what they miss: within a group the plan
   and the project state before it are the same, so they are built once, before the worker processes fork.
3. Each worker applies the plan to its schemas with Django's own executor (`MigrationExecutor.migrate`, the
   same call the stock command makes), on a copy of the group's state; the migration table is checked by name
   instead of by listing the catalog.

A schema with no migration table yet, or any plan Django would not run forwards from a graph without squashed
migrations, goes through django-tenants' own per-schema path, unchanged.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.migration import Migration
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.state import ProjectState
from django_tenants.signals import schema_migrated, schema_pre_migration

from common.context import schema_connection

logger = logging.getLogger("crm.tenants")

# Schemas read per query. Each table a query reads holds a lock (with its index) until the transaction ends,
# and PostgreSQL's lock table is sized by max_locks_per_transaction (64) x max_connections (100) by default.
SCHEMAS_PER_QUERY = 1000

MigrationKey = tuple[str, str]


class SchemaMigrationError(Exception):
    """One or more schemas failed to migrate; the others were migrated."""

    def __init__(self, failures: dict[str, str]) -> None:
        self.failures = failures
        listed = "; ".join(f"{schema}: {error}" for schema, error in sorted(failures.items()))
        super().__init__(f"{len(failures)} schema(s) failed to migrate: {listed}")


class SchemaRecorder(MigrationRecorder):
    """The migration recorder of one schema that checks for its table by name, not by listing the catalog."""

    def has_table(self) -> bool:
        if self._has_table:  # type: ignore[has-type]
            return True
        schema_name = schema_connection.schema_name
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT to_regclass(%s) IS NOT NULL",
                [f"{self.connection.ops.quote_name(schema_name)}.{self.Migration._meta.db_table}"],
            )
            (exists,) = cursor.fetchone()
        self._has_table = bool(exists)
        return self._has_table


@dataclass
class SchemaGroup:
    """Schemas missing the same migrations: one plan and one starting state for all of them."""

    missing: frozenset[MigrationKey]
    schemas: list[str]
    plan: list[tuple[Migration, bool]]
    state: ProjectState
    executor: MigrationExecutor


@dataclass
class MigrationRun:
    """What one run did: schemas seen, left alone, migrated by groups, and sent down django-tenants' path."""

    schemas: int
    current: int
    groups: list[SchemaGroup]
    stock: list[str]

    @property
    def migrated(self) -> list[str]:
        return [schema for group in self.groups for schema in group.schemas]


def code_migrations(loader: MigrationLoader) -> frozenset[MigrationKey]:
    return frozenset(loader.graph.nodes)


def schemas_with_migration_table(schema_names: Sequence[str]) -> set[str]:
    """Which of these schemas hold a migration table: a lookup on pg_class's (relname, relnamespace) index."""
    if not schema_names:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = 'django_migrations' AND c.relkind IN ('r', 'p') AND n.nspname = ANY(%s)",
            [list(schema_names)],
        )
        return {row[0] for row in cursor.fetchall()}


def missing_migrations(schema_names: Sequence[str], expected: Iterable[MigrationKey]) -> dict[str, frozenset[str]]:
    """For every schema, the code's migrations ("app.name") its table does not hold, one query per
    SCHEMAS_PER_QUERY schemas. A current schema maps to an empty set."""
    expected_names = sorted(f"{app}.{name}" for app, name in expected)
    result: dict[str, frozenset[str]] = {}
    quote = connection.ops.quote_name
    for start in range(0, len(schema_names), SCHEMAS_PER_QUERY):
        chunk = schema_names[start : start + SCHEMAS_PER_QUERY]
        select = "SELECT %s::text, ARRAY(SELECT name FROM expected EXCEPT SELECT app || '.' || name FROM {})"
        branches = " UNION ALL ".join(select.format(f"{quote(schema)}.django_migrations") for schema in chunk)
        sql = f"WITH expected(name) AS (SELECT unnest(%s::text[])) {branches}"
        with connection.cursor() as cursor:
            cursor.execute(sql, [expected_names, *chunk])
            for schema, missing in cursor.fetchall():
                result[schema] = frozenset(missing)
    return result


def _group_plan(
    missing: frozenset[MigrationKey], expected: frozenset[MigrationKey]
) -> tuple[list[tuple[Migration, bool]], ProjectState, MigrationExecutor] | None:
    """The forwards plan and the project state before it for a schema missing exactly `missing`; None when
    the plan is not a plain forwards one (then django-tenants' path decides)."""
    executor = MigrationExecutor(None)
    if executor.loader.replacements:
        # Which side of a squash a schema is on depends on what it recorded; Django's loader decides that per
        # schema, so those schemas take the per-schema path.
        return None
    # The plan only asks whether a migration is applied, not when.
    executor.loader.applied_migrations = dict.fromkeys(expected - missing)  # type: ignore[assignment]
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if not plan or any(backwards for _, backwards in plan):
        return None
    state = executor._create_project_state(with_applied_migrations=True)  # type: ignore[attr-defined]
    state.apps  # noqa: B018 - rendered once here, then copied by every schema of the group
    return plan, state, executor


def plan_run(schema_names: Sequence[str]) -> MigrationRun:
    """Read where every schema stands (two queries) and group the ones behind the code."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    expected = code_migrations(loader)
    with_table = schemas_with_migration_table(schema_names)
    stock = [schema for schema in schema_names if schema not in with_table]
    readable = [schema for schema in schema_names if schema in with_table]
    missing_by_schema = missing_migrations(readable, expected)

    by_missing: dict[frozenset[MigrationKey], list[str]] = {}
    current = 0
    for schema in readable:
        names = missing_by_schema[schema]
        if not names:
            current += 1
            continue
        key = frozenset(tuple(name.split(".", 1)) for name in names)
        by_missing.setdefault(key, []).append(schema)  # type: ignore[arg-type]

    groups = []
    for missing, schemas in by_missing.items():
        planned = _group_plan(missing, expected)
        if planned is None:
            stock.extend(schemas)
            continue
        plan, state, executor = planned
        groups.append(SchemaGroup(missing=missing, schemas=schemas, plan=plan, state=state, executor=executor))
    return MigrationRun(schemas=len(schema_names), current=current, groups=groups, stock=stock)


def migrate_schema(group: SchemaGroup, schema_name: str, *, verbosity: int = 0) -> None:
    """Apply the group's plan to one schema, as Django's migrate command would, in the current process."""
    schema_pre_migration.send(migrate_schema, schema_name=schema_name)
    tenant_connection: Any = connection  # django-tenants' backend, untyped
    tenant_connection.set_schema(schema_name)
    try:
        executor = group.executor
        executor.connection = connection
        executor.recorder = SchemaRecorder(connection)
        state = group.state.clone()
        emit_pre_migrate_signal(verbosity, False, connection.alias, apps=state.apps, plan=group.plan)
        targets = executor.loader.graph.leaf_nodes()
        state = executor.migrate(targets, plan=group.plan, state=state)
        emit_post_migrate_signal(verbosity, False, connection.alias, apps=state.apps, plan=group.plan)
    finally:
        schema_connection.set_schema_to_public()
    schema_migrated.send(migrate_schema, schema_name=schema_name)


# The run being executed, set before the workers fork so they inherit the built plans and states.
_RUN: MigrationRun | None = None


def _migrate_in_worker(job: tuple[int, str]) -> tuple[str, str | None]:
    group_index, schema_name = job
    assert _RUN is not None
    try:
        migrate_schema(_RUN.groups[group_index], schema_name)
    except Exception as error:  # reported per schema; the other schemas still migrate
        logger.exception("migrating schema %s failed", schema_name)
        if multiprocessing.parent_process() is not None:
            connections.close_all()  # a worker starts its next schema on a fresh connection
        return schema_name, f"{type(error).__name__}: {error}"
    return schema_name, None


def migrate_groups(
    run: MigrationRun, *, processes: int, progress: Callable[[str, str | None], None] | None = None
) -> None:
    """Migrate every schema of the run's groups, in `processes` forked workers (in this process for one).

    Every schema is tried; the ones that failed are raised together at the end (their migrations roll back
    one migration at a time, as with Django's command)."""
    global _RUN
    jobs = [(index, schema) for index, group in enumerate(run.groups) for schema in group.schemas]
    failures: dict[str, str] = {}
    if not jobs:
        return
    _RUN = run
    try:
        if processes <= 1 or len(jobs) == 1:
            results: Iterable[tuple[str, str | None]] = (_migrate_in_worker(job) for job in jobs)
            _collect(results, failures, progress)
        else:
            # The workers inherit the parent's connection object: it is closed first so that none of them
            # shares its socket.
            connections.close_all()
            context = multiprocessing.get_context("fork")
            chunk = max(1, min(16, len(jobs) // (processes * 4)))
            with context.Pool(processes=processes) as pool:
                _collect(pool.imap_unordered(_migrate_in_worker, jobs, chunk), failures, progress)
    finally:
        _RUN = None
    if failures:
        raise SchemaMigrationError(failures)


def _collect(
    results: Iterable[tuple[str, str | None]],
    failures: dict[str, str],
    progress: Callable[[str, str | None], None] | None,
) -> None:
    for schema, error in results:
        if error is not None:
            failures[schema] = error
        if progress is not None:
            progress(schema, error)


def default_processes() -> int:
    return max(1, os.cpu_count() or 1)
