"""Structured logs: JSON lines with the request id, org, user, route, status and duration; task lines with the task
id and org; and no password, token or key in any line, from the web process or the worker."""

from __future__ import annotations

import copy
import io
import json
import logging
import logging.config
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

import tenants.pipeline.tasks
from common.logs import log_context, redact
from tenants.mail import send_templated_email
from tenants.testing.fixtures import PASSWORD, Cast, client_for, database_url_for_subprocess

BASE_DIR = Path(__file__).resolve().parent.parent
SIGN_UP_PASSWORD = "Sturdy-Passphrase-42"
NEW_PASSWORD = "Brand-New-Passphrase-77"


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Everything every logger says while the test runs, at DEBUG, through the production JSON configuration."""
    stream = io.StringIO()
    config = copy.deepcopy(settings.LOGGING)
    config["handlers"]["console"].update(formatter="json", stream=stream)
    config["root"]["level"] = "DEBUG"
    for name in ("crm", "django", "django.server"):
        config["loggers"][name]["level"] = "DEBUG"
    logging.config.dictConfig(config)
    try:
        yield stream
    finally:
        logging.config.dictConfig(settings.LOGGING)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def _request_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [line for line in _lines(stream) if line["logger"] == "crm.request"]


# --- The request line -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_request_logs_one_json_line_with_its_id_org_user_route_status_and_duration(
    cast: Cast, json_logs: io.StringIO
) -> None:
    owner = client_for(cast.owner)

    response = owner.get("/api/org/", HTTP_X_REQUEST_ID="req-abc.123")

    assert response.status_code == 200
    assert response["X-Request-ID"] == "req-abc.123"
    (line,) = _request_lines(json_logs)
    assert {key: line[key] for key in ("request_id", "org", "user", "route", "method", "path", "status")} == {
        "request_id": "req-abc.123",
        "org": str(cast.org_a.pk),
        "user": str(cast.owner.user_id),
        "route": "api:org",
        "method": "GET",
        "path": "/api/org/",
        "status": 200,
    }
    assert line["level"] == "INFO"
    assert line["message"] == "GET /api/org/ 200"
    assert isinstance(line["duration_ms"], float)
    assert line["db_queries"] >= 1
    assert line["client_ip"] == "127.0.0.1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["timestamp"])


@pytest.mark.django_db
def test_a_request_without_a_usable_id_gets_one_made_and_returned(json_logs: io.StringIO) -> None:
    made = Client().get("/health/live")
    replaced = Client().get("/health/live", HTTP_X_REQUEST_ID="no spaces or newlines\nallowed")

    for response in (made, replaced):
        assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert made["X-Request-ID"] != replaced["X-Request-ID"]
    assert [line["request_id"] for line in _request_lines(json_logs)] == [
        made["X-Request-ID"],
        replaced["X-Request-ID"],
    ]
    lines = _request_lines(json_logs)
    # Probes are frequent: their lines are DEBUG (kept out at the default APP_LOG_LEVEL=INFO).
    assert [(line["route"], line["db_queries"], line["level"]) for line in lines] == [
        ("health-live", 0, "DEBUG")
    ] * 2


@pytest.mark.django_db
def test_lines_logged_while_serving_carry_the_request_context(cast: Cast, json_logs: io.StringIO) -> None:
    response = client_for(cast.owner).get("/api/no-such-route/", HTTP_X_REQUEST_ID="req-404")

    assert response.status_code == 404
    django_line = next(line for line in _lines(json_logs) if line["logger"] == "django.request")
    assert (django_line["request_id"], django_line["status_code"]) == ("req-404", 404)
    assert django_line["level"] == "WARNING"
    assert _request_lines(json_logs)[0]["route"] == "unmatched"


def test_plain_lines_keep_the_context_after_the_message(caplog: Any) -> None:
    from common.logs import ContextFilter, PlainFormatter

    record = logging.LogRecord("crm.test", logging.INFO, __file__, 1, "sent %s", ("it",), None)
    with log_context(request_id="r1", org="o1"):
        ContextFilter().filter(record)

    assert PlainFormatter("%(levelname)s %(name)s: %(message)s").format(record) == (
        "INFO crm.test: sent it [request_id=r1 org=o1]"
    )


# --- Secrets --------------------------------------------------------------------------------------------------


def test_redaction_catches_what_looks_like_a_credential() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoiMSJ9.c2lnbmF0dXJl"
    text = (
        f'Bearer {jwt} {{"password": "hunter2", "new_password": "x"}} /reset-password?token=abc123&page=2 '
        "Authorization: Api-Key ksk_0a1b2c3d4e5f_SeCrEt-value ok"
    )

    redacted = redact(text)

    for secret in (jwt, "hunter2", "abc123", "ksk_0a1b2c3d4e5f_SeCrEt-value"):
        assert secret not in redacted
    assert "page=2" in redacted and redacted.endswith(" ok")


@pytest.fixture
def mail_tasks_inline(monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any) -> Any:
    """`with mail_tasks_inline(): ...` runs the email tasks queued inside it, in this process, on commit."""

    def mail_only(task: Any, args: tuple[Any, ...], kwargs: dict[str, Any], schema_name: str) -> None:
        if task is send_templated_email:
            task.apply(args=args, kwargs=kwargs, headers={"_schema_name": schema_name}).get(propagate=True)

    monkeypatch.setattr(tenants.pipeline.tasks, "dispatch", mail_only)
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _token_in(message: Any, page: str) -> str:
    match = re.search(re.escape(f"/{page}?token=") + r"([A-Za-z0-9_\-]+)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.mark.django_db
def test_no_password_token_or_key_reaches_the_logs_of_sign_up_sign_in_reset_and_api_keys(
    cast: Cast, json_logs: io.StringIO, mail_tasks_inline: Any, settings: Any
) -> None:
    settings.DEBUG = True  # SQL statements and their parameters are logged too: the hardest case
    anonymous = client_for(None)
    secrets: list[str] = [SIGN_UP_PASSWORD, NEW_PASSWORD, PASSWORD]

    signed_up = anonymous.post(
        "/api/auth/register/",
        {"email": "dana@delta.test", "password": SIGN_UP_PASSWORD, "name": "Dana", "org_name": "Delta Homes"},
        format="json",
    )
    assert signed_up.status_code == 201, signed_up.json()
    secrets += [signed_up.json()["tokens"]["access"], signed_up.json()["tokens"]["refresh"]]

    login = "/api/auth/login/"
    logged_in = anonymous.post(login, {"email": "member@alpha.test", "password": PASSWORD}, format="json")
    assert logged_in.status_code == 200
    secrets += [logged_in.json()["tokens"]["access"], logged_in.json()["tokens"]["refresh"]]
    refused = anonymous.post(login, {"email": "member@alpha.test", "password": "Wrong-Guess-1"}, format="json")
    assert refused.status_code == 401
    secrets.append("Wrong-Guess-1")

    with mail_tasks_inline():
        asked = anonymous.post("/api/auth/password/reset/", {"email": "member@alpha.test"}, format="json")
    assert asked.status_code == 202
    reset_token = _token_in(mail.outbox[-1], "reset-password")
    secrets.append(reset_token)
    confirmed = anonymous.post(
        "/api/auth/password/reset/confirm/", {"token": reset_token, "new_password": NEW_PASSWORD}, format="json"
    )
    assert confirmed.status_code == 204

    issued = client_for(cast.owner).post("/api/org/api-keys/", {"name": "Zapier", "role": "viewer"}, format="json")
    assert issued.status_code == 201
    api_key = issued.json()["key"]
    secrets.append(api_key)
    with_key = Client(HTTP_AUTHORIZATION=f"Api-Key {api_key}", HTTP_ORG="alpha").get("/api/org/")
    assert with_key.status_code == 200

    logged = json_logs.getvalue()
    routes = {line.get("route") for line in _request_lines(json_logs)}
    assert {
        "api:auth-register",
        "api:auth-login",
        "api:auth-password-reset",
        "api:auth-password-reset-confirm",
        "api:api-keys",
        "api:org",
    } <= routes
    assert any(line["logger"] == "django.db.backends" for line in _lines(json_logs))  # SQL was logged
    assert [secret for secret in secrets if secret in logged] == []


# --- A real worker --------------------------------------------------------------------------------------------


def _worker(log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings.test",
        "DATABASE_URL": database_url_for_subprocess(),
        "REDIS_URL": str(settings.REDIS_URL),
        "LOG_FORMAT": "json",
    }
    command = [sys.executable, "-m", "celery", "-A", "crm", "--quiet", "worker", "--loglevel", "INFO"]
    command += ["--pool", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    with log.open("wb") as output:
        return subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stop(worker: subprocess.Popen[bytes]) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def test_a_worker_logs_json_with_the_task_id_org_and_request_id_and_no_task_secret(
    cast: Cast, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    secret_token = "reset-token-that-must-never-be-logged-8d1f"
    worker = _worker(log)
    try:
        with log_context(request_id="req-from-web-7"):
            # What `enqueue` sends once the transaction commits (tenants.pipeline.tasks.dispatch), kept here.
            result = send_templated_email.apply_async(
                kwargs={
                    "to": "member@alpha.test",
                    "template": "password_reset",
                    "context": {"name": "Member", "email": "member@alpha.test", "token": secret_token},
                    "org_id": str(cast.org_a.pk),
                },
                headers={"_schema_name": cast.org_a.schema_name},
            )
        assert result.get(timeout=60) is True
    finally:
        _stop(worker)

    text = log.read_text()
    # Log lines are JSON; what else the process prints (a warning about running as root) is not a log line.
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert not re.search(r"^\[?\d{4}-\d\d-\d\d[ T]\d\d:\d\d", text, re.MULTILINE), text[-3000:]
    about_the_task = [line for line in lines if line.get("task_id") == result.id]
    assert about_the_task, text[-3000:]
    finished = next(line for line in about_the_task if "succeeded" in line["message"])
    assert (finished["task_name"], finished["org"], finished["request_id"]) == (
        "tenants.send_templated_email",
        str(cast.org_a.pk),
        "req-from-web-7",
    )
    assert secret_token not in text
