"""`manage.py ensure_demo`: the template org, a demo platform admin and a demo agency with its owner."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django_tenants.utils import schema_exists

from common.models import Profile, Role, User
from tenants.models import Org
from tenants.orgs.provisioning import org_create, template_ensure

DEMO_ORG_NAME = "Harbor Realty"
DEMO_ORG_SLUG = "harbor-realty"


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD", "keystone-demo-pass")


def demo_admin_email() -> str:
    return os.environ.get("DEMO_ADMIN_EMAIL", "admin@keystone.local")


def demo_owner_email() -> str:
    return os.environ.get("DEMO_OWNER_EMAIL", "owner@harbor-realty.example")


class Command(BaseCommand):
    help = "Create the demo data `make run` relies on, if missing. Never changes what already exists."

    def handle(self, *args: Any, **options: Any) -> None:
        self._ensure_template()
        admin = self._ensure_user(demo_admin_email(), "platform admin", is_platform_admin=True)
        if not admin.is_platform_admin:
            # An existing account is never promoted behind its owner's back; say so instead.
            self.stderr.write(self.style.WARNING(f"  {admin.email} is not a platform admin; left unchanged"))
        org = self._ensure_org()
        owner = self._ensure_user(demo_owner_email(), "org owner")
        self._ensure_owner_profile(owner, org)

    def _report(self, thing: str, created: bool) -> None:
        if created:
            self.stdout.write(self.style.SUCCESS(f"created: {thing}"))
        else:
            self.stdout.write(f"already present: {thing}")

    def _ensure_template(self) -> None:
        schema_name = settings.TENANT_TEMPLATE_SCHEMA
        was_present = Org.objects.filter(schema_name=schema_name).exists() and schema_exists(schema_name)
        template_ensure()
        self._report(f"template org (schema {schema_name})", not was_present)

    def _ensure_user(self, email: str, label: str, **fields: Any) -> User:
        user = User.objects.filter(email__iexact=email).first()
        created = user is None
        if user is None:
            # The password is set only here: an existing account keeps whatever password it has now.
            user = User.objects.create_user(email, demo_password(), **fields)
        self._report(f"{label} {user.email}", created)
        return user

    def _ensure_org(self) -> Org:
        org = Org.objects.filter(slug=DEMO_ORG_SLUG).first()
        created = org is None
        if org is None:
            org = org_create(name=DEMO_ORG_NAME, slug=DEMO_ORG_SLUG)
        self._report(f"org {org.name} ({org.slug})", created)
        return org

    def _ensure_owner_profile(self, owner: User, org: Org) -> None:
        profile, created = Profile.objects.get_or_create(user=owner, org=org, defaults={"role": Role.OWNER})
        self._report(f"{owner.email} as {profile.role} of {org.slug}", created)
        if profile.role != Role.OWNER or not profile.is_active:
            self.stderr.write(
                self.style.WARNING(f"  {owner.email} is not an active owner of {org.slug}; left unchanged")
            )
