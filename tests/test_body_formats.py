"""How a body must be sent: JSON with a JSON content type (or a real form); JSON sent as a form is a 415."""

from __future__ import annotations

import pytest

from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db

JSON_AS_FORM = {
    "code": "unsupported_media_type",
    "detail": "This body is JSON: send it with the header Content-Type: application/json.",
    "fields": {},
}


@pytest.mark.parametrize("body", ['{"first_name": "Ada"}', '  [{"first_name": "Ada"}]'])
def test_json_sent_with_a_form_content_type_is_a_415_that_says_so(cast: Cast, body: str) -> None:
    client = client_for(cast.owner)

    response = client.post("/api/leads/", body, content_type="application/x-www-form-urlencoded")

    assert (response.status_code, response.json()) == (415, JSON_AS_FORM)
    assert client.get("/api/leads/").json()["count"] == 0


def test_a_real_form_and_real_json_are_both_understood(cast: Cast) -> None:
    client = client_for(cast.owner)

    as_form = client.post("/api/leads/", "first_name=Ada", content_type="application/x-www-form-urlencoded")
    as_json = client.post("/api/leads/", '{"first_name": "Grace"}', content_type="application/json")

    assert (as_form.status_code, as_json.status_code) == (201, 201)


def test_an_unknown_content_type_is_a_415_in_the_envelope(cast: Cast) -> None:
    response = client_for(cast.owner).post("/api/leads/", "first_name: Ada", content_type="text/yaml")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
