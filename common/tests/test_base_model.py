"""BaseModel: fail-closed manager, org fence on save, time-ordered ids."""

from __future__ import annotations

import uuid

import pytest

from common.context import NoActiveOrg, active_org, org_context
from common.ids import uuid7
from common.models import OrgMismatch
from tenants.testing.fixtures import Cast
from timeline.models import ActivityEntry

pytestmark = pytest.mark.django_db


def _entry(org, **fields) -> ActivityEntry:
    return ActivityEntry(org=org, verb="probe", target_type="probe", target_id=uuid.uuid4(), **fields)


def test_default_manager_refuses_to_query_with_no_active_org() -> None:
    with pytest.raises(NoActiveOrg, match="No org is active"):
        ActivityEntry.objects.all()


def test_default_manager_reads_only_the_active_orgs_rows(cast: Cast) -> None:
    with org_context(cast.org_a):
        mine = ActivityEntry.objects.create(verb="probe", target_type="probe", target_id=uuid.uuid4())
        # A row carrying B's org in A's schema can only exist by a bug; the org filter still hides it.
        ActivityEntry.all_orgs_unsafe.bulk_create([_entry(cast.org_b)])

        assert list(ActivityEntry.objects.all()) == [mine]
        assert ActivityEntry.all_orgs_unsafe.count() == 2


def test_for_org_works_without_an_active_org_but_stays_in_that_org(cast: Cast) -> None:
    with org_context(cast.org_a):
        entry = ActivityEntry.objects.create(verb="probe", target_type="probe", target_id=uuid.uuid4())
        ActivityEntry.all_orgs_unsafe.bulk_create([_entry(cast.org_b)])
        assert list(ActivityEntry.objects.for_org(cast.org_a)) == [entry]


def test_save_sets_the_active_org_when_none_is_given(cast: Cast) -> None:
    with org_context(cast.org_a):
        entry = ActivityEntry(verb="probe", target_type="probe", target_id=uuid.uuid4())
        entry.save()

    assert entry.org_id == cast.org_a.pk


def test_saving_a_row_of_another_org_raises_and_writes_nothing(cast: Cast) -> None:
    with org_context(cast.org_a):
        with pytest.raises(OrgMismatch):
            _entry(cast.org_b).save()
        with pytest.raises(OrgMismatch):
            ActivityEntry.objects.bulk_create([_entry(cast.org_b)])
        assert ActivityEntry.all_orgs_unsafe.count() == 0


def test_saving_with_no_active_org_raises(cast: Cast) -> None:
    with pytest.raises(NoActiveOrg):
        _entry(cast.org_a).save()


def test_org_context_switches_schema_and_restores_it(cast: Cast) -> None:
    from django.db import connection

    assert connection.schema_name == "public"
    with org_context(cast.org_a):
        assert connection.schema_name == cast.org_a.schema_name
        assert active_org() == cast.org_a
        with org_context(cast.org_b):
            assert connection.schema_name == cast.org_b.schema_name
        assert connection.schema_name == cast.org_a.schema_name
    assert connection.schema_name == "public"
    assert active_org() is None


def test_org_context_restores_on_error(cast: Cast) -> None:
    from django.db import connection

    with pytest.raises(ValueError), org_context(cast.org_a):
        raise ValueError("boom")

    assert connection.schema_name == "public"
    assert active_org() is None


def test_rows_of_each_org_live_in_that_orgs_schema(cast: Cast) -> None:
    with org_context(cast.org_a):
        ActivityEntry.objects.create(verb="in-a", target_type="probe", target_id=uuid.uuid4())
    with org_context(cast.org_b):
        assert ActivityEntry.all_orgs_unsafe.filter(verb="in-a").count() == 0
    with org_context(cast.org_a):
        assert ActivityEntry.all_orgs_unsafe.filter(verb="in-a").count() == 1


def test_uuid7_is_version_7_and_sorts_in_creation_order() -> None:
    ids = [uuid7() for _ in range(2000)]

    assert all(value.version == 7 for value in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
