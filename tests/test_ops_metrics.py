"""/metrics: Prometheus's scrape from a real gunicorn (two workers, multiprocess mode) and a real Celery worker
sharing PROMETHEUS_MULTIPROC_DIR; the token and loopback rule; the counters other modules feed."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from celery import current_app
from django.conf import settings
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families
from requests.structures import CaseInsensitiveDict

from common.metrics import ai_tokens_used
from tenants.mail import send_templated_email
from tenants.models import Org, OrgStatus
from tenants.orgs.pool import pool_target_size
from tenants.testing.fixtures import Cast, access_token_for, database_url_for_subprocess

BASE_DIR = Path(__file__).resolve().parent.parent
TOKEN = "scrape-token-for-tests-5f1c"


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    log: Path

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, Mapping[str, str], bytes]:
        request = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, CaseInsensitiveDict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, CaseInsensitiveDict(error.headers), error.read()

    def scrape(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        status, _, body = self.get("/metrics", {"Authorization": f"Bearer {TOKEN}"})
        assert status == 200, body[:500]
        return _samples(body.decode())


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def live(_cast_ids: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """gunicorn with the project's configuration on the test database, JSON logs into a file."""
    directory = tmp_path_factory.mktemp("live")
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings.test",
        "DATABASE_URL": database_url_for_subprocess(),
        "REDIS_URL": str(settings.REDIS_URL),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "WEB_THREADS": "2",
        "METRICS_TOKEN": TOKEN,
        "LOG_FORMAT": "json",
        "PROMETHEUS_MULTIPROC_DIR": str(directory / "metrics"),
    }
    log = directory / "web.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", str(BASE_DIR / "crm" / "gunicorn.py"), "crm.asgi"],
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    live = LiveServer(f"http://127.0.0.1:{port}", env, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text()[-3000:]
            with suppress(OSError):
                if live.get("/health/ready")[0] == 200:
                    break
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.3)
        yield live
    finally:
        with suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# --- From the live server -------------------------------------------------------------------------------------


def test_metrics_need_the_bearer_token_when_one_is_set(live: LiveServer) -> None:
    missing = live.get("/metrics")
    wrong = live.get("/metrics", {"Authorization": "Bearer not-it"})
    right = live.get("/metrics", {"Authorization": f"Bearer {TOKEN}"})

    for status, headers, body in (missing, wrong):
        assert (status, headers["WWW-Authenticate"]) == (401, 'Bearer realm="metrics"')
        assert json.loads(body)["code"] == "not_authenticated"
    assert right[0] == 200
    assert right[1]["Content-Type"].startswith("text/plain; version=")


def test_requests_are_counted_and_timed_by_route_and_status_across_workers(cast: Cast, live: LiveServer) -> None:
    tenant = {"Authorization": f"Bearer {access_token_for(cast.owner.user)}", "org": "alpha"}
    before = live.scrape()

    for _ in range(6):
        assert live.get("/health/live")[0] == 200
    for _ in range(3):
        assert live.get("/api/org/", tenant)[0] == 200
    assert live.get("/api/no-such-route/")[0] == 404
    after = live.scrape()

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    live_ok = {"route": "health-live", "method": "GET", "status": "200"}
    org_ok = {"route": "api:org", "method": "GET", "status": "200"}
    assert delta("keystone_http_requests_total", **live_ok) == 6
    assert delta("keystone_http_requests_total", **org_ok) == 3
    assert delta("keystone_http_requests_total", route="unmatched", method="GET", status="404") == 1
    assert delta("keystone_http_request_duration_seconds_count", **org_ok) == 3
    assert delta("keystone_http_request_duration_seconds_bucket", **org_ok, le="+Inf") == 3
    assert delta("keystone_http_request_db_queries_count", route="health-live") == 6
    assert delta("keystone_http_request_db_queries_sum", route="health-live") == 0  # liveness touches nothing
    assert delta("keystone_http_request_db_queries_sum", route="api:org") >= 3


def test_the_request_log_is_json_with_the_request_id_the_response_returns(cast: Cast, live: LiveServer) -> None:
    tenant = {"Authorization": f"Bearer {access_token_for(cast.owner.user)}", "org": "alpha"}

    status, headers, _ = live.get("/api/org/", {**tenant, "X-Request-ID": "live-request-1"})

    assert (status, headers["X-Request-ID"]) == (200, "live-request-1")
    deadline = time.monotonic() + 5
    while "live-request-1" not in live.log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    text = live.log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]  # gunicorn's own lines too
    line = next(line for line in lines if line.get("request_id") == "live-request-1")
    assert {key: line[key] for key in ("logger", "route", "status", "org", "user")} == {
        "logger": "crm.request",
        "route": "api:org",
        "status": 200,
        "org": str(cast.org_a.pk),
        "user": str(cast.owner.user_id),
    }
    assert line["duration_ms"] > 0
    assert any(line["logger"] == "gunicorn.error" for line in lines)


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "celery", "-A", "crm", "--quiet", "worker", "--loglevel", "WARNING"]
    command += ["--pool", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    with log.open("wb") as output:
        return subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT)


