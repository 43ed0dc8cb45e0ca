"""One precedence for every record write, in every module the registry mounts: a record the caller cannot see
is a 404, then a stale If-Match is a 412 and an archived record a 409, all before anything about the body is
looked at (HTTP evaluates preconditions first); only then come the body's field errors and the module's rules."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from common import registry
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.matrix import Call

pytestmark = pytest.mark.django_db
# Wrong in every module: assignees must be a list of member ids, tags a list of words.
INVALID_BODY = {"assigned_to": "nobody", "tags": 7}


def _record_apis() -> list[tuple[str, dict[str, dict[str, Call]]]]:
    found = []
    for module in registry.modules():
        for api in module.record_apis:
            specs = importlib.import_module(f"{module.name}.tests.matrix").MATRIX_SPECS
            found.append((api.prefix, specs))
    return found


RECORD_APIS = _record_apis()
IDS = [prefix for prefix, _ in RECORD_APIS]


def _record(cast: Cast, specs: dict[str, dict[str, Call]], route: str, method: str) -> Any:
    call = specs[route][method]
    made = call.setup(cast)
    return call.kwargs(cast, made)["pk"]


@pytest.mark.parametrize(("prefix", "specs"), RECORD_APIS, ids=IDS)
def test_a_stale_if_match_is_a_412_before_the_body_is_validated(cast: Cast, prefix: str, specs: Any) -> None:
    pk = _record(cast, specs, f"api:{prefix}-detail", "PATCH")

    response = client_for(cast.owner).patch(
        f"/api/{prefix}/{pk}/", INVALID_BODY, format="json", HTTP_IF_MATCH='"stale"'
    )

    assert response.status_code == 412
    assert response.json() == {
        "code": "precondition_failed",
        "detail": "The record changed since you loaded it. Reload it and apply your change again.",
        "fields": {},
    }


@pytest.mark.parametrize(("prefix", "specs"), RECORD_APIS, ids=IDS)
def test_an_archived_record_is_a_409_before_the_body_is_validated(cast: Cast, prefix: str, specs: Any) -> None:
    pk = _record(cast, specs, f"api:{prefix}-restore", "POST")  # the restore spec makes an archived record

    response = client_for(cast.owner).patch(f"/api/{prefix}/{pk}/", INVALID_BODY, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "code": "archived",
        "detail": "Archived records cannot be changed. Restore it first.",
        "fields": {},
    }


@pytest.mark.parametrize(("prefix", "specs"), RECORD_APIS, ids=IDS)
def test_a_matching_if_match_lets_the_body_be_judged(cast: Cast, prefix: str, specs: Any) -> None:
    pk = _record(cast, specs, f"api:{prefix}-detail", "PATCH")
    client = client_for(cast.owner)
    etag = client.get(f"/api/{prefix}/{pk}/")["ETag"]

    response = client.patch(f"/api/{prefix}/{pk}/", INVALID_BODY, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"assigned_to", "tags"}


@pytest.mark.parametrize(("prefix", "specs"), RECORD_APIS, ids=IDS)
def test_a_record_of_another_org_is_a_404_whatever_the_if_match(cast: Cast, prefix: str, specs: Any) -> None:
    pk = _record(cast, specs, f"api:{prefix}-detail", "PATCH")

    response = client_for(cast.other_owner).patch(
        f"/api/{prefix}/{pk}/", INVALID_BODY, format="json", HTTP_IF_MATCH='"stale"'
    )

    assert response.status_code == 404
