"""A real SMTP server on 127.0.0.1 for the sending tests (aiosmtpd), with scripted misbehaviour.

    with smtp_server() as server:
        server.refuse("gone@example.test")            # 550 on RCPT, every time
        server.fail_rcpt("busy@example.test", "421 4.7.0 Try again later")   # and the connection is closed
        server.drop_on_rcpt("flaky@example.test", times=1)    # connection lost at RCPT, once
        ... send ...
        server.delivered   # [(recipient, Message-ID, raw bytes)] in the order the server took them

Every accepted message is logged, so a test can check that no recipient got two copies.
"""

from __future__ import annotations

import contextlib
import email
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Delivered:
    recipient: str
    message_id: str
    data: bytes

    def message(self) -> Any:
        return email.message_from_bytes(self.data)


@dataclass
class SmtpServer:
    host: str
    port: int
    delivered: list[Delivered] = field(default_factory=list)
    mail_commands: int = 0
    refused: set[str] = field(default_factory=set)
    temporary: dict[str, int] = field(default_factory=dict)
    drop_rcpt: dict[str, int] = field(default_factory=dict)
    drop_after_data: dict[str, int] = field(default_factory=dict)
    mail_failures: dict[int, str] = field(default_factory=dict)
    rcpt_failures: dict[str, tuple[str, int]] = field(default_factory=dict)
    keep_body: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refuse(self, address: str) -> None:
        self.refused.add(address.lower())

    def defer(self, address: str, times: int = 1) -> None:
        """A 450 on RCPT for `address`, the first `times` tries."""
        self.temporary[address.lower()] = times

    def drop_on_rcpt(self, address: str, times: int = 1) -> None:
        self.drop_rcpt[address.lower()] = times

    def drop_after_accepting(self, address: str, times: int = 1) -> None:
        """Take the message, then cut the connection before answering (the client cannot know)."""
        self.drop_after_data[address.lower()] = times

    def fail_rcpt(self, address: str, reply: str, times: int = 1) -> None:
        """Answer RCPT for `address` with `reply` the first `times` tries (a 421 also closes the connection)."""
        self.rcpt_failures[address.lower()] = (reply, times)

    def fail_mail_at(self, nth: int, reply: str) -> None:
        self.mail_failures[nth] = reply

    def env(self, **extra: str) -> dict[str, str]:
        """Settings that point a worker's bulk mail here."""
        return {
            "EMAILING_BACKEND": "smtp",
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": str(self.port),
            "EMAIL_USE_TLS": "false",
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            **extra,
        }

    def recipients(self) -> list[str]:
        with self.lock:
            return [item.recipient for item in self.delivered]


def _take(counter: dict[str, int], key: str) -> bool:
    left = counter.get(key, 0)
    if left <= 0:
        return False
    counter[key] = left - 1
    return True


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_MAIL(self, smtp: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        with self.server.lock:
            self.server.mail_commands += 1
            failure = self.server.mail_failures.pop(self.server.mail_commands, None)
        if failure is not None:
            if failure.startswith("421"):
                smtp.transport.close()
            return failure
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, smtp: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        key = address.lower()
        if key in self.server.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        with self.server.lock:
            deferred = _take(self.server.temporary, key)
            dropped = _take(self.server.drop_rcpt, key)
            reply, times = self.server.rcpt_failures.get(key, ("", 0))
            if times > 0:
                self.server.rcpt_failures[key] = (reply, times - 1)
        if times > 0:
            if reply.startswith("421"):
                await smtp.push(reply)
                smtp.transport.close()
            return reply
        if deferred:
            return "450 4.2.1 Mailbox busy, try again later"
        if dropped:
            smtp.transport.close()
            return "421 4.4.2 Connection dropped"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        data: bytes = envelope.original_content or envelope.content
        message_id = ""
        for line in data.split(b"\r\n"):
            if not line:
                break
            if line.lower().startswith(b"message-id:"):
                message_id = line.split(b":", 1)[1].strip().decode()
        with self.server.lock:
            for recipient in envelope.rcpt_tos:
                self.server.delivered.append(
                    Delivered(recipient.lower(), message_id, data if self.server.keep_body else b"")
                )
            dropped = any(_take(self.server.drop_after_data, r.lower()) for r in envelope.rcpt_tos)
        if dropped:
            smtp.transport.close()
        return "250 2.0.0 Ok: queued"


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def smtp_server(*, keep_body: bool = True) -> Iterator[SmtpServer]:
    server = SmtpServer(host="127.0.0.1", port=_free_port(), keep_body=keep_body)
    controller = Controller(_Handler(server), hostname=server.host, port=server.port, ready_timeout=10)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
