"""Writes every business record shares: create, update with optimistic concurrency, archive, restore, purge
and bulk changes. Each is one transaction and leaves activity entries on the record's timeline.

The write boundary is one step, `record_lock_for_write`: the record, row-locked, or one of four answers, each
defined once here and checked in this order: not found (404: missing, another org's or not visible), not the
actor's to change (403: where every member reads a record type), a stale If-Match (412, before anything about
the body, as HTTP evaluates preconditions first), archived (409).
A module's update is that step, then its own rules, then `apply_changes`; it hands the kernel the last two as a
`RecordChange`, and the kernel runs the same function for a single PATCH and for every record of a bulk.

The timeline rule: one write, one entry. A write that moves a record's status (a deal's stage) is one
`status_changed` (`stage_changed`) entry holding every field the write changed, stamps included; any other
write is one `updated` entry. Assignment is the exception: new assignees are an `assigned` entry of their own,
since that is what notifies people.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from django.db import transaction
from django.db.models import Field, Model, Q
from django.utils import timezone
from rest_framework import status

from common.context import active_org
from common.errors import ApiError, Conflict, NotFound
from common.models import BaseModel, Profile, RecordModel
from records.ports import ActivityDraft, NoticeDraft, journal
from records.visibility import may_write, visible_records

R = TypeVar("R", bound=RecordModel)
R_contra = TypeVar("R_contra", bound=RecordModel, contravariant=True)

BULK_MAX_IDS = 500
_AUDIT_SKIP = {"updated_at", "updated_by", "created_at", "created_by", "org", "id"}


def target_type(model: type[Model] | Model) -> str:
    return model._meta.label_lower


def record_etag(record: BaseModel) -> str:
    digest = hashlib.sha256(f"{record.pk}:{record.updated_at.isoformat()}".encode()).hexdigest()[:20]
    return f'"{digest}"'


def log_activity(
    record: RecordModel, actor: Profile | None, verb: str, changes: dict[str, Any] | None = None
) -> None:
    active = active_org()
    journal().activity(
        # The active org when it is the record's: `record.org` would read the org row again on every write.
        org=active if active is not None and active.pk == record.org_id else record.org,
        actor=actor,
        verb=verb,
        target_type=target_type(record),
        target_id=record.pk,
        changes=changes,
    )


def notify_new_assignees(record: RecordModel, actor: Profile | None, before: list[Any]) -> None:
    added = [pk for pk in record.assigned_to if pk not in set(before)]
    if not added:
        return
    journal().notify(
        org=record.org,
        actor=actor,
        recipient_ids=added,
        kind=record.assignment_notification_kind,
        target_type=target_type(record),
        target_id=record.pk,
        message=f"{_who(actor)} assigned you the {record._meta.verbose_name} {record}",
    )


def _who(actor: Profile | None) -> str:
    return (actor.user.name or actor.user.email) if actor is not None else "Keystone"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Model):
        return str(value.pk)
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        # Custom values are objects: kept as JSON, not as the text of a Python dict.
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _field_value(record: Model, name: str) -> Any:
    field_ = record._meta.get_field(name)
    if isinstance(field_, Field) and field_.is_relation:
        return getattr(record, field_.attname)
    return getattr(record, name)


def held_by(member: Profile) -> Q:
    """The records a member holds: assigned to them, or made by them with nobody assigned. Member removal hands
    both over; an unassigned record left with a removed creator would be seen by no member at all."""
    return Q(assigned_to__contains=[member.pk]) | Q(assigned_to__len=0, created_by=member)


def assignees_handed_over(assigned_to: list[Any], from_profile: Profile, to_profile: Profile) -> list[Any]:
    """The assignees with `from_profile` replaced by `to_profile` (who alone takes an unassigned record), each
    once, in order."""
    handed = [to_profile.pk if pk == from_profile.pk else pk for pk in assigned_to] or [to_profile.pk]
    return list(dict.fromkeys(handed))


def holder_keeps_a_seat(record: RecordModel | None, data: dict[str, Any], holder: str) -> None:
    """A member who holds a record (a deal's owner, a listing's agent; `holder` names the id column) is always
    among its assignees: that is what lets a member see and change what they hold. Handing the record to a new
    holder hands over the old holder's seat, unless the write says who is assigned. Adjusts `data`."""
    old = getattr(record, holder) if record is not None else None
    new = data.get(holder, old)
    if new is None:
        return
    if "assigned_to" in data:
        assignees = list(data["assigned_to"])
    else:
        current = list(record.assigned_to) if record is not None else []
        assignees = [new if pk == old else pk for pk in current] if new != old else current
    if new not in assignees:
        assignees.insert(0, new)
    assignees = list(dict.fromkeys(assignees))
    if record is None or "assigned_to" in data or assignees != list(record.assigned_to):
        data["assigned_to"] = assignees


