"""Sessions end when the user says so: logout ends the session's access tokens on their next request, and a
replayed refresh token ends its whole family (OAuth 2.0 Security BCP), leaving the user's other sessions alone."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.testing.fixtures import PASSWORD, Cast, access_token_for, client_for

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login/"
REFRESH = "/api/auth/refresh/"
LOGOUT = "/api/auth/logout/"
ME = "/api/auth/me/"
TOKEN_INVALID = {"code": "token_invalid", "detail": "The access token is invalid or has expired.", "fields": {}}
REFRESH_INVALID = {
    "code": "token_invalid",
    "detail": "The refresh token is invalid, expired or already used.",
    "fields": {},
}


def _sign_in(email: str = "member@alpha.test") -> dict[str, str]:
    response = client_for(None).post(LOGIN, {"email": email, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    tokens: dict[str, str] = response.json()["tokens"]
    return tokens


def _post(path: str, body: dict[str, Any]) -> Any:
    return client_for(None).post(path, body, format="json")


def _tenant_get(access: str, org: str = "alpha") -> Any:
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}", HTTP_ORG=org)
    return client.get("/api/org/")


def _public_get(access: str) -> Any:
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get(ME)


def test_logout_ends_the_sessions_access_token_on_the_next_request(cast: Cast) -> None:
    tokens = _sign_in()
    assert _tenant_get(tokens["access"]).status_code == 200

    logout = _post(LOGOUT, {"refresh": tokens["refresh"]})
    tenant, public = _tenant_get(tokens["access"]), _public_get(tokens["access"])

    assert logout.status_code == 204
    assert (tenant.status_code, tenant.json()) == (401, TOKEN_INVALID)
    assert (public.status_code, public.json()) == (401, TOKEN_INVALID)


def test_logout_ends_access_tokens_minted_by_earlier_rotations_of_the_session(cast: Cast) -> None:
    first = _sign_in()
    second = _post(REFRESH, {"refresh": first["refresh"]}).json()

    assert _post(LOGOUT, {"refresh": second["refresh"]}).status_code == 204

    assert _tenant_get(first["access"]).status_code == 401
    assert _tenant_get(second["access"]).status_code == 401


def test_logout_leaves_the_users_other_sessions_signed_in(cast: Cast) -> None:
    laptop, phone = _sign_in(), _sign_in()

    assert _post(LOGOUT, {"refresh": laptop["refresh"]}).status_code == 204

    assert _tenant_get(phone["access"]).status_code == 200
    assert _post(REFRESH, {"refresh": phone["refresh"]}).status_code == 200


def test_a_replayed_refresh_token_ends_its_whole_family(cast: Cast) -> None:
    stolen = _sign_in()
    rotated = _post(REFRESH, {"refresh": stolen["refresh"]}).json()
    newest = _post(REFRESH, {"refresh": rotated["refresh"]}).json()

    replay = _post(REFRESH, {"refresh": stolen["refresh"]})

    assert (replay.status_code, replay.json()) == (401, REFRESH_INVALID)
    for access in (stolen["access"], rotated["access"], newest["access"]):
        assert _tenant_get(access).status_code == 401
    assert _post(REFRESH, {"refresh": newest["refresh"]}).json() == REFRESH_INVALID


def test_a_replayed_refresh_token_leaves_other_sessions_alone(cast: Cast) -> None:
    stolen, other = _sign_in(), _sign_in()
    _post(REFRESH, {"refresh": stolen["refresh"]})

    assert _post(REFRESH, {"refresh": stolen["refresh"]}).status_code == 401

    assert _tenant_get(other["access"]).status_code == 200
    assert _post(REFRESH, {"refresh": other["refresh"]}).status_code == 200


def test_logging_out_with_a_rotated_refresh_token_is_a_replay_that_ends_the_session(cast: Cast) -> None:
    first = _sign_in()
    second = _post(REFRESH, {"refresh": first["refresh"]}).json()

    stale_logout = _post(LOGOUT, {"refresh": first["refresh"]})

    assert (stale_logout.status_code, stale_logout.json()) == (401, REFRESH_INVALID)
    assert _tenant_get(second["access"]).status_code == 401
    assert _post(REFRESH, {"refresh": second["refresh"]}).status_code == 401


def test_the_revocation_check_adds_no_query_to_a_tenant_request(cast: Cast) -> None:
    tokens, ended = _sign_in(), _sign_in()
    _post(LOGOUT, {"refresh": ended["refresh"]})
    without_session = access_token_for(cast.member.user)  # a token that carries no session id
    counted = []
    for access in (without_session, tokens["access"], without_session, tokens["access"]):
        with CaptureQueriesContext(connection) as queries:
            assert _tenant_get(access).status_code == 200
        counted.append(len(queries))

    assert counted[2] == counted[3], counted  # warm caches: the session check costs no query
