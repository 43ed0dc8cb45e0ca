"""Handing messages to the mail server: one connection per batch, and every failure sorted by what it means.

Over SMTP the conversation is driven step by step (MAIL, RCPT, DATA) so that a failure is known for what it is:
- `permanent` (a 5xx: the recipient refused, the message rejected): never retried;
- `temporary` (a 4xx for this message): retried later;
- `connection` (421, a dropped or refused connection, before the message's data was complete): the message
  was not delivered, the batch reconnects and the message is retried later;
- `ambiguous` (the connection died after the whole message was sent, before the server's answer): the server
  may have taken it, so it is never resent blindly: the message becomes `unknown`.
Other Django backends (file, console, locmem, SES over its API) are used through their own `send_messages`.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import ssl
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from emailing.messages import RawMessage

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
SES_BACKEND = "django_ses.SESBackend"
_PERIOD_AT_LINE_START = re.compile(rb"(?m)^\.")


class DeliveryError(Exception):
    def __init__(self, kind: str, reply: str) -> None:
        super().__init__(reply)
        self.kind = kind  # permanent | temporary | connection | ambiguous
        self.reply = reply[:500]


def backend_path() -> str:
    """The backend bulk mail goes through: EMAILING_BACKEND if set, else EMAIL_BACKEND."""
    return str(getattr(settings, "EMAILING_BACKEND", None) or settings.EMAIL_BACKEND)


class Transport(Protocol):
    def open(self) -> None: ...

    def send(self, *, sender: str, recipient: str, message: RawMessage) -> str: ...

    def close(self) -> None: ...


def _reply(code: int, text: bytes | str) -> str:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(text.split())}"


def _refusal(code: int, text: bytes | str) -> DeliveryError:
    reply = _reply(code, text)
    if code == 421:
        return DeliveryError("connection", reply)
    return DeliveryError("temporary" if 400 <= code < 500 else "permanent", reply)


class SmtpTransport:
    """SMTP with Django's EMAIL_HOST, EMAIL_PORT, EMAIL_USE_TLS / EMAIL_USE_SSL, EMAIL_HOST_USER/PASSWORD."""

    def __init__(self) -> None:
        self.smtp: smtplib.SMTP | None = None
        self.timeout = getattr(settings, "EMAILING_SMTP_TIMEOUT_SECONDS", 30)

    def open(self) -> None:
        try:
            if getattr(settings, "EMAIL_USE_SSL", False):
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    settings.EMAIL_HOST,
                    settings.EMAIL_PORT,
                    timeout=self.timeout,
                    context=ssl.create_default_context(),
                )
            else:
                smtp = smtplib.SMTP(settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=self.timeout)
            smtp.ehlo()
            if settings.EMAIL_USE_TLS and not getattr(settings, "EMAIL_USE_SSL", False):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.EMAIL_HOST_USER:
                smtp.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
        except smtplib.SMTPResponseException as error:
            raise DeliveryError("connection", _reply(error.smtp_code, error.smtp_error)) from error
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError("connection", f"could not connect: {error}") from error
        self.smtp = smtp

    def _command(self, smtp: smtplib.SMTP, name: str, argument: str) -> None:
        code, text = smtp.docmd(name, argument)
        if code != 250:
            error = _refusal(code, text)
            if error.kind != "connection":
                self._reset(smtp)
            raise error

    def _reset(self, smtp: smtplib.SMTP) -> None:
        try:
            smtp.rset()
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError("connection", f"connection lost on RSET: {error}") from error

    def send(self, *, sender: str, recipient: str, message: RawMessage) -> str:
        smtp = self.smtp
        if smtp is None:
            raise DeliveryError("connection", "not connected")
        data = message.data
        body_sent = False
        try:
            self._command(smtp, "mail", f"FROM:<{sender}>")
            self._command(smtp, "rcpt", f"TO:<{recipient}>")
            code, text = smtp.docmd("data")
            if code != 354:
                error = _refusal(code, text)
                if error.kind != "connection":
                    self._reset(smtp)
                raise error
            payload = _PERIOD_AT_LINE_START.sub(b"..", data)
            if not payload.endswith(b"\r\n"):
                payload += b"\r\n"
            smtp.send(payload + b".\r\n")
            body_sent = True
            code, text = smtp.getreply()
        except DeliveryError:
            raise
        except (OSError, smtplib.SMTPException) as error:
            self.smtp = None
            if body_sent:
                raise DeliveryError("ambiguous", f"connection lost after the message was sent: {error}") from error
            raise DeliveryError("connection", f"connection lost: {error}") from error
        if code != 250:
            raise _refusal(code, text)
        return _reply(code, text)

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None


class PrebuiltEmail(EmailMessage):
    """A Django message whose MIME form is already built (for backends that take Django messages)."""

    def __init__(self, raw: RawMessage, *, sender: str, recipient: str) -> None:
        self.raw = raw
        parsed = raw.message()
        super().__init__(subject=str(parsed["Subject"]), from_email=sender, to=[recipient])

    def message(self, *args: Any, **kwargs: Any) -> Any:
        return self.raw.message()


class BackendTransport:
    """Any other Django backend: one connection per batch, its errors retried later."""

    def __init__(self, path: str) -> None:
        self.connection = get_connection(path, fail_silently=False)

    def open(self) -> None:
        try:
            self.connection.open()
        except Exception as error:  # a backend's own errors are its own classes (boto, OSError...)
            raise DeliveryError("connection", f"could not connect: {error}") from error

    def send(self, *, sender: str, recipient: str, message: RawMessage) -> str:
        try:
            sent = self.connection.send_messages([PrebuiltEmail(message, sender=sender, recipient=recipient)])
        except Exception as error:
            raise DeliveryError("temporary", f"{type(error).__name__}: {error}") from error
        if not sent:
            raise DeliveryError("temporary", "the backend did not take the message")
        return "250 accepted"

    def close(self) -> None:
        # Closing a broken connection is best effort; the batch is over either way.
        with contextlib.suppress(Exception):
            self.connection.close()


def transport() -> Transport:
    path = backend_path()
    if import_string(path) is import_string(SMTP_BACKEND):
        return SmtpTransport()
    return BackendTransport(path)
