"""An org API key is resolved by one resolver wherever it is used: a tenant route of the API and the public
web-to-lead endpoint give the same answer for the same state of the key, its org and its creator."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from common.context import org_context
from common.models import Profile
from leads.models import Lead
from tenants.models import Org
from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db
WEB_TO_LEAD = "/api/public/leads/"


def _secret(cast: Cast) -> str:
    response = client_for(cast.admin).post(
        "/api/org/api-keys/", {"name": "Zapier", "role": "member"}, format="json"
    )
    assert response.status_code == 201, response.json()
    return str(response.json()["key"])


def _both_paths(secret: str) -> tuple[tuple[int, dict], tuple[int, dict]]:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    api = client.get("/api/leads/")
    web = client.post(WEB_TO_LEAD, {"first_name": "Ada", "email": "ada@example.test"}, format="json")
    return (api.status_code, api.json()), (web.status_code, web.json())


def _no_leads(cast: Cast) -> bool:
    with org_context(cast.org_a):
        return not Lead.objects.exists()


@pytest.mark.parametrize(
    ("status", "code", "detail"),
    [
        ("suspended", "org_suspended", "This organisation is suspended."),
        ("deleting", "org_deleting", "This organisation is scheduled for deletion."),
    ],
)
def test_an_org_that_is_not_active_answers_the_same_on_the_api_and_on_web_to_lead(
    cast: Cast, status: str, code: str, detail: str
) -> None:
    secret = _secret(cast)
    Org.objects.filter(pk=cast.org_a.pk).update(status=status)

    api, web = _both_paths(secret)

    assert api == web == (403, {"code": code, "detail": detail, "fields": {}})
    assert _no_leads(cast)


def test_a_key_whose_creator_was_deactivated_answers_the_same_on_both_paths(cast: Cast) -> None:
    secret = _secret(cast)
    Profile.objects.filter(pk=cast.admin.pk).update(is_active=False)

    api, web = _both_paths(secret)

    detail = "Your membership of this organisation is inactive."
    assert api == web == (403, {"code": "membership_inactive", "detail": detail, "fields": {}})
    assert _no_leads(cast)


def test_a_made_up_key_answers_the_same_on_both_paths(cast: Cast) -> None:
    api, web = _both_paths("ksk_000000000000_made-up")

    detail = "The API key is invalid, revoked or expired."
    assert api == web == (401, {"code": "api_key_invalid", "detail": detail, "fields": {}})
