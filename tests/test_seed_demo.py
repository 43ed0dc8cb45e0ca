"""`seed_demo` fills an org with records in every module that has a seeder, and scales with --scale."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from cases.models import Case
from common.context import org_context
from contacts.models import Company, Contact
from deals.models import Deal
from leads.models import Lead
from tasks.models import Task
from tenants.testing.fixtures import Cast, client_for
from timeline.models import ActivityEntry, Comment

MODULES = {"leads.lead": Lead, "contacts.contact": Contact, "contacts.company": Company, "deals.deal": Deal,
           "cases.case": Case, "tasks.task": Task}  # fmt: skip

pytestmark = pytest.mark.django_db


def test_seed_demo_fills_the_org_and_scales(cast: Cast) -> None:
    out = io.StringIO()

    call_command("seed_demo", "--org", "alpha", "--scale", "120", stdout=out)

    with org_context(cast.org_a):
        assert Lead.objects.count() == 120
        assert Company.objects.count() == 24
        assert Contact.objects.count() == 80
        assert Case.objects.count() == 20 and Task.objects.count() == 30 and Deal.objects.exists()
        assert not Contact.objects.exclude(company__isnull=False).exists()
    with org_context(cast.org_b):
        assert Contact.all_orgs_unsafe.count() == 0
    assert "80 contacts" in out.getvalue()


def test_seed_demo_if_empty_does_not_seed_twice(cast: Cast) -> None:
    call_command("seed_demo", "--org", "alpha", stdout=io.StringIO())
    out = io.StringIO()

    call_command("seed_demo", "--org", "alpha", "--if-empty", stdout=out)

    assert "already has records" in out.getvalue()
    with org_context(cast.org_a):
        assert Contact.objects.count() == 40


def test_seed_demo_gives_a_sample_of_every_modules_records_a_dated_timeline(cast: Cast) -> None:
    call_command("seed_demo", "--org", "alpha", stdout=io.StringIO())

    with org_context(cast.org_a):
        for label, model in MODULES.items():
            entries = list(ActivityEntry.objects.filter(target_type=label).order_by("created_at", "id"))
            created = {entry.target_id: entry for entry in entries if entry.verb == "created"}
            records = model.objects.in_bulk(list(created))
            # A sample, not every record: at least a few, about a quarter.
            assert 3 <= len(created) <= max(3, model.objects.count() // 4), label
            assert len(records) == len(created), label
            for record_id, entry in created.items():
                # The record's own creation date is the story's first entry, in the past.
                assert records[record_id].created_at == entry.created_at < timezone.now(), label
                assert entry.created_by_id == records[record_id].created_by_id, label
            later = [entry for entry in entries if entry.verb != "created"]
            assert all(entry.created_at >= created[entry.target_id].created_at for entry in later), label
            assert {"assigned", "commented"} <= {entry.verb for entry in later}, label
            assert Comment.objects.filter(target_type=label, target_id__in=list(created)).exists(), label
        leads_moved = ActivityEntry.objects.filter(target_type="leads.lead", verb="status_changed")
        assert leads_moved.exists()
        assert all(entry.changes["status"][1] != "converted" for entry in leads_moved)
        assert ActivityEntry.objects.filter(target_type="deals.deal", verb="stage_changed").exists()
        # A case's stamps agree with its story: the first status move is its first response.
        case_moves = ActivityEntry.objects.filter(target_type="cases.case", verb="status_changed",
                                                  changes__has_key="first_response_at")  # fmt: skip
        assert case_moves.exists()
        for entry in case_moves:
            assert Case.objects.get(pk=entry.target_id).first_response_at == entry.created_at


def test_seed_demo_timelines_show_on_the_record_timeline(cast: Cast) -> None:
    call_command("seed_demo", "--org", "alpha", stdout=io.StringIO())
    with org_context(cast.org_a):
        case_id = ActivityEntry.objects.filter(target_type="cases.case", verb="commented").first().target_id

    entries = client_for(cast.owner).get(f"/api/cases/{case_id}/timeline/").json()["results"]

    kinds = [entry["kind"] for entry in entries]
    assert kinds.count("comment") == 1 and "activity" in kinds
    assert entries[-1]["verb"] == "created"


def test_seeding_a_seeded_org_again_adds_more_without_a_clash_and_reminds_nobody(
    cast: Cast, run_tasks_inline: None, django_capture_on_commit_callbacks
) -> None:
    from django.core import mail

    from tasks.services import task_send_due_reminders

    call_command("seed_demo", "--org", "alpha", stdout=io.StringIO())
    call_command("seed_demo", "--org", "alpha", "--scale", "100", stdout=io.StringIO())

    with org_context(cast.org_a):
        assert Company.objects.count() == 12 + 24
        assert Contact.objects.count() == 40 + 80
    later = timezone.now() + datetime.timedelta(days=30)  # every demo task is due by then
    with org_context(cast.org_a), django_capture_on_commit_callbacks(execute=True):
        reminded = task_send_due_reminders(org=cast.org_a, now=later)
    assert (reminded, mail.outbox) == (0, [])
