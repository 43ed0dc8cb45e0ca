"""Signing what Keystone and the image enhancement service send each other.

`X-Keystone-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body, keyed with the shared secret>`.
The timestamp is inside the signed text, so an old message cannot be passed off as a new one; how old a
message may be is IMAGE_ENHANCEMENT_CALLBACK_TOLERANCE_SECONDS (either way, for clocks that drift).
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-Keystone-Signature"


class SignatureRefused(Exception):
    """`code` is signature_missing, signature_invalid or signature_expired."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def signature_of(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={signature_of(secret, timestamp, body)}"


def _parsed(header: str) -> tuple[int, str]:
    parts = dict(part.strip().partition("=")[::2] for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        raise SignatureRefused("signature_invalid", "The signature header is malformed.") from None
    signature = parts.get("v1", "")
    if not signature:
        raise SignatureRefused("signature_invalid", "The signature header is malformed.")
    return timestamp, signature


def signature_verify(
    header: str | None, body: bytes, *, secret: str, tolerance: int, now: float | None = None
) -> str:
    """The verified `v1` signature, or SignatureRefused. An empty secret verifies nothing."""
    if not header:
        raise SignatureRefused("signature_missing", f"The {HEADER} header is missing.")
    timestamp, signature = _parsed(header)
    if not secret or not hmac.compare_digest(signature_of(secret, timestamp, body), signature):
        raise SignatureRefused("signature_invalid", "The signature does not match the body.")
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise SignatureRefused("signature_expired", "The signature is too old (or from the future).")
    return signature
