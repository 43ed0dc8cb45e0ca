"""Fixed-window rate limits in Redis: one atomic INCR per hit, so they hold under concurrent requests."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from rest_framework import exceptions


@dataclass(frozen=True)
class Limit:
    """At most `count` hits per `seconds` for one key (an IP, an email, a key id...)."""

    scope: str
    count: int
    seconds: int


def _redis() -> Any:
    # The RedisCache's own client and pool; django-stubs types `cache` as the BaseCache interface, without them.
    return cache._cache.get_client(write=True)  # type: ignore[attr-defined]


def hit(limit: Limit, key: str) -> int | None:
    """Count one hit; return None if allowed, else the seconds until the window resets."""
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
    """The caller's address. Behind a proxy, set the proxy to overwrite REMOTE_ADDR (no header is trusted)."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")
