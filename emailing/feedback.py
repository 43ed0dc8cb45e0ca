"""What comes back from a sent message: opens and clicks (tracking links), unsubscribes (the one-click POST and
the unsubscribe page), and bounces and complaints (provider webhooks). Each is one transaction; consent and
the suppression list change where they should, and the contact's timeline says so."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from contacts.consent import contact_consent_set
from contacts.models import Contact, EmailConsent
from emailing.models import EmailEvent, EmailLink, EventKind, Recipient, RecipientState, SuppressionReason
from emailing.services import suppression_add
from emailing.tracking import is_proxy
from tenants.models import Org


@dataclass(frozen=True)
class Visit:
    ip: str | None
    user_agent: str
    at: datetime.datetime


def recipient_for_token(org: Org, recipient_id: uuid.UUID | None) -> Recipient | None:
    if recipient_id is None:
        return None
    found: Recipient | None = Recipient.objects.for_org(org).filter(pk=recipient_id).first()
    return found


def _event(org: Org, recipient: Recipient, kind: str, at: datetime.datetime, **fields: Any) -> EmailEvent:
    event: EmailEvent = EmailEvent.objects.create(
        org=org, send_id=recipient.send_id, recipient=recipient, kind=kind, occurred_at=at, **fields
    )
    return event


def open_record(*, org: Org, recipient: Recipient, visit: Visit) -> str:
    """An open; one within seconds of delivery or from a provider's proxy is a machine's and counted apart."""
    with transaction.atomic():
        recipient = Recipient.objects.for_org(org).select_for_update().get(pk=recipient.pk)
        soon = recipient.sent_at is not None and visit.at - recipient.sent_at < datetime.timedelta(
            seconds=settings.EMAILING_MACHINE_OPEN_SECONDS
        )
        kind = EventKind.MACHINE_OPEN if soon or is_proxy(visit.ip, visit.user_agent) else EventKind.OPEN
        _event(
            org,
            recipient,
            kind,
            visit.at,
            ip=visit.ip,
            user_agent=visit.user_agent[:300],
            details={"soon_after_delivery": bool(soon)},
        )
        field = "first_open_at" if kind == EventKind.OPEN else "first_machine_open_at"
        if getattr(recipient, field) is None:
            setattr(recipient, field, visit.at)
            recipient.save(update_fields=[field, "updated_at"])
    return kind


def link_of(*, org: Org, recipient: Recipient, position: int) -> EmailLink | None:
    """Only a link that was in this message's email: anything else is nobody's redirect."""
    found: EmailLink | None = (
        EmailLink.objects.for_org(org).filter(send_id=recipient.send_id, position=position).first()
    )
    return found


def click_record(*, org: Org, recipient: Recipient, link: EmailLink, visit: Visit) -> None:
    """A click; it also shows the email was opened by a person (images may have been off)."""
    with transaction.atomic():
        recipient = Recipient.objects.for_org(org).select_for_update().get(pk=recipient.pk)
        _event(
            org, recipient, EventKind.CLICK, visit.at, link=link, ip=visit.ip, user_agent=visit.user_agent[:300]
        )
        changed = []
        if recipient.first_click_at is None:
            recipient.first_click_at = visit.at
            changed.append("first_click_at")
        if recipient.first_open_at is None:
            recipient.first_open_at = visit.at
            changed.append("first_open_at")
        if changed:
            recipient.save(update_fields=[*changed, "updated_at"])


def unsubscribe_record(*, org: Org, recipient: Recipient, visit: Visit, one_click: bool) -> bool:
    """The recipient unsubscribes: consent becomes `unsubscribed` (logged on the contact's timeline). Doing it
    again changes nothing (False)."""
    with transaction.atomic():
        recipient = Recipient.objects.for_org(org).select_for_update().get(pk=recipient.pk)
        if recipient.unsubscribed_at is not None:
            return False
        recipient.unsubscribed_at = visit.at
        recipient.save(update_fields=["unsubscribed_at", "updated_at"])
        source = "one_click_unsubscribe" if one_click else "unsubscribe_page"
        _event(
            org,
            recipient,
            EventKind.UNSUBSCRIBE,
            visit.at,
            ip=visit.ip,
            user_agent=visit.user_agent[:300],
            details={"one_click": one_click},
        )
        contact = _contact_of(org, recipient)
        if contact is not None and contact.email_consent != EmailConsent.UNSUBSCRIBED:
            contact_consent_set(
                org=org,
                actor=None,
                contact=contact,
                state=EmailConsent.UNSUBSCRIBED,
                source=source,
                details={"send_id": str(recipient.send_id)},
            )
    return True


def _contact_of(org: Org, recipient: Recipient) -> Contact | None:
    if recipient.contact_id is None:
        return None
    found: Contact | None = (
        Contact.objects.for_org(org).select_for_update().filter(pk=recipient.contact_id).first()
    )
    return found


@dataclass(frozen=True)
class ProviderEvent:
    """A bounce, complaint or delivery reported by the mail provider about one of our messages."""

    kind: str  # bounce | complaint | delivery
    recipient_id: uuid.UUID | None
    emails: tuple[str, ...]
    permanent: bool
    at: datetime.datetime
    source: str  # "ses", "webhook"
    details: dict[str, Any]


def provider_event_record(*, org: Org, event: ProviderEvent) -> int:
    """Apply a provider's report about one of our messages: a hard bounce or a complaint suppresses the
    address, sets the contact's consent and marks the message; a soft bounce and a delivery are only recorded.
    A report naming no message of this org, or another address than the message's, changes nothing. Returns
    how many messages changed (0 or 1)."""
    with transaction.atomic():
        recipient = None
        if event.recipient_id is not None:
            recipient = Recipient.objects.for_org(org).select_for_update().filter(pk=event.recipient_id).first()
        emails = {email.strip().lower() for email in event.emails if email}
        if recipient is None or (emails and recipient.email not in emails):
            return 0
        if event.kind == "delivery" or (event.kind == "bounce" and not event.permanent):
            kind = EventKind.DELIVERY if event.kind == "delivery" else EventKind.SOFT_BOUNCE
            _event(org, recipient, kind, event.at, details=event.details)
            return 1
        hard = event.kind == "bounce"
        reason = SuppressionReason.BOUNCE if hard else SuppressionReason.COMPLAINT
        suppression_add(
            org=org, actor=None, email=recipient.email, reason=reason, source=f"{event.source}:{event.kind}"
        )
        contact = Contact.objects.for_org(org).select_for_update().filter(email__iexact=recipient.email).first()
        if contact is not None:
            contact_consent_set(
                org=org,
                actor=None,
                contact=contact,
                state=EmailConsent.BOUNCED if hard else EmailConsent.COMPLAINED,
                source=f"{event.source}_{event.kind}",
                at=event.at,
                details={"send_id": str(recipient.send_id)},
            )
        field = "bounced_at" if hard else "complained_at"
        if getattr(recipient, field) is not None:
            return 0
        setattr(recipient, field, event.at)
        recipient.state = RecipientState.BOUNCED if hard else RecipientState.COMPLAINED
        recipient.save(update_fields=[field, "state", "updated_at"])
        _event(org, recipient, EventKind.BOUNCE if hard else EventKind.COMPLAINT, event.at, details=event.details)
    return 1
