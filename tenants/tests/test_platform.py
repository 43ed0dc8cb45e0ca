"""The platform API: orgs, users, impersonation and the platform audit log, for platform admins only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from common.access import Audience, Scope
from common.context import org_context
from common.models import Profile, Role, User
from tenants.mail import email_send
from tenants.models import AuditEvent, Org, OrgStatus, PlatformAuditEvent, schema_name_for
from tenants.orgs.provisioning import org_create
from tenants.platform.selectors import count_name, org_record_counts, record_models
from tenants.platform.services import impersonation_token_for
from tenants.testing.fixtures import PASSWORD, Cast, client_for
from tenants.testing.queries import assert_flat_query_count
from tenants.urls import ROUTES
from timeline.models import ActivityEntry

pytestmark = pytest.mark.django_db

ORGS = "/api/platform/orgs/"
USERS = "/api/platform/users/"
AUDIT = "/api/platform/audit/"
NOT_FOUND = {"code": "not_found", "detail": "Not found.", "fields": {}}
PLATFORM_ROUTES = {name: access for name, access in ROUTES.items() if name.startswith("platform-")}


def _iso(moment: datetime | None) -> str | None:
    return serializers.DateTimeField().to_representation(moment) if moment else None


def _org_url(org: Org, action: str = "") -> str:
    return f"{ORGS}{org.pk}/{action + '/' if action else ''}"


def _user_url(user: User, action: str = "") -> str:
    return f"{USERS}{user.pk}/{action + '/' if action else ''}"


def _admin(cast: Cast) -> APIClient:
    return client_for(cast.platform_admin)


def _only_activity(counts: dict[str, dict[str, int]], activity: int) -> bool:
    """Every module counted is a tenant app, with `activity` activity entries and every other table empty."""
    apps = {model._meta.app_label for model in record_models()}
    rows = {f"{app}.{model}": n for app, models in counts.items() for model, n in models.items()}
    entries = rows.pop(f"timeline.{count_name(ActivityEntry)}")
    return set(counts) <= apps and entries == activity and not any(rows.values())


def _activity(org: Org, how_many: int) -> None:
    with org_context(org):
        for n in range(how_many):
            ActivityEntry.objects.create(
                verb="created", target_type="test.thing", target_id=org.pk, changes={"n": n}
            )


def _fingerprint() -> tuple[Any, ...]:
    """What a refused platform call must leave exactly as it was."""
    return (
        sorted(Org.objects.values_list("pk", "status", "deletion_requested_at", "deletion_scheduled_for")),
        sorted(User.objects.values_list("pk", "is_active", "token_version", "is_platform_admin")),
        sorted(Profile.objects.values_list("pk", "role", "is_active", "removed_at")),
        AuditEvent.objects.count(),
        PlatformAuditEvent.objects.count(),
    )


# --- Who may call the platform routes ---------------------------------------------------------------------------


def _route_calls(cast: Cast) -> list[tuple[str, str, dict[str, Any]]]:
    org = {"org_id": cast.org_a.pk}
    user = {"user_id": cast.member.user.pk}
    kwargs = {
        "platform-org-detail": org, "platform-org-members": org, "platform-org-suspend": org,
        "platform-org-reactivate": org,
        "platform-org-delete": org, "platform-org-delete-cancel": org, "platform-org-impersonate": org,
        "platform-user-detail": user, "platform-user-deactivate": user, "platform-user-reactivate": user,
    }  # fmt: skip
    calls = []
    for name, access in PLATFORM_ROUTES.items():
        for method in access.methods:
            calls.append((method, reverse(f"api:{name}", kwargs=kwargs.get(name)), {}))
    return calls


def test_every_platform_route_is_platform_scoped_for_signed_in_platform_admins_only() -> None:
    assert len(PLATFORM_ROUTES) == 13
    for name, access in PLATFORM_ROUTES.items():
        assert access.scope == Scope.PLATFORM, name
        assert set(access.methods.values()) == {Audience.AUTHENTICATED}, name


@pytest.mark.parametrize("caller", ["owner", "member", "other_owner", "outsider", "anonymous"])
def test_every_platform_route_is_404_to_everyone_but_platform_admins(cast: Cast, caller: str) -> None:
    who = None if caller == "anonymous" else getattr(cast, caller)
    client = client_for(who.user if isinstance(who, Profile) else who)
    before = _fingerprint()

    for method, url, body in _route_calls(cast):
        response = getattr(client, method.lower())(url, body, format="json")

        assert (method, url, response.status_code, response.json()) == (method, url, 404, NOT_FOUND)
    assert _fingerprint() == before


def test_a_former_platform_admin_gets_404_on_the_next_request(cast: Cast) -> None:
    client = _admin(cast)
    assert client.get(ORGS).status_code == 200
    User.objects.filter(pk=cast.platform_admin.pk).update(is_platform_admin=False)

    response = client.get(ORGS)

    assert (response.status_code, response.json()) == (404, NOT_FOUND)


# --- Org list and detail ----------------------------------------------------------------------------------------


def test_org_list_shows_members_record_counts_creation_and_last_activity(cast: Cast) -> None:
    org = org_create(name="Counting Homes", slug="counting")
    Profile.objects.create(user=cast.outsider, org=org, role=Role.OWNER)
    Profile.objects.create(user=cast.viewer.user, org=org, role=Role.MEMBER, is_active=False)
    _activity(org, 3)
    org.last_activity_at = timezone.now()
    org.save()

    response = _admin(cast).get(ORGS, {"search": "counting"})

    assert response.status_code == 200
    body = response.json()
    assert _only_activity(body["results"][0].pop("record_counts"), activity=3)
    assert body == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": str(org.pk),
                "name": "Counting Homes",
                "slug": "counting",
                "status": "active",
                "member_count": 1,
                "created_at": _iso(org.created_at),
                "last_activity_at": _iso(org.last_activity_at),
                "deletion_scheduled_for": None,
            }
        ],
    }


def test_org_list_hides_pool_and_template_orgs_unless_the_status_asks_for_them(cast: Cast) -> None:
    client = _admin(cast)

    default = {o["slug"] for o in client.get(ORGS, {"page_size": 100}).json()["results"]}
    templates = client.get(ORGS, {"status": "template"}).json()["results"]

    assert {"alpha", "bravo"} <= default
    assert not Org.objects.filter(slug__in=default, status__in=[OrgStatus.TEMPLATE, OrgStatus.POOLED]).exists()
    assert [o["status"] for o in templates] == ["template"]


def test_org_list_searches_name_and_slug_and_filters_by_status(cast: Cast) -> None:
    Org.objects.filter(pk=cast.org_b.pk).update(status=OrgStatus.SUSPENDED)
    client = _admin(cast)

    by_name = client.get(ORGS, {"search": "ALPHA realty"}).json()["results"]
    by_slug = client.get(ORGS, {"search": "brav"}).json()["results"]
    suspended = client.get(ORGS, {"status": "suspended"}).json()["results"]
    either = client.get(ORGS, {"status": "active,suspended", "search": "realty"}).json()["results"]

    assert [o["slug"] for o in by_name] == ["alpha"]
    assert [o["slug"] for o in by_slug] == ["bravo"]
    assert [o["slug"] for o in suspended] == ["bravo"]
    assert [o["slug"] for o in either] == ["alpha", "bravo"]


def test_org_list_orders_by_name_created_activity_and_member_count(cast: Cast) -> None:
    now = timezone.now()
    Org.objects.filter(pk=cast.org_b.pk).update(last_activity_at=now, created_at=now - timedelta(days=400))
    # The pooled org may carry activity from an earlier test; this one is about an org without any.
    Org.objects.filter(pk=cast.org_a.pk).update(last_activity_at=None)
    client = _admin(cast)

    def slugs(ordering: str) -> list[str]:
        results = client.get(ORGS, {"search": "realty", "ordering": ordering}).json()["results"]
        return [o["slug"] for o in results]

    assert slugs("name") == ["alpha", "bravo"]
    assert slugs("-name") == ["bravo", "alpha"]
    assert slugs("created_at") == ["bravo", "alpha"]
    assert slugs("-member_count") == ["alpha", "bravo"]
    assert slugs("member_count") == ["bravo", "alpha"]
    # An org with no activity yet goes last both ways.
    assert slugs("last_activity_at") == ["bravo", "alpha"]
    assert slugs("-last_activity_at") == ["bravo", "alpha"]


def test_org_list_refuses_an_unknown_ordering_or_status(cast: Cast) -> None:
    client = _admin(cast)

    ordering = client.get(ORGS, {"ordering": "schema_name"})
    status = client.get(ORGS, {"status": "active,gone"})

    assert ordering.status_code == status.status_code == 400
    detail = "Order by one of: name, created_at, last_activity_at, member_count (prefix - to reverse)."
    assert ordering.json() == {
        "code": "invalid",
        "detail": detail,
        "fields": {"ordering": [{"code": "invalid", "detail": detail}]},
    }
    assert status.json() == {
        "code": "invalid",
        "detail": "Unknown status: gone.",
        "fields": {"status": [{"code": "invalid", "detail": "Unknown status: gone."}]},
    }


def _light_org(name: str, slug: str) -> Org:
    """An org whose schema holds only the activity table: listed and counted like any org, made in milliseconds
    (fifty full schemas in one test transaction take minutes and exhaust PostgreSQL's lock table)."""
    org = Org(name=name, slug=slug)
    org.schema_name = schema_name_for(org.pk)
    org.save()
    template = settings.TENANT_TEMPLATE_SCHEMA
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{org.schema_name}"')
        cursor.execute(
            f'CREATE TABLE "{org.schema_name}".timeline_activityentry '
            f'(LIKE "{template}".timeline_activityentry INCLUDING DEFAULTS)'
        )
    return org


def test_org_list_is_paginated(cast: Cast) -> None:
    for n in range(3):
        _light_org(f"Paged {n}", f"paged-{n}")

    response = _admin(cast).get(ORGS, {"search": "paged", "page_size": 2, "page": 2})

    body = response.json()
    assert (body["count"], [o["slug"] for o in body["results"]]) == (3, ["paged-2"])
    assert body["next"] is None and body["previous"] is not None


def test_org_list_costs_the_same_queries_for_one_org_and_fifty(cast: Cast) -> None:
    first = org_create(name="Budget 00", slug="budget-00")
    _activity(first, 2)
    client = _admin(cast)

    def fifty() -> None:
        for n in range(1, 50):
            org = _light_org(f"Budget {n:02}", f"budget-{n:02}")
            Profile.objects.create(user=cast.outsider, org=org, role=Role.OWNER)
            _activity(org, 1)

    queries = assert_flat_query_count(lambda: client.get(ORGS, {"search": "budget", "page_size": 100}), fifty)

    results = client.get(ORGS, {"search": "budget", "page_size": 100}).json()["results"]
    assert len(results) == 50
    assert _only_activity(results[0]["record_counts"], activity=2)
    assert {str(o["record_counts"]) for o in results[1:]} == {str({"timeline": {count_name(ActivityEntry): 1}})}
    assert [o["member_count"] for o in results] == [0] + [1] * 49
    # user, count, page, the tables that exist, and the one UNION ALL of every count on the page
    assert queries <= 5


def test_record_counts_skip_tables_a_schema_does_not_have_and_names_that_are_not_schemas(cast: Cast) -> None:
    ghost = Org(name="Ghost", slug="ghost", schema_name="org_not_created_yet")
    hostile = Org(name="Hostile", slug="hostile", schema_name='x"; DROP TABLE common_user; --')

    counts = org_record_counts([cast.org_b, ghost, hostile])

    assert set(counts) == {cast.org_b.pk, ghost.pk, hostile.pk}
    assert (counts[ghost.pk], counts[hostile.pk]) == ({}, {})
    assert _only_activity(counts[cast.org_b.pk], activity=0)
    assert counts[cast.org_b.pk]["contacts"] == {"companies": 0, "contacts": 0}
    assert User.objects.exists()


def test_org_detail_shows_settings_deletion_and_counts(cast: Cast) -> None:
    response = _admin(cast).get(_org_url(cast.org_a))

    org = Org.objects.get(pk=cast.org_a.pk)
    assert response.status_code == 200
    assert response.json() == {
        "id": str(org.pk),
        "name": "Alpha Realty",
        "slug": "alpha",
        "status": "active",
        "member_count": 5,
        "record_counts": org_record_counts([org])[org.pk],
        "created_at": _iso(org.created_at),
        "last_activity_at": _iso(org.last_activity_at),
        "deletion_scheduled_for": None,
        "schema_name": org.schema_name,
        "timezone": "UTC",
        "currency": "USD",
        "requires_two_factor": False,
        "language": "en",
        "ai_monthly_token_quota": None,
        "deletion_requested_at": None,
        "deletion_requested_by": None,
        "deletion_requested_by_email": None,
        "updated_at": _iso(org.updated_at),
        "members": response.json()["members"],
        "recent_activity": response.json()["recent_activity"],
    }
    assert [m["email"] for m in response.json()["members"]] == sorted(
        f"{name}@alpha.test" for name in ("owner", "admin", "manager", "member", "viewer")
    )


def test_org_detail_shows_recent_audit_entries_and_the_members_route_lists_everyone(cast: Cast) -> None:
    client_for(cast.owner).patch("/api/org/", {"currency": "EUR"}, format="json")
    client_for(cast.owner).post(f"/api/org/members/{cast.viewer.pk}/remove/", {}, format="json")

    detail = _admin(cast).get(_org_url(cast.org_a)).json()
    members = _admin(cast).get(_org_url(cast.org_a, "members")).json()

    assert {entry["action"] for entry in detail["recent_activity"]} >= {"settings_changed", "member_removed"}
    assert members["count"] == 5
    assert members["results"][-1]["email"] == "viewer@alpha.test"  # removed members come last
    assert members["results"][-1]["is_removed"] is True
    other = _admin(cast).get(f"{ORGS}{cast.outsider.pk}/members/")
    assert (other.status_code, other.json()) == (404, NOT_FOUND)


def test_org_detail_of_an_unknown_org_is_404(cast: Cast) -> None:
    response = _admin(cast).get(f"{ORGS}{cast.outsider.pk}/")

    assert (response.status_code, response.json()) == (404, NOT_FOUND)


# --- Suspension -------------------------------------------------------------------------------------------------


def test_suspension_refuses_every_tenant_request_at_once_and_is_audited_twice(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    member = client_for(cast.member)
    assert member.get("/api/org/").status_code == 200  # the membership is cached now

    with django_capture_on_commit_callbacks(execute=True):
        response = _admin(cast).post(_org_url(cast.org_a, "suspend"), {"reason": "Unpaid invoices"}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "suspended"
    refused = member.get("/api/org/")
    assert (refused.status_code, refused.json()) == (
        403,
        {"code": "org_suspended", "detail": "This organisation is suspended.", "fields": {}},
    )
    assert client_for(cast.owner).get("/api/org/members/").json()["code"] == "org_suspended"
    platform_event = PlatformAuditEvent.objects.get(action="org_suspended")
    assert (platform_event.org_id, platform_event.actor_email, platform_event.details) == (
        cast.org_a.pk,
        "platform@keystone.test",
        {"reason": "Unpaid invoices", "by_platform": True},
    )
    org_event = AuditEvent.objects.get(org_id=cast.org_a.pk, action="org_suspended")
    assert (org_event.actor_user_id, org_event.details) == (
        cast.platform_admin.pk,
        {"reason": "Unpaid invoices", "by_platform": True},
    )


def test_suspending_a_suspended_org_is_409_and_writes_nothing(cast: Cast) -> None:
    client = _admin(cast)
    assert client.post(_org_url(cast.org_a, "suspend"), {}, format="json").status_code == 200
    before = _fingerprint()

    response = client.post(_org_url(cast.org_a, "suspend"), {}, format="json")

    assert (response.status_code, response.json()) == (
        409,
        {"code": "already_suspended", "detail": "This organisation is already suspended.", "fields": {}},
    )
    assert _fingerprint() == before


def test_a_suspended_org_sends_no_email_already_queued(
    cast: Cast, run_tasks_inline, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as queued:
        for profile in (cast.owner, cast.other_owner):
            email_send(to=profile.user.email, template="member_removed", context={}, org_id=profile.org_id)
    _admin(cast).post(_org_url(cast.org_a, "suspend"), {}, format="json")

    for send in queued:
        send()

    assert [m.to for m in mail.outbox] == [["other_owner@bravo.test"]]


def test_reactivation_lets_the_org_back_in(cast: Cast, django_capture_on_commit_callbacks) -> None:
    client = _admin(cast)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_org_url(cast.org_a, "suspend"), {}, format="json")
    assert client_for(cast.member).get("/api/org/").status_code == 403

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_org_url(cast.org_a, "reactivate"), {}, format="json")

    assert (response.status_code, response.json()["status"]) == (200, "active")
    assert client_for(cast.member).get("/api/org/").status_code == 200
    assert PlatformAuditEvent.objects.filter(action="org_reactivated", org_id=cast.org_a.pk).count() == 1
    assert AuditEvent.objects.filter(action="org_reactivated", org_id=cast.org_a.pk).count() == 1


def test_reactivating_an_active_org_is_409_not_suspended(cast: Cast) -> None:
    before = _fingerprint()

    response = _admin(cast).post(_org_url(cast.org_a, "reactivate"), {}, format="json")

    assert (response.status_code, response.json()) == (
        409,
        {"code": "not_suspended", "detail": "This organisation is not suspended.", "fields": {}},
    )
    assert _fingerprint() == before


def test_pool_and_template_orgs_cannot_be_acted_on(cast: Cast) -> None:
    template = Org.objects.get(status=OrgStatus.TEMPLATE)
    before = _fingerprint()

    response = _admin(cast).post(_org_url(template, "suspend"), {}, format="json")

    assert (response.status_code, response.json()) == (
        409,
        {
            "code": "org_reserved",
            "detail": "Pool and template schemas are not customer organisations.",
            "fields": {},
        },
    )
    assert _fingerprint() == before


def test_suspending_an_unknown_org_is_404(cast: Cast) -> None:
    response = _admin(cast).post(f"{ORGS}{cast.outsider.pk}/suspend/", {}, format="json")

    assert (response.status_code, response.json()) == (404, NOT_FOUND)


# --- Deletion ---------------------------------------------------------------------------------------------------


def test_platform_deletion_follows_the_owners_grace_rules(
    cast: Cast, run_tasks_inline, django_capture_on_commit_callbacks
) -> None:
    started = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        response = _admin(cast).post(_org_url(cast.org_b, "delete"), {"confirm": "bravo"}, format="json")

    org = Org.objects.get(pk=cast.org_b.pk)
    assert response.status_code == 202
    assert org.status == OrgStatus.DELETING
    assert started <= org.deletion_requested_at <= timezone.now()
    assert org.deletion_scheduled_for == org.deletion_requested_at + timedelta(days=30)
    assert org.deletion_requested_by_id == cast.platform_admin.pk
    body = response.json()
    assert (body["status"], body["deletion_scheduled_for"], body["deletion_requested_by_email"]) == (
        "deleting",
        _iso(org.deletion_scheduled_for),
        "platform@keystone.test",
    )
    assert client_for(cast.other_owner).get("/api/org/").json()["code"] == "org_deleting"
    assert [m.to for m in mail.outbox] == [["other_owner@bravo.test"]]
    details = {
        "scheduled_for": org.deletion_scheduled_for.isoformat(),
        "previous_status": "active",
        "by_platform": True,
    }
    assert PlatformAuditEvent.objects.get(action="deletion_requested").details == details
    assert AuditEvent.objects.get(org_id=org.pk, action="deletion_requested").details == details


def test_platform_deletion_of_a_suspended_org_emails_nobody(
    cast: Cast, run_tasks_inline, django_capture_on_commit_callbacks
) -> None:
    Org.objects.filter(pk=cast.org_b.pk).update(status=OrgStatus.SUSPENDED)

    with django_capture_on_commit_callbacks(execute=True):
        response = _admin(cast).post(_org_url(cast.org_b, "delete"), {"confirm": "bravo"}, format="json")

    assert response.status_code == 202
    assert Org.objects.get(pk=cast.org_b.pk).status == OrgStatus.DELETING
    assert mail.outbox == []


def test_platform_deletion_needs_the_slug_typed_and_changes_nothing_without_it(cast: Cast) -> None:
    before = _fingerprint()

    response = _admin(cast).post(_org_url(cast.org_b, "delete"), {"confirm": "alpha"}, format="json")

    detail = "Type the organisation's slug to confirm."
    assert (response.status_code, response.json()) == (
        400,
        {
            "code": "confirmation_mismatch",
            "detail": detail,
            "fields": {"confirm": [{"code": "confirmation_mismatch", "detail": detail}]},
        },
    )
    assert _fingerprint() == before


def test_deleting_twice_is_409_already_deleting(cast: Cast) -> None:
    client = _admin(cast)
    client.post(_org_url(cast.org_b, "delete"), {"confirm": "bravo"}, format="json")
    before = _fingerprint()

    response = client.post(_org_url(cast.org_b, "delete"), {"confirm": "bravo"}, format="json")

    assert (response.status_code, response.json()["code"]) == (409, "already_deleting")
    assert _fingerprint() == before


def test_cancelling_a_deletion_restores_the_org(cast: Cast, django_capture_on_commit_callbacks) -> None:
    client = _admin(cast)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_org_url(cast.org_b, "delete"), {"confirm": "bravo"}, format="json")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_org_url(cast.org_b, "delete/cancel"), {}, format="json")

    org = Org.objects.get(pk=cast.org_b.pk)
    assert response.status_code == 200
    assert (org.status, org.deletion_requested_at, org.deletion_scheduled_for, org.deletion_requested_by) == (
        OrgStatus.ACTIVE,
        None,
        None,
        None,
    )
    assert client_for(cast.other_owner).get("/api/org/").status_code == 200
    assert AuditEvent.objects.get(org_id=org.pk, action="deletion_cancelled").details == {
        "status": "active",
        "by_platform": True,
    }
    assert PlatformAuditEvent.objects.filter(action="deletion_cancelled", org_id=org.pk).count() == 1


