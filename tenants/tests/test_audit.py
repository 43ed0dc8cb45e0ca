"""The org audit log: every member, key, settings and 2FA-requirement change, with who, what, target and IP."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from common.models import User
from tenants.models import AuditEvent
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.queries import assert_flat_query_count

pytestmark = pytest.mark.django_db

AUDIT = "/api/org/audit/"
IP = "203.0.113.9"


def _from_ip(client: APIClient) -> APIClient:
    client.defaults["REMOTE_ADDR"] = IP
    return client


def _rows(body: dict) -> list[tuple[str, str, str, str, str | None]]:
    return [
        (row["action"], row["actor_email"], row["target_type"], row["target_id"], row["ip"])
        for row in body["results"]
    ]


def test_the_log_records_who_did_what_to_whom_and_from_where_newest_first(cast: Cast) -> None:
    User.objects.filter(pk=cast.owner.user_id).update(two_factor_enabled_at=timezone.now())
    admin = _from_ip(client_for(cast.admin))
    owner = _from_ip(client_for(cast.owner))
    invited = admin.post("/api/org/invitations/", {"email": "sam@alpha.test", "role": "member"}, format="json")
    admin.patch(f"/api/org/members/{cast.viewer.pk}/", {"role": "member"}, format="json")
    admin.post(f"/api/org/members/{cast.viewer.pk}/deactivate/", {}, format="json")
    admin.post(f"/api/org/members/{cast.viewer.pk}/remove/", {}, format="json")
    key = admin.post("/api/org/api-keys/", {"name": "Zapier", "role": "viewer"}, format="json").json()
    admin.post(f"/api/org/api-keys/{key['id']}/revoke/", {}, format="json")
    owner.patch("/api/org/", {"currency": "GBP", "requires_two_factor": True}, format="json")

    response = admin.get(AUDIT)

    assert response.status_code == 200
    viewer, invitation = str(cast.viewer.pk), invited.json()["id"]
    assert _rows(response.json())[:8] == [
        ("two_factor_requirement_enabled", "owner@alpha.test", "", "", IP),
        ("settings_changed", "owner@alpha.test", "", "", IP),
        ("api_key_revoked", "admin@alpha.test", "api_key", key["id"], IP),
        ("api_key_created", "admin@alpha.test", "api_key", key["id"], IP),
        ("member_removed", "admin@alpha.test", "profile", viewer, IP),
        ("member_deactivated", "admin@alpha.test", "profile", viewer, IP),
        ("member_role_changed", "admin@alpha.test", "profile", viewer, IP),
        ("member_invited", "admin@alpha.test", "invitation", invitation, IP),
    ]
    settings_row = response.json()["results"][1]
    assert settings_row["details"] == {"changes": {"currency": [cast.org_a.currency, "GBP"]}}


def test_filters_by_action_and_actor_and_never_shows_another_orgs_events(cast: Cast) -> None:
    admin = client_for(cast.admin)
    admin.post("/api/org/invitations/", {"email": "sam@alpha.test", "role": "member"}, format="json")
    client_for(cast.owner).patch("/api/org/", {"currency": "EUR"}, format="json")
    client_for(cast.other_owner).patch("/api/org/", {"currency": "CHF"}, format="json")

    by_action = admin.get(AUDIT, {"action": "settings_changed"}).json()
    by_actor = admin.get(AUDIT, {"actor": str(cast.admin.user_id)}).json()
    theirs = client_for(cast.other_owner).get(AUDIT).json()

    assert [row["actor_email"] for row in by_action["results"]] == ["owner@alpha.test"]
    assert {row["action"] for row in by_actor["results"]} == {"member_invited"}
    assert {row["actor_email"] for row in theirs["results"]} == {"other_owner@bravo.test"}
    assert AuditEvent.objects.filter(org_id=cast.org_a.pk, actor_email="other_owner@bravo.test").count() == 0


@pytest.mark.parametrize("since", ["yesterday", "2026-13-01T00:00:00Z", "0001-01-01T00:00:00+20:00"])
def test_a_malformed_or_unstorable_moment_is_a_field_error(cast: Cast, since: str) -> None:
    response = client_for(cast.admin).get(AUDIT, {"since": since})

    detail = "Use an ISO-8601 date and time."
    assert (response.status_code, response.json()) == (
        400,
        {"code": "invalid", "detail": detail, "fields": {"since": [{"code": "invalid", "detail": detail}]}},
    )


def test_an_unusual_but_legal_offset_is_read_as_the_same_instant(cast: Cast) -> None:
    response = client_for(cast.admin).get(AUDIT, {"since": "0104-02-25T22:59:02.50+20:51"})

    assert response.status_code == 200


def test_the_log_costs_the_same_queries_for_one_event_and_for_fifty(cast: Cast) -> None:
    admin = client_for(cast.admin)

    def fifty_more() -> None:
        AuditEvent.objects.bulk_create(
            [AuditEvent(org_id=cast.org_a.pk, action="settings_changed") for _ in range(49)]
        )

    AuditEvent.objects.create(org_id=cast.org_a.pk, action="settings_changed")
    assert_flat_query_count(lambda: admin.get(AUDIT), fifty_more)
