"""The beat reaper: a job whose worker was lost goes back to the queue a bounded number of times, then fails and
gives its reservation back; a job whose message was lost is sent again; a duplicate message runs nothing. (The
worker-killed-mid-job case end to end is in test_concurrency.py.)"""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.conf import settings
from django.utils import timezone

from campaigns.ai import generation, quota
from campaigns.ai.models import GenerationJob, JobState
from campaigns.ai.tasks import reap_stale_jobs, run_generation_job
from campaigns.ai.tests.helpers import campaign_make, job_make, ledger_of
from common.context import org_context
from tenants.testing.fixtures import Cast
from timeline.models import Notification

pytestmark = pytest.mark.django_db


def _stale() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(seconds=settings.AI_JOB_STALE_SECONDS + 5)


def _running(cast: Cast, org=None, **fields) -> GenerationJob:
    org = org or cast.org_a
    owner = cast.owner if org == cast.org_a else cast.other_owner
    campaign = campaign_make(org, owner)
    values = {"state": JobState.RUNNING, "started_at": _stale(), "run_id": uuid.uuid4(), "runs": 1, "progress": 10}
    job = job_make(org, campaign, owner, **{**values, **fields})
    with org_context(org):
        quota.reserve(org=org, job=job, tokens=800)
    return job


def _fresh(job: GenerationJob) -> GenerationJob:
    with org_context(job.org):
        return GenerationJob.objects.get(pk=job.pk)


def test_the_beat_task_has_the_scheduled_name():
    assert reap_stale_jobs.name == "campaigns.ai.reap_stale_jobs"
    assert {"task": "campaigns.ai.reap_stale_jobs", "schedule": 60.0} in settings.CELERY_BEAT_SCHEDULE.values()


def test_a_job_running_past_the_stale_time_goes_back_to_the_queue_keeping_its_reservation(
    cast: Cast, django_capture_on_commit_callbacks
):
    job = _running(cast)
    fresh = _running(cast, started_at=timezone.now())

    with org_context(cast.org_a), django_capture_on_commit_callbacks() as sent:
        counts = generation.jobs_reap(org=cast.org_a)

    assert counts == {"requeued": 1, "failed": 0, "resent": 0}
    reaped = _fresh(job)
    assert (reaped.state, reaped.requeues, reaped.run_id, reaped.progress) == (JobState.QUEUED, 1, None, 0)
    assert reaped.tokens_reserved == 800  # the next run uses it
    assert _fresh(fresh).state == JobState.RUNNING
    assert len(sent) == 1
    assert ledger_of(cast.org_a) == (0, 1600)


def test_after_the_last_requeue_the_job_fails_and_gives_its_tokens_back(cast: Cast):
    job = _running(cast, requeues=generation.MAX_REQUEUES, runs=3)

    with org_context(cast.org_a):
        counts = generation.jobs_reap(org=cast.org_a)

    assert counts == {"requeued": 0, "failed": 1, "resent": 0}
    failed = _fresh(job)
    assert (failed.state, failed.error_code, failed.tokens_reserved, failed.run_id) == (
        JobState.FAILED,
        "ai_timeout",
        0,
        None,
    )
    assert failed.reason == (
        f"The job did not finish within {settings.AI_JOB_STALE_SECONDS} seconds in any of its 3 runs "
        "(its worker stopped or was lost)."
    )
    assert ledger_of(cast.org_a) == (0, 0)
    with org_context(cast.org_a):
        note = Notification.objects.get(target_id=job.campaign_id)
    assert note.message.startswith("AI copy for “Harbour Lofts launch” failed: The job did not finish")


def test_a_job_queued_past_the_stale_time_is_sent_again_without_counting_against_it(
    cast: Cast, django_capture_on_commit_callbacks
):
    campaign = campaign_make(cast.org_a, cast.owner)
    lost = job_make(cast.org_a, campaign, cast.owner, state=JobState.QUEUED, progress=0, queued_at=_stale())

    with org_context(cast.org_a), django_capture_on_commit_callbacks() as sent:
        counts = generation.jobs_reap(org=cast.org_a)

    assert counts == {"requeued": 0, "failed": 0, "resent": 1}
    again = _fresh(lost)
    assert (again.state, again.requeues) == (JobState.QUEUED, 0)
    assert again.queued_at > timezone.now() - datetime.timedelta(seconds=5)
    assert len(sent) == 1


def test_the_beat_task_sweeps_every_active_org(cast: Cast):
    mine, theirs = _running(cast), _running(cast, org=cast.org_b)

    totals = reap_stale_jobs()

    assert totals["requeued"] >= 2
    assert _fresh(mine).state == _fresh(theirs).state == JobState.QUEUED


def test_a_duplicate_message_for_a_job_that_is_not_queued_runs_nothing(cast: Cast):
    running = _running(cast, started_at=timezone.now())
    campaign = campaign_make(cast.org_a, cast.owner)
    done = job_make(cast.org_a, campaign, cast.owner)

    with org_context(cast.org_a):
        outcomes = [
            run_generation_job(str(running.pk)),
            run_generation_job(str(done.pk)),
            run_generation_job(str(uuid.uuid4())),
        ]

    assert outcomes == ["skipped", "skipped", "skipped"]
    assert _fresh(running).run_id == running.run_id
