"""A contact's marketing email consent: one place that changes it and says so on the contact's timeline."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from common.models import Profile
from contacts.models import Contact, EmailConsent
from records import services as records
from tenants.models import Org

CONSENT_SOURCE_MAX = 40


def contact_consent_set(
    *,
    org: Org,
    actor: Profile | None,
    contact: Contact,
    state: str,
    source: str,
    at: datetime.datetime | None = None,
    details: dict[str, Any] | None = None,
) -> bool:
    """Set the contact's consent to `state`, learnt from `source` (`web_form`, `unsubscribe_link`, `bounce`...),
    and log an `email_consent_changed` entry on its timeline. The same state again changes nothing (False)."""
    if state not in EmailConsent.values:
        raise ValueError(f"unknown email consent {state!r}")
    if contact.email_consent == state:
        return False
    old = contact.email_consent
    with transaction.atomic():
        contact.email_consent = state
        contact.email_consent_source = source[:CONSENT_SOURCE_MAX]
        contact.email_consent_at = at or timezone.now()
        contact.updated_by = actor if actor is not None else contact.updated_by
        contact.save(update_fields=["email_consent", "email_consent_source", "email_consent_at", "updated_by",
                                    "updated_at"])  # fmt: skip
        entry = {"email_consent": [old, state], "source": contact.email_consent_source, **(details or {})}
        records.log_activity(contact, actor, "email_consent_changed", entry)
    return True


def contact_consent_set_by_email(
    *, org: Org, email: str, state: str, source: str, details: dict[str, Any] | None = None
) -> Contact | None:
    """The same for the contact with this address (emails are unique per org), if there is one."""
    if not email:
        return None
    contact = Contact.objects.for_org(org).filter(email__iexact=email.strip()).select_for_update().first()
    if contact is not None:
        contact_consent_set(org=org, actor=None, contact=contact, state=state, source=source, details=details)
    return contact