def test_cancelling_the_deletion_of_a_suspended_org_keeps_it_suspended(cast: Cast) -> None:
    client = _admin(cast)
    client.post(_org_url(cast.org_b, "suspend"), {}, format="json")
    client.post(_org_url(cast.org_b, "delete"), {"confirm": "bravo"}, format="json")

    response = client.post(_org_url(cast.org_b, "delete/cancel"), {}, format="json")

    assert (response.status_code, response.json()["status"]) == (200, "suspended")


def test_cancelling_an_owners_deletion_restores_active(cast: Cast) -> None:
    assert (
        client_for(cast.other_owner)
        .post("/api/org/delete/", {"confirm": "bravo", "password": PASSWORD}, format="json")
        .status_code
        == 202
    )

    response = _admin(cast).post(_org_url(cast.org_b, "delete/cancel"), {}, format="json")

    assert (response.status_code, response.json()["status"]) == (200, "active")


def test_cancelling_when_nothing_is_scheduled_is_409(cast: Cast) -> None:
    before = _fingerprint()

    response = _admin(cast).post(_org_url(cast.org_b, "delete/cancel"), {}, format="json")

    assert (response.status_code, response.json()) == (
        409,
        {"code": "not_deleting", "detail": "This organisation is not scheduled for deletion.", "fields": {}},
    )
    assert _fingerprint() == before


