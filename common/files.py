"""Answering a request for a stored file, after the route has authorised it: streamed from local storage, or a
redirect to a short-lived signed URL of the object store (the bucket stays private; see docs/operations.md)."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header

from common.errors import NotFound

# What every file answer carries when it is streamed: the browser never guesses a type or runs it as a page.
SAFE_FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


def storage_signs_urls(storage: Any) -> bool:
    """Object storage (django-storages' S3 backend or a subclass) hands out signed URLs; local storage streams.

    Told by the class's ancestry rather than isinstance, so a process on local storage never imports boto3."""
    return any(cls.__module__ == "storages.backends.s3" for cls in storage.__class__.__mro__)


def signed_url_seconds() -> int:
    return max(1, int(settings.STORAGE_SIGNED_URL_SECONDS))


def stored_file_response(
    storage: Any,
    name: str | None,
    *,
    content_type: str,
    file_name: str,
    as_attachment: bool,
    cache_control: str = "private, no-store",
    missing: NotFound | None = None,
) -> HttpResponse | FileResponse:
    """The stored file `name`, for a caller the view has already authorised.

    Local storage streams it through this process. Object storage answers 302 to a signed URL that lives
    STORAGE_SIGNED_URL_SECONDS and names the type, the file name and the caching, so the download looks the same
    to the client; the redirect itself is cacheable at most half that long. A file the storage does not have is
    `missing` (a plain 404 unless the view says more), on either path.
    """
    not_found = missing if missing is not None else NotFound()
    if not name:
        raise not_found
    if storage_signs_urls(storage):
        if not storage.exists(name):
            raise not_found
        lifetime = signed_url_seconds()
        url = storage.url(
            name,
            parameters={
                "ResponseContentType": content_type,
                "ResponseContentDisposition": content_disposition_header(as_attachment, file_name),
                "ResponseCacheControl": cache_control,
            },
            expire=lifetime,
        )
        redirect = HttpResponseRedirect(url)
        redirect["Cache-Control"] = _redirect_cache_control(cache_control, lifetime)
        redirect["Referrer-Policy"] = "no-referrer"
        return redirect
    try:
        handle = storage.open(name, "rb")
    except FileNotFoundError:
        raise not_found from None
    response = FileResponse(handle, as_attachment=as_attachment, filename=file_name, content_type=content_type)
    for header, value in SAFE_FILE_HEADERS.items():
        response[header] = value
    response["Cache-Control"] = cache_control
    return response


def _redirect_cache_control(cache_control: str, lifetime: int) -> str:
    """A cached redirect must not outlive the signature it points at."""
    if "no-store" in cache_control:
        return cache_control
    scope = "public" if cache_control.startswith("public") else "private"
    asked = re.search(r"max-age=(\d+)", cache_control)
    seconds = lifetime // 2 if asked is None else min(int(asked.group(1)), lifetime // 2)
    return f"{scope}, max-age={seconds}"
