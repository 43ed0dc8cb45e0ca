"""Asking a signed-in person to prove again who they are before an irreversible step (deleting an org, handing
over its ownership): their password, or a current 2FA code when they have 2FA.

A stolen access token alone (a shared laptop, a leaked log) must not be enough to destroy an agency's data.
Missing proof is a 400 field error like any missing field; wrong proof is a 403 `reauthentication_failed`: the
bearer token is fine (a 401 would make a client refresh or sign out), the person just did not prove it is them.
"""

from __future__ import annotations

from rest_framework import status

from common.errors import ApiError
from common.models import User
from tenants.accounts.two_factor import second_factor_accepts, throttle_verify

REAUTHENTICATION_FAILED = "reauthentication_failed"


def _failed(field: str, detail: str) -> ApiError:
    return ApiError(
        detail,
        code=REAUTHENTICATION_FAILED,
        status_code=status.HTTP_403_FORBIDDEN,
        fields={field: [{"code": REAUTHENTICATION_FAILED, "detail": detail}]},
    )


def reauthentication_confirm(*, user: User, password: str = "", code: str = "", ip: str | None) -> None:
    """Passes with the right password, or a current code (or an unused recovery code) of a user with 2FA.
    Every attempt counts against the same per-email and per-IP limits as 2FA codes, right or wrong."""
    if not password and not code:
        detail = (
            "Confirm with your current password, or a code from your authenticator app."
            if user.has_two_factor
            else "Confirm with your current password."
        )
        raise ApiError(detail, code="required", fields={"password": [{"code": "required", "detail": detail}]})
    throttle_verify(email=user.email, ip=ip or "unknown")
    if code:
        if not user.has_two_factor:
            raise _failed("code", "You have no two-factor authentication: confirm with your password.")
        if not second_factor_accepts(user=user, code=code):
            raise _failed("code", "The code is not correct, or it was already used.")
        return
    if not user.check_password(password):
        raise _failed("password", "The password is not correct.")
