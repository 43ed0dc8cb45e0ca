"""Sign-in throttles hold under concurrent requests, and a locked account refuses even the right password."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django.test import Client

from common.testing.fixtures import PASSWORD, Cast

pytestmark = pytest.mark.django_db


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
