"""Running a generation job in the worker, and reaping the ones whose worker was lost.

A run claims the queued job (one conditional UPDATE: a duplicate message finds nothing to claim), calls the model
with the job's reservation, settles the real usage, checks the answer against every channel's rules, asks once
for a repair when it breaks them, and stores the suggestions. Every write checks that the run still owns the
job, so a run that the reaper gave up on writes no copy.
"""

from __future__ import annotations

import datetime
import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns.ai import prompts, provider, quota
from campaigns.ai.channels import CheckedAnswer, Problem, answer_check
from campaigns.ai.models import GenerationJob, JobState, Suggestion, SuggestionState
from campaigns.ai.provider import AI_DISABLED, AI_INVALID_OUTPUT, AI_TIMEOUT, ProviderError
from tenants.models import Org
from timeline.models import NotificationKind
from timeline.notifications import notify

logger = logging.getLogger("crm.campaigns.ai")

# The share of AI_JOB_STALE_SECONDS a run may spend waiting on the provider: a live run always ends before the
# reaper could take it for a lost one.
RUN_BUDGET_SHARE = 0.8
# The SDK's longest backoff between two attempts (openai._constants.MAX_RETRY_DELAY).
BACKOFF_PER_RETRY_SECONDS = 8.0
# Times the reaper puts a job whose worker was lost back in the queue before failing it.
MAX_REQUEUES = 2
REASON_MAX = 1_000

PROGRESS_CLAIMED, PROGRESS_ANSWERED, PROGRESS_REPAIRING, PROGRESS_DONE = 10, 50, 70, 100


@dataclass
class Run:
    job: GenerationJob
    run_id: uuid.UUID
    started: float  # monotonic

    def seconds_left(self) -> float:
        return settings.AI_JOB_STALE_SECONDS * RUN_BUDGET_SHARE - (time.monotonic() - self.started)


class RunEnded(Exception):
    """The run stops here: the job was failed, or it is no longer this run's."""


def _claim(job_id: Any) -> Run | None:
    with transaction.atomic():
        job: GenerationJob | None = GenerationJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state != JobState.QUEUED:
            return None  # finished, running elsewhere, or gone with its campaign
        job.state, job.run_id, job.runs = JobState.RUNNING, uuid.uuid4(), job.runs + 1
        job.started_at, job.progress = timezone.now(), PROGRESS_CLAIMED
        job.save(update_fields=["state", "run_id", "runs", "started_at", "progress", "updated_at"])
    return Run(job=job, run_id=job.run_id, started=time.monotonic())


def _owned(run: Run) -> GenerationJob | None:
    """The job, row-locked, while this run still owns it (call inside a transaction)."""
    job: GenerationJob | None = GenerationJob.objects.select_for_update().filter(pk=run.job.pk).first()
    if job is None or job.state != JobState.RUNNING or job.run_id != run.run_id:
        return None
    run.job = job
    return job


def _notify_finished(org: Org, job: GenerationJob, message: str) -> None:
    if job.created_by_id is None:
        return
    notify(
        org=org,
        actor=None,
        recipient_ids=[job.created_by_id],
        kind=NotificationKind.AI_JOB_FINISHED,
        target_type="campaigns.campaign",
        target_id=job.campaign_id,
        message=message,
    )


def _campaign_name(job: GenerationJob) -> str:
    return job.campaign.name


def _fail_locked(org: Org, job: GenerationJob, code: str, reason: str) -> None:
    quota.release(org=org, job=job)
    job.state, job.error_code, job.reason = JobState.FAILED, code, reason[:REASON_MAX]
    job.progress, job.finished_at, job.run_id = PROGRESS_DONE, timezone.now(), None
    job.save(update_fields=["state", "error_code", "reason", "progress", "finished_at", "run_id", "updated_at"])
    _notify_finished(org, job, f"AI copy for “{_campaign_name(job)}” failed: {job.reason}")
    logger.info("AI job %s failed: %s %s", job.pk, code, reason)


def _fail(org: Org, run: Run, code: str, reason: str) -> RunEnded:
    with transaction.atomic():
        job = _owned(run)
        if job is not None:
            _fail_locked(org, job, code, reason)
    return RunEnded(code)


