"""Org provisioning: the pool of ready schemas, claiming one at sign-up, and the fallbacks when there is none."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.clone import CloneSchema
from django_tenants.utils import schema_exists

import tenants.accounts.services
import tenants.pipeline.tasks
from common.models import Profile, Role, User
from tenants.accounts.services import account_register
from tenants.models import Org, OrgStatus, schema_name_for
from tenants.orgs import provisioning
from tenants.orgs.pool import (
    POOL_NAME,
    TOP_UP_LOCK_KEY,
    pool_fill,
    pool_member_create,
    pool_target_size,
    pool_top_up,
    schema_is_current,
)
from tenants.orgs.provisioning import org_create
from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
SIGN_UP = {
    "email": "dana@delta.test",
    "password": "Sturdy-Passphrase-42",
    "name": "Dana",
    "org_name": "Delta Homes",
}


def _pooled() -> list[Org]:
    return list(Org.objects.filter(status=OrgStatus.POOLED).order_by("created_at"))


def _tables(schema_name: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema_name])
        return {row[0] for row in cursor.fetchall()}


def _forget_timeline_migrations(schema_name: str, *, drop_tables: bool = False) -> None:
    """Make a schema look as if it was made before the timeline app's migrations existed."""
    with connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM "{schema_name}".django_migrations WHERE app = %s', ["timeline"])
        if drop_tables:
            for table in sorted(t for t in _tables(schema_name) if t.startswith("timeline_")):
                cursor.execute(f'DROP TABLE "{schema_name}"."{table}" CASCADE')


@pytest.fixture(autouse=True)
def _session_orgs(cast: Cast, settings) -> None:
    """The session's orgs and the template exist in every test: the empty-pool fallback clones the template.
    The pool's target is ORG_POOL_SIZE alone, unless a test follows the sign-up rate (it sets the window)."""
    settings.ORG_POOL_DEMAND_WINDOW = 0


@pytest.fixture
def dispatched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the tasks sent to the broker (after commit); nothing reaches a real broker."""
    sent: list[str] = []
    monkeypatch.setattr(
        tenants.pipeline.tasks, "dispatch", lambda task, args, kwargs, schema_name: sent.append(task.name)
    )
    return sent


@pytest.fixture
def forbid_schema_work(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Once called, any migration, schema creation or clone fails loudly."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a schema was created or migrated inside the request")

    def forbid() -> None:
        monkeypatch.setattr(Org, "create_schema", refuse)
        monkeypatch.setattr(CloneSchema, "clone_schema", refuse)
        monkeypatch.setattr("django_tenants.models.call_command", refuse)

    return forbid


@pytest.fixture
def schema_paths(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Which way each new schema was made: "migrate" or "clone" (both still run for real)."""
    taken: list[str] = []
    create_schema, clone_schema = Org.create_schema, CloneSchema.clone_schema

    def migrate(self: Org, *args: Any, **kwargs: Any) -> Any:
        taken.append("migrate")
        return create_schema(self, *args, **kwargs)

    def clone(self: CloneSchema, *args: Any, **kwargs: Any) -> Any:
        taken.append("clone")
        return clone_schema(self, *args, **kwargs)

    monkeypatch.setattr(Org, "create_schema", migrate)
    monkeypatch.setattr(CloneSchema, "clone_schema", clone)
    return taken


# --- Topping up ---------------------------------------------------------------------------------------------


def test_top_up_fills_the_pool_to_its_size_with_fully_migrated_schemas(settings) -> None:
    settings.ORG_POOL_SIZE = 2

    assert pool_top_up() == 2

    pooled = _pooled()
    assert len(pooled) == 2
    for org in pooled:
        assert (org.name, org.slug, org.schema_name) == (POOL_NAME, f"pool-{org.pk.hex}", schema_name_for(org.pk))
        assert schema_exists(org.schema_name)
        assert schema_is_current(org.schema_name)
        assert "timeline_activityentry" in _tables(org.schema_name)
        assert not Profile.objects.filter(org=org).exists()
    assert connection.schema_name == "public"


def test_beat_tops_the_pool_up_every_minute_by_task_name() -> None:
    from django.conf import settings

    assert settings.CELERY_BEAT_SCHEDULE["org-pool-top-up"] == {"task": "tenants.pool_top_up", "schedule": 60.0}
    assert pool_top_up.name == "tenants.pool_top_up"


