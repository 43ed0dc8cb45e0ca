"""Writing a campaign's budget lines and spend; telling the owner, once, when a budget is overspent.

Every write locks the campaign first (404 if the caller cannot see it, 403 if they may not change it, 409 if
it is archived), leaves an entry on its timeline, and then checks the budgets: the first time the spend of a
channel, or of the whole campaign, goes over its planned total (more than 100%), a BudgetAlert row is written
(unique per campaign and scope, so it happens once whatever comes after) and the owner is notified
(`budget_exceeded`, emailed after the commit unless they opted out; it is the owner's to know even when they
logged the spend themselves).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from campaigns import budgets, selectors
from campaigns.models import TOTAL_SCOPE, BudgetAlert, BudgetLine, Campaign, SpendEntry
from common.errors import NotFound, field_error
from common.models import Profile
from records import services as records
from tenants.models import Org
from timeline.models import NotificationKind
from timeline.notifications import notify

MAX_AMOUNT = Decimal("1000000000000")


def _campaign_for_write(org: Org, actor: Profile, campaign_id: Any) -> Campaign:
    return records.record_lock_for_write(Campaign, org=org, actor=actor, record_id=campaign_id)


def _text(value: Any) -> Any:
    return value if value is None or isinstance(value, (str, int, bool)) else str(value)


def _check_channel(campaign: Campaign, channel: str) -> None:
    if channel not in campaign.channels:
        offered = ", ".join(campaign.channels) or "none yet: add channels to the campaign first"
        raise field_error(
            "channel",
            "channel_not_in_campaign",
            f"The campaign does not run on {channel}; its channels: {offered}.",
        )


def _check_amount(amount: Decimal) -> None:
    if amount >= MAX_AMOUNT:
        raise field_error("amount", "max_value", f"The amount must be less than {MAX_AMOUNT}.")


def alerts_check(*, org: Org, campaign: Campaign, now: datetime.datetime | None = None) -> list[BudgetAlert]:
    """Write an alert for each budget (channel or total) whose spend went over its planned total for the
    first time, and tell the owner. The campaign is locked by the caller, so two writers cannot both see the
    budget as not yet alerted."""
    summary = selectors.budget_summary(org=org, campaign=campaign, now=now)
    over = {
        scope: figures
        for scope, figures in [*summary.channels.items(), (TOTAL_SCOPE, summary.total)]
        if figures.planned > 0 and figures.spent > figures.planned
    }
    if not over:
        return []
    known = set(BudgetAlert.objects.for_org(org).filter(campaign=campaign).values_list("scope", flat=True))
    fresh = [
        BudgetAlert(org=org, campaign=campaign, scope=scope, planned=figures.planned, spent=figures.spent)
        for scope, figures in over.items()
        if scope not in known
    ]
    if not fresh:
        return []
    BudgetAlert.objects.bulk_create(fresh)
    for alert in fresh:
        records.log_activity(
            campaign, None, "budget_exceeded",
            {"scope": alert.scope, "planned": str(alert.planned), "spent": str(alert.spent)},
        )  # fmt: skip
    if campaign.owner_id is not None:
        what = ", ".join("the whole campaign" if a.scope == TOTAL_SCOPE else a.scope for a in fresh)
        notify(
            org=org, actor=None, recipient_ids=[campaign.owner_id], kind=NotificationKind.BUDGET_EXCEEDED,
            target_type=records.target_type(campaign), target_id=campaign.pk,
            message=f"The campaign {campaign} has spent more than its budget ({what}).",
        )  # fmt: skip
    return fresh


# --- Budget lines ------------------------------------------------------------------------------------------


def budget_line_create(*, org: Org, actor: Profile, campaign_id: Any, data: dict[str, Any]) -> BudgetLine:
    with transaction.atomic():
        campaign = _campaign_for_write(org, actor, campaign_id)
        _check_channel(campaign, data["channel"])
        _check_amount(data["amount"])
        if BudgetLine.objects.for_org(org).filter(campaign=campaign, channel=data["channel"]).exists():
            raise field_error(
                "channel", "unique", "This campaign already has a budget line for this channel; change that one."
            )
        line = BudgetLine(org=org, campaign=campaign, created_by=actor, updated_by=actor, **data)
        line.save()
        records.log_activity(
            campaign, actor, "budget_line_added",
            {"line_id": str(line.pk), "channel": line.channel, "amount": str(line.amount), "period": line.period},
        )  # fmt: skip
        alerts_check(org=org, campaign=campaign)
    return line


def _line_for_write(org: Org, campaign: Campaign, line_id: Any) -> BudgetLine:
    line: BudgetLine | None = (
        BudgetLine.objects.for_org(org).filter(campaign=campaign, pk=line_id).select_for_update().first()
    )
    if line is None:
        raise NotFound()
    return line


def budget_line_update(
    *, org: Org, actor: Profile, campaign_id: Any, line_id: Any, data: dict[str, Any]
) -> BudgetLine:
    """Change a line's amount or period (its channel is what it is: remove it and add another)."""
    with transaction.atomic():
        campaign = _campaign_for_write(org, actor, campaign_id)
        line = _line_for_write(org, campaign, line_id)
        if "amount" in data:
            _check_amount(data["amount"])
        changes = {}
        for name, value in data.items():
            if getattr(line, name) != value:
                changes[name] = [_text(getattr(line, name)), _text(value)]
                setattr(line, name, value)
        if changes:
            line.updated_by = actor
            line.save()
            records.log_activity(
                campaign, actor, "budget_line_changed",
                {"line_id": str(line.pk), "channel": line.channel, "changes": changes},
            )  # fmt: skip
            alerts_check(org=org, campaign=campaign)
    return line


