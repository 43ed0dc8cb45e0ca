"""Structured logs: the request's or task's context on every line, JSON or plain, and no secret in either.

Every log record passes the `ContextFilter`, which adds what is known about the work in progress: the request id,
the org and member, the route and the client's address for a request; the task id and name (and org) for a
Celery task. `LOG_FORMAT=json` (production's default) writes one JSON object per line through `JsonFormatter`;
`plain` writes the same fields after the message. Both formatters keep only the fields listed here (never a
record's arbitrary extras: Celery puts a task's arguments there) and pass every string through `redact`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from common.context import active_org

# The work in progress: bound by the request middleware or the Celery signals below, read by the filter.
CONTEXT_FIELDS = ("request_id", "org", "user", "route", "client_ip", "task_id", "task_name")
# What the request line adds (common.middleware) and what Django's own request logger says.
EVENT_FIELDS = ("method", "path", "status", "duration_ms", "db_queries", "status_code")
FIELDS = CONTEXT_FIELDS + EVENT_FIELDS

_context: ContextVar[dict[str, str] | None] = ContextVar("log_context", default=None)
# The request keeps its context too: Django logs a 4xx/5xx (`django.request`) after the middleware has returned.
REQUEST_ATTRIBUTE = "_log_context"


def current() -> dict[str, str]:
    return dict(_context.get() or {})


@contextmanager
def log_context(**fields: str) -> Iterator[dict[str, str]]:
    """Bind fields to every log line inside the block (on top of any outer context); `bind` adds more later."""
    bound = {**(_context.get() or {}), **fields}
    token = _context.set(bound)
    try:
        yield bound
    finally:
        _context.reset(token)


def bind(**fields: str) -> None:
    """Add fields to the context the innermost `log_context` opened; outside one, a no-op."""
    bound = _context.get()
    if bound is not None:
        bound.update(fields)


def context_fields() -> dict[str, str]:
    """The bound context, with the active org when nothing bound one (a beat sweep enters each org in turn)."""
    fields = current()
    if "org" not in fields:
        org = active_org()
        if org is not None:
            fields["org"] = str(org.pk)
    return fields


# --- Secrets ----------------------------------------------------------------------------------------------

_REDACTED = "[redacted]"
_SECRET_PATTERNS = (
    # JSON Web Tokens (access and refresh tokens): three base64url parts, the first two JSON objects.
    re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
    # Org API keys (tenants.members.api_keys): ksk_<prefix>_<secret>.
    re.compile(r"\bksk_[0-9a-f]+_[A-Za-z0-9_-]+"),
    # A credential after its scheme, as in an Authorization header.
    re.compile(r"(?i)(?<=\bbearer )[^\s,;\"']+|(?<=\bapi-key )[^\s,;\"']+"),
)
# `password=...`, `"token": "..."`, `?token=...`: the value after any key that names a secret.
_SECRET_PAIR = re.compile(
    r"""(?ix)
    ((?:["'])?[\w-]*(?:password|passwd|secret|token|api[_-]?key|authorization|cookie)[\w-]*(?:["'])?\s*[:=]\s*)
    (\[redacted\]|"[^"]*"|'[^']*'|[^\s,&;})\]]+)
    """
)


def redact(text: str) -> str:
    """`text` without anything that looks like a password, token or key (a second fence: code logs none)."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(_REDACTED, text)
    return _SECRET_PAIR.sub(lambda match: f"{match.group(1)}{_REDACTED}", text)


# --- Logging plumbing -------------------------------------------------------------------------------------


class ContextFilter(logging.Filter):
    """Copies the request's or task's context onto each record (without overwriting what the call passed)."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = context_fields()
        if not fields:
            fields = dict(getattr(getattr(record, "request", None), REQUEST_ATTRIBUTE, None) or {})
        for name, value in fields.items():
            if getattr(record, name, None) is None:
                setattr(record, name, value)
        return True


def _fields_of(record: logging.LogRecord) -> dict[str, Any]:
    values = {name: record.__dict__.get(name) for name in FIELDS}
    return {name: value for name, value in values.items() if value is not None and value != ""}


class JsonFormatter(_JsonFormatter):
    """One JSON object per line: timestamp, level, logger, message, the known fields, and any traceback."""

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["timestamp"] = datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["message"] = record.message
        log_data.update(_fields_of(record))
        for name in ("exc_info", "stack_info"):
            if message_dict.get(name):
                log_data[name] = message_dict[name]

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {key: redact(value) if isinstance(value, str) else value for key, value in log_data.items()}


class PlainFormatter(logging.Formatter):
    """The classic line for a terminal, with the known fields after the message as `name=value`."""

    def __init__(self, fmt: str | None = None, datefmt: str | None = None) -> None:
        super().__init__(fmt or "%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = " ".join(f"{name}={value}" for name, value in _fields_of(record).items())
        if fields:
            head, newline, rest = line.partition("\n")  # fields on the message's line, before any traceback
            line = f"{head} [{fields}]{newline}{rest}"
        return redact(line)


# --- Celery -----------------------------------------------------------------------------------------------

# The context each running task set, by task id, so the end of the task puts back what was there before.
_task_contexts: dict[str, Token[dict[str, str] | None]] = {}


def _task_started(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    from django.conf import settings

    from common.context import schema_connection

    fields = {"task_id": str(task_id or ""), "task_name": str(getattr(task, "name", "") or "")}
    # tenant-schemas-celery switched the connection to the task's org before this runs (it connects first).
    tenant = getattr(schema_connection, "tenant", None)
    org_id = getattr(tenant, "pk", None)
    if org_id is not None and getattr(tenant, "schema_name", None) != settings.PUBLIC_SCHEMA_NAME:
        fields["org"] = str(org_id)
    request = getattr(task, "request", None)
    # Custom headers reach the task as request attributes or under `headers`, depending on the broker.
    headers = getattr(request, "headers", None) or {}
    request_id = getattr(request, "request_id", None) or headers.get("request_id")
    if request_id:
        fields["request_id"] = str(request_id)
    # On top of any outer context: a task run inline (`task.apply`) keeps the request's id, not its org.
    merged = {**(_context.get() or {}), **fields}
    if "org" not in fields:
        merged.pop("org", None)
    _task_contexts[str(task_id)] = _context.set(merged)


def _task_finished(task_id: str | None = None, **_: Any) -> None:
    token = _task_contexts.pop(str(task_id), None)
    if token is None:
        return
    try:
        _context.reset(token)
    except ValueError:  # set in another context (a pool that runs prerun and postrun apart): start clean
        _context.set(None)


def _send_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """A task enqueued while serving a request carries the request's id, so its lines join the request's."""
    request_id = current().get("request_id")
    if request_id and headers is not None and "request_id" not in headers:
        headers["request_id"] = request_id


def _configure_worker_logging(loglevel: int | str | None = None, **_: Any) -> None:
    """Celery's own logging setup is skipped (a receiver is connected): the worker logs as settings.LOGGING
    says, JSON or plain, with Celery's own loggers at the level of its `--loglevel`."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    if loglevel:
        for name in ("celery", "celery.app.trace", "celery.worker", "celery.beat"):
            logging.getLogger(name).setLevel(loglevel)


def connect_celery_signals() -> None:
    """Task ids and orgs on every line a task logs; the worker and beat log through settings.LOGGING."""
    from celery import signals

    signals.setup_logging.connect(_configure_worker_logging, weak=False, dispatch_uid="keystone_logging")
    signals.task_prerun.connect(_task_started, weak=False, dispatch_uid="keystone_log_task_started")
    signals.task_postrun.connect(_task_finished, weak=False, dispatch_uid="keystone_log_task_finished")
    signals.before_task_publish.connect(_send_request_id, weak=False, dispatch_uid="keystone_log_request_id")
