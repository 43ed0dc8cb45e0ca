"""The OpenAPI schema validates with no warnings, declares the org header on tenant routes, and is served."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command

from tenants.testing.fixtures import client_for


def test_schema_validates_with_no_warnings(tmp_path) -> None:
    out = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    schema = yaml.safe_load(out.read_text())
    assert schema["openapi"].startswith("3.")
    assert "/api/org/" in schema["paths"]


def test_org_header_is_declared_on_tenant_routes_only(tmp_path) -> None:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(out))
    paths = yaml.safe_load(out.read_text())["paths"]

    def org_header(path: str, method: str) -> list[dict]:
        return [p for p in paths[path][method].get("parameters", []) if p["in"] == "header" and p["name"] == "org"]

    assert org_header("/api/org/", "get") == [
        {
            "name": "org",
            "in": "header",
            "required": True,
            "description": "The organisation this request acts in: its id (UUID) or slug.",
            "schema": {"type": "string"},
        }
    ]
    assert org_header("/api/auth/login/", "post") == []
    assert org_header("/api/auth/me/", "get") == []


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_are_served_with_local_assets(path: str) -> None:
    response = client_for(None).get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    # Nothing from another host: the reference works offline and tells no third party who reads it.
    assert "cdn." not in html and "unpkg" not in html
    assert "https://" not in html and "http://" not in html.replace("http://testserver", "")


@pytest.mark.django_db
def test_schema_endpoint_serves_json_schema() -> None:
    response = client_for(None).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--file", str(out))
    return yaml.safe_load(out.read_text())


def _operations(schema: dict):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def test_every_operation_has_a_summary_and_documents_its_errors_in_the_envelope(schema: dict) -> None:
    envelope = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for path, method, operation in _operations(schema):
        assert operation.get("summary"), (path, method)
        errors = {status: response for status, response in operation["responses"].items() if status >= "400"}
        assert "429" in errors, (path, method)
        for status, response in errors.items():
            if status == "414":  # answered by the web server in front of the API, before it runs
                assert "content" not in response, (path, method)
                continue
            assert response["content"]["application/json"]["schema"] == envelope, (path, method, status)
    assert schema["components"]["schemas"]["ErrorEnvelope"]["required"] == ["code", "detail", "fields"]


def test_record_writes_document_their_preconditions_and_body_limits(schema: dict) -> None:
    patch = schema["paths"]["/api/leads/{id}/"]["patch"]["responses"]
    public_list = schema["paths"]["/api/public/orgs/{org_slug}/properties/"]["get"]["responses"]

    assert {"400", "401", "403", "404", "409", "412", "413", "415", "429"} <= set(patch)
    assert "401" not in public_list and "403" not in public_list  # nobody signs in to a public route


def test_tenant_routes_take_an_api_key_as_well_as_a_bearer_token(schema: dict) -> None:
    assert schema["components"]["securitySchemes"]["apiKeyAuth"]["name"] == "Authorization"
    assert {"apiKeyAuth": []} in schema["paths"]["/api/leads/"]["get"]["security"]
    assert (
        "security" not in schema["paths"]["/api/auth/login/"]["post"]
        or {"apiKeyAuth": []} not in (schema["paths"]["/api/auth/login/"]["post"]["security"])
    )


def test_summaries_that_may_be_absent_are_nullable(schema: dict) -> None:
    deal = schema["components"]["schemas"]["Deal"]["properties"]

    for name in ("contact_summary", "company_summary", "property_summary"):
        assert deal[name].get("nullable") or any(
            option.get("nullable") for option in deal[name].get("allOf", []) + deal[name].get("oneOf", [])
        ), name
