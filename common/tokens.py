"""JWT pairs that carry the user's token version, so one bump revokes every earlier token, and the id of the
session (the sign-in) they descend from, so one session can be ended alone."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

if TYPE_CHECKING:
    from common.models import User

TOKEN_VERSION_CLAIM = "ver"
# One id per sign-in, shared by its refresh token, every refresh token rotated from it and every access token
# minted from those: the family that logout or a replayed refresh token ends.
SESSION_CLAIM = "sid"
# Impersonation tokens name the platform admin behind them and the one org they are good for.
IMPERSONATOR_CLAIM = "imp"
IMPERSONATED_ORG_CLAIM = "imp_org"

__all__ = [
    "IMPERSONATED_ORG_CLAIM",
    "IMPERSONATOR_CLAIM",
    "SESSION_CLAIM",
    "TOKEN_VERSION_CLAIM",
    "TokenError",
    "decode_access",
    "decode_refresh",
    "issue_token_pair",
    "new_session_id",
    "session_id_of",
]


def new_session_id() -> str:
    return uuid.uuid4().hex


def session_id_of(token: Any) -> str | None:
    """The session a token belongs to; None for tokens without one (impersonation, or issued before sessions)."""
    value = token.get(SESSION_CLAIM) if token is not None else None
    return str(value) if value else None


def issue_token_pair(user: User, session_id: str | None = None) -> dict[str, str]:
    """A pair for a new session, or (rotation) the next pair of an existing one."""
    refresh = RefreshToken.for_user(user)
    refresh[TOKEN_VERSION_CLAIM] = user.token_version
    refresh[SESSION_CLAIM] = session_id or new_session_id()
    # The access token copies the refresh token's claims, version and session included.
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


class _RefreshTokenOfAnyState(RefreshToken):
    """A refresh token verified for signature, expiry and type, blacklisted or not: the caller tells a replay
    from a live token itself, under a row lock."""

    def check_blacklist(self) -> None:
        return None


def decode_refresh(raw: str) -> RefreshToken:
    """Signature, expiry and type; not the blacklist. Raises TokenError."""
    return _RefreshTokenOfAnyState(raw)  # type: ignore[arg-type]


def decode_access(raw: str) -> AccessToken:
    """Signature, expiry and type only: no database hit. Raises TokenError."""
    # simplejwt annotates the token argument as a Token, though it takes (and here gets) the encoded string.
    return AccessToken(raw)  # type: ignore[arg-type]
