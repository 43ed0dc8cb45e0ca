"""Client addresses behind proxies: X-Forwarded-For counts only from TRUSTED_PROXIES, read from the right, and the
address it gives is the one throttles, audit entries and log lines use."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from common.logs import ContextFilter, JsonFormatter
from common.proxies import client_address, parse_networks
from tenants.models import AuditEvent
from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db

PROXIES = ["10.0.0.0/24", "2001:db8:1::/48"]
CLIENT = "203.0.113.9"


# --- The rule -------------------------------------------------------------------------------------------------


def test_an_untrusted_peer_is_the_client_whatever_its_header_says() -> None:
    assert client_address("198.51.100.7", "1.2.3.4", PROXIES) == "198.51.100.7"
    assert client_address("198.51.100.7", "1.2.3.4", []) == "198.51.100.7"


def test_a_chain_of_two_trusted_proxies_gives_the_address_the_first_one_saw() -> None:
    # client -> proxy 10.0.0.1 -> proxy 10.0.0.2 -> us: the last proxy is the peer, the first wrote its peer.
    assert client_address("10.0.0.2", f"{CLIENT}, 10.0.0.1", PROXIES) == CLIENT


def test_addresses_a_client_put_in_front_of_the_chain_are_ignored() -> None:
    spoofed = f"127.0.0.1, 10.0.0.5, {CLIENT}, 10.0.0.1"

    assert client_address("10.0.0.2", spoofed, PROXIES) == CLIENT


def test_when_every_hop_is_a_trusted_proxy_the_leftmost_is_the_client() -> None:
    assert client_address("10.0.0.2", "10.0.0.9, 10.0.0.1", PROXIES) == "10.0.0.9"


def test_a_hop_that_is_not_an_address_ends_the_walk_at_the_proxy_that_wrote_it() -> None:
    assert client_address("10.0.0.2", f"{CLIENT}, unknown, 10.0.0.1", PROXIES) == "10.0.0.1"
    assert client_address("10.0.0.2", "garbage", PROXIES) == "10.0.0.2"


def test_ports_brackets_ipv6_and_mapped_ipv4_are_understood() -> None:
    assert client_address("10.0.0.2", f"{CLIENT}:5678", PROXIES) == CLIENT
    assert client_address("2001:db8:1::2", "[2001:db8:9::7]:443", PROXIES) == "2001:db8:9::7"
    assert client_address("::ffff:10.0.0.2", CLIENT, PROXIES) == CLIENT
    assert client_address("10.0.0.2", "", PROXIES) == "10.0.0.2"
    assert client_address(None, CLIENT, PROXIES) is None


def test_a_trusted_proxies_typo_stops_the_start() -> None:
    with pytest.raises(ImproperlyConfigured, match=r"10\.0\.0\.0/33"):
        parse_networks(["10.0.0.0/24", "10.0.0.0/33"])


# --- Throttles, audit entries and log lines use it ------------------------------------------------------------


def _login(remote_addr: str, forwarded_for: str | None, email: str) -> int:
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    response = Client(REMOTE_ADDR=remote_addr, **headers).post(
        "/api/auth/login/", {"email": email, "password": "wrong"}, content_type="application/json"
    )
    return response.status_code


def test_a_spoofed_header_from_an_untrusted_peer_does_not_escape_the_ip_throttle(cast: Cast, settings) -> None:
    settings.TRUSTED_PROXIES = PROXIES
    settings.THROTTLE_LIMITS = "login_ip=2/300"

    statuses = [_login("198.51.100.7", f"192.0.2.{n}", f"nobody{n}@example.test") for n in range(3)]

    assert statuses == [401, 401, 429]


def test_clients_behind_two_trusted_proxies_are_throttled_each_on_their_own(cast: Cast, settings) -> None:
    settings.TRUSTED_PROXIES = PROXIES
    settings.THROTTLE_LIMITS = "login_ip=2/300"

    first = [_login("10.0.0.2", f"{CLIENT}, 10.0.0.1", f"a{n}@example.test") for n in range(3)]
    second = _login("10.0.0.2", "198.51.100.20, 10.0.0.1", "b@example.test")

    assert first == [401, 401, 429]
    assert second == 401  # the proxies' own address was never the key


def test_an_audit_entry_records_the_client_behind_the_proxies(cast: Cast, settings) -> None:
    settings.TRUSTED_PROXIES = PROXIES
    owner = client_for(cast.owner)
    owner.defaults.update(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"{CLIENT}, 10.0.0.1")

    response = owner.patch("/api/org/", {"name": "Alpha Renamed"}, format="json")

    assert response.status_code == 200
    event = AuditEvent.objects.filter(org_id=cast.org_a.pk).first()
    assert (event.action, event.ip) == ("settings_changed", CLIENT)


@pytest.fixture
def request_lines() -> Iterator[io.StringIO]:
    """The JSON lines of the `crm.request` logger while the test runs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("crm.request")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def test_the_request_log_line_names_the_client_behind_the_proxies(settings, request_lines: io.StringIO) -> None:
    settings.TRUSTED_PROXIES = PROXIES

    Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"{CLIENT}, 10.0.0.1").get("/api/auth/me/")
    Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=CLIENT).get("/api/auth/me/")

    lines = [json.loads(line) for line in request_lines.getvalue().splitlines()]
    assert [line["client_ip"] for line in lines] == [CLIENT, "198.51.100.7"]


def test_https_is_believed_only_from_a_trusted_proxy(settings) -> None:
    settings.TRUSTED_PROXIES = PROXIES
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True

    through_proxy = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_PROTO="https").get("/health/live")
    direct = Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_PROTO="https").get("/health/live")

    assert through_proxy.status_code == 200
    assert (direct.status_code, direct["Location"]) == (301, "https://testserver/health/live")
