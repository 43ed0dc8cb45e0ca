"""Contacts and companies: email uniqueness per org, and merging duplicates with everything that points at them."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from rest_framework.exceptions import PermissionDenied

from common import registry
from common.errors import ApiError, Conflict, NotFound
from common.models import Profile, RecordModel
from contacts.models import Company, Contact
from records import services as records
from records.visibility import may_write, visible_records
from tenants.models import Org
from timeline.services import timeline_target_move


def _refuse_duplicate(model: type[RecordModel], org: Org, name: str, value: str, exclude_id: Any = None) -> None:
    """A 409 naming the record that already has this value (compared case-insensitively; blank is no value)."""
    if not value:
        return
    existing = model.objects.for_org(org).filter(**{f"{name}__iexact": value}).exclude(pk=exclude_id).first()
    if existing is not None:
        noun = model._meta.verbose_name
        raise Conflict(
            f"A {noun} with this {name} already exists.",
            code=f"duplicate_{model._meta.model_name}",
            fields={
                name: [
                    {
                        "code": "duplicate",
                        "detail": f"Already used by another {noun}.",
                        "existing_id": str(existing.pk),
                    }
                ]
            },
        )


def _refuse_duplicate_email(org: Org, email: str, exclude_id: Any = None) -> None:
    _refuse_duplicate(Contact, org, "email", email, exclude_id)


def _refuse_duplicate_domain(org: Org, domain: str, exclude_id: Any = None) -> None:
    _refuse_duplicate(Company, org, "domain", domain, exclude_id)


def contact_create(*, org: Org, actor: Profile, data: dict[str, Any]) -> Contact:
    with transaction.atomic():
        _refuse_duplicate_email(org, data.get("email", ""))
        return records.record_create(model=Contact, org=org, actor=actor, data=data)


def contacts_create_many(*, org: Org, actor: Profile, datas: list[dict[str, Any]]) -> list[Contact]:
    """Contacts whose emails were checked against the org's and each other's (an import batch); the database's
    case-insensitive uniqueness still refuses a duplicate that slipped in, failing the whole call."""
    return records.records_create_many(model=Contact, org=org, actor=actor, datas=datas)


def contact_change(*, org: Org, actor: Profile, record: Contact, data: dict[str, Any]) -> None:
    """An email stays unique in the org (archived contacts count)."""
    if "email" in data:
        _refuse_duplicate_email(org, data["email"], exclude_id=record.pk)
    records.apply_changes(record, actor, data)


def company_create(*, org: Org, actor: Profile, data: dict[str, Any]) -> Company:
    with transaction.atomic():
        _refuse_duplicate_domain(org, data.get("domain", ""))
        return records.record_create(model=Company, org=org, actor=actor, data=data)


def companies_create_many(*, org: Org, actor: Profile, datas: list[dict[str, Any]]) -> list[Company]:
    """Companies whose domains were checked as `contacts_create_many`'s emails are."""
    return records.records_create_many(model=Company, org=org, actor=actor, datas=datas)


def company_change(*, org: Org, actor: Profile, record: Company, data: dict[str, Any]) -> None:
    """A domain stays unique in the org, whatever its case (archived companies count)."""
    if "domain" in data:
        _refuse_duplicate_domain(org, data["domain"], exclude_id=record.pk)
    records.apply_changes(record, actor, data)


