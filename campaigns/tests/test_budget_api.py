"""Budget lines and spend over the API, the budget summary exact to the cent, and the once-only overspend alert."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from campaigns import selectors
from campaigns.models import BudgetAlert, BudgetLine, SpendEntry
from campaigns.tests.helpers import CAMPAIGNS, RANDOM_ID, campaign, dated, line, spend
from common.context import org_context
from tenants.testing.fixtures import Cast, client_for
from timeline.models import Notification

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
MARCH = datetime.datetime(2025, 3, 1, tzinfo=UTC)


def _lines_url(campaign_id: object) -> str:
    return f"{CAMPAIGNS}{campaign_id}/budget-lines/"


def _spend_url(campaign_id: object) -> str:
    return f"{CAMPAIGNS}{campaign_id}/spend/"


def test_a_budget_line_is_added_logged_and_read_back_with_decimals_as_strings(cast: Cast) -> None:
    made = dated(cast, MARCH, 30)
    client = client_for(cast.member)
    with org_context(cast.org_a):
        made.assigned_to = [cast.owner.pk, cast.member.pk]
        made.save(update_fields=["assigned_to"])

    response = client.post(
        _lines_url(made.pk), {"channel": "email", "amount": "100", "period": "daily"}, format="json"
    )

    assert response.status_code == 201, response.json()
    created = response.json()
    assert {key: created[key] for key in ("campaign", "channel", "amount", "period")} == {
        "campaign": str(made.pk), "channel": "email", "amount": "100.00", "period": "daily"
    }  # fmt: skip
    assert client.get(_lines_url(made.pk)).json() == [created]
    timeline = client_for(cast.owner).get(f"{CAMPAIGNS}{made.pk}/timeline/").json()["results"]
    assert (timeline[0]["verb"], timeline[0]["changes"]) == (
        "budget_line_added",
        {"line_id": created["id"], "channel": "email", "amount": "100.00", "period": "daily"},
    )


def test_a_line_must_be_for_one_of_the_campaigns_channels_and_one_per_channel(cast: Cast) -> None:
    made = campaign(cast, channels=["email"])
    client = client_for(cast.owner)
    line(cast, made, "email", "5")

    wrong = client.post(_lines_url(made.pk), {"channel": "x", "amount": "5"}, format="json")
    again = client.post(_lines_url(made.pk), {"channel": "email", "amount": "5"}, format="json")
    zero = client.post(_lines_url(made.pk), {"channel": "email", "amount": "0"}, format="json")

    assert (wrong.status_code, wrong.json()["fields"]["channel"][0]) == (
        400, {"code": "channel_not_in_campaign", "detail": "The campaign does not run on x; its channels: email."}
    )  # fmt: skip
    assert (again.status_code, again.json()["code"]) == (400, "unique")
    assert (zero.status_code, zero.json()["fields"]["amount"][0]["code"]) == (400, "min_value")
    with org_context(cast.org_a):
        assert BudgetLine.objects.count() == 1


def test_a_line_of_another_campaign_or_org_is_a_404(cast: Cast) -> None:
    mine, other = campaign(cast), campaign(cast, name="Other")
    theirs = campaign(cast, org=cast.org_b)
    other_line, their_line = line(cast, other, "email", "5"), line(cast, theirs, "email", "5")
    client = client_for(cast.owner)

    for pk in (other_line.pk, their_line.pk, RANDOM_ID):
        assert client.get(f"{_lines_url(mine.pk)}{pk}/").status_code == 404
        assert client.patch(f"{_lines_url(mine.pk)}{pk}/", {"amount": "1"}, format="json").status_code == 404
        assert client.delete(f"{_lines_url(mine.pk)}{pk}/").status_code == 404
    with org_context(cast.org_a):
        assert BudgetLine.objects.get(pk=other_line.pk).amount == Decimal("5.00")


def test_a_hundred_a_day_over_thirty_days_plans_three_thousand_and_reports_to_the_cent(cast: Cast) -> None:
    made = dated(cast, MARCH, 30, channels=["email", "facebook", "google_ads"])
    line(cast, made, "email", "100")
    line(cast, made, "facebook", "70", "weekly")
    line(cast, made, "google_ads", "1000", "monthly")
    spend(cast, made, "email", "1000.10", datetime.date(2025, 3, 3))
    spend(cast, made, "email", "1999.90", datetime.date(2025, 3, 20))
    spend(cast, made, "facebook", "250.00", datetime.date(2025, 3, 4))

    body = client_for(cast.viewer).get(f"{CAMPAIGNS}{made.pk}/budget/").json()

    # The campaign is over: everything planned was planned to date.
    assert (body["first_day"], body["last_day"], body["days"], body["days_elapsed"]) == (
        "2025-03-01", "2025-03-30", 30, 30
    )  # fmt: skip
    assert [(row["channel"], row["planned"], row["planned_to_date"]) for row in body["lines"]] == [
        ("email", "3000.00", "3000.00"),
        ("facebook", "300.00", "300.00"),  # 30 days of 70 a week
        ("google_ads", "967.74", "967.74"),  # 30 of March's 31 days
    ]
    assert body["channels"] == [
        {"channel": "email", "planned": "3000.00", "planned_to_date": "3000.00", "spent": "3000.00",
         "remaining": "0.00", "percent_spent": "100.00", "pacing": "on_track"},
        {"channel": "facebook", "planned": "300.00", "planned_to_date": "300.00", "spent": "250.00",
         "remaining": "50.00", "percent_spent": "83.33", "pacing": "behind"},
        {"channel": "google_ads", "planned": "967.74", "planned_to_date": "967.74", "spent": "0.00",
         "remaining": "967.74", "percent_spent": "0.00", "pacing": "behind"},
    ]  # fmt: skip
    assert body["total"] == {"planned": "4267.74", "planned_to_date": "4267.74", "spent": "3250.00",
                             "remaining": "1017.74", "percent_spent": "76.15", "pacing": "behind"}  # fmt: skip


def test_planned_to_date_counts_the_days_up_to_and_including_today_across_a_month_end(cast: Cast) -> None:
    made = dated(cast, datetime.datetime(2025, 1, 20, tzinfo=UTC), 22, channels=["google_ads", "email"])
    line(cast, made, "google_ads", "1000", "monthly")
    line(cast, made, "email", "10")
    spend(cast, made, "google_ads", "400.00", datetime.date(2025, 1, 25))
    now = datetime.datetime(2025, 2, 1, 15, tzinfo=UTC)

    with org_context(cast.org_a):
        summary = selectors.budget_summary(org=cast.org_a, campaign=made, now=now)

    # 20 Jan .. 10 Feb: 12 of January's 31 days and 10 of February's 28; to date, 12 January days and 1 February.
    ads = summary.channels["google_ads"]
    assert (ads.planned, ads.planned_to_date, ads.spent) == (
        Decimal("744.24"),
        Decimal("422.81"),
        Decimal("400.00"),
    )
    assert ads.pacing == "on_track"
    assert (summary.days, summary.days_elapsed) == (22, 13)
    assert summary.channels["email"].planned_to_date == Decimal("130.00")
    assert summary.channels["email"].pacing == "behind"
    assert summary.total.planned == Decimal("964.24")


def test_spend_is_logged_listed_newest_day_first_and_cannot_be_dated_tomorrow(cast: Cast) -> None:
    made = campaign(cast, channels=["email"])
    client = client_for(cast.owner)
    tomorrow = (timezone.now() + datetime.timedelta(days=2)).date().isoformat()

    first = client.post(_spend_url(made.pk), {"channel": "email", "amount": "12.30", "spent_on": "2025-01-02",
                                              "note": "Mailchimp"}, format="json")  # fmt: skip
    second = client.post(_spend_url(made.pk), {"channel": "email", "amount": "0.01", "spent_on": "2025-01-05"},
                         format="json")  # fmt: skip
    future = client.post(
        _spend_url(made.pk), {"channel": "email", "amount": "1", "spent_on": tomorrow}, format="json"
    )

    assert (first.status_code, second.status_code) == (201, 201)
    assert (future.status_code, future.json()["fields"]["spent_on"][0]["code"]) == (400, "in_future")
    listed = client.get(_spend_url(made.pk)).json()
    assert listed["count"] == 2
    assert [(row["spent_on"], row["amount"], row["note"]) for row in listed["results"]] == [
        ("2025-01-05", "0.01", ""), ("2025-01-02", "12.30", "Mailchimp")
    ]  # fmt: skip


def test_spend_is_changed_and_removed_with_its_timeline_entries(cast: Cast) -> None:
    made = campaign(cast, channels=["email", "x"])
    entry = spend(cast, made, "email", "10", datetime.date(2025, 1, 2))
    client = client_for(cast.owner)
    url = f"{_spend_url(made.pk)}{entry.pk}/"

    changed = client.patch(url, {"amount": "11.50", "channel": "x"}, format="json")
    removed = client.delete(url)

    assert (changed.status_code, changed.json()["amount"], changed.json()["channel"]) == (200, "11.50", "x")
    assert removed.status_code == 204
    verbs = [row["verb"] for row in client.get(f"{CAMPAIGNS}{made.pk}/timeline/").json()["results"]]
    assert verbs[:3] == ["spend_removed", "spend_changed", "spend_logged"]
    with org_context(cast.org_a):
        assert not SpendEntry.objects.exists()


def test_budget_writes_on_an_archived_campaign_are_a_409(cast: Cast) -> None:
    made = campaign(cast, channels=["email"])
    client = client_for(cast.owner)
    client.delete(f"{CAMPAIGNS}{made.pk}/")

    response = client.post(_lines_url(made.pk), {"channel": "email", "amount": "5"}, format="json")

    assert (response.status_code, response.json()["code"]) == (409, "archived")


def test_a_member_who_may_not_change_the_campaign_is_refused(cast: Cast) -> None:
    made = campaign(cast, channels=["email"], watchers=[cast.member.pk])
    client = client_for(cast.member)

    assert client.post(_lines_url(made.pk), {"channel": "email", "amount": "5"}, format="json").status_code == 404
    assert client.post(_spend_url(made.pk), {"channel": "email", "amount": "5", "spent_on": "2025-01-01"},
                       format="json").status_code == 404  # fmt: skip


def test_overspending_tells_the_owner_once_even_when_the_owner_logged_it(
    cast: Cast, run_tasks_inline: None, django_capture_on_commit_callbacks
) -> None:
    made = dated(cast, datetime.datetime(2025, 1, 1, tzinfo=UTC), 10, channels=["email", "x"])
    line(cast, made, "email", "10")  # 100.00 over the 10 days
    line(cast, made, "x", "50")  # 500.00
    spend(cast, made, "email", "100.00", datetime.date(2025, 1, 2))  # exactly the budget: not over
    with org_context(cast.org_a):
        assert not BudgetAlert.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        spend(cast, made, "email", "0.01", datetime.date(2025, 1, 3))
    with django_capture_on_commit_callbacks(execute=True):
        spend(cast, made, "email", "50.00", datetime.date(2025, 1, 4))

    with org_context(cast.org_a):
        alerts = list(BudgetAlert.objects.values_list("scope", "planned", "spent"))
        notes = list(Notification.objects.filter(kind="budget_exceeded").values_list("recipient_id", "message"))
    assert alerts == [("email", Decimal("100.00"), Decimal("100.01"))]
    assert notes == [(cast.owner.pk, f"The campaign {made.name} has spent more than its budget (email).")]
    assert [email.to for email in mail.outbox] == [["owner@alpha.test"]]

    spend(cast, made, "x", "500", datetime.date(2025, 1, 4))  # now the whole campaign is over too
    with org_context(cast.org_a):
        assert sorted(BudgetAlert.objects.values_list("scope", flat=True)) == ["email", "total"]
        assert Notification.objects.filter(kind="budget_exceeded").count() == 2


def test_shortening_a_campaign_below_its_spend_alerts_too(cast: Cast) -> None:
    made = dated(cast, datetime.datetime(2025, 1, 1, tzinfo=UTC), 10, channels=["email"])
    line(cast, made, "email", "10")
    spend(cast, made, "email", "60", datetime.date(2025, 1, 2))

    response = client_for(cast.owner).patch(
        f"{CAMPAIGNS}{made.pk}/", {"ends_at": "2025-01-05T00:00:00Z"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["budget"]["total"]["remaining"] == "-20.00"
    with org_context(cast.org_a):
        assert sorted(BudgetAlert.objects.values_list("scope", flat=True)) == ["email", "total"]
