"""`seed_demo` fills an org with records in every module that has a seeder, and scales with --scale."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from cases.models import Case
from common.context import org_context
from common.testing.fixtures import Cast
from contacts.models import Company, Contact
from deals.models import Deal
from leads.models import Lead
from tasks.models import Task

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
