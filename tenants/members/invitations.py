"""Inviting people into an org and accepting invitations. Tokens are shown once (in the email), stored hashed.

Accepting with an existing account needs that account to be signed in: an account is never attached to an org
without its owner's consent. A new person accepts by choosing a password, which creates the account.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status

from common.errors import ApiError, Conflict, NotFound
from common.models import Profile, Role, User
from common.tokens import issue_token_pair
from tenants.accounts.passwords import password_errors
from tenants.audit import audit_record
from tenants.mail import email_send
from tenants.models import Invitation, Org, OrgStatus

INVITATION_DAYS = 7


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _link(token: str) -> str:
    return f"/accept-invite?token={token}"


def _send(invitation: Invitation, token: str, inviter: Profile) -> None:
    email_send(
        to=invitation.email,
        template="invitation",
        context={
            "org_name": invitation.org.name,
            "inviter_name": inviter.user.name or inviter.user.email,
            "role": invitation.role,
            "token": token,
            "accept_path": _link(token),
            "expires_at": invitation.expires_at.date().isoformat(),
        },
        org_id=invitation.org_id,
    )


def invitations_of(org: Org):  # type: ignore[no-untyped-def]
    return Invitation.objects.filter(org=org).select_related("invited_by__user").order_by("-created_at")


INVITATION_STATUSES = ("pending", "accepted", "revoked", "expired", "all")


def invitations_in_status(org: Org, status: str):  # type: ignore[no-untyped-def]
    """The org's invitations in one status (as the list shows it), or all of them."""
    now = timezone.now()
    queryset = invitations_of(org)
    open_: dict[str, Any] = {"accepted_at__isnull": True, "revoked_at__isnull": True}
    by_status: dict[str, dict[str, Any]] = {
        "pending": {**open_, "expires_at__gt": now},
        "accepted": {"accepted_at__isnull": False},
        "revoked": {"accepted_at__isnull": True, "revoked_at__isnull": False},
        "expired": {**open_, "expires_at__lte": now},
        "all": {},
    }
    return queryset.filter(**by_status[status])


def _invitation_for(org: Org, invitation_id: Any, *, for_update: bool = False) -> Invitation:
    queryset = Invitation.objects.filter(org=org, pk=invitation_id).select_related("org")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    invitation = queryset.first()
    if invitation is None:
        raise NotFound()
    return invitation


@transaction.atomic
def invitation_create(*, org: Org, actor: Profile, email: str, role: str, ip: str | None = None) -> Invitation:
    email = User.objects.normalize_email(email.strip()).lower()
    if Role(role).rank > Role(actor.role).rank:
        raise ApiError(
            "You cannot invite someone above your own role.",
            code="role_not_allowed",
            status_code=status.HTTP_403_FORBIDDEN,
            fields={"role": [{"code": "role_not_allowed", "detail": "Above your own role."}]},
        )
    member = Profile.objects.filter(org=org, user__email__iexact=email, removed_at__isnull=True).first()
    if member is not None:
        raise Conflict("This person is already a member.", code="already_member")
    now = timezone.now()
    if Invitation.objects.filter(
        org=org, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).exists():
        raise Conflict("A pending invitation for this email exists; resend it instead.", code="invitation_pending")
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        org=org,
        created_at=now,
        last_sent_at=now,
        email=email,
        role=role,
        token_hash=_hash(token),
        invited_by=actor,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    audit_record(
        org=org, actor=actor, action="member_invited", target_type="invitation", target_id=invitation.pk,
        details={"email": email, "role": role}, ip=ip,
    )  # fmt: skip
    _send(invitation, token, actor)
    return invitation


@transaction.atomic
def invitation_resend(*, org: Org, actor: Profile, invitation_id: Any, ip: str | None = None) -> Invitation:
    """A fresh token (the old link dies) and a fresh 7 days."""
    invitation = _invitation_for(org, invitation_id, for_update=True)
    if invitation.accepted_at is not None:
        raise ApiError("This invitation was already accepted.", code="invitation_used", status_code=410)
    if invitation.revoked_at is not None:
        raise ApiError("This invitation was revoked.", code="invitation_revoked", status_code=410)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation.token_hash = _hash(token)
    invitation.last_sent_at = now
    invitation.expires_at = now + timedelta(days=INVITATION_DAYS)
    invitation.save(update_fields=["token_hash", "last_sent_at", "expires_at"])
    audit_record(
        org=org, actor=actor, action="invitation_resent", target_type="invitation", target_id=invitation.pk, ip=ip
    )
    _send(invitation, token, actor)
    return invitation


