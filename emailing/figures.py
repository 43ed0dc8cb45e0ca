"""A send's figures: recipients, exclusions, outcomes, human opens (machine opens apart), clicks, unsubscribes,
bounces and complaints with their rates; clicks per link; an hourly series; the CSV; and the totals of a
campaign's sends for its report. A handful of aggregate queries, whatever the send's size."""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Q

from campaigns.models import Campaign
from emailing.models import EmailEvent, EmailLink, EmailSend, EventKind, Recipient
from emailing.send_services import org_zone
from tenants.models import Org

_STATES = ("queued", "sending", "sent", "failed", "unknown", "skipped", "cancelled")
COUNTED = (
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


def _percent(part: int, whole: int) -> str | None:
    if whole <= 0:
        return None
    value = Decimal(part * 100) / Decimal(whole)
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _rates(figures: dict[str, Any]) -> dict[str, str | None]:
    delivered = figures["sent"] - figures["bounced"]
    return {
        "bounce_rate": _percent(figures["bounced"], figures["sent"]),
        "open_rate": _percent(figures["unique_opens"], delivered),
        "click_rate": _percent(figures["unique_clicks"], delivered),
        "click_to_open_rate": _percent(figures["unique_clicks"], figures["unique_opens"]),
        "unsubscribe_rate": _percent(figures["unsubscribes"], delivered),
        "complaint_rate": _percent(figures["complaints"], delivered),
    }


def _aggregate(recipients: Any) -> dict[str, int]:
    row: dict[str, int] = recipients.aggregate(**_aggregate_expressions())
    return row


def _figures(row: dict[str, int], excluded: dict[str, int]) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "recipients": row["total"],
        "excluded": sum(excluded.values()),
        "excluded_by_reason": excluded,
        **{state: row[state] for state in ("queued", "sending", "failed", "unknown", "skipped", "cancelled")},
        # Bounced and complained messages were sent first.
        "sent": row["ever_sent"],
        "bounced": row["bounced"],
        "complaints": row["complaints"],
        "unique_opens": row["unique_opens"],
        "machine_opens": row["machine_opens"],
        "unique_clicks": row["unique_clicks"],
        "unsubscribes": row["unsubscribes"],
    }
    figures["rates"] = _rates(figures)
    return figures


def send_figures(*, org: Org, send: EmailSend) -> dict[str, Any]:
    row = _aggregate(Recipient.objects.for_org(org).filter(send=send))
    return _figures(row, dict(send.excluded or {}))


def link_figures(*, org: Org, send: EmailSend) -> list[dict[str, Any]]:
    clicks = (
        EmailEvent.objects.for_org(org)
        .filter(send=send, kind=EventKind.CLICK)
        .values("link_id")
        .annotate(clicks=Count("id"), unique_clicks=Count("recipient_id", distinct=True))
        .order_by()
    )
    by_link = {row["link_id"]: row for row in clicks}
    links = EmailLink.objects.for_org(org).filter(send=send).order_by("position")
    return [
        {
            "position": link.position,
            "url": link.url,
            "clicks": by_link.get(link.pk, {}).get("clicks", 0),
            "unique_clicks": by_link.get(link.pk, {}).get("unique_clicks", 0),
        }
        for link in links
    ]


_HOURLY = """
WITH sent AS (
    SELECT date_trunc('hour', sent_at AT TIME ZONE %(zone)s) AS hour, count(*) AS n
      FROM emailing_recipient WHERE send_id = %(send)s AND org_id = %(org)s AND sent_at IS NOT NULL GROUP BY 1
), events AS (
    SELECT date_trunc('hour', occurred_at AT TIME ZONE %(zone)s) AS hour,
           count(*) FILTER (WHERE kind = 'open') AS opens,
           count(*) FILTER (WHERE kind = 'machine_open') AS machine_opens,
           count(*) FILTER (WHERE kind = 'click') AS clicks
      FROM emailing_emailevent WHERE send_id = %(send)s AND org_id = %(org)s GROUP BY 1
)
SELECT coalesce(s.hour, e.hour) AS hour, coalesce(s.n, 0), coalesce(e.opens, 0), coalesce(e.machine_opens, 0),
       coalesce(e.clicks, 0)
  FROM sent s FULL OUTER JOIN events e ON e.hour = s.hour
 ORDER BY 1
"""


