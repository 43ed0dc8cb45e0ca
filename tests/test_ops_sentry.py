"""Error reports: a real failure in a tenant route, served through the WSGI application as gunicorn calls it,
reaches a Sentry server (a local one) through the SDK's own HTTP transport, tagged with the org, route and request
id, and without cookies, credentials or the body."""

from __future__ import annotations

import gzip
import io
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sentry_sdk
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection

from common.context import org_context
from common.sentry import sentry_init
from tenants.testing.fixtures import Cast, access_token_for
from tenants.testing.local_http import LocalHttpServer, ReceivedRequest, Reply, local_http_server

pytestmark = pytest.mark.django_db

BODY_PASSWORD = "Body-Password-That-Stays-Home-31"
SESSION_COOKIE = "cookie-value-that-stays-home-77"


@pytest.fixture
def sentry_server() -> Iterator[LocalHttpServer]:
    """A local stand-in for Sentry, and the SDK pointed at it as production configures it; off again after."""
    with local_http_server(lambda request: Reply(200, {"id": "0" * 32})) as server:
        sentry_init(
            dsn=f"http://publickey@{server.url.removeprefix('http://')}/42",
            environment="ops-test",
            release="keystone-crm@test-release",
            traces_sample_rate=0.0,
        )
        try:
            yield server
        finally:
            sentry_sdk.get_client().close(timeout=5)
            sentry_sdk.init(dsn=None)


def _envelope_items(request: ReceivedRequest) -> list[tuple[dict[str, Any], bytes]]:
    body = request.body
    if request.headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    lines = body.split(b"\n")
    items, index = [], 1  # line 0 is the envelope's header
    while index + 1 < len(lines):
        header = json.loads(lines[index])
        items.append((header, lines[index + 1]))
        index += 2
    return items


def _events(server: LocalHttpServer) -> list[tuple[dict[str, Any], bytes]]:
    sentry_sdk.flush(timeout=5)
    found = []
    for request in server.requests:
        for header, payload in _envelope_items(request):
            if header.get("type") == "event":
                found.append((json.loads(payload), payload))
    return found


def _served_by_wsgi(
    method: str, path: str, body: bytes, headers: dict[str, str]
) -> tuple[str, bytes, dict[str, str]]:
    """One request through crm.wsgi's application, the way gunicorn hands it over (so Sentry's WSGI layer sees it).
    The test's transaction must survive it: like Django's test client, it does not close connections around it."""
    from crm.wsgi import application

    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        **headers,
    }
    answer: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer.update(status=status, headers=dict(response_headers))

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = application(environ, start_response)
        content = b"".join(result)
        result.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return answer["status"], content, answer["headers"]


def test_an_error_in_a_tenant_route_is_reported_with_tags_and_without_secrets(
    cast: Cast, sentry_server: LocalHttpServer
) -> None:
    # A real failure in a real route: the contacts table goes away (inside the test's transaction, which the test
    # rolls back), so creating a contact fails in the database, as it would after a bad manual change.
    with org_context(cast.org_a), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE contacts_contact RENAME TO contacts_contact_gone")
    jwt = access_token_for(cast.owner.user)
    # A secret in the body (here in a real field): the body is never sent to Sentry.
    body = json.dumps({"first_name": "Ada", "last_name": BODY_PASSWORD}).encode()

    status, content, headers = _served_by_wsgi(
        "POST",
        "/api/contacts/",
        body,
        {
            "CONTENT_TYPE": "application/json",
            "HTTP_AUTHORIZATION": f"Bearer {jwt}",
            "HTTP_ORG": "alpha",
            "HTTP_COOKIE": f"sessionid={SESSION_COOKIE}",
            "HTTP_X_REQUEST_ID": "req-sentry-1",
        },
    )

    assert status.startswith("500")
    assert json.loads(content)["code"] == "server_error"
    assert headers["X-Request-ID"] == "req-sentry-1"
    ((event, raw),) = _events(sentry_server)
    assert {key: event["tags"].get(key) for key in ("org", "route", "request_id")} == {
        "org": str(cast.org_a.pk),
        "route": "api:contacts-list",
        "request_id": "req-sentry-1",
    }
    assert (event["environment"], event["release"]) == ("ops-test", "keystone-crm@test-release")
    assert event["exception"]["values"][-1]["type"] == "ProgrammingError"
    request = event["request"]
    assert (request["method"], request["url"]) == ("POST", "http://testserver/api/contacts/")
    assert request["headers"]["X-Request-Id"] == "req-sentry-1"  # headers are sent, but not the credentials
    assert {name.lower() for name in request["headers"]} & {"authorization", "cookie"} == set()
    assert {"cookies", "data", "env"} & set(request) == set()
    assert "user" not in event or "ip_address" not in event["user"]
    for secret in (BODY_PASSWORD, SESSION_COOKIE, jwt):
        assert secret.encode() not in raw


def test_an_error_logged_by_a_task_sweep_carries_the_org_it_was_working_on(
    cast: Cast, sentry_server: LocalHttpServer
) -> None:
    secret = f"secret-{uuid.uuid4().hex}"  # made here, so it is in no source line a stack frame shows

    with sentry_sdk.isolation_scope(), org_context(cast.org_b):
        try:
            raise RuntimeError(f"reminders failed: token={secret}")
        except RuntimeError:
            logging.getLogger("crm.tasks").exception("due reminders failed for org %s", cast.org_b.pk)

    ((event, raw),) = _events(sentry_server)
    assert event["tags"]["org"] == str(cast.org_b.pk)
    assert event["logentry"]["message"].startswith("due reminders failed for org")
    assert event["exception"]["values"][-1]["value"] == "reminders failed: token=[redacted]"
    assert secret.encode() not in raw
