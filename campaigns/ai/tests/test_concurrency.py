"""Fifty generation requests across five orgs with small quotas, run by a real worker that is killed once in the
middle of a job: spend never passes a quota, the ledger is exactly the sum of its jobs, and every accepted job
ends exactly once (the beat reaper brings back the one the dead worker held)."""

from __future__ import annotations

import collections
import json
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connections

from campaigns.ai import prompts
from campaigns.ai.models import GenerationJob, JobState, Suggestion, TokenLedger
from campaigns.ai.services import campaign_facts
from campaigns.ai.tasks import reap_stale_jobs
from campaigns.ai.tests import openai_server as oa
from campaigns.ai.tests.helpers import campaign_make, committed, committed_cleanup
from common.context import org_context
from common.models import Profile, Role, User
from tenants.models import Org
from tenants.testing.fixtures import PASSWORD, Cast, celery_worker_started, client_for
from tenants.testing.local_http import ReceivedRequest, Reply, local_http_server

pytestmark = pytest.mark.django_db

KEY = "sk-test-local"
REQUESTS_PER_ORG = 10
CHANNELS = ["x", "sms"]
STALE_SECONDS = 3
# Every request's notes have the same length, so every job reserves the same estimate.
PLAIN, REPAIRED, SLOW = "plain", "retry", "sleep"
SLOW_ORG = 2


@pytest.fixture
def five_orgs(cast: Cast):
    """Alpha and Bravo, and three more orgs made as sign-up makes them, each with its owner: committed, and
    removed with their schemas afterwards."""

    def make() -> list[tuple[Org, Profile]]:
        from tenants.orgs.provisioning import org_create

        made = []
        for n in range(3):
            tag = uuid.uuid4().hex[:8]
            org = org_create(name=f"Quota Realty {n}", slug=f"quota-{n}-{tag}")
            user = User.objects.create_user(email=f"owner-{tag}@quota.test", password=PASSWORD)
            made.append((org, Profile.objects.create(user=user, org=org, role=Role.OWNER)))
        return made

    extra = committed(make)
    orgs = [(cast.org_a, cast.owner), (cast.org_b, cast.other_owner), *extra]
    campaigns: list[Any] = []
    yield orgs, campaigns

    committed_cleanup([cast.org_a, cast.org_b], campaigns)

    def remove() -> None:
        Org.objects.filter(pk__in=[cast.org_a.pk, cast.org_b.pk]).update(ai_monthly_token_quota=None)
        for org, profile in extra:
            Profile.objects.filter(org=org).delete()
            User.objects.filter(pk=profile.user_id).delete()
            Org.objects.get(pk=org.pk).delete(force_drop=True)

    committed(remove)


class ScriptedByNotes:
    """Answers by what the request's notes say: `retry` gets an over-long post first (a repair follows), `sleep`
    hangs the first time (while the test kills the worker), anything else a good answer at once."""

    def __init__(self) -> None:
        self.slow_arrived = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, request: ReceivedRequest) -> Reply:
        notes = oa.data_of(request)["requester_notes"]
        is_repair = len(request.json()["messages"]) > 2
        if notes == SLOW:
            with self._lock:
                first = not self.slow_arrived.is_set()
                self.slow_arrived.set()
            if first:
                time.sleep(8)  # nobody is listening by then: the worker was killed
        if notes == REPAIRED and not is_repair:
            channels, count = oa.requested(request)
            answer = {channel: [oa.variant(channel, i) for i in range(count)] for channel in channels}
            answer["x"][0]["text"] = "Far too long for X. " * 20
            return oa.chat_reply(request, json.dumps(answer))
        return oa.good_answer(request)


def _estimate(campaign: Any) -> int:
    data = prompts.data_message(
        channels=CHANNELS,
        count=1,
        language="en",
        tone="professional",
        campaign=campaign_facts(campaign),
        properties=[],
        instructions=PLAIN,
    )
    return prompts.reservation(
        prompts.first_messages(data),
        prompts.response_format(CHANNELS, 1),
        prompts.completion_budget(CHANNELS, 1),
    )


