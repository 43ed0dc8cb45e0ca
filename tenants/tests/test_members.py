"""Members: listing, roles, deactivation, removal, reassignment, leaving, and the last-owner rule."""

from __future__ import annotations

import pytest
from django.core import mail

from common.models import Profile, Role
from tenants.models import AuditEvent
from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db

MEMBERS = "/api/org/members/"


def _member_url(profile: Profile, action: str = "") -> str:
    return f"{MEMBERS}{profile.pk}/{action + '/' if action else ''}"


def _refreshed(profile: Profile) -> Profile:
    return Profile.objects.get(pk=profile.pk)


def test_members_list_shows_the_team_to_every_role(cast: Cast) -> None:
    response = client_for(cast.viewer).get(MEMBERS)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5
    assert [(m["email"], m["role"]) for m in body["results"]] == [
        ("admin@alpha.test", "admin"),
        ("manager@alpha.test", "manager"),
        ("member@alpha.test", "member"),
        ("owner@alpha.test", "owner"),
        ("viewer@alpha.test", "viewer"),
    ]


def test_members_list_filters_by_search_role_and_active(cast: Cast) -> None:
    cast.member.is_active = False
    cast.member.save()
    client = client_for(cast.admin)

    assert [m["email"] for m in client.get(MEMBERS, {"search": "MAN"}).json()["results"]] == ["manager@alpha.test"]
    assert [m["email"] for m in client.get(MEMBERS, {"role": "viewer"}).json()["results"]] == ["viewer@alpha.test"]
    assert [m["email"] for m in client.get(MEMBERS, {"is_active": "false"}).json()["results"]] == [
        "member@alpha.test"
    ]


def test_members_list_never_shows_another_orgs_members(cast: Cast) -> None:
    emails = [m["email"] for m in client_for(cast.other_owner).get(MEMBERS).json()["results"]]

    assert emails == ["other_owner@bravo.test"]


def test_member_detail_of_another_org_is_404(cast: Cast) -> None:
    response = client_for(cast.owner).get(_member_url(cast.other_owner))

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found.", "fields": {}}


def test_admin_changes_a_role_and_the_member_is_told(
    cast: Cast, run_tasks_inline, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast.admin).patch(_member_url(cast.viewer), {"role": "manager"}, format="json")

    assert response.status_code == 200
    assert response.json()["role"] == "manager"
    assert _refreshed(cast.viewer).role == Role.MANAGER
    assert [m.to for m in mail.outbox] == [["viewer@alpha.test"]]
    event = AuditEvent.objects.get(org_id=cast.org_a.pk, action="member_role_changed")
    assert (event.actor_email, event.target_id, event.details) == (
        "admin@alpha.test",
        str(cast.viewer.pk),
        {"role": ["viewer", "manager"]},
    )


def test_role_change_takes_effect_on_the_next_request(cast: Cast, django_capture_on_commit_callbacks) -> None:
    viewer = client_for(cast.viewer)
    assert viewer.patch("/api/org/", {"name": "X"}, format="json").status_code == 403

    with django_capture_on_commit_callbacks(execute=True):
        client_for(cast.owner).patch(_member_url(cast.viewer), {"role": "admin"}, format="json")

    assert viewer.patch("/api/org/", {"name": "Alpha Homes"}, format="json").status_code == 200


def test_admin_cannot_grant_owner_or_change_an_owner(cast: Cast) -> None:
    admin = client_for(cast.admin)

    grant = admin.patch(_member_url(cast.member), {"role": "owner"}, format="json")
    demote = admin.patch(_member_url(cast.owner), {"role": "member"}, format="json")

    assert grant.status_code == demote.status_code == 403
    assert grant.json()["detail"] == "Only an owner can make someone an owner."
    assert demote.json()["detail"] == "Only an owner can change another owner."
    assert _refreshed(cast.member).role == Role.MEMBER
    assert _refreshed(cast.owner).role == Role.OWNER


def test_manager_member_and_viewer_cannot_change_roles(cast: Cast) -> None:
    for who in (cast.manager, cast.member, cast.viewer):
        response = client_for(who).patch(_member_url(cast.viewer), {"role": "admin"}, format="json")
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
    assert _refreshed(cast.viewer).role == Role.VIEWER


def test_owner_cannot_demote_the_last_owner(cast: Cast) -> None:
    response = client_for(cast.owner).patch(_member_url(cast.owner), {"role": "admin"}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "code": "last_owner",
        "detail": "An organisation must keep at least one active owner.",
        "fields": {},
    }
    assert _refreshed(cast.owner).role == Role.OWNER


def test_an_owner_can_step_down_when_another_owner_exists(cast: Cast) -> None:
    client_for(cast.owner).patch(_member_url(cast.admin), {"role": "owner"}, format="json")

    response = client_for(cast.owner).patch(_member_url(cast.owner), {"role": "admin"}, format="json")

    assert response.status_code == 200
    assert _refreshed(cast.owner).role == Role.ADMIN