def test_suspending_an_org_being_deleted_is_409(cast: Cast) -> None:
    client = _admin(cast)
    client.post(_org_url(cast.org_b, "delete"), {"confirm": "bravo"}, format="json")

    response = client.post(_org_url(cast.org_b, "suspend"), {}, format="json")

    assert (response.status_code, response.json()["code"]) == (409, "org_deleting")
    assert Org.objects.get(pk=cast.org_b.pk).status == OrgStatus.DELETING


# --- Impersonation ----------------------------------------------------------------------------------------------


def _impersonate(cast: Cast, profile: Profile, org: Org | None = None, **extra: Any) -> Any:
    body = {"profile_id": str(profile.pk), **extra}
    return _admin(cast).post(_org_url(org or profile.org, "impersonate"), body, format="json")


def _as(token: str, org: Org | str | None = None) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    if org is not None:
        client.defaults["HTTP_ORG"] = str(org.pk if isinstance(org, Org) else org)
    return client


def test_impersonation_token_carries_the_member_the_admin_and_the_org_for_fifteen_minutes(cast: Cast) -> None:
    before = timezone.now().replace(microsecond=0)

    raw, expires_at = impersonation_token_for(cast.platform_admin, cast.member)

    token = AccessToken(raw)
    assert token["token_type"] == "access"
    assert token["user_id"] == str(cast.member.user.pk)
    assert token["ver"] == cast.member.user.token_version
    assert token["imp"] == str(cast.platform_admin.pk)
    assert token["imp_org"] == str(cast.org_a.pk)
    assert token["exp"] - token["iat"] == 15 * 60
    assert expires_at == datetime.fromtimestamp(token["exp"], tz=UTC)
    assert before + timedelta(minutes=15) <= expires_at <= timezone.now() + timedelta(minutes=15)


