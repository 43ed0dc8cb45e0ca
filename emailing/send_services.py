"""A send's life: drafted, approved, scheduled or started (its audience frozen), paused, resumed, cancelled,
and its `unknown` messages retried on purpose. Each step is one transaction; workers are told after commit."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from campaigns.models import Campaign
from common.errors import ApiError, Conflict, FieldErrors
from common.models import Profile
from emailing.audience import Frozen, audience_freeze
from emailing.content import content_errors, prepare
from emailing.messages import shared_values
from emailing.models import (
    EDITABLE_STATUSES,
    EmailLink,
    EmailSend,
    Recipient,
    RecipientState,
    Segment,
    SendStatus,
)
from emailing.selectors import email_settings_of, send_of
from emailing.sending import allowed_consents, send_complete_if_done
from emailing.services import sender_domain_allowed
from tenants.models import Org
from tenants.pipeline.tasks import enqueue

CONTENT_FIELDS = ("subject", "preheader", "html", "text")
SENDER_FIELDS = ("from_name", "from_email", "reply_to")
AI_CHANNEL = "email"


def _lock(org: Org, send_id: Any) -> EmailSend:
    send = send_of(org=org, send_id=send_id)
    locked: EmailSend = (
        EmailSend.objects.for_org(org).select_for_update(of=("self",)).select_related("listing").get(pk=send.pk)
    )
    return locked


def _check_segments(org: Org, data: dict[str, Any]) -> None:
    for name in ("segment_ids", "exclude_segment_ids"):
        ids = data.get(name)
        if not ids:
            continue
        found = set(Segment.objects.for_org(org).filter(pk__in=ids).values_list("pk", flat=True))
        for index, pk in enumerate(ids):
            if pk not in found:
                detail = f'Invalid pk "{pk}" - object does not exist.'
                raise ApiError(
                    detail,
                    code="does_not_exist",
                    fields={f"{name}.{index}": [{"code": "does_not_exist", "detail": detail}]},
                )
        data[name] = list(dict.fromkeys(ids))


def _check_content(send: EmailSend) -> None:
    fields = content_errors(subject=send.subject, preheader=send.preheader, html_source=send.html, text=send.text)
    if fields:
        raise ApiError("The email's content has mistakes.", code="content_invalid", fields=fields)


def _apply(send: EmailSend, data: dict[str, Any]) -> bool:
    """Set the fields; True when the content changed (which takes its approval back)."""
    content_changed = False
    for name, value in data.items():
        if name in CONTENT_FIELDS and getattr(send, name) != value:
            content_changed = True
        setattr(send, name, value)
    if content_changed:
        send.content_approved_at = None
        send.content_approved_by = None
        send.content_source = ""
    return content_changed


def send_create(*, org: Org, actor: Profile, data: dict[str, Any]) -> EmailSend:
    with transaction.atomic():
        _check_segments(org, data)
        email_settings = email_settings_of(org)
        send = EmailSend(org=org, created_by=actor, updated_by=actor)
        send.from_name = email_settings.default_from_name
        send.from_email = email_settings.default_from_email
        _apply(send, data)
        _check_content(send)
        send.save()
    return send


def send_update(*, org: Org, actor: Profile, send_id: Any, data: dict[str, Any]) -> EmailSend:
    with transaction.atomic():
        send = _lock(org, send_id)
        if send.status not in EDITABLE_STATUSES:
            raise Conflict(
                f"A {send.status} send cannot be changed. Unschedule it first (a started send never changes).",
                code="send_not_editable",
            )
        _check_segments(org, data)
        _apply(send, data)
        _check_content(send)
        send.updated_by = actor
        send.save()
    return send


def send_delete(*, org: Org, actor: Profile, send_id: Any) -> None:
    with transaction.atomic():
        send = _lock(org, send_id)
        if send.status != SendStatus.DRAFT:
            raise Conflict(
                "Only a draft can be deleted; a send that went out keeps its figures.", code="send_not_editable"
            )
        send.delete()


def send_approve(*, org: Org, actor: Profile, send_id: Any) -> EmailSend:
    """A manager approves the content as it is now (any later change takes the approval back)."""
    with transaction.atomic():
        send = _lock(org, send_id)
        if send.status not in (*EDITABLE_STATUSES, SendStatus.SCHEDULED):
            raise Conflict("Only content that has not gone out can be approved.", code="send_not_editable")
        missing = {
            name: [{"code": "required", "detail": "Needed before the content can be approved."}]
            for name in ("subject", "html")
            if not getattr(send, name).strip()
        }
        if missing:
            raise ApiError("The email has no content to approve yet.", code="content_missing", fields=missing)
        _check_content(send)
        send.content_approved_at, send.content_approved_by, send.updated_by = timezone.now(), actor, actor
        send.save(update_fields=["content_approved_at", "content_approved_by", "updated_by", "updated_at"])
    return send


def _ai_copy(org: Org, campaign: Campaign) -> Any:
    from campaigns.ai.selectors import approved_copy

    return approved_copy(org=org, campaign=campaign, channel=AI_CHANNEL)


def approved_ai_copy(*, org: Org, send: EmailSend) -> list[Any]:
    """The approved email copy of the send's campaign (none without a campaign)."""
    if send.campaign is None:
        return []
    return list(_ai_copy(org, send.campaign)[:20])


