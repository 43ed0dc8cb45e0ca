"""Building one message of a send: the merge values of its recipient, its MIME form and its headers.

Every message carries a Message-ID that names its org and recipient, the List-Unsubscribe header with its
signed one-click URL and List-Unsubscribe-Post (RFC 8058), and, with tracking on, numbered click links and an
open pixel. Values come from whitelisted fields only (emailing.merge).
"""

from __future__ import annotations

import base64
import email
import email.policy
import uuid
from dataclasses import dataclass, field
from email.header import Header
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime, formataddr
from typing import Any

from django.utils import timezone

from emailing.content import OPEN_FIELD, PreparedEmail, click_field, prepare
from emailing.models import EmailSend, EmailSettings
from emailing.tracking import LinkMaker, recipient_token
from properties.models import Property
from tenants.models import Org

PREVIEW_UNSUBSCRIBE = "#unsubscribe"


@dataclass(frozen=True)
class ContactValues:
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    title: str = ""
    company: str = ""
    city: str = ""
    region: str = ""
    country: str = ""

    def merge_values(self) -> dict[str, str]:
        full = f"{self.first_name} {self.last_name}".strip()
        return {
            "contact.first_name": self.first_name,
            "contact.last_name": self.last_name,
            "contact.full_name": full,
            "contact.email": self.email,
            "contact.title": self.title,
            "contact.company": self.company,
            "contact.city": self.city,
            "contact.region": self.region,
            "contact.country": self.country,
        }


SAMPLE_CONTACT = ContactValues(first_name="Alex", last_name="Example", email="alex@example.com", city="Lisbon")


def _price(listing: Property) -> str:
    amount = listing.asking_price if listing.asking_price is not None else listing.lease_rate
    if amount is None:
        return ""
    text = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return f"{text} {listing.currency}".strip()


def shared_values(*, org: Org, email_settings: EmailSettings, listing: Property | None) -> dict[str, str]:
    """The merge values every recipient of a send shares: the org's, and the listing's if the email has one."""
    values = {"org.name": org.name, "org.postal_address": email_settings.postal_address}
    if listing is not None:
        from django.conf import settings

        url = ""
        if listing.is_published:
            base = settings.PUBLIC_BASE_URL.rstrip("/")
            url = f"{base}/api/public/orgs/{org.slug}/properties/{listing.public_slug}/"
        values.update(
            {
                "property.title": listing.title,
                "property.reference": listing.reference,
                "property.property_type": listing.get_property_type_display(),
                "property.city": listing.city,
                "property.region": listing.region,
                "property.price": _price(listing),
                "property.bedrooms": "" if listing.bedrooms is None else str(listing.bedrooms),
                "property.url": url,
            }
        )
    return values


