"""Error reports to Sentry: no personal data, no request bodies or cookies, tagged with the org and route.

Unhandled errors reach Sentry from Django (non-API routes), from `logger.exception` (the API error middleware and
the task sweeps log them at ERROR, which the logging integration turns into an event) and from Celery. Each event
is tagged with what the logs carry: the org, the route (or task) and the request id, so an event and its log lines
find each other.
"""

from __future__ import annotations

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

from common.logs import context_fields, redact

# Request parts never sent, whatever the SDK's defaults become: they hold credentials or customer data.
_DROPPED_REQUEST_PARTS = ("cookies", "data", "env")
_SENSITIVE_HEADERS = {"authorization", "cookie", "set-cookie", "proxy-authorization", "x-api-key", "x-csrftoken"}
_TAGGED = {"org": "org", "route": "route", "request_id": "request_id", "task_name": "task"}


def _scrub_request(request: dict[str, Any]) -> None:
    for part in _DROPPED_REQUEST_PARTS:
        request.pop(part, None)
    headers = request.get("headers")
    if isinstance(headers, dict):
        request["headers"] = {
            name: value for name, value in headers.items() if name.lower() not in _SENSITIVE_HEADERS
        }
    for key in ("url", "query_string"):
        if isinstance(request.get(key), str):
            request[key] = redact(request[key])


def _redact_strings(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redact_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact_strings(item) for item in value]
    return value


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Tags from the log context (read in the thread that captured the event) and the last scrub."""
    tags = event.setdefault("tags", {})
    for field, tag in _TAGGED.items():
        value = context_fields().get(field)
        if value and tag not in tags:
            tags[tag] = value
    if isinstance(event.get("request"), dict):
        _scrub_request(event["request"])
    for key in ("message", "logentry", "breadcrumbs", "extra"):
        if key in event:
            event[key] = _redact_strings(event[key])
    for exception in (event.get("exception") or {}).get("values") or []:
        if isinstance(exception.get("value"), str):
            exception["value"] = redact(exception["value"])
    return event


def before_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    redacted: dict[str, Any] = _redact_strings(crumb)
    return redacted


def sentry_init(*, dsn: str, environment: str, release: str | None, traces_sample_rate: float) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        # No personal data: no user identity, cookies, bodies, local variables, SQL values or AI prompts.
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "denylist", "terms": sorted(_SENSITIVE_HEADERS)}},
            "http_bodies": [],
            "url_query_params": {"mode": "denylist"},
            "stack_frame_variables": False,
            "database_query_data": False,
            "gen_ai": {"inputs": False, "outputs": False},
        },
        max_request_body_size="never",
        traces_sample_rate=traces_sample_rate,
        before_send=before_send,  # type: ignore[arg-type]
        before_breadcrumb=before_breadcrumb,
        integrations=[DjangoIntegration(), CeleryIntegration()],
    )
