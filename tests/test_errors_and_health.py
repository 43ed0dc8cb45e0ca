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


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "owner"])
def test_a_body_over_the_upload_limit_is_a_413_in_the_envelope(cast, who: str, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    body = '{"name": "' + "x" * (2 * 1024 * 1024) + '"}'
    client = client_for(None if who == "anonymous" else cast.owner)

    response = client.post("/api/auth/login/" if who == "anonymous" else "/api/contacts/", body,
                           content_type="application/json")  # fmt: skip

    assert response.status_code == 413
    assert response.json() == {
        "code": "payload_too_large",
        "detail": "The request body is too large: at most 1 MB (files go in multipart uploads).",
        "fields": {},
    }
