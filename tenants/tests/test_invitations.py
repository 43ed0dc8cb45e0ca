"""Invitations: create, list, resend, revoke, and accepting as an existing account or as a new person."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from common.models import Profile, Role, User
from tenants.models import AuditEvent, Invitation
from tenants.testing.fixtures import PASSWORD, Cast, client_for

pytestmark = pytest.mark.django_db

INVITATIONS = "/api/org/invitations/"


def _invite(cast: Cast, email: str = "newbie@example.test", role: str = "member", who=None):
    return client_for(who or cast.admin).post(INVITATIONS, {"email": email, "role": role}, format="json")


def _token_from_last_mail() -> str:
    match = re.search(r"token=([A-Za-z0-9_\-]+)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


@pytest.fixture
def invited(cast: Cast, run_tasks_inline, django_capture_on_commit_callbacks):
    """Invite newbie@example.test as a member; return (invitation id, token from the email)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(cast)
    assert response.status_code == 201, response.json()
    return response.json()["id"], _token_from_last_mail()


def test_admin_invites_and_an_email_with_the_link_goes_out(cast: Cast, invited) -> None:
    invitation_id, token = invited

    assert mail.outbox[-1].to == ["newbie@example.test"]
    assert "Alpha Realty" in mail.outbox[-1].subject + mail.outbox[-1].body
    invitation = Invitation.objects.get(pk=invitation_id)
    assert invitation.token_hash != token  # stored hashed
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    assert AuditEvent.objects.filter(org_id=cast.org_a.pk, action="member_invited").count() == 1
    listed = client_for(cast.admin).get(INVITATIONS).json()["results"]
    assert [(i["email"], i["role"], i["status"]) for i in listed] == [("newbie@example.test", "member", "pending")]


def test_nobody_can_invite_above_their_own_role(cast: Cast) -> None:
    response = _invite(cast, role="owner")

    assert response.status_code == 403
    assert response.json()["code"] == "role_not_allowed"
    assert not Invitation.objects.exists()


def test_member_and_viewer_cannot_invite(cast: Cast) -> None:
    for who in (cast.manager, cast.member, cast.viewer):
        assert _invite(cast, who=who).status_code == 403
    assert not Invitation.objects.exists()


def test_inviting_an_existing_member_or_twice_is_409(cast: Cast) -> None:
    member = _invite(cast, email="MEMBER@alpha.test")
    first = _invite(cast)
    second = _invite(cast)

    assert member.status_code == 409 and member.json()["code"] == "already_member"
    assert first.status_code == 201
    assert second.status_code == 409 and second.json()["code"] == "invitation_pending"


def test_new_person_accepts_with_a_password_and_is_signed_in(cast: Cast, invited) -> None:
    _, token = invited
    preview = client_for(None).post("/api/invitations/preview/", {"token": token}, format="json")
    assert preview.json() == {
        "org_name": "Alpha Realty",
        "email": "newbie@example.test",
        "role": "member",
        "has_account": False,
        "expires_at": preview.json()["expires_at"],
    }

    response = client_for(None).post(
        "/api/invitations/accept-new/",
        {"token": token, "name": "Newbie", "password": "A-Sturdy-Passphrase-1"},
        format="json",
    )

    assert response.status_code == 201
    user = User.objects.get(email="newbie@example.test")
    assert user.email_verified and user.check_password("A-Sturdy-Passphrase-1")
    assert Profile.objects.get(user=user, org=cast.org_a).role == Role.MEMBER
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['tokens']['access']}", HTTP_ORG="alpha")
    assert client.get("/api/org/").json()["role"] == "member"
    assert AuditEvent.objects.filter(org_id=cast.org_a.pk, action="member_joined").count() == 1


def test_a_used_invitation_cannot_be_used_again(cast: Cast, invited) -> None:
    _, token = invited
    body = {"token": token, "name": "N", "password": "A-Sturdy-Passphrase-1"}
    assert client_for(None).post("/api/invitations/accept-new/", body, format="json").status_code == 201

    again = client_for(None).post("/api/invitations/accept-new/", body, format="json")

    assert again.status_code == 410
    assert again.json() == {"code": "invitation_used", "detail": "This invitation was already used.", "fields": {}}