def budget_line_delete(*, org: Org, actor: Profile, campaign_id: Any, line_id: Any) -> None:
    with transaction.atomic():
        campaign = _campaign_for_write(org, actor, campaign_id)
        line = _line_for_write(org, campaign, line_id)
        details = {"line_id": str(line.pk), "channel": line.channel, "amount": str(line.amount),
                   "period": line.period}  # fmt: skip
        line.delete()
        records.log_activity(campaign, actor, "budget_line_removed", details)
        alerts_check(org=org, campaign=campaign)


# --- Spend -------------------------------------------------------------------------------------------------


def _check_spend(org: Org, campaign: Campaign, data: dict[str, Any]) -> None:
    if "channel" in data:
        _check_channel(campaign, data["channel"])
    if "amount" in data:
        _check_amount(data["amount"])
    if "spent_on" in data:
        today = timezone.now().astimezone(budgets.org_zone(org)).date()
        if data["spent_on"] > today:
            raise field_error(
                "spent_on", "in_future", "Spend is logged once it happened: the date is after today."
            )


def spend_create(*, org: Org, actor: Profile, campaign_id: Any, data: dict[str, Any]) -> SpendEntry:
    with transaction.atomic():
        campaign = _campaign_for_write(org, actor, campaign_id)
        _check_spend(org, campaign, data)
        entry = SpendEntry(org=org, campaign=campaign, created_by=actor, updated_by=actor, **data)
        entry.save()
        records.log_activity(
            campaign, actor, "spend_logged",
            {"entry_id": str(entry.pk), "channel": entry.channel, "amount": str(entry.amount),
             "spent_on": entry.spent_on.isoformat()},
        )  # fmt: skip
        alerts_check(org=org, campaign=campaign)
    return entry


def _entry_for_write(org: Org, campaign: Campaign, entry_id: Any) -> SpendEntry:
    entry: SpendEntry | None = (
        SpendEntry.objects.for_org(org).filter(campaign=campaign, pk=entry_id).select_for_update().first()
    )
    if entry is None:
        raise NotFound()
    return entry


def spend_update(*, org: Org, actor: Profile, campaign_id: Any, entry_id: Any, data: dict[str, Any]) -> SpendEntry:
    with transaction.atomic():
        campaign = _campaign_for_write(org, actor, campaign_id)
        entry = _entry_for_write(org, campaign, entry_id)
        _check_spend(org, campaign, {k: v for k, v in data.items() if getattr(entry, k) != v})
        changes = {}
        for name, value in data.items():
            if getattr(entry, name) != value:
                changes[name] = [_text(getattr(entry, name)), _text(value)]
                setattr(entry, name, value)
        if changes:
            entry.updated_by = actor
            entry.save()
            records.log_activity(campaign, actor, "spend_changed", {"entry_id": str(entry.pk), "changes": changes})
            alerts_check(org=org, campaign=campaign)
    return entry


def spend_delete(*, org: Org, actor: Profile, campaign_id: Any, entry_id: Any) -> None:
    with transaction.atomic():
        campaign = _campaign_for_write(org, actor, campaign_id)
        entry = _entry_for_write(org, campaign, entry_id)
        details = {"entry_id": str(entry.pk), "channel": entry.channel, "amount": str(entry.amount),
                   "spent_on": entry.spent_on.isoformat()}  # fmt: skip
        entry.delete()
        records.log_activity(campaign, actor, "spend_removed", details)