def hourly_figures(*, org: Org, send: EmailSend) -> list[dict[str, Any]]:
    """Per hour of the org's clock: messages sent, human opens, machine opens and clicks."""
    zone = org_zone(org)
    with connection.cursor() as cursor:
        cursor.execute(_HOURLY, {"zone": str(zone), "send": send.pk, "org": org.pk})
        rows = cursor.fetchall()
    return [
        {
            "hour": hour.replace(tzinfo=zone),
            "sent": sent,
            "opens": opens,
            "machine_opens": machine,
            "clicks": clicks,
        }
        for hour, sent, opens, machine, clicks in rows
    ]


def send_report(*, org: Org, send: EmailSend) -> dict[str, Any]:
    return {
        "send": {
            "id": str(send.pk),
            "name": send.name,
            "status": send.status,
            "subject": send.subject,
            "started_at": send.started_at.isoformat() if send.started_at else None,
            "finished_at": send.finished_at.isoformat() if send.finished_at else None,
        },
        "figures": send_figures(org=org, send=send),
        "links": link_figures(org=org, send=send),
        "hourly": hourly_figures(org=org, send=send),
        "timezone": str(org_zone(org)),
    }


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet would run a cell starting with these as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def send_report_csv(report: dict[str, Any]) -> bytes:
    """One figure a row: section, name, value."""
    rows: list[list[Any]] = [["section", "name", "value"]]
    rows += [["send", name, value] for name, value in report["send"].items()]
    figures = report["figures"]
    rows += [["figures", name, figures[name]] for name in (*COUNTED, "queued", "sending", "skipped", "cancelled")]
    rows += [["excluded", reason, n] for reason, n in sorted(figures["excluded_by_reason"].items())]
    rows += [["rates", name, value] for name, value in figures["rates"].items()]
    for link in report["links"]:
        rows += [
            [f"link_{link['position']}", "url", link["url"]],
            [f"link_{link['position']}", "clicks", link["clicks"]],
            [f"link_{link['position']}", "unique_clicks", link["unique_clicks"]],
        ]
    for hour in report["hourly"]:
        stamp = hour["hour"].isoformat()
        rows += [[f"hour {stamp}", name, hour[name]] for name in ("sent", "opens", "machine_opens", "clicks")]
    out = io.StringIO()
    csv.writer(out).writerows([[_cell(value) for value in row] for row in rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def campaign_send_figures(*, org: Org, campaign: Campaign) -> dict[str, Any] | None:
    """For the campaign report: the figures of the campaign's sends in total and per send (None without any).
    Two queries."""
    sends = list(
        EmailSend.objects.for_org(org)
        .filter(campaign=campaign)
        .exclude(status="draft")
        .order_by("started_at", "created_at")
    )
    if not sends:
        return None
    per_send = {
        row["send_id"]: row
        for row in Recipient.objects.for_org(org)
        .filter(send__in=sends)
        .values("send_id")
        .annotate(**_aggregate_expressions())
        .order_by()
    }
    empty = dict.fromkeys(
        (
            "total",
            *_STATES,
            "ever_sent",
            "bounced",
            "complaints",
            "unique_opens",
            "machine_opens",
            "unique_clicks",
            "unsubscribes",
        ),
        0,
    )
    rows = []
    totals = dict(empty)
    excluded_total: dict[str, int] = {}
    for send in sends:
        row = per_send.get(send.pk, empty)
        figures = _figures(row, dict(send.excluded or {}))
        rows.append(
            {
                "id": str(send.pk),
                "name": send.name,
                "status": send.status,
                "started_at": send.started_at.isoformat() if send.started_at else None,
                "figures": figures,
            }
        )
        for name in totals:
            totals[name] += row.get(name, 0)
        for reason, n in (send.excluded or {}).items():
            excluded_total[reason] = excluded_total.get(reason, 0) + n
    return {"count": len(sends), "totals": _figures(totals, excluded_total), "sends": rows}


def _aggregate_expressions() -> dict[str, Any]:
    return {
        "total": Count("id"),
        **{state: Count("id", filter=Q(state=state)) for state in _STATES},
        "ever_sent": Count("id", filter=Q(sent_at__isnull=False)),
        "bounced": Count("id", filter=Q(bounced_at__isnull=False)),
        "complaints": Count("id", filter=Q(complained_at__isnull=False)),
        "unique_opens": Count("id", filter=Q(first_open_at__isnull=False)),
        "machine_opens": Count("id", filter=Q(first_open_at__isnull=True, first_machine_open_at__isnull=False)),
        "unique_clicks": Count("id", filter=Q(first_click_at__isnull=False)),
        "unsubscribes": Count("id", filter=Q(unsubscribed_at__isnull=False)),
    }