def test_impersonation_returns_a_token_with_the_member_and_org_and_is_audited(cast: Cast) -> None:
    response = _impersonate(cast, cast.member, reason="Ticket 4711")

    assert response.status_code == 200
    body = response.json()
    token = AccessToken(body["access"])
    assert (token["user_id"], token["imp"], token["imp_org"]) == (
        str(cast.member.user.pk),
        str(cast.platform_admin.pk),
        str(cast.org_a.pk),
    )
    assert "refresh" not in body
    assert body["expires_at"] == _iso(datetime.fromtimestamp(token["exp"], tz=UTC))
    assert body["profile"] == {
        "id": str(cast.member.pk),
        "user_id": str(cast.member.user.pk),
        "email": "member@alpha.test",
        "name": "Member",
        "role": "member",
        "is_active": True,
        "is_removed": False,
        "removed_at": None,
        "joined_at": _iso(cast.member.joined_at),
    }
    assert body["org"] == {
        "id": str(cast.org_a.pk),
        "name": "Alpha Realty",
        "slug": "alpha",
        "status": "active",
        "created_at": _iso(cast.org_a.created_at),
    }
    details = {
        "profile_id": str(cast.member.pk),
        "user_id": str(cast.member.user.pk),
        "email": "member@alpha.test",
        "role": "member",
        "reason": "Ticket 4711",
        "expires_at": datetime.fromtimestamp(token["exp"], tz=UTC).isoformat(),
    }
    platform_event = PlatformAuditEvent.objects.get(action="impersonation_started")
    assert (
        platform_event.actor_user_id,
        platform_event.org_id,
        platform_event.target_id,
        platform_event.details,
    ) == (
        cast.platform_admin.pk,
        cast.org_a.pk,
        str(cast.member.pk),
        details,
    )
    org_event = AuditEvent.objects.get(org_id=cast.org_a.pk, action="impersonation_started")
    assert (org_event.actor_user_id, org_event.impersonator_user_id, org_event.details) == (
        cast.platform_admin.pk,
        cast.platform_admin.pk,
        details,
    )