def test_top_up_is_idempotent_and_only_replaces_what_was_claimed(settings) -> None:
    settings.ORG_POOL_SIZE = 2
    pool_top_up()
    first, second = _pooled()

    assert pool_top_up() == 0
    claimed = org_create(name="Delta Homes")
    assert claimed.pk == first.pk
    assert pool_top_up() == 1

    assert len(_pooled()) == 2
    assert second.pk in {org.pk for org in _pooled()}


def test_top_up_does_nothing_while_another_worker_holds_the_lock() -> None:
    holding, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [TOP_UP_LOCK_KEY])
                holding.set()
                release.wait(timeout=30)
                cursor.execute("SELECT pg_advisory_unlock(%s)", [TOP_UP_LOCK_KEY])
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert holding.wait(timeout=30)
        assert pool_fill(size=2) == 0
        assert _pooled() == []
    finally:
        release.set()
        thread.join(timeout=30)
    assert pool_fill(size=1) == 1


def _sign_ups_recorded(count: int, *, ago: timedelta = timedelta(0)) -> None:
    """Active org rows that went live `ago` (rows only: the target counts sign-ups, not schemas)."""
    went_live = timezone.now() - ago
    orgs = [Org(name="Earlier sign-up", status=OrgStatus.ACTIVE, created_at=went_live) for _ in range(count)]
    for org in orgs:
        org.slug, org.schema_name = f"earlier-{org.pk.hex}", schema_name_for(org.pk)
    Org.objects.bulk_create(orgs)


@pytest.fixture
def quiet_sign_ups() -> None:
    """No sign-up in the demand window yet: the session's orgs went live long ago (rolled back with the test)."""
    Org.objects.filter(status=OrgStatus.ACTIVE).update(created_at=timezone.now() - timedelta(days=1))


def test_the_pool_target_is_its_size_plus_the_recent_sign_ups_up_to_a_ceiling(quiet_sign_ups, settings) -> None:
    settings.ORG_POOL_SIZE, settings.ORG_POOL_DEMAND_WINDOW, settings.ORG_POOL_MAX_SIZE = 2, 600, 6
    assert pool_target_size() == 2

    _sign_ups_recorded(3)
    _sign_ups_recorded(5, ago=timedelta(seconds=601))
    assert pool_target_size() == 5

    _sign_ups_recorded(2)
    assert pool_target_size() == 6

    settings.ORG_POOL_SIZE = 0
    assert pool_target_size() == 0


def test_after_a_burst_the_pool_holds_enough_for_another_as_large(
    quiet_sign_ups, settings, schema_paths: list[str]
) -> None:
    settings.ORG_POOL_SIZE, settings.ORG_POOL_DEMAND_WINDOW, settings.ORG_POOL_MAX_SIZE = 1, 600, 10
    assert pool_top_up() == 1
    # A burst faster than any refill: the one ready schema goes to the first sign-up, the second falls back
    # (a clone on plain PostgreSQL, the migrations on Citus).
    schema_paths.clear()
    org_create(name="Burst One")
    assert schema_paths == []
    org_create(name="Burst Two")
    assert len(schema_paths) == 1

    assert pool_top_up() == 3
    schema_paths.clear()
    org_create(name="Burst Three")
    org_create(name="Burst Four")

    assert schema_paths == []
    assert len(_pooled()) == 1


def test_a_fill_replaces_the_schemas_claimed_while_it_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    first = pool_member_create()
    claimed: list[Org] = []

    def member_create_while_a_sign_up_claims() -> Org:
        if not claimed:
            claimed.append(org_create(name="Claimed Meanwhile"))
        return pool_member_create()

    monkeypatch.setattr("tenants.orgs.pool.pool_member_create", member_create_while_a_sign_up_claims)

    assert pool_fill(size=2) == 2

    assert claimed[0].pk == first.pk
    assert len(_pooled()) == 2


def test_migrate_schemas_brings_a_lagging_pooled_schema_up_to_date() -> None:
    member = pool_member_create()
    _forget_timeline_migrations(member.schema_name, drop_tables=True)
    assert not schema_is_current(member.schema_name)

    call_command("migrate_schemas", tenant=True, interactive=False, verbosity=0)

    assert schema_is_current(member.schema_name)
    assert "timeline_activityentry" in _tables(member.schema_name)


# --- Claiming at sign-up ------------------------------------------------------------------------------------