def test_celery_tasks_and_emails_of_a_worker_show_in_the_web_scrape(cast: Cast, live: LiveServer) -> None:
    before = live.scrape()
    worker_log = live.log.with_name("worker.log")
    worker = _worker(live.env, worker_log)  # the same metrics directory as the web
    try:
        result = send_templated_email.apply_async(
            kwargs={
                "to": "member@alpha.test",
                "template": "password_reset",
                "context": {"name": "Member", "email": "member@alpha.test", "token": "t"},
                "org_id": str(cast.org_a.pk),
            },
            headers={"_schema_name": cast.org_a.schema_name},
        )
        assert result.get(timeout=60) is True, worker_log.read_text()[-3000:]
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    after = live.scrape()

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    task = {"task": "tenants.send_templated_email", "outcome": "success"}
    assert delta("keystone_celery_tasks_total", **task) == 1
    assert delta("keystone_celery_task_duration_seconds_count", **task) == 1
    assert delta("keystone_emails_total", template="password_reset", outcome="sent") == 1


@pytest.mark.django_db
def test_queue_lengths_and_the_org_pool_are_read_at_scrape_time(live: LiveServer) -> None:
    pooled = Org.objects.filter(status=OrgStatus.POOLED).count()
    current_app.control.purge()
    waiting = send_templated_email.apply_async(
        kwargs={"to": "nobody@example.test", "template": "password_reset", "context": {}},
        headers={"_schema_name": "public"},
    )
    try:
        samples = live.scrape()
    finally:
        current_app.control.purge()  # no worker runs in this test: the message would wait for the next one
    waiting.forget()

    assert _value(samples, "keystone_celery_queue_length", queue="celery") == 1
    assert _value(samples, "keystone_org_pool_size") == pooled
    assert _value(samples, "keystone_org_pool_target") == pool_target_size()


# --- In this process ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_without_a_token_only_a_local_caller_not_behind_a_proxy_may_scrape(settings) -> None:
    settings.METRICS_TOKEN = None

    local = Client(REMOTE_ADDR="127.0.0.1").get("/metrics")
    outside = Client(REMOTE_ADDR="203.0.113.5").get("/metrics")
    proxied = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5").get("/metrics")

    assert local.status_code == 200
    for refused in (outside, proxied):
        assert refused.status_code == 403
        assert refused.json() == {
            "code": "permission_denied",
            "detail": "Without METRICS_TOKEN, metrics answer local callers only.",
            "fields": {},
        }


@pytest.mark.django_db
def test_with_a_token_even_a_local_caller_needs_it(settings) -> None:
    settings.METRICS_TOKEN = TOKEN

    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 401
    with_token = Client(REMOTE_ADDR="203.0.113.5", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert with_token.get("/metrics").status_code == 200


def _local_scrape() -> dict[Any, float]:
    response = Client(REMOTE_ADDR="127.0.0.1").get("/metrics")
    assert response.status_code == 200
    return _samples(response.content.decode())


@pytest.mark.django_db
def test_an_email_the_backend_refuses_is_counted_as_failed(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", _free_port(), False
    settings.EMAIL_TIMEOUT = 2
    before = _local_scrape()

    with pytest.raises(OSError):
        send_templated_email(
            to="member@alpha.test", template="password_reset", context={"email": "member@alpha.test", "token": "t"}
        )

    after = _local_scrape()
    name, labels = "keystone_emails_total", {"template": "password_reset", "outcome": "failed"}
    assert _value(after, name, **labels) - _value(before, name, **labels) == 1


@pytest.mark.django_db
def test_ai_tokens_are_counted_by_model_and_kind() -> None:
    before = _local_scrape()

    ai_tokens_used(model="gpt-4o-mini", prompt_tokens=120, completion_tokens=80)

    after = _local_scrape()
    for kind, spent in (("prompt", 120), ("completion", 80)):
        name, labels = "keystone_ai_tokens_total", {"model": "gpt-4o-mini", "kind": kind}
        assert _value(after, name, **labels) - _value(before, name, **labels) == spent
