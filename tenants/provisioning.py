"""Creating org rows together with their ready, fully migrated schemas."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import connection, transaction
from django.utils.text import slugify
from django_tenants.utils import schema_exists

from tenants.models import Org, OrgStatus, schema_name_for


def unique_slug(name: str) -> str:
    base = slugify(name)[:50].strip("-") or "org"
    slug = base
    while Org.objects.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


def _migrate_new_schema(org: Org) -> None:
    # The normal migrate path: every tenant migration runs in the new schema (on Citus this is what
    # makes its tables distributed; a clone would leave them local).
    org.create_schema(check_if_exists=True, verbosity=0)


@transaction.atomic
def org_create(*, name: str, slug: str | None = None, status: str = OrgStatus.ACTIVE) -> Org:
    """An org row and its migrated schema, in one transaction: either both exist afterwards or neither."""
    org = Org(name=name.strip(), slug=slug or unique_slug(name), status=status)
    org.schema_name = schema_name_for(org.id)
    org.save()
    _migrate_new_schema(org)
    connection.set_schema_to_public()
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
        connection.set_schema_to_public()
    return template
