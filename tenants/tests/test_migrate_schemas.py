"""`migrate_schemas` migrates only the org schemas behind the code, with the same result as django-tenants'.

The orgs here are committed (not inside a test transaction): the command forks worker processes, which see only
committed schemas. They are dropped at the end.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django_tenants.clone import CloneSchema
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

from tenants.models import Org, OrgStatus, schema_name_for
from tenants.orgs.migrating import plan_run
from tenants.orgs.pool import schema_is_current

# Going back to leads 0003 also takes back what depends on leads 0004 (emailing's first migration and the
# migrations built on it): a schema behind by several migrations across apps.
BEHIND = ("leads", "0003_listing_links")


def _org_cloned(name: str) -> Org:
    org = Org(name=name, slug=name.lower(), status=OrgStatus.SUSPENDED)
    org.schema_name = schema_name_for(org.pk)
    org.save()
    CloneSchema().clone_schema(settings.TENANT_TEMPLATE_SCHEMA, org.schema_name)
    connection.set_schema_to_public()
    return org


def _migrations(schema_name: str) -> dict[tuple[str, str], Any]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name, applied FROM "{schema_name}".django_migrations')
        return {(app, name): applied for app, name, applied in cursor.fetchall()}


def _structure(schema_name: str) -> list[str]:
    """Every column, index and constraint of a schema, with the schema's name taken out."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable "
            "       || ' ' || coalesce(column_default, '') || ' ' || coalesce(character_maximum_length, 0) "
            "FROM information_schema.columns WHERE table_schema = %(s)s "
            "UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = %(s)s "
            "UNION ALL SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' "
            "       || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = %(s)s::regnamespace",
            {"s": schema_name},
        )
        return sorted(row[0].replace(schema_name, "<schema>") for row in cursor.fetchall())


def _stock_migrate(schema_name: str, *target: str) -> None:
    """django-tenants' own command on one schema."""
    call_command(MigrateSchemasCommand(), *target, schema_name=schema_name, interactive=False, verbosity=0)


@pytest.fixture
def orgs(_cast_ids: Any, django_db_blocker: Any) -> Iterator[dict[str, Org]]:
    with django_db_blocker.unblock():
        made = {name: _org_cloned(name) for name in ("Aspen", "Birch", "Cedar", "Dogwood")}
        try:
            yield made
        finally:
            connection.set_schema_to_public()
            for org in made.values():
                org.delete(force_drop=True)
            connection.close()


def test_only_the_schemas_behind_are_migrated_and_match_django_tenants(
    orgs: dict[str, Org], django_db_blocker: Any
) -> None:
    aspen, cedar, dogwood = (orgs[name].schema_name for name in ("Aspen", "Cedar", "Dogwood"))
    with django_db_blocker.unblock():
        for schema in (aspen, cedar, dogwood):
            _stock_migrate(schema, *BEHIND)
        assert not schema_is_current(cedar)
        reference_behind = _structure(cedar)
        assert _structure(dogwood) == reference_behind
        assert ("leads", "0004_email_consent") not in _migrations(cedar)
        # django-tenants' result, for comparison.
        _stock_migrate(aspen)
        assert schema_is_current(aspen)

        everyone = list(Org.objects.values_list("schema_name", flat=True))
        before = {schema: _migrations(schema) for schema in everyone}
        run = plan_run(everyone)
        assert sorted(run.migrated) == sorted([cedar, dogwood])
        assert run.stock == []
        assert run.current == len(everyone) - 2

        out = io.StringIO()
        call_command("migrate_schemas", tenant=True, interactive=False, parallel=2, verbosity=1, stdout=out)

        assert f"{len(everyone)} org schema(s): {len(everyone) - 2} current, 2 behind" in out.getvalue()
        for schema in everyone:
            after = _migrations(schema)
            if schema in (cedar, dogwood):
                assert schema_is_current(schema)
                assert set(after) == set(_migrations(aspen))
                assert _structure(schema) == _structure(aspen)
                assert _structure(schema) != reference_behind
                kept = {key: applied for key, applied in after.items() if key in before[schema]}
                assert kept == before[schema]
            else:
                assert after == before[schema], f"{schema} was touched"