def _progress(run: Run, progress: int) -> None:
    GenerationJob.objects.filter(pk=run.job.pk, run_id=run.run_id).update(
        progress=progress, updated_at=timezone.now()
    )


def _reserve(org: Org, run: Run, tokens: int) -> None:
    """Make the job hold a reservation covering the next call, or fail it (`ai_quota_exceeded`). RunEnded is
    raised once the failure is committed."""
    with transaction.atomic():
        job = _owned(run)
        if job is None:
            ended = "lost"
        else:
            try:
                with transaction.atomic():  # a refused reservation leaves the job as it was, to be failed below
                    quota.reserve_at_least(org=org, job=job, tokens=tokens)
                return
            except quota.QuotaExceeded as exceeded:
                _fail_locked(org, job, exceeded.code, str(exceeded.detail))
                ended = exceeded.code
    raise RunEnded(ended)


def _settle(org: Org, run: Run, answer: provider.Answer, reserved_for_call: int) -> None:
    """Count the call's real usage (a server that reports none is charged what was set aside for the call) and
    free the job's reservation. A run that lost the job still counts what it spent, but leaves the reservation to
    the job's new run, and stops."""
    used = answer.tokens_used if answer.tokens_used is not None else reserved_for_call
    with transaction.atomic():
        owned = _owned(run)
        if owned is not None:
            quota.settle(org=org, job=owned, used=used)
            owned.provider_calls += 1
            owned.save(update_fields=["provider_calls", "updated_at"])
            return
        lost = GenerationJob.objects.select_for_update().filter(pk=run.job.pk).first()
        if lost is not None:
            quota.settle(org=org, job=lost, used=used, release=False)
    raise RunEnded("lost")


def _call(org: Org, run: Run, messages: list[dict[str, str]]) -> provider.Answer:
    """One provider call under a reservation that covers it; its real usage settled as soon as it returns."""
    job = run.job
    response_format = prompts.response_format(job.channels, job.count)
    budget = prompts.completion_budget(job.channels, job.count)
    tokens = prompts.reservation(messages, response_format, budget)
    _reserve(org, run, tokens)
    retries = int(settings.AI_MAX_RETRIES)
    timeout = min(
        float(settings.AI_TIMEOUT_SECONDS),
        (run.seconds_left() - BACKOFF_PER_RETRY_SECONDS * retries) / (retries + 1),
    )
    if timeout < 1:
        raise _fail(org, run, AI_TIMEOUT, "The job ran out of time before the AI provider could answer.")
    try:
        answer = provider.chat_complete(
            messages=messages, response_format=response_format, max_completion_tokens=budget, timeout=timeout
        )
    except ProviderError as error:
        raise _fail(org, run, error.code, error.reason) from None
    _settle(org, run, answer, tokens)
    return answer


def _checked(answer: provider.Answer, job: GenerationJob) -> CheckedAnswer:
    if answer.content is None:
        refusal = answer.refusal or "no text in the answer"
        return CheckedAnswer({}, [Problem("answer", f"no copy was written ({refusal})")])
    try:
        parsed = json.loads(answer.content)
    except ValueError as error:
        problems = [Problem("answer", f"is not valid JSON ({error})")]
        if answer.finish_reason == "length":
            problems.append(Problem("answer", "was cut off at the output limit: write shorter copy"))
        return CheckedAnswer({}, problems)
    return answer_check(parsed, job.channels, job.count)


def _reason(problems: list[Problem]) -> str:
    shown = "; ".join(str(problem) for problem in problems[:8])
    more = f" (and {len(problems) - 8} more)" if len(problems) > 8 else ""
    return f"The model's copy broke the channel rules after one repair: {shown}{more}"[:REASON_MAX]


