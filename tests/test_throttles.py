"""Sign-in throttles hold under concurrent requests, and a locked account refuses even the right password."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from tenants.testing.fixtures import PASSWORD, Cast

pytestmark = pytest.mark.django_db


def _concurrently(count: int, request: Callable[[int], int]) -> list[int]:
    """Run `request(n)` for n in range(count) on as many threads at once; the statuses, sorted."""
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(count)

    def attempt(n: int) -> None:
        try:
            start.wait()
            status = request(n)
            with lock:
                statuses.append(status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def _post(path: str, body: dict[str, Any], ip: str, **headers: str) -> int:
    return Client(REMOTE_ADDR=ip, **headers).post(path, body, content_type="application/json").status_code


def _login(email: str, password: str = PASSWORD, ip: str = "203.0.113.7") -> int:
    response = Client(REMOTE_ADDR=ip).post(
        "/api/auth/login/", {"email": email, "password": password}, content_type="application/json"
    )
    return response.status_code


def test_login_limit_per_email_holds_under_concurrent_requests(cast: Cast) -> None:
    statuses: list[int] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        try:
            status = _login("viewer@alpha.test", ip=f"198.51.100.{n}")  # different IPs: the email limit decides
            with lock:
                statuses.append(status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(14)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200] * 10 + [429] * 4
    # Locked: the correct password is refused too, with a Retry-After.
    response = Client(REMOTE_ADDR="192.0.2.1").post(
        "/api/auth/login/", {"email": "viewer@alpha.test", "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert response.json() == {"code": "throttled", "detail": "Too many attempts. Try again later.", "fields": {}}


def test_login_limit_per_ip_covers_many_emails(cast: Cast) -> None:
    statuses = [_login(f"nobody{n}@example.test", "wrong", ip="203.0.113.99") for n in range(31)]

    assert statuses[:30] == [401] * 30
    assert statuses[30] == 429


def test_register_is_limited_per_ip(cast: Cast) -> None:
    client = Client(REMOTE_ADDR="203.0.113.50")
    statuses = [
        client.post("/api/auth/register/", {}, content_type="application/json").status_code for _ in range(11)
    ]

    assert statuses == [400] * 10 + [429]


def test_register_limit_per_ip_holds_under_concurrent_requests(cast: Cast) -> None:
    statuses = _concurrently(13, lambda n: _post("/api/auth/register/", {}, ip="203.0.113.51"))

    assert statuses == [400] * 10 + [429] * 3


def test_register_limit_per_email_holds_across_ips_under_concurrent_requests(cast: Cast) -> None:
    weak = {"email": "Dana@Delta.example", "password": "short", "name": "Dana", "org_name": "Delta"}

    statuses = _concurrently(8, lambda n: _post("/api/auth/register/", weak, ip=f"198.51.100.{n + 20}"))

    assert statuses == [400] * 5 + [429] * 3
    other_case = {**weak, "email": "dana@delta.EXAMPLE"}
    assert _post("/api/auth/register/", other_case, ip="192.0.2.77") == 429


@pytest.mark.parametrize("path", ["/api/invitations/preview/", "/api/invitations/accept-new/"])
def test_invitation_limit_per_ip_holds_under_concurrent_requests(cast: Cast, path: str) -> None:
    body = {"token": "not-a-real-invitation", "name": "Sam", "password": "A-Sturdy-Passphrase-1"}

    statuses = _concurrently(34, lambda n: _post(path, {**body, "token": f"guess-{n}"}, ip="203.0.113.60"))

    assert statuses.count(429) == 4
    assert all(status in (400, 404, 410) for status in statuses if status != 429)


def test_invitation_limit_per_token_holds_across_ips_under_concurrent_requests(cast: Cast) -> None:
    body = {"token": "one-token-many-addresses"}

    statuses = _concurrently(13, lambda n: _post("/api/invitations/preview/", body, ip=f"198.51.100.{n + 40}"))

    assert statuses.count(429) == 3
    assert _post("/api/invitations/preview/", {"token": "another-token"}, ip="192.0.2.78") != 429


def test_api_key_limit_holds_under_concurrent_requests(cast: Cast, settings) -> None:
    from tenants.members.api_keys import api_key_create

    settings.API_KEY_REQUESTS_PER_MINUTE = 5
    # Made on a connection of its own so the request threads see it; this test's transaction would hide it.
    issued = _concurrently_made(
        lambda: api_key_create(org=cast.org_a, actor=cast.admin, name="Zapier", role="viewer")
    )
    try:

        def call(n: int) -> int:
            client = Client(REMOTE_ADDR=f"198.51.100.{n + 60}", HTTP_AUTHORIZATION=f"Api-Key {issued.secret}")
            return client.get("/api/org/").status_code

        assert _concurrently(9, call) == [200] * 5 + [429] * 4
    finally:
        _concurrently_made(lambda: type(issued.api_key).objects.filter(pk=issued.api_key.pk).delete())


def _concurrently_made(action: Callable[[], Any]) -> Any:
    """Run `action` on a thread of its own, so its writes commit outside this test's transaction."""
    made: list[Any] = []
    _concurrently(1, lambda n: made.append(action()) or 0)
    return made[0]
