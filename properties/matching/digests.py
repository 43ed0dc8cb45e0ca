"""Daily and weekly digests: one email per due search with the notices it has not been emailed yet.

A search is due a day (or a week) after its last digest (or its creation). Each due search is claimed under a
row lock (skipping rows another run holds), its pending notices are mailed and stamped `emailed_at`, and its
`last_digest_at` moves on, all in one transaction: a rerun, a retry or a second beat finds nothing to send. A due
search that may not be mailed (email off, the member opted out, a contact without an address) still moves its
clock, so what it gathered is never sent later.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from properties.matching.delivery import email_context, email_recipient, headline, listing_summary
from properties.matching.models import Frequency, MatchNotice, SavedSearch
from tenants.mail import email_send
from tenants.models import Org

PERIODS = {Frequency.DAILY: datetime.timedelta(days=1), Frequency.WEEKLY: datetime.timedelta(days=7)}
DIGEST_BATCH = 100
# The most listings one digest lists; the rest are counted ("and 12 more").
DIGEST_MAX_ITEMS = 25


def _due(org: Org, now: datetime.datetime) -> Any:
    since = Coalesce("last_digest_at", "created_at")
    due = Q()
    for frequency, period in PERIODS.items():
        due |= Q(frequency=frequency, digest_since__lte=now - period)
    return (
        SavedSearch.objects.for_org(org)
        .filter(is_active=True, email_enabled=True, frequency__in=list(PERIODS))
        .alias(digest_since=since)
        .filter(due)
    )


def _send_one(org: Org, search: SavedSearch, notices: list[MatchNotice], now: datetime.datetime) -> bool:
    """Mail the search's pending notices if it may be mailed; stamps what was mailed. True if an email left."""
    addressed = email_recipient(search)
    if addressed is None:
        return False
    if search.contact_id is not None:
        notices = [notice for notice in notices if notice.property.is_published]
    if not notices:
        return False
    address, name = addressed
    items = [{**listing_summary(notice.property), "headline": headline(notice.kind, notice.property)}
             for notice in notices[:DIGEST_MAX_ITEMS]]  # fmt: skip
    context = {**email_context(org, search, name), "items": items, "count": len(notices),
               "more": max(0, len(notices) - DIGEST_MAX_ITEMS), "period": search.frequency}  # fmt: skip
    email_send(to=address, template="saved_search_digest", context=context, org_id=org.pk)
    MatchNotice.objects.for_org(org).filter(pk__in=[notice.pk for notice in notices]).update(emailed_at=now)
    return True


def _one_batch(org: Org, now: datetime.datetime) -> tuple[int, int]:
    with transaction.atomic():
        claimed = list(
            _due(org, now)
            .select_related("owner__user", "contact")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("id")[:DIGEST_BATCH]
        )
        if not claimed:
            return 0, 0
        pending: dict[Any, list[MatchNotice]] = {search.pk: [] for search in claimed}
        notices = (
            MatchNotice.objects.for_org(org)
            .filter(search__in=claimed, emailed_at__isnull=True, property__archived_at__isnull=True)
            .filter(created_at__gt=Coalesce(F("search__last_digest_at"), F("search__created_at")))
            .select_related("property")
            .order_by("-created_at", "-id")
        )
        for notice in notices:
            pending[notice.search_id].append(notice)
        sent = sum(_send_one(org, search, pending[search.pk], now) for search in claimed)
        SavedSearch.objects.for_org(org).filter(pk__in=[search.pk for search in claimed]).update(
            last_digest_at=now
        )
    return len(claimed), sent


def digests_send(*, org: Org, now: datetime.datetime | None = None) -> int:
    """Send the org's due digests; returns how many emails were queued."""
    now = now or timezone.now()
    sent = 0
    while True:
        claimed, batch_sent = _one_batch(org, now)
        sent += batch_sent
        if claimed < DIGEST_BATCH:
            return sent
