"""Writing deals under the stage rules, converting leads into deals, and handing deals over on member removal."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common.codes import CURRENCY_HELP, is_currency
from common.errors import Conflict, field_error
from common.models import OrgMismatch, Profile
from deals.models import CLOSED_KINDS, Deal, Pipeline, Stage, StageKind
from deals.pipeline_services import pipeline_ensure_default
from properties.references import listing_and_space_settle
from records import services as records
from records.fields import active_profiles_of
from tenants.models import Org

MAX_AMOUNT = Decimal(10) ** 12  # what Deal.amount (14 digits, 2 decimals) can hold


# --- Deals -------------------------------------------------------------------------------------------------


def _first_open_stage(org: Org, pipeline: Pipeline) -> Stage:
    stage = (
        Stage.objects.for_org(org)
        .filter(pipeline=pipeline, kind=StageKind.OPEN)
        .select_related("pipeline")
        .order_by("position", "id")
        .first()
    )
    if stage is None:
        raise Conflict(f'The pipeline "{pipeline.name}" has no open stage to start in.', code="no_open_stage")
    return stage


def _same_org(org: Org, *objects: Any) -> None:
    for obj in objects:
        if obj is not None and obj.org_id != org.pk:
            raise OrgMismatch(f"{type(obj).__name__} {obj.pk} is not of org {org.pk}.")


@dataclass
class _Move:
    stage: Stage
    closed_at: Any
    lost_reason: str
    changes: dict[str, list[Any]] = field(default_factory=dict)


def _target_stage(org: Org, deal: Deal | None, data: dict[str, Any]) -> Stage:
    """Where the deal ends up. A stage must belong to the pipeline: the one given with it, else the deal's."""
    pipeline: Pipeline | None = data.pop("pipeline", None)
    stage: Stage | None = data.pop("stage", None)
    _same_org(org, pipeline, stage)
    if stage is not None:
        expected = pipeline.pk if pipeline is not None else (deal.pipeline_id if deal is not None else None)
        if expected is not None and stage.pipeline_id != expected:
            raise field_error(
                "stage", "stage_not_in_pipeline", "This stage belongs to another pipeline than the deal's."
            )
        return stage
    if pipeline is not None:
        if deal is not None and deal.pipeline_id == pipeline.pk:
            return deal.stage
        return _first_open_stage(org, pipeline)
    if deal is not None:
        return deal.stage
    return _first_open_stage(org, pipeline_ensure_default(org=org))


def _plan_move(org: Org, deal: Deal | None, data: dict[str, Any]) -> _Move | None:
    """Validate the stage the deal ends in and what comes with it (closing date, lost reason). None: the deal
    stays where it is. Pops `pipeline`, `stage` and (on a move) `lost_reason` from `data`."""
    target = _target_stage(org, deal, data)
    current = deal.stage if deal is not None else None
    has_reason = "lost_reason" in data
    reason = (data["lost_reason"] or "").strip() if has_reason else (deal.lost_reason if deal is not None else "")
    if target.kind == StageKind.LOST and not reason:
        raise field_error("lost_reason", "required", "Say why the deal was lost: a lost stage needs a reason.")
    if target.kind != StageKind.LOST:
        # Leaving a lost stage clears the reason (the timeline keeps it); a reason for an open or won deal is
        # refused rather than silently dropped.
        if has_reason and reason:
            raise field_error("lost_reason", "not_lost", "Only a deal in a lost stage has a lost reason.")
        reason = ""
    if current is not None and target.pk == current.pk:
        if has_reason:
            data["lost_reason"] = reason
        return None
    data.pop("lost_reason", None)
    if target.kind not in CLOSED_KINDS:
        closed_at = None
    elif deal is not None and current is not None and current.kind == target.kind:
        closed_at = deal.closed_at  # lost -> another lost stage: still lost since then
    else:
        closed_at = timezone.now()
    move = _Move(stage=target, closed_at=closed_at, lost_reason=reason)
    if deal is not None and current is not None:
        move.changes = {"stage": [current.name, target.name], "stage_id": [str(current.pk), str(target.pk)]}
        if deal.pipeline_id != target.pipeline_id:
            move.changes["pipeline_id"] = [str(deal.pipeline_id), str(target.pipeline_id)]
        if deal.closed_at != closed_at:
            move.changes["closed_at"] = [_iso(deal.closed_at), _iso(closed_at)]
        if deal.lost_reason != reason:
            move.changes["lost_reason"] = [deal.lost_reason, reason]
    return move


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _normalise(data: dict[str, Any]) -> None:
    if "currency" in data:
        currency = (data["currency"] or "").strip().upper()
        if not is_currency(currency):
            raise field_error("currency", "invalid", f"Not a known currency. {CURRENCY_HELP}")
        data["currency"] = currency
    if "amount" in data:
        try:
            amount = Decimal(str(data["amount"]))
        except InvalidOperation:
            raise field_error("amount", "invalid", "A valid number is required.") from None
        if not amount.is_finite() or amount < 0:
            raise field_error("amount", "min_value", "The amount cannot be negative.")
        if amount >= MAX_AMOUNT:
            raise field_error("amount", "max_value", f"The amount must be less than {MAX_AMOUNT}.")
        data["amount"] = amount.quantize(Decimal("0.01"))


