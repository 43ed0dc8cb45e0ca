"""The outside image enhancement service over HTTP: sending it a photo with the address to call back on, and
fetching the enhanced photo it names. Standard library only; every request has a timeout and only http(s)."""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from properties.media.signatures import HEADER, signature_header

TIMEOUT_SECONDS = 30
_CHUNK = 256 * 1024


class ServiceFailed(Exception):
    """The service could not be reached, refused the request or sent something unusable; the message is the
    reason a member reads on the job."""


@dataclass(frozen=True)
class Photo:
    data: bytes
    content_type: str
    file_name: str


def is_enabled() -> bool:
    return bool(settings.IMAGE_ENHANCEMENT_URL) and bool(settings.IMAGE_ENHANCEMENT_SECRET)


def _opener() -> urllib.request.OpenerDirector:
    """HTTP and HTTPS only, redirects included: no file:// or ftp:// whatever a URL or a redirect says."""
    opener = urllib.request.OpenerDirector()
    handlers = (urllib.request.HTTPHandler, urllib.request.HTTPSHandler, urllib.request.HTTPRedirectHandler,
                urllib.request.HTTPErrorProcessor, urllib.request.HTTPDefaultErrorHandler)  # fmt: skip
    for handler in handlers:
        opener.add_handler(handler())
    return opener


def _checked_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ServiceFailed("The enhancement service gave an address that is not http(s).")
    return url


def _multipart(fields: dict[str, str], photo: Photo) -> tuple[bytes, str]:
    boundary = f"keystone-{secrets.token_hex(16)}"
    lines: list[bytes] = []
    for name, value in fields.items():
        lines += [f"--{boundary}".encode(), f'Content-Disposition: form-data; name="{name}"'.encode(), b"",
                  value.encode()]  # fmt: skip
    lines += [
        f"--{boundary}".encode(),
        f'Content-Disposition: form-data; name="image"; filename="{photo.file_name}"'.encode(),
        f"Content-Type: {photo.content_type}".encode(),
        b"",
        photo.data,
        f"--{boundary}--".encode(),
        b"",
    ]
    return b"\r\n".join(lines), f"multipart/form-data; boundary={boundary}"


def _error_reason(failure: Exception, who: str) -> str:
    if isinstance(failure, urllib.error.HTTPError):
        return f"{who} answered HTTP {failure.code}."
    if isinstance(failure, TimeoutError) or isinstance(getattr(failure, "reason", None), TimeoutError):
        return f"{who} did not answer in time."
    return f"{who} could not be reached."


def photo_send(*, job_id: str, callback_url: str, photo: Photo) -> str:
    """POST the photo with the job id and callback address, signed like the callbacks are. Returns the
    service's own id for the job ("" if it gives none)."""
    body, content_type = _multipart({"job_id": job_id, "callback_url": callback_url}, photo)
    request = urllib.request.Request(  # noqa: S310 (the URL is checked to be http(s); the opener has no other handler)
        _checked_url(str(settings.IMAGE_ENHANCEMENT_URL)),
        data=body,
        method="POST",
        headers={"Content-Type": content_type, HEADER: signature_header(settings.IMAGE_ENHANCEMENT_SECRET, body)},
    )
    try:
        with _opener().open(request, timeout=TIMEOUT_SECONDS) as response:
            answer = response.read(64 * 1024)
    except (urllib.error.URLError, OSError) as failure:
        raise ServiceFailed(_error_reason(failure, "The enhancement service")) from None
    try:
        parsed: Any = json.loads(answer or b"{}")
    except ValueError:
        return ""
    return str(parsed.get("id") or "")[:200] if isinstance(parsed, dict) else ""


def result_fetch(url: str, *, max_bytes: int) -> bytes:
    """The enhanced photo at `url`, refused past `max_bytes` without reading the rest."""
    request = urllib.request.Request(_checked_url(url), method="GET")  # noqa: S310 (checked http(s), as above)
    try:
        with _opener().open(request, timeout=TIMEOUT_SECONDS) as response:
            chunks: list[bytes] = []
            received = 0
            while chunk := response.read(_CHUNK):
                received += len(chunk)
                if received > max_bytes:
                    raise ServiceFailed(f"The enhanced image is larger than {max_bytes / (1024 * 1024):g} MB.")
                chunks.append(chunk)
    except (urllib.error.URLError, OSError) as failure:
        raise ServiceFailed(_error_reason(failure, "The address of the enhanced image")) from None
    return b"".join(chunks)
