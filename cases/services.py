"""Cases: the status machine and the service-level timestamps it drives.

Transitions (anything else is a 409 `invalid_transition`; the same status is a no-op):
    new      -> open, pending, resolved, closed
    open     -> pending, resolved, closed
    pending  -> open, resolved, closed
    resolved -> open (reopen), closed
    closed   -> open (reopen)
A case never goes back to `new`: once somebody has worked on it, it has been responded to.

Timestamps:
    first_response_at  the first time the case leaves `new` (creating it in another status counts); never
                       cleared, so reopening does not hide a slow first response.
    resolved_at        set on entering `resolved`; kept when a resolved case is closed; cleared on reopen.
                       A case closed without being resolved (a duplicate, spam) has none.
    closed_at          set on entering `closed`; cleared on reopen.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from cases.models import FINISHED_STATUSES, Case, CaseStatus
from common.errors import Conflict
from common.models import Profile
from records import services as records
from tenants.models import Org

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    CaseStatus.NEW: frozenset({CaseStatus.OPEN, CaseStatus.PENDING, CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.OPEN: frozenset({CaseStatus.PENDING, CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.PENDING: frozenset({CaseStatus.OPEN, CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.RESOLVED: frozenset({CaseStatus.OPEN, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset({CaseStatus.OPEN}),
}


def _refuse_transition(old: str, new: str) -> Conflict:
    allowed = ", ".join(sorted(ALLOWED_TRANSITIONS[old]))
    detail = f"A {old} case cannot become {new}; it can become: {allowed}."
    return Conflict(
        detail, code="invalid_transition", fields={"status": [{"code": "invalid_transition", "detail": detail}]}
    )


def case_transition_stamps(*, case: Case | None, new_status: str, now: datetime.datetime) -> dict[str, Any]:
    """The timestamp fields a move to `new_status` sets or clears (`case` is None on create)."""
    old_status = case.status if case is not None else None
    if old_status == new_status:
        return {}
    if old_status is not None and new_status not in ALLOWED_TRANSITIONS[old_status]:
        raise _refuse_transition(old_status, new_status)
    stamps: dict[str, Any] = {}
    if new_status != CaseStatus.NEW and (case is None or case.first_response_at is None):
        stamps["first_response_at"] = now
    if new_status == CaseStatus.RESOLVED:
        stamps["resolved_at"] = now
    elif new_status == CaseStatus.CLOSED:
        stamps["closed_at"] = now
    elif old_status in FINISHED_STATUSES:  # reopened
        stamps["resolved_at"] = None
        stamps["closed_at"] = None
    return stamps


def case_create(*, org: Org, actor: Profile, data: dict[str, Any]) -> Case:
    with transaction.atomic():
        status = data.get("status", CaseStatus.NEW)
        data = {**data, **case_transition_stamps(case=None, new_status=status, now=timezone.now())}
        return records.record_create(model=Case, org=org, actor=actor, data=data)


def case_change(*, org: Org, actor: Profile, record: Case, data: dict[str, Any]) -> None:
    """The case rules on a locked case (a PATCH or one case of a bulk): a status move follows the transition
    table and stamps first_response_at, resolved_at and closed_at."""
    if "status" in data:
        data = {**data, **case_transition_stamps(case=record, new_status=data["status"], now=timezone.now())}
    records.apply_changes(record, actor, data)


def case_update(
    *, org: Org, actor: Profile, record_id: Any, data: dict[str, Any], if_match: str | None = None
) -> Case:
    return records.record_update(
        model=Case, org=org, actor=actor, record_id=record_id, data=data, if_match=if_match, change=case_change
    )


def reassign_open_records(org: Org, from_profile: Profile, to_profile: Profile) -> int:
    """For member removal: hand the member's unfinished cases (assigned to them, or theirs with nobody assigned)
    to another member (finished ones keep their history as it was)."""
    moved = 0
    with transaction.atomic():
        open_cases = Case.objects.for_org(org).filter(records.held_by(from_profile), archived_at__isnull=True)
        for case in open_cases.exclude(status__in=FINISHED_STATUSES).select_for_update():
            assignees = records.assignees_handed_over(case.assigned_to, from_profile, to_profile)
            records.apply_changes(case, to_profile, {"assigned_to": assignees})
            moved += 1
    return moved
