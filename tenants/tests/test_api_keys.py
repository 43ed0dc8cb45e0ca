"""Org API keys: shown once, stored hashed, authenticate without an org header, revocable, role-limited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tenants.models import ApiKey, AuditEvent
from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db

KEYS = "/api/org/api-keys/"


def _key_client(secret: str, org: str | None = None) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    if org:
        client.defaults["HTTP_ORG"] = org
    return client


def _create(cast: Cast, role: str = "viewer", who=None, **extra):
    return client_for(who or cast.admin).post(KEYS, {"name": "Zapier", "role": role, **extra}, format="json")


def test_admin_creates_a_key_shown_once_and_stored_hashed(cast: Cast) -> None:
    response = _create(cast)

    assert response.status_code == 201
    body = response.json()
    assert body["key"].startswith(f"ksk_{body['prefix']}_")
    stored = ApiKey.objects.get(pk=body["id"])
    assert stored.key_hash != body["key"] and body["key"] not in stored.key_hash
    listed = client_for(cast.admin).get(KEYS).json()["results"]
    assert [("key" in k, k["prefix"]) for k in listed] == [(False, body["prefix"])]
    assert AuditEvent.objects.filter(org_id=cast.org_a.pk, action="api_key_created").count() == 1


def test_key_authenticates_as_its_org_without_an_org_header(cast: Cast) -> None:
    secret = _create(cast, role="manager").json()["key"]

    response = _key_client(secret).get("/api/org/")

    assert response.status_code == 200
    assert (response.json()["slug"], response.json()["role"]) == ("alpha", "manager")
    assert ApiKey.objects.get(prefix=secret.split("_")[1]).last_used_at is not None


def test_key_role_limits_hold(cast: Cast) -> None:
    secret = _create(cast, role="viewer").json()["key"]

    response = _key_client(secret).patch("/api/org/", {"name": "Hacked"}, format="json")

    assert response.status_code == 403
    assert client_for(cast.owner).get("/api/org/").json()["name"] == "Alpha Realty"


def test_key_cannot_be_above_admin_or_above_its_creator(cast: Cast) -> None:
    owner_key = _create(cast, role="owner", who=cast.owner)
    assert (owner_key.status_code, owner_key.json()["code"]) == (400, "role_not_allowed")
    assert not ApiKey.objects.exists()


def test_key_with_another_orgs_header_gets_404(cast: Cast) -> None:
    secret = _create(cast).json()["key"]

    response = _key_client(secret, org="bravo").get("/api/org/")

    assert response.status_code == 404
    assert response.json()["code"] == "org_not_found"


def test_revoked_expired_and_forged_keys_are_refused(cast: Cast) -> None:
    created = _create(cast).json()
    secret = created["key"]
    assert client_for(cast.admin).post(f"{KEYS}{created['id']}/revoke/").status_code == 200
    expiring = _create(cast).json()
    ApiKey.objects.filter(pk=expiring["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))

    revoked = _key_client(secret).get("/api/org/")
    expired = _key_client(expiring["key"]).get("/api/org/")
    forged = _key_client(secret[:-3] + "xyz").get("/api/org/")

    expected = {"code": "api_key_invalid", "detail": "The API key is invalid, revoked or expired.", "fields": {}}
    assert revoked.status_code == expired.status_code == forged.status_code == 401
    assert revoked.json() == expired.json() == forged.json() == expected


def test_key_dies_with_its_creators_membership(cast: Cast) -> None:
    secret = _create(cast).json()["key"]
    cast.admin.is_active = False
    cast.admin.save()

    assert _key_client(secret).get("/api/org/").status_code == 403


def test_keys_of_another_org_cannot_be_revoked(cast: Cast) -> None:
    created = _create(cast).json()

    response = client_for(cast.other_owner).post(f"{KEYS}{created['id']}/revoke/")

    assert response.status_code == 404
    assert ApiKey.objects.get(pk=created["id"]).revoked_at is None


def test_keys_are_throttled_per_key(cast: Cast, settings) -> None:
    settings.API_KEY_REQUESTS_PER_MINUTE = 3
    secret = _create(cast).json()["key"]
    client = _key_client(secret)

    statuses = [client.get("/api/org/").status_code for _ in range(5)]

    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]
    limited = client.get("/api/org/")
    assert int(limited["Retry-After"]) >= 1
    assert limited.json()["code"] == "throttled"
