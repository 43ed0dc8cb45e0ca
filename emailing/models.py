"""Email marketing: each org's email settings and suppression list, segments (saved filters and hand-picked
lists), sends with their frozen recipients and links, and what happened to each message (events)."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from common.models import BaseModel, Profile


class EmailSettings(BaseModel):
    """One org's email marketing settings (one row per org, made on first read)."""

    # The from address of a send must be on one of these domains (the org has set them up with its provider).
    sender_domains = ArrayField(models.CharField(max_length=253), default=list, blank=True)
    default_from_name = models.CharField(max_length=100, blank=True)
    default_from_email = models.EmailField(max_length=254, blank=True)
    reply_to = models.EmailField(max_length=254, blank=True)
    # Printed in every email's footer (anti-spam laws ask for a postal address).
    postal_address = models.CharField(max_length=300, blank=True)
    # Contacts never asked for consent are sent to only when the org says so.
    include_never_asked = models.BooleanField(default=False)
    tracking_enabled = models.BooleanField(default=True)
    # Messages a minute for this org's sends; null is the platform's default (EMAILING_RATE_PER_MINUTE).
    messages_per_minute = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org"], name="email_settings_one_per_org")]

    def __str__(self) -> str:
        return f"email settings of {self.org_id}"


class SuppressionReason(models.TextChoices):
    BOUNCE = "bounce", "Hard bounce"
    COMPLAINT = "complaint", "Spam complaint"
    MANUAL = "manual", "Added by hand"


class Suppression(BaseModel):
    """An address this org never sends marketing email to, whatever a contact's consent says."""

    email = models.CharField(max_length=254, help_text="Lower case.")
    reason = models.CharField(max_length=12, choices=SuppressionReason.choices)
    source = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "email"], name="suppression_email_once_per_org"),
            models.CheckConstraint(
                condition=Q(reason__in=SuppressionReason.values), name="suppression_reason_valid"
            ),
            models.CheckConstraint(condition=Q(email=Lower("email")), name="suppression_lower"),
        ]

    def __str__(self) -> str:
        return self.email


class SegmentKind(models.TextChoices):
    DYNAMIC = "dynamic", "Dynamic (a saved filter)"
    STATIC = "static", "Static (hand-picked contacts)"


class Segment(BaseModel):
    """Who a send goes to: a saved filter over contacts (emailing.segments compiles it to one SQL query) or a
    hand-picked list."""

    name = models.CharField(max_length=120)
    description = models.CharField(max_length=500, blank=True)
    kind = models.CharField(max_length=8, choices=SegmentKind.choices, default=SegmentKind.DYNAMIC)
    # {"match": "all" | "any", "conditions": [...]}: see emailing.segments.
    definition = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="segment_name_unique_per_org"),
            models.CheckConstraint(condition=Q(kind__in=SegmentKind.values), name="segment_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class SegmentMember(BaseModel):
    """A contact picked into a static segment."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="members")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "segment", "contact"], name="segment_member_once"),
        ]
        indexes = [models.Index(fields=["contact", "segment"], name="segment_member_by_contact")]

    def __str__(self) -> str:
        return f"{self.contact_id} in {self.segment_id}"


class SendStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed to start"


# Content and audience change only before a send starts.
EDITABLE_STATUSES = (SendStatus.DRAFT,)
ACTIVE_STATUSES = (SendStatus.SENDING, SendStatus.PAUSED)


class EmailSend(BaseModel):
    """One email to an audience: its content, sender, audience and schedule, and where it has got to."""

    name = models.CharField(max_length=200)
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The listing the email is about: its whitelisted fields are merge fields (`{{ property.title }}`).
    listing = models.ForeignKey(
        "properties.Property", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The audience: contacts in any of these segments and in none of the excluded ones (ids of this org's
    # segments, checked when written).
    segment_ids = ArrayField(models.UUIDField(), default=list, blank=True)
    exclude_segment_ids = ArrayField(models.UUIDField(), default=list, blank=True)

    from_name = models.CharField(max_length=100, blank=True)
    from_email = models.EmailField(max_length=254, blank=True)
    reply_to = models.EmailField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    preheader = models.CharField(max_length=300, blank=True)
    html = models.TextField(blank=True)
    # Blank: derived from the HTML when sent.
    text = models.TextField(blank=True)
    # Content approval (managers and above); any change to the content takes it back.
    content_approved_at = models.DateTimeField(null=True, blank=True)
    content_approved_by = models.ForeignKey(
        Profile, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )
    content_source = models.CharField(max_length=60, blank=True, help_text="`ai_suggestion:<id>` for AI copy.")

    status = models.CharField(max_length=10, choices=SendStatus.choices, default=SendStatus.DRAFT)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        Profile, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )
    paused_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    # Frozen when it starts: the org's tracking switch, how many contacts the segments matched, and why some
    # of them get nothing ({"unsubscribed": 3, "suppressed": 1, ...}).
    tracking_enabled = models.BooleanField(default=True)
    audience_count = models.PositiveIntegerField(default=0)
    recipient_count = models.PositiveIntegerField(default=0)
    excluded = models.JSONField(default=dict, blank=True)
    # Last sign of life of its workers; a sending send quiet for longer is picked up again by the beat.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=SendStatus.values), name="email_send_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=SendStatus.SCHEDULED) | Q(scheduled_at__isnull=False),
                name="email_send_scheduled_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "scheduled_at"], name="email_send_due"),
            models.Index(fields=["campaign", "-created_at"], name="email_send_campaign"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_content_approved(self) -> bool:
        return self.content_approved_at is not None


class EmailLink(BaseModel):
    """A link of a send's email, numbered when the send starts: a click redirects only to one of these."""

    send = models.ForeignKey(EmailSend, on_delete=models.CASCADE, related_name="links")
    position = models.PositiveSmallIntegerField()
    url = models.URLField(max_length=2000)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["org", "send", "position"], name="email_link_position_once")
        ]

    def __str__(self) -> str:
        return self.url


