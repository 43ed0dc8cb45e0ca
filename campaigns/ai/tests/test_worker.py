"""Generation jobs run by a real Celery worker against a local OpenAI-compatible server: a good answer, malformed
JSON, over-long headlines (repaired, or failing after the one repair), rate limits, server errors, a hang past the
timeout, a refusal, a repair the quota cannot cover, and regenerating one suggestion in another language.

The worker and the server live for the whole module; each test scripts the server's next answers. What the
worker commits is outside the test's transaction, so requests are made on a thread of their own (committed)
and everything is removed afterwards."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from campaigns.ai import prompts
from campaigns.ai.models import GenerationJob, Suggestion
from campaigns.ai.tests import openai_server as oa
from campaigns.ai.tests.helpers import (
    campaign_make,
    committed,
    committed_cleanup,
    job_fresh,
    ledger_of,
    wait_finished,
    wait_for,
)
from common.context import org_context
from tenants.models import Org
from tenants.testing.fixtures import Cast, celery_worker_started, client_for
from tenants.testing.local_http import ReceivedRequest, Reply, local_http_server
from timeline.models import Notification

pytestmark = pytest.mark.django_db

KEY = "sk-test-local"
TIMEOUT_SECONDS = 1
RETRIES = 1


@pytest.fixture(scope="module")
def fake() -> oa.FakeOpenAI:
    return oa.FakeOpenAI()


@pytest.fixture(scope="module")
def server(fake):
    with local_http_server(fake) as running:
        yield running


@pytest.fixture(scope="module")
def worker(server, _cast_ids):
    env = {
        "OPENAI_API_KEY": KEY,
        "OPENAI_BASE_URL": server.url + "/v1",
        "AI_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
        "AI_MAX_RETRIES": str(RETRIES),
    }
    with celery_worker_started(extra_env=env) as process:
        yield process


class World:
    """The test's view of the committed world: campaigns it made, requests it sent."""

    def __init__(self, cast: Cast, server: Any, fake: oa.FakeOpenAI) -> None:
        self.cast, self.server, self.fake = cast, server, fake
        self.campaign_ids: list[Any] = []

    def campaign(self, **fields: Any) -> Any:
        campaign = committed(lambda: campaign_make(self.cast.org_a, self.cast.owner, **fields))
        self.campaign_ids.append(campaign.pk)
        return campaign

    def post(self, url: str, body: dict[str, Any], who: Any = None) -> Any:
        client = client_for(who or self.cast.owner)
        return committed(lambda: client.post(url, body, format="json"))

    def generate(self, campaign: Any, **body: Any) -> GenerationJob:
        response = self.post(f"/api/campaigns/{campaign.pk}/generate/", {"channels": ["x"], **body})
        assert response.status_code == 202, response.json()
        return wait_finished(self.cast.org_a, response.json()["id"])

    def suggestions(self, job: GenerationJob) -> list[Suggestion]:
        with org_context(self.cast.org_a):
            return list(Suggestion.objects.filter(job=job).order_by("channel", "variant"))


@pytest.fixture
def world(cast: Cast, settings, fake, server, worker):
    settings.OPENAI_API_KEY = KEY
    settings.OPENAI_BASE_URL = server.url + "/v1"
    fake.reset()
    server.requests.clear()
    made = World(cast, server, fake)
    yield made
    committed_cleanup([cast.org_a], made.campaign_ids)
    committed(lambda: Org.objects.filter(pk=cast.org_a.pk).update(ai_monthly_token_quota=None))
    assert worker.poll() is None, "the worker died"


def _no_active_tokens(org: Org, job: GenerationJob) -> None:
    assert job.tokens_reserved == 0
    assert ledger_of(org) == (job.tokens_used, 0)


