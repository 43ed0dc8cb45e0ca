"""Demo AI copy: finished jobs on some of the demo campaigns, their suggestions (some approved, some rejected),
a failed job, and this month's token ledger to match."""

from __future__ import annotations

import datetime
from typing import Any

from campaigns.ai import prompts, quota
from campaigns.ai.channels import content_check
from campaigns.ai.models import GenerationJob, JobState, Suggestion, SuggestionState, TokenLedger, Tone
from campaigns.ai.services import campaign_facts, default_language
from campaigns.models import Campaign
from demo.context import DemoContext

CHANNEL_SETS = [
    ["google_ads", "email"],
    ["facebook", "instagram", "x"],
    ["linkedin", "sms"],
    ["whatsapp", "email"],
]
HOOKS = ["Viewings open this week", "Limited availability", "Prime location", "Move-in ready", "Just listed"]


def _copy(channel: str, name: str, hook: str, variant: int) -> dict[str, Any]:
    """Copy that keeps every channel rule (checked below, as the worker checks the model's)."""
    short = name[:24]
    texts: dict[str, dict[str, Any]] = {
        "google_ads": {
            "headlines": [short, hook[:30], f"Book a viewing {variant + 1}", "Talk to our agents", "See it today"],
            "descriptions": [
                f"{name[:60]}: {hook.lower()}."[:90],
                "Call us or book online; we answer the same day.",
            ],
        },
        "email": {
            "subject": f"{hook}: {name}"[:78],
            "preheader": "Photos, floor plans and viewing times inside.",
            "body_html": f"<p>{name}</p><p>{hook}. Reply to this email to book a viewing.</p>",
        },
        "sms": {"text": f"{hook}: {short}. Reply YES for a viewing."},
    }
    return texts.get(channel, {"text": f"{hook} — {name}. Get in touch to arrange a viewing. (v{variant + 1})"})


def seed(ctx: DemoContext) -> dict[str, int]:
    campaigns = list(Campaign.objects.for_org(ctx.org).filter(pk__in=ctx.made.get("campaigns.campaign", [])))
    month = quota.month_of(ctx.now)
    language = default_language(ctx.org)
    jobs: list[GenerationJob] = []
    suggestions: list[Suggestion] = []
    used = 0
    for campaign in ctx.rng.sample(campaigns, len(campaigns) // 2):
        channels = ctx.rng.choice(CHANNEL_SETS)
        requester = ctx.member()
        asked = ctx.started()
        tokens = ctx.rng.randint(900, 2600) * len(channels)
        failed = ctx.rng.random() < 0.15
        job = GenerationJob(
            org=ctx.org,
            campaign=campaign,
            channels=channels,
            count=2,
            language=language,
            tone=ctx.rng.choice(Tone.values),
            instructions="Stress the location and the viewing dates.",
            prompt_data=prompts.data_message(
                channels=channels,
                count=2,
                language=language,
                tone=Tone.PROFESSIONAL,
                campaign=campaign_facts(campaign),
                properties=[],
                instructions="",
            ),
            state=JobState.FAILED if failed else JobState.SUCCEEDED,
            progress=100,
            runs=1,
            provider_calls=1,
            queued_at=asked,
            started_at=asked,
            finished_at=asked + datetime.timedelta(seconds=9),
            quota_month=month,
            tokens_used=tokens,
            created_by=requester,
            updated_by=requester,
            error_code="ai_rate_limited" if failed else "",
            reason="The AI provider is rate limiting us (the AI provider answered 429)." if failed else "",
        )
        jobs.append(job)
        used += tokens
        if failed:
            continue
        hook = ctx.rng.choice(HOOKS)
        for channel in channels:
            for variant in range(job.count):
                content, problems = content_check(channel, _copy(channel, campaign.name, hook, variant))
                assert not problems, problems
                state = ctx.rng.choice(
                    [SuggestionState.SUGGESTED, SuggestionState.APPROVED, SuggestionState.REJECTED]
                )
                decided = state != SuggestionState.SUGGESTED
                suggestions.append(
                    Suggestion(
                        org=ctx.org,
                        campaign=campaign,
                        job=job,
                        channel=channel,
                        language=language,
                        variant=variant,
                        content=content,
                        state=state,
                        created_by=requester,
                        updated_by=requester,
                        decided_by=requester if decided else None,
                        decided_at=ctx.later(asked) if decided else None,
                    )
                )
    GenerationJob.objects.bulk_create(jobs)
    Suggestion.objects.bulk_create(suggestions)
    if used:
        TokenLedger.objects.bulk_create([TokenLedger(org=ctx.org, month=month, used=used)], ignore_conflicts=True)
    return {"AI generation jobs": len(jobs), "AI suggestions": len(suggestions)}
