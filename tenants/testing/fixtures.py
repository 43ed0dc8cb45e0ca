"""pytest fixtures: orgs made once per session, the named cast, API clients and a clean cache per test.

Org A ("alpha") has an owner, admin, manager, member and viewer; org B ("bravo") has other_owner; there is a
platform_admin and an outsider who belongs to no org. Orgs and their schemas are created once per session
(migrations never run per test); every test runs in a transaction that is rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from common.models import Profile, Role, User
from common.tokens import TOKEN_VERSION_CLAIM
from tenants.models import Org

PASSWORD = "Correct-Horse-Battery-9"

_ORG_A_ROLES = {
    "owner": Role.OWNER,
    "admin": Role.ADMIN,
    "manager": Role.MANAGER,
    "member": Role.MEMBER,
    "viewer": Role.VIEWER,
}


@dataclass
class Cast:
    org_a: Org
    org_b: Org
    owner: Profile
    admin: Profile
    manager: Profile
    member: Profile
    viewer: Profile
    other_owner: Profile
    platform_admin: User
    outsider: User

    def profiles_of_org_a(self) -> dict[str, Profile]:
        return {name: getattr(self, name) for name in _ORG_A_ROLES}


@dataclass(frozen=True)
class _CastIds:
    org_a: Any
    org_b: Any
    profiles: dict[str, Any]
    platform_admin: Any
    outsider: Any


def _user(email: str, **fields: Any) -> User:
    return User.objects.create_user(email=email, password=PASSWORD, name=email.split("@")[0].title(), **fields)


@pytest.fixture(scope="session")
def _cast_ids(django_db_setup: None, django_db_blocker: Any) -> _CastIds:
    from tenants.orgs.provisioning import org_create, template_ensure

    with django_db_blocker.unblock():
        template_ensure()
        org_a = org_create(name="Alpha Realty", slug="alpha")
        org_b = org_create(name="Bravo Realty", slug="bravo")
        profiles = {}
        for name, role in _ORG_A_ROLES.items():
            user = _user(f"{name}@alpha.test")
            profiles[name] = Profile.objects.create(user=user, org=org_a, role=role).pk
        other = _user("other_owner@bravo.test")
        profiles["other_owner"] = Profile.objects.create(user=other, org=org_b, role=Role.OWNER).pk
        platform_admin = _user("platform@keystone.test", is_platform_admin=True)
        outsider = _user("outsider@nowhere.test")
    return _CastIds(org_a.pk, org_b.pk, profiles, platform_admin.pk, outsider.pk)


@pytest.fixture
def cast(_cast_ids: _CastIds, db: None) -> Cast:
    """Fresh instances every test, so one test's in-memory changes never leak into the next."""
    profiles = Profile.objects.select_related("user", "org").in_bulk(list(_cast_ids.profiles.values()))
    users = User.objects.in_bulk([_cast_ids.platform_admin, _cast_ids.outsider])
    by_name = {name: profiles[pk] for name, pk in _cast_ids.profiles.items()}
    return Cast(
        org_a=by_name["owner"].org,
        org_b=by_name["other_owner"].org,
        platform_admin=users[_cast_ids.platform_admin],
        outsider=users[_cast_ids.outsider],
        **by_name,
    )


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    """The test Redis db starts empty for every test (it is not rolled back with the database)."""
    cache.clear()
    yield


def access_token_for(user: User) -> str:
    """An access token as login would issue it, without writing an outstanding refresh token."""
    token = AccessToken.for_user(user)
    token[TOKEN_VERSION_CLAIM] = user.token_version
    return str(token)


def client_for(who: Profile | User | None, org: Org | str | None = None) -> APIClient:
    """An API client signed in as `who`; for a profile the `org` header defaults to that profile's org."""
    client = APIClient()
    if who is None:
        return client
    user = who.user if isinstance(who, Profile) else who
    if org is None and isinstance(who, Profile):
        org = who.org
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(user)}")
    if org is not None:
        client.defaults["HTTP_ORG"] = str(org.pk if isinstance(org, Org) else org)
    return client


@pytest.fixture
def api() -> Callable[..., APIClient]:
    return client_for


def database_url_for_subprocess() -> str:
    """A DATABASE_URL for the database this test session uses, to hand to a subprocess (worker, server)."""
    from urllib.parse import quote

    from django.db import connection

    db = connection.settings_dict
    credentials = quote(db["USER"] or "")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"])
    host = db["HOST"] or ""
    if host.startswith("/"):
        return f"postgresql://{credentials}@/{db['NAME']}?host={host}"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgresql://{credentials}@{host}{port}/{db['NAME']}"


@contextmanager
def celery_worker_started(extra_env: dict[str, str] | None = None) -> Iterator[Any]:
    """A real `celery worker` process on the test Redis db and the test database, stopped afterwards.

    `extra_env` reaches the worker's settings: a test that starts a local server for an outside service (an
    OpenAI-compatible API, an enhancement service) starts the server first and passes its URL here."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings.test",
        "DATABASE_URL": database_url_for_subprocess(),
        "REDIS_URL": str(settings.REDIS_URL),
        **(extra_env or {}),
    }
    command = [sys.executable, "-m", "celery", "-A", "crm", "worker", "--pool", "solo", "--loglevel", "WARNING"]
    command += ["--include", "tests.worker_tasks", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    process = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def celery_worker_process(_cast_ids: _CastIds) -> Iterator[Any]:
    """A real worker for one test (see celery_worker_started)."""
    with celery_worker_started() as process:
        yield process


@pytest.fixture
def run_tasks_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tasks enqueued with `tenants.pipeline.tasks.enqueue` run in this process (`task.apply`) when their
    transaction commits; wrap the action in `django_capture_on_commit_callbacks(execute=True)`. For one test only:
    no global eager mode, and tests about background work use the real worker (`celery_worker_process`)."""
    import tenants.pipeline.tasks

    def apply_inline(task: Any, args: tuple[Any, ...], kwargs: dict[str, Any], schema_name: str) -> None:
        result = task.apply(args=args, kwargs=kwargs, headers={"_schema_name": schema_name})
        result.get(propagate=True)

    monkeypatch.setattr(tenants.pipeline.tasks, "dispatch", apply_inline)