_CONTACT_FILLABLE = (
    "first_name", "last_name", "secondary_email", "phone", "mobile", "title", "company_id", "source", "street",
    "city", "region", "postal_code", "country",
)  # fmt: skip
_COMPANY_FILLABLE = (
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


def _take_unique_value(keep: Any, gone: Any, name: str) -> dict[str, Any]:
    """A value unique per org (a contact's email, a company's domain) fills the kept record's blank; it is
    taken off the merged record first, since the uniqueness counts archived records too."""
    if getattr(keep, name) or not getattr(gone, name):
        return {}
    value = getattr(gone, name)
    setattr(gone, name, "")
    gone.save(update_fields=[name, "updated_at"])
    return {name: value}


def _move_timeline(org: Org, model: type, from_id: Any, to_id: Any) -> None:
    """Activity, comments, attachments and notifications follow the merge."""
    timeline_target_move(org=org, target_type=records.target_type(model), from_id=from_id, to_id=to_id)


def _contacts_move_company(*, org: Org, actor: Profile, gone: RecordModel, kept: RecordModel) -> int:
    return records.references_move(model=Contact, org=org, actor=actor, gone=gone, kept=kept)


def _move_references(org: Org, actor: Profile, gone: RecordModel, kept: RecordModel) -> dict[str, int]:
    """Every other record that can point at a contact or a company, by module (each installed module's
    reference mover re-points all its links to the merged record, archived and closed records too: nothing may
    keep pointing at an archived duplicate). Returns how many records each module moved."""
    movers = registry.reference_movers()
    if isinstance(gone, Company):
        movers = {"contacts": _contacts_move_company, **movers}
    return {name: mover(org=org, actor=actor, gone=gone, kept=kept) for name, mover in movers.items()}


def _merge_id_error(code: str, detail: str) -> ApiError:
    return ApiError(detail, code=code, fields={"merge_id": [{"code": code, "detail": detail}]})


def _lock_pair(model: type[RecordModel], org: Org, actor: Profile, keep_id: Any, merge_id: Any) -> tuple[Any, Any]:
    """Both records, row-locked. The kept one comes from the URL (missing: 404); the merged one from the body,
    so one the actor cannot see, another org's included, is the same `does_not_exist` as a random id."""
    try:
        keep_id = uuid.UUID(str(keep_id))
    except ValueError:
        raise NotFound() from None
    if keep_id == merge_id:
        raise _merge_id_error("invalid", "Choose two different records.")
    # One query in key order: two merges of the same pair in opposite directions cannot deadlock.
    locked = {
        record.pk: record
        for record in visible_records(model.objects.for_org(org), actor)
        .filter(pk__in=[keep_id, merge_id])
        .order_by("pk")
        .select_for_update(of=("self",))
    }
    keep, gone = locked.get(keep_id), locked.get(merge_id)
    if keep is None:
        raise NotFound()
    if gone is None:
        raise _merge_id_error("does_not_exist", f'Invalid pk "{merge_id}" - object does not exist.')
    if not (may_write(actor, keep) and may_write(actor, gone)):
        raise PermissionDenied()
    records.record_preconditions(keep, if_match=None, actor=actor)
    return keep, gone


def _merge(model: type[RecordModel], org: Org, actor: Profile, keep: Any, gone: Any, data: dict[str, Any]) -> None:
    """The steps both merges share, in the caller's transaction: references and timeline move to the kept
    record, it takes the merged values, the other one is archived, and the survivor's timeline says so."""
    moved = _move_references(org, actor, gone, keep)
    _move_timeline(org, model, gone.pk, keep.pk)
    records.apply_changes(keep, actor, data)
    records.record_archive(model=model, org=org, actor=actor, record_id=gone.pk)
    records.log_activity(keep, actor, "merged", {"merged_id": str(gone.pk), "moved": moved})


@transaction.atomic
def contact_merge(*, org: Org, actor: Profile, keep_id: Any, merge_id: uuid.UUID) -> Contact:
    """`merge_id` folds into `keep_id`: every reference moves, both histories stay on the kept contact's
    timeline, and the merged contact is archived (restorable, its email freed when the kept one takes it)."""
    keep, gone = _lock_pair(Contact, org, actor, keep_id, merge_id)
    data = _merge_common(keep, gone, _CONTACT_FILLABLE, actor)
    # Someone who asked not to be contacted under either record still asks it of the merged one.
    data["do_not_contact"] = keep.do_not_contact or gone.do_not_contact
    data.update(_take_unique_value(keep, gone, "email"))
    _merge(Contact, org, actor, keep, gone, data)
    return keep


@transaction.atomic
def company_merge(*, org: Org, actor: Profile, keep_id: Any, merge_id: uuid.UUID) -> Company:
    """`merge_id` folds into `keep_id`: its contacts and every other reference move, both histories stay on the
    kept company's timeline, and the merged company is archived."""
    keep, gone = _lock_pair(Company, org, actor, keep_id, merge_id)
    data = _merge_common(keep, gone, _COMPANY_FILLABLE, actor)
    data.update(_take_unique_value(keep, gone, "domain"))
    _merge(Company, org, actor, keep, gone, data)
    return keep


def reassign_open_records(org: Org, from_profile: Profile, to_profile: Profile) -> int:
    """For member removal: hand the member's contacts and companies (assigned to them, or theirs with nobody
    assigned) to another member."""
    moved = 0
    for model in (Contact, Company):
        for record in model.objects.for_org(org).filter(records.held_by(from_profile), archived_at__isnull=True):
            assignees = records.assignees_handed_over(record.assigned_to, from_profile, to_profile)
            records.apply_changes(record, to_profile, {"assigned_to": assignees})
            moved += 1
    return moved