def test_impersonation_needs_a_current_member_of_that_org(cast: Cast) -> None:
    before = _fingerprint()

    foreign = _impersonate(cast, cast.other_owner, org=cast.org_a)
    unknown = _admin(cast).post(
        _org_url(cast.org_a, "impersonate"), {"profile_id": str(cast.outsider.pk)}, format="json"
    )

    detail = "No such member in this organisation."
    expected = {
        "code": "does_not_exist",
        "detail": detail,
        "fields": {"profile_id": [{"code": "does_not_exist", "detail": detail}]},
    }
    assert (foreign.status_code, foreign.json()) == (400, expected)
    assert (unknown.status_code, unknown.json()) == (400, expected)
    assert _fingerprint() == before


def test_impersonation_refuses_an_inactive_member(cast: Cast) -> None:
    Profile.objects.filter(pk=cast.viewer.pk).update(is_active=False)
    before = _fingerprint()

    response = _impersonate(cast, cast.viewer)

    assert (response.status_code, response.json()) == (
        409,
        {"code": "membership_inactive", "detail": "This member is inactive.", "fields": {}},
    )
    assert _fingerprint() == before


def test_impersonation_refuses_a_platform_admins_profile(cast: Cast) -> None:
    own = Profile.objects.create(user=cast.platform_admin, org=cast.org_a, role=Role.VIEWER)
    before = _fingerprint()

    response = _impersonate(cast, own)

    assert (response.status_code, response.json()) == (
        403,
        {
            "code": "cannot_impersonate_platform_admin",
            "detail": "Platform admins cannot be impersonated.",
            "fields": {},
        },
    )
    assert _fingerprint() == before


