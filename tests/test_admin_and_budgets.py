"""The Django admin is for platform admins only; list-shaped responses cost the same queries at any size."""

from __future__ import annotations

import pytest
from django.test import Client

from common.models import Profile, Role
from tenants.orgs.provisioning import org_create
from tenants.testing.fixtures import PASSWORD, Cast, client_for
from tenants.testing.queries import assert_flat_query_count

pytestmark = pytest.mark.django_db


def _admin_client(email: str) -> Client:
    client = Client()
    assert client.login(username=email, password=PASSWORD)
    return client


def test_platform_admin_can_use_the_django_admin(cast: Cast) -> None:
    client = _admin_client(cast.platform_admin.email)

    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/tenants/org/").status_code == 200
    assert client.get("/admin/common/user/").status_code == 200


def test_org_owner_is_not_let_into_the_django_admin(cast: Cast) -> None:
    client = _admin_client(cast.owner.user.email)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_admin_cannot_hard_delete_users_profiles_or_orgs(cast: Cast) -> None:
    client = _admin_client(cast.platform_admin.email)

    assert client.get(f"/admin/common/user/{cast.outsider.pk}/delete/").status_code == 403
    assert client.get(f"/admin/common/profile/{cast.member.pk}/delete/").status_code == 403
    assert client.get(f"/admin/tenants/org/{cast.org_b.pk}/delete/").status_code == 403


def test_me_costs_the_same_queries_for_one_membership_and_many(cast: Cast) -> None:
    client = client_for(cast.outsider)
    Profile.objects.create(user=cast.outsider, org=cast.org_b, role=Role.VIEWER)

    def join_more_orgs() -> None:
        for n in range(5):
            Profile.objects.create(user=cast.outsider, org=org_create(name=f"Extra {n}"), role=Role.MEMBER)

    queries = assert_flat_query_count(lambda: client.get("/api/auth/me/"), join_more_orgs)

    assert queries <= 3
    assert len(client.get("/api/auth/me/").json()["memberships"]) == 6
