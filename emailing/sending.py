"""The send loop: batches over one connection, each message leased in its own commit before SMTP.

No recipient ever gets two copies:
1. A batch claims up to EMAILING_BATCH_SIZE queued messages (a claim sends nothing; a lost one just lapses).
2. Each message is leased (`sending`, with a lease that runs out) and committed *before* the SMTP
   conversation starts; the same statement settles the previous message (`sent`, retry later, `failed`...), so
   a message costs one round trip to the database.
3. A worker that dies leaves at most its one leased message behind. When the lease runs out the reaper makes it
   `unknown`: it may have gone, so it is never resent unless someone asks (`retry-unknown`).
Pausing stops at the next message (the lease only takes messages of a `sending` send); resuming continues with
what is still queued. Failures before the message was handed over are retried with backoff up to
EMAILING_MAX_ATTEMPTS, then `failed` with the server's reply; a refusal (5xx) is final at once.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from contacts.models import EmailConsent
from emailing.messages import Composer, ContactValues
from emailing.models import EmailSend, RecipientState, SendStatus
from emailing.ratelimit import RateLimiter, org_rate
from emailing.selectors import email_settings_of
from emailing.transport import SES_BACKEND, DeliveryError, backend_path, transport
from records.ports import journal
from tenants.models import Org

logger = logging.getLogger("crm.emailing")

# A rate-limit wait longer than this ends the batch; its successor starts when the slot is due.
MAX_INLINE_WAIT_SECONDS = 2.0


@dataclass
class Settlement:
    """What became of a leased message."""

    recipient_id: uuid.UUID
    lease_token: uuid.UUID
    state: str
    reply: str = ""
    message_id: str = ""
    retry_in_seconds: float | None = None


@dataclass(frozen=True)
class Leased:
    recipient_id: uuid.UUID
    lease_token: uuid.UUID
    email: str
    attempts: int
    contact: ContactValues
    may_send: bool
    settled: int


_SETTLE_AND_LEASE = """
WITH settled AS (
    UPDATE emailing_recipient
       SET state = %(state)s,
           last_reply = %(reply)s,
           message_id = CASE WHEN %(message_id)s <> '' THEN %(message_id)s ELSE message_id END,
           sent_at = CASE WHEN %(state)s = 'sent' THEN now() ELSE sent_at END,
           finished_at = CASE WHEN %(state)s = 'queued' THEN NULL ELSE now() END,
           next_attempt_at = CASE WHEN %(retry)s::float IS NULL THEN NULL
                                  ELSE now() + %(retry)s::float * interval '1 second' END,
           lease_token = NULL,
           lease_expires_at = NULL,
           updated_at = now()
     WHERE id = %(previous)s AND lease_token = %(previous_lease)s AND state IN ('sending', 'unknown')
 RETURNING 1
), leased AS (
    UPDATE emailing_recipient r
       SET state = 'sending',
           attempts = r.attempts + 1,
           lease_token = %(lease)s,
           lease_expires_at = now() + %(lease_seconds)s * interval '1 second',
           claim_token = NULL,
           claim_expires_at = NULL,
           updated_at = now()
     WHERE r.id = %(next)s AND r.state = 'queued' AND r.claim_token = %(claim)s
       AND EXISTS (SELECT 1 FROM emailing_emailsend s WHERE s.id = r.send_id AND s.status = 'sending')
 RETURNING r.id, r.email, r.attempts, r.contact_id
)
SELECT l.id, l.email, l.attempts, c.first_name, c.last_name, c.title, co.name, c.city, c.region, c.country,
       c.email_consent, c.do_not_contact, c.archived_at IS NOT NULL, c.id IS NULL,
       EXISTS (SELECT 1 FROM emailing_suppression su WHERE su.org_id = %(org)s AND su.email = l.email),
       (SELECT count(*) FROM settled)
  FROM leased l
  LEFT JOIN contacts_contact c ON c.id = l.contact_id
  LEFT JOIN contacts_company co ON co.id = c.company_id
