"""TOTP two-factor authentication: enrolment, recovery codes, the login challenge and its verification."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import ipaddress
import secrets
import time
from dataclasses import dataclass
from typing import Any

import pyotp
import qrcode
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from rest_framework import status

from common.errors import ApiError, field_error
from common.models import Profile, RecoveryCode, User
from common.throttling import Limit, enforce
from common.tokens import issue_token_pair
from tenants.accounts.sessions import user_sessions_ended
from tenants.audit import audit_record
from tenants.models import Org, OrgStatus

ISSUER = "Keystone CRM"
CHALLENGE_SECONDS = 300
# The module's old dotted path, kept: another salt would void every challenge already handed out.
CHALLENGE_SALT = "tenants.two_factor.login-challenge"
RECOVERY_CODE_COUNT = 10
# Crockford's base32 alphabet: no i, l, o or u to misread. 12 characters are 60 random bits per code.
_RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_RECOVERY_LENGTH = 12

# Every code check counts, right or wrong, before it is checked: concurrent guesses cannot slip past the limit,
# and once a key is locked even the right code waits. Per email, so one account cannot be guessed from many IPs.
VERIFY_EMAIL_LIMIT = Limit("two_factor_verify_email", 5, 300)
VERIFY_IP_LIMIT = Limit("two_factor_verify_ip", 30, 300)
_SERVED = (OrgStatus.ACTIVE, OrgStatus.SUSPENDED, OrgStatus.DELETING)


@dataclass(frozen=True)
class Enrolment:
    secret: str
    otpauth_uri: str
    qr_png: bytes


@dataclass(frozen=True)
class LoginChallenge:
    token: str
    expires_in: int


@dataclass(frozen=True)
class Confirmation:
    recovery_codes: list[str]
    tokens: dict[str, str]


PLATFORM_TWO_FACTOR_REQUIRED = (
    "Platform administration requires two-factor authentication: enrol at /api/auth/2fa/enrol/ first."
)


def platform_two_factor_blocks(user: Any) -> bool:
    """True when platform admins must have 2FA (PLATFORM_ADMIN_REQUIRES_2FA) and this one has not turned it on."""
    return bool(settings.PLATFORM_ADMIN_REQUIRES_2FA) and not user.has_two_factor


def two_factor_blocks(user: User, org: Org) -> bool:
    """True when the org requires two-factor authentication and the user has not turned it on."""
    return bool(org.requires_two_factor) and not user.has_two_factor


def otpauth_uri(*, secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_png(uri: str) -> bytes:
    buffer = io.BytesIO()
    qrcode.make(uri).save(buffer, format="PNG")
    return buffer.getvalue()


def qr_png_base64(png: bytes) -> str:
    return base64.b64encode(png).decode("ascii")


def pending_qr_png(*, user: User) -> bytes:
    if not user.two_factor_pending_secret or user.has_two_factor:
        raise ApiError(
            "There is no two-factor enrolment waiting for confirmation. Start one first.",
            code="two_factor_not_pending",
            status_code=status.HTTP_404_NOT_FOUND,
        )
    return qr_png(otpauth_uri(secret=user.two_factor_pending_secret, email=user.email))


def two_factor_status(*, user: User) -> dict[str, Any]:
    remaining = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count() if user.has_two_factor else 0
    return {
        "enabled": user.has_two_factor,
        "enabled_at": user.two_factor_enabled_at,
        "pending": bool(user.two_factor_pending_secret) and not user.has_two_factor,
        "recovery_codes_remaining": remaining,
    }


# --- Enrolment, confirmation, disabling, recovery codes ----------------------------------------------------------


@transaction.atomic
def two_factor_enrol(*, user: User) -> Enrolment:
    """A fresh secret every time: a QR code shown earlier (maybe to someone else) can no longer be confirmed."""
    locked = _locked(user)
    if locked.has_two_factor:
        raise ApiError(
            "Two-factor authentication is already on. Turn it off first to enrol a new device.",
            code="two_factor_already_enabled",
            status_code=status.HTTP_409_CONFLICT,
        )
    locked.two_factor_pending_secret = pyotp.random_base32()
    locked.save(update_fields=["two_factor_pending_secret", "updated_at"])
    uri = otpauth_uri(secret=locked.two_factor_pending_secret, email=locked.email)
    return Enrolment(secret=locked.two_factor_pending_secret, otpauth_uri=uri, qr_png=qr_png(uri))


@transaction.atomic
def two_factor_confirm(*, user: User, code: str, ip: str) -> Confirmation:
    """Turn 2FA on. Every earlier token dies (it was issued on a password alone); the caller gets a fresh pair."""
    throttle_verify(email=user.email, ip=ip)
    locked = _locked(user)
    if locked.has_two_factor:
        raise ApiError(
            "Two-factor authentication is already on.",
            code="two_factor_already_enabled",
            status_code=status.HTTP_409_CONFLICT,
        )
    if not locked.two_factor_pending_secret:
        raise ApiError(
            "There is no two-factor enrolment waiting for confirmation. Start one first.",
            code="two_factor_not_pending",
            status_code=status.HTTP_409_CONFLICT,
        )
    if not _totp_accepts(user=locked, secret=locked.two_factor_pending_secret, code=code):
        raise _code_invalid_field()
    locked.two_factor_secret = locked.two_factor_pending_secret
    locked.two_factor_pending_secret = ""
    locked.two_factor_enabled_at = timezone.now()
    locked.token_version += 1
    locked.save(
        update_fields=[
            "two_factor_secret",
            "two_factor_pending_secret",
            "two_factor_enabled_at",
            "token_version",
            "updated_at",
        ]
    )
    user_sessions_ended(user_id=locked.pk)
    codes = _recovery_codes_replace(locked)
    _audit_in_every_org(user=locked, action="two_factor_enabled", ip=ip)
    return Confirmation(recovery_codes=codes, tokens=issue_token_pair(locked))


@transaction.atomic
def two_factor_disable(*, user: User, code: str, ip: str) -> list[str]:
    """Turn 2FA off with a current code or a recovery code; returns the slugs of orgs that still require it.

    Allowed even where an org requires 2FA: the org middleware then refuses that org until the user enrols
    again, so the org's rule still holds, and a user who lost the device can sign in with a recovery code,
    turn 2FA off and enrol the new device.
    """
    throttle_verify(email=user.email, ip=ip)
    locked = _locked_with_two_factor(user)
    if not second_factor_accepts(user=locked, code=code):
        raise _code_invalid_field()
    locked.two_factor_secret = ""
    locked.two_factor_pending_secret = ""
    locked.two_factor_enabled_at = None
    locked.save(
        update_fields=["two_factor_secret", "two_factor_pending_secret", "two_factor_enabled_at", "updated_at"]
    )
    RecoveryCode.objects.filter(user=locked).delete()
    profiles = _active_memberships(locked)
    _audit_in_every_org(user=locked, action="two_factor_disabled", ip=ip, profiles=profiles)
    return sorted(profile.org.slug for profile in profiles if profile.org.requires_two_factor)


@transaction.atomic
def two_factor_recovery_codes_regenerate(*, user: User, code: str, ip: str) -> list[str]:
    """Ten new codes; every earlier one, used or not, stops working."""
    throttle_verify(email=user.email, ip=ip)
    locked = _locked_with_two_factor(user)
    if not second_factor_accepts(user=locked, code=code):
        raise _code_invalid_field()
    codes = _recovery_codes_replace(locked)
    _audit_in_every_org(user=locked, action="two_factor_recovery_codes_regenerated", ip=ip)
    return codes


# --- Login -------------------------------------------------------------------------------------------------------


def login_challenge_issue(*, user: User) -> LoginChallenge:
    """A signed, short-lived proof that the password was right; it names the token version, so a password change
    or a new enrolment voids it, and its id is spent on success so it works once."""
    payload = {"uid": str(user.pk), "ver": user.token_version, "jti": secrets.token_urlsafe(16)}
    return LoginChallenge(token=signing.dumps(payload, salt=CHALLENGE_SALT), expires_in=CHALLENGE_SECONDS)


@transaction.atomic
def login_challenge_verify(
    *, challenge: str, code: str | None = None, recovery_code: str | None = None, ip: str
) -> tuple[User, dict[str, str]]:
    """The second step of a login: a challenge plus a current code or an unused recovery code -> a token pair."""
    enforce(VERIFY_IP_LIMIT, ip)
    try:
        payload = signing.loads(challenge, salt=CHALLENGE_SALT, max_age=CHALLENGE_SECONDS)
    except signing.BadSignature:  # includes SignatureExpired
        raise _challenge_invalid() from None
    user = User.objects.select_for_update().filter(pk=payload.get("uid")).first()
    if user is None or not user.is_active or not user.has_two_factor or user.token_version != payload.get("ver"):
        raise _challenge_invalid()
    enforce(VERIFY_EMAIL_LIMIT, user.email.lower())
    spent_key = f"two_factor:challenge-spent:{payload.get('jti')}"
    if cache.get(spent_key) is not None:
        raise _challenge_invalid()

    if recovery_code is not None:
        accepted = _recovery_code_use(user=user, code=recovery_code)
    else:
        accepted = _totp_accepts(user=user, secret=user.two_factor_secret, code=code or "")
    if not accepted:
        raise ApiError(
            "The code is not correct, or it was already used.",
            code="code_invalid",
            status_code=status.HTTP_401_UNAUTHORIZED,
        )
    # The atomic claim: of two concurrent requests with the same challenge only one gets tokens.
    if not cache.add(spent_key, True, timeout=CHALLENGE_SECONDS + 60):
        raise _challenge_invalid()
    return user, issue_token_pair(user)


# --- Helpers -----------------------------------------------------------------------------------------------------


def throttle_verify(*, email: str, ip: str) -> None:
    enforce(VERIFY_IP_LIMIT, ip)
    enforce(VERIFY_EMAIL_LIMIT, email.lower())


def _locked(user: User) -> User:
    # Serialises concurrent changes of one user's 2FA (two confirms must not make twenty recovery codes).
    return User.objects.select_for_update().get(pk=user.pk)


def _locked_with_two_factor(user: User) -> User:
    locked = _locked(user)
    if not locked.has_two_factor:
        raise ApiError(
            "Two-factor authentication is not on.",
            code="two_factor_not_enabled",
            status_code=status.HTTP_409_CONFLICT,
        )
    return locked


def _normalised(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _totp_accepts(*, user: User, secret: str, code: str) -> bool:
    """The code of the current 30-second step or one step either side, each accepted once (RFC 6238 §5.2):
    a code seen over someone's shoulder cannot be replayed while it is still valid."""
    code = _normalised(code)
    if len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(secret)
    current = int(time.time() // totp.interval)
    for counter in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(counter), code):
            return bool(cache.add(f"two_factor:code-used:{user.pk}:{counter}", True, timeout=totp.interval * 4))
    return False


