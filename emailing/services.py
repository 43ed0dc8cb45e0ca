"""Writes of email marketing's set-up: the org's email settings, consent recorded by hand, the suppression list
and segments. Each is one transaction. Sends live in emailing.send_services."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, transaction

from common.errors import ApiError, Conflict, NotFound
from common.models import Profile
from contacts.consent import contact_consent_set
from contacts.models import Contact
from emailing.models import (
    EDITABLE_STATUSES,
    EmailSend,
    EmailSettings,
    Segment,
    SegmentKind,
    SegmentMember,
    SendStatus,
    Suppression,
    SuppressionReason,
)
from emailing.segments import Compiler
from emailing.selectors import email_settings_of, segment_of
from tenants.models import Org

MAX_MEMBERS_PER_CALL = 1000


def _does_not_exist(name: str, value: Any) -> ApiError:
    detail = f'Invalid pk "{value}" - object does not exist.'
    return ApiError(detail, code="does_not_exist", fields={name: [{"code": "does_not_exist", "detail": detail}]})


# --- Settings ------------------------------------------------------------------------------------------------


def email_settings_update(*, org: Org, actor: Profile, data: dict[str, Any]) -> EmailSettings:
    with transaction.atomic():
        found = EmailSettings.objects.for_org(org).select_for_update().first()
        current = found if found is not None else email_settings_of(org)
        if "sender_domains" in data:
            data["sender_domains"] = sorted(
                {domain.strip().lower().rstrip(".") for domain in data["sender_domains"]}
            )
        for name, value in data.items():
            setattr(current, name, value)
        current.updated_by = actor
        if current.created_by_id is None:
            current.created_by = actor
        current.save()
    return current


def sender_domain_allowed(email_settings: EmailSettings, address: str) -> bool:
    domain = address.rpartition("@")[2].strip().lower().rstrip(".")
    return bool(domain) and domain in email_settings.sender_domains


# --- Consent by hand -------------------------------------------------------------------------------------------


def consent_record(*, org: Org, actor: Profile, contact_id: Any, state: str, note: str = "") -> Contact:
    """A member records consent they were given (or a withdrawal): logged on the contact's timeline."""
    with transaction.atomic():
        contact = Contact.objects.for_org(org).select_for_update().filter(pk=contact_id).first()
        if contact is None:
            raise NotFound()
        details = {"note": note} if note else None
        contact_consent_set(org=org, actor=actor, contact=contact, state=state, source="manual", details=details)
    return contact


# --- Suppression list ------------------------------------------------------------------------------------------


def suppression_add(
    *, org: Org, actor: Profile | None, email: str, reason: str, source: str = ""
) -> tuple[Suppression, bool]:
    """Add an address (idempotent: an address already there keeps its first reason)."""
    email = email.strip().lower()
    with transaction.atomic():
        existing = Suppression.objects.for_org(org).filter(email=email).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                row = Suppression.objects.create(
                    org=org, email=email, reason=reason, source=source[:60], created_by=actor, updated_by=actor
                )
        except IntegrityError:  # added by a concurrent event a moment ago
            return Suppression.objects.for_org(org).get(email=email), False
    return row, True


def suppression_add_manual(*, org: Org, actor: Profile, email: str, note: str = "") -> tuple[Suppression, bool]:
    return suppression_add(
        org=org, actor=actor, email=email, reason=SuppressionReason.MANUAL, source=note or "manual"
    )


def suppression_remove(*, org: Org, actor: Profile, suppression_id: Any) -> None:
    with transaction.atomic():
        deleted, _ = Suppression.objects.for_org(org).filter(pk=suppression_id).delete()
    if not deleted:
        raise NotFound()


# --- Segments --------------------------------------------------------------------------------------------------


def _check_definition(org: Org, kind: str, definition: Any, segment_id: uuid.UUID | None) -> dict[str, Any]:
    if kind == SegmentKind.STATIC:
        if definition:
            raise ApiError(
                "A static segment has members, not a definition.",
                code="invalid",
                fields={"definition": [{"code": "invalid", "detail": "Leave it empty."}]},
            )
        return {}
    definition = definition or {"match": "all", "conditions": []}
    # Compiling checks it: ids inside the org, no segment reaching itself.
    Compiler(org).definition(definition, within=(segment_id,) if segment_id else ())
    return dict(definition)


