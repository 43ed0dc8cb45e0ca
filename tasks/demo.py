"""Demo tasks, some linked to demo leads and contacts."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from demo.context import DemoContext
from tasks.models import Task

TITLES = [
    "Call back about the viewing",
    "Send the heads of terms",
    "Chase signed lease",
    "Book valuation",
    "Prepare the investment memo",
    "Follow up after the open house",
]


NOTES = [
    "Moved to Friday, they are travelling until Thursday.",
    "Draft is in the shared folder for review.",
    "Waiting on the signed copy before chasing again.",
]


def seed(ctx: DemoContext) -> dict[str, int]:
    rng, now, tasks = ctx.rng, timezone.now(), []
    for _ in range(15 * ctx.scale):
        owner, label = ctx.member(), rng.choice(["leads.lead", "contacts.contact"])
        related = ctx.some(label)
        tasks.append(
            Task(
                org=ctx.org,
                title=rng.choice(TITLES),
                priority=rng.choice(["low", "medium", "high"]),
                due_at=now + timedelta(hours=rng.randint(-48, 240)),
                related_type=label if related else "",
                related_id=related[0] if related else None,
                created_by=owner,
                updated_by=owner,
                assigned_to=[owner.pk],
                # Made-up work: the reminder job must never email real members about it.
                reminder_sent_at=now,
            )
        )
    Task.objects.bulk_create(tasks)
    for task in ctx.storied(tasks):
        when = ctx.started()
        ctx.timeline.created(task, task.created_by, when)
        if rng.random() < 0.5:
            ctx.timeline.comment(task, task.created_by, rng.choice(NOTES), ctx.later(when))
    return {"tasks": len(tasks)}
