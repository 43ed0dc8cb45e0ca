"""Reading campaigns: one campaign as the caller may see it, its budget lines, spend and assets, the budget
summary (planned, to date, spent, remaining, pacing) and the report."""

from __future__ import annotations

import datetime
import importlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from campaigns import budgets
from campaigns.models import ApprovalState, Asset, BudgetLine, Campaign, SpendEntry
from common.errors import NotFound
from common.models import Profile
from records.visibility import visible_records
from tenants.models import Org

ZERO = Decimal("0.00")


def campaign_visible(*, org: Org, actor: Profile, campaign_id: Any) -> Campaign:
    """The campaign if the actor sees it (archived ones too); missing and another org's are the same 404."""
    try:
        pk = uuid.UUID(str(campaign_id))
    except ValueError:
        raise NotFound() from None
    campaign: Campaign | None = visible_records(Campaign.objects.for_org(org), actor).filter(pk=pk).first()
    if campaign is None:
        raise NotFound()
    return campaign


def budget_lines_of(*, org: Org, campaign: Campaign) -> QuerySet[BudgetLine]:
    return BudgetLine.objects.for_org(org).filter(campaign=campaign).order_by("channel", "id")


def budget_line_of(*, org: Org, campaign: Campaign, line_id: Any) -> BudgetLine:
    line: BudgetLine | None = budget_lines_of(org=org, campaign=campaign).filter(pk=line_id).first()
    if line is None:
        raise NotFound()
    return line


def spend_of(*, org: Org, campaign: Campaign) -> QuerySet[SpendEntry]:
    return SpendEntry.objects.for_org(org).filter(campaign=campaign).order_by("-spent_on", "-created_at", "-id")


def spend_entry_of(*, org: Org, campaign: Campaign, entry_id: Any) -> SpendEntry:
    entry: SpendEntry | None = spend_of(org=org, campaign=campaign).filter(pk=entry_id).first()
    if entry is None:
        raise NotFound()
    return entry


def assets_of(*, org: Org, campaign: Campaign) -> QuerySet[Asset]:
    return Asset.objects.for_org(org).filter(campaign=campaign).order_by("-created_at", "-id")


def asset_of(*, org: Org, campaign: Campaign, asset_id: Any) -> Asset:
    asset: Asset | None = assets_of(org=org, campaign=campaign).filter(pk=asset_id).first()
    if asset is None:
        raise NotFound()
    return asset


# --- The budget summary ------------------------------------------------------------------------------------


@dataclass
class Figures:
    """Money of one channel or of the whole campaign, each exact to the cent."""

    planned: Decimal = ZERO
    planned_to_date: Decimal = ZERO
    spent: Decimal = ZERO
    has_plan: bool = False

    @property
    def remaining(self) -> Decimal:
        return self.planned - self.spent

    @property
    def percent_spent(self) -> Decimal | None:
        if self.planned <= 0:
            return None
        return budgets.to_cents(Fraction(self.spent) * 100 / Fraction(self.planned))

    @property
    def pacing(self) -> str | None:
        return budgets.pacing(spent=self.spent, planned_to_date=self.planned_to_date, has_plan=self.has_plan)

    def add(self, other: Figures) -> None:
        self.planned += other.planned
        self.planned_to_date += other.planned_to_date
        self.spent += other.spent
        self.has_plan = self.has_plan or other.has_plan

    def as_dict(self) -> dict[str, Any]:
        names = ("planned", "planned_to_date", "spent", "remaining", "percent_spent", "pacing")
        return {name: getattr(self, name) for name in names}


@dataclass
class LineFigures:
    line: BudgetLine
    planned: Decimal
    planned_to_date: Decimal


@dataclass
class BudgetSummary:
    currency: str
    today: datetime.date
    first_day: datetime.date | None
    last_day: datetime.date | None
    days: int
    days_elapsed: int
    lines: list[LineFigures] = field(default_factory=list)
    channels: dict[str, Figures] = field(default_factory=dict)
    total: Figures = field(default_factory=Figures)


def budget_summary_of(
    campaign: Campaign,
    *,
    zone: datetime.tzinfo,
    lines: Sequence[BudgetLine],
    spent_by_channel: dict[str, Decimal],
    now: datetime.datetime | None = None,
) -> BudgetSummary:
    """The campaign's budget from rows already read: each line spread over the campaign's days, what was
    planned up to and including today (org-local), what was spent, per channel and in total."""
    today = (now or timezone.now()).astimezone(zone).date()
    span = budgets.campaign_span(campaign.starts_at, campaign.ends_at, zone)
    elapsed = span.until(today) if span is not None else None
    summary = BudgetSummary(
        currency=campaign.currency, today=today, first_day=span.first if span else None,
        last_day=span.last if span else None, days=span.days if span else 0,
        days_elapsed=elapsed.days if elapsed else 0,
    )  # fmt: skip
    for line in lines:
        planned = planned_to_date = ZERO
        if span is not None:
            planned = budgets.to_cents(budgets.spread(line.amount, line.period, span.first, span.last))
        if elapsed is not None:
            planned_to_date = budgets.to_cents(
                budgets.spread(line.amount, line.period, elapsed.first, elapsed.last)
            )
        summary.lines.append(LineFigures(line, planned, planned_to_date))
        figures = summary.channels.setdefault(line.channel, Figures())
        figures.add(Figures(planned, planned_to_date, ZERO, has_plan=span is not None))
    for channel, spent in spent_by_channel.items():
        summary.channels.setdefault(channel, Figures()).spent += spent
    summary.channels = dict(sorted(summary.channels.items()))
    for figures in summary.channels.values():
        summary.total.add(figures)
    return summary


