"""An org's settings and logo, and the lock every change to an org or its members takes."""

from __future__ import annotations

import zoneinfo
from typing import Any
from urllib.parse import urlsplit

from anyascii import anyascii
from django.conf import settings
from django.db import transaction
from django.utils.text import slugify

from common.codes import CURRENCY_HELP, is_currency
from common.errors import Conflict, field_error
from common.models import Profile, Role
from tenants.audit import audit_record
from tenants.models import Org

DATE_FORMATS = ("YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY", "DD.MM.YYYY")
_SETTINGS_FIELDS = (
    "name", "slug", "timezone", "currency", "date_format", "requires_two_factor", "export_min_role", "language",
    "public_origins",
)  # fmt: skip
# Names of routes and machinery an org slug must never take.
RESERVED_SLUGS = frozenset({"template", "public", "admin", "api", "platform", "www"})


def org_lock(org: Org) -> Org:
    """The org row, locked until the transaction ends: every change to the org or its members takes it first,
    so two concurrent changes are applied one after the other."""
    return Org.objects.select_for_update().get(pk=org.pk)


# --- Settings -------------------------------------------------------------------------------------------------


def slug_of(text: str) -> str:
    """A URL slug from any script: "東京不動産" becomes "dongjingbudongchan", "Zoë & Co" "zoe-co"."""
    return slugify(anyascii(str(text)))[:63].strip("-")


def _validated_slug(org: Org, value: Any) -> str:
    slug = slug_of(value)
    if not slug:
        raise field_error("slug", "invalid", "A slug needs at least one letter or digit.")
    if slug in RESERVED_SLUGS:
        raise field_error("slug", "reserved", f"{slug!r} is reserved; choose another.")
    if Org.objects.filter(slug=slug).exclude(pk=org.pk).exists():
        raise field_error("slug", "unique", f"{slug!r} is taken; choose another.")
    return slug


def _validated_settings(org: Org, changes: dict[str, Any]) -> dict[str, Any]:
    clean = {key: value for key, value in changes.items() if key in _SETTINGS_FIELDS}
    if "slug" in clean:
        clean["slug"] = _validated_slug(org, clean["slug"])
    if "name" in clean:
        clean["name"] = str(clean["name"]).strip()
        if not clean["name"]:
            raise field_error("name", "blank", "The name cannot be blank.")
    if "timezone" in clean and clean["timezone"] not in zoneinfo.available_timezones():
        raise field_error("timezone", "invalid_choice", "Not a known IANA time zone (e.g. Europe/London).")
    if "currency" in clean:
        clean["currency"] = str(clean["currency"]).upper()
        if not is_currency(clean["currency"]):
            raise field_error("currency", "invalid", f"Not a known currency. {CURRENCY_HELP}")
    if "date_format" in clean and clean["date_format"] not in DATE_FORMATS:
        raise field_error("date_format", "invalid_choice", f"Choose one of {', '.join(DATE_FORMATS)}.")
    if "language" in clean and clean["language"] not in settings.AI_LANGUAGES:
        raise field_error("language", "invalid_choice", f"Choose one of {', '.join(settings.AI_LANGUAGES)}.")
    if "public_origins" in clean:
        clean["public_origins"] = _origins(clean["public_origins"])
    if "export_min_role" in clean and clean["export_min_role"] not in Role.values:
        raise field_error("export_min_role", "invalid_choice", f"Choose one of {', '.join(Role.values)}.")
    return clean


def _origins(values: list[str]) -> list[str]:
    """Exact origins as browsers send them: scheme://host[:port], lower-cased, no path, no duplicates."""
    origins: list[str] = []
    for value in values:
        parts = urlsplit(str(value).strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
            raise field_error(
                "public_origins", "invalid", f"{value!r} is not an origin like https://www.agency.example."
            )
        if parts.query or parts.fragment or parts.username:
            raise field_error("public_origins", "invalid", f"{value!r} must be scheme://host[:port] alone.")
        origin = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        if origin not in origins:
            origins.append(origin)
    return origins


@transaction.atomic
def org_settings_update(*, org: Org, actor: Profile, changes: dict[str, Any], ip: str | None = None) -> Org:
    locked = org_lock(org)
    clean = _validated_settings(locked, changes)
    if clean.get("requires_two_factor") and not locked.requires_two_factor and not actor.user.has_two_factor:
        # Turning it on without 2FA of one's own would lock the admin out of the route that turns it off.
        raise Conflict(
            "Enrol in two-factor authentication yourself before requiring it of everyone.",
            code="two_factor_not_enrolled",
        )
    diff = {key: [getattr(locked, key), value] for key, value in clean.items() if getattr(locked, key) != value}
    for key, (_, value) in diff.items():
        setattr(locked, key, value)
    if diff:
        locked.save(update_fields=[*diff, "updated_at"])
        two_factor = diff.pop("requires_two_factor", None)
        if diff:
            audit_record(org=locked, actor=actor, action="settings_changed", details={"changes": diff}, ip=ip)
        if two_factor is not None:
            action = "two_factor_requirement_enabled" if two_factor[1] else "two_factor_requirement_disabled"
            audit_record(org=locked, actor=actor, action=action, ip=ip)
    return locked


@transaction.atomic
def org_logo_set(*, org: Org, actor: Profile, upload: Any, ip: str | None = None) -> Org:
    locked = org_lock(org)
    old = locked.logo.name if locked.logo else ""
    # Content-addressed name under the org's own folder: no user-chosen path, no collisions.
    locked.logo.save(f"{org.pk.hex}/{upload.name}", upload, save=False)
    locked.save(update_fields=["logo", "updated_at"])
    if old:
        transaction.on_commit(lambda: locked.logo.storage.delete(old))
    audit_record(
        org=locked,
        actor=actor,
        action="settings_changed",
        details={"changes": {"logo": [old, locked.logo.name]}},
        ip=ip,
    )
    return locked


@transaction.atomic
def org_logo_clear(*, org: Org, actor: Profile, ip: str | None = None) -> Org:
    locked = org_lock(org)
    old = locked.logo.name if locked.logo else ""
    if old:
        storage = locked.logo.storage
        locked.logo = ""
        locked.save(update_fields=["logo", "updated_at"])
        transaction.on_commit(lambda: storage.delete(old))
        audit_record(
            org=locked, actor=actor, action="settings_changed", details={"changes": {"logo": [old, ""]}}, ip=ip
        )
    return locked
