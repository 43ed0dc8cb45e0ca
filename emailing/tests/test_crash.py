"""A send to 5,000 recipients whose worker is SIGKILLed three times at random moments and restarted: the SMTP
server's log shows no recipient twice, every message ends `sent` or `unknown`, `unknown` is at most one per kill
(the worker runs one process), and nothing is left queued."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import Counter

import pytest

from common.context import org_context
from emailing import send_services
from emailing.models import EmailSend
from emailing.tests import helpers as h
from emailing.tests.smtp import smtp_server
from tenants.testing.fixtures import Cast, celery_worker_started

pytestmark = pytest.mark.django_db

RECIPIENTS = 5000
KILLS = 3
CONCURRENCY = 1  # celery_worker_started runs the solo pool: one message in flight at a time
WORKER = {
    "EMAILING_RATE_PER_MINUTE": "0",
    "EMAILING_GLOBAL_RATE_PER_MINUTE": "0",
    "EMAILING_BATCH_SIZE": "250",
    "EMAILING_PARALLEL_BATCHES": "2",
    "EMAILING_LEASE_SECONDS": "3",
    "EMAILING_BATCH_SECONDS": "5",
}


def _kill(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _beat(cast: Cast) -> None:
    """What the beat does every minute, now: leases that ran out become unknown, stalled sends get batches."""

    def sweep() -> None:
        with org_context(cast.org_a):
            send_services.reap_expired_leases(org=cast.org_a)
            send_services.kick_stalled_sends(org=cast.org_a)

    h.in_own_connection(sweep)


def test_killing_the_worker_three_times_never_sends_anyone_twice(cast: Cast, settings: object) -> None:
    settings.EMAILING_STALL_SECONDS = 0  # type: ignore[attr-defined]
    rng = random.Random()
    started = time.monotonic()
    with smtp_server(keep_body=False) as server, h.committed(cast.org_a):
        send_id = h.committed_send(cast.org_a, cast.owner, contacts_count=RECIPIENTS, html="<p>Hi</p>")
        for kill in range(KILLS):
            with celery_worker_started(server.env(**WORKER)) as worker:
                if kill:
                    _beat(cast)
                at_start = len(server.delivered)
                assert h.wait_for(lambda start=at_start: len(server.delivered) > start + 50, timeout=60)
                time.sleep(rng.uniform(0.2, 3.0))
                _kill(worker)
            time.sleep(float(WORKER["EMAILING_LEASE_SECONDS"]) + 0.5)  # the killed lease runs out
        with celery_worker_started(server.env(**WORKER)):
            _beat(cast)

            def finished() -> bool:
                with org_context(cast.org_a):
                    return EmailSend.objects.get(pk=send_id).status == "completed"

            assert h.wait_for(finished, timeout=90), h.states_of(cast.org_a, send_id)
        states = h.states_of(cast.org_a, send_id)
    elapsed = time.monotonic() - started

    delivered = Counter(server.recipients())
    assert max(delivered.values()) == 1, [email for email, n in delivered.items() if n > 1]
    assert set(states) <= {"sent", "unknown"}, states
    assert states.get("sent", 0) + states.get("unknown", 0) == RECIPIENTS
    assert states.get("unknown", 0) <= KILLS * CONCURRENCY
    assert states["sent"] <= len(delivered) <= states["sent"] + states.get("unknown", 0)
    print(f"crash test: {states}, {len(delivered)} delivered, {elapsed:.0f} s")
