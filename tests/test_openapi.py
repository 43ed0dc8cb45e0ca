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