class RecipientState(models.TextChoices):
    QUEUED = "queued", "Queued"
    # Leased by a worker, committed before the SMTP conversation starts.
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    # The lease ran out (the worker died mid-message): it may or may not have gone. Never resent blindly.
    UNKNOWN = "unknown", "Unknown"
    BOUNCED = "bounced", "Bounced"
    COMPLAINED = "complained", "Complained"
    # Consent was withdrawn (or the address suppressed) between the start and its turn.
    SKIPPED = "skipped", "Skipped"
    CANCELLED = "cancelled", "Cancelled"


class Recipient(BaseModel):
    """One message of a send: who it goes to (frozen at the start) and how far it got."""

    # A send freezes up to hundreds of thousands of these in one statement, so the row carries only the indexes
    # its reads use: (org, send, contact) serves every lookup by send, and nobody looks recipients up by author.
    org = models.ForeignKey(
        "tenants.Org",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        editable=False,
    )
    created_by = models.ForeignKey(
        Profile,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        Profile,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )
    # No database constraint either: the send is locked by the very transaction that freezes its rows, and a
    # per-row check would cost as much as the rest of the freeze; Django deletes them with the send.
    send = models.ForeignKey(
        EmailSend, on_delete=models.CASCADE, db_index=False, db_constraint=False, related_name="recipients"
    )
    # No database constraint: the freeze takes these ids from the contacts table in the same statement, and a
    # per-row constraint check costs more than the rest of a 100,000-row freeze. Django still nulls it when a
    # contact is purged.
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.SET_NULL, null=True, db_constraint=False, related_name="+"
    )
    email = models.CharField(max_length=254)
    state = models.CharField(max_length=10, choices=RecipientState.choices, default=RecipientState.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A batch's claim on queued rows (not a lease: nothing is sent under a claim, so a lost claim just lapses).
    claim_token = models.UUIDField(null=True, blank=True)
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    # The lease of one SMTP attempt, committed before it starts.
    lease_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=300, blank=True)
    last_reply = models.CharField(max_length=500, blank=True, help_text="The SMTP server's last answer.")
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    first_open_at = models.DateTimeField(null=True, blank=True)
    first_machine_open_at = models.DateTimeField(null=True, blank=True)
    first_click_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    complained_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["email", "id"]
        constraints = [
            # No contact is frozen into a send twice (the send belongs to one org; the org column is the fence).
            models.UniqueConstraint(fields=["org", "send", "contact"], name="recipient_once_per_send"),
            models.CheckConstraint(condition=Q(state__in=RecipientState.values), name="recipient_state_valid"),
            # A message being sent always has a lease that runs out.
            models.CheckConstraint(
                condition=~Q(state=RecipientState.SENDING) | Q(lease_expires_at__isnull=False),
                name="recipient_sending_is_leased",
            ),
        ]
        indexes = [
            # What a batch claims: a send's queued rows.
            models.Index(
                fields=["send", "next_attempt_at"],
                name="recipient_queued",
                condition=Q(state=RecipientState.QUEUED),
            ),
            # What the reaper finds: leases that ran out.
            models.Index(
                fields=["lease_expires_at"], name="recipient_leased", condition=Q(state=RecipientState.SENDING)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.state})"


class EventKind(models.TextChoices):
    OPEN = "open", "Opened"
    MACHINE_OPEN = "machine_open", "Opened by a machine (proxy or prefetch)"
    CLICK = "click", "Clicked"
    UNSUBSCRIBE = "unsubscribe", "Unsubscribed"
    BOUNCE = "bounce", "Bounced"
    SOFT_BOUNCE = "soft_bounce", "Bounced (temporary)"
    COMPLAINT = "complaint", "Complained"
    DELIVERY = "delivery", "Delivered"


class EmailEvent(BaseModel):
    """Something that happened to a sent message: opened, clicked, unsubscribed, bounced, complained."""

    send = models.ForeignKey(EmailSend, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    link = models.ForeignKey(EmailLink, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    occurred_at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="email_event_kind_valid")
        ]
        indexes = [models.Index(fields=["send", "kind", "occurred_at"], name="email_event_send_kind")]

    def __str__(self) -> str:
        return f"{self.kind} of {self.recipient_id}"
