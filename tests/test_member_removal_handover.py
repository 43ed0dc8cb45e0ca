"""Removing a member hands over what they held in every module: records assigned to them, and the records they
made that nobody was assigned to (which no member would otherwise see again)."""

from __future__ import annotations

import pytest

from cases.models import Case
from common.context import org_context
from contacts.models import Company, Contact
from deals.services import deal_create
from leads.models import Lead
from tasks.models import Task
from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db


def test_removal_hands_over_assigned_and_unassigned_records_of_the_member(cast: Cast) -> None:
    made = {"org": cast.org_a, "created_by": cast.member}
    with org_context(cast.org_a):
        orphans = [
            Lead.objects.create(first_name="Orphan", **made),
            Contact.objects.create(first_name="Orphan", **made),
            Company.objects.create(name="Orphan Ltd", **made),
            Case.objects.create(subject="Orphan case", **made),
            Task.objects.create(title="Orphan task", **made),
        ]
        shared = Lead.objects.create(first_name="Shared", assigned_to=[cast.member.pk, cast.admin.pk], **made)
        someone_elses = Lead.objects.create(first_name="Admin's", assigned_to=[cast.admin.pk], **made)
        deal = deal_create(
            org=cast.org_a, actor=cast.member, data={"name": "Orphan deal", "owner_id": cast.admin.pk}
        )
        deal.assigned_to = []
        deal.save(update_fields=["assigned_to"])

    response = client_for(cast.owner).post(
        f"/api/org/members/{cast.member.pk}/remove/", {"reassign_to": str(cast.manager.pk)}, format="json"
    )

    assert response.status_code == 200, response.json()
    with org_context(cast.org_a):
        for record in orphans:
            record.refresh_from_db()
            assert record.assigned_to == [cast.manager.pk], record
        deal.refresh_from_db()
        shared.refresh_from_db()
        someone_elses.refresh_from_db()
    assert set(deal.assigned_to) == {cast.admin.pk, cast.manager.pk}  # its owner keeps a seat
    assert shared.assigned_to == [cast.manager.pk, cast.admin.pk]
    assert someone_elses.assigned_to == [cast.admin.pk]
