"""How the role matrix calls the email marketing routes."""

from __future__ import annotations

import datetime
from typing import Any

from tenants.testing.fixtures import Cast
from tenants.testing.isolation import RANDOM_ID
from tenants.testing.matrix import Call

HTML = '<p>Hello {{ contact.first_name }}, <a href="https://example.com/x">see</a></p>'


def _ready(cast: Cast, **fields: Any) -> dict[str, Any]:
    """Settings, a subscribed contact, a segment and a draft ready to go, in org A."""
    from emailing.tests import helpers as h

    h.settings_row(cast.org_a)
    contact = h.contact(cast.org_a, "matrix@example.test")
    segment = h.segment_everyone(cast.org_a)
    send = h.draft(cast.org_a, cast.owner, [segment], html=HTML, **fields)
    return {"send_id": send.pk, "segment_id": segment.pk, "contact_id": contact.pk}


def _with_status(status: str) -> Any:
    def make(cast: Cast) -> dict[str, Any]:
        extra: dict[str, Any] = {"status": status}
        if status == "scheduled":
            extra["scheduled_at"] = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
        return _ready(cast, **extra)

    return make


def _static(cast: Cast) -> dict[str, Any]:
    from common.context import org_context
    from emailing.models import Segment
    from emailing.tests import helpers as h

    contact = h.contact(cast.org_a, "picked@example.test")
    with org_context(cast.org_a):
        segment = Segment.objects.create(org=cast.org_a, name="Picked", kind="static")
    return {"segment_id": segment.pk, "contact_id": contact.pk}


def _suppressed(cast: Cast) -> dict[str, Any]:
    from common.context import org_context
    from emailing.models import Suppression

    with org_context(cast.org_a):
        row = Suppression.objects.create(org=cast.org_a, email="gone@example.test", reason="manual")
    return {"suppression_id": row.pk}


def _message(cast: Cast) -> dict[str, Any]:
    """A sent message of org A with one link, and its signed token."""
    from common.context import org_context
    from emailing.models import EmailLink, Recipient
    from emailing.tracking import recipient_token

    made = _ready(cast, status="sending")
    with org_context(cast.org_a):
        recipient = Recipient.objects.create(
            org=cast.org_a,
            send_id=made["send_id"],
            contact_id=made["contact_id"],
            email="matrix@example.test",
            state="sent",
            sent_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1),
        )
        EmailLink.objects.create(org=cast.org_a, send_id=made["send_id"], position=0, url="https://example.com/x")
    return {"org_slug": cast.org_a.slug, "token": recipient_token(cast.org_a.pk, recipient.pk)}


def _send_url(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"send_id": made["send_id"]}


def _segment_url(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"segment_id": made["segment_id"]}


def _message_url(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return made


def _everyone(cast: Cast) -> dict[str, Any]:
    from emailing.tests import helpers as h

    return {"segment_id": h.segment_everyone(cast.org_a).pk}


def _future(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"scheduled_at": (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=2)).isoformat()}


def _send(status: str = "draft", code: int = 200, **call: Any) -> Call:
    return Call(status=code, setup=_with_status(status), kwargs=_send_url, **call)


MATRIX_SPECS = {
    "api:email-settings": {"GET": Call(), "PATCH": Call(body={"tracking_enabled": False})},
    "api:email-consent": {
        "POST": Call(
            setup=_ready,
            kwargs=lambda cast, made: {"contact_id": made["contact_id"]},
            body={"email_consent": "unsubscribed"},
        ),
    },
    "api:email-suppressions": {"GET": Call(), "POST": Call(status=201, body={"email": "x@example.test"})},
    "api:email-suppression-detail": {
        "DELETE": Call(status=204, setup=_suppressed, kwargs=lambda cast, made: made)
    },
    "api:email-segments": {
        "GET": Call(),
        "POST": Call(status=201, body={"name": "Matrix", "definition": {"match": "any", "conditions": []}}),
    },
    "api:email-segment-count": {"POST": Call(body={"definition": {"match": "all", "conditions": []}})},
    "api:email-segment-detail": {
        "GET": Call(setup=_everyone, kwargs=_segment_url),
        "PATCH": Call(setup=_everyone, kwargs=_segment_url, body={"description": "Changed"}),
        "DELETE": Call(status=204, setup=_everyone, kwargs=_segment_url),
    },
    "api:email-segment-preview": {"GET": Call(setup=_everyone, kwargs=_segment_url)},
    "api:email-segment-members": {
        "POST": Call(
            setup=_static, kwargs=_segment_url, body=lambda cast, made: {"add": [str(made["contact_id"])]}
        )
    },
    "api:email-sends": {"GET": Call(), "POST": Call(status=201, body={"name": "Matrix send"})},
    "api:email-send-detail": {
        "GET": _send(),
        "PATCH": _send(body={"subject": "Changed"}),
        "DELETE": _send(code=204),
    },
    "api:email-send-preview": {"GET": _send()},
    "api:email-send-audience": {"GET": _send()},
    "api:email-send-test": {"POST": _send(code=202)},
    # A random suggestion: the route and its role check are what the matrix is about (test_ai_copy covers use).
    "api:email-send-ai-copy": {"GET": _send(), "POST": _send(code=400, body={"suggestion_id": RANDOM_ID})},
    "api:email-send-approve": {"POST": _send()},
    "api:email-send-start": {"POST": _send()},
    "api:email-send-schedule": {"POST": _send(body=_future)},
    "api:email-send-unschedule": {"POST": _send("scheduled")},
    "api:email-send-pause": {"POST": _send("sending")},
    "api:email-send-resume": {"POST": _send("paused")},
    "api:email-send-cancel": {"POST": _send("sending")},
    "api:email-send-retry-unknown": {"POST": _send("completed")},
    "api:email-send-recipients": {"GET": _send("sending")},
    "api:email-send-report": {"GET": _send("sending")},
    "api:email-send-report-csv": {"GET": _send("sending")},
    "api:email-open": {"GET": Call(setup=_message, kwargs=_message_url)},
    "api:email-click": {
        "GET": Call(status=302, setup=_message, kwargs=lambda cast, made: {**made, "position": 0})
    },
    "api:email-unsubscribe": {
        "GET": Call(setup=_message, kwargs=_message_url),
        "POST": Call(
            setup=_message, kwargs=_message_url, body={"List-Unsubscribe": "One-Click"}, format="multipart"
        ),
    },
    # Nothing signed: refused (the webhook suites sign real events).
    "api:email-webhook-ses": {"POST": Call(status=400)},
    "api:email-webhook-events": {"POST": Call(status=401)},
}
