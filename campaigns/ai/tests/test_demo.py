"""The demo seeder leaves AI copy that looks real: jobs, reviewable suggestions and the ledger they add up to."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db.models import Sum

from campaigns.ai.channels import content_check
from campaigns.ai.models import GenerationJob, JobState, Suggestion, TokenLedger
from common.context import org_context
from tenants.testing.fixtures import Cast

pytestmark = pytest.mark.django_db


def test_seed_demo_writes_jobs_suggestions_and_the_ledger_they_add_up_to(cast: Cast) -> None:
    out = io.StringIO()

    call_command("seed_demo", "--org", "alpha", stdout=out)

    with org_context(cast.org_a):
        jobs = GenerationJob.objects.all()
        suggestions = list(Suggestion.objects.all())
        assert jobs.filter(state=JobState.SUCCEEDED).exists()
        assert {s.state for s in suggestions} >= {"suggested", "approved"}
        assert all(content_check(s.channel, s.content)[1] == [] for s in suggestions)
        assert TokenLedger.objects.get().used == jobs.aggregate(total=Sum("tokens_used"))["total"]
        assert not jobs.filter(tokens_reserved__gt=0).exists()
    assert "AI suggestions" in out.getvalue()
