"""A send's figures: outcomes, human opens (machine opens apart), clicks per link, unsubscribes, bounces and
complaints with their rates, an hourly series, the CSV, and the campaign report's email section."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any

import pytest
from django.utils import timezone

from campaigns.ai.tests.helpers import campaign_make
from common.context import org_context
from emailing.models import EmailEvent, EmailLink, Recipient
from emailing.tests import helpers as h
from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db
HOUR = datetime.datetime(2026, 5, 4, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def send(cast: Cast) -> Any:
    org = cast.org_a
    campaign = campaign_make(org, cast.owner, channels=["email"], name="Harbour launch")
    made = h.draft(
        org,
        cast.owner,
        [h.segment_everyone(org)],
        status="completed",
        campaign=campaign,
        excluded={"unsubscribed": 2, "suppressed": 1},
        recipient_count=8,
        name="May news",
    )
    at = HOUR + datetime.timedelta(minutes=5)
    with org_context(org):
        link_a = EmailLink.objects.create(org=org, send=made, position=0, url="https://example.com/a")
        link_b = EmailLink.objects.create(org=org, send=made, position=1, url="https://example.com/b")

        def row(n: int, state: str = "sent", **fields: Any) -> Recipient:
            sent = fields.pop("sent_at", at if state not in ("failed", "unknown") else None)
            return Recipient.objects.create(
                org=org, send=made, email=f"p{n}@example.test", state=state, sent_at=sent, **fields
            )

        opened = row(
            1, first_open_at=at + datetime.timedelta(hours=1), first_click_at=at + datetime.timedelta(hours=1)
        )
        row(2, first_open_at=at + datetime.timedelta(hours=1), unsubscribed_at=at + datetime.timedelta(hours=1))
        machine = row(3, first_machine_open_at=at)
        row(4, "bounced", bounced_at=at)
        row(5, "complained", complained_at=at, first_open_at=at + datetime.timedelta(hours=2))
        row(6)
        row(7, "failed", last_reply="550 5.1.1 User unknown")
        row(8, "unknown")
        events = [
            (opened, "open", None, 1),
            (opened, "click", link_a, 1),
            (opened, "click", link_a, 1),
            (opened, "click", link_b, 2),
            (machine, "machine_open", None, 0),
        ]
        for recipient, kind, link, hours in events:
            EmailEvent.objects.create(
                org=org,
                send=made,
                recipient=recipient,
                kind=kind,
                link=link,
                occurred_at=at + datetime.timedelta(hours=hours),
            )
    return made


def test_the_report_counts_each_outcome_and_its_rate(cast: Cast, send: Any) -> None:
    body = client_for(cast.viewer).get(f"/api/email/sends/{send.pk}/report/").json()

    figures = body["figures"]
    assert {
        name: figures[name]
        for name in (
            "recipients",
            "excluded",
            "sent",
            "failed",
            "unknown",
            "bounced",
            "complaints",
            "unique_opens",
            "machine_opens",
            "unique_clicks",
            "unsubscribes",
        )
    } == {
        "recipients": 8,
        "excluded": 3,
        "sent": 6,
        "failed": 1,
        "unknown": 1,
        "bounced": 1,
        "complaints": 1,
        "unique_opens": 3,
        "machine_opens": 1,
        "unique_clicks": 1,
        "unsubscribes": 1,
    }
    assert figures["excluded_by_reason"] == {"unsubscribed": 2, "suppressed": 1}
    assert figures["rates"] == {
        "bounce_rate": "16.67",
        "open_rate": "60.00",
        "click_rate": "20.00",
        "click_to_open_rate": "33.33",
        "unsubscribe_rate": "20.00",
        "complaint_rate": "20.00",
    }
    assert body["links"] == [
        {"position": 0, "url": "https://example.com/a", "clicks": 2, "unique_clicks": 1},
        {"position": 1, "url": "https://example.com/b", "clicks": 1, "unique_clicks": 1},
    ]
    assert body["hourly"] == [
        {"hour": "2026-05-04T09:00:00Z", "sent": 6, "opens": 0, "machine_opens": 1, "clicks": 0},
        {"hour": "2026-05-04T10:00:00Z", "sent": 0, "opens": 1, "machine_opens": 0, "clicks": 2},
        {"hour": "2026-05-04T11:00:00Z", "sent": 0, "opens": 0, "machine_opens": 0, "clicks": 1},
    ]


def test_the_csv_has_one_figure_a_row(cast: Cast, send: Any) -> None:
    response = client_for(cast.viewer).get(f"/api/email/sends/{send.pk}/report/csv/")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert response["Content-Disposition"] == 'attachment; filename="may-news-report.csv"'
    assert rows[0] == ["section", "name", "value"]
    assert ["figures", "unique_opens", "3"] in rows and ["rates", "open_rate", "60.00"] in rows
    assert ["link_0", "clicks", "2"] in rows and ["excluded", "suppressed", "1"] in rows


def test_the_campaign_report_has_its_sends(cast: Cast, send: Any) -> None:
    report = client_for(cast.viewer).get(f"/api/campaigns/{send.campaign_id}/report/").json()
    rows = list(
        csv.reader(
            io.StringIO(
                client_for(cast.viewer)
                .get(f"/api/campaigns/{send.campaign_id}/report/csv/")
                .content.decode("utf-8-sig")
            )
        )
    )
    pdf = client_for(cast.viewer).get(f"/api/campaigns/{send.campaign_id}/report/pdf/")

    sends = report["sends"]
    assert (sends["count"], sends["totals"]["sent"], sends["totals"]["unique_opens"]) == (1, 6, 3)
    assert [(row["name"], row["figures"]["recipients"]) for row in sends["sends"]] == [("May news", 8)]
    assert ["sends", "available", "", "yes"] in rows and ["send", "unique_clicks", "May news", "1"] in rows
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_report_is_the_same_few_queries_whatever_the_send_size(cast: Cast, send: Any) -> None:
    from tenants.testing.queries import count_queries

    viewer = client_for(cast.viewer)
    url = f"/api/email/sends/{send.pk}/report/"
    viewer.get(url)
    before, _ = count_queries(lambda: viewer.get(url), include_search_path=False)
    with org_context(cast.org_a):
        Recipient.objects.bulk_create(
            Recipient(
                org=cast.org_a, send=send, email=f"more{n}@example.test", state="sent", sent_at=timezone.now()
            )
            for n in range(40)
        )
    after, _ = count_queries(lambda: viewer.get(url), include_search_path=False)

    assert before == after
