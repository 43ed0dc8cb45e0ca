"""Demo email marketing: consent on the demo contacts, the org's settings, segments, a finished newsletter with
its opens, clicks, an unsubscribe and a bounce, and a draft waiting for approval."""

from __future__ import annotations

import datetime
from typing import Any

from contacts.models import Contact, EmailConsent
from demo.context import DemoContext
from emailing.models import (
    EmailEvent,
    EmailLink,
    EmailSend,
    EmailSettings,
    EventKind,
    Recipient,
    RecipientState,
    Segment,
    SegmentKind,
    SegmentMember,
    SendStatus,
    Suppression,
    SuppressionReason,
)

HTML = (
    '<h1>New this month</h1><p>Hi {{ contact.first_name | default: "there" }},</p>'
    "<p>Three new listings by the harbour, from studios to family homes.</p>"
    '<p><a href="https://example.com/listings/harbour">See the harbour listings</a> or '
    '<a href="https://example.com/open-house">book a viewing at the open house</a>.</p>'
)
CONSENTS = [EmailConsent.SUBSCRIBED] * 7 + [EmailConsent.NEVER_ASKED, EmailConsent.UNSUBSCRIBED]


def seed(ctx: DemoContext) -> dict[str, int]:
    org, rng = ctx.org, ctx.rng
    contacts = list(Contact.objects.for_org(org).exclude(email="").order_by("pk"))
    for contact in contacts:
        contact.email_consent = rng.choice(CONSENTS)
        contact.email_consent_source = "import"
        contact.email_consent_at = ctx.now - datetime.timedelta(days=rng.randint(30, 400))
    Contact.objects.bulk_update(contacts, ["email_consent", "email_consent_source", "email_consent_at"])
    owner = ctx.member()
    domain = f"{org.slug}.example.com"
    EmailSettings.objects.update_or_create(
        org=org,
        defaults={
            "sender_domains": [domain],
            "default_from_name": org.name,
            "default_from_email": f"news@{domain}",
            "postal_address": "1 Harbour Quay, Lisbon",
            "created_by": owner,
            "updated_by": owner,
        },
    )
    everyone, _ = Segment.objects.get_or_create(
        org=org,
        name="Subscribed contacts",
        defaults={
            "created_by": owner,
            "definition": {
                "match": "all",
                "conditions": [{"field": "consent", "op": "in", "value": ["subscribed"]}],
            },
        },
    )
    picked, _ = Segment.objects.get_or_create(
        org=org, name="Open house guests", defaults={"kind": SegmentKind.STATIC, "created_by": owner}
    )
    SegmentMember.objects.bulk_create(
        [
            SegmentMember(org=org, segment=picked, contact=contact, created_by=owner)
            for contact in rng.sample(contacts, min(8, len(contacts)))
        ],
        ignore_conflicts=True,
    )
    campaign = next(iter(ctx.some("campaigns.campaign")), None)
    common: dict[str, Any] = {
        "org": org,
        "from_email": f"news@{domain}",
        "from_name": org.name,
        "html": HTML,
        "segment_ids": [everyone.pk],
        "campaign_id": campaign,
        "created_by": owner,
    }
    sent_at = ctx.now - datetime.timedelta(days=6)
    newsletter = EmailSend.objects.create(
        name="Harbour newsletter",
        subject='New by the harbour, {{ contact.first_name | default: "friend" }}',
        status=SendStatus.COMPLETED,
        started_at=sent_at,
        started_by=owner,
        finished_at=sent_at,
        content_approved_at=sent_at,
        content_approved_by=owner,
        **common,
    )
    EmailSend.objects.create(name="Open house reminder", subject="See you on Saturday", **common)
    links = [
        EmailLink.objects.create(org=org, send=newsletter, position=i, url=url)
        for i, url in enumerate(["https://example.com/listings/harbour", "https://example.com/open-house"])
    ]
    audience = [c for c in contacts if c.email_consent == EmailConsent.SUBSCRIBED]
    recipients = Recipient.objects.bulk_create(
        Recipient(
            org=org,
            send=newsletter,
            contact=c,
            email=c.email.lower(),
            state=RecipientState.SENT,
            attempts=1,
            sent_at=sent_at,
            finished_at=sent_at,
        )
        for c in audience
    )
    events = []
    for recipient in recipients:
        roll = rng.random()
        if roll < 0.45:
            opened = sent_at + datetime.timedelta(minutes=rng.randint(5, 3000))
            recipient.first_open_at = opened
            events.append(
                EmailEvent(org=org, send=newsletter, recipient=recipient, kind=EventKind.OPEN, occurred_at=opened)
            )
            if roll < 0.15:
                recipient.first_click_at = opened
                events.append(
                    EmailEvent(
                        org=org,
                        send=newsletter,
                        recipient=recipient,
                        kind=EventKind.CLICK,
                        link=rng.choice(links),
                        occurred_at=opened,
                    )
                )
        elif roll < 0.6:
            recipient.first_machine_open_at = sent_at + datetime.timedelta(seconds=3)
    if len(recipients) > 3:
        bounced = recipients[-1]
        bounced.state, bounced.bounced_at = RecipientState.BOUNCED, sent_at + datetime.timedelta(minutes=2)
        Suppression.objects.get_or_create(
            org=org, email=bounced.email, defaults={"reason": SuppressionReason.BOUNCE, "source": "ses:bounce"}
        )
        recipients[-2].unsubscribed_at = sent_at + datetime.timedelta(hours=5)
    Recipient.objects.bulk_update(
        recipients,
        ["state", "bounced_at", "first_open_at", "first_click_at", "first_machine_open_at", "unsubscribed_at"],
    )
    EmailEvent.objects.bulk_create(events)
    newsletter.audience_count = len(contacts)
    newsletter.recipient_count = len(recipients)
    excluded: dict[str, int] = {}
    for contact in contacts:
        if contact.email_consent != EmailConsent.SUBSCRIBED:
            excluded[contact.email_consent] = excluded.get(contact.email_consent, 0) + 1
    newsletter.excluded = excluded
    newsletter.save(update_fields=["audience_count", "recipient_count", "excluded"])
    return {
        "email segments": 2,
        "email sends": 2,
        "email recipients": len(recipients),
        "email events": len(events),
    }