"""


def settle_and_lease(
    *, org: Org, previous: Settlement | None, next_id: uuid.UUID | None, claim: uuid.UUID, allowed: tuple[str, ...]
) -> Leased | None:
    """One statement, one commit: settle the previous message and lease the next one (if it is still queued
    under this claim and its send is still sending)."""
    lease = uuid.uuid4()
    params = {
        "state": previous.state if previous else "",
        "reply": previous.reply[:500] if previous else "",
        "message_id": previous.message_id if previous else "",
        "retry": previous.retry_in_seconds if previous else None,
        "previous": previous.recipient_id if previous else None,
        "previous_lease": previous.lease_token if previous else None,
        "next": next_id,
        "lease": lease,
        "lease_seconds": settings.EMAILING_LEASE_SECONDS,
        "claim": claim,
        "org": org.pk,
    }
    with connection.cursor() as cursor:
        cursor.execute(_SETTLE_AND_LEASE, params)
        row = cursor.fetchone()
    if row is None:
        return None
    (
        recipient_id,
        email,
        attempts,
        first,
        last,
        title,
        company,
        city,
        region,
        country,
        consent,
        do_not_contact,
        archived,
        contact_gone,
        suppressed,
        settled,
    ) = row
    may_send = not contact_gone and not archived and not do_not_contact and not suppressed and consent in allowed
    contact = ContactValues(
        first_name=first or "",
        last_name=last or "",
        email=email,
        title=title or "",
        company=company or "",
        city=city or "",
        region=region or "",
        country=country or "",
    )
    return Leased(recipient_id, lease, email, attempts, contact, may_send, settled)


def claim_batch(*, send_id: uuid.UUID, claim: uuid.UUID, size: int) -> list[uuid.UUID]:
    """Queued messages of the send that are due and not claimed by a live batch, claimed for this one."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE emailing_recipient SET claim_token = %(claim)s,
                   claim_expires_at = now() + %(seconds)s * interval '1 second'
             WHERE id IN (
                SELECT id FROM emailing_recipient
                 WHERE send_id = %(send)s AND state = 'queued'
                   AND (next_attempt_at IS NULL OR next_attempt_at <= now())
                   AND (claim_token IS NULL OR claim_expires_at < now())
                 LIMIT %(size)s FOR UPDATE SKIP LOCKED)
            RETURNING id
            """,
            # A claim outlives its batch's deadline by one lease: the last message may still be on the wire.
            {
                "claim": claim,
                "seconds": settings.EMAILING_BATCH_SECONDS + settings.EMAILING_LEASE_SECONDS,
                "send": send_id,
                "size": size,
            },
        )
        return [row[0] for row in cursor.fetchall()]


def release_claim(claim: uuid.UUID) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE emailing_recipient SET claim_token = NULL, claim_expires_at = NULL WHERE claim_token = %s",
            [claim],
        )


def allowed_consents(include_never_asked: bool) -> tuple[str, ...]:
    if include_never_asked:
        return (EmailConsent.SUBSCRIBED, EmailConsent.NEVER_ASKED)
    return (EmailConsent.SUBSCRIBED,)


def _backoff(attempts: int) -> float:
    return float(settings.EMAILING_RETRY_SECONDS * 2 ** max(0, attempts - 1))


def _after_failure(leased: Leased, error: DeliveryError) -> Settlement:
    if error.kind == "ambiguous":
        state, retry = RecipientState.UNKNOWN, None
    elif error.kind == "permanent" or leased.attempts >= settings.EMAILING_MAX_ATTEMPTS:
        state, retry = RecipientState.FAILED, None
    else:
        state, retry = RecipientState.QUEUED, _backoff(leased.attempts)
    return Settlement(leased.recipient_id, leased.lease_token, state, reply=error.reply, retry_in_seconds=retry)


@dataclass
class BatchResult:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    skipped: int = 0
    unknown: int = 0
    stopped: str = ""  # why it ended early: paused, connection, rate, time
    wait_seconds: float = 0.0


def _send_of(org: Org, send_id: Any) -> EmailSend | None:
    send: EmailSend | None = EmailSend.objects.for_org(org).select_related("listing").filter(pk=send_id).first()
    return send


def _heartbeat(org: Org, send_id: Any) -> None:
    EmailSend.objects.for_org(org).filter(pk=send_id).update(heartbeat_at=timezone.now())


def run_batch(*, org: Org, send_id: Any) -> BatchResult:
    """Send one batch of the send over one connection. Runs in autocommit: every statement is its own commit."""
    result = BatchResult()
    send = _send_of(org, send_id)
    if send is None or send.status != SendStatus.SENDING:
        result.stopped = "not_sending"
        return result
    _heartbeat(org, send.pk)
    email_settings = email_settings_of(org)
    composer = Composer.for_send(org=org, send=send, email_settings=email_settings, tracking=send.tracking_enabled)
    if backend_path() == SES_BACKEND:
        composer.extra_headers["X-SES-MESSAGE-TAGS"] = f"ks_org={org.pk.hex}, ks_send={send.pk.hex}"
    allowed = allowed_consents(email_settings.include_never_asked)
    limiter = RateLimiter(org_id=org.pk, per_minute=org_rate(email_settings.messages_per_minute))
    claim = uuid.uuid4()
    ids = claim_batch(send_id=send.pk, claim=claim, size=settings.EMAILING_BATCH_SIZE)
    if not ids:
        return result
    deadline = time.monotonic() + settings.EMAILING_BATCH_SECONDS
    mailer = transport()
    previous: Settlement | None = None
    connected = False
    try:
        for next_id in ids:
            if time.monotonic() > deadline:
                result.stopped = "time"
                break
            wait = limiter.take()
            while wait > 0:
                if wait > MAX_INLINE_WAIT_SECONDS:
                    result.stopped, result.wait_seconds = "rate", wait
                    break
                time.sleep(wait)
                wait = limiter.take()
            if result.stopped:
                break
            leased = settle_and_lease(org=org, previous=previous, next_id=next_id, claim=claim, allowed=allowed)
            previous = None
            if leased is None:
                if not _still_sending(org, send.pk):
                    result.stopped = "paused"
                    break
                continue  # taken by another batch, or cancelled one by one
            if not leased.may_send:
                previous = Settlement(
                    leased.recipient_id,
                    leased.lease_token,
                    RecipientState.SKIPPED,
                    reply="consent withdrawn or address suppressed before its turn",
                )
                result.skipped += 1
                continue
            try:
                message = composer.build(to=leased.email, contact=leased.contact, recipient_id=leased.recipient_id)
            except (ValueError, TypeError) as error:  # an address or header the mail format cannot carry
                previous = Settlement(
                    leased.recipient_id,
                    leased.lease_token,
                    RecipientState.FAILED,
                    reply=f"could not build the message: {error}",
                )
                result.failed += 1
                continue
            try:
                if not connected:
                    mailer.open()
                    connected = True
                reply = mailer.send(sender=composer.from_email, recipient=leased.email, message=message)
            except DeliveryError as error:
                previous = _after_failure(leased, error)
                if previous.state == RecipientState.QUEUED:
                    result.retried += 1
                elif previous.state == RecipientState.UNKNOWN:
                    result.unknown += 1
                else:
                    result.failed += 1
                if error.kind in ("connection", "ambiguous"):
                    result.stopped = "connection"
                    break
                continue
            previous = Settlement(
                leased.recipient_id,
                leased.lease_token,
                RecipientState.SENT,
                reply=reply,
                message_id=composer.message_id(leased.recipient_id),
            )
            result.sent += 1
    finally:
        if previous is not None:
            settle_and_lease(org=org, previous=previous, next_id=None, claim=claim, allowed=allowed)
        release_claim(claim)
        if connected:
            mailer.close()
        _heartbeat(org, send.pk)
    return result


def _still_sending(org: Org, send_id: Any) -> bool:
    return EmailSend.objects.for_org(org).filter(pk=send_id, status=SendStatus.SENDING).exists()


def send_complete_if_done(*, org: Org, send_id: Any) -> bool:
    """A sending send with nothing queued or in flight is completed (one statement, so two batches finishing
    together complete it once)."""
    with transaction.atomic():
        updated = (
            EmailSend.objects.for_org(org)
            .filter(pk=send_id, status=SendStatus.SENDING)
            .exclude(recipients__state__in=(RecipientState.QUEUED, RecipientState.SENDING))
            .update(status=SendStatus.COMPLETED, finished_at=timezone.now())
        )
        if updated:
            # Activity listeners (outbound webhooks) learn of it in this transaction.
            journal().activity(
                org=org,
                actor=None,
                verb="send_completed",
                target_type="emailing.emailsend",
                target_id=send_id if isinstance(send_id, uuid.UUID) else uuid.UUID(str(send_id)),
                changes={"status": [SendStatus.SENDING, SendStatus.COMPLETED]},
            )
    return bool(updated)


def next_due_in(*, org: Org, send_id: Any) -> float | None:
    """Seconds until one of the send's queued messages can be claimed (0: now): when its retry is due and any
    claim on it has lapsed (a batch that died keeps its claim until then). None when nothing is queued."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT EXTRACT(EPOCH FROM min(GREATEST(
                       coalesce(next_attempt_at, now()),
                       CASE WHEN claim_token IS NULL THEN now() ELSE claim_expires_at END)) - now())
              FROM emailing_recipient WHERE send_id = %s AND state = 'queued'
            """,
            [send_id],
        )
        row = cursor.fetchone()
    if row is None or row[0] is None:
        return None
    return max(0.0, float(row[0]))
