"""Demo support cases linked to the demo contacts."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cases.models import Case
from common.demo import DemoContext
from contacts.models import Contact

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


def seed(ctx: DemoContext) -> dict[str, int]:
    rng, now, cases = ctx.rng, timezone.now(), []
    contacts = {c.pk: c for c in Contact.objects.filter(pk__in=ctx.some("contacts.contact", 10 * ctx.scale))}
    for contact_id in list(contacts)[: 10 * ctx.scale]:
        owner, status = ctx.member(), rng.choice(["new", "open", "pending", "resolved"])
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
    ctx.made["cases.case"] = [case.pk for case in cases]
    return {"cases": len(cases)}
