"""Deliveries through a real Celery worker to real local receivers: signed, in order per endpoint, retried with
the schedule after a 500, a hang (the receiver's time runs out) and a redirect (never followed), logged attempt
by attempt, redelivered with the same webhook-id, and an endpoint failing long enough disabled with its
admins told."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from common.context import org_context
from tenants.testing.fixtures import Cast, celery_worker_started, client_for
from tenants.testing.local_http import ReceivedRequest, Reply, local_http_server
from timeline.models import Notification
from webhooks import signing
from webhooks.models import Delivery, Endpoint
from webhooks.tests import helpers as h

pytestmark = pytest.mark.django_db

FAST = {
    "WEBHOOKS_ALLOW_LOOPBACK": "1",
    "WEBHOOKS_RETRY_SCHEDULE": "1,1",
    "WEBHOOKS_TIMEOUT_SECONDS": "2",
    "WEBHOOKS_DISABLE_AFTER_SECONDS": "3600",
}


@pytest.fixture
def loopback(cast: Cast) -> Iterator[None]:
    with override_settings(WEBHOOKS_ALLOW_LOOPBACK=True), h.committed(cast.org_a, cast.org_b):
        yield


def _deliveries(cast: Cast, endpoint_id: Any) -> list[Delivery]:
    def read() -> list[Delivery]:
        with org_context(cast.org_a):
            return list(
                Delivery.objects.filter(endpoint_id=endpoint_id)
                .select_related("event")
                .prefetch_related("attempt_log")
                .order_by("id")
            )

    return h.in_own_connection(read)


def _settled(cast: Cast, endpoint_id: Any, count: int) -> bool:
    rows = _deliveries(cast, endpoint_id)
    return len(rows) == count and all(row.state != "pending" for row in rows)


def test_signed_ordered_deliveries_and_receivers_that_fail_hang_or_redirect(cast: Cast, loopback: None) -> None:
    def ok(request: ReceivedRequest) -> Reply:
        return Reply(200, {"received": True})

    def hang(request: ReceivedRequest) -> Reply:
        time.sleep(4)
        return Reply(200)

    with (
        local_http_server(ok) as good,
        local_http_server(lambda request: Reply(500, "boom " * 10_000)) as broken,
        local_http_server(hang) as hanging,
        local_http_server(lambda request: Reply(302, headers={"Location": good.url + "/stolen"})) as redirecting,
    ):
        events = ["contact.created", "contact.updated"]
        hooks = {
            name: h.in_own_connection(lambda url=server.url: h.endpoint(cast.org_a, url + "/hook", events))
            for name, server in [
                ("good", good),
                ("broken", broken),
                ("hanging", hanging),
                ("redirect", redirecting),
            ]
        }
        theirs = h.in_own_connection(lambda: h.endpoint(cast.org_b, good.url + "/theirs", events))
        with celery_worker_started(FAST):
            contacts = [
                h.in_own_connection(lambda n=n: h.contact_create(cast.org_a, cast.owner, f"w-{n}@example.test"))
                for n in range(5)
            ]
            h.in_own_connection(
                lambda: client_for(cast.owner).patch(
                    f"/api/contacts/{contacts[0].pk}/", {"title": "CEO"}, format="json"
                )
            )
            for name in hooks:
                assert h.wait_for(lambda name=name: _settled(cast, hooks[name].pk, 6), timeout=120), name

    good_rows = _deliveries(cast, hooks["good"].pk)
    hook_requests = [r for r in good.requests if r.path == "/hook"]
    assert [r.json()["data"]["record"]["email"] for r in hook_requests[:5]] == [
        f"w-{n}@example.test" for n in range(5)
    ]
    assert [r.json()["type"] for r in hook_requests] == ["contact.created"] * 5 + ["contact.updated"]
    assert [r.headers["webhook-id"] for r in hook_requests] == [row.event.webhook_id for row in good_rows]
    assert all(signing.verify(hooks["good"].secret, r.headers, r.body) for r in hook_requests)
    assert all(row.state == "delivered" and row.attempts == 1 for row in good_rows)
    assert not [r for r in good.requests if r.path in ("/stolen", "/theirs")]

    broken_rows = _deliveries(cast, hooks["broken"].pk)
    assert [(row.state, row.attempts, row.last_status) for row in broken_rows] == [("failed", 3, 500)] * 6
    first = broken_rows[0].attempt_log.all()
    assert [a.status_code for a in first] == [500, 500, 500]
    assert len(first[0].response_body) == 20 * 1024 and first[0].response_body.startswith("boom boom")
    # In order: every attempt of the first delivery came before the second delivery's first attempt.
    assert [r.headers["webhook-id"] for r in broken.requests][:3] == [broken_rows[0].event.webhook_id] * 3

    hanging_rows = _deliveries(cast, hooks["hanging"].pk)
    assert {(row.state, row.last_error) for row in hanging_rows} == {("failed", "timed out")}
    assert all(1900 <= a.duration_ms < 3500 for a in hanging_rows[0].attempt_log.all())

    redirect_rows = _deliveries(cast, hooks["redirect"].pk)
    assert {(row.state, row.last_status, row.last_error) for row in redirect_rows} == {
        ("failed", 302, "redirect not followed")
    }
    theirs_rows = h.in_own_connection(lambda: _theirs(cast, theirs.pk))
    assert theirs_rows == 0


def _theirs(cast: Cast, endpoint_id: Any) -> int:
    with org_context(cast.org_b):
        return Delivery.objects.filter(endpoint_id=endpoint_id).count()


def test_redelivery_test_event_rotation_and_auto_disable(cast: Cast, loopback: None) -> None:
    fail = threading.Event()
    fail.set()

    def answer(request: ReceivedRequest) -> Reply:
        return Reply(503) if fail.is_set() else Reply(204)

    with local_http_server(answer) as server:
        hook = h.in_own_connection(lambda: h.endpoint(cast.org_a, server.url + "/hook", ["contact.created"]))
        admin = client_for(cast.admin)
        # The second failure comes at least 1.6 s after the first: past the 1 s limit, so it disables.
        slow_retries = {**FAST, "WEBHOOKS_RETRY_SCHEDULE": "2,2", "WEBHOOKS_DISABLE_AFTER_SECONDS": "1"}
        with celery_worker_started(slow_retries):
            h.in_own_connection(lambda: h.contact_create(cast.org_a, cast.owner, "gone@example.test"))
            is_disabled = lambda: not h.in_own_connection(lambda: _endpoint(cast, hook.pk)).is_active  # noqa: E731
            assert h.wait_for(is_disabled, timeout=60)
            disabled = h.in_own_connection(lambda: admin.get(f"/api/webhooks/endpoints/{hook.pk}/").json())
            refused = h.in_own_connection(lambda: admin.post(f"/api/webhooks/endpoints/{hook.pk}/test/"))
            fail.clear()
            rotated = h.in_own_connection(
                lambda: admin.post(f"/api/webhooks/endpoints/{hook.pk}/rotate-secret/").json()
            )
            h.in_own_connection(
                lambda: admin.patch(f"/api/webhooks/endpoints/{hook.pk}/", {"is_active": True}, format="json")
            )
            assert h.wait_for(lambda: _settled(cast, hook.pk, 1), timeout=60)
            first = _deliveries(cast, hook.pk)[0]
            again = h.in_own_connection(
                lambda: admin.post(f"/api/webhooks/deliveries/{first.pk}/redeliver/").json()
            )
            tested = h.in_own_connection(lambda: admin.post(f"/api/webhooks/endpoints/{hook.pk}/test/").json())
            assert h.wait_for(lambda: _settled(cast, hook.pk, 3), timeout=60)

    assert disabled["is_active"] is False and disabled["disabled_reason"].startswith("Every delivery failed since")
    assert refused.status_code == 409 and refused.json()["code"] == "endpoint_disabled"
    notified = h.in_own_connection(lambda: _notified(cast))
    assert notified == sorted([str(cast.owner.pk), str(cast.admin.pk)])
    rows = _deliveries(cast, hook.pk)
    assert [(row.state, row.attempts, row.event.event_type) for row in rows] == [
        ("delivered", 3, "contact.created"),
        ("delivered", 1, "contact.created"),
        ("delivered", 1, "webhook.test"),
    ]
    assert [a.status_code for a in rows[0].attempt_log.all()] == [503, 503, 204]
    assert again["webhook_id"] == first.event.webhook_id
    redelivered = [r for r in server.requests if r.headers["webhook-id"] == again["webhook_id"]][-1]
    signatures = redelivered.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    assert signing.verify(rotated["secret"], redelivered.headers, redelivered.body)
    assert signing.verify(hook.secret, redelivered.headers, redelivered.body)
    assert server.requests[-1].json()["type"] == "webhook.test" == tested["event_type"]
    endpoint = h.in_own_connection(lambda: _endpoint(cast, hook.pk))
    assert (endpoint.is_active, endpoint.failing_since) == (True, None)


def _notified(cast: Cast) -> list[str]:
    with org_context(cast.org_a):
        return sorted(str(n.recipient_id) for n in Notification.objects.filter(kind="webhook_disabled"))


def _endpoint(cast: Cast, pk: Any) -> Endpoint:
    with org_context(cast.org_a):
        return Endpoint.objects.get(pk=pk)