def second_factor_accepts(*, user: User, code: str) -> bool:
    """One field for both: six digits are a TOTP code, anything else is tried as a recovery code."""
    normalised = _normalised(code)
    if len(normalised) == 6 and normalised.isdigit():
        return _totp_accepts(user=user, secret=user.two_factor_secret, code=normalised)
    return _recovery_code_use(user=user, code=normalised)


def _recovery_hash(code: str) -> str:
    # The codes carry 60 random bits each, so a plain sha256 is enough (no slow hash needed) and lets us look
    # the code up by its hash instead of comparing against every stored one.
    return hashlib.sha256(_normalised(code).encode()).hexdigest()


def _recovery_code_use(*, user: User, code: str) -> bool:
    if not _normalised(code):
        return False
    used = RecoveryCode.objects.filter(user=user, used_at__isnull=True, code_hash=_recovery_hash(code)).update(
        used_at=timezone.now()
    )
    return used == 1


def _recovery_code_new() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4))


def _recovery_codes_replace(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = [_recovery_code_new() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, code_hash=_recovery_hash(code)) for code in codes])
    return codes


def _active_memberships(user: User) -> list[Profile]:
    return list(
        Profile.objects.filter(
            user=user, is_active=True, removed_at__isnull=True, org__status__in=_SERVED
        ).select_related("org")
    )


def _audit_in_every_org(*, user: User, action: str, ip: str, profiles: list[Profile] | None = None) -> None:
    """Each org the user works in sees its members' 2FA changes in its own audit log."""
    address = ip if _is_ip(ip) else None  # client_ip says "unknown" when there is no address
    for profile in profiles if profiles is not None else _active_memberships(user):
        audit_record(org=profile.org, actor=user, action=action, target_type="user", target_id=user.pk, ip=address)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _code_invalid_field() -> ApiError:
    return field_error("code", "code_invalid", "The code is not correct, or it was already used.")


def _challenge_invalid() -> ApiError:
    return ApiError(
        "The sign-in challenge is invalid, expired or already used. Sign in again.",
        code="challenge_invalid",
        status_code=status.HTTP_401_UNAUTHORIZED,
    )
