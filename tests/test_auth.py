"""Sign-up, sign-in, token rotation, logout and password change, end to end over the API."""

from __future__ import annotations

import pytest
from django.db import connection
from django_tenants.utils import schema_exists

from common.models import Profile, Role, User
from tenants.models import Org
from tenants.testing.fixtures import PASSWORD, Cast, client_for

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
LOGIN = "/api/auth/login/"
REFRESH = "/api/auth/refresh/"
LOGOUT = "/api/auth/logout/"
ME = "/api/auth/me/"
PASSWORD_CHANGE = "/api/auth/password/change/"


def _register(email: str = "dana@delta.test", password: str = "Sturdy-Passphrase-42", **extra: str):
    body = {"email": email, "password": password, "name": "Dana", "org_name": "Delta Homes", **extra}
    return client_for(None).post(REGISTER, body, format="json")


def _login(email: str, password: str = PASSWORD):
    return client_for(None).post(LOGIN, {"email": email, "password": password}, format="json")


def test_register_creates_user_org_schema_and_owner_profile() -> None:
    response = _register()

    assert response.status_code == 201, response.json()
    body = response.json()
    user = User.objects.get(email="dana@delta.test")
    org = Org.objects.get(pk=body["org"]["id"])
    assert body["user"]["email"] == "dana@delta.test"
    assert body["org"]["name"] == "Delta Homes"
    assert body["org"]["slug"] == "delta-homes"
    assert body["role"] == "owner"
    assert set(body["tokens"]) == {"access", "refresh"}
    assert org.schema_name == f"org_{org.pk.hex}"
    assert schema_exists(org.schema_name)
    assert Profile.objects.get(user=user, org=org).role == Role.OWNER
    assert connection.schema_name == "public"


def test_registered_owner_can_call_the_org_route_with_the_issued_token() -> None:
    body = _register().json()
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['tokens']['access']}", HTTP_ORG=body["org"]["slug"])

    response = client.get("/api/org/")

    assert response.status_code == 200
    assert response.json()["role"] == "owner"
    assert response.json()["id"] == body["org"]["id"]


def test_register_duplicate_email_any_case_is_email_taken_and_creates_nothing(cast: Cast) -> None:
    orgs_before, users_before = Org.objects.count(), User.objects.count()

    response = _register(email="OWNER@Alpha.test")

    assert response.status_code == 400
    assert response.json() == {
        "code": "email_taken",
        "detail": "The account could not be created.",
        "fields": {"email": [{"code": "email_taken", "detail": "An account with this email already exists."}]},
    }
    assert (Org.objects.count(), User.objects.count()) == (orgs_before, users_before)


def test_register_weak_password_gets_field_errors_and_creates_nothing() -> None:
    orgs_before = Org.objects.count()

    response = _register(password="12345")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    codes = {error["code"] for error in body["fields"]["password"]}
    assert {"password_too_short", "password_too_common", "password_entirely_numeric"} <= codes
    assert not User.objects.filter(email="dana@delta.test").exists()
    assert Org.objects.count() == orgs_before


def test_register_missing_fields_are_required_field_errors() -> None:
    response = client_for(None).post(REGISTER, {}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "required"
    assert set(body["fields"]) == {"email", "password", "name", "org_name"}


def test_login_returns_tokens_and_memberships(cast: Cast) -> None:
    response = _login("manager@alpha.test")

    assert response.status_code == 200
    body = response.json()
    assert set(body["tokens"]) == {"access", "refresh"}
    assert body["user"]["email"] == "manager@alpha.test"
    assert [(m["org"]["slug"], m["role"]) for m in body["memberships"]] == [("alpha", "manager")]


def test_login_lists_every_org_of_a_user_with_several(cast: Cast) -> None:
    Profile.objects.create(user=cast.member.user, org=cast.org_b, role=Role.VIEWER)

    body = _login("member@alpha.test").json()

    assert [(m["org"]["slug"], m["role"]) for m in body["memberships"]] == [
        ("alpha", "member"),
        ("bravo", "viewer"),
    ]


def test_wrong_password_and_unknown_email_get_the_same_401(cast: Cast) -> None:
    wrong = _login("owner@alpha.test", "not-the-password")
    unknown = _login("nobody@alpha.test", "not-the-password")

    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.json()
        == unknown.json()
        == {
            "code": "invalid_credentials",
            "detail": "No account matches this email and password.",
            "fields": {},
        }
    )


