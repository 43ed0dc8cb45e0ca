"""Messages per minute, per org and for all orgs together, shared by every worker through Redis.

A generic cell rate algorithm (GCRA): each limit keeps the moment its next message is due; one Lua call checks
every limit at once and takes a slot from all of them or from none, so messages spread evenly over the minute
instead of bursting at its start.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache

_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait = 0
local due = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  local later = tat + interval - now - burst
  if later > wait then wait = later end
  due[i] = tat + interval
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, due[i], 'PX', math.ceil(due[i] - now) + 1000)
end
return 0
"""


def _redis() -> Any:
    return cache._cache.get_client(write=True)  # type: ignore[attr-defined]


def org_rate(configured: int | None) -> int:
    """An org's messages a minute: its own figure, capped by the platform's maximum; else the default."""
    rate = configured if configured is not None else settings.EMAILING_RATE_PER_MINUTE
    ceiling = settings.EMAILING_MAX_RATE_PER_MINUTE
    return min(rate, ceiling) if ceiling else rate


class RateLimiter:
    def __init__(self, *, org_id: Any, per_minute: int) -> None:
        self.limits: list[tuple[str, int]] = []
        if per_minute > 0:
            self.limits.append((f"crm:emailing:rate:org:{org_id}", per_minute))
        if settings.EMAILING_GLOBAL_RATE_PER_MINUTE > 0:
            self.limits.append(("crm:emailing:rate:all", settings.EMAILING_GLOBAL_RATE_PER_MINUTE))
        self._script: Any = None

    @property
    def is_off(self) -> bool:
        return not self.limits

    def take(self) -> float:
        """Take one slot; 0 if granted, else the seconds to wait before asking again."""
        if not self.limits:
            return 0.0
        if self._script is None:
            self._script = _redis().register_script(_SCRIPT)
        keys, args = [], []
        for key, per_minute in self.limits:
            interval = 60_000 / per_minute
            keys.append(key)
            # Up to a second's worth of messages may go at once (at least one).
            args += [interval, max(interval, 1000.0)]
        wait_ms = int(self._script(keys=keys, args=args))
        return wait_ms / 1000.0