def record_create(*, model: type[R], org: Any, actor: Profile, data: dict[str, Any]) -> R:
    # No savepoint inside a module's own transaction (two statements less per create): nothing here recovers
    # from an error, so a failure rolls the caller's transaction back as it would anyway.
    with transaction.atomic(savepoint=False):
        record = model(org=org, created_by=actor, updated_by=actor, **data)
        record.save()
        # Its entries in one insert, and the activity listeners told once (an owner makes it two entries).
        label = target_type(record)
        drafts = [ActivityDraft("created", label, record.pk)]
        if record.assigned_to:
            drafts.append(
                ActivityDraft("assigned", label, record.pk, {"assigned_to": [[], _jsonable(record.assigned_to)]})
            )
        journal().activities(org=org, actor=actor, drafts=drafts)
        if record.assigned_to:
            notify_new_assignees(record, actor, [])
    return record


def records_create_many(*, model: type[R], org: Any, actor: Profile, datas: list[dict[str, Any]]) -> list[R]:
    """What `record_create` does for each of `datas`, in a few statements: the rows, their "created" (and
    "assigned") entries and the assignees' notifications. For callers that have already checked what the
    module's create would check (an import batch: natural keys, relations, custom values); the database's own
    constraints still hold, and a violation fails the whole call."""
    with transaction.atomic():
        made = model.objects.bulk_create(
            [model(org=org, created_by=actor, updated_by=actor, **data) for data in datas]
        )
        label = target_type(model)
        drafts = [ActivityDraft("created", label, record.pk) for record in made]
        drafts += [
            ActivityDraft("assigned", label, record.pk, {"assigned_to": [[], _jsonable(record.assigned_to)]})
            for record in made
            if record.assigned_to
        ]
        journal().activities(org=org, actor=actor, drafts=drafts)
        who = _who(actor)
        notices = [
            NoticeDraft(tuple(record.assigned_to), record.assignment_notification_kind, label, record.pk,
                        f"{who} assigned you the {record._meta.verbose_name} {record}")
            for record in made
            if record.assigned_to
        ]  # fmt: skip
        journal().notify_many(org=org, actor=actor, drafts=notices)
    return made


def lock_record(model: type[R], *, org: Any, actor: Profile, record_id: Any) -> R:
    """The record, row-locked, if this actor may see it; else the same 404 as for a missing one."""
    queryset = visible_records(model.objects.for_org(org), actor).select_for_update(of=("self",))
    record: R | None = queryset.filter(pk=record_id).first()
    if record is None:
        raise NotFound()
    return record


class PreconditionFailed(ApiError):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"
    default_detail = "The record changed since you loaded it. Reload it and apply your change again."


def if_match_check(instance: BaseModel, if_match: str | None, *, detail: str | None = None) -> None:
    """A stale `If-Match` (not this version's ETag, nor `*`) is a 412; no header asks for nothing."""
    if if_match is not None and if_match.strip() not in (record_etag(instance), "*"):
        raise PreconditionFailed(detail)


