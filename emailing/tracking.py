"""Signed tokens of tracking and unsubscribe links: one per message, naming its org and recipient.

`<recipient id><HMAC>` in URL-safe base64: the HMAC (EMAILING_TOKEN_SECRET) covers the org as well, so a
token only works under its own org's URL, and nobody can make one for a message they did not receive.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import ipaddress
import uuid
from typing import Any

from django.conf import settings
from django.urls import reverse

_MAC_BYTES = 12
_TOKEN_MARK = "TOKEN0"
UA_PROXIES = ("GoogleImageProxy", "YahooMailProxy", "ggpht.com", "Outlook-iOS-Android/Safe")


def _key() -> bytes:
    return settings.EMAILING_TOKEN_SECRET.encode()


def _mac(org_id: uuid.UUID, recipient_id: uuid.UUID) -> bytes:
    message = b"emailing.recipient.v1:" + org_id.bytes + recipient_id.bytes
    return hmac.new(_key(), message, hashlib.sha256).digest()[:_MAC_BYTES]


def recipient_token(org_id: Any, recipient_id: Any) -> str:
    org_uuid, recipient_uuid = uuid.UUID(str(org_id)), uuid.UUID(str(recipient_id))
    raw = recipient_uuid.bytes + _mac(org_uuid, recipient_uuid)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def recipient_of_token(org_id: Any, token: str) -> uuid.UUID | None:
    """The recipient a token was made for under this org, or None (forged, cut, another org's)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 16 + _MAC_BYTES:
        return None
    recipient_id = uuid.UUID(bytes=raw[:16])
    if not hmac.compare_digest(raw[16:], _mac(uuid.UUID(str(org_id)), recipient_id)):
        return None
    return recipient_id


class LinkMaker:
    """The public URLs of one org's messages, the route reversed once (a batch makes thousands)."""

    def __init__(self, org_slug: str) -> None:
        base = settings.PUBLIC_BASE_URL.rstrip("/")
        kwargs = {"org_slug": org_slug, "token": _TOKEN_MARK}
        self._open = base + reverse("api:email-open", kwargs=kwargs)
        self._click = base + reverse("api:email-click", kwargs={**kwargs, "position": 0})
        self._unsubscribe = base + reverse("api:email-unsubscribe", kwargs=kwargs)

    def open(self, token: str) -> str:
        return self._open.replace(_TOKEN_MARK, token)

    def click(self, token: str, position: int) -> str:
        url = self._click.replace(_TOKEN_MARK, token)
        return url[: url.rstrip("/").rfind("/") + 1] + f"{position}/"

    def unsubscribe(self, token: str) -> str:
        return self._unsubscribe.replace(_TOKEN_MARK, token)


@functools.lru_cache(maxsize=4)
def _networks(values: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(ipaddress.ip_network(value, strict=False) for value in values)


def is_proxy(ip: str | None, user_agent: str) -> bool:
    """A mail provider fetching images for its users (or ahead of them), not a person opening the email."""
    if any(marker in user_agent for marker in UA_PROXIES):
        return True
    if not ip:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in network for network in _networks(tuple(settings.EMAILING_PROXY_NETWORKS)))
