"""Demo leads: `--scale N` makes N of them (bulk inserts)."""

from __future__ import annotations

from decimal import Decimal

from demo.context import COMPANY_KINDS, COMPANY_WORDS, FIRST_NAMES, LAST_NAMES, DemoContext
from leads.models import Lead

STATUSES = ["new", "new", "contacted", "qualified", "unqualified", "lost"]
SOURCES = ["website", "referral", "event", "cold_call", "web_form", "partner"]
# How a lead got to its status, one status move at a time (the status machine's way).
PATHS = {
    "new": [],
    "contacted": ["contacted"],
    "qualified": ["contacted", "qualified"],
    "unqualified": ["unqualified"],
    "lost": ["contacted", "lost"],
}
NOTES = [
    "Called: wants two viewings next week, flexible on the floor.",
    "Sent the brochure and the service charge breakdown.",
    "Budget confirmed by email; decision after their board meeting.",
    "Left a voicemail, will try again Thursday.",
    "Met at the open house, asked about parking spaces.",
]


def seed(ctx: DemoContext) -> dict[str, int]:
    rng, leads = ctx.rng, []
    for i in range(ctx.leads):
        first, last, owner = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), ctx.member()
        leads.append(
            Lead(
                org=ctx.org,
                first_name=first,
                last_name=last,
                email=f"{first}.{last}.lead{i}@example.net".lower(),
                phone=f"+1 512 555 {i % 10000:04d}",
                company_name=f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)}",
                status=rng.choice(STATUSES),
                source=rng.choice(SOURCES),
                rating=rng.choice(["hot", "warm", "cold"]),
                estimated_value=Decimal(rng.randrange(5_000, 500_000, 500)),
                currency=ctx.org.currency,
                created_by=owner,
                updated_by=owner,
                assigned_to=[owner.pk],
                tags=rng.sample(["investor", "tenant", "office", "retail", "industrial"], 2),
            )
        )
    Lead.objects.bulk_create(leads, batch_size=2000)
    for lead in ctx.storied(leads):
        _story(ctx, lead)
    ctx.made["leads.lead"] = [lead.pk for lead in leads]
    return {"leads": len(leads)}


def _story(ctx: DemoContext, lead: Lead) -> None:
    owner, timeline = lead.created_by, ctx.timeline
    when = ctx.started()
    timeline.created(lead, owner, when)
    old = "new"
    for status in PATHS.get(lead.status, []):
        when = ctx.later(when)
        timeline.log(lead, owner, "status_changed", {"status": [old, status]}, when)
        old = status
    if ctx.rng.random() < 0.6:
        timeline.comment(lead, owner, ctx.rng.choice(NOTES), ctx.later(when))
