"""Organisations (tenants, one PostgreSQL schema each) and their optional hostnames."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django_tenants.models import DomainMixin, TenantMixin

from common.ids import uuid7


class OrgStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    DELETING = "deleting", "Deleting"
    # The fully migrated schema that new orgs can be cloned from; never served to anyone.
    TEMPLATE = "template", "Template"


def schema_name_for(org_id: Any) -> str:
    """Derived from the id, never from user text, so no name can collide or need quoting."""
    return f"org_{org_id.hex}"


class Org(TenantMixin):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=63, unique=True)
    status = models.CharField(max_length=16, choices=OrgStatus.choices, default=OrgStatus.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    # Provisioning decides how a schema is made (tenants.provisioning); a plain save never migrates.
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    @property
    def is_active(self) -> bool:
        return self.status == OrgStatus.ACTIVE


class Domain(DomainMixin):
    """An optional hostname for an org. Requests pick their org by the `org` header, not by host."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