def test_impersonation_refuses_a_suspended_org(cast: Cast) -> None:
    Org.objects.filter(pk=cast.org_a.pk).update(status=OrgStatus.SUSPENDED)

    response = _impersonate(cast, cast.member)

    assert (response.status_code, response.json()) == (
        409,
        {"code": "org_suspended", "detail": "Only an active organisation can be entered.", "fields": {}},
    )
    assert not PlatformAuditEvent.objects.filter(action="impersonation_started").exists()


def test_impersonation_request_with_a_missing_profile_id_is_400(cast: Cast) -> None:
    response = _admin(cast).post(_org_url(cast.org_a, "impersonate"), {}, format="json")

    assert (response.status_code, response.json()) == (
        400,
        {
            "code": "required",
            "detail": "This field is required.",
            "fields": {"profile_id": [{"code": "required", "detail": "This field is required."}]},
        },
    )


# End-to-end enforcement of the token by the org middleware.


def test_impersonation_token_acts_as_the_member_in_that_org_and_every_request_is_audited(cast: Cast) -> None:
    token = _impersonate(cast, cast.member).json()["access"]

    response = _as(token, cast.org_a).get("/api/org/")

    assert response.status_code == 200
    assert (response.json()["role"], response.json()["profile_id"]) == ("member", str(cast.member.pk))
    request_event = PlatformAuditEvent.objects.get(action="impersonated_request")
    assert (request_event.actor_user_id, request_event.org_id, request_event.details) == (
        cast.platform_admin.pk,
        cast.org_a.pk,
        {"method": "GET", "path": "/api/org/", "status": 200},
    )
    org_event = AuditEvent.objects.get(org_id=cast.org_a.pk, action="impersonated_request")
    assert (org_event.actor_user_id, org_event.impersonator_user_id) == (
        cast.member.user.pk,
        cast.platform_admin.pk,
    )


def test_impersonation_token_is_refused_in_any_other_org(cast: Cast) -> None:
    Profile.objects.create(user=cast.member.user, org=cast.org_b, role=Role.MEMBER)
    token = _impersonate(cast, cast.member).json()["access"]

    response = _as(token, cast.org_b).get("/api/org/")

    assert (response.status_code, response.json()["code"]) == (404, "org_not_found")


def test_impersonation_token_is_refused_on_account_routes(cast: Cast) -> None:
    token = _impersonate(cast, cast.member).json()["access"]

    response = _as(token).get("/api/auth/me/")

    assert (response.status_code, response.json()) == (
        401,
        {"code": "token_invalid", "detail": "The access token is invalid or has expired.", "fields": {}},
    )


@pytest.mark.parametrize("path", [ORGS, USERS, "/api/platform/audit/"])
def test_platform_routes_do_not_exist_for_an_impersonation_token(cast: Cast, path: str) -> None:
    before = PlatformAuditEvent.objects.count()
    token = _impersonate(cast, cast.member).json()["access"]

    response = _as(token).get(path)

    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert PlatformAuditEvent.objects.count() == before + 1  # the impersonation itself, nothing else


def test_impersonation_token_dies_when_its_admin_loses_platform_access(cast: Cast) -> None:
    token = _impersonate(cast, cast.member).json()["access"]
    User.objects.filter(pk=cast.platform_admin.pk).update(is_platform_admin=False)

    response = _as(token, cast.org_a).get("/api/org/")

    assert (response.status_code, response.json()["code"]) == (401, "token_invalid")


