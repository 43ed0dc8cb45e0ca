"""Provider feedback: Amazon SES events over SNS (django-ses, signatures verified) and a generic signed webhook.

A forged, unsigned, untrusted or replayed event is refused before anything is read from it, and changes nothing.
Each event names one of our messages: the Message-ID we gave it (`<recipient>.<org>@domain`), our
`X-Keystone-Message` header, or SES message tags; the org comes from there, the recipient is looked up in it.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import logging
import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_ses import utils as ses_utils
from django_ses.views import SESEventWebhookView

from common.context import org_context
from common.errors import ApiError
from emailing.feedback import ProviderEvent, provider_event_record
from tenants.models import Org, OrgStatus

logger = logging.getLogger("crm.emailing")
_MESSAGE_ID = re.compile(r"<?([0-9a-f]{32})\.([0-9a-f]{32})@[^>]+>?", re.I)
_KEYSTONE_HEADER = re.compile(r"^([0-9a-f]{32})\.([0-9a-f]{32})$", re.I)


class EventRefused(ApiError):
    status_code = 401
    default_code = "signature_invalid"
    default_detail = "The event is not signed by the provider."


@dataclass(frozen=True)
class MessageRef:
    org_id: uuid.UUID
    recipient_id: uuid.UUID | None


def ref_from_message_id(value: str | None) -> MessageRef | None:
    match = _MESSAGE_ID.search(value or "")
    if match is None:
        return None
    return MessageRef(org_id=uuid.UUID(match.group(2)), recipient_id=uuid.UUID(match.group(1)))


def ref_from_header(value: str | None) -> MessageRef | None:
    match = _KEYSTONE_HEADER.match((value or "").strip())
    if match is None:
        return None
    return MessageRef(org_id=uuid.UUID(match.group(1)), recipient_id=uuid.UUID(match.group(2)))


def _active_org(org_id: uuid.UUID) -> Org | None:
    found: Org | None = Org.objects.filter(pk=org_id, status=OrgStatus.ACTIVE).first()
    return found


def record_for(ref: MessageRef | None, event: ProviderEvent) -> int:
    """Apply the event in its org; an event about no message of ours (or of a gone org) changes nothing."""
    if ref is None:
        return 0
    org = _active_org(ref.org_id)
    if org is None:
        return 0
    with org_context(org):
        return provider_event_record(org=org, event=event)


# --- Amazon SES over SNS ----------------------------------------------------------------------------------


def ses_message_ref(mail: dict[str, Any]) -> MessageRef | None:
    headers = {str(h.get("name", "")).lower(): str(h.get("value", "")) for h in mail.get("headers") or []}
    ref = ref_from_header(headers.get("x-keystone-message"))
    if ref is None:
        ref = ref_from_message_id(headers.get("message-id"))
    if ref is None:
        ref = ref_from_message_id((mail.get("commonHeaders") or {}).get("messageId"))
    return ref


def _ses_when(value: Any) -> datetime.datetime:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    return parsed or timezone.now()


class SesEvents(SESEventWebhookView):
    """django-ses's SNS webhook: it verifies the signature (the signing certificate fetched only from
    AWS_SNS_EVENT_CERT_TRUSTED_DOMAINS) and dispatches by event type; here the replay checks are added and the
    events applied."""

    refusal: ApiError | None = None

    def verify_event_message(self, notification: dict[str, Any]) -> bool:
        if not super().verify_event_message(notification):
            self.refusal = EventRefused("The SNS signature does not verify.")
            return False
        if not super().verify_event_topic(notification):
            self.refusal = EventRefused("The SNS topic is not trusted.", code="topic_untrusted")
            return False
        sent = parse_datetime(str(notification.get("Timestamp", "")))
        tolerance = settings.EMAILING_SNS_TOLERANCE_SECONDS
        if sent is None or abs((timezone.now() - sent).total_seconds()) > tolerance:
            self.refusal = EventRefused(
                "The SNS message is too old (or from the future).", code="event_stale", status_code=400
            )
            return False
        if not cache.add(f"emailing:sns:{notification.get('MessageId')}", 1, timeout=2 * tolerance):
            self.refusal = EventRefused(
                "This SNS message was already received.", code="event_replayed", status_code=409
            )
            return False
        return True

    def _apply(self, kind: str, message: dict[str, Any]) -> None:
        mail = message.get("mail") or {}
        body = message.get(kind) or {}
        if kind == "bounce":
            recipients = [r.get("emailAddress", "") for r in body.get("bouncedRecipients") or []]
            permanent = body.get("bounceType") == "Permanent"
            details = {"bounce_type": body.get("bounceType"), "sub_type": body.get("bounceSubType")}
        elif kind == "complaint":
            recipients = [r.get("emailAddress", "") for r in body.get("complainedRecipients") or []]
            permanent, details = True, {"feedback_type": body.get("complaintFeedbackType")}
        else:
            recipients, permanent, details = list(body.get("recipients") or []), False, {}
        event = ProviderEvent(
            kind=kind,
            recipient_id=None,
            emails=tuple(recipients),
            permanent=permanent,
            at=_ses_when(body.get("timestamp")),
            source="ses",
            details={**details, "ses_id": mail.get("messageId")},
        )
        ref = ses_message_ref(mail)
        if ref is not None:
            event = ProviderEvent(**{**event.__dict__, "recipient_id": ref.recipient_id})
        record_for(ref, event)

    def handle_bounce(self, notification: dict[str, Any], message: dict[str, Any]) -> None:
        self._apply("bounce", message)

    def handle_complaint(self, notification: dict[str, Any], message: dict[str, Any]) -> None:
        self._apply("complaint", message)

    def handle_delivery(self, notification: dict[str, Any], message: dict[str, Any]) -> None:
        self._apply("delivery", message)


def ses_receive(request: Any) -> None:
    """Run django-ses's webhook on the request; raise the refusal (or a malformed body) as an API error."""
    try:
        notification = json.loads(request.body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        notification = None
    if not isinstance(notification, dict):
        raise ApiError("The body is not an SNS message.", code="parse_error")
    view = SesEvents()
    view.setup(request)
    try:
        response = view.post(request)
    except (TypeError, ValueError, AttributeError, KeyError) as error:
        # Fields of the wrong type (a number for a signature...) trip django-ses before any verdict.
        logger.warning("malformed SNS message refused: %r", error)
        raise view.refusal or ApiError("The body is not an SNS message.", code="parse_error") from None
    if view.refusal is not None:
        raise view.refusal
    if response.status_code != 200:
        raise ApiError("The body is not an SNS message.", code="parse_error")


def clear_certificates() -> None:
    ses_utils.clear_cert_cache()


# --- The generic signed webhook -------------------------------------------------------------------------------

GENERIC_KINDS = ("bounce", "complaint", "delivery")


def generic_signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def generic_verify(*, timestamp: str | None, signature: str | None, body: bytes) -> None:
    """HMAC-SHA256 of `<timestamp>.<body>` with EMAILING_WEBHOOK_SECRET, a timestamp within the tolerance, and
    each signature accepted once."""
    secret = settings.EMAILING_WEBHOOK_SECRET
    if not secret or not timestamp or not signature:
        raise EventRefused("Sign the event: X-Keystone-Timestamp and X-Keystone-Signature headers.")
    expected = generic_signature(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise EventRefused("The signature does not verify.")
    try:
        sent = int(timestamp)
    except ValueError:
        raise EventRefused(
            "X-Keystone-Timestamp is seconds since 1970.", code="event_stale", status_code=400
        ) from None
    tolerance = settings.EMAILING_WEBHOOK_TOLERANCE_SECONDS
    if abs(timezone.now().timestamp() - sent) > tolerance:
        raise EventRefused("The event is too old (or from the future).", code="event_stale", status_code=400)
    if not cache.add(f"emailing:webhook:{hashlib.sha256(expected.encode()).hexdigest()}", 1, 2 * tolerance):
        raise EventRefused("This event was already received.", code="event_replayed", status_code=409)


def generic_receive(*, timestamp: str | None, signature: str | None, body: bytes) -> int:
    generic_verify(timestamp=timestamp, signature=signature, body=body)
    try:
        payload = json.loads(body or b"null")
    except ValueError:
        raise ApiError("The body is not JSON.", code="parse_error") from None
    if not isinstance(payload, dict) or payload.get("type") not in GENERIC_KINDS:
        raise ApiError(
            f"`type` is one of {', '.join(GENERIC_KINDS)}.",
            code="invalid",
            fields={"type": [{"code": "invalid_choice", "detail": "Unknown event type."}]},
        )
    ref = ref_from_message_id(str(payload.get("message_id") or ""))
    email = payload.get("email")
    event = ProviderEvent(
        kind=payload["type"],
        recipient_id=ref.recipient_id if ref else None,
        emails=(email,) if isinstance(email, str) and email else (),
        permanent=bool(payload.get("permanent", True)),
        at=_ses_when(payload.get("occurred_at")),
        source="webhook",
        details={"event_id": str(payload.get("id", ""))[:100], "detail": str(payload.get("detail", ""))[:300]},
    )
    return record_for(ref, event)
