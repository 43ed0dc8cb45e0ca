"""Reading email marketing: settings, suppressions, segments and their audiences, sends, recipients."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q, QuerySet

from common.errors import NotFound
from contacts.models import Contact
from emailing.models import EmailSend, EmailSettings, Recipient, Segment, Suppression
from emailing.segments import Compiler, contacts_in
from tenants.models import Org


def _uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound() from None


def email_settings_of(org: Org) -> EmailSettings:
    """The org's settings, or the defaults (unsaved) when it has never changed them."""
    found: EmailSettings | None = EmailSettings.objects.for_org(org).first()
    return found if found is not None else EmailSettings(org=org)


def suppressions_of(*, org: Org) -> QuerySet[Suppression]:
    return Suppression.objects.for_org(org).order_by("-created_at", "-id")


def suppression_of(*, org: Org, suppression_id: Any) -> Suppression:
    found: Suppression | None = suppressions_of(org=org).filter(pk=_uuid(suppression_id)).first()
    if found is None:
        raise NotFound()
    return found


def segments_of(*, org: Org) -> QuerySet[Segment]:
    return Segment.objects.for_org(org).order_by("name", "id")


def segment_of(*, org: Org, segment_id: Any) -> Segment:
    found: Segment | None = segments_of(org=org).filter(pk=_uuid(segment_id)).first()
    if found is None:
        raise NotFound()
    return found


def segment_contacts(*, org: Org, segment: Segment) -> QuerySet[Contact]:
    """The segment's live contacts, as one query."""
    return contacts_in(org).filter(Compiler(org).segment(segment))


def definition_contacts(*, org: Org, definition: Any) -> QuerySet[Contact]:
    """The contacts an unsaved definition matches (checked as it is compiled)."""
    return contacts_in(org).filter(Compiler(org).definition(definition))


def audience_of(*, org: Org, segment_ids: list[Any], exclude_segment_ids: list[Any]) -> QuerySet[Contact]:
    """Contacts in any of the segments and in none of the excluded ones: one query, each contact once."""
    compiler = Compiler(org)
    by_id = {
        segment.pk: segment for segment in segments_of(org=org).filter(pk__in=[*segment_ids, *exclude_segment_ids])
    }
    included = Q(pk__in=[])
    for pk in segment_ids:
        if pk in by_id:
            included |= compiler.segment(by_id[pk])
    queryset = contacts_in(org).filter(included)
    for pk in exclude_segment_ids:
        if pk in by_id:
            queryset = queryset.exclude(compiler.segment(by_id[pk]))
    return queryset


def sends_of(*, org: Org) -> QuerySet[EmailSend]:
    return EmailSend.objects.for_org(org).select_related("campaign", "listing").order_by("-created_at", "-id")


def send_of(*, org: Org, send_id: Any) -> EmailSend:
    found: EmailSend | None = sends_of(org=org).filter(pk=_uuid(send_id)).first()
    if found is None:
        raise NotFound()
    return found


def recipients_of(*, org: Org, send: EmailSend) -> QuerySet[Recipient]:
    return Recipient.objects.for_org(org).filter(send=send).order_by("email", "id")