@dataclass
class Composer:
    """Everything one send's messages share, worked out once per batch."""

    org: Org
    send_id: uuid.UUID
    prepared: PreparedEmail
    shared: dict[str, str]
    from_name: str
    from_email: str
    reply_to: str
    tracking: bool
    links: LinkMaker | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_send(
        cls, *, org: Org, send: EmailSend, email_settings: EmailSettings, tracking: bool, ses_tags: bool = False
    ) -> Composer:
        shared = shared_values(org=org, email_settings=email_settings, listing=send.listing)
        prepared = prepare(
            subject=send.subject,
            preheader=send.preheader,
            html_source=send.html,
            text=send.text,
            shared=shared,
            open_pixel=tracking,
        )
        headers = {"Feedback-ID": f"{send.pk.hex[:16]}:{org.pk.hex[:16]}:keystone"}
        return cls(
            org=org,
            send_id=send.pk,
            prepared=prepared,
            shared=shared,
            from_name=send.from_name,
            from_email=send.from_email,
            reply_to=send.reply_to or email_settings.reply_to,
            tracking=tracking,
            links=LinkMaker(org.slug),
            extra_headers=headers,
        )

    @property
    def domain(self) -> str:
        return self.from_email.rpartition("@")[2] or "keystone.local"

    def message_id(self, recipient_id: uuid.UUID) -> str:
        return f"<{recipient_id.hex}.{self.org.pk.hex}@{self.domain}>"

    def values(self, contact: ContactValues, recipient_id: uuid.UUID | None) -> dict[str, str]:
        """The merge values of one message; without a recipient (a preview, a test) links are left untracked."""
        values = {**self.shared, **contact.merge_values()}
        if recipient_id is None or self.links is None:
            values["unsubscribe_url"] = PREVIEW_UNSUBSCRIBE
            values.update({click_field(i): url for i, url in enumerate(self.prepared.links)})
            values[OPEN_FIELD] = ""
            return values
        token = recipient_token(self.org.pk, recipient_id)
        values["unsubscribe_url"] = self.links.unsubscribe(token)
        if self.tracking:
            values.update({click_field(i): self.links.click(token, i) for i in range(len(self.prepared.links))})
            values[OPEN_FIELD] = self.links.open(token)
        else:
            values.update({click_field(i): url for i, url in enumerate(self.prepared.links)})
        return values

    def render(self, values: dict[str, str]) -> tuple[str, str, str]:
        subject = " ".join(self.prepared.subject.render(values).split())
        return subject, self.prepared.html.render(values, escape=True), self.prepared.text.render(values)

    def build(
        self, *, to: str, contact: ContactValues, recipient_id: uuid.UUID | None, subject_prefix: str = ""
    ) -> RawMessage:
        """The message as SMTP carries it (RFC 5322, CRLF). Written directly: the standard library's header
        objects cost milliseconds a message, which a 100,000-recipient send cannot afford."""
        values = self.values(contact, recipient_id)
        subject, html, text = self.render(values)
        _refuse_line_breaks(to, subject)
        headers = [
            ("From", formataddr((self.from_name, self.from_email), charset="utf-8")),
            ("To", to),
            ("Subject", _header_text(subject_prefix + subject)),
            ("Date", format_datetime(timezone.now())),
        ]
        if self.reply_to:
            headers.append(("Reply-To", self.reply_to))
        if recipient_id is not None:
            headers += [
                ("Message-ID", self.message_id(recipient_id)),
                ("List-Unsubscribe", f"<{values['unsubscribe_url']}>"),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                ("X-Keystone-Message", f"{self.org.pk.hex}.{recipient_id.hex}"),
                *self.extra_headers.items(),
            ]
        else:
            headers.append(("Message-ID", f"<test.{uuid.uuid4().hex}@{self.domain}>"))
        boundary = f"=_ks_{uuid.uuid4().hex}"
        headers += [("MIME-Version", "1.0"), ("Content-Type", f'multipart/alternative; boundary="{boundary}"')]
        head = "".join(f"{name}: {value}\r\n" for name, value in headers).encode("utf-8")
        return RawMessage(
            b"".join(
                [
                    head,
                    b"\r\n",
                    _part(boundary, "text/plain", text),
                    _part(boundary, "text/html", html),
                    f"--{boundary}--\r\n".encode(),
                ]
            )
        )


@dataclass(frozen=True)
class RawMessage:
    """A message's bytes; parsed into a standard library message only when something asks (tests, backends
    other than SMTP)."""

    data: bytes

    def as_bytes(self, *args: Any, **kwargs: Any) -> bytes:
        return self.data

    def message(self) -> MimeMessage:
        parsed: MimeMessage = email.message_from_bytes(self.data, policy=email.policy.default)
        return parsed


def _refuse_line_breaks(*values: str) -> None:
    if any("\n" in value or "\r" in value for value in values):
        raise ValueError("a header value holds a line break")


def _header_text(value: str) -> str:
    """A header's text: as is when it is plain ASCII, else RFC 2047 encoded words."""
    if value.isascii():
        return value
    return Header(value, "utf-8", maxlinelen=998).encode(linesep="\r\n")


def _part(boundary: str, content_type: str, body: str) -> bytes:
    encoded = base64.encodebytes(body.encode("utf-8")).replace(b"\n", b"\r\n")
    return (
        f"--{boundary}\r\nContent-Type: {content_type}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + encoded


def headers_of(message: Any) -> dict[str, str]:
    return {key: str(value) for key, value in message.items()}
