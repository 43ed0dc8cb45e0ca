"""A body names only fields its request has: anything else is a 400 `unknown_field` naming it, before anything
is written (as Stripe does). What a GET answered may be sent back: read-only fields are known, and ignored."""

from __future__ import annotations

import pytest

from common.context import org_context
from leads.models import Lead
from tasks.models import Task
from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db

NOT_A_FIELD = {"code": "unknown_field", "detail": "Not a field of this request."}


def test_a_misnamed_field_is_refused_by_name_and_nothing_is_written(cast: Cast) -> None:
    contact = client_for(cast.owner).post("/api/contacts/", {"first_name": "Ada"}, format="json").json()

    response = client_for(cast.owner).post(
        "/api/tasks/",
        {"title": "Call Ada", "related_type": "contacts.contact", "lead": contact["id"]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"code": "unknown_field", "detail": "Not a field of this request.",
                               "fields": {"lead": [NOT_A_FIELD]}}  # fmt: skip
    with org_context(cast.org_a):
        assert not Task.objects.filter(title="Call Ada").exists()


def test_every_unknown_field_is_named_in_a_patch_and_the_record_is_unchanged(cast: Cast) -> None:
    created = client_for(cast.owner).post("/api/leads/", {"first_name": "Bo"}, format="json")
    url = f"/api/leads/{created.json()['id']}/"

    response = client_for(cast.owner).patch(
        url, {"first_name": "Bob", "nmae": "x", "colour": "red"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"nmae", "colour"}
    with org_context(cast.org_a):
        assert Lead.objects.get(pk=created.json()["id"]).first_name == "Bo"


def test_what_a_get_answered_can_be_put_back(cast: Cast) -> None:
    client = client_for(cast.owner)
    created = client.post("/api/tasks/", {"title": "Stage the flat"}, format="json").json()
    loaded = client.get(f"/api/tasks/{created['id']}/")

    body = {**loaded.json(), "title": "Stage the loft"}
    saved = client.put(f"/api/tasks/{created['id']}/", body, format="json", HTTP_IF_MATCH=loaded["ETag"])

    assert saved.status_code == 200, saved.json()
    assert saved.json()["title"] == "Stage the loft"


def test_nested_bodies_are_strict_too(cast: Cast) -> None:
    response = client_for(cast.owner).post(
        "/api/invoices/",
        {"lines": [{"description": "Drone video", "quantity": "1", "unit_price": "480", "price": "480"}]},
        format="json",
    )

    assert response.status_code == 400
    assert "lines.0.price" in response.json()["fields"], response.json()


def test_a_public_web_form_may_carry_fields_of_its_own(cast: Cast) -> None:
    """An HTML form on an agency's site posts its submit button and tracking fields too; they are ignored."""
    form = client_for(cast.owner).post("/api/leads/forms/", {"name": "Site form"}, format="json").json()

    response = client_for(None).post(
        "/api/public/leads/",
        {"form_token": form["token"], "first_name": "Cy", "email": "cy@example.test", "submit": "Send",
         "utm_source": "newsletter"},
    )  # fmt: skip

    assert response.status_code == 201, response.json()
