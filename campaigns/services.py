"""Campaigns: the status machine, dates, the owner's seat, watchers' notifications, the schedule sweep and
handing campaigns over when a member leaves.

Status transitions (anything else is a 409 `invalid_transition`; the same status is a no-op):
    draft      -> scheduled, cancelled
    scheduled  -> draft, active, cancelled
    active     -> paused, completed, cancelled
    paused     -> active, completed, cancelled
    completed and cancelled are final.
A new campaign starts as draft or scheduled. Scheduled, active and paused campaigns need a start and an end.
The schedule sweep (`campaigns.advance_schedules`, every minute) makes a scheduled campaign active at its start
and an active one completed at its end; a paused campaign waits for a person.

Who hears of what: a status change is a `status_changed` entry on the timeline and a `campaign_status`
notification, a comment or reply a `campaign_comment` one, for the watchers and the owner who can see the
campaign, except whoever did it (and except those the comment mentions: they already get `mentioned`). Each is
emailed after the commit unless the member opted out of that kind.

Who writes: managers and above any campaign; a member those they created or are assigned to (the owner always
is: the owner keeps a seat among the assignees, as a deal's owner does); viewers none.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from campaigns.budget_services import alerts_check
from campaigns.models import Campaign, CampaignStatus
from common.errors import Conflict, field_error
from common.models import Profile
from records import services as records
from records.visibility import sees_everything
from tenants.models import Org
from timeline.models import Comment, NotificationKind
from timeline.notifications import notify

S = CampaignStatus
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SCHEDULED, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.DRAFT, S.ACTIVE, S.CANCELLED}),
    S.ACTIVE: frozenset({S.PAUSED, S.COMPLETED, S.CANCELLED}),
    S.PAUSED: frozenset({S.ACTIVE, S.COMPLETED, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}
CREATE_STATUSES = (S.DRAFT, S.SCHEDULED)
DATED_STATUSES = (S.SCHEDULED, S.ACTIVE, S.PAUSED)
# Finished campaigns keep their owner when a member leaves: the history says who ran them.
FINISHED_STATUSES = (S.COMPLETED, S.CANCELLED)
SWEEP_BATCH = 200


# --- Rules -------------------------------------------------------------------------------------------------


def _refuse(old: str, new: str) -> Conflict:
    allowed = ", ".join(sorted(ALLOWED_TRANSITIONS[old])) or "nothing else (it is final)"
    detail = f"A {old} campaign cannot become {new}; it can become: {allowed}."
    return Conflict(
        detail, code="invalid_transition", fields={"status": [{"code": "invalid_transition", "detail": detail}]}
    )


def _check(record: Campaign | None, data: dict[str, Any]) -> None:
    """The transition table, then the dates the status needs and their order."""

    def current(name: str) -> Any:
        return data[name] if name in data else (getattr(record, name) if record is not None else None)

    old_status = record.status if record is not None else None
    status = current("status") or S.DRAFT
    if old_status is None and status not in CREATE_STATUSES:
        detail = f"A new campaign starts as draft or scheduled, not {status}."
        raise Conflict(
            detail,
            code="invalid_transition",
            fields={"status": [{"code": "invalid_transition", "detail": detail}]},
        )
    if old_status is not None and status != old_status and status not in ALLOWED_TRANSITIONS[old_status]:
        raise _refuse(old_status, status)
    starts_at, ends_at = current("starts_at"), current("ends_at")
    if status in DATED_STATUSES:
        for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
            if value is None:
                raise field_error(name, "required", f"A {status} campaign needs a start and an end.")
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise field_error("ends_at", "before_start", "The end must be after the start.")


def _who(actor: Profile | None) -> str:
    return (actor.user.name or actor.user.email) if actor is not None else "Keystone"


def audience(campaign: Campaign, *, leaving_out: Iterable[Any] = ()) -> list[Any]:
    """The watchers and the owner who can see the campaign (managers and viewers see every campaign, members
    those they created or are assigned to), without `leaving_out`."""
    wanted = list(dict.fromkeys([*campaign.watchers, *([campaign.owner_id] if campaign.owner_id else [])]))
    skipped = set(leaving_out)
    wanted = [pk for pk in wanted if pk not in skipped]
    if not wanted:
        return []
    profiles = Profile.objects.filter(
        org_id=campaign.org_id, pk__in=wanted, is_active=True, removed_at__isnull=True
    )
    return [
        profile.pk
        for profile in profiles
        if sees_everything(profile) or profile.pk == campaign.created_by_id or profile.pk in campaign.assigned_to
    ]


def _notify_status(org: Org, campaign: Campaign, actor: Profile | None, old: str, new: str) -> None:
    recipients = audience(campaign)
    if not recipients:
        return
    notify(
        org=org, actor=actor, recipient_ids=recipients, kind=NotificationKind.CAMPAIGN_STATUS,
        target_type=records.target_type(campaign), target_id=campaign.pk,
        message=f"{_who(actor)} moved the campaign {campaign} from {old} to {new}.",
    )  # fmt: skip


# --- Campaigns ---------------------------------------------------------------------------------------------


def campaign_create(*, org: Org, actor: Profile, data: dict[str, Any]) -> Campaign:
    """A campaign in the org's currency; the owner defaults to the creator and keeps a seat among the
    assignees."""
    data = dict(data)
    with transaction.atomic():
        data["currency"] = org.currency
        data.setdefault("owner_id", actor.pk)
        data.setdefault("status", S.DRAFT)
        _check(None, data)
        records.holder_keeps_a_seat(None, data, "owner_id")
        return records.record_create(model=Campaign, org=org, actor=actor, data=data)


def campaign_change(*, org: Org, actor: Profile | None, record: Campaign, data: dict[str, Any]) -> None:
    """The campaign rules on a locked campaign (a PATCH, a PUT, one campaign of a bulk, or the schedule sweep
    with no actor): the status machine and dates, the owner's seat, then the change; a status move notifies."""
    data = dict(data)
    data.pop("currency", None)
    _check(record, data)
    records.holder_keeps_a_seat(record, data, "owner_id")
    old_status = record.status
    changes = records.apply_changes(record, actor, data)
    if record.status != old_status:
        _notify_status(org, record, actor, old_status, record.status)
    if "starts_at" in changes or "ends_at" in changes:
        alerts_check(org=org, campaign=record)  # shorter dates plan less: a budget may now be overspent