def send_copy_from_ai(*, org: Org, actor: Profile, send_id: Any, suggestion_id: Any) -> EmailSend:
    """Take an approved AI suggestion of the send's campaign as the content. It was approved by a manager as
    it stands, so the content counts as approved until someone edits it."""
    with transaction.atomic():
        send = _lock(org, send_id)
        if send.status not in EDITABLE_STATUSES:
            raise Conflict("Only a draft's content can change.", code="send_not_editable")
        suggestion = None
        if send.campaign is not None:
            suggestion = _ai_copy(org, send.campaign).filter(pk=suggestion_id).first()
        if suggestion is None:
            detail = f'Invalid pk "{suggestion_id}" - object does not exist.'
            raise ApiError(
                detail,
                code="does_not_exist",
                fields={"suggestion_id": [{"code": "does_not_exist", "detail": detail}]},
            )
        content = suggestion.content or {}
        _apply(
            send,
            {
                "subject": str(content.get("subject", ""))[:300],
                "preheader": str(content.get("preheader", ""))[:300],
                "html": str(content.get("body_html", "")),
                "text": "",
            },
        )
        _check_content(send)
        send.content_source = f"ai_suggestion:{suggestion.pk}"
        send.content_approved_at = suggestion.decided_at or timezone.now()
        send.content_approved_by_id = suggestion.decided_by_id
        send.updated_by = actor
        send.save()
    return send


# --- Scheduling and starting ------------------------------------------------------------------------------


def _readiness_errors(org: Org, send: EmailSend) -> FieldErrors:
    fields: FieldErrors = {}

    def need(name: str, detail: str, code: str = "required") -> None:
        fields.setdefault(name, []).append({"code": code, "detail": detail})

    if not send.subject.strip():
        need("subject", "A send needs a subject.")
    if not send.html.strip():
        need("html", "A send needs an HTML body.")
    if not send.segment_ids:
        need("segment_ids", "Choose at least one segment to send to.")
    if not send.from_email:
        need("from_email", "A send needs a from address.")
    elif not sender_domain_allowed(email_settings_of(org), send.from_email):
        domains = ", ".join(email_settings_of(org).sender_domains) or "none yet"
        need(
            "from_email",
            f"The from address must be on a domain listed in the email settings ({domains}).",
            "sender_domain_not_allowed",
        )
    for name, errors in content_errors(
        subject=send.subject, preheader=send.preheader, html_source=send.html, text=send.text
    ).items():
        fields.setdefault(name, []).extend(errors)
    return fields


def _refuse_not_ready(org: Org, send: EmailSend) -> None:
    fields = _readiness_errors(org, send)
    if fields:
        raise Conflict("The send is not ready to go out.", code="send_not_ready", fields=fields)


