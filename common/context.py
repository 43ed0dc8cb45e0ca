"""The active org and profile of this request or task, and the database schema that goes with them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol, cast

from django.db import connection

if TYPE_CHECKING:
    from common.models import Profile
    from tenants.models import Org


class SchemaConnection(Protocol):
    """What django-tenants' database backend adds to the connection (it ships no types)."""

    tenant: Any
    schema_name: str

    def set_tenant(self, tenant: Any) -> None: ...

    def set_schema_to_public(self) -> None: ...


# The same per-thread connection proxy as `django.db.connection`, typed with the schema methods.
schema_connection = cast(SchemaConnection, connection)

_active_org: ContextVar[Org | None] = ContextVar("active_org", default=None)
_active_profile: ContextVar[Profile | None] = ContextVar("active_profile", default=None)


class NoActiveOrg(RuntimeError):
    """Tenant data was touched with no org active: enter `org_context(org)` or use `Model.objects.for_org`."""


def active_org() -> Org | None:
    return _active_org.get()


def active_profile() -> Profile | None:
    return _active_profile.get()


def require_active_org() -> Org:
    org = _active_org.get()
    if org is None:
        raise NoActiveOrg(
            "No org is active. Tenant queries run inside a request with an org header, a tenant Celery task, "
            "or `with org_context(org):`."
        )
    return org


@contextmanager
def org_context(org: Org, profile: Profile | None = None) -> Iterator[Org]:
    """Make `org` active and point the connection at its schema; restore both afterwards, even on error."""
    previous_tenant = schema_connection.tenant
    org_token = _active_org.set(org)
    profile_token = _active_profile.set(profile)
    schema_connection.set_tenant(org)
    try:
        yield org
    finally:
        _active_profile.reset(profile_token)
        _active_org.reset(org_token)
        if previous_tenant is not None and previous_tenant.schema_name != schema_connection.schema_name:
            schema_connection.set_tenant(previous_tenant)