def _succeed(org: Org, run: Run, checked: CheckedAnswer) -> None:
    with transaction.atomic():
        job = _owned(run)
        if job is None:
            raise RunEnded("lost")
        suggestions = [
            Suggestion(
                org=org,
                campaign_id=job.campaign_id,
                job=job,
                channel=channel,
                language=job.language,
                variant=index,
                content=content,
                replaces_id=job.replaces_id,
                created_by_id=job.created_by_id,
                updated_by_id=job.created_by_id,
            )
            for channel in job.channels
            for index, content in enumerate(checked.variants[channel])
        ]
        Suggestion.objects.bulk_create(suggestions)
        if job.replaces_id is not None:
            # A regeneration takes the old variant's place unless a member approved it meanwhile.
            Suggestion.objects.for_org(org).filter(
                pk=job.replaces_id, state__in=(SuggestionState.SUGGESTED, SuggestionState.REJECTED)
            ).update(state=SuggestionState.REPLACED, updated_at=timezone.now())
        quota.release(org=org, job=job)
        job.state, job.progress, job.finished_at, job.run_id = (
            JobState.SUCCEEDED,
            PROGRESS_DONE,
            timezone.now(),
            None,
        )
        job.save(update_fields=["state", "progress", "finished_at", "run_id", "updated_at"])
        count = len(suggestions)
        _notify_finished(
            org, job, f"AI copy for “{_campaign_name(job)}” is ready: {count} suggestion(s) to review."
        )


def job_run(*, org: Org, job_id: Any) -> str:
    """Run one job to its end; returns what happened (for logs and tests). Safe to call twice for one job."""
    run = _claim(job_id)
    if run is None:
        return "skipped"
    try:
        if not provider.is_enabled():
            raise _fail(org, run, AI_DISABLED, "AI copy was disabled (no OPENAI_API_KEY) before the job ran.")
        messages = prompts.first_messages(run.job.prompt_data)
        answer = _call(org, run, messages)
        if answer.content is None and answer.refusal:
            raise _fail(org, run, AI_INVALID_OUTPUT, f"The model refused to write this copy: {answer.refusal}")
        checked = _checked(answer, run.job)
        if checked.problems:
            _progress(run, PROGRESS_REPAIRING)
            answer = _call(org, run, prompts.repair_messages(messages, answer.content or "", checked.problems))
            checked = _checked(answer, run.job)
            if checked.problems:
                raise _fail(org, run, AI_INVALID_OUTPUT, _reason(checked.problems))
        else:
            _progress(run, PROGRESS_ANSWERED)
        _succeed(org, run, checked)
    except RunEnded as ended:
        return str(ended)
    return "succeeded"


# --- The reaper ---------------------------------------------------------------------------------------------


def jobs_reap(*, org: Org, now: datetime.datetime | None = None) -> dict[str, int]:
    """Jobs running past AI_JOB_STALE_SECONDS lost their worker (a live run ends well before: RUN_BUDGET_SHARE):
    each goes back to the queue, at most MAX_REQUEUES times, then fails with `ai_timeout` and gives its
    reservation back. Jobs queued that long lost their message: it is sent again (a duplicate claims nothing)."""
    from campaigns.ai.tasks import run_generation_job  # the task runs this module: imported when needed
    from tenants.pipeline.tasks import enqueue

    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.AI_JOB_STALE_SECONDS)
    counts = {"requeued": 0, "failed": 0, "resent": 0}
    jobs = (
        GenerationJob.objects.for_org(org)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("campaign")
    )
    with transaction.atomic():
        for job in jobs.filter(state=JobState.RUNNING, started_at__lt=cutoff):
            if job.requeues >= MAX_REQUEUES:
                reason = (
                    f"The job did not finish within {settings.AI_JOB_STALE_SECONDS} seconds in any of its "
                    f"{job.runs} runs (its worker stopped or was lost)."
                )
                _fail_locked(org, job, AI_TIMEOUT, reason)
                counts["failed"] += 1
                continue
            job.state, job.run_id, job.requeues, job.queued_at, job.progress = (
                JobState.QUEUED,
                None,
                job.requeues + 1,
                now,
                0,
            )
            job.save(update_fields=["state", "run_id", "requeues", "queued_at", "progress", "updated_at"])
            enqueue(run_generation_job, str(job.pk))
            counts["requeued"] += 1
        for job in jobs.filter(state=JobState.QUEUED, queued_at__lt=cutoff):
            job.queued_at = now
            job.save(update_fields=["queued_at", "updated_at"])
            enqueue(run_generation_job, str(job.pk))
            counts["resent"] += 1
    return counts
