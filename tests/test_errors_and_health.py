"""The JSON error envelope everywhere under /api/, and the health check."""

from __future__ import annotations

import pytest

from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db


def test_unknown_api_path_is_a_json_404() -> None:
    response = client_for(None).get("/api/no-such-thing/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "not_found", "detail": "Not found.", "fields": {}}


def test_unknown_api_path_is_a_json_404_even_with_debug_on(settings) -> None:
    settings.DEBUG = True

    response = client_for(None).get("/api/no-such-thing/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_wrong_method_is_a_json_405(cast: Cast) -> None:
    response = client_for(cast.owner).delete("/api/org/")

    assert response.status_code == 405
    assert response.json() == {
        "code": "method_not_allowed",
        "detail": 'Method "DELETE" not allowed.',
        "fields": {},
    }


def test_malformed_json_is_a_400_parse_error() -> None:
    response = client_for(None).post("/api/auth/login/", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_health_reports_database_and_redis_ok() -> None:
    response = client_for(None).get("/health/")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok"}


def test_health_is_503_naming_redis_when_redis_is_unreachable(settings, tmp_path) -> None:
    settings.REDIS_URL = f"unix://{tmp_path}/no-redis-here.sock"

    response = client_for(None).get("/health/")

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "redis": "unavailable"}
