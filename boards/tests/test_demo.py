"""seed_demo makes boards: a listing launch from its template, a team board whose cards link to demo records of
every kind, and a deal board view."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from boards.models import Board, Card
from common import registry
from common.context import org_context
from tenants.testing.fixtures import Cast

pytestmark = pytest.mark.django_db


def test_seed_demo_makes_boards_with_cards_linked_to_records(cast: Cast) -> None:
    call_command("seed_demo", "--org", "alpha", stdout=io.StringIO())

    with org_context(cast.org_a):
        assert sorted(Board.objects.values_list("name", flat=True)) == [
            "Deals by stage", "Listing launch", "Team this week",
        ]  # fmt: skip
        linked = list(Card.objects.exclude(link_type="").values_list("link_type", "link_id"))
        assert {label for label, _ in linked} == {"leads.lead", "deals.deal", "properties.property", "cases.case",
                                                  "contacts.contact", "campaigns.campaign"}  # fmt: skip
        models = registry.record_models()
        for label, record_id in linked:
            assert models[label].objects.filter(pk=record_id).exists()
