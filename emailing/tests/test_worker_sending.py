"""Sends through a real Celery worker to a real SMTP server on 127.0.0.1: a refused recipient fails at once with
the server's reply, a busy mailbox and a lost connection are retried with backoff (a bounded number of times), a
421 in the middle of a batch reconnects and goes on, a connection lost after the message was handed over makes
it `unknown` (never resent), and pause, resume and cancel continue from where the send was."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import pytest

from common.context import org_context
from emailing.models import EmailSend, Recipient
from emailing.tests import helpers as h
from emailing.tests.smtp import SmtpServer, smtp_server
from tenants.testing.fixtures import Cast, celery_worker_started, client_for

pytestmark = pytest.mark.django_db

FAST = {
    "EMAILING_RETRY_SECONDS": "1",
    "EMAILING_RATE_PER_MINUTE": "0",
    "EMAILING_GLOBAL_RATE_PER_MINUTE": "0",
    "EMAILING_BATCH_SIZE": "10",
    "EMAILING_PARALLEL_BATCHES": "1",
    "EMAILING_MAX_ATTEMPTS": "3",
}


@pytest.fixture
def server(cast: Cast) -> Iterator[SmtpServer]:
    with smtp_server() as running, h.committed(cast.org_a):
        yield running


def _send_state(cast: Cast, send_id: object) -> str:
    with org_context(cast.org_a):
        return str(EmailSend.objects.get(pk=send_id).status)


def _rows(cast: Cast, send_id: object) -> dict[str, tuple[str, int, str]]:
    with org_context(cast.org_a):
        return {r.email: (r.state, r.attempts, r.last_reply) for r in Recipient.objects.filter(send_id=send_id)}


def test_refusals_busy_mailboxes_a_421_mid_batch_and_lost_connections(cast: Cast, server: SmtpServer) -> None:
    server.refuse("r-3@example.test")
    server.defer("r-9@example.test", times=1)
    server.defer("r-12@example.test", times=99)
    server.drop_on_rcpt("r-7@example.test", times=1)
    server.drop_after_accepting("r-5@example.test", times=1)
    server.fail_rcpt("r-15@example.test", "421 4.7.0 Too busy, closing", times=1)

    with celery_worker_started(server.env(**FAST)):
        send_id = h.committed_send(cast.org_a, cast.owner, contacts_count=30)
        finished = h.wait_for(lambda: _send_state(cast, send_id) == "completed", timeout=120)

    rows = _rows(cast, send_id)
    assert finished, h.states_of(cast.org_a, send_id)
    assert rows["r-3@example.test"] == (
        "failed",
        1,
        "550 5.1.1 <r-3@example.test>: Recipient address rejected: User unknown",
    )
    assert rows["r-12@example.test"] == ("failed", 3, "450 4.2.1 Mailbox busy, try again later")
    assert rows["r-9@example.test"][:2] == ("sent", 2)
    assert rows["r-7@example.test"][:2] == ("sent", 2)
    assert rows["r-5@example.test"][0] == "unknown"
    assert rows["r-5@example.test"][2].startswith("connection lost after the message was sent")
    assert rows["r-15@example.test"][:2] == ("sent", 2)
    assert sorted(email for email, row in rows.items() if row[1] > 1) == [
        "r-12@example.test",
        "r-15@example.test",
        "r-7@example.test",
        "r-9@example.test",
    ]
    assert h.states_of(cast.org_a, send_id) == {"sent": 27, "failed": 2, "unknown": 1}
    delivered = Counter(server.recipients())
    assert max(delivered.values()) == 1
    assert set(delivered) == {email for email, row in rows.items() if row[0] in ("sent", "unknown")}
    message = next(item for item in server.delivered if item.recipient == "r-1@example.test").message()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/api/public/orgs/alpha/email/")
    with org_context(cast.org_a):
        recipient = Recipient.objects.get(send_id=send_id, email="r-1@example.test")
    assert message["Message-ID"] == f"<{recipient.pk.hex}.{cast.org_a.pk.hex}@alpha.test>" == recipient.message_id


def test_pause_resume_and_cancel_continue_from_where_the_send_was(cast: Cast, server: SmtpServer) -> None:
    slow = {**FAST, "EMAILING_RATE_PER_MINUTE": "900"}  # 15 a second
    manager = client_for(cast.manager)
    with celery_worker_started(server.env(**slow)):
        send_id = h.committed_send(cast.org_a, cast.owner, contacts_count=120)
        url = f"/api/email/sends/{send_id}/"
        assert h.wait_for(lambda: len(server.delivered) >= 10, timeout=60)
        paused = h.in_own_connection(lambda: manager.post(f"{url}pause/").json()["status"])
        time.sleep(1.0)  # the message in flight, if any, settles
        at_pause = len(server.delivered)
        time.sleep(2.5)
        still = len(server.delivered)
        h.in_own_connection(lambda: manager.post(f"{url}resume/"))
        assert h.wait_for(lambda: len(server.delivered) >= at_pause + 20, timeout=60)
        cancelled = h.in_own_connection(lambda: manager.post(f"{url}cancel/").json()["status"])
        time.sleep(2.0)
        at_cancel = len(server.delivered)
        time.sleep(2.0)

    states = h.states_of(cast.org_a, send_id)
    assert (paused, cancelled) == ("paused", "cancelled")
    assert still == at_pause
    assert len(server.delivered) == at_cancel == states["sent"]
    assert states["sent"] + states["cancelled"] == 120 and states["cancelled"] > 0
    assert max(Counter(server.recipients()).values()) == 1
