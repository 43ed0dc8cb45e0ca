"""The demo seeds saved searches, requirements and the notices real matching made for the active listings."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from common.context import org_context
from properties.matching.models import MatchNotice, SavedSearch
from tenants.testing.fixtures import Cast

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_searches_requirements_and_their_matches(cast: Cast) -> None:
    out = io.StringIO()

    call_command("seed_demo", "--org", "alpha", stdout=out)

    with org_context(cast.org_a):
        members = SavedSearch.objects.filter(owner__isnull=False)
        assert members.count() == 2 * len(cast.profiles_of_org_a())
        assert SavedSearch.objects.filter(contact__isnull=False).exists()
        assert MatchNotice.objects.exists()
        assert not MatchNotice.objects.filter(search__frequency="instant", emailed_at__isnull=True).exists()
    assert "saved searches" in out.getvalue()
