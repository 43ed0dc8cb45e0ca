"""drf-spectacular hooks: document only /api/ routes, and declare the `org` header on every tenant route."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.urls import Resolver404, resolve
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiResponse

from common.access import Audience, Scope
from common.registry import route_access
from common.strict_fields import lenient_serializers

ORG_HEADER = {
    "name": "org",
    "in": "header",
    "required": True,
    "description": "The organisation this request acts in: its id (UUID) or slug.",
    "schema": {"type": "string"},
}


def only_api_routes(endpoints: list[tuple[str, str, str, Any]], **kwargs: Any) -> list[tuple[str, str, str, Any]]:
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]


class DecimalStringSchema(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    """A decimal as the string the API reads: at least one digit (drf-spectacular's own pattern also matches "",
    "-" and "."), no sign where the field takes no negative value, and the whole and decimal digits it allows."""

    target_class = "rest_framework.fields.DecimalField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        field = self.target
        places = field.decimal_places
        whole = field.max_whole_digits
        sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
        digits = r"\d+" if whole is None else (r"0" if whole == 0 else rf"\d{{1,{whole}}}")
        if places == 0:
            pattern = rf"^{sign}0*{digits}$"
        else:
            fraction = r"\d" + ("*" if places is None else f"{{0,{places}}}")
            some_fraction = r"\d" + ("+" if places is None else f"{{1,{places}}}")
            # Leading zeros are no digits of the value: "007.50" is 7.50; "7." and ".5" are numbers too.
            pattern = rf"^{sign}(?:0*{digits}(?:\.{fraction})?|0*\.{some_fraction})$"
        smallest = Decimal(1).scaleb(-places) if places else Decimal(1)
        if field.min_value is not None and field.min_value == smallest and places and whole:
            # More than zero: a non-zero digit in the whole part, or else in the fraction.
            nonzero_fraction = "|".join(
                rf"0{{{zeros}}}[1-9]\d{{0,{places - zeros - 1}}}" for zeros in range(places)
            )
            pattern = rf"^(?:0*[1-9]\d{{0,{whole - 1}}}(?:\.\d{{0,{places}}})?|0*\.(?:{nonzero_fraction}))$"
        if field.allow_null:
            pattern = f"^(?:|{pattern[1:-1]})$"  # "" is read as null, as DRF reads it
        return {"type": "string", "format": "decimal", "pattern": pattern}


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
    "410": "The link or invitation was used, revoked or has expired (`token_used`, `invitation_revoked`...).",
    "412": "`If-Match` names an older version of the record (`precondition_failed`); reload and retry.",
    "413": "The body is over the size limit (`payload_too_large`).",
    "414": "The URL is longer than the web server reads (its query string, most often); sent before the API runs.",
    "415": "The body's content type is not accepted (`unsupported_media_type`).",
    "429": "Too many requests (`throttled`); `Retry-After` says when to try again.",
}
_WRITES = {"post", "put", "patch", "delete"}
# For operations that answer a spent link or invitation (they list it in their own responses).
GONE = OpenApiResponse(description=ERROR_DESCRIPTIONS["410"])


def _error_statuses(method: str, path: str, operation: dict[str, Any], access: Any) -> list[str]:
    has_body = "requestBody" in operation
    has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
    public = access is not None and access.allowed_for(method.upper()) == Audience.ANYONE
    statuses = ["429"]
    if has_body or has_query or method in _WRITES:
        statuses.append("400")
    # A credential that is wrong, expired or used is a 401: on every signed-in route, and on the public routes
    # that take one (a login, a refresh token); the org's public pages take none.
    if not (public and path.startswith("/api/public/")):
        statuses.append("401")
    if not public:
        statuses.append("403")
    tenant = access is not None and access.scope == Scope.TENANT
    if tenant and "400" not in statuses:
        statuses.append("400")  # the `org` header missing or malformed (`org_required`)
    # Platform routes are a 404 to everyone but platform admins: they do not show that they exist.
    platform = access is not None and access.scope == Scope.PLATFORM
    if "{" in path or tenant or platform:
        statuses.append("404")
    if method in _WRITES:
        statuses.append("409")  # a duplicate, or a rule of the record's or the org's state
    if method in ("put", "patch") and "{" in path:
        statuses.append("412")
    if has_body:
        statuses += ["413", "415"]
    statuses.append("414")
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
            _document_json_bodies_as_json(operation, components["schemas"])
            responses = operation.setdefault("responses", {})
            for status in _error_statuses(method, path, operation, access):
                responses.setdefault(status, {"description": ERROR_DESCRIPTIONS[status]})
            for status, response in responses.items():
                # A 414 comes from the web server in front of the API, not in the envelope.
                if status.startswith(("4", "5")) and status != "414":
                    response.setdefault("content", envelope)
            security = operation.get("security")
            if access is not None and access.scope == Scope.TENANT and security and {"bearerAuth": []} in security:
                security.append({"apiKeyAuth": []})
    _blank_emails_are_not_formatted(components["schemas"])
    _request_bodies_are_closed(result, components["schemas"])
    return result


FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_file(schema: Any, schemas: dict[str, Any], seen: frozenset[str] = frozenset()) -> bool:
    if isinstance(schema, dict):
        reference = schema.get("$ref")
        if isinstance(reference, str):
            name = reference.rsplit("/", 1)[-1]
            return name not in seen and _has_file(schemas.get(name), schemas, seen | {name})
        if schema.get("format") == "binary":
            return True
        return any(_has_file(value, schemas, seen) for value in schema.values())
    if isinstance(schema, list):
        return any(_has_file(item, schemas, seen) for item in schema)
    return False


def _document_json_bodies_as_json(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    """A body without files is documented as JSON only. Forms are still read (a `curl -d a=b` works), but a form
    cannot say null, an empty list or a nested object, so the JSON schema does not describe one."""
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content or _has_file(content["application/json"].get("schema"), schemas):
        return
    for media_type in FORM_MEDIA_TYPES:
        content.pop(media_type, None)


def _blank_emails_are_not_formatted(schemas: dict[str, Any]) -> None:
    """An email field that may be blank answers "", which is no email address: in what the API answers, its
    `format: email` stays only where the request side says it cannot be blank (a `minLength`)."""
    for name, schema in schemas.items():
        if name.endswith("Request"):
            continue
        twin = schemas.get(f"{name}Request") or schemas.get(f"Patched{name}Request") or {}
        for field, prop in schema.get("properties", {}).items():
            blank_allowed = not twin.get("properties", {}).get(field, {}).get("minLength")
            if isinstance(prop, dict) and prop.get("format") == "email" and blank_allowed:
                del prop["format"]


def _request_bodies_are_closed(result: dict[str, Any], schemas: dict[str, Any]) -> None:
    """A body names only the fields its request documents (common.strict_fields refuses any other with 400
    `unknown_field`), except the few serializers that take and ignore the rest (an HTML form's submit button)."""
    lenient = {cls.__name__.removesuffix("Serializer") for cls in lenient_serializers()}
    for name, schema in schemas.items():
        base = name.removeprefix("Patched").removesuffix("Request")
        if name.endswith("Request") and schema.get("type") == "object" and base not in lenient:
            schema.setdefault("additionalProperties", False)
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {}) if isinstance(operation, dict) else {}
            for media in content.values():
                schema = media.get("schema", {})
                if schema.get("type") == "object" and "properties" in schema:
                    schema.setdefault("additionalProperties", False)
