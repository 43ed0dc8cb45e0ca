"""Demo support cases linked to the demo contacts."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cases.models import Case
from contacts.models import Contact
from demo.context import DemoContext

SUBJECTS = [
    "Lease renewal question",
    "Viewing slot not confirmed",
    "Invoice shows wrong unit",
    "Broken access card",
    "Listing photos missing",
    "Request for floor plan",
    "Heating fault in unit 4B",
    "Portal login issue",
]


PATHS = {"new": [], "open": ["open"], "pending": ["open", "pending"], "resolved": ["open", "resolved"]}
REPLIES = [
    "Thanks for flagging this, an engineer is booked for tomorrow morning.",
    "Waiting on the landlord to confirm access.",
    "Sent the corrected document, please check page two.",
    "Fixed on our side; can you confirm it works for you now?",
]


def seed(ctx: DemoContext) -> dict[str, int]:
    rng, now, cases = ctx.rng, timezone.now(), []
    contacts = {c.pk: c for c in Contact.objects.filter(pk__in=ctx.some("contacts.contact", 10 * ctx.scale))}
    for number, contact_id in enumerate(list(contacts)[: 10 * ctx.scale]):
        # Every status in turn, so even a small demo has cases at each step.
        owner, status = ctx.member(), ["open", "pending", "resolved", "new"][number % 4]
        cases.append(
            Case(
                org=ctx.org,
                subject=rng.choice(SUBJECTS),
                status=status,
                priority=rng.choice(["low", "medium", "high", "urgent"]),
                contact=contacts[contact_id],
                company_id=contacts[contact_id].company_id,
                due_at=now + timedelta(days=rng.randint(-3, 10)),
                first_response_at=None if status == "new" else now,
                resolved_at=now if status == "resolved" else None,
                created_by=owner,
                updated_by=owner,
                assigned_to=[owner.pk],
            )
        )
    Case.objects.bulk_create(cases)
    storied = ctx.storied(cases)
    if cases and all(case.status == "new" for case in storied):
        storied.append(cases[0])  # a sample of only new cases would show no work on any of them
    for case in storied:
        _story(ctx, case)
    ctx.made["cases.case"] = [case.pk for case in cases]
    return {"cases": len(cases)}


def _story(ctx: DemoContext, case: Case) -> None:
    """Created, then the status moves that led here, with the timestamps case_update would have set."""
    owner, timeline = case.created_by, ctx.timeline
    when = ctx.started()
    timeline.created(case, owner, when)
    old, answered = "new", False
    for status in PATHS.get(case.status, []):
        when = ctx.later(when)
        changes: dict[str, list] = {"status": [old, status]}
        if not answered:
            changes["first_response_at"] = [None, str(when)]
            timeline.restamp(case, "first_response_at", when)
            answered = True
        if status == "resolved":
            changes["resolved_at"] = [None, str(when)]
            timeline.restamp(case, "resolved_at", when)
        timeline.log(case, owner, "status_changed", changes, when)
        old = status
    # Every storied case has a note, so the sample always shows a conversation, whatever statuses came up.
    timeline.comment(case, owner, ctx.rng.choice(REPLIES), ctx.later(when))