def test_fifty_jobs_across_five_orgs_never_overspend_and_survive_a_killed_worker(cast: Cast, five_orgs, settings):
    orgs, campaign_ids = five_orgs
    settings.OPENAI_API_KEY = KEY
    settings.AI_REQUESTS_PER_MINUTE_PER_MEMBER = 1000
    started = time.monotonic()

    def setup() -> tuple[list[Any], dict[Any, int]]:
        made, quotas = [], {}
        for n, (org, owner) in enumerate(orgs):
            campaign = campaign_make(org, owner, name="Quota run")
            made.append(campaign)
            # Room for two or three jobs at a time, differing per org; the org that gets the slow job has room
            # for all of its jobs, so the one the worker dies in is surely accepted.
            share = REQUESTS_PER_ORG + 1 if n == SLOW_ORG else 2.4 + 0.2 * n
            quotas[org.pk] = int(_estimate(campaign) * share)
            Org.objects.filter(pk=org.pk).update(ai_monthly_token_quota=quotas[org.pk])
        return made, quotas

    campaigns, quotas = committed(setup)
    campaign_ids.extend(campaign.pk for campaign in campaigns)

    # Which request carries which notes: one slow job (the one the worker dies in), some needing a repair; each
    # is sent after its own short delay, so requests, reservations and settlements interleave.
    rng = random.Random(7)
    plan = [(n, PLAIN) for n in range(len(orgs)) for _ in range(REQUESTS_PER_ORG)]
    for index in rng.sample(range(len(plan)), 12):
        plan[index] = (plan[index][0], REPAIRED)
    slow_index = next(i for i, (n, notes) in enumerate(plan) if n == SLOW_ORG and notes == PLAIN)
    plan[slow_index] = (SLOW_ORG, SLOW)
    rng.shuffle(plan)
    delays = [rng.random() * 1.5 for _ in plan]

    def ask(step: tuple[tuple[int, str], float]) -> tuple[int, int, dict[str, Any]]:
        (n, notes), delay = step
        try:
            time.sleep(delay)
            owner = orgs[n][1]
            response = client_for(owner).post(
                f"/api/campaigns/{campaigns[n].pk}/generate/",
                {"channels": CHANNELS, "instructions": notes},
                format="json",
            )
            return n, response.status_code, response.json()
        finally:
            connections.close_all()

    answer = ScriptedByNotes()
    env = {
        "OPENAI_API_KEY": KEY,
        "AI_TIMEOUT_SECONDS": "2",
        "AI_MAX_RETRIES": "0",
        "AI_JOB_STALE_SECONDS": str(STALE_SECONDS),
        "ORG_POOL_SIZE": "0",
    }
    with local_http_server(answer) as server:
        env["OPENAI_BASE_URL"] = server.url + "/v1"
        with celery_worker_started(extra_env=env) as first_worker:
            # Killed the moment the slow job reaches the model: mid-job, its message unacknowledged, well before
            # the call's own timeout would end it.
            killer = threading.Thread(target=_kill_when, args=(answer.slow_arrived, first_worker))
            killer.start()
            with ThreadPoolExecutor(max_workers=10) as pool:
                results = list(pool.map(ask, zip(plan, delays, strict=True)))
            accepted = [(n, body["id"]) for n, code, body in results if code == 202]
            slow_job = next(
                body["id"]
                for (n, code, body), (_, notes) in zip(results, plan, strict=True)
                if notes == SLOW and code == 202
            )
            killer.join()
            assert answer.slow_arrived.is_set(), "the slow job never reached the model"

        with celery_worker_started(extra_env=env) as second_worker:
            # The dead worker's job stays running until beat's reaper finds it stale; a job it had prefetched
            # stays queued with its message lost. Beat sends the reaper again and again until all is done.
            assert _states(orgs, accepted)[slow_job] == JobState.RUNNING
            reaped: collections.Counter[str] = collections.Counter()
            deadline = time.monotonic() + 45
            while not _all_finished(orgs, accepted) and time.monotonic() < deadline:
                time.sleep(STALE_SECONDS)
                reaped.update(reap_stale_jobs.apply_async().get(timeout=30))  # from the public schema, as beat
            assert _all_finished(orgs, accepted)
            assert reaped["requeued"] == 1
            assert second_worker.poll() is None
        requests_seen = len(server.requests)

    refused = [(n, body) for n, code, body in results if code != 202]
    assert len(accepted) + len(refused) == len(plan)
    assert refused, "the quotas never bound: the test proves nothing"
    assert all(body["code"] == "ai_quota_exceeded" for _, body in refused), refused
    calls = 0
    for n, (org, _owner) in enumerate(orgs):
        jobs, ledger, per_job = committed(lambda org=org, campaign=campaigns[n]: _outcome(org, campaign))
        assert sorted(str(job.pk) for job in jobs) == sorted(job_id for m, job_id in accepted if m == n)
        assert ledger.used <= quotas[org.pk], "spend passed the quota"
        assert ledger.reserved == 0
        assert ledger.used == sum(job.tokens_used for job in jobs), "the ledger is not the sum of its jobs"
        for job in jobs:
            assert job.tokens_reserved == 0
            if job.state == JobState.SUCCEEDED:
                assert per_job[job.pk] == len(CHANNELS), "a job's copy was lost or written twice"
            else:
                assert (job.state, job.error_code, per_job[job.pk]) == (JobState.FAILED, "ai_quota_exceeded", 0)
        calls += sum(job.provider_calls for job in jobs)
        if n == SLOW_ORG:
            slow = next(job for job in jobs if str(job.pk) == slow_job)
            assert (slow.state, slow.runs, slow.requeues) == (JobState.SUCCEEDED, 2, 1)
    # Every request the model saw was settled exactly once, except the one the killed worker never heard back.
    assert requests_seen == calls + 1
    assert time.monotonic() - started < 60


# The test reads on threads of their own: a read on the test's own connection would hold locks on the extra
# orgs' tables until its transaction ends, and the clean-up could not drop their schemas.


def _outcome(org: Org, campaign: Any) -> tuple[list[GenerationJob], TokenLedger, dict[Any, int]]:
    with org_context(org):
        jobs = list(GenerationJob.objects.filter(campaign=campaign))
        ledger = TokenLedger.objects.get()
        suggestions = Suggestion.objects.filter(campaign=campaign)
        return jobs, ledger, {job.pk: suggestions.filter(job=job).count() for job in jobs}


def _kill_when(event: threading.Event, worker: Any) -> None:
    if event.wait(timeout=60):
        worker.kill()
    worker.wait()


def _all_finished(orgs: list[tuple[Org, Profile]], accepted: list[tuple[int, str]]) -> bool:
    finished = (JobState.SUCCEEDED, JobState.FAILED)
    return all(state in finished for state in _states(orgs, accepted).values())


def _states(orgs: list[tuple[Org, Profile]], accepted: list[tuple[int, str]]) -> dict[str, str]:
    return committed(lambda: _states_now(orgs, accepted))


def _states_now(orgs: list[tuple[Org, Profile]], accepted: list[tuple[int, str]]) -> dict[str, str]:
    states: dict[str, str] = {}
    for n, (org, _owner) in enumerate(orgs):
        ids = [job_id for m, job_id in accepted if m == n]
        with org_context(org):
            states.update(
                {
                    str(pk): state
                    for pk, state in GenerationJob.objects.filter(pk__in=ids).values_list("pk", "state")
                }
            )
    return states
