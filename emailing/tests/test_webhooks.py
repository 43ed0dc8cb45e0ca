"""Bounces and complaints. SES events arrive as SNS notifications signed with a certificate django-ses fetches
by URL: here a certificate made for the test, served over HTTPS by a local server, signs real messages. A forged,
unsigned, untrusted, stale or replayed event is refused and changes nothing; a good one suppresses the address,
sets the contact's consent and marks the message. The generic webhook is HMAC-signed with a timestamp."""

from __future__ import annotations

import base64
import datetime
import http.server
import json
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from django.utils import timezone
from rest_framework.test import APIClient

from common.context import org_context
from contacts.models import Contact
from emailing.models import EmailEvent, Recipient, Suppression
from emailing.tests import helpers as h
from emailing.webhooks import clear_certificates, generic_signature
from tenants.testing.fixtures import Cast
from timeline.models import ActivityEntry

pytestmark = pytest.mark.django_db
SES = "/api/public/email/webhooks/ses/"
EVENTS = "/api/public/email/webhooks/events/"
TOPIC = "arn:aws:sns:us-east-1:123456789012:keystone-ses-events"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificate(
    subject_key: Any,
    issuer_key: Any,
    name: str,
    *,
    issuer: str | None = None,
    ca: bool = False,
    sans: list[x509.GeneralName] | None = None,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer or name)]))
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


class Sns:
    """A stand-in for SNS: its signing key, and the URL its certificate is served at."""

    def __init__(self, cert_url: str, key: Any) -> None:
        self.cert_url, self.key = cert_url, key

    def notification(
        self,
        message: dict[str, Any],
        *,
        key: Any = None,
        when: datetime.datetime | None = None,
        cert_url: str | None = None,
    ) -> dict[str, Any]:
        stamp = (when or datetime.datetime.now(datetime.UTC)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        body = {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "TopicArn": TOPIC,
            "Message": json.dumps(message),
            "Timestamp": stamp,
            "SignatureVersion": "1",
            "SigningCertURL": cert_url or self.cert_url,
        }
        signed = "".join(
            f"{name}\n{body[name]}\n" for name in ("Message", "MessageId", "Timestamp", "TopicArn", "Type")
        ).encode()
        signature = (key or self.key).sign(signed, padding.PKCS1v15(), hashes.SHA1())
        body["Signature"] = base64.b64encode(signature).decode()
        return body


@pytest.fixture
def sns(tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sns]:
    """An HTTPS server on localhost (its own CA, trusted through REQUESTS_CA_BUNDLE) serving the SNS signing
    certificate; django-ses fetches it from there because the settings trust that host only."""
    ca_key, server_key, signing_key = _key(), _key(), _key()
    ca = _certificate(ca_key, ca_key, "Keystone test CA", ca=True)
    server_cert = _certificate(
        server_key, ca_key, "localhost", issuer="Keystone test CA", sans=[x509.DNSName("localhost")]
    )
    signing_cert = _pem(_certificate(signing_key, signing_key, "sns.test"))
    (tmp_path / "ca.pem").write_bytes(_pem(ca))
    (tmp_path / "server.pem").write_bytes(_pem(server_cert))
    (tmp_path / "server.key").write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/x-pem-file")
            self.send_header("Content-Length", str(len(signing_cert)))
            self.end_headers()
            self.wfile.write(signing_cert)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem", tmp_path / "server.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "ca.pem"))
    settings.AWS_SNS_EVENT_CERT_TRUSTED_DOMAINS = [f"localhost:{port}"]
    settings.AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS = [TOPIC]
    clear_certificates()
    try:
        yield Sns(f"https://localhost:{port}/SimpleNotificationService-test.pem", signing_key)
    finally:
        clear_certificates()
        server.shutdown()
        server.server_close()


@pytest.fixture
def sent(cast: Cast) -> Recipient:
    segment = h.segment_everyone(cast.org_a)
    send = h.draft(cast.org_a, cast.owner, [segment], status="completed")
    person = h.contact(cast.org_a, "bouncy@example.test")
    with org_context(cast.org_a):
        recipient: Recipient = Recipient.objects.create(
            org=cast.org_a, send=send, contact=person, email=person.email, state="sent", sent_at=timezone.now()
        )
    return recipient


def _ses(kind: str, recipient: Recipient, cast: Cast, **extra: Any) -> dict[str, Any]:
    mail = {
        "messageId": "0100018f-ses",
        "headers": [{"name": "X-Keystone-Message", "value": f"{cast.org_a.pk.hex}.{recipient.pk.hex}"}],
    }
    if kind == "Bounce":
        body = {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "timestamp": "2026-05-01T10:00:00.000Z",
            "bouncedRecipients": [{"emailAddress": recipient.email, "status": "5.1.1"}],
            **extra,
        }
        return {"eventType": "Bounce", "bounce": body, "mail": mail}
    body = {
        "complainedRecipients": [{"emailAddress": recipient.email}],
        "complaintFeedbackType": "abuse",
        "timestamp": "2026-05-01T10:00:00.000Z",
    }
    return {"eventType": "Complaint", "complaint": body, "mail": mail}


def _post(body: dict[str, Any]) -> Any:
    return APIClient().post(SES, json.dumps(body), content_type="text/plain; charset=UTF-8")


def _state(cast: Cast, recipient: Recipient) -> tuple[Any, ...]:
    with org_context(cast.org_a):
        recipient.refresh_from_db()
        contact = Contact.objects.get(pk=recipient.contact_id)
        return (
            recipient.state,
            contact.email_consent,
            contact.email_consent_source,
            list(Suppression.objects.values_list("email", "reason", "source")),
            EmailEvent.objects.count(),
        )