def test_nothing_to_apply_touches_no_schema(orgs: dict[str, Org], django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        everyone = list(Org.objects.values_list("schema_name", flat=True))
        before = {schema: _migrations(schema) for schema in everyone}

        out = io.StringIO()
        call_command("migrate_schemas", tenant=True, interactive=False, verbosity=1, stdout=out)

        assert out.getvalue() == f"{len(everyone)} org schema(s): {len(everyone)} current, 0 behind\n"
        assert {schema: _migrations(schema) for schema in everyone} == before


def test_a_schema_behind_in_a_single_process_gets_the_same_result(
    orgs: dict[str, Org], django_db_blocker: Any
) -> None:
    aspen, birch = orgs["Aspen"].schema_name, orgs["Birch"].schema_name
    with django_db_blocker.unblock():
        _stock_migrate(birch, *BEHIND)
        call_command("migrate", tenant=True, interactive=False, parallel=1, verbosity=0)

        assert schema_is_current(birch)
        assert _structure(birch) == _structure(aspen)
        assert set(_migrations(birch)) == set(_migrations(aspen))


def test_a_schema_that_fails_is_named_and_the_others_are_still_migrated(
    orgs: dict[str, Org], django_db_blocker: Any
) -> None:
    birch, cedar = orgs["Birch"].schema_name, orgs["Cedar"].schema_name
    with django_db_blocker.unblock():
        _stock_migrate(cedar, *BEHIND)
        with connection.cursor() as cursor:
            # Birch claims not to have leads 0004 (nor 0005, which needs it) while its columns are there: adding
            # them again fails.
            cursor.execute(
                f'DELETE FROM "{birch}".django_migrations WHERE app = %s AND name IN (%s, %s)',
                ["leads", "0004_email_consent", "0005_accent_free_search"],
            )

        with pytest.raises(CommandError) as raised:
            call_command(
                "migrate_schemas", tenant=True, interactive=False, parallel=2, verbosity=0, stderr=io.StringIO()
            )

        assert str(raised.value).startswith(f"1 schema(s) failed to migrate: {birch}: ProgrammingError: column ")
        assert schema_is_current(cedar)
        assert not schema_is_current(birch)


def test_a_schema_without_a_migration_table_goes_through_django_tenants_path(
    orgs: dict[str, Org], django_db_blocker: Any
) -> None:
    cedar = orgs["Cedar"].schema_name
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA "{cedar}" CASCADE')
        cursor.execute(f'CREATE SCHEMA "{cedar}"')
        run = plan_run([cedar, orgs["Aspen"].schema_name])
        assert (run.stock, run.migrated, run.current) == ([cedar], [], 1)

        call_command("migrate_schemas", tenant=True, interactive=False, verbosity=0)

        assert schema_is_current(cedar)
        assert set(_migrations(cedar)) == set(_migrations(orgs["Aspen"].schema_name))
        assert "leads_lead" in {
            line.split()[1].split(".")[0] for line in _structure(cedar) if line.startswith("column")
        }


@pytest.mark.django_db  # also makes pytest-django set up the test database when this module runs alone
def test_migrate_and_migrate_schemas_are_the_skipping_command(cast: Any) -> None:
    from django.core.management import get_commands

    from tenants.orgs.migrating import SchemaRecorder

    assert get_commands()["migrate_schemas"] == "tenants"
    assert get_commands()["migrate"] == "tenants"
    connection.set_schema(cast.org_a.schema_name)
    try:
        assert SchemaRecorder(connection).has_table() is True
    finally:
        connection.set_schema_to_public()
    connection.set_schema("no_such_schema")
    try:
        assert SchemaRecorder(connection).has_table() is False
    finally:
        connection.set_schema_to_public()
