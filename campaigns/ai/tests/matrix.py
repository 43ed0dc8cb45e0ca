"""How the role matrix calls the AI copy routes. The test settings configure no API key, so the two routes that
need the provider answer every allowed role with 409 `ai_disabled` (after the role check); their 202 paths are
covered in test_generate_api.py and test_worker.py."""

from __future__ import annotations

from typing import Any

from tenants.testing.fixtures import Cast
from tenants.testing.matrix import Call


def _copy(cast: Cast) -> dict[str, Any]:
    """A campaign of org A (the member is on it) with a finished job and two suggestions."""
    from campaigns.ai.tests.helpers import campaign_make, job_make, suggestion_make

    campaign = campaign_make(cast.org_a, cast.owner, assigned_to=[cast.member.pk])
    job = job_make(cast.org_a, campaign, cast.owner, count=2)
    first, second = suggestion_make(job, variant=0), suggestion_make(job, variant=1)
    return {"campaign_id": campaign.pk, "job_id": job.pk, "suggestion_id": first.pk, "other": second.pk}


def _campaign(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"campaign_id": made["campaign_id"]}


def _job(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"job_id": made["job_id"]}


def _suggestion(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"suggestion_id": made["suggestion_id"]}


def _review(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"decision": "approve", "suggestions": [str(made["suggestion_id"]), str(made["other"])]}


MATRIX_SPECS = {
    "api:campaign-ai-generate": {
        "POST": Call(status=409, setup=_copy, kwargs=_campaign, body={"channels": ["x"]})
    },
    "api:campaign-ai-jobs": {"GET": Call(setup=_copy, kwargs=_campaign)},
    "api:campaign-ai-job": {"GET": Call(setup=_copy, kwargs=_job)},
    "api:campaign-ai-suggestions": {"GET": Call(setup=_copy, kwargs=_campaign)},
    "api:campaign-ai-suggestions-review": {"POST": Call(setup=_copy, kwargs=_campaign, body=_review)},
    "api:campaign-ai-suggestion": {
        "GET": Call(setup=_copy, kwargs=_suggestion),
        "PATCH": Call(setup=_copy, kwargs=_suggestion, body={"content": {"text": "Matrix copy"}}),
    },
    "api:campaign-ai-suggestion-approve": {"POST": Call(setup=_copy, kwargs=_suggestion)},
    "api:campaign-ai-suggestion-reject": {"POST": Call(setup=_copy, kwargs=_suggestion)},
    "api:campaign-ai-suggestion-regenerate": {"POST": Call(status=409, setup=_copy, kwargs=_suggestion)},
    "api:campaign-ai-usage": {"GET": Call()},
    "api:campaign-ai-options": {"GET": Call()},
}
