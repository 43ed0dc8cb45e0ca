"""Ending sessions: one sign-in's tokens (logout, a replayed refresh token) or all of a user's (token_version).

A session is the family of tokens that descend from one sign-in and share its `sid` claim. Ending it blacklists
its live refresh tokens (the database is the authority for refresh) and marks the session revoked in Redis for
as long as an access token minted from it could still be valid, so the access tokens die on their next request
with one cache read and no query. Live sockets of the session (or of the user) are closed after commit.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import UntypedToken

from common import registry
from common.tokens import SESSION_CLAIM, TokenError, session_id_of

# An access token minted just before the revocation outlives it by at most its lifetime; a minute of margin
# covers clock skew between the servers.
_MARGIN_SECONDS = 60


def _revoked_key(session_id: str) -> str:
    return f"session-revoked:{session_id}"


def _revocation_seconds() -> int:
    lifetime = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]
    assert isinstance(lifetime, timedelta)  # crm.settings sets it from JWT_ACCESS_MINUTES
    return int(lifetime.total_seconds()) + _MARGIN_SECONDS


def session_is_revoked(token: Any) -> bool:
    """The hot-path check of every authenticated request: one cache read, no query."""
    session_id = session_id_of(token)
    return session_id is not None and cache.get(_revoked_key(session_id)) is not None


def session_revoke(*, user_id: Any, session_id: str) -> int:
    """End one session: its access tokens on their next request, its refresh tokens now, its sockets after
    commit. Returns how many refresh tokens were blacklisted. Run inside the caller's transaction."""
    # Marked first and outside the transaction's fate: ending a session early is always safe.
    cache.set(_revoked_key(session_id), True, _revocation_seconds())
    blacklisted = 0
    live = (
        OutstandingToken.objects.select_for_update(of=("self",))
        .filter(user_id=user_id, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True)
        .only("pk", "token")
    )
    for outstanding in live:
        if _session_of_stored(outstanding.token) == session_id:
            BlacklistedToken.objects.get_or_create(token=outstanding)
            blacklisted += 1
    _tell_listeners(user_id=user_id, session_id=session_id)
    return blacklisted


def user_sessions_ended(*, user_id: Any) -> None:
    """Every session of the user ended (its token_version was bumped): close the user's live sockets."""
    _tell_listeners(user_id=user_id, session_id=None)


def _session_of_stored(raw: str) -> str | None:
    """The session of a refresh token this server issued and stored (expired ones are filtered out already)."""
    try:
        token = UntypedToken(raw)  # type: ignore[arg-type]
    except TokenError:
        return None
    value = token.get(SESSION_CLAIM)
    return str(value) if value else None


def _tell_listeners(*, user_id: Any, session_id: str | None) -> None:
    for listener in registry.session_listeners():
        listener(str(user_id), session_id)
