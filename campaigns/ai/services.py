"""Asking for AI copy and reviewing it: a generation request reserves its tokens and queues a job in one
transaction; members approve, edit, reject or regenerate suggestions one at a time (or review several at once)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns.ai import prompts, provider, quota, selectors
from campaigns.ai.channels import LISTING_DESCRIPTION, Problem, content_check
from campaigns.ai.models import GenerationJob, Suggestion, SuggestionState, Tone
from campaigns.ai.tasks import run_generation_job
from campaigns.models import Campaign, Objective
from common.errors import ApiError, Conflict, field_error
from common.models import Profile
from common.throttling import Limit, enforce
from properties.models import Amenity, Property
from records.services import record_preconditions
from tenants.models import Org
from tenants.pipeline.tasks import enqueue

# What of a listing's free text reaches the model: enough to write from, bounded in tokens.
DESCRIPTION_FACT_MAX = 3_000
CAMPAIGN_TEXT_MAX = 4_000
# A campaign's own listings used when a request names none.
GENERATION_PROPERTIES_MAX = 10


def ai_enabled_check() -> None:
    """Routes that need the provider answer 409 while no API key is configured."""
    if not provider.is_enabled():
        raise Conflict(
            "AI copy is not enabled on this server: set OPENAI_API_KEY (and OPENAI_BASE_URL for a compatible "
            "server other than OpenAI).",
            code="ai_disabled",
        )


def ai_rate_limit(actor: Profile) -> None:
    """Per member and minute, in Redis (429 with Retry-After)."""
    enforce(Limit("ai_requests", int(settings.AI_REQUESTS_PER_MINUTE_PER_MEMBER), 60), str(actor.pk))


def default_language(org: Org) -> str:
    languages = list(settings.AI_LANGUAGES)
    return org.language if org.language in languages else languages[0]


# --- The facts the model writes from ---------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


def _facts(values: dict[str, Any]) -> dict[str, Any]:
    """Only what is known: an empty field is left out rather than sent as null for the model to fill in."""
    return {key: _plain(value) for key, value in values.items() if value not in (None, "", [], {})}


def campaign_facts(campaign: Campaign) -> dict[str, Any]:
    return _facts(
        {
            "name": campaign.name,
            "objective": dict(Objective.choices).get(campaign.objective, campaign.objective),
            "description": campaign.description[:CAMPAIGN_TEXT_MAX],
            "starts_at": campaign.starts_at,
            "ends_at": campaign.ends_at,
        }
    )


def property_facts(listing: Property) -> dict[str, Any]:
    amenity_labels = dict(Amenity.choices)
    return _facts(
        {
            "reference": listing.reference,
            "title": listing.title,
            "property_type": listing.get_property_type_display(),
            "listing_type": listing.get_listing_type_display(),
            "status": listing.get_status_display(),
            "street": listing.street,
            "city": listing.city,
            "region": listing.region,
            "postal_code": listing.postal_code,
            "country": listing.country,
            "floor_area": f"{_plain(listing.floor_area)} {listing.get_area_unit_display()}"
            if listing.floor_area
            else None,
            "lot_size": f"{_plain(listing.lot_size)} {listing.get_lot_size_unit_display()}"
            if listing.lot_size
            else None,
            "year_built": listing.year_built,
            "floors": listing.floors,
            "units": listing.units,
            "bedrooms": listing.bedrooms,
            "bathrooms": listing.bathrooms,
            "asking_price": f"{_plain(listing.asking_price)} {listing.currency}" if listing.asking_price else None,
            "lease_rate": (
                f"{_plain(listing.lease_rate)} {listing.currency} {listing.get_lease_rate_period_display()}, "
                f"{listing.get_lease_rate_basis_display()}".lower()
                if listing.lease_rate
                else None
            ),
            "cap_rate_percent": listing.cap_rate,
            "parking_spaces": listing.parking_spaces,
            "amenities": [amenity_labels.get(amenity, amenity) for amenity in listing.amenities],
            "highlights": list(listing.highlights),
            "description": listing.description[:DESCRIPTION_FACT_MAX],
        }
    )


def _listings_of(org: Org, property_ids: Sequence[Any]) -> list[Property]:
    """The listings that still exist, in the order they were asked for."""
    found = {listing.pk: listing for listing in Property.objects.for_org(org).filter(pk__in=list(property_ids))}
    return [found[pk] for pk in property_ids if pk in found]


# --- Asking ------------------------------------------------------------------------------------------------


def _job_create(
    *,
    org: Org,
    actor: Profile,
    campaign: Campaign,
    channels: list[str],
    count: int,
    language: str,
    tone: str,
    listings: list[Property],
    instructions: str,
    replaces: Suggestion | None = None,
) -> GenerationJob:
    """The job, its reservation and its place in the queue, in the caller's transaction: a request the quota
    cannot cover leaves nothing behind."""
    data = prompts.data_message(
        channels=channels,
        count=count,
        language=language,
        tone=tone,
        campaign=campaign_facts(campaign),
        properties=[property_facts(listing) for listing in listings],
        instructions=instructions,
    )
    if replaces is not None:
        data["avoid"] = replaces.content
    now = timezone.now()
    job = GenerationJob.objects.create(
        org=org,
        campaign=campaign,
        channels=channels,
        count=count,
        language=language,
        tone=tone,
        property_ids=[listing.pk for listing in listings],
        instructions=instructions,
        prompt_data=data,
        replaces=replaces,
        queued_at=now,
        quota_month=quota.month_of(now),
        created_by=actor,
        updated_by=actor,
    )
    estimate = prompts.reservation(
        prompts.first_messages(data),
        prompts.response_format(channels, count),
        prompts.completion_budget(channels, count),
    )
    quota.reserve(org=org, job=job, tokens=estimate)
    enqueue(run_generation_job, str(job.pk))
    return job


def campaign_write_check(*, actor: Profile, campaign: Campaign) -> None:
    """Asking for copy and reviewing it change the campaign's material: the actor must be one who may change the
    campaign (403), and it must not be archived (409)."""
    record_preconditions(campaign, None, actor=actor)


def generation_request(*, org: Org, actor: Profile, campaign: Campaign, data: dict[str, Any]) -> GenerationJob:
    """`data` is the validated request: channels, count, language (default: the org's), tone, properties (this
    org's listings; default: the campaign's own) and instructions."""
    campaign_write_check(actor=actor, campaign=campaign)
    channels = list(dict.fromkeys(data["channels"]))
    if "properties" in data:
        listings = list(data["properties"])
    else:
        listings = _listings_of(org, campaign.property_ids[:GENERATION_PROPERTIES_MAX])
    if LISTING_DESCRIPTION in channels and len(listings) != 1:
        raise field_error(
            "properties", "one_property_needed", "A listing description is written for exactly one property."
        )
    with transaction.atomic():
        return _job_create(
            org=org,
            actor=actor,
            campaign=campaign,
            channels=channels,
            count=data.get("count", 1),
            language=data.get("language") or default_language(org),
            tone=data.get("tone", Tone.PROFESSIONAL),
            listings=listings,
            instructions=data.get("instructions", ""),
        )


def _locked_suggestion(org: Org, actor: Profile, suggestion_id: Any) -> Suggestion:
    """The suggestion, row-locked, if the actor sees its campaign (404) and may change it (403, archived 409)."""
    suggestion = selectors.suggestion_visible(org=org, actor=actor, suggestion_id=suggestion_id)
    campaign_write_check(actor=actor, campaign=suggestion.campaign)
    locked: Suggestion = Suggestion.objects.for_org(org).select_for_update().get(pk=suggestion.pk)
    locked.campaign = suggestion.campaign
    return locked


def _not_replaced(suggestion: Suggestion) -> None:
    if suggestion.state == SuggestionState.REPLACED:
        raise Conflict(
            "This suggestion was replaced by a regenerated one; review that one.", code="suggestion_replaced"
        )


def suggestion_regenerate(*, org: Org, actor: Profile, suggestion_id: Any, data: dict[str, Any]) -> GenerationJob:
    """One new variant of one suggestion's channel, in the language asked for (default: the suggestion's). On
    success the new suggestion replaces the old one. Approved copy is kept as it is: reject it first."""
    with transaction.atomic():
        suggestion = _locked_suggestion(org, actor, suggestion_id)
        _not_replaced(suggestion)
        if suggestion.state == SuggestionState.APPROVED:
            raise Conflict("Approved copy is not regenerated: reject it first.", code="suggestion_approved")
        if selectors.regeneration_pending(org=org, suggestion=suggestion):
            raise Conflict("This suggestion is already being regenerated.", code="regeneration_pending")
        origin = suggestion.job
        return _job_create(
            org=org,
            actor=actor,
            campaign=suggestion.campaign,
            channels=[suggestion.channel],
            count=1,
            language=data.get("language") or suggestion.language,
            tone=data.get("tone") or origin.tone,
            listings=_listings_of(org, origin.property_ids),
            instructions=data.get("instructions", origin.instructions),
            replaces=suggestion,
        )


# --- Reviewing ---------------------------------------------------------------------------------------------


def _content_errors(problems: list[Problem]) -> ApiError:
    fields: dict[str, list[dict[str, str]]] = {}
    for problem in problems:
        fields.setdefault(problem.path, []).append({"code": "invalid", "detail": problem.message})
    detail = str(problems[0]) if len(problems) == 1 else "The copy breaks the channel's rules."
    return ApiError(detail, code="invalid", fields=fields)


def suggestion_edit(*, org: Org, actor: Profile, suggestion_id: Any, content: Any) -> Suggestion:
    """A member's own wording, held to the same channel rules as the model's (HTML sanitised the same way). The
    edited copy needs approving again."""
    with transaction.atomic():
        suggestion = _locked_suggestion(org, actor, suggestion_id)
        _not_replaced(suggestion)
        clean, problems = content_check(suggestion.channel, content)
        if problems:
            raise _content_errors(problems)
        suggestion.content, suggestion.is_edited = clean, True
        suggestion.state, suggestion.decided_by, suggestion.decided_at = SuggestionState.SUGGESTED, None, None
        suggestion.updated_by = actor
        suggestion.save()
    return suggestion


def _decide(suggestion: Suggestion, actor: Profile, state: str, now: datetime.datetime) -> None:
    _not_replaced(suggestion)
    if suggestion.state == state:
        return  # deciding again is a no-op: the first decision's author and time stay
    suggestion.state, suggestion.decided_by, suggestion.decided_at = state, actor, now
    suggestion.updated_by = actor
    suggestion.save(update_fields=["state", "decided_by", "decided_at", "updated_by", "updated_at"])


def suggestion_decide(*, org: Org, actor: Profile, suggestion_id: Any, approve: bool) -> Suggestion:
    with transaction.atomic():
        suggestion = _locked_suggestion(org, actor, suggestion_id)
        _decide(
            suggestion, actor, SuggestionState.APPROVED if approve else SuggestionState.REJECTED, timezone.now()
        )
    return suggestion


def suggestions_review(
    *, org: Org, actor: Profile, campaign: Campaign, approve: bool, suggestion_ids: list[Any]
) -> list[Suggestion]:
    """Approve or reject several suggestions of one campaign at once: all of them or none. An id that is not a
    suggestion of this campaign (another org's, another campaign's, made up) is the same field error."""
    campaign_write_check(actor=actor, campaign=campaign)
    wanted = list(dict.fromkeys(suggestion_ids))
    with transaction.atomic():
        found = {
            suggestion.pk: suggestion
            for suggestion in selectors.suggestions_of(org=org, campaign=campaign)
            .filter(pk__in=wanted)
            .select_for_update()
        }
        for pk in wanted:
            if pk not in found:
                raise field_error("suggestions", "does_not_exist", f'Invalid pk "{pk}" - object does not exist.')
        now = timezone.now()
        state = SuggestionState.APPROVED if approve else SuggestionState.REJECTED
        for pk in wanted:
            _decide(found[pk], actor, state, now)
    return [found[pk] for pk in wanted]
