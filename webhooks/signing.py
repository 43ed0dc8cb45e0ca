"""Standard Webhooks signatures: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, one per live secret."""

from __future__ import annotations

import base64
import hashlib
import hmac


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    message = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), message, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets: list[str], webhook_id: str, timestamp: int, body: bytes) -> str:
    """Space-separated signatures, the newest secret first (both during a rotation's overlap)."""
    return " ".join(sign(secret, webhook_id, timestamp, body) for secret in secrets)


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does (and what our tests do): any one of the signatures matching is enough."""
    expected = sign(secret, headers["webhook-id"], int(headers["webhook-timestamp"]), body)
    return any(hmac.compare_digest(expected, given) for given in headers["webhook-signature"].split(" "))
