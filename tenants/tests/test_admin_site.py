"""The Django admin for platform admins: org and user actions go through the platform services and are audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from common.models import Profile, User
from tenants.members.invitations import invitation_create
from tenants.models import AuditEvent, Invitation, Org, OrgStatus, PlatformAuditEvent
from tenants.testing.fixtures import PASSWORD, Cast, client_for

pytestmark = pytest.mark.django_db

ORGS = "/admin/tenants/org/"
USERS = "/admin/common/user/"
PROFILES = "/admin/common/profile/"
INVITATIONS = "/admin/tenants/invitation/"


def _signed_in(email: str) -> Client:
    client = Client()
    assert client.login(username=email, password=PASSWORD)
    return client


def _platform(cast: Cast) -> Client:
    return _signed_in(cast.platform_admin.email)


def _act(client: Client, url: str, action: str, *objects: Any) -> Any:
    return client.post(url, {"action": action, "_selected_action": [str(obj.pk) for obj in objects]}, follow=True)


def _messages(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _rows(response: Any) -> list[str]:
    """The rows of a changelist page, as their str(), in page order."""
    assert response.status_code == 200
    return [str(obj) for obj in response.context["cl"].result_list]


def _listed(response: Any, *texts: str) -> list[str]:
    """Which of `texts` appear on the page."""
    page = response.content.decode()
    return [text for text in texts if text in page]


# --- Orgs -------------------------------------------------------------------------------------------------------


def test_org_list_searches_and_filters_by_status(cast: Cast) -> None:
    Org.objects.filter(pk=cast.org_b.pk).update(status=OrgStatus.SUSPENDED)
    client = _platform(cast)

    searched = client.get(ORGS, {"q": "bravo"})
    suspended = client.get(ORGS, {"status__exact": "suspended"})

    assert _rows(searched) == _rows(suspended) == ["Bravo Realty (bravo)"]


def test_suspend_action_goes_through_the_service_and_locks_the_org_out(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _act(_platform(cast), ORGS, "suspend_orgs", cast.org_a)

    assert response.status_code == 200
    assert _messages(response) == ["1 organisation(s) suspended."]
    assert Org.objects.get(pk=cast.org_a.pk).status == OrgStatus.SUSPENDED
    assert Org.objects.get(pk=cast.org_b.pk).status == OrgStatus.ACTIVE
    event = PlatformAuditEvent.objects.get(action="org_suspended")
    assert (event.actor_user_id, event.org_id, event.details, event.ip) == (
        cast.platform_admin.pk,
        cast.org_a.pk,
        {"reason": "Suspended from the Django admin.", "by_platform": True},
        "127.0.0.1",
    )
    assert AuditEvent.objects.filter(org_id=cast.org_a.pk, action="org_suspended").count() == 1
    assert client_for(cast.member).get("/api/org/").json()["code"] == "org_suspended"


def test_suspend_action_reports_orgs_it_did_not_change(cast: Cast) -> None:
    Org.objects.filter(pk=cast.org_b.pk).update(status=OrgStatus.SUSPENDED)

    response = _act(_platform(cast), ORGS, "suspend_orgs", cast.org_a, cast.org_b)

    assert _messages(response) == [
        "1 organisation(s) suspended.",
        "Not changed: Bravo Realty (bravo): This organisation is already suspended.",
    ]
    assert PlatformAuditEvent.objects.filter(action="org_suspended").count() == 1


def test_reactivate_action_lets_a_suspended_org_back_in(cast: Cast, django_capture_on_commit_callbacks) -> None:
    Org.objects.filter(pk=cast.org_a.pk).update(status=OrgStatus.SUSPENDED)

    with django_capture_on_commit_callbacks(execute=True):
        response = _act(_platform(cast), ORGS, "reactivate_orgs", cast.org_a)

    assert _messages(response) == ["1 organisation(s) reactivated."]
    assert Org.objects.get(pk=cast.org_a.pk).status == OrgStatus.ACTIVE
    assert PlatformAuditEvent.objects.filter(action="org_reactivated", org_id=cast.org_a.pk).count() == 1
    assert client_for(cast.member).get("/api/org/").status_code == 200


def test_org_status_cannot_be_edited_around_the_services(cast: Cast) -> None:
    client = _platform(cast)

    edit = client.post(f"{ORGS}{cast.org_a.pk}/change/", {"name": "Alpha Realty", "status": "suspended"})
    add = client.get(f"{ORGS}add/")
    view = client.get(f"{ORGS}{cast.org_a.pk}/change/")

    assert (edit.status_code, add.status_code, view.status_code) == (403, 403, 200)
    assert Org.objects.get(pk=cast.org_a.pk).status == OrgStatus.ACTIVE
    assert PlatformAuditEvent.objects.count() == 0


def test_an_org_owner_cannot_run_admin_actions(cast: Cast) -> None:
    client = _signed_in(cast.owner.user.email)

    response = client.post(ORGS, {"action": "suspend_orgs", "_selected_action": [str(cast.org_a.pk)]})

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert Org.objects.get(pk=cast.org_a.pk).status == OrgStatus.ACTIVE


# --- Users ------------------------------------------------------------------------------------------------------


def test_user_list_searches_and_filters_by_active_platform_and_two_factor(cast: Cast) -> None:
    User.objects.filter(pk=cast.outsider.pk).update(two_factor_enabled_at=timezone.now(), is_active=False)
    client = _platform(cast)

    assert _rows(client.get(USERS, {"has_two_factor": "yes"})) == ["outsider@nowhere.test"]
    assert _rows(client.get(USERS, {"is_active__exact": "0"})) == ["outsider@nowhere.test"]
    assert _rows(client.get(USERS, {"is_platform_admin__exact": "1"})) == ["platform@keystone.test"]
    assert _rows(client.get(USERS, {"q": "owner@alpha"})) == ["owner@alpha.test"]
    assert "outsider@nowhere.test" not in _rows(client.get(USERS, {"has_two_factor": "no"}))


def test_user_page_shows_no_password_hash_or_two_factor_secret(cast: Cast) -> None:
    User.objects.filter(pk=cast.outsider.pk).update(two_factor_secret="JBSWY3DPEHPK3PXP")
    password_hash = User.objects.get(pk=cast.outsider.pk).password

    response = _platform(cast).get(f"{USERS}{cast.outsider.pk}/change/")

    assert response.status_code == 200
    assert _listed(response, "JBSWY3DPEHPK3PXP", password_hash, "outsider@nowhere.test") == [
        "outsider@nowhere.test"
    ]


def test_deactivate_action_signs_the_user_out_everywhere_and_is_audited(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    api = client_for(cast.member)
    version = cast.member.user.token_version

    with django_capture_on_commit_callbacks(execute=True):
        response = _act(_platform(cast), USERS, "deactivate_users", cast.member.user)

    user = User.objects.get(pk=cast.member.user.pk)
    assert _messages(response) == ["1 user(s) deactivated."]
    assert (user.is_active, user.token_version) == (False, version + 1)
    assert api.get("/api/org/").status_code == 401
    assert PlatformAuditEvent.objects.filter(action="user_deactivated", target_id=str(user.pk)).count() == 1


def test_deactivate_action_refuses_the_admin_themselves(cast: Cast) -> None:
    response = _act(_platform(cast), USERS, "deactivate_users", cast.platform_admin)

    assert _messages(response) == ["Not changed: platform@keystone.test: You cannot deactivate your own account."]
    assert User.objects.get(pk=cast.platform_admin.pk).is_active is True
    assert PlatformAuditEvent.objects.count() == 0


def test_granting_and_revoking_platform_admin_is_audited(cast: Cast) -> None:
    client = _platform(cast)

    granted = _act(client, USERS, "grant_platform_admin", cast.outsider)
    revoked = _act(client, USERS, "revoke_platform_admin", cast.outsider, cast.platform_admin)

    assert _messages(granted) == ["1 user(s) made platform admins."]
    assert _messages(revoked) == [
        "1 user(s) no longer platform admins.",
        "Not changed: platform@keystone.test: You cannot revoke your own platform access.",
    ]
    assert User.objects.get(pk=cast.outsider.pk).is_platform_admin is False
    assert User.objects.get(pk=cast.platform_admin.pk).is_platform_admin is True
    assert list(PlatformAuditEvent.objects.order_by("created_at").values_list("action", "target_id")) == [
        ("platform_admin_granted", str(cast.outsider.pk)),
        ("platform_admin_revoked", str(cast.outsider.pk)),
    ]


def test_user_flags_cannot_be_edited_around_the_services(cast: Cast) -> None:
    client = _platform(cast)

    response = client.post(
        f"{USERS}{cast.outsider.pk}/change/",
        {"email": "outsider@nowhere.test", "name": "Outsider", "is_active": "", "is_platform_admin": "on"},
    )

    assert response.status_code == 302
    user = User.objects.get(pk=cast.outsider.pk)
    assert (user.is_active, user.is_platform_admin) == (True, False)
    assert client.get(f"{USERS}add/").status_code == 403


# --- Memberships and invitations --------------------------------------------------------------------------------


def test_membership_list_searches_and_filters_and_is_read_only(cast: Cast) -> None:
    Profile.objects.filter(pk=cast.viewer.pk).update(removed_at=timezone.now(), is_active=False)
    client = _platform(cast)

    def members(**params: str) -> list[str]:
        return [f"{p.user.email} in {p.org.slug}" for p in client.get(PROFILES, params).context["cl"].result_list]

    assert members(removed="yes") == ["viewer@alpha.test in alpha"]
    assert members(q="bravo") == ["other_owner@bravo.test in bravo"]
    assert members(role__exact="member") == ["member@alpha.test in alpha"]
    edit = client.post(f"{PROFILES}{cast.member.pk}/change/", {"role": "owner"})
    delete = client.get(f"{PROFILES}{cast.member.pk}/delete/")
    assert (edit.status_code, delete.status_code) == (403, 403)
    assert Profile.objects.get(pk=cast.member.pk).role == "member"


def test_invitation_list_filters_by_status_and_never_shows_the_token_hash(cast: Cast) -> None:
    pending = invitation_create(org=cast.org_a, actor=cast.owner, email="pending@example.test", role="viewer")
    revoked = invitation_create(org=cast.org_a, actor=cast.owner, email="revoked@example.test", role="member")
    Invitation.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    token_hash = Invitation.objects.get(pk=pending.pk).token_hash
    client = _platform(cast)

    def emails(**params: str) -> list[str]:
        return [invitation.email for invitation in client.get(INVITATIONS, params).context["cl"].result_list]

    assert emails(status="pending") == ["pending@example.test"]
    assert emails(status="revoked") == ["revoked@example.test"]
    assert emails(q="alpha", role__exact="member") == ["revoked@example.test"]
    page = client.get(f"{INVITATIONS}{pending.pk}/change/")
    assert page.status_code == 200
    assert _listed(page, token_hash, "pending@example.test") == ["pending@example.test"]
    assert client.get(f"{INVITATIONS}{pending.pk}/delete/").status_code == 403


def test_the_admin_sign_in_asks_for_the_second_factor_and_refuses_an_admin_without_one(
    cast: Cast, settings: Any
) -> None:
    import pyotp
    from django.core.cache import cache

    from tenants.accounts import two_factor

    user = cast.platform_admin
    settings.PLATFORM_ADMIN_REQUIRES_2FA = True
    sign_in = {"username": user.email, "password": PASSWORD, "next": "/admin/"}

    without_two_factor = Client().post("/admin/login/", sign_in)
    secret = two_factor.two_factor_enrol(user=user).secret
    two_factor.two_factor_confirm(user=user, code=pyotp.TOTP(secret).now(), ip="127.0.0.1")
    cache.clear()
    page = Client().get("/admin/login/")
    no_code = Client().post("/admin/login/", sign_in)
    wrong_code = Client().post("/admin/login/", {**sign_in, "code": "000000"})
    right_code = Client().post("/admin/login/", {**sign_in, "code": pyotp.TOTP(secret).now()})

    assert without_two_factor.status_code == 200
    assert "enrol at /api/auth/2fa/enrol/ first" in without_two_factor.content.decode()
    assert 'name="code"' in page.content.decode()
    assert "Enter the code from your authenticator app." in no_code.content.decode()
    assert "This code is not valid." in wrong_code.content.decode()
    assert (right_code.status_code, right_code["Location"]) == (302, "/admin/")
