"""A campaign's detail page: the campaign with its budget, pacing and asset counts, and its AI suggestions.

Measures, in-process (Django test client, warm membership cache, so server-side costs only):
- queries for `GET /api/campaigns/<id>/` on a small campaign (1 budget line, 1 spend entry) and on a busy one
  (8 lines, `--spend` entries, 20 assets): the count must be the same;
- p50/p95 of that detail, of `GET .../budget/`, of the report, and of the AI suggestions list when the AI-copy
  module is installed (its route `campaign-ai-suggestions`; measured without it otherwise).
Target: flat query count, detail p50 < 25 ms.
Run: .venv/bin/python -m benchmarks.campaigns [--spend 600] [--repeat 200]
"""

from __future__ import annotations

import argparse
import datetime
import random
import secrets
import statistics
from decimal import Decimal
from typing import Any

from benchmarks.harness import setup, summary, timed

ORG_SLUG = "bench-campaigns"
TARGET_MS = 25.0
CHANNELS = ["email", "google_ads", "facebook", "instagram", "linkedin", "x", "sms", "whatsapp"]
PERIODS = ["daily", "weekly", "monthly", "quarterly", "annual"]


def _ensure_data(spend_entries: int) -> dict[str, Any]:
    from campaigns.models import Asset, BudgetLine, Campaign, SpendEntry
    from common.context import org_context
    from common.models import Profile, Role, User
    from tenants.models import Org
    from tenants.orgs.provisioning import org_create
    from tenants.testing.fixtures import access_token_for

    org = Org.objects.filter(slug=ORG_SLUG).first() or org_create(name="Bench Campaigns", slug=ORG_SLUG)
    user = User.objects.filter(email="campaigns@bench.test").first()
    if user is None:
        user = User.objects.create_user("campaigns@bench.test", secrets.token_urlsafe(16))
    profile, _ = Profile.objects.get_or_create(user=user, org=org, defaults={"role": Role.MANAGER})
    rng = random.Random(5)
    start = datetime.datetime.now(datetime.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start -= datetime.timedelta(days=40)
    with org_context(org):
        Campaign.objects.filter(name__startswith="Bench ").delete()
        common = {"org": org, "owner": profile, "created_by": profile, "updated_by": profile,
                  "assigned_to": [profile.pk], "currency": org.currency, "status": "active", "starts_at": start,
                  "ends_at": start + datetime.timedelta(days=120)}  # fmt: skip
        small = Campaign.objects.create(name="Bench small", channels=["email"], **common)
        busy = Campaign.objects.create(name="Bench busy", channels=CHANNELS, **common)
        BudgetLine.objects.create(org=org, campaign=small, channel="email", amount=Decimal("50"), period="daily")
        SpendEntry.objects.create(org=org, campaign=small, channel="email", amount=Decimal("45.10"),
                                  spent_on=start.date())  # fmt: skip
        BudgetLine.objects.bulk_create([
            BudgetLine(org=org, campaign=busy, channel=channel, amount=Decimal(rng.randrange(100, 5000)),
                       period=PERIODS[n % len(PERIODS)])
            for n, channel in enumerate(CHANNELS)
        ])  # fmt: skip
        SpendEntry.objects.bulk_create([
            SpendEntry(org=org, campaign=busy, channel=rng.choice(CHANNELS), note="Platform invoice",
                       amount=Decimal(rng.randrange(100, 90000)) / 100,
                       spent_on=(start + datetime.timedelta(days=rng.randrange(0, 40))).date())
            for _ in range(spend_entries)
        ])  # fmt: skip
        Asset.objects.bulk_create([
            Asset(org=org, campaign=busy, kind=rng.choice(["hero_image", "social_image", "brochure"]),
                  file=f"campaign-assets/bench/{n}.png", file_name=f"{n}.png", content_type="image/png", size=1000,
                  sha256=f"{n:064d}", approval_state=rng.choice(["draft", "approved", "rejected"]))
            for n in range(20)
        ])  # fmt: skip
    return {"org": org, "token": access_token_for(user), "small": small, "busy": busy}


def _client(data: dict[str, Any]) -> Any:
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {data['token']}", HTTP_ORG=ORG_SLUG)
    return client


def _queries(client: Any, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):  # warm the membership cache and the process's one-off look-ups
        assert client.get(path).status_code == 200, path
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    return len([q for q in captured.captured_queries if not q["sql"].startswith("SET search_path")])


def _suggestions_path(campaign: Any) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("api:campaign-ai-suggestions", kwargs={"campaign_id": campaign.pk})
    except NoReverseMatch:
        return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spend", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    setup()
    data = _ensure_data(args.spend)
    client = _client(data)
    small, busy = (f"/api/campaigns/{data[name].pk}/" for name in ("small", "busy"))
    print(f"queries, detail with budget and pacing: small campaign {_queries(client, small)}, "
          f"busy campaign (8 lines, {args.spend} spend entries, 20 assets) {_queries(client, busy)}")  # fmt: skip
    paths = {
        "detail (budget, pacing, assets)": busy,
        "budget summary": f"{busy}budget/",
        "report": f"{busy}report/",
    }
    suggestions = _suggestions_path(data["busy"])
    if suggestions is None:
        print("AI suggestions: the AI-copy module has no suggestions route here; measured without them")
    else:
        print(f"queries, AI suggestions list: {_queries(client, suggestions)}")
        paths["AI suggestions list"] = suggestions
    detail_p50 = 0.0
    for name, path in paths.items():
        samples = timed(lambda path=path: client.get(path), args.repeat)
        print(f"  {name:34} {summary(samples)}")
        if path == busy:
            detail_p50 = statistics.median(samples)
    if suggestions is not None:
        both = timed(lambda: (client.get(busy), client.get(suggestions)), args.repeat)
        print(f"  {'detail + suggestions (page load)':34} {summary(both)}")
    verdict = "meets" if detail_p50 < TARGET_MS else "misses"
    print(f"detail p50 {detail_p50:.2f} ms {verdict} the {TARGET_MS:.0f} ms target")


if __name__ == "__main__":
    main()
