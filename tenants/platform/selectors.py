"""Platform reads: every customer org and user, with their counts, and the platform audit log."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, models
from django.db.models import Count, F, Q, QuerySet
from django.utils.text import slugify
from django_tenants.postgresql_backend.base import is_valid_schema_name
from django_tenants.utils import quote_schema_name

from common.errors import NotFound
from common.models import BaseModel, Profile, User
from tenants.members.selectors import members_of
from tenants.models import AuditEvent, Org, OrgStatus, PlatformAuditEvent

CUSTOMER_STATUSES = (OrgStatus.ACTIVE, OrgStatus.SUSPENDED, OrgStatus.DELETING)

ORG_ORDERINGS = ("name", "created_at", "last_activity_at", "member_count")
CountsByModule = dict[str, dict[str, int]]


def uuid_or_none(value: Any) -> uuid.UUID | None:
    """The id a client sent, as a UUID; None when it is not one (it names nothing: the caller answers 404)."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


# --- Orgs -----------------------------------------------------------------------------------------------------


def _with_member_count(queryset: QuerySet[Org]) -> QuerySet[Org]:
    active_members = Q(profiles__is_active=True, profiles__removed_at__isnull=True)
    return queryset.annotate(member_count=Count("profiles", filter=active_members))


def platform_orgs(*, search: str = "", statuses: Sequence[str] = (), ordering: str = "name") -> QuerySet[Org]:
    """Customer orgs (or exactly the statuses asked for), with their active member count, in a stable order."""
    queryset = Org.objects.filter(status__in=list(statuses or CUSTOMER_STATUSES))
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(slug__icontains=search))
    descending = ordering.startswith("-")
    column = F(ordering.lstrip("-"))
    # Orgs with no activity yet go last whichever way the list is sorted; the id keeps pages stable.
    order = column.desc(nulls_last=True) if descending else column.asc(nulls_last=True)
    return _with_member_count(queryset).order_by(order, "id")


def platform_org_members(*, org: Org) -> QuerySet[Profile]:
    """Everyone who belongs or belonged to the org (removed members last), by email: whom a platform admin can
    look up and impersonate."""
    return members_of(org, include_removed=True).order_by(
        F("removed_at").asc(nulls_first=True), "user__email", "id"
    )


def platform_org_recent_audit(*, org: Org, limit: int = 20) -> list[Any]:
    """The org's latest audit entries (its own log), newest first."""
    return list(AuditEvent.objects.filter(org_id=org.pk).order_by("-created_at", "-id")[:limit])


def platform_org_get(*, org_id: Any) -> Org:
    org_pk = uuid_or_none(org_id)
    org = (
        _with_member_count(Org.objects.filter(pk=org_pk)).select_related("deletion_requested_by").first()
        if org_pk
        else None
    )
    if org is None:
        raise NotFound()
    return org


def record_models() -> list[type[models.Model]]:
    """Every tenant table of every tenant app, from the app registry, so a new module is counted by itself."""
    found = []
    for config in apps.get_app_configs():
        if config.name not in settings.TENANT_APPS:
            continue
        for model in config.get_models():
            meta = model._meta
            if issubclass(model, BaseModel) and meta.managed and not meta.proxy:
                found.append(model)
    return sorted(found, key=lambda model: (model._meta.app_label, model._meta.model_name))


def count_name(model: type[models.Model]) -> str:
    """How a table is named in record counts: its plural, readable and stable ("activity_entries")."""
    return slugify(str(model._meta.verbose_name_plural)).replace("-", "_")


def org_record_counts(orgs: Iterable[Org]) -> dict[Any, CountsByModule]:
    """`{org id: {app label: {records: rows}}}` for a page of orgs (e.g. `{"contacts": {"contacts": 3,
    "companies": 1}}`), in two queries whatever the page size.

    The first finds which of the tables exist (a schema a migration has not reached yet, or a broken one, must
    not turn the whole page into an error); the second counts all of them in one UNION ALL. Schema names come
    from the org rows, are checked against django-tenants' naming rule and quoted; every other value is a
    query parameter.
    """
    orgs = list(orgs)
    counts: dict[Any, CountsByModule] = {org.pk: {} for org in orgs}
    by_schema = {org.schema_name: org.pk for org in orgs if is_valid_schema_name(org.schema_name)}
    by_table = {model._meta.db_table: model for model in record_models()}
    if not by_schema or not by_table:
        return counts
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT schemaname, tablename FROM pg_catalog.pg_tables "
            "WHERE schemaname = ANY(%s) AND tablename = ANY(%s) ORDER BY schemaname, tablename",
            [list(by_schema), list(by_table)],
        )
        existing = cursor.fetchall()
        if not existing:
            return counts
        arms, params = [], []
        for schema, table in existing:
            source = f"{quote_schema_name(schema)}.{connection.ops.quote_name(table)}"
            arms.append(f"SELECT %s, %s, %s, count(*) FROM {source}")  # noqa: S608 - quoted identifiers only
            model = by_table[table]
            params += [schema, model._meta.app_label, count_name(model)]
        cursor.execute(" UNION ALL ".join(arms), params)
        for schema, app_label, model_name, rows in cursor.fetchall():
            counts[by_schema[schema]].setdefault(app_label, {})[model_name] = rows
    return counts


# --- Users ----------------------------------------------------------------------------------------------------


def platform_users(
    *, search: str = "", is_active: bool | None = None, is_platform_admin: bool | None = None
) -> QuerySet[User]:
    queryset = User.objects.annotate(
        membership_count=Count("profiles", filter=Q(profiles__removed_at__isnull=True))
    ).order_by("email", "id")
    if search:
        queryset = queryset.filter(Q(email__icontains=search) | Q(name__icontains=search))
    if is_active is not None:
        queryset = queryset.filter(is_active=is_active)
    if is_platform_admin is not None:
        queryset = queryset.filter(is_platform_admin=is_platform_admin)
    return queryset


def platform_user_get(*, user_id: Any) -> User:
    """The user with every membership (removed ones too), orgs loaded."""
    user_pk = uuid_or_none(user_id)
    memberships = Profile.objects.select_related("org").order_by("org__name", "id")
    user = (
        platform_users()
        .filter(pk=user_pk)
        .prefetch_related(models.Prefetch("profiles", queryset=memberships, to_attr="memberships"))
        .first()
        if user_pk
        else None
    )
    if user is None:
        raise NotFound()
    return user


# --- Platform audit log -------------------------------------------------------------------------------------


def platform_audit_events(
    *,
    actor_id: uuid.UUID | None = None,
    org_id: uuid.UUID | None = None,
    action: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[PlatformAuditEvent]:
    queryset = PlatformAuditEvent.objects.order_by("-created_at", "-id")
    if actor_id:
        queryset = queryset.filter(actor_user_id=actor_id)
    if org_id:
        queryset = queryset.filter(org_id=org_id)
    if action:
        queryset = queryset.filter(action=action)
    if since:
        queryset = queryset.filter(created_at__gte=since)
    if until:
        queryset = queryset.filter(created_at__lt=until)
    return queryset
