"""The events beyond the six of every record type, written to the outbox in the transaction of the change: a deal
won or lost (decided by the deal as it stands), a lead converted, an invoice paid and an email send completed.
An endpoint only gets what it subscribed to, and only its own org's changes."""

from __future__ import annotations

from typing import Any

import pytest

from common.context import org_context
from deals.models import Stage
from deals.pipeline_services import pipeline_ensure_default
from emailing.models import EmailSend
from emailing.sending import send_complete_if_done
from emailing.tests import helpers as mail
from invoices.tests.helpers import issued, pay
from tenants.testing.fixtures import Cast, client_for
from webhooks.models import Delivery, Event
from webhooks.tests.helpers import endpoint

pytestmark = pytest.mark.django_db
EXTRAS = ["deal.won", "deal.lost", "lead.converted", "invoice.paid", "email_send.completed"]


def _raised(cast: Cast) -> list[tuple[str, str, str]]:
    """(event type, object, record id) of org A's outbox, oldest first."""
    with org_context(cast.org_a):
        return [
            (event.event_type, event.payload["data"]["object"], event.payload["data"]["id"])
            for event in Event.objects.order_by("id")
        ]


def _stages(cast: Cast) -> dict[str, Any]:
    with org_context(cast.org_a):
        pipeline = pipeline_ensure_default(org=cast.org_a)
        return {stage.name: stage for stage in Stage.objects.filter(pipeline=pipeline)}


def test_won_and_lost_deals_and_a_converted_lead_raise_their_events(cast: Cast) -> None:
    with org_context(cast.org_a):
        hook = endpoint(cast.org_a, "https://hooks.example.test/a", EXTRAS)
    owner, stages = client_for(cast.owner), _stages(cast)
    won = owner.post("/api/deals/", {"name": "Harbor lease"}, format="json").json()
    lost = owner.post("/api/deals/", {"name": "Dock lease"}, format="json").json()
    lead = owner.post("/api/leads/", {"first_name": "Ana", "last_name": "Lima"}, format="json").json()

    moves = [
        owner.post(f"/api/deals/{won['id']}/move/", {"stage": str(stages["Won"].pk)}, format="json"),
        owner.post(f"/api/deals/{lost['id']}/move/", {"stage": str(stages["Lost"].pk), "lost_reason": "Rival"},
                   format="json"),
        owner.post(f"/api/leads/{lead['id']}/convert/", {}, format="json"),
    ]  # fmt: skip

    assert [move.status_code for move in moves] == [200, 200, 201], [move.json() for move in moves]
    assert _raised(cast) == [
        ("deal.won", "deal", won["id"]),
        ("deal.lost", "deal", lost["id"]),
        ("lead.converted", "lead", lead["id"]),
    ]
    with org_context(cast.org_a):
        lost_event = Event.objects.get(event_type="deal.lost")
        assert lost_event.payload["data"]["record"]["lost_reason"] == "Rival"
        assert Delivery.objects.filter(endpoint=hook).count() == 3


def test_a_paid_invoice_and_a_completed_send_raise_their_events_and_nothing_crosses_orgs(cast: Cast) -> None:
    with org_context(cast.org_a):
        endpoint(cast.org_a, "https://hooks.example.test/a", EXTRAS)
    with org_context(cast.org_b):
        theirs = endpoint(cast.org_b, "https://hooks.example.test/b", EXTRAS)
    invoice = issued(cast)
    mail.settings_row(cast.org_a)
    send = mail.draft(cast.org_a, cast.owner, [mail.segment_everyone(cast.org_a)])

    pay(cast, invoice, invoice.total)
    with org_context(cast.org_a):
        EmailSend.objects.filter(pk=send.pk).update(status="sending")
        send_complete_if_done(org=cast.org_a, send_id=send.pk)
    issued_b = issued(cast, org=cast.org_b)
    pay(cast, issued_b, issued_b.total, allocated=issued_b.total)

    assert _raised(cast) == [
        ("invoice.paid", "invoice", str(invoice.pk)),
        ("email_send.completed", "email_send", str(send.pk)),
    ]
    with org_context(cast.org_b):
        delivered_b = list(Delivery.objects.filter(endpoint=theirs).values_list("event__payload", flat=True))
    assert [payload["data"]["id"] for payload in delivered_b] == [str(issued_b.pk)]
