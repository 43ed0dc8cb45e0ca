"""Creating org rows together with their ready, fully migrated schemas: from the pool, else the fallback."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import TypeVar

from anyascii import anyascii
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils.text import slugify
from django_tenants.clone import CloneSchema
from django_tenants.utils import schema_exists

from common.context import schema_connection
from tenants.models import Org, OrgStatus, schema_name_for
from tenants.orgs.pool import pool_claim, pool_top_up_enqueue, schema_is_current

logger = logging.getLogger("crm.tenants")

T = TypeVar("T")

# Serialises fallback clones: django-tenants' clone re-creates its `public.clone_schema` function and helper
# types on every call, and two transactions replacing the same function at once fail ("tuple concurrently
# updated"). Held until the sign-up's transaction ends; only the rare empty-pool path takes it.
CLONE_LOCK_KEY = 0x6B6F7267636C6F6E
# How often an auto-generated slug is retried after a concurrent sign-up took it first.
SLUG_ATTEMPTS = 3


def unique_slug(name: str) -> str:
    base = slugify(anyascii(name))[:50].strip("-") or "org"
    slug = base
    while Org.objects.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


def database_is_citus() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
        return cursor.fetchone() is not None


def _migrate_new_schema(org: Org) -> None:
    # The normal migrate path: every tenant migration runs in the new schema (on Citus this is what
    # makes its tables distributed; a clone would leave them local).
    org.create_schema(check_if_exists=True, verbosity=0)


def _clone_template_schema(org: Org) -> bool:
    """Copy the template into the org's new schema when that is safe; False when it is not.

    Only on plain PostgreSQL (on Citus a cloned schema's tables are not sharded), and only from a template
    that holds every migration of the code: the clone copies the template's `django_migrations` rows, so a
    lagging template would give a schema that claims migrations it never ran. django-tenants' own clone path
    follows the copy with `migrate_schemas --fake`, which would hide exactly that; the check replaces it.
    """
    template_schema = settings.TENANT_TEMPLATE_SCHEMA
    if database_is_citus() or not schema_is_current(template_schema):
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CLONE_LOCK_KEY])
    CloneSchema().clone_schema(template_schema, org.schema_name)
    schema_connection.set_schema_to_public()
    return True


def _with_free_slug(slug: str | None, name: str, write: Callable[[str], T]) -> T:
    """Run `write(slug)` in a savepoint; an auto-generated slug that a concurrent sign-up took meanwhile is
    replaced and retried. An explicit slug that is taken raises IntegrityError, as it always did."""
    for attempt in range(SLUG_ATTEMPTS):
        try:
            with transaction.atomic():
                return write(slug or unique_slug(name))
        except IntegrityError:
            if slug is not None or attempt == SLUG_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _org_insert(*, name: str, slug: str, status: str) -> Org:
    org = Org(name=name, slug=slug, status=status)
    org.schema_name = schema_name_for(org.id)
    org.save()
    return org


@transaction.atomic
def org_create(*, name: str, slug: str | None = None, status: str = OrgStatus.ACTIVE) -> Org:
    """An org row and its migrated schema, in one transaction: either both exist afterwards or neither.

    An active org takes a ready schema from the pool (no DDL, no migrations in the caller's transaction), and
    a refill is queued for after the commit. With no ready pooled schema it falls back to a clone of the
    template on plain PostgreSQL, and to running the migrations on Citus or when the template lags.
    """
    name = name.strip()
    schema_connection.set_schema_to_public()
    if status == OrgStatus.ACTIVE:
        pool_top_up_enqueue()
        claimed = _with_free_slug(slug, name, lambda free: pool_claim(name=name, slug=free))
        if claimed is not None:
            return claimed
        logger.warning("no ready schema in the org pool; creating one inside the request")
    org = _with_free_slug(slug, name, lambda free: _org_insert(name=name, slug=free, status=status))
    if status != OrgStatus.ACTIVE or not _clone_template_schema(org):
        _migrate_new_schema(org)
    schema_connection.set_schema_to_public()
    return org


def template_ensure() -> Org:
    """The template org: a schema kept current by `migrate_schemas` like any org, never served."""
    schema_name = settings.TENANT_TEMPLATE_SCHEMA
    template = Org.objects.filter(schema_name=schema_name).first()
    if template is None:
        with transaction.atomic():
            template = Org(name="Template", slug="template", status=OrgStatus.TEMPLATE, schema_name=schema_name)
            template.save()
    if not schema_exists(schema_name):
        _migrate_new_schema(template)
        schema_connection.set_schema_to_public()
    return template
