"""The monthly token quota: reserve before a call, settle the real usage after, release what a job no longer
needs. Every change moves the ledger and the job together, inside the caller's transaction, so the ledger is
always the sum of its jobs."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from rest_framework import status

from campaigns.ai.models import GenerationJob, TokenLedger
from common.errors import ApiError
from tenants.models import Org


def month_of(moment: datetime.datetime) -> datetime.date:
    """The quota month (UTC) a moment falls in, as its first day."""
    return moment.astimezone(datetime.UTC).date().replace(day=1)


def resets_at(month: datetime.date) -> datetime.datetime:
    """When the month's quota starts afresh: midnight UTC on the next month's first day."""
    following = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return datetime.datetime.combine(following, datetime.time.min, tzinfo=datetime.UTC)


def quota_of(org: Org) -> int:
    """The org's monthly tokens, read fresh: the platform may have just changed it (the request's org may come
    from the membership cache)."""
    own = Org.objects.filter(pk=org.pk).values_list("ai_monthly_token_quota", flat=True).first()
    return int(own) if own is not None else int(settings.AI_MONTHLY_TOKEN_QUOTA)


class QuotaExceeded(ApiError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "ai_quota_exceeded"

    def __init__(self, *, month: datetime.date, asked: int, quota: int) -> None:
        self.resets_at = resets_at(month)
        super().__init__(
            f"The organisation's monthly AI token quota ({quota}) cannot cover this request ({asked} tokens). "
            f"It resets at {self.resets_at.isoformat().replace('+00:00', 'Z')}."
        )


def _ledger(org: Org, month: datetime.date) -> Any:
    TokenLedger.objects.bulk_create([TokenLedger(org=org, month=month)], ignore_conflicts=True)
    return TokenLedger.objects.for_org(org).filter(month=month)


def reserve(*, org: Org, job: GenerationJob, tokens: int) -> None:
    """Set `tokens` more aside for the job, or raise QuotaExceeded. One conditional UPDATE: PostgreSQL re-checks
    the condition on the locked row, so two reservations racing for the last tokens cannot both win."""
    if tokens <= 0:
        return
    quota = quota_of(org)
    reserved = (
        _ledger(org, job.quota_month)
        .filter(used__lte=quota - tokens - F("reserved"))
        .update(reserved=F("reserved") + tokens, updated_at=timezone.now())
    )
    if not reserved:
        raise QuotaExceeded(month=job.quota_month, asked=tokens, quota=quota)
    GenerationJob.objects.for_org(org).filter(pk=job.pk).update(tokens_reserved=F("tokens_reserved") + tokens)
    job.tokens_reserved += tokens


def reserve_at_least(*, org: Org, job: GenerationJob, tokens: int) -> None:
    """Make the job hold at least `tokens` (a requeued job may still hold what its lost run set aside)."""
    reserve(org=org, job=job, tokens=tokens - job.tokens_reserved)


def settle(*, org: Org, job: GenerationJob, used: int, release: bool = True) -> None:
    """A call came back: its real usage is counted and (`release`) what the job held becomes free. The job must
    be row-locked by the caller, so `job.tokens_reserved` is what it really holds."""
    held = job.tokens_reserved if release else 0
    TokenLedger.objects.for_org(org).filter(month=job.quota_month).update(
        reserved=F("reserved") - held, used=F("used") + used, updated_at=timezone.now()
    )
    GenerationJob.objects.for_org(org).filter(pk=job.pk).update(
        tokens_reserved=F("tokens_reserved") - held, tokens_used=F("tokens_used") + used
    )
    job.tokens_reserved -= held
    job.tokens_used += used


def release(*, org: Org, job: GenerationJob) -> None:
    """The job ends: whatever it still holds goes back to the month."""
    settle(org=org, job=job, used=0)


@dataclass(frozen=True)
class Usage:
    month: datetime.date
    used: int
    reserved: int
    quota: int
    resets_at: datetime.datetime

    @property
    def remaining(self) -> int:
        return max(0, self.quota - self.used - self.reserved)


def usage_of_org(*, org: Org, now: datetime.datetime | None = None) -> Usage:
    month = month_of(now or timezone.now())
    row = TokenLedger.objects.for_org(org).filter(month=month).values_list("used", "reserved").first()
    used, reserved = row or (0, 0)
    return Usage(month=month, used=used, reserved=reserved, quota=quota_of(org), resets_at=resets_at(month))