def test_a_good_answer_becomes_suggestions_and_the_real_usage_is_counted(world: World, cast: Cast):
    campaign = world.campaign(description="24 waterfront flats.")

    job = world.generate(campaign, channels=["google_ads", "email", "sms"], count=2, instructions="Sea views.")

    assert (job.state, job.progress, job.error_code, job.reason) == ("succeeded", 100, "", "")
    assert (job.runs, job.provider_calls) == (1, 1)
    [request] = world.server.requests
    sent = request.json()
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert sent["model"] == "gpt-4o-mini"
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["strict"] is True
    assert sent["response_format"]["json_schema"]["schema"]["required"] == ["google_ads", "email", "sms"]
    assert sent["max_completion_tokens"] == prompts.completion_budget(["google_ads", "email", "sms"], 2)
    assert sent["messages"][0] == {"role": "system", "content": prompts.SYSTEM_PROMPT}
    assert json.loads(sent["messages"][1]["content"])["requester_notes"] == "Sea views."
    # Exactly the tokens the provider reported, nothing held back any more.
    reply = oa.good_answer(request).body["usage"]["total_tokens"]
    assert job.tokens_used == reply
    _no_active_tokens(cast.org_a, job)
    suggestions = world.suggestions(job)
    assert [(s.channel, s.variant, s.state, s.language) for s in suggestions] == [
        ("email", 0, "suggested", "en"),
        ("email", 1, "suggested", "en"),
        ("google_ads", 0, "suggested", "en"),
        ("google_ads", 1, "suggested", "en"),
        ("sms", 0, "suggested", "en"),
        ("sms", 1, "suggested", "en"),
    ]
    assert suggestions[2].content == oa.variant("google_ads", 0)
    # The email body is kept as sanitised HTML: links get rel, nothing else changes here.
    assert suggestions[0].content["body_html"] == (
        "<p>Harbour Lofts, variant 1.</p>"
        '<p><a href="https://example.test/v" rel="noopener noreferrer">Book</a></p>'
    )
    with org_context(cast.org_a):
        note = Notification.objects.get(target_id=campaign.pk)
    assert (note.recipient_id, note.kind) == (cast.owner.pk, "ai_job_finished")
    assert note.message == "AI copy for “Harbour Lofts launch” is ready: 6 suggestion(s) to review."


def test_unsafe_email_html_is_sanitised_before_it_is_stored(world: World, cast: Cast):
    def scripted(request: ReceivedRequest) -> Reply:
        email = {
            "subject": "Open house",
            "preheader": "Saturday 10-4",
            "body_html": '<p onclick="steal()">Come by</p><script>alert(1)</script><img src=x onerror=y>'
            '<a href="javascript:alert(2)">x</a>',
        }
        return oa.chat_reply(request, json.dumps({"email": [email]}))

    world.fake.script(scripted)
    job = world.generate(world.campaign(), channels=["email"])

    [suggestion] = world.suggestions(job)
    assert suggestion.content["body_html"] == '<p>Come by</p><a rel="noopener noreferrer">x</a>'


