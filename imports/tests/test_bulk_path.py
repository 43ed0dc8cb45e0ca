"""The bulk path of an import: new contacts of a batch (with a company lookup and a custom field) are created
together (rows, timeline entries, outbox events and assignee notifications in a few statements whatever the
batch size), with the same results as one by one; a batch the database refuses falls back to one row at a
time, so the error lands on its own row."""

from __future__ import annotations

from typing import Any

import pytest

from common.context import org_context
from contacts.models import Company, Contact
from customfields.models import CustomFieldDefinition
from imports.models import ImportJob, ImportRow
from imports.tests import helpers as h
from leads.models import Lead
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.queries import count_queries
from timeline.models import ActivityEntry, Notification
from webhooks.models import Delivery, Event
from webhooks.tests.helpers import endpoint

pytestmark = pytest.mark.django_db
URL = "/api/imports/"


def _run(cast: Cast, module: str, rows: list[list[str]]) -> tuple[int, Any]:
    """Upload, start and run the job in this process; the run's query count and the job."""
    manager = client_for(cast.manager)
    content = h.csv_bytes(rows)
    job_id = manager.post(URL, {"module": module, "file": h.upload("in.csv", content)}, format="multipart").json()[
        "id"
    ]
    assert manager.post(f"{URL}{job_id}/start/").status_code == 202
    queries, _ = count_queries(lambda: h.run_job(cast.org_a, job_id))
    with org_context(cast.org_a):
        return queries, ImportJob.objects.get(pk=job_id)


def _people(prefix: str, count: int) -> list[list[str]]:
    header = ["First name", "Email", "Owner", "Company", "Budget", "Tags"]
    return [header] + [
        [f"P{n}", f"{prefix}{n}@bulk.test", "member@alpha.test", "bulk.test", str(n), h.MARKER]
        for n in range(count)
    ]


def test_new_contacts_cost_the_same_queries_for_5_rows_and_50_with_entries_events_and_notifications(
    cast: Cast,
) -> None:
    with org_context(cast.org_a):
        hook = endpoint(cast.org_a, "https://hooks.example.test/in", ["contact.created"])
        company = Company.objects.create(org=cast.org_a, name="Bulk", domain="bulk.test")
        CustomFieldDefinition.objects.create(
            org=cast.org_a, module="contacts.contact", key="budget", label="Budget", field_type="text"
        )

    small, small_job = _run(cast, "contacts", _people("a", 5))
    large, large_job = _run(cast, "contacts", _people("b", 50))

    assert small == large, f"an import batch's queries grew with its rows: {small} -> {large}"
    assert (small_job.status, small_job.counts) == ("completed", {"new": 5, "update": 0, "skip": 0, "error": 0})
    assert large_job.counts["new"] == 50
    with org_context(cast.org_a):
        made = list(Contact.objects.filter(email__endswith="@bulk.test").order_by("email"))
        ids = {contact.pk for contact in made}
        entries = list(ActivityEntry.objects.filter(target_id__in=ids).values_list("target_id", "verb"))
        notified = Notification.objects.filter(target_id__in=ids, recipient=cast.member).count()
        events = list(Event.objects.filter(event_type="contact.created").order_by("id"))
        delivered = Delivery.objects.filter(endpoint=hook).count()
        rows = dict(ImportRow.objects.filter(job_id=large_job.pk).values_list("record_id", "outcome"))
    assert len(made) == 55
    assert {(contact.assigned_to[0], contact.company_id) for contact in made} == {(cast.member.pk, company.pk)}
    assert made[0].custom_fields == {"budget": "0"}
    assert sorted(entries) == sorted([(pk, "created") for pk in ids] + [(pk, "assigned") for pk in ids])
    assert notified == 55
    # One event a contact, in the order the contacts were made (ids are time-ordered).
    assert [event.payload["data"]["id"] for event in events] == [str(pk) for pk in sorted(ids)]
    assert {event.payload["data"]["record"]["email"] for event in events} == {c.email for c in made}
    assert delivered == 55
    assert set(rows.values()) == {"new"} and set(rows) <= ids


def test_a_batch_the_database_refuses_goes_row_by_row_and_the_error_lands_on_its_row(cast: Cast) -> None:
    rows = [
        ["First name", "Email", "Estimated value", "Tags"],
        ["Ann", "ann@bulk.test", "100", h.MARKER],
        ["Bob", "bob@bulk.test", "-5", h.MARKER],
        ["Cy", "cy@bulk.test", "7", h.MARKER],
    ]

    _, job = _run(cast, "leads", rows)

    assert job.counts == {"new": 2, "update": 0, "skip": 0, "error": 1}
    with org_context(cast.org_a):
        leads = sorted(Lead.objects.filter(email__endswith="@bulk.test").values_list("first_name", "currency"))
        refused = ImportRow.objects.get(job_id=job.pk, row_number=3)
        created = ActivityEntry.objects.filter(
            target_id__in=Lead.objects.filter(email__endswith="@bulk.test").values("pk"), verb="created"
        ).count()
    assert leads == [("Ann", cast.org_a.currency), ("Cy", cast.org_a.currency)]
    assert refused.errors == {
        "__all__": [{"code": "invalid", "detail": "A value is out of range (lead_estimated_value_not_negative)."}]
    }
    assert created == 2
