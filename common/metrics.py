"""Prometheus metrics: what the web processes and Celery workers count, and who may read them.

Counters and histograms live here; gauges that describe the system rather than the process (queue lengths, the
org pool) are computed when Prometheus scrapes (crm.metrics). Under gunicorn and Celery's prefork pool every
process writes its values to files in PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess mode), and a
scrape of any web process adds them all up; without the variable (tests, `runserver`) they stay in memory.

Other modules count through the helpers below, never the metric objects: `email_counted(template)` around a send,
and `ai_tokens_used(model=..., prompt_tokens=..., completion_tokens=...)` after an AI call, which feeds
`keystone_ai_tokens_total`.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.registry import Collector

from common.proxies import parse_address

MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
if MULTIPROCESS_DIR:
    # prometheus-client writes a file per process here from the first value on; the directory must exist.
    os.makedirs(MULTIPROCESS_DIR, exist_ok=True)

_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_TASK_SECONDS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
_QUERIES = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144)

HTTP_REQUESTS = Counter(
    "keystone_http_requests", "Requests served, by route name, method and status.", ["route", "method", "status"]
)
HTTP_DURATION = Histogram(
    "keystone_http_request_duration_seconds",
    "Time to serve a request, by route name, method and status.",
    ["route", "method", "status"],
    buckets=_SECONDS,
)
HTTP_DB_QUERIES = Histogram(
    "keystone_http_request_db_queries", "Database queries per request, by route name.", ["route"], buckets=_QUERIES
)
CELERY_TASKS = Counter("keystone_celery_tasks", "Celery tasks run, by task name and outcome.", ["task", "outcome"])
CELERY_TASK_DURATION = Histogram(
    "keystone_celery_task_duration_seconds",
    "Time a Celery task ran, by task name and outcome.",
    ["task", "outcome"],
    buckets=_TASK_SECONDS,
)
EMAILS = Counter(
    "keystone_emails", "Emails handed to the mail backend, by template and outcome.", ["template", "outcome"]
)
AI_TOKENS = Counter(
    "keystone_ai_tokens", "AI tokens used, by model and kind (prompt or completion).", ["model", "kind"]
)


# --- What modules count -----------------------------------------------------------------------------------


def record_request(*, route: str, method: str, status: int, seconds: float, queries: int) -> None:
    HTTP_REQUESTS.labels(route, method, str(status)).inc()
    HTTP_DURATION.labels(route, method, str(status)).observe(seconds)
    HTTP_DB_QUERIES.labels(route).observe(queries)


@contextmanager
def email_counted(template: str) -> Iterator[None]:
    """Around one send: counted `sent` when the backend took it, `failed` when it raised (and it re-raises)."""
    try:
        yield
    except Exception:
        EMAILS.labels(template, "failed").inc()
        raise
    EMAILS.labels(template, "sent").inc()


def ai_tokens_used(*, model: str, prompt_tokens: int, completion_tokens: int) -> None:
    """For the AI module, after each call that reports usage."""
    if prompt_tokens:
        AI_TOKENS.labels(model, "prompt").inc(prompt_tokens)
    if completion_tokens:
        AI_TOKENS.labels(model, "completion").inc(completion_tokens)


# --- Celery -----------------------------------------------------------------------------------------------

_task_started_at: dict[str, float] = {}


def _task_started(task_id: str | None = None, **_: Any) -> None:
    if task_id:
        _task_started_at[task_id] = time.monotonic()


def _task_finished(task_id: str | None = None, task: Any = None, state: str | None = None, **_: Any) -> None:
    started = _task_started_at.pop(task_id, None) if task_id else None
    name, outcome = str(getattr(task, "name", "unknown")), (state or "unknown").lower()
    CELERY_TASKS.labels(name, outcome).inc()
    if started is not None:
        CELERY_TASK_DURATION.labels(name, outcome).observe(time.monotonic() - started)


def connect_celery_signals() -> None:
    from celery import signals

    signals.task_prerun.connect(_task_started, weak=False, dispatch_uid="keystone_metrics_task_started")
    signals.task_postrun.connect(_task_finished, weak=False, dispatch_uid="keystone_metrics_task_finished")


# --- Scraping ---------------------------------------------------------------------------------------------


def scrape_allowed(request: HttpRequest) -> bool:
    """With METRICS_TOKEN set: that bearer token. Without: only a caller on this machine, and not through a
    proxy (a proxy on the same host would make every outside caller look local)."""
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
    peer = parse_address(request.META.get("REMOTE_ADDR"))
    return peer is not None and peer.is_loopback and "HTTP_X_FORWARDED_FOR" not in request.META


def exposition(extra: Iterable[Collector] = ()) -> bytes:
    """The text Prometheus reads: every process's values (or this one's), then the scrape-time collectors."""
    registry = CollectorRegistry()
    if MULTIPROCESS_DIR:
        multiprocess.MultiProcessCollector(registry, path=MULTIPROCESS_DIR)  # type: ignore[no-untyped-call]
    for collector in extra:
        registry.register(collector)
    body = generate_latest(registry)
    return body if MULTIPROCESS_DIR else generate_latest(REGISTRY) + body