class NotYoursToChange(ApiError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "permission_denied"
    default_detail = "You may not change this record: only its creator, its assignees and managers may."


def record_write_check(actor: Profile, record: RecordModel) -> None:
    """Seeing a record is not leave to change it where every member reads every record of a type
    (`members_read_all`): a record the actor sees but may not change is a 403."""
    if not may_write(actor, record):
        raise NotYoursToChange()


def record_preconditions(record: RecordModel, if_match: str | None, *, actor: Profile) -> None:
    """What a write to this record answers before anything about its body: not the actor's to change (403),
    a stale If-Match (412), then an archived record (409). Views call it on the record they loaded; the write
    calls it again under the lock."""
    record_write_check(actor, record)
    if_match_check(record, if_match)
    if record.archived_at is not None:
        raise Conflict("Archived records cannot be changed. Restore it first.", code="archived")


def record_lock_for_write(
    model: type[R], *, org: Any, actor: Profile, record_id: Any, if_match: str | None = None
) -> R:
    """The kernel's write boundary: the record, row-locked, or its 404, 403, 412 or 409."""
    record = lock_record(model, org=org, actor=actor, record_id=record_id)
    record_preconditions(record, if_match, actor=actor)
    return record


def _lock_to_change(model: type[R], *, org: Any, actor: Profile, record_id: Any) -> R:
    record = lock_record(model, org=org, actor=actor, record_id=record_id)
    record_write_check(actor, record)
    return record


def apply_changes(
    record: RecordModel,
    actor: Profile | None,
    data: dict[str, Any],
    *,
    applied: dict[str, list[Any]] | None = None,
    verb: str | None = None,
) -> dict[str, list[Any]]:
    """Set the fields, save, and log what really changed (old -> new) as one timeline entry. `applied` holds
    changes the caller already made on the record (a deal's stage move, with its `verb`), logged in the same
    entry. Returns the changes."""
    changes: dict[str, list[Any]] = dict(applied or {})
    assigned_before = list(record.assigned_to)
    for name, value in data.items():
        old = _field_value(record, name)
        setattr(record, name, value)
        new = _field_value(record, name)
        if old != new and name not in _AUDIT_SKIP:
            changes[name] = [_jsonable(old), _jsonable(new)]
    if not changes:
        return changes
    record.updated_by = actor
    record.save()
    assignment = changes.pop("assigned_to", None)
    if changes:
        log_activity(record, actor, verb or ("status_changed" if "status" in changes else "updated"), changes)
    if assignment:
        log_activity(record, actor, "assigned", {"assigned_to": assignment})
        notify_new_assignees(record, actor, assigned_before)
        changes["assigned_to"] = assignment
    return changes


class RecordChange(Protocol[R_contra]):
    """A module's rules for changing one record, then the change itself (usually `apply_changes`): called on the
    locked, live record inside the write's transaction, for a PATCH and for each record of a bulk alike."""

    def __call__(self, *, org: Any, actor: Profile, record: R_contra, data: dict[str, Any]) -> object: ...


def plain_change(*, org: Any, actor: Profile, record: RecordModel, data: dict[str, Any]) -> None:
    """The change of a record type with no rules of its own."""
    apply_changes(record, actor, data)


def record_update(
    *,
    model: type[R],
    org: Any,
    actor: Profile,
    record_id: Any,
    data: dict[str, Any],
    if_match: str | None = None,
    change: RecordChange[R] = plain_change,
) -> R:
    with transaction.atomic():
        record = record_lock_for_write(model, org=org, actor=actor, record_id=record_id, if_match=if_match)
        change(org=org, actor=actor, record=record, data=data)
    return record


def record_archive(*, model: type[R], org: Any, actor: Profile, record_id: Any) -> R:
    with transaction.atomic():
        record = _lock_to_change(model, org=org, actor=actor, record_id=record_id)
        if record.archived_at is None:
            _archive(record, actor)
    return record


def _archive(record: RecordModel, actor: Profile) -> None:
    record.archived_at, record.archived_by, record.updated_by = timezone.now(), actor, actor
    record.save(update_fields=["archived_at", "archived_by", "updated_by", "updated_at"])
    log_activity(record, actor, "archived")


def record_restore(*, model: type[R], org: Any, actor: Profile, record_id: Any) -> R:
    with transaction.atomic():
        record = _lock_to_change(model, org=org, actor=actor, record_id=record_id)
        if record.archived_at is not None:
            record.archived_at, record.archived_by, record.updated_by = None, None, actor
            record.save(update_fields=["archived_at", "archived_by", "updated_by", "updated_at"])
            log_activity(record, actor, "restored")
    return record


def record_purge(*, model: type[R], org: Any, actor: Profile, record_id: Any) -> None:
    """Hard delete, admins only, and only once archived (a two-step delete nobody does by accident)."""
    with transaction.atomic():
        record = _lock_to_change(model, org=org, actor=actor, record_id=record_id)
        if record.archived_at is None:
            raise ApiError("Archive the record before purging it.", code="not_archived", status_code=409)
        # The `deleted` entry tells the activity listeners (outbound webhooks) inside this transaction; it goes
        # with the rest of the record's timeline just below.
        log_activity(record, actor, "deleted")
        # Comments, attachments (files too, after commit), notifications and activity go with the record.
        journal().purge(org=org, target_type=target_type(model), target_id=record.pk)
        record.delete()


@dataclass
class BulkResult:
    results: list[dict[str, Any]] = field(default_factory=list)

    def add(self, record_id: Any, outcome: str, detail: str = "", code: str = "") -> None:
        row = {"id": str(record_id), "status": outcome}
        if code:
            row["code"] = code
        if detail:
            row["detail"] = detail
        self.results.append(row)


def _record_share(record: RecordModel, changes: dict[str, Any]) -> dict[str, Any]:
    """One record's share of a bulk change: `tags_add`/`tags_remove` become that record's new tag list."""
    data = dict(changes)
    if "tags_add" in data or "tags_remove" in data:
        tags = (set(record.tags) | set(data.pop("tags_add", []))) - set(data.pop("tags_remove", []))
        data["tags"] = sorted(tags)
    return data


def records_bulk(
    *,
    model: type[R],
    org: Any,
    actor: Profile,
    ids: Iterable[Any],
    action: str,
    changes: dict[str, Any],
    change: RecordChange[R] = plain_change,
) -> BulkResult:
    """The same per-record rule as single writes: ids the actor cannot see (other orgs' included) are
    `not_found`, ones it may see but not change are `forbidden`, archived ones are `archived`. One transaction;
    the batch is locked once.

    Each record is changed by the module's own `change`, in a savepoint: one that breaks a module rule is
    reported `invalid` with the rule's code and keeps every field, and the others are still changed."""
    ids = list(dict.fromkeys(ids))
    if len(ids) > BULK_MAX_IDS:
        raise ApiError(f"At most {BULK_MAX_IDS} ids at once.", code="too_many_ids")
    result = BulkResult()
    with transaction.atomic():
        found: dict[Any, R] = {
            record.pk: record
            for record in visible_records(model.objects.for_org(org), actor)
            .select_for_update(of=("self",))
            .filter(pk__in=ids)
        }
        for record_id in ids:
            record = found.get(record_id)
            if record is None:
                result.add(record_id, "not_found")
            elif not may_write(actor, record):
                result.add(record_id, "forbidden")
            elif action == "archive":
                if record.archived_at is None:
                    _archive(record, actor)
                result.add(record_id, "archived")
            elif record.archived_at is not None:
                result.add(record_id, "archived", "Archived records cannot be changed.")
            elif change is plain_change:
                # No rules to break, so no savepoint to roll back to (two queries a record saved).
                plain_change(org=org, actor=actor, record=record, data=_record_share(record, changes))
                result.add(record_id, "updated")
            else:
                try:
                    with transaction.atomic():
                        change(org=org, actor=actor, record=record, data=_record_share(record, changes))
                except ApiError as error:
                    result.add(record_id, "invalid", str(error.detail), code=str(error.code))
                else:
                    result.add(record_id, "updated")
    return result


def references_move(
    *, model: type[RecordModel], org: Any, actor: Profile, gone: RecordModel, kept: RecordModel
) -> int:
    """For merges: every `model` record whose foreign key points at `gone` (archived ones too) points at `kept`
    instead, each change on that record's timeline. Returns how many records moved."""
    links = [
        field for field in model._meta.concrete_fields if field.is_relation and field.related_model is type(gone)
    ]
    moved = 0
    with transaction.atomic():
        for link in links:
            for record in model.objects.for_org(org).filter(**{link.attname: gone.pk}).select_for_update():
                apply_changes(record, actor, {link.name: kept})
                moved += 1
    return moved