def org_zone(org: Org) -> datetime.tzinfo:
    try:
        return zoneinfo.ZoneInfo(org.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return datetime.UTC


def send_schedule(*, org: Org, actor: Profile, send_id: Any, at: datetime.datetime) -> EmailSend:
    """`at` without a zone is the org's local time."""
    if timezone.is_naive(at):
        at = timezone.make_aware(at, org_zone(org))
    with transaction.atomic():
        send = _lock(org, send_id)
        if send.status not in (SendStatus.DRAFT, SendStatus.SCHEDULED):
            raise Conflict(f"A {send.status} send cannot be scheduled.", code="send_not_schedulable")
        if at <= timezone.now():
            detail = "Choose a time in the future (in the org's time zone unless the time says otherwise)."
            raise ApiError(
                detail, code="in_the_past", fields={"scheduled_at": [{"code": "in_the_past", "detail": detail}]}
            )
        _refuse_not_ready(org, send)
        send.status, send.scheduled_at, send.updated_by, send.failure_reason = SendStatus.SCHEDULED, at, actor, ""
        send.save(update_fields=["status", "scheduled_at", "updated_by", "failure_reason", "updated_at"])
    return send


def send_unschedule(*, org: Org, actor: Profile, send_id: Any) -> EmailSend:
    with transaction.atomic():
        send = _lock(org, send_id)
        if send.status != SendStatus.SCHEDULED:
            raise Conflict("Only a scheduled send can be unscheduled.", code="send_not_scheduled")
        send.status, send.scheduled_at, send.updated_by = SendStatus.DRAFT, None, actor
        send.save(update_fields=["status", "scheduled_at", "updated_by", "updated_at"])
    return send


def _enqueue_batches(send: EmailSend) -> None:
    from emailing.tasks import send_batch

    for _ in range(max(1, settings.EMAILING_PARALLEL_BATCHES)):
        enqueue(send_batch, str(send.pk))


def _start(org: Org, send: EmailSend, actor: Profile | None) -> Frozen:
    """Freeze the audience and start: inside the caller's transaction, on a locked send."""
    _refuse_not_ready(org, send)
    email_settings = email_settings_of(org)
    frozen = audience_freeze(
        org=org,
        send=send,
        allowed=allowed_consents(email_settings.include_never_asked),
        actor_id=actor.pk if actor else None,
    )
    if frozen.recipients == 0:
        raise Conflict(
            "Nobody in the audience may be sent to (see `excluded`).",
            code="audience_empty",
            fields={"excluded": [{"code": "audience_empty", "detail": str(frozen.excluded)}]},
        )
    threshold = settings.EMAILING_APPROVAL_THRESHOLD
    if frozen.recipients > threshold and not send.is_content_approved:
        raise Conflict(
            f"A send to more than {threshold} recipients ({frozen.recipients}) needs its content "
            "approved by a manager first.",
            code="approval_required",
        )
    tracking = email_settings.tracking_enabled
    shared = shared_values(org=org, email_settings=email_settings, listing=send.listing)
    prepared = prepare(
        subject=send.subject,
        preheader=send.preheader,
        html_source=send.html,
        text=send.text,
        shared=shared,
        open_pixel=tracking,
    )
    EmailLink.objects.bulk_create(
        EmailLink(org=org, send=send, position=index, url=url, created_by=actor, updated_by=actor)
        for index, url in enumerate(prepared.links)
    )
    now = timezone.now()
    send.status, send.started_at, send.started_by, send.heartbeat_at = SendStatus.SENDING, now, actor, now
    send.tracking_enabled, send.audience_count = tracking, frozen.audience
    send.recipient_count, send.excluded, send.failure_reason = frozen.recipients, frozen.excluded, ""
    if actor is not None:
        send.updated_by = actor
    send.save()
    _enqueue_batches(send)
    return frozen


def send_start(*, org: Org, actor: Profile, send_id: Any) -> EmailSend:
    """Send now: the audience is frozen in this transaction and the workers start after it commits."""
    with transaction.atomic():
        send = _lock(org, send_id)
        if send.status not in (SendStatus.DRAFT, SendStatus.SCHEDULED):
            raise Conflict(f"A {send.status} send cannot be started.", code="send_not_startable")
        _start(org, send, actor)
    return send


def start_due_sends(*, org: Org) -> int:
    """Beat: scheduled sends whose time has come start; one that cannot (its content changed its mind, the
    audience is empty, approval is missing) is marked failed with the reason."""
    started = 0
    due = EmailSend.objects.for_org(org).filter(status=SendStatus.SCHEDULED, scheduled_at__lte=timezone.now())
    for send_id in due.values_list("pk", flat=True):
        try:
            with transaction.atomic():
                send = (
                    EmailSend.objects.for_org(org)
                    .select_for_update(skip_locked=True, of=("self",))
                    .filter(pk=send_id, status=SendStatus.SCHEDULED)
                    .select_related("listing")
                    .first()
                )
                if send is None:
                    continue
                _start(org, send, send.updated_by)
                started += 1
        except ApiError as refused:
            reason = str(refused.detail)
            if refused.fields:
                reason += " " + "; ".join(
                    f"{name}: {errors[0]['detail']}" for name, errors in refused.fields.items()
                )
            EmailSend.objects.for_org(org).filter(pk=send_id, status=SendStatus.SCHEDULED).update(
                status=SendStatus.FAILED, failure_reason=reason[:300], finished_at=timezone.now()
            )
    return started


# --- While it goes out --------------------------------------------------------------------------------------


def send_pause(*, org: Org, actor: Profile, send_id: Any) -> EmailSend:
    """Stops at the next message; the one in flight finishes."""
    with transaction.atomic():
        send = _lock(org, send_id)
        if send.status != SendStatus.SENDING:
            raise Conflict(f"A {send.status} send cannot be paused.", code="send_not_sending")
        send.status, send.paused_at, send.updated_by = SendStatus.PAUSED, timezone.now(), actor
        send.save(update_fields=["status", "paused_at", "updated_by", "updated_at"])
    return send


def send_resume(*, org: Org, actor: Profile, send_id: Any) -> EmailSend:
    """Continues with what is still queued: nothing sent is sent again."""
    with transaction.atomic():
        send = _lock(org, send_id)
        if send.status != SendStatus.PAUSED:
            raise Conflict(f"A {send.status} send cannot be resumed.", code="send_not_paused")
        send.status, send.paused_at, send.updated_by = SendStatus.SENDING, None, actor
        send.heartbeat_at = timezone.now()
        send.save(update_fields=["status", "paused_at", "updated_by", "heartbeat_at", "updated_at"])
        _enqueue_batches(send)
    return send


def send_cancel(*, org: Org, actor: Profile, send_id: Any) -> EmailSend:
    """Nothing more goes out: queued messages are cancelled (the one in flight finishes)."""
    with transaction.atomic():
        send = _lock(org, send_id)
        if send.status not in (SendStatus.SCHEDULED, SendStatus.SENDING, SendStatus.PAUSED):
            raise Conflict(f"A {send.status} send cannot be cancelled.", code="send_not_cancellable")
        Recipient.objects.for_org(org).filter(send=send, state=RecipientState.QUEUED).update(
            state=RecipientState.CANCELLED, finished_at=timezone.now(), claim_token=None, updated_at=timezone.now()
        )
        send.status, send.finished_at, send.updated_by = SendStatus.CANCELLED, timezone.now(), actor
        send.save(update_fields=["status", "finished_at", "updated_by", "updated_at"])
    return send


def send_retry_unknown(*, org: Org, actor: Profile, send_id: Any) -> int:
    """Someone decided that the `unknown` messages (a worker died mid-message) go again: they are queued. How
    many were; 0 changes nothing."""
    with transaction.atomic():
        send = _lock(org, send_id)
        if send.status not in (SendStatus.SENDING, SendStatus.PAUSED, SendStatus.COMPLETED):
            raise Conflict(f"A {send.status} send has nothing to retry.", code="send_not_retryable")
        count = (
            Recipient.objects.for_org(org)
            .filter(send=send, state=RecipientState.UNKNOWN)
            .update(
                state=RecipientState.QUEUED,
                lease_token=None,
                lease_expires_at=None,
                next_attempt_at=None,
                finished_at=None,
                last_reply="retried by hand after an unknown outcome",
                updated_at=timezone.now(),
            )
        )
        if count and send.status == SendStatus.COMPLETED:
            send.status, send.finished_at, send.heartbeat_at = SendStatus.SENDING, None, timezone.now()
            send.updated_by = actor
            send.save(update_fields=["status", "finished_at", "heartbeat_at", "updated_by", "updated_at"])
        if count and send.status == SendStatus.SENDING:
            _enqueue_batches(send)
    return count


def send_test(*, org: Org, actor: Profile, send_id: Any, contact_id: Any) -> str:
    """Send the email to the member themself, rendered for a contact (or sample data). Returns the address."""
    from emailing.tasks import send_test_message

    send = send_of(org=org, send_id=send_id)
    _check_content(send)
    if not send.subject.strip() or not send.html.strip() or not send.from_email:
        raise Conflict("Give a subject, an HTML body and a from address first.", code="content_missing")
    to = actor.user.email
    enqueue(send_test_message, str(send.pk), str(contact_id) if contact_id else None, to)
    return to


# --- Beat: lost workers and leases --------------------------------------------------------------------------


def kick_stalled_sends(*, org: Org) -> int:
    """Sending sends whose workers went quiet (a worker died with the batch) get batches again."""
    cutoff = timezone.now() - datetime.timedelta(seconds=settings.EMAILING_STALL_SECONDS)
    kicked = 0
    with transaction.atomic():
        stalled = (
            EmailSend.objects.for_org(org)
            .select_for_update(skip_locked=True, of=("self",))
            .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True), status=SendStatus.SENDING)
        )
        for send in stalled:
            send.heartbeat_at = timezone.now()
            send.save(update_fields=["heartbeat_at"])
            _enqueue_batches(send)
            kicked += 1
    return kicked


def reap_expired_leases(*, org: Org) -> int:
    """Messages whose lease ran out become `unknown` (never resent blindly); their sends complete if that was
    all they were waiting for."""
    now = timezone.now()
    expired = Recipient.objects.for_org(org).filter(state=RecipientState.SENDING, lease_expires_at__lt=now)
    send_ids = set(expired.values_list("send_id", flat=True))
    reaped = expired.update(
        state=RecipientState.UNKNOWN,
        finished_at=now,
        updated_at=now,
        last_reply="the worker stopped during this message: it may or may not have been delivered",
    )
    for send_id in send_ids:
        send_complete_if_done(org=org, send_id=send_id)
    return reaped