def test_refresh_rotates_and_a_rotated_token_cannot_be_reused(cast: Cast) -> None:
    tokens = _login("owner@alpha.test").json()["tokens"]

    rotated = client_for(None).post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    reused = client_for(None).post(REFRESH, {"refresh": tokens["refresh"]}, format="json")

    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"}
    assert rotated.json()["refresh"] != tokens["refresh"]
    assert reused.status_code == 401
    assert reused.json()["code"] == "token_invalid"
    # The replay ended the whole session (tests/test_sessions.py), the rotated token with it.
    again = client_for(None).post(REFRESH, {"refresh": rotated.json()["refresh"]}, format="json")
    assert again.status_code == 401


def test_logout_then_refresh_is_401(cast: Cast) -> None:
    tokens = _login("owner@alpha.test").json()["tokens"]

    logout = client_for(None).post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")
    refresh = client_for(None).post(REFRESH, {"refresh": tokens["refresh"]}, format="json")

    assert logout.status_code == 204
    assert refresh.status_code == 401
    assert refresh.json()["code"] == "token_invalid"


def test_refresh_with_garbage_is_401() -> None:
    response = client_for(None).post(REFRESH, {"refresh": "not-a-token"}, format="json")

    assert response.status_code == 401
    assert response.json() == {
        "code": "token_invalid",
        "detail": "The refresh token is invalid, expired or already used.",
        "fields": {},
    }


def test_password_change_kills_older_access_and_refresh_tokens(cast: Cast) -> None:
    old = _login("owner@alpha.test").json()["tokens"]
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {old['access']}", HTTP_ORG="alpha")
    assert client.get("/api/org/").status_code == 200

    changed = client.post(
        PASSWORD_CHANGE,
        {"current_password": PASSWORD, "new_password": "Another-Sturdy-Phrase-77"},
        format="json",
    )

    assert changed.status_code == 200
    old_access = client.get("/api/org/")
    assert old_access.status_code == 401
    assert old_access.json()["code"] == "token_invalid"
    assert client.get(ME).status_code == 401
    assert client_for(None).post(REFRESH, {"refresh": old["refresh"]}, format="json").status_code == 401
    fresh = client_for(None)
    fresh.credentials(HTTP_AUTHORIZATION=f"Bearer {changed.json()['access']}", HTTP_ORG="alpha")
    assert fresh.get("/api/org/").status_code == 200
    assert _login("owner@alpha.test", "Another-Sturdy-Phrase-77").status_code == 200


def test_password_change_with_wrong_current_password_changes_nothing(cast: Cast) -> None:
    response = client_for(cast.owner.user).post(
        PASSWORD_CHANGE, {"current_password": "wrong", "new_password": "Another-Sturdy-Phrase-77"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "password_incorrect"
    user = User.objects.get(pk=cast.owner.user_id)
    assert user.check_password(PASSWORD)
    assert user.token_version == cast.owner.user.token_version


def test_password_change_needs_a_token() -> None:
    response = client_for(None).post(PASSWORD_CHANGE, {}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_me_returns_user_and_memberships(cast: Cast) -> None:
    response = client_for(cast.viewer.user).get(ME)

    assert response.status_code == 200
    body = response.json()
    assert body["user"]["email"] == "viewer@alpha.test"
    assert [(m["org"]["slug"], m["role"], m["is_active"]) for m in body["memberships"]] == [
        ("alpha", "viewer", True)
    ]


def test_me_without_a_token_is_401() -> None:
    response = client_for(None).get(ME)

    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
        "fields": {},
    }
