"""Schema-driven fuzzing: every operation in the OpenAPI schema, fed wrong types, malformed JSON, unknown and
malformed ids and junk query values, answers in the error envelope and never with a 500."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from common.access import Audience, Scope
from common.registry import route_access
from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db

ENVELOPE_KEYS = {"code", "detail", "fields"}


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema.get("components", {}).get("schemas", {})
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                found.append((path, method, {"operation": operation, "components": components}))
    return found


def _resolve(node: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = components[node["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in node:
        merged: dict[str, Any] = {"type": "object", "properties": {}}
        for part in node["allOf"]:
            merged["properties"].update(_resolve(part, components).get("properties", {}))
        return merged
    return node


def _wrong_value(prop: dict[str, Any], components: dict[str, Any]) -> Any:
    """A value of the wrong type (or an impossible one) for a property of this schema."""
    prop = _resolve(prop, components)
    kind, fmt = prop.get("type"), prop.get("format")
    if fmt == "uuid":
        return "not-a-uuid"
    if fmt in {"date", "date-time"}:
        return "sometime soon"
    if kind == "string" or "enum" in prop:
        return {"nested": ["not", "a", "string"]}
    if kind in {"integer", "number"}:
        return "many"
    if kind == "boolean":
        return {"maybe": True}
    if kind == "array":
        return "not-a-list"
    if kind == "object":
        return 7
    return [None, {"?": "!"}]


def _junk_query(parameter: dict[str, Any]) -> str:
    kind = parameter.get("schema", {}).get("type")
    fmt = parameter.get("schema", {}).get("format")
    if fmt == "uuid":
        return "not-a-uuid"
    if fmt in {"date", "date-time"}:
        return "the day after tomorrow"
    if kind in {"integer", "number"}:
        return "-1e999x"
    return "%00'\";--<script>"


def _url(path: str, operation: dict[str, Any], value: str) -> str:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", value)
    return path


def _caller(cast: Cast, path: str, method: str) -> Any:
    from django.urls import resolve

    match = resolve(path)
    access = route_access(match.view_name)
    assert access is not None, path
    if access.scope == Scope.TENANT:
        return client_for(cast.owner, org=cast.org_a)
    if access.scope == Scope.PLATFORM:
        return client_for(cast.platform_admin)
    allowed = access.allowed_for(method.upper())
    return client_for(cast.outsider) if allowed == Audience.AUTHENTICATED else client_for(None)


# One real record per record module, so detail routes get past the lookup and their validation is fuzzed too.
RECORD_BODIES = {
    "leads": {"first_name": "Fuzz"},
    "contacts": {"first_name": "Fuzz"},
    "companies": {"name": "Fuzz Holdings"},
    "deals": {"name": "Fuzz deal"},
    "cases": {"subject": "Fuzz case"},
    "tasks": {"title": "Fuzz task"},
}


def _real_ids(cast: Cast) -> dict[str, str]:
    owner = client_for(cast.owner, org=cast.org_a)
    ids = {}
    for module, body in RECORD_BODIES.items():
        response = owner.post(f"/api/{module}/", body, format="json")
        assert response.status_code == 201, (module, response.content)
        ids[f"/api/{module}/{{id}}/"] = response.json()["id"]
    return ids


def _problem(response: Any) -> str | None:
    if response.status_code >= 500:
        return f"{response.status_code}"
    if response.status_code >= 400:
        try:
            body = json.loads(response.content)
        except ValueError:
            return f"{response.status_code} without a JSON body"
        if not isinstance(body, dict) or set(body) != ENVELOPE_KEYS:
            return f"{response.status_code} outside the envelope: {body!r}"[:200]
    return None


def test_every_operation_refuses_bad_input_in_the_envelope_and_never_with_a_500(cast: Cast) -> None:
    problems: list[str] = []
    operations = _operations()
    assert len(operations) > 100

    real_ids = _real_ids(cast)

    for path, method, context in operations:
        operation, components = context["operation"], context["components"]
        real = next((pk for prefix, pk in real_ids.items() if path.startswith(prefix)), None)
        # An id nobody has (a 404), one that is not an id at all (no route, or a 404 as well), and for record
        # routes a real record, so the body is validated.
        for id_value in (str(uuid.uuid4()), "not-a-uuid", *([real] if real else [])):
            url = _url(path, operation, id_value)
            if "{" in url:
                continue
            try:
                client = _caller(cast, _url(path, operation, str(uuid.uuid4())), method)
            except Exception as error:  # a path the resolver cannot place is a finding, not a crash
                problems.append(f"{method.upper()} {path}: {error!r}")
                break
            call = getattr(client, method)
            query = {p["name"]: _junk_query(p) for p in operation.get("parameters", []) if p["in"] == "query"}
            attempts: list[tuple[str, Any]] = []
            if method == "get":
                attempts.append(("junk query", call(url, query)))
            else:
                body_schema = operation.get("requestBody", {}).get("content", {})
                schema = body_schema.get("application/json", {}).get("schema") or next(
                    (content.get("schema") for content in body_schema.values()), None
                )
                properties = _resolve(schema, components).get("properties", {}) if schema else {}
                wrong = {name: _wrong_value(prop, components) for name, prop in properties.items()}
                attempts.append(("wrong types", call(url, wrong, format="json")))
                attempts.append(("malformed JSON", call(url, "{not json", content_type="application/json")))
                attempts.append(("a list body", call(url, "[1, 2, 3]", content_type="application/json")))
            for label, response in attempts:
                problem = _problem(response)
                if problem:
                    problems.append(f"{method.upper()} {url} ({label}): {problem}")

    assert problems == []
