"""drf-spectacular hooks: document only /api/ routes, and declare the `org` header on every tenant route."""

from __future__ import annotations

import re
from typing import Any

from django.urls import Resolver404, resolve

from common.access import Audience, Scope
from common.registry import route_access

ORG_HEADER = {
    "name": "org",
    "in": "header",
    "required": True,
    "description": "The organisation this request acts in: its id (UUID) or slug.",
    "schema": {"type": "string"},
}


def only_api_routes(endpoints: list[tuple[str, str, str, Any]], **kwargs: Any) -> list[tuple[str, str, str, Any]]:
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]


# Values that fit every path converter in use (uuid, slug, str), tried in turn to find a route's name.
_EXAMPLE_VALUES = ("00000000-0000-0000-0000-000000000000", "example")


def _view_name(path: str) -> str | None:
    """The route name of `/api/things/{id}/`, filling its parameters with a value its converters accept."""
    for value in _EXAMPLE_VALUES:
        try:
            return resolve(re.sub(r"\{[^}]+\}", value, path)).view_name
        except Resolver404:
            continue
    return None


def declare_org_header(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    for path, operations in result.get("paths", {}).items():
        name = _view_name(path)
        access = route_access(name) if name else None
        if access is None or access.scope != Scope.TENANT:
            continue
        for operation in operations.values():
            parameters = operation.setdefault("parameters", [])
            if not any(p.get("name") == "org" and p.get("in") == "header" for p in parameters):
                parameters.insert(0, dict(ORG_HEADER))
    return result


# --- The error contract ---------------------------------------------------------------------------------------

ERROR_ENVELOPE = {
    "type": "object",
    "description": "Every error, whatever its status: a machine-readable code, a sentence, and field errors.",
    "properties": {
        "code": {"type": "string", "description": "e.g. invalid, not_found, permission_denied, throttled"},
        "detail": {"type": "string"},
        "fields": {
            "type": "object",
            "description": "Per field (dotted for nested ones): the errors of that field; empty when none.",
            "additionalProperties": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"code": {"type": "string"}, "detail": {"type": "string"}},
                    "required": ["code", "detail"],
                },
            },
        },
    },
    "required": ["code", "detail", "fields"],
}

ERROR_DESCRIPTIONS = {
    "400": "Bad input: a field, a filter or a parameter (`fields` names each one).",
    "401": "No valid credentials (`not_authenticated`, `authentication_failed`, `token_not_valid`).",
    "403": "Not allowed: the role (`permission_denied`), a suspended org (`org_suspended`), 2FA required.",
    "404": "Not found: missing, another org's, or not visible to you; all the same answer (`not_found`).",
    "409": "Conflicts with the record's state (archived, a transition, a duplicate); `code` says which.",
    "412": "`If-Match` names an older version of the record (`precondition_failed`); reload and retry.",
    "413": "The body is over the size limit (`payload_too_large`).",
    "415": "The body's content type is not accepted (`unsupported_media_type`).",
    "429": "Too many requests (`throttled`); `Retry-After` says when to try again.",
}
_WRITES = {"post", "put", "patch", "delete"}


def _error_statuses(method: str, path: str, operation: dict[str, Any], access: Any) -> list[str]:
    has_body = "requestBody" in operation
    has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
    public = access is not None and access.allowed_for(method.upper()) == Audience.ANYONE
    statuses = ["429"]
    if has_body or has_query or method in _WRITES:
        statuses.append("400")
    if not public:
        statuses += ["401", "403"]
    if "{" in path or (access is not None and access.scope == Scope.TENANT):
        statuses.append("404")
    if method in _WRITES and "{" in path:
        statuses.append("409")
    if method in ("put", "patch") and "{" in path:
        statuses.append("412")
    if has_body:
        statuses += ["413", "415"]
    return statuses


def _summary(operation: dict[str, Any]) -> str:
    """The first sentence of the description, else the operation id in words."""
    description = (operation.get("description") or "").strip()
    if description:
        first = re.split(r"(?<=[.;:])\s", description.replace("\n", " "), maxsplit=1)[0]
        return first.rstrip(".;:")[:120]
    return operation.get("operationId", "").replace("_", " ").strip().capitalize()


def document_the_contract(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """Every operation answers errors in the one envelope: document each status it can give, give it a summary,
    and declare the `Api-Key` scheme integrations use beside the bearer token."""
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["ErrorEnvelope"] = ERROR_ENVELOPE
    schemes = components.setdefault("securitySchemes", {})
    schemes["apiKeyAuth"] = {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "An org API key: `Authorization: Api-Key <key>` (no `org` header needed).",
    }
    envelope = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}
    for path, operations in result.get("paths", {}).items():
        name = _view_name(path)
        access = route_access(name) if name else None
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            operation.setdefault("summary", _summary(operation))
            responses = operation.setdefault("responses", {})
            for status in _error_statuses(method, path, operation, access):
                responses.setdefault(status, {"description": ERROR_DESCRIPTIONS[status]})
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    response.setdefault("content", envelope)
            security = operation.get("security")
            if access is not None and access.scope == Scope.TENANT and security and {"bearerAuth": []} in security:
                security.append({"apiKeyAuth": []})
    return result