@transaction.atomic
def invitation_revoke(*, org: Org, actor: Profile, invitation_id: Any, ip: str | None = None) -> Invitation:
    invitation = _invitation_for(org, invitation_id, for_update=True)
    if invitation.accepted_at is not None:
        raise ApiError("This invitation was already accepted.", code="invitation_used", status_code=410)
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(
            org=org,
            actor=actor,
            action="invitation_revoked",
            target_type="invitation",
            target_id=invitation.pk,
            ip=ip,
        )
    return invitation


def _live_invitation(token: str, *, for_update: bool) -> Invitation:
    queryset = Invitation.objects.filter(token_hash=_hash(token or "")).select_related("org", "invited_by__user")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    invitation = queryset.first()
    if invitation is None or invitation.org.status not in (OrgStatus.ACTIVE, OrgStatus.SUSPENDED):
        raise ApiError("This invitation link is not valid.", code="invitation_invalid")
    if invitation.accepted_at is not None:
        raise ApiError("This invitation was already used.", code="invitation_used", status_code=410)
    if invitation.revoked_at is not None:
        raise ApiError("This invitation was revoked.", code="invitation_revoked", status_code=410)
    if invitation.expires_at <= timezone.now():
        raise ApiError(
            "This invitation has expired. Ask for a new one.", code="invitation_expired", status_code=410
        )
    return invitation


def invitation_preview(*, token: str) -> tuple[Invitation, bool]:
    """What the accept page shows: the org, the role, and whether the email already has an account."""
    invitation = _live_invitation(token, for_update=False)
    return invitation, User.objects.filter(email__iexact=invitation.email).exists()


def _join(invitation: Invitation, user: User, ip: str | None) -> Profile:
    profile = Profile.objects.select_for_update().filter(org=invitation.org, user=user).first()
    if profile is not None and profile.removed_at is None and profile.is_active:
        raise Conflict("You are already a member of this organisation.", code="already_member")
    if profile is None:
        profile = Profile.objects.create(org=invitation.org, user=user, role=invitation.role)
    else:  # a former or deactivated member comes back with the invited role
        profile.role, profile.is_active, profile.removed_at = invitation.role, True, None
        profile.joined_at = timezone.now()
        profile.save(update_fields=["role", "is_active", "removed_at", "joined_at", "updated_at"])
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        org=invitation.org, actor=profile, action="member_joined", target_type="profile", target_id=profile.pk,
        details={"invitation": str(invitation.pk), "role": invitation.role}, ip=ip,
    )  # fmt: skip
    return profile


@transaction.atomic
def invitation_accept(*, token: str, user: User, ip: str | None = None) -> Profile:
    """For a signed-in account: the invited email must be this account's."""
    invitation = _live_invitation(token, for_update=True)
    if invitation.email.lower() != user.email.lower():
        raise ApiError(
            "This invitation was sent to another email address.",
            code="invitation_email_mismatch",
            status_code=status.HTTP_403_FORBIDDEN,
        )
    return _join(invitation, user, ip)


@dataclass(frozen=True)
class NewMember:
    user: User
    profile: Profile
    tokens: dict[str, str]


@transaction.atomic
def invitation_accept_new(*, token: str, name: str, password: str, ip: str | None = None) -> NewMember:
    """For a new person: the account is created with the password they choose, already verified (the link
    reached their inbox)."""
    invitation = _live_invitation(token, for_update=True)
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise Conflict("An account with this email exists: sign in, then accept.", code="account_exists")
    user = User(email=invitation.email, name=name.strip(), email_verified_at=timezone.now())
    errors = password_errors(password, user)
    if errors:
        raise ApiError("Choose a stronger password.", code="password_invalid", fields={"password": errors})
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise Conflict("An account with this email exists: sign in, then accept.", code="account_exists") from None
    profile = _join(invitation, user, ip)
    return NewMember(user=user, profile=profile, tokens=issue_token_pair(user))