def _refuse_taken_name(org: Org, name: str, exclude_id: Any = None) -> None:
    if Segment.objects.for_org(org).filter(name=name).exclude(pk=exclude_id).exists():
        raise Conflict(
            "A segment with this name already exists.",
            code="duplicate_segment",
            fields={"name": [{"code": "duplicate", "detail": "Already used by another segment."}]},
        )


def segment_create(*, org: Org, actor: Profile, data: dict[str, Any]) -> Segment:
    kind = data.get("kind", SegmentKind.DYNAMIC)
    with transaction.atomic():
        _refuse_taken_name(org, data["name"])
        definition = _check_definition(org, kind, data.get("definition"), None)
        return Segment.objects.create(
            org=org,
            created_by=actor,
            updated_by=actor,
            name=data["name"],
            kind=kind,
            description=data.get("description", ""),
            definition=definition,
        )


def segment_update(*, org: Org, actor: Profile, segment_id: Any, data: dict[str, Any]) -> Segment:
    with transaction.atomic():
        segment = segment_of(org=org, segment_id=segment_id)
        segment = Segment.objects.for_org(org).select_for_update().get(pk=segment.pk)
        if "kind" in data and data["kind"] != segment.kind:
            raise Conflict(
                "A segment's kind cannot change; make a new segment.",
                code="segment_kind_fixed",
                fields={"kind": [{"code": "segment_kind_fixed", "detail": "It cannot change."}]},
            )
        if "name" in data:
            _refuse_taken_name(org, data["name"], exclude_id=segment.pk)
            segment.name = data["name"]
        if "description" in data:
            segment.description = data["description"]
        if "definition" in data:
            segment.definition = _check_definition(org, segment.kind, data["definition"], segment.pk)
        segment.updated_by = actor
        segment.save()
    return segment


def _segment_users(org: Org, segment: Segment) -> list[str]:
    """Names of what still needs the segment: sends not yet started, and other segments' definitions."""
    users = [
        f"the send {send.name!r}"
        for send in EmailSend.objects.for_org(org)
        .filter(status__in=(*EDITABLE_STATUSES, SendStatus.SCHEDULED))
        .filter(_uses(segment.pk))
    ]
    needle = str(segment.pk)
    for other in Segment.objects.for_org(org).exclude(pk=segment.pk).filter(kind=SegmentKind.DYNAMIC):
        if any(
            c.get("field") == "segment" and str(c.get("value")) == needle
            for c in other.definition.get("conditions", [])
            if isinstance(c, dict)
        ):
            users.append(f"the segment {other.name!r}")
    return users


def _uses(segment_id: uuid.UUID) -> Any:
    from django.db.models import Q

    return Q(segment_ids__contains=[segment_id]) | Q(exclude_segment_ids__contains=[segment_id])


def segment_delete(*, org: Org, actor: Profile, segment_id: Any) -> None:
    with transaction.atomic():
        segment = segment_of(org=org, segment_id=segment_id)
        users = _segment_users(org, segment)
        if users:
            raise Conflict(
                f"The segment is used by {', '.join(users[:3])}. Take it out of them first.", code="segment_in_use"
            )
        segment.delete()


def segment_members_change(
    *, org: Org, actor: Profile, segment_id: Any, add: list[uuid.UUID], remove: list[uuid.UUID]
) -> Segment:
    """Hand-pick contacts into (or out of) a static segment; an id that is not a contact of the org is a field
    error, exactly like a random one. Adding a member twice changes nothing."""
    with transaction.atomic():
        segment = segment_of(org=org, segment_id=segment_id)
        if segment.kind != SegmentKind.STATIC:
            raise Conflict("Only a static segment has hand-picked members.", code="segment_not_static")
        if len(add) + len(remove) > MAX_MEMBERS_PER_CALL:
            raise ApiError(f"At most {MAX_MEMBERS_PER_CALL} contacts a call.", code="too_many")
        found = set(Contact.objects.for_org(org).filter(pk__in=add).values_list("pk", flat=True))
        for index, pk in enumerate(add):
            if pk not in found:
                raise _does_not_exist(f"add.{index}", pk)
        members = [
            SegmentMember(org=org, segment=segment, contact_id=pk, created_by=actor, updated_by=actor)
            for pk in dict.fromkeys(add)
        ]
        SegmentMember.objects.bulk_create(members, ignore_conflicts=True)
        SegmentMember.objects.for_org(org).filter(segment=segment, contact_id__in=remove).delete()
        segment.updated_by = actor
        segment.save(update_fields=["updated_by", "updated_at"])
    return segment