def test_last_owner_cannot_be_deactivated_or_removed_or_leave(cast: Cast) -> None:
    owner = client_for(cast.owner)

    deactivate = owner.post(_member_url(cast.owner, "deactivate"))
    remove = owner.post(_member_url(cast.owner, "remove"), {}, format="json")
    leave = owner.post("/api/org/leave/")

    assert [r.status_code for r in (deactivate, remove, leave)] == [409, 409, 409]
    assert {r.json()["code"] for r in (deactivate, remove, leave)} == {"last_owner"}
    owner_row = _refreshed(cast.owner)
    assert (owner_row.is_active, owner_row.removed_at, owner_row.role) == (True, None, Role.OWNER)


def test_deactivate_and_reactivate_a_member(cast: Cast, django_capture_on_commit_callbacks) -> None:
    member = client_for(cast.member)
    assert member.get("/api/org/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast.admin).post(_member_url(cast.member, "deactivate"))
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert member.get("/api/org/").json()["code"] == "membership_inactive"

    with django_capture_on_commit_callbacks(execute=True):
        client_for(cast.admin).post(_member_url(cast.member, "reactivate"))
    assert member.get("/api/org/").status_code == 200


def test_admin_cannot_deactivate_an_owner(cast: Cast) -> None:
    response = client_for(cast.admin).post(_member_url(cast.owner, "deactivate"))

    assert response.status_code == 403
    assert _refreshed(cast.owner).is_active is True


def test_remove_is_soft_and_the_removed_member_gets_404(
    cast: Cast, run_tasks_inline, django_capture_on_commit_callbacks
) -> None:
    member = client_for(cast.member)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast.admin).post(_member_url(cast.member, "remove"), {}, format="json")

    assert response.status_code == 200
    row = _refreshed(cast.member)
    assert row.removed_at is not None and row.is_active is False
    assert member.get("/api/org/").json()["code"] == "org_not_found"
    assert [m["email"] for m in client_for(cast.admin).get(MEMBERS).json()["results"]].count(
        "member@alpha.test"
    ) == 0
    removed = client_for(cast.admin).get(MEMBERS, {"removed": "true"}).json()["results"]
    assert [m["is_removed"] for m in removed if m["email"] == "member@alpha.test"] == [True]
    assert [m.to for m in mail.outbox] == [["member@alpha.test"]]


def test_remove_with_reassignment_checks_the_target_is_an_active_member_of_the_org(cast: Cast) -> None:
    admin = client_for(cast.admin)

    foreign = admin.post(
        _member_url(cast.member, "remove"), {"reassign_to": str(cast.other_owner.pk)}, format="json"
    )
    to_self = admin.post(_member_url(cast.member, "remove"), {"reassign_to": str(cast.member.pk)}, format="json")
    ok = admin.post(_member_url(cast.member, "remove"), {"reassign_to": str(cast.manager.pk)}, format="json")

    assert foreign.status_code == 404
    assert to_self.status_code == 400
    assert to_self.json()["fields"] == {"reassign_to": [{"code": "invalid", "detail": "Choose another member."}]}
    assert ok.status_code == 200
    assert ok.json() == {"reassigned": ok.json()["reassigned"]}


def test_reassign_records_runs_every_installed_modules_reassigner(cast: Cast) -> None:
    from common import registry

    response = client_for(cast.admin).post(
        _member_url(cast.member, "reassign"), {"reassign_to": str(cast.manager.pk)}, format="json"
    )

    assert response.status_code == 200
    assert set(response.json()["reassigned"]) == set(registry.reassigners()) != set()


def test_member_can_leave(cast: Cast) -> None:
    response = client_for(cast.viewer).post("/api/org/leave/")

    assert response.status_code == 204
    assert _refreshed(cast.viewer).removed_at is not None
    assert AuditEvent.objects.filter(org_id=cast.org_a.pk, action="member_left").count() == 1


def test_two_owners_demoting_each_other_never_leave_the_org_without_an_owner(cast: Cast) -> None:
    """The second request still carries its pre-change role (as a request racing the first would); the org
    row lock and the owner count refuse it anyway."""
    client_for(cast.owner).patch(_member_url(cast.admin), {"role": "owner"}, format="json")
    first_owner, second_owner = client_for(cast.admin), client_for(cast.owner)
    assert first_owner.get("/api/org/").json()["role"] == second_owner.get("/api/org/").json()["role"] == "owner"

    first = first_owner.patch(_member_url(cast.owner), {"role": "admin"}, format="json")
    second = second_owner.patch(_member_url(cast.admin), {"role": "admin"}, format="json")

    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json()["code"] == "last_owner"
    assert Profile.objects.filter(org=cast.org_a, role=Role.OWNER, is_active=True).count() == 1


def test_member_filters_take_known_values_only(cast: Cast) -> None:
    client = client_for(cast.owner)

    viewers = client.get(MEMBERS, {"role": "viewer"}).json()["results"]

    assert [row["role"] for row in viewers] == ["viewer"]
    for params in ({"role": "emperor"}, {"is_active": "maybe"}):
        refused = client.get(MEMBERS, params)
        assert (refused.status_code, refused.json()["code"]) == (400, "invalid_choice"), params
