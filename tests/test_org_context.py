"""OrgContextMiddleware: every failure code, schema switching, and changes taking effect at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from tenants.models import OrgStatus
from tenants.testing.fixtures import Cast, access_token_for, client_for
from tenants.testing.queries import count_queries

pytestmark = pytest.mark.django_db

ORG = "/api/org/"


def _error(response) -> dict:
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_member_gets_their_org_and_role(cast: Cast) -> None:
    response = client_for(cast.manager).get(ORG)

    assert response.status_code == 200
    assert response.json() == {
        "id": str(cast.org_a.pk),
        "name": "Alpha Realty",
        "slug": "alpha",
        "status": "active",
        "timezone": "UTC",
        "currency": "USD",
        "date_format": "YYYY-MM-DD",
        "requires_two_factor": False,
        "export_min_role": "manager",
        "language": "en",
        "public_origins": [],
        "logo_url": None,
        "deletion_scheduled_for": None,
        "created_at": response.json()["created_at"],
        "role": "manager",
        "profile_id": str(cast.manager.pk),
    }


def test_org_header_may_be_the_slug(cast: Cast) -> None:
    response = client_for(cast.viewer, org="alpha").get(ORG)

    assert response.status_code == 200
    assert response.json()["id"] == str(cast.org_a.pk)


def test_missing_org_header_is_400_org_required(cast: Cast) -> None:
    response = client_for(cast.owner.user).get(ORG)

    assert response.status_code == 400
    assert _error(response) == {
        "code": "org_required",
        "detail": "This route needs an `org` header with the org's id or slug.",
        "fields": {},
    }


def test_malformed_org_header_is_400_org_invalid(cast: Cast) -> None:
    response = client_for(cast.owner, org="not a slug!").get(ORG)

    assert response.status_code == 400
    assert _error(response)["code"] == "org_invalid"


def test_unknown_org_and_foreign_org_get_the_same_404(cast: Cast) -> None:
    unknown = client_for(cast.owner, org="00000000-0000-7000-8000-000000000000").get(ORG)
    foreign = client_for(cast.owner, org=cast.org_b).get(ORG)
    foreign_slug = client_for(cast.owner, org="bravo").get(ORG)

    assert unknown.status_code == foreign.status_code == foreign_slug.status_code == 404
    expected = {
        "code": "org_not_found",
        "detail": "No such organisation, or you are not a member of it.",
        "fields": {},
    }
    assert _error(unknown) == _error(foreign) == _error(foreign_slug) == expected


def test_outsider_gets_404(cast: Cast) -> None:
    response = client_for(cast.outsider, org=cast.org_a).get(ORG)

    assert response.status_code == 404
    assert _error(response)["code"] == "org_not_found"


def test_template_org_is_never_served(cast: Cast) -> None:
    response = client_for(cast.owner, org="template").get(ORG)

    assert response.status_code == 404


def test_no_token_is_401_not_authenticated(cast: Cast) -> None:
    response = client_for(None).get(ORG, HTTP_ORG="alpha")

    assert response.status_code == 401
    assert _error(response) == {
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
        "fields": {},
    }


def test_forged_token_is_401_token_invalid(cast: Cast) -> None:
    forged = access_token_for(cast.owner.user)[:-4] + "AAAA"
    response = client_for(None).get(ORG, HTTP_ORG="alpha", HTTP_AUTHORIZATION=f"Bearer {forged}")

    assert response.status_code == 401
    assert _error(response) == {
        "code": "token_invalid",
        "detail": "The access token is invalid or has expired.",
        "fields": {},
    }


def test_expired_token_is_401_never_403(cast: Cast) -> None:
    token = AccessToken.for_user(cast.owner.user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    response = client_for(None).get(ORG, HTTP_ORG="alpha", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 401
    assert _error(response)["code"] == "token_invalid"


def test_refresh_token_is_not_accepted_as_access_token(cast: Cast) -> None:
    from rest_framework_simplejwt.tokens import RefreshToken

    refresh = RefreshToken.for_user(cast.owner.user)
    response = client_for(None).get(ORG, HTTP_ORG="alpha", HTTP_AUTHORIZATION=f"Bearer {refresh}")

    assert response.status_code == 401
    assert _error(response)["code"] == "token_invalid"


def test_inactive_membership_is_403(cast: Cast) -> None:
    cast.member.is_active = False
    cast.member.save()

    response = client_for(cast.member).get(ORG)

    assert response.status_code == 403
    assert _error(response) == {
        "code": "membership_inactive",
        "detail": "Your membership of this organisation is inactive.",
        "fields": {},
    }


def test_suspended_org_is_403(cast: Cast) -> None:
    cast.org_a.status = OrgStatus.SUSPENDED
    cast.org_a.save()

    response = client_for(cast.owner).get(ORG)

    assert response.status_code == 403
    assert _error(response) == {"code": "org_suspended", "detail": "This organisation is suspended.", "fields": {}}


def test_deactivation_takes_effect_on_the_very_next_request_with_the_cache_warm(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    client = client_for(cast.member)
    assert client.get(ORG).status_code == 200
    assert client.get(ORG).status_code == 200  # served from the cache now

    with django_capture_on_commit_callbacks(execute=True):
        cast.member.is_active = False
        cast.member.save()

    assert client.get(ORG).status_code == 403


def test_suspension_takes_effect_on_the_very_next_request_with_the_cache_warm(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    by_id, by_slug = client_for(cast.owner), client_for(cast.owner, org="alpha")
    assert by_id.get(ORG).status_code == by_slug.get(ORG).status_code == 200
    assert by_id.get(ORG).status_code == by_slug.get(ORG).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        cast.org_a.status = OrgStatus.SUSPENDED
        cast.org_a.save()

    assert by_id.get(ORG).json()["code"] == "org_suspended"
    assert by_slug.get(ORG).json()["code"] == "org_suspended"


def test_role_change_takes_effect_on_the_very_next_request(cast: Cast, django_capture_on_commit_callbacks) -> None:
    client = client_for(cast.viewer)
    assert client.get(ORG).json()["role"] == "viewer"

    with django_capture_on_commit_callbacks(execute=True):
        cast.viewer.role = "manager"
        cast.viewer.save()

    assert client.get(ORG).json()["role"] == "manager"


def test_deactivated_user_is_401_on_the_next_request(cast: Cast, django_capture_on_commit_callbacks) -> None:
    client = client_for(cast.member)
    assert client.get(ORG).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        cast.member.user.is_active = False
        cast.member.user.save()

    assert client.get(ORG).status_code == 401


def test_renamed_slug_stops_resolving(cast: Cast, django_capture_on_commit_callbacks) -> None:
    client = client_for(cast.owner, org="alpha")
    assert client.get(ORG).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        cast.org_a.slug = "alpha-renamed"
        cast.org_a.save()

    assert client.get(ORG).status_code == 404
    assert client_for(cast.owner, org="alpha-renamed").get(ORG).status_code == 200


def test_connection_is_back_on_public_after_each_response(cast: Cast) -> None:
    assert client_for(cast.owner).get(ORG).status_code == 200
    assert connection.schema_name == "public"

    assert client_for(cast.other_owner).get(ORG).status_code == 200
    assert connection.schema_name == "public"

    assert client_for(cast.owner, org=cast.org_b).get(ORG).status_code == 404
    assert connection.schema_name == "public"


def test_tenant_request_costs_at_most_two_queries_cold_and_none_warm(cast: Cast) -> None:
    client = client_for(cast.owner)

    cold, response = count_queries(lambda: client.get(ORG))
    warm, _ = count_queries(lambda: client.get(ORG))

    assert response.status_code == 200
    assert cold <= 2
    assert warm == 0


def test_tenant_requests_record_the_orgs_last_activity_at_most_every_five_minutes(cast: Cast) -> None:
    from tenants.models import Org

    client_for(cast.owner).get(ORG)
    first = Org.objects.get(pk=cast.org_a.pk).last_activity_at
    client_for(cast.admin).get(ORG)

    assert first is not None
    assert Org.objects.get(pk=cast.org_a.pk).last_activity_at == first
