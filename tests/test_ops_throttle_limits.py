"""Every throttle limit is configurable from the environment (THROTTLE_LIMITS), today's values the defaults."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from common.throttling import Limit, configured, parse_limits
from tenants.testing.fixtures import Cast

BASE_DIR = Path(__file__).resolve().parent.parent


def test_limits_parse_from_scope_count_seconds_pairs() -> None:
    assert parse_limits(" login_ip=60/300, register_email=3/3600 ,") == {
        "login_ip": (60, 300),
        "register_email": (3, 3600),
    }
    assert parse_limits("") == {}


@pytest.mark.parametrize("text", ["login_ip", "login_ip=60", "login_ip=a/300", "login_ip=5/0", "=5/60"])
def test_a_malformed_limit_stops_the_start(text: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="THROTTLE_LIMITS"):
        parse_limits(text)


def test_a_configured_scope_replaces_the_declared_limit_and_others_keep_theirs(settings) -> None:
    settings.THROTTLE_LIMITS = "login_ip=50/60"

    assert configured(Limit("login_ip", 30, 300)) == Limit("login_ip", 50, 60)
    assert configured(Limit("login_email", 10, 300)) == Limit("login_email", 10, 300)


@pytest.mark.django_db
def test_a_configured_limit_is_the_one_requests_meet(cast: Cast, settings) -> None:
    settings.THROTTLE_LIMITS = "login_email=2/300"

    def login() -> int:
        body = {"email": "viewer@alpha.test", "password": "wrong"}
        client = Client(REMOTE_ADDR="198.51.100.1")
        return client.post("/api/auth/login/", body, content_type="application/json").status_code

    assert [login() for _ in range(3)] == [401, 401, 429]


def _declared_scopes() -> set[str]:
    """Every `Limit("<scope>", ...)` in the code (the tests' own limits aside)."""
    scopes: set[str] = set()
    for path in BASE_DIR.rglob("*.py"):
        relative = path.relative_to(BASE_DIR).parts
        if relative[0].startswith(".") or "tests" in relative or relative[0] == "benchmarks":
            continue
        scopes |= set(re.findall(r'\bLimit\(\s*"([a-z0-9_]+)"', path.read_text()))
    return scopes


def test_every_declared_limit_is_in_the_operations_guide() -> None:
    guide = (BASE_DIR / "docs" / "operations.md").read_text()
    declared = _declared_scopes()

    assert {"login_ip", "register_ip", "password_reset_ip", "api_key"} <= declared
    assert sorted(scope for scope in declared if f"`{scope}`" not in guide) == []
