"""The org and platform lists cost the same number of queries for one row as for fifty."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from django.utils import timezone

from common.models import Profile, Role, User
from tenants.models import ApiKey, Invitation, PlatformAuditEvent
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.queries import assert_flat_query_count

pytestmark = pytest.mark.django_db

MORE = 49


def _members(cast: Cast, count: int) -> None:
    for n in range(count):
        user = User.objects.create_user(
            f"agent-{secrets.token_hex(4)}@alpha.test", secrets.token_urlsafe(12), name=f"Agent {n}"
        )
        Profile.objects.create(user=user, org=cast.org_a, role=Role.MEMBER)


def _invitations(cast: Cast, count: int) -> None:
    expires = timezone.now() + timedelta(days=7)
    Invitation.objects.bulk_create(
        Invitation(org=cast.org_a, email=f"invitee{n}@example.test", role=Role.MEMBER, invited_by=cast.admin,
                   token_hash=secrets.token_hex(32), expires_at=expires)
        for n in range(count)
    )  # fmt: skip


def _api_keys(cast: Cast, count: int) -> None:
    ApiKey.objects.bulk_create(
        ApiKey(org=cast.org_a, name=f"Key {n}", role=Role.VIEWER, prefix=secrets.token_hex(6),
               key_hash=secrets.token_hex(32), created_by=cast.admin)
        for n in range(count)
    )  # fmt: skip


def _platform_events(cast: Cast, count: int) -> None:
    PlatformAuditEvent.objects.bulk_create(
        PlatformAuditEvent(actor_user_id=cast.platform_admin.pk, action="org_suspended", org_id=cast.org_b.pk)
        for _ in range(count)
    )


def _users(cast: Cast, count: int) -> None:
    for _ in range(count):
        User.objects.create_user(f"someone-{secrets.token_hex(4)}@example.test", secrets.token_urlsafe(12))


# The member list starts with the cast's five members; the others start with one row.
@pytest.mark.parametrize(
    ("path", "grow"),
    [("/api/org/members/", _members), ("/api/org/invitations/", _invitations), ("/api/org/api-keys/", _api_keys)],
)
def test_org_lists_cost_the_same_queries_for_one_row_and_for_fifty(cast: Cast, path: str, grow) -> None:
    if grow is not _members:
        grow(cast, 1)
    client = client_for(cast.admin)

    queries = assert_flat_query_count(lambda: client.get(path, {"page_size": 100}), lambda: grow(cast, MORE))

    assert queries <= 4


@pytest.mark.parametrize(
    ("path", "grow"), [("/api/platform/users/", _users), ("/api/platform/audit/", _platform_events)]
)
def test_platform_lists_cost_the_same_queries_for_one_row_and_for_fifty(cast: Cast, path: str, grow) -> None:
    grow(cast, 1)
    client = client_for(cast.platform_admin)

    queries = assert_flat_query_count(lambda: client.get(path, {"page_size": 100}), lambda: grow(cast, MORE))

    assert queries <= 4