def spent_by_channel(*, org: Org, campaign: Campaign) -> dict[str, Decimal]:
    rows = (
        SpendEntry.objects.for_org(org).filter(campaign=campaign).values("channel").annotate(spent=Sum("amount"))
    )
    return {row["channel"]: row["spent"] for row in rows.order_by("channel")}


def budget_summary(*, org: Org, campaign: Campaign, now: datetime.datetime | None = None) -> BudgetSummary:
    """Two queries: the lines, and the spend summed per channel."""
    return budget_summary_of(
        campaign, zone=budgets.org_zone(org), lines=list(budget_lines_of(org=org, campaign=campaign)),
        spent_by_channel=spent_by_channel(org=org, campaign=campaign), now=now,
    )  # fmt: skip


def budget_summary_body(summary: BudgetSummary) -> dict[str, Any]:
    """The summary as the API and the report show it."""
    return {
        "currency": summary.currency,
        "today": summary.today,
        "first_day": summary.first_day,
        "last_day": summary.last_day,
        "days": summary.days,
        "days_elapsed": summary.days_elapsed,
        "lines": [
            {
                "id": item.line.pk,
                "channel": item.line.channel,
                "amount": item.line.amount,
                "period": item.line.period,
                "planned": item.planned,
                "planned_to_date": item.planned_to_date,
            }
            for item in summary.lines
        ],
        "channels": [{"channel": channel, **figures.as_dict()} for channel, figures in summary.channels.items()],
        "total": summary.total.as_dict(),
    }


# --- Assets and the report ---------------------------------------------------------------------------------


def asset_counts(*, org: Org, campaign: Campaign) -> dict[str, Any]:
    """How many assets the campaign has, by approval state and by kind (one query)."""
    rows = (
        Asset.objects.for_org(org)
        .filter(campaign=campaign)
        .values("approval_state", "kind")
        .annotate(n=Count("id"))
        .order_by("approval_state", "kind")
    )
    by_state = {state: 0 for state in ApprovalState.values}
    by_kind: dict[str, int] = {}
    for row in rows:
        by_state[row["approval_state"]] += row["n"]
        by_kind[row["kind"]] = by_kind.get(row["kind"], 0) + row["n"]
    return {"total": sum(by_state.values()), "by_state": by_state, "by_kind": by_kind}


# Filled by the AI-copy module (campaigns.ai): `usage_of_campaign(*, org, campaign) -> dict`, the generation
# jobs and tokens this campaign used. Looked up by name so the report works with that module absent.
AI_USAGE_SELECTOR = ("campaigns.ai.selectors", "usage_of_campaign")


def ai_usage(*, org: Org, campaign: Campaign) -> dict[str, Any] | None:
    module_name, name = AI_USAGE_SELECTOR
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as missing:
        if missing.name not in (module_name, module_name.rpartition(".")[0]):
            raise  # the module is there but broken: say so rather than hide it
        return None
    selector = getattr(module, name, None)
    if selector is None:
        return None
    usage: dict[str, Any] = selector(org=org, campaign=campaign)
    return usage


# Filled by email marketing (emailing): `campaign_send_figures(*, org, campaign) -> dict | None`, the figures of
# the campaign's sends. Looked up by name, like the AI usage: emailing sits above campaigns.
SEND_FIGURES_SELECTOR = ("emailing.figures", "campaign_send_figures")


def send_figures(*, org: Org, campaign: Campaign) -> dict[str, Any] | None:
    module_name, name = SEND_FIGURES_SELECTOR
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as missing:
        if missing.name not in (module_name, module_name.rpartition(".")[0]):
            raise
        return None
    selector = getattr(module, name, None)
    if selector is None:
        return None
    figures: dict[str, Any] | None = selector(org=org, campaign=campaign)
    return figures


def campaign_report(*, org: Org, campaign: Campaign, now: datetime.datetime | None = None) -> dict[str, Any]:
    """Everything a client report shows: the campaign, its budget and pacing, AI usage, assets, and the figures
    of its email sends (null when it has none)."""
    zone = budgets.org_zone(org)

    def local(moment: datetime.datetime | None) -> datetime.datetime | None:
        return moment.astimezone(zone) if moment is not None else None

    return {
        "campaign": {
            "id": campaign.pk,
            "name": campaign.name,
            "objective": campaign.objective,
            "status": campaign.status,
            "channels": list(campaign.channels),
            "starts_at": local(campaign.starts_at),
            "ends_at": local(campaign.ends_at),
            "timezone": str(zone),
        },
        "budget": budget_summary_body(budget_summary(org=org, campaign=campaign, now=now)),
        "ai_usage": ai_usage(org=org, campaign=campaign),
        "assets": asset_counts(org=org, campaign=campaign),
        "sends": send_figures(org=org, campaign=campaign),
        "generated_at": local(now or timezone.now()),
    }
