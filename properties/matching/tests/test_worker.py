"""Matching in a real Celery worker: a listing activated through the API is matched by the job its commit
enqueued, in the org's schema, once.

The worker only sees committed data, so this test runs outside the per-test transaction (the way the session's
orgs are made) and removes what it wrote itself."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from common.context import org_context
from common.models import Profile
from properties.matching.models import ListingEvent, MatchNotice, SavedSearch
from properties.models import Property
from tenants.testing.fixtures import client_for
from timeline.models import ActivityEntry, Notification


def _wait_for(predicate: Any, timeout: float = 90.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def committed(_cast_ids: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """Database access that commits as it goes, and the removal of every row the test and the worker wrote."""
    made: dict[str, Any] = {"listings": [], "searches": []}
    with django_db_blocker.unblock():
        profiles = Profile.objects.select_related("user", "org").in_bulk(list(_cast_ids.profiles.values()))
        made["owner"] = profiles[_cast_ids.profiles["owner"]]
        made["member"] = profiles[_cast_ids.profiles["member"]]
        org = made["owner"].org
        try:
            yield made
        finally:
            with org_context(org):
                for model in (Notification, ActivityEntry):
                    model.all_orgs_unsafe.filter(target_id__in=made["listings"]).delete()
                Property.all_orgs_unsafe.filter(pk__in=made["listings"]).delete()  # its events and notices too
                SavedSearch.all_orgs_unsafe.filter(pk__in=made["searches"]).delete()


@pytest.mark.django_db  # also makes pytest-django set up the test database when this module runs alone
def test_the_beat_entries_name_the_matching_tasks_and_the_worker_knows_them() -> None:
    from django.conf import settings

    from crm.celery import app
    from properties.matching import tasks

    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {"properties.matching.sweep", "properties.matching.digests"} <= beat
    assert {tasks.sweep.name, tasks.digests.name, tasks.match_listing_event.name} <= set(app.tasks)


def test_a_worker_matches_a_listing_activated_through_the_api(
    committed: dict[str, Any], celery_worker_process
) -> None:
    owner, member = committed["owner"], committed["member"]
    org = owner.org
    search = client_for(member).post(
        "/api/saved-searches/", {"name": "Worker probe", "criteria": {"city": "Workerton"}}, format="json"
    )
    committed["searches"].append(search.json()["id"])
    created = client_for(owner).post(
        "/api/properties/", {"title": "Probe House", "property_type": "house", "city": "Workerton"}, format="json"
    )
    committed["listings"].append(created.json()["id"])

    activated = client_for(owner).patch(
        f"/api/properties/{created.json()['id']}/", {"status": "active"}, format="json"
    )

    assert (search.status_code, created.status_code, activated.status_code) == (201, 201, 200)

    def matched() -> bool:
        with org_context(org):
            return ListingEvent.objects.filter(property_id=created.json()["id"], matched_at__isnull=False).exists()

    assert _wait_for(matched), "the worker did not match the event"
    with org_context(org):
        notices = list(MatchNotice.objects.filter(search_id=search.json()["id"]).values_list("kind", flat=True))
        told = list(
            Notification.objects.filter(target_id=created.json()["id"], kind="listing_match").values_list(
                "recipient_id", "message"
            )
        )
    assert notices == ["new_listing"]
    assert told == [(member.pk, 'New listing "Probe House" matches the saved search "Worker probe".')]
    assert celery_worker_process.poll() is None
