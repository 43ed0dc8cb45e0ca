"""Reviewing AI copy: listing jobs and suggestions, editing, approving, rejecting (one at a time or several),
asking for a regeneration; isolation by URL, body and filter; flat query counts; and the selectors other modules
read (approved copy for a send, usage for the campaign report)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from campaigns.ai import selectors
from campaigns.ai.models import JobState, Suggestion, SuggestionState
from campaigns.ai.tests.helpers import campaign_make, job_make, suggestion_make
from common.context import org_context
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.isolation import EMPTY_PAGE, RANDOM_ID, assert_foreign_ids_find_nothing
from tenants.testing.queries import assert_flat_query_count

pytestmark = pytest.mark.django_db

NOT_FOUND = {"code": "not_found", "detail": "Not found.", "fields": {}}


@pytest.fixture
def copy(cast: Cast):
    """A campaign of org A (the member is on it) with a finished job and two suggestions, and the same in org B."""
    campaign = campaign_make(cast.org_a, cast.owner, assigned_to=[cast.member.pk])
    job = job_make(cast.org_a, campaign, cast.owner, channels=["x"], count=2, tokens_used=900)
    first, second = suggestion_make(job, variant=0), suggestion_make(job, variant=1)
    foreign_campaign = campaign_make(cast.org_b, cast.other_owner)
    foreign_job = job_make(cast.org_b, foreign_campaign, cast.other_owner)
    foreign = suggestion_make(foreign_job)
    return {
        "campaign": campaign,
        "job": job,
        "first": first,
        "second": second,
        "foreign_campaign": foreign_campaign,
        "foreign_job": foreign_job,
        "foreign": foreign,
    }


def _state(suggestion: Suggestion) -> str:
    with org_context(suggestion.org):
        return Suggestion.objects.get(pk=suggestion.pk).state


def test_the_campaigns_suggestions_and_jobs_are_listed_newest_first(cast: Cast, copy):
    client = client_for(cast.viewer)

    suggestions = client.get(f"/api/campaigns/{copy['campaign'].pk}/ai-suggestions/").json()
    jobs = client.get(f"/api/campaigns/{copy['campaign'].pk}/ai-jobs/").json()

    assert suggestions["count"] == 2
    assert [row["id"] for row in suggestions["results"]] == [str(copy["first"].pk), str(copy["second"].pk)]
    row = suggestions["results"][0]
    assert row["content"] == {"text": "Harbour Lofts, variant 1"}
    assert row["measurements"] == {"weighted_characters": 24}
    assert (row["channel"], row["state"], row["job"], row["is_edited"]) == (
        "x",
        "suggested",
        str(copy["job"].pk),
        False,
    )
    assert [row["id"] for row in jobs["results"]] == [str(copy["job"].pk)]
    assert jobs["results"][0]["tokens_used"] == 900


def test_lists_filter_by_channel_state_and_job(cast: Cast, copy):
    client = client_for(cast.owner)
    url = f"/api/campaigns/{copy['campaign'].pk}/ai-suggestions/"
    client.post(f"/api/campaigns/ai-suggestions/{copy['second'].pk}/approve/")

    approved = client.get(url, {"state": "approved"}).json()
    by_channel = client.get(url, {"channel": "email"}).json()
    by_job = client.get(url, {"job": str(copy["job"].pk)}).json()
    failed_jobs = client.get(f"/api/campaigns/{copy['campaign'].pk}/ai-jobs/", {"state": "failed"}).json()

    assert [row["id"] for row in approved["results"]] == [str(copy["second"].pk)]
    assert by_channel == EMPTY_PAGE
    assert by_job["count"] == 2
    assert failed_jobs == EMPTY_PAGE


def test_approving_and_rejecting_record_who_and_when(cast: Cast, copy):
    member = client_for(cast.member)

    approved = member.post(f"/api/campaigns/ai-suggestions/{copy['first'].pk}/approve/")
    rejected = member.post(f"/api/campaigns/ai-suggestions/{copy['second'].pk}/reject/")
    again = member.post(f"/api/campaigns/ai-suggestions/{copy['first'].pk}/approve/")

    assert approved.status_code == rejected.status_code == 200
    assert (approved.json()["state"], approved.json()["decided_by"]) == ("approved", str(cast.member.pk))
    assert rejected.json()["state"] == "rejected"
    assert again.json()["decided_at"] == approved.json()["decided_at"]  # deciding twice changes nothing
    # The other way round is allowed too.
    assert member.post(f"/api/campaigns/ai-suggestions/{copy['first'].pk}/reject/").json()["state"] == "rejected"


def test_only_approved_copy_reaches_a_send(cast: Cast, copy):
    client = client_for(cast.owner)
    client.post(f"/api/campaigns/ai-suggestions/{copy['first'].pk}/approve/")
    email_job = job_make(cast.org_a, copy["campaign"], cast.owner, channels=["email"])
    email = suggestion_make(
        email_job, channel="email", content={"subject": "Open house", "preheader": "Sat", "body_html": "<p>Hi</p>"}
    )

    with org_context(cast.org_a):
        x_copy = list(selectors.approved_copy(org=cast.org_a, campaign=copy["campaign"], channel="x"))
        email_copy = list(selectors.approved_copy(org=cast.org_a, campaign=copy["campaign"], channel="email"))
    assert [s.pk for s in x_copy] == [copy["first"].pk]
    assert email_copy == []
    client.post(f"/api/campaigns/ai-suggestions/{email.pk}/approve/")
    with org_context(cast.org_a):
        [approved] = selectors.approved_copy(org=cast.org_a, campaign=copy["campaign"], channel="email")
    assert approved.content == {"subject": "Open house", "preheader": "Sat", "body_html": "<p>Hi</p>"}


def test_usage_of_a_campaign_counts_tokens_jobs_and_suggestions_by_state(cast: Cast, copy):
    job_make(cast.org_a, copy["campaign"], cast.owner, state=JobState.FAILED, tokens_used=100)
    job_make(cast.org_a, copy["campaign"], cast.owner, state=JobState.QUEUED, tokens_reserved=50)
    client_for(cast.owner).post(f"/api/campaigns/ai-suggestions/{copy['first'].pk}/approve/")

    with org_context(cast.org_a):
        usage = selectors.usage_of_campaign(org=cast.org_a, campaign=copy["campaign"])

    assert usage == {
        "tokens_used": 1000,
        "jobs": {"queued": 1, "running": 0, "succeeded": 1, "failed": 1},
        "suggestions": {"suggested": 1, "approved": 1, "rejected": 0, "replaced": 0},
    }


def test_an_edit_is_held_to_the_channels_rules_and_needs_approving_again(cast: Cast, copy):
    client = client_for(cast.member)
    url = f"/api/campaigns/ai-suggestions/{copy['first'].pk}/"
    client.post(f"{url}approve/")

    too_long = client.patch(url, {"content": {"text": "a" * 281}}, format="json")
    edited = client.patch(url, {"content": {"text": "  Our own words: viewings Saturday.  "}}, format="json")

    assert too_long.status_code == 400
    assert too_long.json() == {
        "code": "invalid",
        "detail": "content.text: 281 weighted characters, at most 280: '" + "a" * 120 + "'",
        "fields": {
            "content.text": [
                {"code": "invalid", "detail": "281 weighted characters, at most 280: '" + "a" * 120 + "'"}
            ]
        },
    }
    assert edited.status_code == 200
    body = edited.json()
    assert (body["content"], body["state"], body["is_edited"], body["decided_by"]) == (
        {"text": "Our own words: viewings Saturday."},
        "suggested",
        True,
        None,
    )


def test_an_edited_email_body_is_sanitised(cast: Cast, copy):
    job = job_make(cast.org_a, copy["campaign"], cast.owner, channels=["email"])
    email = suggestion_make(
        job, channel="email", content={"subject": "S", "preheader": "P", "body_html": "<p>x</p>"}
    )

    response = client_for(cast.owner).patch(
        f"/api/campaigns/ai-suggestions/{email.pk}/",
        {
            "content": {
                "subject": "Open house",
                "preheader": "Sat 10-4",
                "body_html": "<p>Hi</p><script>x()</script>",
            }
        },
        format="json",
    )

    assert response.json()["content"]["body_html"] == "<p>Hi</p>"


def test_several_suggestions_are_reviewed_at_once_or_not_at_all(cast: Cast, copy):
    client = client_for(cast.owner)
    url = f"/api/campaigns/{copy['campaign'].pk}/ai-suggestions/review/"
    ids = [str(copy["first"].pk), str(copy["second"].pk)]

    reviewed = client.post(url, {"decision": "approve", "suggestions": ids}, format="json")
    foreign = client.post(
        url, {"decision": "reject", "suggestions": [ids[0], str(copy["foreign"].pk)]}, format="json"
    )
    random = client.post(url, {"decision": "reject", "suggestions": [ids[0], RANDOM_ID]}, format="json")

    assert reviewed.status_code == 200
    assert [row["state"] for row in reviewed.json()["results"]] == ["approved", "approved"]
    for response, pk in ((foreign, str(copy["foreign"].pk)), (random, RANDOM_ID)):
        detail = f'Invalid pk "{pk}" - object does not exist.'
        assert response.status_code == 400
        assert response.json() == {
            "code": "does_not_exist",
            "detail": detail,
            "fields": {"suggestions": [{"code": "does_not_exist", "detail": detail}]},
        }
    assert _state(copy["first"]) == "approved"  # nothing was rejected
    assert _state(copy["foreign"]) == "suggested"


def test_a_suggestion_of_another_campaign_is_not_reviewed_through_this_one(cast: Cast, copy):
    other = campaign_make(cast.org_a, cast.owner)
    stray = suggestion_make(job_make(cast.org_a, other, cast.owner))

    response = client_for(cast.owner).post(
        f"/api/campaigns/{copy['campaign'].pk}/ai-suggestions/review/",
        {"decision": "approve", "suggestions": [str(stray.pk)]},
        format="json",
    )

    assert (response.status_code, response.json()["code"]) == (400, "does_not_exist")


def test_another_orgs_ids_in_urls_are_the_same_404_as_random_ones(cast: Cast, copy):
    client = client_for(cast.owner)
    foreign, campaign, job = copy["foreign"].pk, copy["foreign_campaign"].pk, copy["foreign_job"].pk
    urls = [
        ("get", "/api/campaigns/ai-suggestions/{}/", foreign),
        ("patch", "/api/campaigns/ai-suggestions/{}/", foreign),
        ("post", "/api/campaigns/ai-suggestions/{}/approve/", foreign),
        ("post", "/api/campaigns/ai-suggestions/{}/reject/", foreign),
        ("post", "/api/campaigns/ai-suggestions/{}/regenerate/", foreign),
        ("get", "/api/campaigns/ai-jobs/{}/", job),
        ("get", "/api/campaigns/{}/ai-jobs/", campaign),
        ("get", "/api/campaigns/{}/ai-suggestions/", campaign),
        ("post", "/api/campaigns/{}/ai-suggestions/review/", campaign),
        ("post", "/api/campaigns/{}/generate/", campaign),
    ]
    for method, url, pk in urls:
        theirs = getattr(client, method)(url.format(pk), {"content": {"text": "x"}}, format="json")
        random = getattr(client, method)(url.format(RANDOM_ID), {"content": {"text": "x"}}, format="json")
        assert (theirs.status_code, theirs.json()) == (404, NOT_FOUND), url
        assert (random.status_code, random.json()) == (404, NOT_FOUND), url
    assert _state(copy["foreign"]) == "suggested"


def test_another_orgs_job_as_a_filter_finds_nothing(cast: Cast, copy):
    client = client_for(cast.owner)
    url = f"/api/campaigns/{copy['campaign'].pk}/ai-suggestions/"

    assert_foreign_ids_find_nothing(client, url, {"job": copy["foreign_job"].pk})


def test_members_see_and_review_copy_only_of_campaigns_that_are_theirs(cast: Cast, copy):
    hidden = campaign_make(cast.org_a, cast.owner)
    hidden_suggestion = suggestion_make(job_make(cast.org_a, hidden, cast.owner))
    member = client_for(cast.member)

    assert member.get(f"/api/campaigns/{hidden.pk}/ai-suggestions/").status_code == 404
    assert member.get(f"/api/campaigns/ai-suggestions/{hidden_suggestion.pk}/").status_code == 404
    assert member.post(f"/api/campaigns/ai-suggestions/{hidden_suggestion.pk}/approve/").status_code == 404
    assert (
        client_for(cast.viewer).post(f"/api/campaigns/ai-suggestions/{copy['first'].pk}/approve/").status_code
        == 403
    )
    assert _state(copy["first"]) == _state(hidden_suggestion) == "suggested"


def test_copy_of_an_archived_campaign_is_read_but_not_changed(cast: Cast, copy):
    with org_context(cast.org_a):
        copy["campaign"].archived_at = timezone.now()
        copy["campaign"].save(update_fields=["archived_at"])
    client = client_for(cast.owner)

    read = client.get(f"/api/campaigns/ai-suggestions/{copy['first'].pk}/")
    approve = client.post(f"/api/campaigns/ai-suggestions/{copy['first'].pk}/approve/")

    assert read.status_code == 200
    assert (approve.status_code, approve.json()["code"]) == (409, "archived")


def test_regenerating_approved_or_replaced_copy_or_twice_at_once_is_a_conflict(cast: Cast, copy, settings):
    settings.OPENAI_API_KEY = "sk-test-local"
    client = client_for(cast.owner)
    first, second = copy["first"], copy["second"]
    client.post(f"/api/campaigns/ai-suggestions/{first.pk}/approve/")

    approved = client.post(f"/api/campaigns/ai-suggestions/{first.pk}/regenerate/", {}, format="json")
    queued = client.post(
        f"/api/campaigns/ai-suggestions/{second.pk}/regenerate/", {"tone": "luxury"}, format="json"
    )
    twice = client.post(f"/api/campaigns/ai-suggestions/{second.pk}/regenerate/", {}, format="json")
    with org_context(cast.org_a):
        Suggestion.objects.filter(pk=second.pk).update(state=SuggestionState.REPLACED)
    replaced = client.post(f"/api/campaigns/ai-suggestions/{second.pk}/regenerate/", {}, format="json")

    assert (approved.status_code, approved.json()["code"]) == (409, "suggestion_approved")
    assert queued.status_code == 202
    assert (queued.json()["tone"], queued.json()["channels"], queued.json()["replaces"]) == (
        "luxury",
        ["x"],
        str(second.pk),
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "regeneration_pending")
    assert (replaced.status_code, replaced.json()["code"]) == (409, "suggestion_replaced")


def test_regenerate_without_an_api_key_is_409_ai_disabled_but_review_still_works(cast: Cast, copy, settings):
    settings.OPENAI_API_KEY = ""
    client = client_for(cast.owner)

    regenerate = client.post(f"/api/campaigns/ai-suggestions/{copy['first'].pk}/regenerate/", {}, format="json")
    approve = client.post(f"/api/campaigns/ai-suggestions/{copy['first'].pk}/approve/")

    assert (regenerate.status_code, regenerate.json()["code"]) == (409, "ai_disabled")
    assert approve.status_code == 200


def test_the_suggestion_list_costs_the_same_queries_for_1_and_50_rows(cast: Cast, copy):
    client = client_for(cast.member)
    url = f"/api/campaigns/{copy['campaign'].pk}/ai-suggestions/"

    def grow() -> None:
        job = job_make(cast.org_a, copy["campaign"], cast.owner, channels=["x"], count=48)
        for n in range(48):
            suggestion_make(job, variant=n)

    assert_flat_query_count(lambda: client.get(url, {"page_size": 50}), grow)
    assert client.get(url, {"page_size": 50}).json()["count"] == 50


def test_the_job_list_costs_the_same_queries_for_1_and_50_rows(cast: Cast, copy):
    client = client_for(cast.member)
    url = f"/api/campaigns/{copy['campaign'].pk}/ai-jobs/"

    def grow() -> None:
        for _ in range(49):
            job_make(cast.org_a, copy["campaign"], cast.owner, replaces=copy["first"])

    assert_flat_query_count(lambda: client.get(url, {"page_size": 50}), grow)
    assert client.get(url, {"page_size": 50}).json()["count"] == 50