def test_impersonation_token_expires_after_fifteen_minutes(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    import rest_framework_simplejwt.tokens as simplejwt_tokens

    token = _impersonate(cast, cast.member).json()["access"]
    later = timezone.now() + timedelta(minutes=15, seconds=1)
    monkeypatch.setattr(simplejwt_tokens, "aware_utcnow", lambda: later)

    response = _as(token, cast.org_a).get("/api/org/")

    assert (response.status_code, response.json()["code"]) == (401, "token_invalid")


# --- Users ------------------------------------------------------------------------------------------------------


def test_user_list_searches_email_and_name_and_filters_flags(cast: Cast) -> None:
    User.objects.filter(pk=cast.viewer.user.pk).update(is_active=False)
    client = _admin(cast)

    def emails(**params: str) -> list[str]:
        return [u["email"] for u in client.get(USERS, params).json()["results"]]

    assert emails(search="ALPHA.TEST", is_active="false") == ["viewer@alpha.test"]
    assert emails(search="other_owner") == ["other_owner@bravo.test"]
    assert emails(is_platform_admin="true") == ["platform@keystone.test"]
    assert "viewer@alpha.test" not in emails(is_active="true", page_size="100")


def test_user_list_shows_each_users_flags_and_memberships(cast: Cast) -> None:
    response = _admin(cast).get(USERS, {"search": "owner@alpha"})

    user = cast.owner.user
    assert response.json()["results"] == [
        {
            "id": str(user.pk),
            "email": "owner@alpha.test",
            "name": "Owner",
            "is_active": True,
            "is_platform_admin": False,
            "has_two_factor": False,
            "email_verified": False,
            "membership_count": 1,
            "date_joined": _iso(user.date_joined),
        }
    ]


def test_user_list_refuses_a_flag_that_is_not_true_or_false(cast: Cast) -> None:
    response = _admin(cast).get(USERS, {"is_active": "yes"})

    assert (response.status_code, response.json()) == (
        400,
        {
            "code": "invalid",
            "detail": "Use true or false.",
            "fields": {"is_active": [{"code": "invalid", "detail": "Use true or false."}]},
        },
    )


def test_user_detail_lists_every_membership_with_its_org_and_role(cast: Cast) -> None:
    extra = Profile.objects.create(user=cast.member.user, org=cast.org_b, role=Role.VIEWER, is_active=False)

    response = _admin(cast).get(_user_url(cast.member.user))

    assert response.status_code == 200
    assert [
        (m["org"]["slug"], m["org"]["status"], m["role"], m["is_active"], m["removed_at"])
        for m in response.json()["memberships"]
    ] == [("alpha", "active", "member", True, None), ("bravo", "active", "viewer", False, None)]
    assert response.json()["memberships"][1]["id"] == str(extra.pk)
    assert response.json()["membership_count"] == 2


def test_user_detail_of_an_unknown_user_is_404(cast: Cast) -> None:
    response = _admin(cast).get(f"{USERS}{cast.org_a.pk}/")

    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_deactivating_a_user_kills_their_tokens_at_once_and_is_audited(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    member = client_for(cast.member)
    assert member.get("/api/org/").status_code == 200
    version = cast.member.user.token_version

    with django_capture_on_commit_callbacks(execute=True):
        response = _admin(cast).post(_user_url(cast.member.user, "deactivate"), {}, format="json")

    assert (response.status_code, response.json()["is_active"]) == (200, False)
    assert User.objects.get(pk=cast.member.user.pk).token_version == version + 1
    assert member.get("/api/org/").status_code == 401
    assert member.get("/api/auth/me/").status_code == 401
    login = client_for(None).post("/api/auth/login/", {"email": "member@alpha.test", "password": PASSWORD})
    assert (login.status_code, login.json()["code"]) == (401, "invalid_credentials")
    event = PlatformAuditEvent.objects.get(action="user_deactivated")
    assert (event.actor_user_id, event.target_type, event.target_id) == (
        cast.platform_admin.pk,
        "user",
        str(cast.member.user.pk),
    )
    org_event = AuditEvent.objects.get(action="user_deactivated")
    assert (org_event.org_id, org_event.target_id, org_event.details) == (
        cast.org_a.pk,
        str(cast.member.pk),
        {"by_platform": True},
    )


def test_a_platform_admin_cannot_deactivate_themselves(cast: Cast) -> None:
    before = _fingerprint()

    response = _admin(cast).post(_user_url(cast.platform_admin, "deactivate"), {}, format="json")

    assert (response.status_code, response.json()) == (
        409,
        {"code": "cannot_deactivate_self", "detail": "You cannot deactivate your own account.", "fields": {}},
    )
    assert _fingerprint() == before


def test_the_only_active_owner_of_an_active_org_cannot_be_deactivated(cast: Cast) -> None:
    before = _fingerprint()

    response = _admin(cast).post(_user_url(cast.other_owner.user, "deactivate"), {}, format="json")

    assert (response.status_code, response.json()) == (
        409,
        {
            "code": "last_owner",
            "detail": "This user is the only active owner of bravo: make another member an owner, or suspend "
            "the organisation, first.",
            "fields": {},
        },
    )
    assert _fingerprint() == before


def test_the_owner_of_a_suspended_org_can_be_deactivated(cast: Cast) -> None:
    Org.objects.filter(pk=cast.org_b.pk).update(status=OrgStatus.SUSPENDED)

    response = _admin(cast).post(_user_url(cast.other_owner.user, "deactivate"), {}, format="json")

    assert (response.status_code, response.json()["is_active"]) == (200, False)


def test_deactivating_an_inactive_user_is_409(cast: Cast) -> None:
    User.objects.filter(pk=cast.outsider.pk).update(is_active=False)
    before = _fingerprint()

    response = _admin(cast).post(_user_url(cast.outsider, "deactivate"), {}, format="json")

    assert (response.status_code, response.json()["code"]) == (409, "already_inactive")
    assert _fingerprint() == before


def test_reactivated_user_signs_in_again_but_old_tokens_stay_dead(cast: Cast) -> None:
    old = client_for(cast.outsider)
    client = _admin(cast)
    client.post(_user_url(cast.outsider, "deactivate"), {}, format="json")

    response = client.post(_user_url(cast.outsider, "reactivate"), {}, format="json")

    assert (response.status_code, response.json()["is_active"]) == (200, True)
    assert old.get("/api/auth/me/").status_code == 401
    login = client_for(None).post("/api/auth/login/", {"email": "outsider@nowhere.test", "password": PASSWORD})
    assert login.status_code == 200
    assert (
        PlatformAuditEvent.objects.filter(action="user_reactivated", target_id=str(cast.outsider.pk)).count() == 1
    )


def test_reactivating_an_active_user_is_409(cast: Cast) -> None:
    response = _admin(cast).post(_user_url(cast.outsider, "reactivate"), {}, format="json")

    assert (response.status_code, response.json()) == (
        409,
        {"code": "already_active", "detail": "This user is already active.", "fields": {}},
    )


# --- Platform audit log -----------------------------------------------------------------------------------------


def test_platform_audit_is_newest_first_and_filters_by_actor_org_action_and_dates(cast: Cast) -> None:
    second_admin = User.objects.create_user(
        email="second@keystone.test", password=PASSWORD, is_platform_admin=True
    )
    client = _admin(cast)
    client.post(_org_url(cast.org_a, "suspend"), {}, format="json")
    client.post(_org_url(cast.org_b, "suspend"), {}, format="json")
    client_for(second_admin).post(_org_url(cast.org_a, "reactivate"), {}, format="json")
    middle = PlatformAuditEvent.objects.get(action="org_suspended", org_id=cast.org_b.pk).created_at

    def actions(**params: str) -> list[tuple[str, str]]:
        response = client.get(AUDIT, params)
        assert response.status_code == 200
        return [(e["action"], e["actor_email"]) for e in response.json()["results"]]

    assert actions() == [
        ("org_reactivated", "second@keystone.test"),
        ("org_suspended", "platform@keystone.test"),
        ("org_suspended", "platform@keystone.test"),
    ]
    assert actions(actor=str(second_admin.pk)) == [("org_reactivated", "second@keystone.test")]
    assert actions(org=str(cast.org_b.pk)) == [("org_suspended", "platform@keystone.test")]
    assert actions(action="org_suspended") == [("org_suspended", "platform@keystone.test")] * 2
    assert actions(since=middle.isoformat()) == [
        ("org_reactivated", "second@keystone.test"),
        ("org_suspended", "platform@keystone.test"),
    ]
    assert actions(until=middle.isoformat()) == [("org_suspended", "platform@keystone.test")]


def test_platform_audit_entry_shows_every_field(cast: Cast) -> None:
    _admin(cast).post(_org_url(cast.org_b, "suspend"), {"reason": "Abuse"}, format="json")
    event = PlatformAuditEvent.objects.get()

    response = _admin(cast).get(AUDIT)

    assert response.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": str(event.pk),
                "action": "org_suspended",
                "actor_user_id": str(cast.platform_admin.pk),
                "actor_email": "platform@keystone.test",
                "org_id": str(cast.org_b.pk),
                "target_type": "",
                "target_id": "",
                "details": {"reason": "Abuse", "by_platform": True},
                "ip": "127.0.0.1",
                "created_at": _iso(event.created_at),
            }
        ],
    }