def test_malformed_json_gets_one_repair_that_is_told_what_was_wrong(world: World, cast: Cast):
    world.fake.script(oa.malformed_json_answer, oa.good_answer)

    job = world.generate(world.campaign(), channels=["google_ads"])

    assert (job.state, job.provider_calls) == ("succeeded", 2)
    first, repair = world.server.requests
    messages = repair.json()["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[:2] == first.json()["messages"]
    assert messages[2]["content"] == '{"google_ads": [{"headlines": ["Cut off'
    problems = json.loads(messages[3]["content"])
    assert problems["kind"] == "repair"
    assert problems["problems"][0].startswith("answer: is not valid JSON")
    # Both calls are counted, exactly.
    assert job.tokens_used == sum(
        oa.usage_for(request, answer)["total_tokens"]
        for request, answer in ((first, messages[2]["content"]), (repair, _content_of(oa.good_answer(repair))))
    )
    _no_active_tokens(cast.org_a, job)
    assert len(world.suggestions(job)) == 1


def _content_of(reply: Reply) -> str:
    return reply.body["choices"][0]["message"]["content"]


def test_malformed_json_twice_fails_with_ai_invalid_output(world: World, cast: Cast):
    world.fake.script(oa.malformed_json_answer, oa.malformed_json_answer)

    job = world.generate(world.campaign(), channels=["google_ads"])

    assert (job.state, job.error_code, job.provider_calls) == ("failed", "ai_invalid_output", 2)
    assert job.reason.startswith(
        "The model's copy broke the channel rules after one repair: answer: is not valid JSON"
    )
    assert world.suggestions(job) == []
    _no_active_tokens(cast.org_a, job)
    assert job.tokens_used > 0  # failed calls still cost what the provider reported


def test_over_long_headlines_are_repaired_then_accepted(world: World, cast: Cast):
    world.fake.script(oa.long_headlines_answer, oa.good_answer)

    job = world.generate(world.campaign(), channels=["google_ads"])

    assert (job.state, job.provider_calls) == ("succeeded", 2)
    repair = json.loads(world.server.requests[1].json()["messages"][3]["content"])
    assert repair["problems"] == [
        "google_ads.0.headlines.0: 47 characters, at most 30: 'A headline that runs far past thirty characters'"
    ]
    [suggestion] = world.suggestions(job)
    assert suggestion.content["headlines"][0] == "Harbour Lofts 1"


def test_over_long_headlines_after_the_repair_fail_with_the_reason(world: World, cast: Cast):
    world.fake.script(oa.long_headlines_answer, oa.long_headlines_answer)

    job = world.generate(world.campaign(), channels=["google_ads"], count=2)

    assert (job.state, job.error_code) == ("failed", "ai_invalid_output")
    assert job.reason == (
        "The model's copy broke the channel rules after one repair: "
        "google_ads.0.headlines.0: 47 characters, at most 30: 'A headline that runs far past thirty characters'; "
        "google_ads.1.headlines.0: 47 characters, at most 30: 'A headline that runs far past thirty characters'"
    )
    assert world.suggestions(job) == []
    _no_active_tokens(cast.org_a, job)
    response = client_for(cast.viewer).get(f"/api/campaigns/ai-jobs/{job.pk}/")
    assert (response.json()["state"], response.json()["error_code"]) == ("failed", "ai_invalid_output")


def test_a_429_is_retried_with_backoff_then_succeeds(world: World, cast: Cast):
    world.fake.script(oa.error_answer(429, "slow down", {"retry-after-ms": "50"}), oa.good_answer)

    job = world.generate(world.campaign())

    assert (job.state, job.provider_calls) == ("succeeded", 1)
    assert len(world.server.requests) == 2
    _no_active_tokens(cast.org_a, job)


def test_429_every_time_fails_with_ai_rate_limited_and_costs_nothing(world: World, cast: Cast):
    world.fake.default = oa.error_answer(429, "slow down", {"retry-after-ms": "20"})

    job = world.generate(world.campaign())

    assert (job.state, job.error_code, job.provider_calls) == ("failed", "ai_rate_limited", 0)
    assert "429" in job.reason and "slow down" in job.reason
    assert len(world.server.requests) == 1 + RETRIES
    assert (job.tokens_used, ledger_of(cast.org_a)) == (0, (0, 0))


def test_a_500_is_retried_then_fails_with_ai_unavailable(world: World, cast: Cast):
    world.fake.default = oa.error_answer(500, "the model is down")

    job = world.generate(world.campaign())

    assert (job.state, job.error_code) == ("failed", "ai_unavailable")
    assert job.reason == "The AI provider failed (the AI provider answered 500: the model is down)."
    assert len(world.server.requests) == 1 + RETRIES
    assert ledger_of(cast.org_a) == (0, 0)


def test_a_500_then_an_answer_succeeds(world: World):
    world.fake.script(oa.error_answer(502, "bad gateway"), oa.good_answer)

    job = world.generate(world.campaign())

    assert job.state == "succeeded"


def test_an_answer_that_is_not_a_chat_completion_fails_with_ai_unavailable(world: World):
    world.fake.default = lambda request: Reply(200, "<html>maintenance</html>", {"Content-Type": "text/html"})

    job = world.generate(world.campaign())

    assert (job.state, job.error_code) == ("failed", "ai_unavailable")
    assert job.reason == "The AI provider's answer was not a chat completion."


def test_a_hang_past_the_timeout_fails_with_ai_timeout_and_shows_it_running_meanwhile(world: World, cast: Cast):
    world.fake.default = oa.hanging_answer(4)
    campaign = world.campaign()
    started = time.monotonic()
    response = world.post(f"/api/campaigns/{campaign.pk}/generate/", {"channels": ["x"]})
    job_id = response.json()["id"]

    assert wait_for(lambda: job_fresh(cast.org_a, job_id).state == "running", timeout=30)
    running = client_for(cast.owner).get(f"/api/campaigns/ai-jobs/{job_id}/").json()
    assert (running["state"], running["progress"]) == ("running", 10)
    job = wait_finished(cast.org_a, job_id)

    assert (job.state, job.error_code) == ("failed", "ai_timeout")
    assert job.reason == f"The AI provider did not answer within {TIMEOUT_SECONDS} seconds."
    assert len(world.server.requests) == 1 + RETRIES
    assert time.monotonic() - started < 20
    assert ledger_of(cast.org_a) == (0, 0)


def test_a_refusal_fails_with_ai_invalid_output(world: World):
    world.fake.script(lambda request: oa.chat_reply(request, None, refusal="I can't help with that."))

    job = world.generate(world.campaign())

    assert (job.state, job.error_code, job.provider_calls) == ("failed", "ai_invalid_output", 1)
    assert job.reason == "The model refused to write this copy: I can't help with that."


def test_a_repair_the_quota_cannot_cover_fails_with_ai_quota_exceeded(world: World, cast: Cast):
    org = cast.org_a

    def quota_shrinks_to_what_is_held(request: ReceivedRequest) -> Reply:
        # While the first call runs, the platform lowers the quota to exactly what the job holds.
        def shrink() -> None:
            used, reserved = ledger_of(org)
            Org.objects.filter(pk=org.pk).update(ai_monthly_token_quota=used + reserved)

        committed(shrink)
        return oa.long_headlines_answer(request)

    world.fake.script(quota_shrinks_to_what_is_held)

    job = world.generate(world.campaign(), channels=["google_ads"])

    assert (job.state, job.error_code, job.provider_calls) == ("failed", "ai_quota_exceeded", 1)
    assert "It resets at " in job.reason
    assert len(world.server.requests) == 1  # the repair was never sent
    _no_active_tokens(org, job)


def test_regenerating_one_suggestion_in_another_language_replaces_it(world: World, cast: Cast):
    campaign = world.campaign()
    first = world.generate(campaign, channels=["x", "sms"], instructions="Mention the terrace.")
    old = next(s for s in world.suggestions(first) if s.channel == "x")

    response = world.post(f"/api/campaigns/ai-suggestions/{old.pk}/regenerate/", {"language": "fr"})

    assert response.status_code == 202, response.json()
    assert (response.json()["channels"], response.json()["count"], response.json()["language"]) == (["x"], 1, "fr")
    assert response.json()["replaces"] == str(old.pk)
    job = wait_finished(cast.org_a, response.json()["id"])
    assert job.state == "succeeded"
    sent = json.loads(world.server.requests[-1].json()["messages"][1]["content"])
    assert sent["request"]["language"] == "fr"
    assert sent["avoid"] == old.content
    assert sent["requester_notes"] == "Mention the terrace."
    [new] = world.suggestions(job)
    assert (new.channel, new.language, new.replaces_id, new.state) == ("x", "fr", old.pk, "suggested")
    with org_context(cast.org_a):
        assert Suggestion.objects.get(pk=old.pk).state == "replaced"
    # A replaced suggestion is history: it can no longer be approved or regenerated.
    again = world.post(f"/api/campaigns/ai-suggestions/{old.pk}/approve/", {})
    assert (again.status_code, again.json()["code"]) == (409, "suggestion_replaced")


def test_a_run_that_lost_its_job_writes_no_copy_but_counts_what_it_spent(world: World, cast: Cast):
    campaign = world.campaign()

    def reaper_takes_the_job_meanwhile(request: ReceivedRequest) -> Reply:
        # As if the reaper had taken the job for lost while the model was still answering.
        committed(lambda: _requeue_jobs_of(cast.org_a, campaign.pk))
        return oa.good_answer(request)

    world.fake.script(reaper_takes_the_job_meanwhile)
    response = world.post(f"/api/campaigns/{campaign.pk}/generate/", {"channels": ["x"]})
    job_id = response.json()["id"]
    held = response.json()["tokens_reserved"]

    assert wait_for(lambda: job_fresh(cast.org_a, job_id).tokens_used > 0, timeout=30)
    time.sleep(0.5)  # the lost run has stopped: nothing more is written
    job = job_fresh(cast.org_a, job_id)
    spent = oa.usage_for(world.server.requests[0], _content_of(oa.good_answer(world.server.requests[0])))
    assert (job.state, job.provider_calls, job.run_id) == ("queued", 0, None)
    assert job.tokens_used == spent["total_tokens"]
    assert job.tokens_reserved == held  # still the job's, for its next run
    assert ledger_of(cast.org_a) == (spent["total_tokens"], held)
    assert world.suggestions(job) == []


def _requeue_jobs_of(org: Org, campaign_id: Any) -> None:
    with org_context(org):
        GenerationJob.objects.filter(campaign_id=campaign_id).update(state="queued", run_id=None, requeues=1)
