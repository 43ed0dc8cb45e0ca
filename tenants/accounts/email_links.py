"""Email verification and password reset: single-use emailed link tokens, stored hashed."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework import status

from common.errors import ApiError, Conflict
from common.models import User
from common.throttling import Limit, enforce
from tenants.accounts.passwords import password_errors
from tenants.accounts.sessions import user_sessions_ended
from tenants.mail import email_send
from tenants.models import AccountToken, AccountTokenPurpose

VERIFY_EMAIL_LIFETIME = timedelta(hours=48)
PASSWORD_RESET_LIFETIME = timedelta(hours=1)

# Every request counts before anything is looked up, so concurrent requests cannot slip past a limit and the
# answer never depends on whether the email exists. Per email so one inbox cannot be flooded from many IPs.
VERIFY_RESEND_USER_LIMIT = Limit("verify_email_resend_user", 5, 3600)
RESET_EMAIL_LIMIT = Limit("password_reset_email", 5, 900)
RESET_IP_LIMIT = Limit("password_reset_ip", 20, 900)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def unverified_email_blocks(user: User) -> bool:
    """Whether this user may no longer use tenant routes until they verify their email.

    UNVERIFIED_EMAIL_GRACE_DAYS days after sign-up (0 or less: never).
    """
    grace_days = getattr(settings, "UNVERIFIED_EMAIL_GRACE_DAYS", 7)
    if not grace_days or grace_days < 0 or user.email_verified:
        return False
    return user.date_joined + timedelta(days=grace_days) < timezone.now()


def _token_issue(*, user: User, purpose: str, lifetime: timedelta) -> str:
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    AccountToken.objects.create(
        user=user, purpose=purpose, token_hash=_hash(token), created_at=now, expires_at=now + lifetime
    )
    return token


def _invalidate_unused(*, user: User, purpose: str) -> None:
    """Unused links of this purpose die; they answer `token_used` from now on (410: gone, not unknown)."""
    AccountToken.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(used_at=timezone.now())


def _token_invalid() -> ApiError:
    return ApiError("This link is not valid.", code="token_invalid")


def _token_consume(*, token: str, purpose: str) -> tuple[AccountToken, User]:
    """The live token and its user, both locked, so two concurrent uses cannot both succeed. Not yet marked used.

    The user is locked before the token, the order every service here takes, so two of them never deadlock.
    """
    # Looked up by its hash: the database compares hashes, so timing reveals nothing about a real token.
    found = (
        AccountToken.objects.filter(token_hash=_hash(token or ""), purpose=purpose)
        .values_list("pk", "user_id")
        .first()
    )
    user = User.objects.select_for_update().filter(pk=found[1]).first() if found else None
    row = AccountToken.objects.select_for_update().filter(pk=found[0]).first() if found else None
    if row is None or user is None or not user.is_active:
        raise _token_invalid()
    if row.used_at is not None:
        raise ApiError(
            "This link was already used, or a newer one was sent. Ask for a new one.",
            code="token_used",
            status_code=status.HTTP_410_GONE,
        )
    if row.expires_at <= timezone.now():
        raise ApiError(
            "This link has expired. Ask for a new one.", code="token_expired", status_code=status.HTTP_410_GONE
        )
    return row, user


# --- Email verification ---------------------------------------------------------------------------------------


@transaction.atomic
def email_verification_send(*, user: User) -> None:
    """A fresh 48-hour link; earlier unused links stop working, so only the newest email counts."""
    # Serialises concurrent sends for one user, so exactly one link is live afterwards.
    User.objects.select_for_update().filter(pk=user.pk).first()
    _invalidate_unused(user=user, purpose=AccountTokenPurpose.VERIFY_EMAIL)
    token = _token_issue(user=user, purpose=AccountTokenPurpose.VERIFY_EMAIL, lifetime=VERIFY_EMAIL_LIFETIME)
    email_send(
        to=user.email,
        template="verify_email",
        context={
            "name": user.name,
            "email": user.email,
            "token": token,
            "expires_hours": int(VERIFY_EMAIL_LIFETIME.total_seconds() // 3600),
        },
    )


@transaction.atomic
def email_verification_resend(*, user: User) -> None:
    if user.email_verified:
        raise Conflict("Your email address is already verified.", code="email_already_verified")
    enforce(VERIFY_RESEND_USER_LIMIT, str(user.pk))
    email_verification_send(user=user)


@transaction.atomic
def email_verify(*, token: str) -> User:
    """Marks the email verified. Verifying twice with two live links is harmless: the first time counts."""
    row, user = _token_consume(token=token, purpose=AccountTokenPurpose.VERIFY_EMAIL)
    now = timezone.now()
    row.used_at = now
    row.save(update_fields=["used_at"])
    if user.email_verified_at is None:
        user.email_verified_at = now
        user.save(update_fields=["email_verified_at", "updated_at"])
    _invalidate_unused(user=user, purpose=AccountTokenPurpose.VERIFY_EMAIL)
    return user


# --- Password reset -------------------------------------------------------------------------------------------


def _email_key(email: str) -> str:
    # Hashed so Redis never holds the addresses people typed.
    return _hash(email.strip().lower())


@transaction.atomic
def password_reset_request(*, email: str, ip: str) -> None:
    """Sends a 1-hour link to a known, active account; does the same visible thing for any other email.

    Earlier links stay valid until they expire or a reset succeeds: mail can arrive out of order, and a person
    who asked twice should not be punished for clicking the first email.
    """
    enforce(RESET_IP_LIMIT, ip)
    enforce(RESET_EMAIL_LIMIT, _email_key(email))
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        return
    token = _token_issue(user=user, purpose=AccountTokenPurpose.PASSWORD_RESET, lifetime=PASSWORD_RESET_LIFETIME)
    email_send(
        to=user.email,
        template="password_reset",
        context={
            "name": user.name,
            "email": user.email,
            "token": token,
            "expires_minutes": int(PASSWORD_RESET_LIFETIME.total_seconds() // 60),
        },
    )


@transaction.atomic
def password_reset_confirm(*, token: str, new_password: str) -> User:
    """Sets the password and revokes every earlier session (token_version). A weak password keeps the link."""
    row, user = _token_consume(token=token, purpose=AccountTokenPurpose.PASSWORD_RESET)
    errors = password_errors(new_password, user)
    if errors:
        raise ApiError("Choose a stronger password.", code="password_invalid", fields={"new_password": errors})
    now = timezone.now()
    user.set_password(new_password)
    user.token_version += 1
    update_fields = ["password", "token_version", "updated_at"]
    if user.email_verified_at is None:
        # Following the emailed link proves they own the address.
        user.email_verified_at = now
        update_fields.append("email_verified_at")
    user.save(update_fields=update_fields)
    user_sessions_ended(user_id=user.pk)
    row.used_at = now
    row.save(update_fields=["used_at"])
    _invalidate_unused(user=user, purpose=AccountTokenPurpose.PASSWORD_RESET)
    return user
