"""Reading AI copy: a campaign as the caller may see it, its jobs and suggestions, the approved copy a send may
use, and what a campaign and an org have spent. Missing and another org's are the same 404."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Count, QuerySet, Sum

from campaigns.ai.models import GenerationJob, JobState, Suggestion, SuggestionState
from campaigns.ai.quota import Usage, usage_of_org
from campaigns.models import Campaign
from common.errors import NotFound
from common.models import Profile
from records.visibility import visible_records
from tenants.models import Org

__all__ = ["Usage", "usage_of_org"]


def _uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound() from None


def visible_campaigns(*, org: Org, actor: Profile) -> QuerySet[Campaign]:
    return visible_records(Campaign.objects.for_org(org), actor)


def campaign_visible(*, org: Org, actor: Profile, campaign_id: Any) -> Campaign:
    """The campaign if the actor sees it (archived ones too)."""
    campaign: Campaign | None = visible_campaigns(org=org, actor=actor).filter(pk=_uuid(campaign_id)).first()
    if campaign is None:
        raise NotFound()
    return campaign


def jobs_of(*, org: Org, campaign: Campaign) -> QuerySet[GenerationJob]:
    return GenerationJob.objects.for_org(org).filter(campaign=campaign).order_by("-created_at", "-id")


def job_visible(*, org: Org, actor: Profile, job_id: Any) -> GenerationJob:
    """A job of a campaign the actor sees."""
    campaigns = visible_campaigns(org=org, actor=actor).values("pk")
    job: GenerationJob | None = (
        GenerationJob.objects.for_org(org).filter(pk=_uuid(job_id), campaign__in=campaigns).first()
    )
    if job is None:
        raise NotFound()
    return job


def suggestions_of(*, org: Org, campaign: Campaign) -> QuerySet[Suggestion]:
    return Suggestion.objects.for_org(org).filter(campaign=campaign)


def suggestion_visible(*, org: Org, actor: Profile, suggestion_id: Any) -> Suggestion:
    """A suggestion of a campaign the actor sees, with its campaign."""
    campaigns = visible_campaigns(org=org, actor=actor).values("pk")
    suggestion: Suggestion | None = (
        Suggestion.objects.for_org(org)
        .filter(pk=_uuid(suggestion_id), campaign__in=campaigns)
        .select_related("campaign")
        .first()
    )
    if suggestion is None:
        raise NotFound()
    return suggestion


def approved_copy(*, org: Org, campaign: Campaign, channel: str) -> QuerySet[Suggestion]:
    """The copy a send may use: the campaign's approved suggestions of one channel, most recently approved first.
    Each one's `content` has the channel's shape (email: subject, preheader, body_html (sanitised); Google Ads:
    headlines, descriptions; every other channel: text) and `language` says what language it is in."""
    return (
        Suggestion.objects.for_org(org)
        .filter(campaign=campaign, channel=channel, state=SuggestionState.APPROVED)
        .order_by("-decided_at", "-id")
    )


def usage_of_campaign(*, org: Org, campaign: Campaign) -> dict[str, Any]:
    """For the campaign report: tokens its jobs used, its jobs by state and its suggestions by state (every
    state present, zeros included). Two queries."""
    jobs = GenerationJob.objects.for_org(org).filter(campaign=campaign)
    job_rows = jobs.values("state").annotate(n=Count("id"), tokens=Sum("tokens_used")).order_by()
    suggestion_rows = (
        Suggestion.objects.for_org(org)
        .filter(campaign=campaign)
        .values("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    jobs_by_state = {state: 0 for state in JobState.values}
    tokens = 0
    for row in job_rows:
        jobs_by_state[row["state"]] = row["n"]
        tokens += row["tokens"] or 0
    suggestions_by_state = {state: 0 for state in SuggestionState.values}
    for row in suggestion_rows:
        suggestions_by_state[row["state"]] = row["n"]
    return {"tokens_used": tokens, "jobs": jobs_by_state, "suggestions": suggestions_by_state}


def regeneration_pending(*, org: Org, suggestion: Suggestion) -> bool:
    return (
        GenerationJob.objects.for_org(org)
        .filter(replaces=suggestion, state__in=(JobState.QUEUED, JobState.RUNNING))
        .exists()
    )
