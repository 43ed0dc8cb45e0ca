"""The org's invoice settings row: read (made with the defaults on first use), changed by admins, and the
payment provider's webhook secret rotated."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from common.models import Profile
from invoices.models import InvoiceSettings, new_webhook_secret
from tenants.audit import audit_record
from tenants.models import Org

DEFAULT_REMINDER_DAYS = [3, 14, 30]


def invoice_settings_of(org: Org) -> InvoiceSettings:
    row: InvoiceSettings | None = InvoiceSettings.objects.for_org(org).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return InvoiceSettings.objects.create(org=org, reminder_days=list(DEFAULT_REMINDER_DAYS))
    except IntegrityError:  # made by a concurrent first use
        return InvoiceSettings.objects.for_org(org).get()


def invoice_settings_for_update(org: Org) -> InvoiceSettings:
    invoice_settings_of(org)
    return InvoiceSettings.objects.for_org(org).select_for_update().get()


def invoice_settings_update(*, org: Org, actor: Profile, data: dict[str, Any]) -> InvoiceSettings:
    with transaction.atomic():
        row = invoice_settings_for_update(org)
        if "reminder_days" in data:
            data["reminder_days"] = sorted(set(data["reminder_days"]))
        changed = {}
        for name, value in data.items():
            if getattr(row, name) != value:
                changed[name] = value
                setattr(row, name, value)
        if changed:
            row.updated_by = actor
            row.save()
            audit_record(
                org=org,
                actor=actor,
                action="invoice_settings_changed",
                target_type="invoices.settings",
                target_id=row.pk,
                details={"fields": sorted(changed)},
            )
    return row


def webhook_secret_rotate(*, org: Org, actor: Profile) -> str:
    """A new signing secret for the payment provider; callbacks signed with the old one stop verifying."""
    with transaction.atomic():
        row = invoice_settings_for_update(org)
        row.webhook_secret, row.updated_by = new_webhook_secret(), actor
        row.save(update_fields=["webhook_secret", "updated_by", "updated_at"])
        audit_record(
            org=org,
            actor=actor,
            action="invoice_webhook_secret_rotated",
            target_type="invoices.settings",
            target_id=row.pk,
        )
    return row.webhook_secret
