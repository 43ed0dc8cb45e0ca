"""JWT pairs that carry the user's token version, so one bump revokes every earlier token."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

if TYPE_CHECKING:
    from common.models import User

TOKEN_VERSION_CLAIM = "ver"
# Impersonation tokens name the platform admin behind them and the one org they are good for.
IMPERSONATOR_CLAIM = "imp"
IMPERSONATED_ORG_CLAIM = "imp_org"

__all__ = [
    "IMPERSONATED_ORG_CLAIM",
    "IMPERSONATOR_CLAIM",
    "TOKEN_VERSION_CLAIM",
    "TokenError",
    "decode_access",
    "issue_token_pair",
]


def issue_token_pair(user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    refresh[TOKEN_VERSION_CLAIM] = user.token_version
    # The access token copies the refresh token's claims, version included.
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def decode_access(raw: str) -> AccessToken:
    """Signature, expiry and type only: no database hit. Raises TokenError."""
    # simplejwt annotates the token argument as a Token, though it takes (and here gets) the encoded string.
    return AccessToken(raw)  # type: ignore[arg-type]
