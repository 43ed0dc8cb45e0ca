"""Sign-up, sign-in and token lifecycle. Each function is one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from rest_framework import status
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from common.errors import ApiError
from common.models import Profile, Role, User
from common.tokens import TOKEN_VERSION_CLAIM, TokenError, decode_refresh, issue_token_pair, session_id_of
from tenants.accounts.email_links import email_verification_send
from tenants.accounts.passwords import password_errors
from tenants.accounts.sessions import session_is_revoked, session_revoke, user_sessions_ended
from tenants.accounts.two_factor import LoginChallenge, login_challenge_issue
from tenants.models import Org
from tenants.orgs.provisioning import org_create

INVALID_CREDENTIALS = "No account matches this email and password."


@dataclass(frozen=True)
class Registration:
    user: User
    org: Org
    profile: Profile
    tokens: dict[str, str]


def email_is_taken(email: str) -> bool:
    return User.objects.filter(email__iexact=email.strip()).exists()


@transaction.atomic
def account_register(*, email: str, password: str, name: str, org_name: str) -> Registration:
    """A user, an org with its schema and the owner membership: all of them or none."""
    email = User.objects.normalize_email(email.strip()).lower()
    user = User(email=email, name=name.strip())
    fields: dict[str, list[dict[str, str]]] = {}
    if email_is_taken(email):
        fields["email"] = [{"code": "email_taken", "detail": "An account with this email already exists."}]
    weak_password = password_errors(password, user)
    if weak_password:
        fields["password"] = weak_password
    if fields:
        code = "email_taken" if list(fields) == ["email"] else "invalid"
        raise ApiError("The account could not be created.", code=code, fields=fields)

    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # the same email registered concurrently, after the check above
        raise ApiError(
            "The account could not be created.",
            code="email_taken",
            fields={"email": [{"code": "email_taken", "detail": "An account with this email already exists."}]},
        ) from None
    org = org_create(name=org_name)
    profile = Profile.objects.create(user=user, org=org, role=Role.OWNER)
    email_verification_send(user=user)
    return Registration(user=user, org=org, profile=profile, tokens=issue_token_pair(user))


def _invalid_credentials() -> ApiError:
    return ApiError(INVALID_CREDENTIALS, code="invalid_credentials", status_code=status.HTTP_401_UNAUTHORIZED)


def auth_login(*, email: str, password: str) -> tuple[User, dict[str, str] | LoginChallenge]:
    """A token pair, or, when the user has 2FA on, a short-lived challenge to answer with a code (no tokens)."""
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        # Spend the same hashing time as a real check, so timing does not reveal which emails exist.
        User().set_password(password)
        raise _invalid_credentials()
    if not user.check_password(password) or not user.is_active:
        raise _invalid_credentials()
    if user.has_two_factor:
        return user, login_challenge_issue(user=user)
    return user, issue_token_pair(user)


def _token_invalid() -> ApiError:
    return ApiError(
        "The refresh token is invalid, expired or already used.",
        code="token_invalid",
        status_code=status.HTTP_401_UNAUTHORIZED,
    )


class _RefreshReplayed(Exception):
    """A refresh token that was already rotated or logged out came back: its session is ended whole."""

    def __init__(self, token: RefreshToken) -> None:
        self.token = token


def _live_refresh_token(raw: str) -> tuple[RefreshToken, OutstandingToken]:
    """A verified refresh token, its row locked so two concurrent uses cannot both succeed."""
    try:
        refresh = decode_refresh(raw)
    except TokenError:
        raise _token_invalid() from None
    outstanding = OutstandingToken.objects.select_for_update(of=("self",)).filter(jti=refresh["jti"]).first()
    if outstanding is None:
        raise _token_invalid()
    if BlacklistedToken.objects.filter(token=outstanding).exists():
        raise _RefreshReplayed(refresh)
    if session_is_revoked(refresh):
        raise _token_invalid()
    return refresh, outstanding


def auth_refresh(*, refresh: str) -> dict[str, str]:
    """Rotate: the used refresh token is blacklisted and the next pair of the same session is issued.

    A refresh token used a second time means two parties hold it (OAuth 2.0 Security BCP, section 4.14): the
    whole session it belongs to ends, the legitimate holder's tokens included, and the answer is the usual 401.
    """
    try:
        return _refresh_rotate(refresh)
    except _RefreshReplayed as replayed:
        _session_end_for_replay(replayed.token)
        raise _token_invalid() from None


@transaction.atomic
def _refresh_rotate(raw: str) -> dict[str, str]:
    token, outstanding = _live_refresh_token(raw)
    user = User.objects.filter(pk=token["user_id"]).first()
    if user is None or not user.is_active or token.get(TOKEN_VERSION_CLAIM) != user.token_version:
        raise _token_invalid()
    BlacklistedToken.objects.create(token=outstanding)
    return issue_token_pair(user, session_id=session_id_of(token))


@transaction.atomic
def _session_end_for_replay(token: RefreshToken) -> None:
    session_id = session_id_of(token)
    if session_id is not None:  # a token from before sessions has no family to end
        session_revoke(user_id=token["user_id"], session_id=session_id)


def auth_logout(*, refresh: str) -> None:
    """End the session of this refresh token: it, and every access token minted in the session, stop working
    now. Logging out with an already rotated refresh token is a replay, and ends the session just the same."""
    try:
        _logout(refresh)
    except _RefreshReplayed as replayed:
        _session_end_for_replay(replayed.token)
        raise _token_invalid() from None


@transaction.atomic
def _logout(raw: str) -> None:
    token, outstanding = _live_refresh_token(raw)
    BlacklistedToken.objects.create(token=outstanding)
    session_id = session_id_of(token)
    if session_id is not None:
        session_revoke(user_id=token["user_id"], session_id=session_id)


@transaction.atomic
def password_change(*, user: User, current_password: str, new_password: str) -> dict[str, str]:
    """Every token issued before dies on its next use; the caller gets a fresh pair."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not locked.check_password(current_password):
        raise ApiError(
            "The current password is not correct.",
            code="password_incorrect",
            fields={"current_password": [{"code": "password_incorrect", "detail": "Not correct."}]},
        )
    errors = password_errors(new_password, locked)
    if errors:
        raise ApiError("Choose a stronger password.", code="password_invalid", fields={"new_password": errors})
    locked.set_password(new_password)
    locked.token_version += 1
    locked.save(update_fields=["password", "token_version", "updated_at"])
    user_sessions_ended(user_id=locked.pk)
    return issue_token_pair(locked)