def test_a_signed_ses_bounce_suppresses_the_address_and_sets_consent(
    cast: Cast, sns: Sns, sent: Recipient
) -> None:
    answer = _post(sns.notification(_ses("Bounce", sent, cast)))

    assert (answer.status_code, answer.json()) == (200, {"received": True})
    assert _state(cast, sent) == (
        "bounced",
        "bounced",
        "ses_bounce",
        [("bouncy@example.test", "bounce", "ses:bounce")],
        1,
    )
    with org_context(cast.org_a):
        entry = ActivityEntry.objects.get(target_id=sent.contact_id, verb="email_consent_changed")
    assert entry.changes["email_consent"] == ["subscribed", "bounced"]


def test_a_signed_ses_complaint_sets_complained(cast: Cast, sns: Sns, sent: Recipient) -> None:
    _post(sns.notification(_ses("Complaint", sent, cast)))

    assert _state(cast, sent)[:3] == ("complained", "complained", "ses_complaint")


def test_a_soft_bounce_is_only_recorded(cast: Cast, sns: Sns, sent: Recipient) -> None:
    _post(sns.notification(_ses("Bounce", sent, cast, bounceType="Transient")))

    assert _state(cast, sent) == ("sent", "subscribed", "", [], 1)


@pytest.mark.parametrize("attack", ["forged", "unsigned", "stale", "untrusted_host", "untrusted_topic"])
def test_a_bad_ses_event_is_refused_and_changes_nothing(
    cast: Cast, sns: Sns, sent: Recipient, attack: str
) -> None:
    message = _ses("Bounce", sent, cast)
    if attack == "forged":
        body = sns.notification(message, key=_key())
    elif attack == "stale":
        body = sns.notification(message, when=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=2))
    elif attack == "untrusted_host":
        body = sns.notification(message, cert_url="https://sns.evil.test/SimpleNotificationService-x.pem")
    else:
        body = sns.notification(message)
        if attack == "unsigned":
            body.pop("Signature")
        else:
            body["TopicArn"] = "arn:aws:sns:us-east-1:999999999999:elsewhere"
    before = _state(cast, sent)

    answer = _post(body)

    expected = {
        "forged": (401, "signature_invalid"),
        "unsigned": (401, "signature_invalid"),
        "stale": (400, "event_stale"),
        "untrusted_host": (401, "signature_invalid"),
        "untrusted_topic": (401, "signature_invalid"),
    }
    assert (answer.status_code, answer.json()["code"]) == expected[attack]
    assert _state(cast, sent) == before == ("sent", "subscribed", "", [], 0)


def test_a_replayed_ses_event_is_refused(cast: Cast, sns: Sns, sent: Recipient) -> None:
    body = sns.notification(_ses("Complaint", sent, cast))

    first, replay = _post(body), _post(body)

    assert (first.status_code, replay.status_code, replay.json()["code"]) == (200, 409, "event_replayed")
    assert _state(cast, sent)[4] == 1


def _signed(body: bytes, *, secret: str = "hook-secret", at: float | None = None) -> dict[str, str]:
    stamp = str(int(at if at is not None else time.time()))
    return {
        "HTTP_X_KEYSTONE_TIMESTAMP": stamp,
        "HTTP_X_KEYSTONE_SIGNATURE": generic_signature(secret, stamp, body),
    }


def test_the_generic_webhook_takes_signed_events_once(cast: Cast, sent: Recipient, settings: Any) -> None:
    settings.EMAILING_WEBHOOK_SECRET = "hook-secret"
    message_id = f"<{sent.pk.hex}.{cast.org_a.pk.hex}@alpha.test>"
    body = json.dumps(
        {"id": "evt_1", "type": "bounce", "message_id": message_id, "email": sent.email, "permanent": True}
    ).encode()
    client = APIClient()

    def post(payload: bytes, headers: dict[str, str]) -> Any:
        return client.post(EVENTS, payload, content_type="application/json", **headers)

    forged = post(body, _signed(body, secret="guess"))
    unsigned = post(body, {})
    stale = post(body, _signed(body, at=time.time() - 3600))
    tampered = post(body.replace(b"bounce", b"complaint", 1), _signed(body))
    untouched = _state(cast, sent)
    headers = _signed(body)
    accepted = post(body, headers)
    replayed = post(body, headers)

    assert [r.status_code for r in (forged, unsigned, stale, tampered)] == [401, 401, 400, 401]
    assert untouched == ("sent", "subscribed", "", [], 0)
    assert (accepted.status_code, replayed.status_code, replayed.json()["code"]) == (200, 409, "event_replayed")
    assert _state(cast, sent) == (
        "bounced",
        "bounced",
        "webhook_bounce",
        [("bouncy@example.test", "bounce", "webhook:bounce")],
        1,
    )


def test_an_event_about_another_orgs_message_changes_only_that_org(
    cast: Cast, sent: Recipient, settings: Any
) -> None:
    settings.EMAILING_WEBHOOK_SECRET = "hook-secret"
    # Org A's recipient id under org B's id: org B has no such message, and org A is not named.
    message_id = f"<{sent.pk.hex}.{cast.org_b.pk.hex}@alpha.test>"
    body = json.dumps({"id": "evt_2", "type": "complaint", "message_id": message_id, "email": sent.email}).encode()

    answer = APIClient().post(EVENTS, body, content_type="application/json", **_signed(body))

    assert answer.status_code == 200
    assert _state(cast, sent) == ("sent", "subscribed", "", [], 0)
    with org_context(cast.org_b):
        assert not Suppression.objects.exists()
