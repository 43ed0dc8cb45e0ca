"""Shared set-up for the AI copy suites: campaigns, jobs and suggestions in an org, and work done outside the
test's transaction (what a real worker must see), removed again afterwards."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db import connections
from django.utils import timezone

from campaigns.ai.models import GenerationJob, JobState, Suggestion, SuggestionState, TokenLedger
from campaigns.ai.quota import month_of
from campaigns.models import Campaign
from common.context import org_context
from common.models import Profile
from tenants.models import Org

T = TypeVar("T")


def campaign_make(org: Org, owner: Profile, **fields: Any) -> Campaign:
    values = {"name": "Harbour Lofts launch", "currency": "EUR", "created_by": owner, **fields}
    with org_context(org):
        return Campaign.objects.create(org=org, **values)


def job_make(org: Org, campaign: Campaign, requester: Profile, **fields: Any) -> GenerationJob:
    now = timezone.now()
    values = {
        "channels": ["x"],
        "count": 1,
        "language": "en",
        "queued_at": now,
        "quota_month": month_of(now),
        "state": JobState.SUCCEEDED,
        "progress": 100,
        "created_by": requester,
        **fields,
    }
    with org_context(org):
        return GenerationJob.objects.create(org=org, campaign=campaign, **values)


def suggestion_make(job: GenerationJob, *, channel: str = "x", variant: int = 0, **fields: Any) -> Suggestion:
    content = fields.pop("content", {"text": f"Harbour Lofts, variant {variant + 1}"})
    with org_context(job.org):
        return Suggestion.objects.create(
            org=job.org,
            campaign=job.campaign,
            job=job,
            channel=channel,
            language=job.language,
            variant=variant,
            content=content,
            state=fields.pop("state", SuggestionState.SUGGESTED),
            created_by=job.created_by,
            **fields,
        )


def committed(action: Callable[[], T]) -> T:
    """Run `action` on a thread of its own: its own connection, in autocommit, so what it writes is committed
    and a worker sees it (and `transaction.on_commit` work is really sent)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = action()
        except BaseException as error:  # handed back to the caller's thread
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0, every: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return predicate()


def job_fresh(org: Org, job_id: Any) -> GenerationJob:
    """The job as committed now: the test's transaction sees other transactions' commits statement by statement."""
    with org_context(org):
        return GenerationJob.objects.get(pk=job_id)


def wait_finished(org: Org, job_id: Any, timeout: float = 60.0) -> GenerationJob:
    finished = (JobState.SUCCEEDED, JobState.FAILED)
    assert wait_for(lambda: job_fresh(org, job_id).state in finished, timeout), job_fresh(org, job_id).state
    return job_fresh(org, job_id)


def ledger_of(org: Org) -> tuple[int, int]:
    """(used, reserved) of the org's ledger this month."""
    with org_context(org):
        row = TokenLedger.objects.filter(month=month_of(timezone.now())).values_list("used", "reserved").first()
    return row or (0, 0)


def committed_cleanup(orgs: Iterable[Org], campaign_ids: Iterable[Any]) -> None:
    """Remove what committed work left: these campaigns with their jobs, suggestions and notifications, and the
    orgs' token ledgers (only committed tests write ledgers that outlive their test)."""
    from timeline.models import Notification

    ids = list(campaign_ids)

    def remove() -> None:
        for org in orgs:
            with org_context(org):
                Suggestion.all_orgs_unsafe.filter(campaign_id__in=ids).delete()
                GenerationJob.all_orgs_unsafe.filter(campaign_id__in=ids).delete()
                TokenLedger.all_orgs_unsafe.filter(org=org).delete()
                Notification.all_orgs_unsafe.filter(target_id__in=ids).delete()
                Campaign.all_orgs_unsafe.filter(pk__in=ids).delete()

    committed(remove)
