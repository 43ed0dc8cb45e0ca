"""Contacts and companies: email uniqueness per org, and merging duplicates."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from common import records
from common.errors import ApiError, Conflict
from common.models import Profile
from contacts.models import Company, Contact
from tenants.models import Org


def _refuse_duplicate_email(org: Org, email: str, exclude_id: Any = None) -> None:
    if not email:
        return
    existing = Contact.objects.for_org(org).filter(email__iexact=email).exclude(pk=exclude_id).first()
    if existing is not None:
        raise Conflict(
            "A contact with this email already exists.",
            code="duplicate_contact",
            fields={
                "email": [
                    {
                        "code": "duplicate",
                        "detail": "Already used by another contact.",
                        "existing_id": str(existing.pk),
                    }
                ]
            },
        )


def contact_create(*, org: Org, actor: Profile, data: dict[str, Any]) -> Contact:
    with transaction.atomic():
        _refuse_duplicate_email(org, data.get("email", ""))
        return records.record_create(model=Contact, org=org, actor=actor, data=data)  # type: ignore[return-value]


def contact_update(
    *, org: Org, actor: Profile, record_id: Any, data: dict[str, Any], if_match: str | None
) -> Contact:
    with transaction.atomic():
        if "email" in data:
            _refuse_duplicate_email(org, data["email"], exclude_id=record_id)
        return records.record_update(  # type: ignore[return-value]
            model=Contact, org=org, actor=actor, record_id=record_id, data=data, if_match=if_match
        )


_CONTACT_FILLABLE = (
    "first_name", "last_name", "secondary_email", "phone", "mobile", "title", "company_id", "source", "street",
    "city", "region", "postal_code", "country",
)  # fmt: skip
_COMPANY_FILLABLE = (
    "domain",
    "industry",
    "size",
    "phone",
    "website",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
)


def _merge_common(keep: Any, gone: Any, fillable: tuple[str, ...], actor: Profile) -> dict[str, Any]:
    """Fill the kept record's blanks from the other, union tags and assignees, and custom fields."""
    data: dict[str, Any] = {}
    for name in fillable:
        if not getattr(keep, name) and getattr(gone, name):
            data[name] = getattr(gone, name)
    data["tags"] = sorted(set(keep.tags) | set(gone.tags))
    data["assigned_to"] = list(dict.fromkeys([*keep.assigned_to, *gone.assigned_to]))
    data["custom_fields"] = {**gone.custom_fields, **keep.custom_fields}
    return data


def _move_timeline(org: Org, model: type, from_id: Any, to_id: Any) -> None:
    """Activity, comments, attachments and notifications follow the merge."""
    from timeline.services import timeline_target_move

    timeline_target_move(org=org, target_type=records.target_type(model), from_id=from_id, to_id=to_id)


def _lock_pair(model: type, org: Org, actor: Profile, keep_id: Any, merge_id: Any) -> tuple[Any, Any]:
    if str(keep_id) == str(merge_id):
        raise ApiError("Choose two different records.", code="invalid")
    keep = records.lock_record(model, org=org, actor=actor, record_id=keep_id)
    gone = records.lock_record(model, org=org, actor=actor, record_id=merge_id)
    return keep, gone


@transaction.atomic
def contact_merge(*, org: Org, actor: Profile, keep_id: Any, merge_id: Any) -> Contact:
    """`merge_id` folds into `keep_id`: references move, both histories stay on the kept contact's timeline,
    and the merged contact is archived (restorable, its email freed)."""
    keep, gone = _lock_pair(Contact, org, actor, keep_id, merge_id)
    data = _merge_common(keep, gone, _CONTACT_FILLABLE, actor)
    if not keep.email and gone.email:
        email = gone.email
        gone.email = ""
        gone.save(update_fields=["email", "updated_at"])
        data["email"] = email
    _move_timeline(org, Contact, gone.pk, keep.pk)
    records.apply_changes(keep, actor, data)
    records.record_archive(model=Contact, org=org, actor=actor, record_id=gone.pk)
    records.log_activity(keep, actor, "merged", {"merged_id": str(gone.pk)})
    return keep


@transaction.atomic
def company_merge(*, org: Org, actor: Profile, keep_id: Any, merge_id: Any) -> Company:
    keep, gone = _lock_pair(Company, org, actor, keep_id, merge_id)
    data = _merge_common(keep, gone, _COMPANY_FILLABLE, actor)
    moved = Contact.objects.for_org(org).filter(company=gone).update(company=keep)
    _move_timeline(org, Company, gone.pk, keep.pk)
    records.apply_changes(keep, actor, data)
    records.record_archive(model=Company, org=org, actor=actor, record_id=gone.pk)
    records.log_activity(keep, actor, "merged", {"merged_id": str(gone.pk), "contacts_moved": moved})
    return keep


def reassign_open_records(org: Org, from_profile: Profile, to_profile: Profile) -> int:
    """For member removal: hand the member's assignments on contacts and companies to another member."""
    moved = 0
    for model in (Contact, Company):
        for record in model.objects.for_org(org).filter(
            archived_at__isnull=True, assigned_to__contains=[from_profile.pk]
        ):
            assignees = [to_profile.pk if pk == from_profile.pk else pk for pk in record.assigned_to]
            records.apply_changes(record, to_profile, {"assigned_to": list(dict.fromkeys(assignees))})
            moved += 1
    return moved
