"""Inquiries about a published listing from an agency's website: a lead (or the open lead with that email)
linked to the listing, the listing's timeline, and a notice to its agent."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from leads.models import Lead
from leads.services import Intake, lead_receive
from properties.models import Property
from records import services as records
from records.ports import journal
from tenants.models import Org
from timeline.models import NotificationKind


def _lead_fields(data: dict[str, Any]) -> dict[str, Any]:
    """ "Ada Lovelace" becomes first and last name; the message is the lead's description."""
    first, _, last = data["name"].strip().partition(" ")
    return {
        "first_name": first[:100], "last_name": last.strip()[:100], "email": data.get("email", ""),
        "phone": data.get("phone", ""), "description": data.get("message", ""),
        "consent": bool(data.get("consent")),
    }  # fmt: skip


def inquiry_receive(*, org: Org, listing: Property, data: dict[str, Any]) -> Lead:
    """One transaction: the lead, the listing's `inquiry_received` entry and the agent's notice (emailed after
    the commit)."""
    with transaction.atomic():
        lead = lead_receive(
            intake=Intake(org=org, throttle_key=f"listing:{listing.pk}", listing=listing), data=_lead_fields(data)
        )
        who = data["name"].strip()
        entry = {"lead_id": str(lead.pk), "name": who, "email": data.get("email", "")}
        records.log_activity(listing, None, "inquiry_received", entry)
        if listing.listing_agent_id is not None:
            journal().notify(
                org=org,
                actor=None,
                recipient_ids=[listing.listing_agent_id],
                kind=NotificationKind.LISTING_INQUIRY,
                target_type=records.target_type(lead),
                target_id=lead.pk,
                message=f"{who} asked about {listing.title} ({listing.reference})",
            )
    return lead