def campaign_update(
    *, org: Org, actor: Profile, campaign_id: Any, data: dict[str, Any], if_match: str | None = None
) -> Campaign:
    return records.record_update(
        model=Campaign, org=org, actor=actor, record_id=campaign_id, data=data, if_match=if_match,
        change=campaign_change,
    )  # fmt: skip


def campaign_comment_heard(*, org: Org, actor: Profile, target: Any, comment: Comment) -> None:
    """The registry's comment listener: a new comment or reply on a campaign tells its watchers and owner."""
    if not isinstance(target, Campaign):
        return
    recipients = audience(target, leaving_out=comment.mentions)
    if not recipients:
        return
    said = "replied on" if comment.parent_id else "commented on"
    excerpt = comment.body if len(comment.body) <= 140 else comment.body[:139] + "…"
    notify(
        org=org, actor=actor, recipient_ids=recipients, kind=NotificationKind.CAMPAIGN_COMMENT,
        target_type=records.target_type(target), target_id=target.pk,
        message=f"{_who(actor)} {said} the campaign {target}: {excerpt}", comment_id=comment.pk,
    )  # fmt: skip


# --- The schedule sweep ------------------------------------------------------------------------------------


def _sweep_batch(org: Org, now: datetime.datetime) -> int:
    with transaction.atomic():
        due = list(
            Campaign.objects.for_org(org)
            .filter(archived_at__isnull=True)
            .filter(Q(status=S.SCHEDULED, starts_at__lte=now) | Q(status=S.ACTIVE, ends_at__lte=now))
            .select_for_update(skip_locked=True)
            .order_by("starts_at", "id")[:SWEEP_BATCH]
        )
        for campaign in due:
            if campaign.status == S.SCHEDULED:
                campaign_change(org=org, actor=None, record=campaign, data={"status": S.ACTIVE})
            if campaign.status == S.ACTIVE and campaign.ends_at is not None and campaign.ends_at <= now:
                campaign_change(org=org, actor=None, record=campaign, data={"status": S.COMPLETED})
    return len(due)


def campaigns_advance_schedules(*, org: Org, now: datetime.datetime | None = None) -> int:
    """Start the org's scheduled campaigns whose start has come and complete the active ones whose end has;
    returns how many moved. Idempotent: a second run finds nothing to move, and rows another run holds are
    skipped (it moves them)."""
    now = now or timezone.now()
    moved = 0
    while True:
        batch = _sweep_batch(org, now)
        moved += batch
        if batch < SWEEP_BATCH:
            return moved


# --- Member removal ----------------------------------------------------------------------------------------


def reassign_campaigns(org: Org, from_profile: Profile, to_profile: Profile) -> int:
    """For member removal: the member's live campaigns (as owner or assignee) go to `to_profile`, owner and
    seat, and the member stops watching them. Completed and cancelled campaigns keep their owner."""
    moved = 0
    with transaction.atomic():
        campaigns = (
            Campaign.objects.for_org(org)
            .filter(archived_at__isnull=True)
            .exclude(status__in=FINISHED_STATUSES)
            .filter(
                Q(owner=from_profile)
                | Q(assigned_to__contains=[from_profile.pk])
                | Q(watchers__contains=[from_profile.pk])
            )
            .select_for_update(of=("self",))
            .order_by("id")
        )
        for campaign in campaigns:
            data: dict[str, Any] = {}
            if campaign.owner_id == from_profile.pk:
                data["owner_id"] = to_profile.pk
            if from_profile.pk in campaign.assigned_to:
                assignees = [to_profile.pk if pk == from_profile.pk else pk for pk in campaign.assigned_to]
                data["assigned_to"] = list(dict.fromkeys(assignees))
            if from_profile.pk in campaign.watchers:
                data["watchers"] = [pk for pk in campaign.watchers if pk != from_profile.pk]
            records.holder_keeps_a_seat(campaign, data, "owner_id")
            records.apply_changes(campaign, to_profile, data)
            moved += 1
    return moved