def test_platform_audit_refuses_malformed_filters(cast: Cast) -> None:
    client = _admin(cast)

    actor = client.get(AUDIT, {"actor": "someone"})
    since = client.get(AUDIT, {"since": "yesterday"})

    assert (actor.status_code, actor.json()) == (
        400,
        {
            "code": "invalid",
            "detail": "Not a UUID.",
            "fields": {"actor": [{"code": "invalid", "detail": "Not a UUID."}]},
        },
    )
    assert (since.status_code, since.json()) == (
        400,
        {
            "code": "invalid",
            "detail": "Use an ISO-8601 date and time.",
            "fields": {"since": [{"code": "invalid", "detail": "Use an ISO-8601 date and time."}]},
        },
    )


# --- AI quota ---------------------------------------------------------------------------------------------------


def test_platform_sets_and_clears_an_orgs_ai_quota_and_both_logs_record_it(cast: Cast) -> None:
    response = _admin(cast).patch(_org_url(cast.org_a), {"ai_monthly_token_quota": 5000}, format="json")

    assert response.status_code == 200
    assert response.json()["ai_monthly_token_quota"] == 5000
    assert Org.objects.get(pk=cast.org_a.pk).ai_monthly_token_quota == 5000
    assert PlatformAuditEvent.objects.filter(org_id=cast.org_a.pk, action="ai_quota_changed").exists()
    assert AuditEvent.objects.filter(org_id=cast.org_a.pk, action="ai_quota_changed").exists()

    cleared = _admin(cast).patch(_org_url(cast.org_a), {"ai_monthly_token_quota": None}, format="json")

    assert cleared.json()["ai_monthly_token_quota"] is None


@pytest.mark.parametrize("body", [{}, {"ai_monthly_token_quota": -1}, {"ai_monthly_token_quota": "lots"}])
def test_a_bad_ai_quota_is_a_400_and_changes_nothing(cast: Cast, body: dict[str, Any]) -> None:
    response = _admin(cast).patch(_org_url(cast.org_a), body, format="json")

    assert response.status_code == 400
    assert response.json()["fields"].keys() == {"ai_monthly_token_quota"}
    assert Org.objects.get(pk=cast.org_a.pk).ai_monthly_token_quota is None