def test_expired_and_revoked_and_unknown_tokens_get_clear_codes(cast: Cast, invited) -> None:
    invitation_id, token = invited
    body = {"token": token, "name": "N", "password": "A-Sturdy-Passphrase-1"}

    Invitation.objects.filter(pk=invitation_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = client_for(None).post("/api/invitations/accept-new/", body, format="json")
    Invitation.objects.filter(pk=invitation_id).update(expires_at=timezone.now() + timedelta(days=1))
    assert client_for(cast.admin).post(f"{INVITATIONS}{invitation_id}/revoke/").status_code == 200
    revoked = client_for(None).post("/api/invitations/accept-new/", body, format="json")
    unknown = client_for(None).post("/api/invitations/accept-new/", {**body, "token": "nope"}, format="json")

    assert (expired.status_code, expired.json()["code"]) == (410, "invitation_expired")
    assert (revoked.status_code, revoked.json()["code"]) == (410, "invitation_revoked")
    assert (unknown.status_code, unknown.json()["code"]) == (400, "invitation_invalid")
    assert not User.objects.filter(email="newbie@example.test").exists()


def test_resend_rotates_the_token(cast: Cast, invited, django_capture_on_commit_callbacks) -> None:
    invitation_id, old_token = invited

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast.admin).post(f"{INVITATIONS}{invitation_id}/resend/")
    new_token = _token_from_last_mail()

    assert response.status_code == 200
    assert new_token != old_token
    stale = client_for(None).post("/api/invitations/preview/", {"token": old_token}, format="json")
    assert stale.json()["code"] == "invitation_invalid"
    assert (
        client_for(None).post("/api/invitations/preview/", {"token": new_token}, format="json").status_code == 200
    )


def test_existing_account_must_sign_in_to_accept(
    cast: Cast, run_tasks_inline, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _invite(cast, email="outsider@nowhere.test", role="viewer")
    token = _token_from_last_mail()

    anonymous_new = client_for(None).post(
        "/api/invitations/accept-new/",
        {"token": token, "name": "X", "password": "A-Sturdy-Passphrase-1"},
        format="json",
    )
    anonymous = client_for(None).post("/api/invitations/accept/", {"token": token}, format="json")
    wrong_account = client_for(cast.member.user).post("/api/invitations/accept/", {"token": token}, format="json")

    assert (anonymous_new.status_code, anonymous_new.json()["code"]) == (409, "account_exists")
    assert anonymous.status_code == 401
    assert (wrong_account.status_code, wrong_account.json()["code"]) == (403, "invitation_email_mismatch")
    assert not Profile.objects.filter(user=cast.outsider, org=cast.org_a).exists()
    assert User.objects.get(pk=cast.outsider.pk).check_password(PASSWORD)

    accepted = client_for(cast.outsider).post("/api/invitations/accept/", {"token": token}, format="json")

    assert accepted.status_code == 200
    assert accepted.json()["role"] == "viewer"
    assert Profile.objects.get(user=cast.outsider, org=cast.org_a).role == Role.VIEWER


def test_a_removed_member_can_be_invited_back(
    cast: Cast, run_tasks_inline, django_capture_on_commit_callbacks
) -> None:
    client_for(cast.admin).post(f"/api/org/members/{cast.viewer.pk}/remove/", {}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        assert _invite(cast, email="viewer@alpha.test", role="member").status_code == 201
    token = _token_from_last_mail()

    response = client_for(cast.viewer.user).post("/api/invitations/accept/", {"token": token}, format="json")

    assert response.status_code == 200
    profile = Profile.objects.get(pk=cast.viewer.pk)
    assert (profile.role, profile.is_active, profile.removed_at) == (Role.MEMBER, True, None)


def test_invitations_of_another_org_are_404(cast: Cast, invited) -> None:
    invitation_id, _ = invited

    response = client_for(cast.other_owner).post(f"{INVITATIONS}{invitation_id}/revoke/")

    assert response.status_code == 404
    assert Invitation.objects.get(pk=invitation_id).revoked_at is None


def test_the_status_filter_lists_each_kind_of_invitation_and_refuses_unknown_ones(cast: Cast) -> None:
    for email in ("pending@example.test", "accepted@example.test", "revoked@example.test", "expired@example.test"):
        _invite(cast, email=email)
    now = timezone.now()
    Invitation.objects.filter(email="accepted@example.test").update(accepted_at=now)
    Invitation.objects.filter(email="revoked@example.test").update(revoked_at=now)
    Invitation.objects.filter(email="expired@example.test").update(expires_at=now - timedelta(days=1))
    client = client_for(cast.owner)

    def emails(**params: str) -> list[str]:
        return sorted(row["email"] for row in client.get(INVITATIONS, params).json()["results"])

    assert emails() == emails(status="pending") == ["pending@example.test"]
    for status in ("accepted", "revoked", "expired"):
        assert emails(status=status) == [f"{status}@example.test"], status
    assert len(emails(status="all")) == 4
    refused = client.get(INVITATIONS, {"status": "lost"})
    assert (refused.status_code, refused.json()["fields"]["status"][0]["code"]) == (400, "invalid_choice")