def test_sign_up_claims_a_pooled_org_and_runs_no_migration_in_the_request(
    forbid_schema_work: Callable[[], None], dispatched: list[str], django_capture_on_commit_callbacks
) -> None:
    member = pool_member_create()
    forbid_schema_work()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(None).post(REGISTER, SIGN_UP, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["org"]["id"] == str(member.pk)
    org = Org.objects.get(pk=member.pk)
    assert (org.name, org.slug, org.status, org.schema_name) == (
        "Delta Homes",
        "delta-homes",
        OrgStatus.ACTIVE,
        member.schema_name,
    )
    assert org.created_at > member.created_at
    assert Profile.objects.get(org=org).user.email == "dana@delta.test"
    assert Profile.objects.get(org=org).role == Role.OWNER
    assert _pooled() == []
    assert dispatched.count("tenants.pool_top_up") == 1
    assert connection.schema_name == "public"


def test_claim_is_four_queries_and_no_ddl_whatever_the_number_of_migrations() -> None:
    pool_member_create()

    with CaptureQueriesContext(connection) as captured:
        org_create(name="Delta Homes")

    statements = [query["sql"].lstrip() for query in captured.captured_queries]
    work = [sql for sql in statements if not sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "SET search_path"))]
    # Slug check, the pooled row locked, its recorded migrations counted in one row, the row bound.
    assert [sql.split()[0] for sql in work] == ["SELECT", "SELECT", "SELECT", "UPDATE"], work
    assert "FOR UPDATE SKIP LOCKED" in work[1]
    assert "count(DISTINCT" in work[2]


def test_the_claimed_org_is_served_with_its_own_empty_tables() -> None:
    pool_member_create()
    body = client_for(None).post(REGISTER, SIGN_UP, format="json").json()
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['tokens']['access']}", HTTP_ORG=body["org"]["slug"])

    response = client.get("/api/org/")

    assert response.status_code == 200
    assert (response.json()["id"], response.json()["role"]) == (body["org"]["id"], "owner")
    schema_name = Org.objects.get(pk=body["org"]["id"]).schema_name
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{schema_name}".timeline_activityentry')
        assert cursor.fetchone() == (0,)


def test_a_pooled_schema_whose_migrations_lag_is_never_handed_out(schema_paths: list[str]) -> None:
    stale = pool_member_create()
    schema_paths.clear()
    _forget_timeline_migrations(stale.schema_name)

    org = org_create(name="Delta Homes")

    assert org.pk != stale.pk
    assert len(schema_paths) == 1  # the fallback made the sign-up's schema
    assert schema_is_current(org.schema_name)
    assert Org.objects.get(pk=stale.pk).status == OrgStatus.POOLED


def test_a_current_member_is_claimed_past_a_stale_one() -> None:
    stale, ready = pool_member_create(), pool_member_create()
    _forget_timeline_migrations(stale.schema_name)

    org = org_create(name="Delta Homes")

    assert org.pk == ready.pk
    assert [o.pk for o in _pooled()] == [stale.pk]