def deal_create(*, org: Org, actor: Profile, data: dict[str, Any]) -> Deal:
    """A deal in the given stage, else the first open stage of the given pipeline, else of the default
    pipeline (made on first use). The owner defaults to the creator; the currency to the org's."""
    data = dict(data)
    with transaction.atomic():
        _normalise(data)
        listing_and_space_settle(None, None, data)
        data.setdefault("currency", org.currency)
        data.setdefault("owner_id", actor.pk)
        move = _plan_move(org, None, data)
        assert move is not None  # a new deal always "moves" into its first stage
        data.update(stage=move.stage, pipeline_id=move.stage.pipeline_id, closed_at=move.closed_at,
                    lost_reason=move.lost_reason)  # fmt: skip
        records.holder_keeps_a_seat(None, data, "owner_id")
        return records.record_create(model=Deal, org=org, actor=actor, data=data)


def deal_change(*, org: Org, actor: Profile, record: Deal, data: dict[str, Any]) -> None:
    """The deal rules on a locked deal (a PATCH, a move, or one deal of a bulk): field changes and a stage move
    in one save. A move is checked (same pipeline, a reason for a loss), stamps or clears `closed_at`, and the
    write is one `stage_changed` entry holding the move (old -> new) and every other field it changed."""
    deal, data = record, dict(data)
    _normalise(data)
    if "listing" in data or "space" in data:
        listing_and_space_settle(deal.listing, deal.space, data)
    move = _plan_move(org, deal, data)
    records.holder_keeps_a_seat(deal, data, "owner_id")
    if move is None:
        records.apply_changes(deal, actor, data)
        return
    deal.stage, deal.pipeline_id = move.stage, move.stage.pipeline_id
    deal.closed_at, deal.lost_reason = move.closed_at, move.lost_reason
    records.apply_changes(deal, actor, data, applied=move.changes, verb="stage_changed")


def deal_update(
    *, org: Org, actor: Profile, deal_id: Any, data: dict[str, Any], if_match: str | None = None
) -> Deal:
    return records.record_update(
        model=Deal, org=org, actor=actor, record_id=deal_id, data=data, if_match=if_match, change=deal_change
    )


def deal_move(
    *,
    org: Org,
    actor: Profile,
    deal_id: Any,
    stage: Stage,
    lost_reason: str | None = None,
    if_match: str | None = None,
) -> Deal:
    """Move a deal to another stage of its pipeline (the kanban drag): the same rules as a PATCH of `stage`."""
    data: dict[str, Any] = {"stage": stage}
    if lost_reason is not None:
        data["lost_reason"] = lost_reason
    return deal_update(org=org, actor=actor, deal_id=deal_id, data=data, if_match=if_match)


def deal_create_from_lead(
    *,
    org: Org,
    actor: Profile,
    lead: Any,
    contact: Any,
    company: Any,
    name: str,
    amount: Decimal | int | str | None,
    currency: str | None,
) -> Deal:
    """For lead conversion: a deal in the default pipeline's first open stage, linked to the lead's new (or
    matched) contact and company and to the lead's listing, owned by the converting member and assigned to the
    lead's assignees.

    Runs inside the caller's transaction (an error here undoes the whole conversion). A lead converts once:
    a second call for the same lead is a 409 naming the existing deal."""
    with transaction.atomic():
        _same_org(org, contact, company)
        if getattr(lead, "org_id", org.pk) != org.pk:
            raise OrgMismatch(f"Lead {lead.pk} is not of org {org.pk}.")
        existing = Deal.objects.for_org(org).filter(source_lead_id=lead.pk).first()
        if existing is not None:
            raise Conflict(
                "This lead was already converted into a deal.",
                code="lead_already_converted",
                fields={
                    "lead": [
                        {
                            "code": "already_converted",
                            "detail": "Already converted.",
                            "existing_id": str(existing.pk),
                        }
                    ]
                },
            )
        lead_assignees = list(getattr(lead, "assigned_to", None) or [])
        still_members = set(active_profiles_of(org).filter(pk__in=lead_assignees).values_list("pk", flat=True))
        data: dict[str, Any] = {
            "name": (name or "").strip() or str(lead),
            "amount": amount if amount is not None else Decimal(0),
            "contact": contact,
            "company": company,
            "source_lead_id": lead.pk,
            "assigned_to": [pk for pk in lead_assignees if pk in still_members],
        }
        # An inquiry's lead names the listing it came from; the deal is about that listing.
        if getattr(lead, "listing_id", None) is not None:
            data["listing"] = lead.listing
        if currency:
            data["currency"] = currency
        return deal_create(org=org, actor=actor, data=data)


# --- Member removal ----------------------------------------------------------------------------------------


def reassign_open_deals(org: Org, from_profile: Profile, to_profile: Profile) -> int:
    """For member removal: open deals the member owns or is assigned to go to `to_profile`. Won and lost deals
    keep their owner, so sales history and commission reports still say who closed them."""
    moved = 0
    deals = (
        Deal.objects.for_org(org)
        .filter(archived_at__isnull=True, stage__kind=StageKind.OPEN)
        .filter(Q(owner=from_profile) | records.held_by(from_profile))
        .select_for_update(of=("self",))
        .order_by("id")
    )
    for deal in deals:
        data: dict[str, Any] = {}
        if deal.owner_id == from_profile.pk:
            data["owner_id"] = to_profile.pk
        data["assigned_to"] = records.assignees_handed_over(deal.assigned_to, from_profile, to_profile)
        records.holder_keeps_a_seat(deal, data, "owner_id")
        records.apply_changes(deal, to_profile, data)
        moved += 1
    return moved
