"""SSRF-safe delivery: an endpoint's host is resolved and refused when any of its addresses is not public
(private, loopback outside development, link-local, cloud metadata, reserved, multicast), both when the URL is
registered and again at connect time, on the very address the socket connects to (no DNS-rebinding window).
Redirects are never followed: http.client does not follow them, and a 3xx counts as a failure."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
RESPONSE_KEPT_BYTES = 20 * 1024


class RefusedUrl(Exception):
    """The URL may not be called; `str()` says why."""


def address_allowed(address: Address, *, allow_loopback: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA:
        return False
    if address.is_loopback:
        return allow_loopback
    return address.is_global and not address.is_multicast


def loopback_allowed() -> bool:
    return bool(settings.WEBHOOKS_ALLOW_LOOPBACK)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str


def parse(url: str) -> Target:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise RefusedUrl("Only https URLs can receive webhooks.")
    if parts.username or parts.password:
        raise RefusedUrl("A webhook URL cannot carry a user name or password.")
    if not parts.hostname:
        raise RefusedUrl("The URL has no host.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise RefusedUrl("The URL's port is not valid.") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port, path)


def resolve_allowed(host: str, port: int) -> list[tuple[int, tuple[object, ...]]]:
    """Every address of `host`, all of them allowed, or RefusedUrl."""
    allow_loopback = loopback_allowed()
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise RefusedUrl(f"The host {host} does not resolve.") from None
    if not infos:
        raise RefusedUrl(f"The host {host} does not resolve.")
    found: list[tuple[int, tuple[object, ...]]] = []
    for family, _, _, _, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if not address_allowed(address, allow_loopback=allow_loopback):
            raise RefusedUrl(f"The host {host} points at an address that cannot receive webhooks ({address}).")
        found.append((family, tuple(sockaddr)))
    return found


def check_url(url: str) -> Target:
    """At registration: https (http only to loopback in development), a host that resolves to allowed
    addresses only."""
    target = parse(url)
    if target.scheme == "http" and not loopback_allowed():
        raise RefusedUrl("Only https URLs can receive webhooks.")
    addresses = resolve_allowed(target.host, target.port)
    if target.scheme == "http":
        is_loopback = all(ipaddress.ip_address(str(addr[0])).is_loopback for _, addr in addresses)
        if not (loopback_allowed() and is_loopback):
            raise RefusedUrl("Only https URLs can receive webhooks.")
    return target


def _connected_socket(target: Target, timeout: float) -> socket.socket:
    last_error: OSError | None = None
    for family, sockaddr in resolve_allowed(target.host, target.port):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(sockaddr)
            return sock
        except OSError as error:
            sock.close()
            last_error = error
    raise last_error or OSError("no address to connect to")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._target = target

    def connect(self) -> None:
        self.sock = _connected_socket(self._target, self.timeout)  # type: ignore[arg-type]


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._target = target

    def connect(self) -> None:
        raw = _connected_socket(self._target, self.timeout)  # type: ignore[arg-type]
        self.sock = self._context.wrap_socket(raw, server_hostname=self._target.host)  # type: ignore[attr-defined]


@dataclass
class Outcome:
    status_code: int | None
    body: str
    error: str
    duration_ms: int
    retry_after: float | None = None
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Outcome:
    """POST once. Never raises for what the receiver does: a refusal, a timeout or a lost connection is an
    Outcome with an error."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = parse(url)
        if target.scheme == "http" and not loopback_allowed():
            raise RefusedUrl("Only https URLs can receive webhooks.")
        connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
        conn = connection_class(target, timeout)
        try:
            conn.request("POST", target.path, body=body, headers=headers)
            response = conn.getresponse()
            kept = response.read(RESPONSE_KEPT_BYTES)
            retry_after = _seconds(response.getheader("Retry-After"))
            status = response.status
        finally:
            conn.close()
    except RefusedUrl as refused:
        return Outcome(None, "", f"refused: {refused}"[:300], took())
    except TimeoutError:
        return Outcome(None, "", "timed out", took(), timed_out=True)
    except (OSError, http.client.HTTPException, ssl.SSLError) as error:
        return Outcome(None, "", f"{type(error).__name__}: {error}"[:300], took())
    text = kept.decode("utf-8", errors="replace")
    why = "" if 200 <= status < 300 else ("redirect not followed" if 300 <= status < 400 else f"HTTP {status}")
    return Outcome(status, text, why, took(), retry_after=retry_after)


def _seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