def test_a_slug_taken_by_a_concurrent_sign_up_is_replaced_not_a_500(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    member = pool_member_create()
    # "alpha" looked free when it was checked, and another sign-up took it before this one bound it.
    slugs = iter(["alpha", "alpha-0a1b2c"])
    monkeypatch.setattr(provisioning, "unique_slug", lambda name: next(slugs))

    org = org_create(name="Alpha")

    assert (org.pk, org.slug, org.status) == (member.pk, "alpha-0a1b2c", OrgStatus.ACTIVE)
    assert Org.objects.get(pk=cast.org_a.pk).slug == "alpha"


def test_an_explicit_slug_that_is_taken_leaves_the_pooled_org_pooled(cast: Cast) -> None:
    member = pool_member_create()

    with pytest.raises(IntegrityError):
        org_create(name="Alpha again", slug="alpha")

    assert Org.objects.get(pk=member.pk).status == OrgStatus.POOLED


# --- Falling back when the pool is empty --------------------------------------------------------------------


@pytest.mark.not_on_citus(reason="on Citus the empty-pool fallback runs the migrations: a clone stays unsharded")
def test_empty_pool_falls_back_to_cloning_the_template_on_plain_postgresql(
    schema_paths: list[str], dispatched: list[str], django_capture_on_commit_callbacks
) -> None:
    assert _pooled() == []

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(None).post(REGISTER, SIGN_UP, format="json")

    assert response.status_code == 201, response.json()
    org = Org.objects.get(pk=response.json()["org"]["id"])
    assert (org.name, org.slug, org.status) == ("Delta Homes", "delta-homes", OrgStatus.ACTIVE)
    assert org.schema_name == schema_name_for(org.pk)
    assert schema_paths == ["clone"]
    assert schema_is_current(org.schema_name)
    assert "timeline_activityentry" in _tables(org.schema_name)
    assert dispatched.count("tenants.pool_top_up") == 1
    assert connection.schema_name == "public"


def test_empty_pool_on_citus_runs_the_migrations_instead_of_cloning(
    monkeypatch: pytest.MonkeyPatch, schema_paths: list[str]
) -> None:
    monkeypatch.setattr(provisioning, "database_is_citus", lambda: True)

    org = org_create(name="Delta Homes")

    assert schema_paths == ["migrate"]
    assert schema_is_current(org.schema_name)
    assert "timeline_activityentry" in _tables(org.schema_name)


def test_a_lagging_template_is_not_cloned(schema_paths: list[str]) -> None:
    from django.conf import settings

    _forget_timeline_migrations(settings.TENANT_TEMPLATE_SCHEMA)

    org = org_create(name="Delta Homes")

    assert schema_paths == ["migrate"]
    assert schema_is_current(org.schema_name)


@pytest.mark.not_on_citus(reason="checks that plain PostgreSQL is told apart from Citus")
def test_plain_postgresql_is_not_mistaken_for_citus() -> None:
    assert provisioning.database_is_citus() is False


# --- Failures leave nothing half made -----------------------------------------------------------------------


def test_a_crash_after_the_claim_leaves_the_org_pooled_and_no_user_or_membership(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    member = pool_member_create()

    def crash(user: User) -> dict[str, str]:
        raise RuntimeError("the process died after binding the pooled org")

    monkeypatch.setattr(tenants.accounts.services, "issue_token_pair", crash)
    with pytest.raises(RuntimeError):
        account_register(**SIGN_UP)

    org = Org.objects.get(pk=member.pk)
    assert (org.name, org.slug, org.status) == (POOL_NAME, member.slug, OrgStatus.POOLED)
    assert schema_is_current(org.schema_name)
    assert not User.objects.filter(email="dana@delta.test").exists()
    assert not Profile.objects.filter(org=org).exists()
    assert not Org.objects.filter(slug="delta-homes").exists()

    monkeypatch.undo()
    assert account_register(**SIGN_UP).org.pk == member.pk


def _schema_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace")
        return {row[0] for row in cursor.fetchall()}


def test_a_crash_in_the_fallback_leaves_no_org_and_no_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    orgs_before = set(Org.objects.values_list("pk", flat=True))
    schemas_before = _schema_names()
    clone_schema, create_schema = CloneSchema.clone_schema, Org.create_schema
    made: list[str] = []

    # Whichever way the fallback makes the schema (a clone on plain PostgreSQL, the migrations on Citus).
    def crash_after_cloning(self: CloneSchema, base: str, new: str, *args: Any, **kwargs: Any) -> None:
        clone_schema(self, base, new, *args, **kwargs)
        made.append(new)
        raise RuntimeError("the sign-up failed after its schema was made")

    def crash_after_migrating(self: Org, *args: Any, **kwargs: Any) -> None:
        create_schema(self, *args, **kwargs)
        made.append(self.schema_name)
        raise RuntimeError("the sign-up failed after its schema was made")

    monkeypatch.setattr(CloneSchema, "clone_schema", crash_after_cloning)
    monkeypatch.setattr(Org, "create_schema", crash_after_migrating)
    with pytest.raises(RuntimeError):
        account_register(**SIGN_UP)

    assert len(made) == 1
    assert set(Org.objects.values_list("pk", flat=True)) == orgs_before
    assert not User.objects.filter(email="dana@delta.test").exists()
    assert _schema_names() == schemas_before
    assert not schema_exists(made[0])


# --- Concurrency: committed data, one connection per thread -------------------------------------------------


def _in_thread(action: Callable[[], Any]) -> Any:
    """Run `action` on a thread, so on a connection of its own that commits (this test's transaction does not)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = action()
        except BaseException as error:
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


@pytest.fixture
def committed(cast: Cast, dispatched: list[str]) -> Iterator[None]:
    """Threads commit outside this test's transaction; every org and user they made is removed afterwards."""
    orgs_before = set(Org.objects.values_list("pk", flat=True))
    users_before = set(User.objects.values_list("pk", flat=True))
    yield

    def clean() -> None:
        with transaction.atomic():
            new_orgs = list(Org.objects.exclude(pk__in=orgs_before))
            new_users = User.objects.exclude(pk__in=users_before)
            Profile.objects.filter(org__in=new_orgs).delete()
            Profile.objects.filter(user__in=new_users).delete()
            for org in new_orgs:
                org.delete(force_drop=True)
            new_users.delete()

    _in_thread(clean)


def _concurrent_sign_ups(
    monkeypatch: pytest.MonkeyPatch, count: int, *, hold_after_claim: bool = True
) -> list[Any]:
    """`count` sign-ups started together. With `hold_after_claim` each one waits, after its claim and before
    its commit, until all have claimed, so every claim runs while the others' transactions are open."""
    started = threading.Barrier(count, timeout=20)
    everyone_claimed = threading.Barrier(count, timeout=20)
    issue_token_pair = tenants.accounts.services.issue_token_pair

    def wait_for_the_others(user: User) -> dict[str, str]:
        everyone_claimed.wait()
        return issue_token_pair(user)

    if hold_after_claim:
        monkeypatch.setattr(tenants.accounts.services, "issue_token_pair", wait_for_the_others)
    results: list[Any] = [None] * count

    def sign_up(n: int) -> None:
        try:
            started.wait()
            results[n] = account_register(
                email=f"racer{n}@delta.test",
                password="Sturdy-Passphrase-42",
                name=f"Racer {n}",
                org_name=f"Racer {n} Homes",
            )
        except BaseException as error:
            results[n] = error
            everyone_claimed.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def test_two_concurrent_sign_ups_never_get_the_same_pooled_schema(
    committed: None, monkeypatch: pytest.MonkeyPatch, schema_paths: list[str]
) -> None:
    members = {_in_thread(pool_member_create).pk for _ in range(2)}
    schema_paths.clear()

    first, second = _concurrent_sign_ups(monkeypatch, 2)

    assert first.org.pk != second.org.pk
    assert {first.org.pk, second.org.pk} == members
    assert first.org.schema_name != second.org.schema_name
    assert schema_paths == []
    assert Org.objects.filter(pk__in=members, status=OrgStatus.ACTIVE).count() == 2
    assert {first.org.slug, second.org.slug} == {"racer-0-homes", "racer-1-homes"}
    assert Profile.objects.get(org_id=first.org.pk).user.email == first.user.email
    assert Profile.objects.get(org_id=second.org.pk).user.email == second.user.email


def test_with_one_pooled_schema_one_of_two_concurrent_sign_ups_falls_back(
    committed: None, monkeypatch: pytest.MonkeyPatch, schema_paths: list[str]
) -> None:
    member = _in_thread(pool_member_create)
    schema_paths.clear()

    first, second = _concurrent_sign_ups(monkeypatch, 2)

    assert {first.org.pk, second.org.pk} >= {member.pk}
    assert first.org.pk != second.org.pk
    assert schema_paths == ["clone"]
    for registration in (first, second):
        org = Org.objects.get(pk=registration.org.pk)
        assert org.status == OrgStatus.ACTIVE
        # Read from a thread: a lock this test's transaction took on the schema would block its clean-up.
        assert _in_thread(lambda org=org: schema_is_current(org.schema_name))
        assert Profile.objects.get(org=org).user.email == registration.user.email
    assert _pooled() == []


def test_two_concurrent_sign_ups_on_an_empty_pool_each_get_their_own_clone(
    committed: None, monkeypatch: pytest.MonkeyPatch, schema_paths: list[str]
) -> None:
    first, second = _concurrent_sign_ups(monkeypatch, 2, hold_after_claim=False)

    assert schema_paths == ["clone", "clone"]
    assert first.org.schema_name != second.org.schema_name
    for registration in (first, second):
        org = Org.objects.get(pk=registration.org.pk)
        assert (org.status, org.schema_name) == (OrgStatus.ACTIVE, schema_name_for(org.pk))
        assert _in_thread(lambda org=org: schema_is_current(org.schema_name))
