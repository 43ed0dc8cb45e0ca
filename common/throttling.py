"""Fixed-window rate limits in Redis: one atomic INCR per hit, so they hold under concurrent requests.

Every limit can be changed from the environment without a code change: `THROTTLE_LIMITS` lists
`scope=count/seconds` pairs, and a scope named there replaces the count and window its `Limit` was declared
with. The declared values are the defaults; docs/operations.md lists every scope.
"""

from __future__ import annotations

import functools
import hashlib
import time
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from rest_framework import exceptions

from common.proxies import client_address


@dataclass(frozen=True)
class Limit:
    """At most `count` hits per `seconds` for one key (an IP, an email, a key id...)."""

    scope: str
    count: int
    seconds: int


def parse_limits(text: str) -> dict[str, tuple[int, int]]:
    """`"login_ip=50/300, register_ip=20/3600"` -> {scope: (count, seconds)}; a malformed entry stops the start."""
    limits: dict[str, tuple[int, int]] = {}
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        scope, _, rate = entry.partition("=")
        count, _, seconds = rate.partition("/")
        try:
            parsed = (int(count), int(seconds))
        except ValueError:
            parsed = (-1, -1)
        if not scope.strip() or parsed[0] < 0 or parsed[1] < 1:
            raise ImproperlyConfigured(
                f"THROTTLE_LIMITS entry {entry!r} is not `scope=count/seconds` (say `login_ip=30/300`)."
            )
        limits[scope.strip()] = parsed
    return limits


@functools.lru_cache(maxsize=8)
def _overrides(text: str) -> dict[str, tuple[int, int]]:
    return parse_limits(text)


def configured(limit: Limit) -> Limit:
    """The limit as deployed: the operator's `THROTTLE_LIMITS` entry for its scope, else as declared."""
    override = _overrides(settings.THROTTLE_LIMITS).get(limit.scope)
    if override is None:
        return limit
    return replace(limit, count=override[0], seconds=override[1])


def _redis() -> Any:
    # The RedisCache's own client and pool; django-stubs types `cache` as the BaseCache interface, without them.
    return cache._cache.get_client(write=True)  # type: ignore[attr-defined]


def hit(limit: Limit, key: str) -> int | None:
    """Count one hit; return None if allowed, else the seconds until the window resets."""
    limit = configured(limit)
    window = int(time.time() // limit.seconds)
    redis_key = f"crm:throttle:{limit.scope}:{key}:{window}"
    client = _redis()
    pipe = client.pipeline()
    pipe.incr(redis_key)
    pipe.expire(redis_key, limit.seconds + 1)
    count, _ = pipe.execute()
    if count <= limit.count:
        return None
    return max(1, (window + 1) * limit.seconds - int(time.time()))


def peek(limit: Limit, key: str) -> int | None:
    """Like `hit` without counting: is this key locked out right now?"""
    limit = configured(limit)
    window = int(time.time() // limit.seconds)
    count = _redis().get(f"crm:throttle:{limit.scope}:{key}:{window}")
    if count is None or int(count) <= limit.count:
        return None
    return max(1, (window + 1) * limit.seconds - int(time.time()))


def enforce(limit: Limit, *keys: str) -> None:
    """Count a hit on every key; raise DRF's Throttled (429 with Retry-After) if any is over its limit."""
    waits = [wait for key in keys if (wait := hit(limit, key)) is not None]
    if waits:
        raise exceptions.Throttled(wait=max(waits), detail="Too many attempts. Try again later.")


def hashed_key(value: str) -> str:
    """A throttle key for something a person typed (an email, a token): Redis never holds the value itself."""
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def client_ip(request: HttpRequest) -> str:
    """The caller's address, for throttles, audit entries and logs alike.

    `X-Forwarded-For` counts only when the socket's peer is in TRUSTED_PROXIES, read from the right (see
    common.proxies); otherwise it is the socket's peer, whatever the headers say.
    """
    address = client_address(
        request.META.get("REMOTE_ADDR"), request.META.get("HTTP_X_FORWARDED_FOR"), settings.TRUSTED_PROXIES
    )
    return address or "unknown"
