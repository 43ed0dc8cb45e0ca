"""Live updates end to end: gunicorn with the production configuration serving HTTP and WebSocket (crm.asgi) on
the test database, real WebSocket clients, and writes made over HTTP to the same server. A member gets the events
of what they may see and nothing else, never another org's; deactivating a membership closes its sockets, and
ending a session (logout, a replayed refresh token, a password change) closes the sockets it opened."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from common.models import User
from tenants.testing.committed import committed_rows_removed, in_own_connection
from tenants.testing.fixtures import PASSWORD, Cast, access_token_for, database_url_for_subprocess

pytestmark = pytest.mark.django_db
BASE_DIR = Path(settings.BASE_DIR)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory, _cast_ids: Any, django_db_blocker: Any) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("live")
    port = _free_port()
    with django_db_blocker.unblock():
        database_url = database_url_for_subprocess()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings.test",
        "DATABASE_URL": database_url,
        "REDIS_URL": str(settings.REDIS_URL).split("?")[0],
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
    }
    log = workdir / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", str(BASE_DIR / "crm" / "gunicorn.py"), "crm.asgi"],
            cwd=BASE_DIR, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    url = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text()[-5000:]
            with suppress(requests.RequestException):
                if requests.get(f"http://{url}/health/live", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, log.read_text()[-5000:]
            time.sleep(0.3)
        yield url
    finally:
        with suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


class Member:
    def __init__(self, web: str, profile: Any) -> None:
        self.web, self.profile = web, profile
        self.token = access_token_for(profile.user)
        self.headers = {"Authorization": f"Bearer {self.token}", "org": str(profile.org_id)}

    def http(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return requests.request(method, f"http://{self.web}{path}", headers=headers, timeout=10, **kwargs)

    def socket(self) -> ClientConnection:
        ws = connect(f"ws://{self.web}/ws/events/?token={self.token}&org={self.profile.org_id}", open_timeout=10)
        assert json.loads(ws.recv(timeout=10))["event"] == "ready"
        return ws


def _events(ws: ClientConnection, wait: float = 1.5) -> list[dict[str, Any]]:
    seen = []
    deadline = time.monotonic() + wait
    while (left := deadline - time.monotonic()) > 0:
        try:
            seen.append(json.loads(ws.recv(timeout=left)))
        except TimeoutError:
            break
    return seen


@pytest.fixture
def cleanup(cast: Cast) -> Iterator[None]:
    with committed_rows_removed(cast.org_a, cast.org_b):
        yield


def test_a_card_move_reaches_the_members_who_see_the_board_and_no_other_org(
    web: str, cast: Cast, cleanup: None
) -> None:
    owner, member, viewer, stranger = (
        Member(web, p) for p in (cast.owner, cast.member, cast.viewer, cast.other_owner)
    )
    board = owner.http("POST", "/api/boards/", json={"name": "Live shared", "visibility": "org"}).json()
    private = owner.http("POST", "/api/boards/", json={"name": "Live private", "visibility": "private"}).json()
    columns = owner.http("GET", f"/api/boards/{board['id']}/").json()["columns"]
    private_column = owner.http("GET", f"/api/boards/{private['id']}/").json()["columns"][0]
    card = owner.http(
        "POST", f"/api/boards/{board['id']}/cards/", json={"title": "Live", "column": columns[0]["id"]}
    )
    sockets = {
        name: who.socket() for name, who in {"member": member, "viewer": viewer, "stranger": stranger}.items()
    }

    moved = owner.http(
        "POST", f"/api/cards/{card.json()['id']}/move/", json={"column": columns[1]["id"], "after": None},
        headers={"If-Match": card.headers["ETag"]},
    )  # fmt: skip
    owner.http(
        "POST", f"/api/boards/{private['id']}/cards/", json={"title": "Secret", "column": private_column["id"]}
    )
    got = {name: _events(ws) for name, ws in sockets.items()}

    assert moved.status_code == 200, moved.text
    for name in ("member", "viewer"):
        events = [(e["event"], e["data"].get("card", {}).get("title")) for e in got[name]]
        assert events == [("card.moved", "Live")], (name, got[name])
        assert got[name][0]["data"]["card"]["column"] == columns[1]["id"]
    assert got["stranger"] == []
    for ws in sockets.values():
        ws.close()


def test_timeline_entries_reach_only_members_who_see_the_record(web: str, cast: Cast, cleanup: None) -> None:
    manager, member = Member(web, cast.manager), Member(web, cast.member)
    member_ws, manager_ws = member.socket(), manager.socket()

    lead = manager.http("POST", "/api/leads/", json={"first_name": "Live", "last_name": "Hidden"})
    got_member, got_manager = _events(member_ws), _events(manager_ws)

    assert lead.status_code == 201, lead.text
    assert [e["data"]["target_id"] for e in got_manager if e["event"] == "timeline.entry"] == [lead.json()["id"]]
    assert got_member == []
    member_ws.close()
    manager_ws.close()


def test_a_socket_without_a_valid_token_or_membership_is_closed(web: str, cast: Cast) -> None:
    outsider = Member(web, cast.other_owner)
    wrong_org = connect(f"ws://{web}/ws/events/?token={outsider.token}&org={cast.org_a.pk}", open_timeout=10)
    no_token = connect(f"ws://{web}/ws/events/?org={cast.org_a.pk}", open_timeout=10)

    for ws, code in ((wrong_org, 4404), (no_token, 4401)):
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd.code == code


def test_deactivating_a_membership_closes_its_sockets(web: str, cast: Cast, cleanup: None) -> None:
    admin, member = Member(web, cast.admin), Member(web, cast.member)
    ws = member.socket()

    try:
        response = admin.http("POST", f"/api/org/members/{cast.member.pk}/deactivate/")
        assert response.status_code in (200, 204), response.text
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd.code == 4409
        refused = connect(f"ws://{web}/ws/events/?token={member.token}&org={cast.org_a.pk}", open_timeout=10)
        with pytest.raises(ConnectionClosed) as again:
            refused.recv(timeout=10)
        assert again.value.rcvd.code == 4403
    finally:
        admin.http("POST", f"/api/org/members/{cast.member.pk}/reactivate/")


def _sign_in(web: str, email: str) -> dict[str, str]:
    response = requests.post(
        f"http://{web}/api/auth/login/", json={"email": email, "password": PASSWORD}, timeout=10
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, str] = response.json()["tokens"]
    return tokens


def _socket_with(web: str, access: str, org: Any) -> ClientConnection:
    ws = connect(f"ws://{web}/ws/events/?token={access}&org={org}", open_timeout=10)
    assert json.loads(ws.recv(timeout=10))["event"] == "ready"
    return ws


def _closed_with(ws: ClientConnection) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=10)
    return int(closed.value.rcvd.code)


@pytest.fixture
def sessions_removed(cast: Cast) -> Iterator[None]:
    """Sign-ins over HTTP commit refresh tokens (public rows): they go, and the member's password comes back."""
    started, user = timezone.now(), cast.member.user
    try:
        yield
    finally:

        def restore() -> None:
            OutstandingToken.objects.filter(user=user, created_at__gte=started).delete()
            User.objects.filter(pk=user.pk).update(password=user.password, token_version=user.token_version)

        in_own_connection(restore)


def test_logout_closes_the_sockets_of_its_session_and_no_other(
    web: str, cast: Cast, cleanup: None, sessions_removed: None
) -> None:
    ended, kept = _sign_in(web, "member@alpha.test"), _sign_in(web, "member@alpha.test")
    ended_ws, kept_ws = (
        _socket_with(web, ended["access"], cast.org_a.pk),
        _socket_with(web, kept["access"], cast.org_a.pk),
    )

    logout = requests.post(f"http://{web}/api/auth/logout/", json={"refresh": ended["refresh"]}, timeout=10)

    assert logout.status_code == 204, logout.text
    assert _closed_with(ended_ws) == 4401
    kept_ws.send("ping")
    assert json.loads(kept_ws.recv(timeout=10))["event"] == "pong"
    kept_ws.close()


def test_a_replayed_refresh_token_closes_the_sockets_of_its_session(
    web: str, cast: Cast, cleanup: None, sessions_removed: None
) -> None:
    first = _sign_in(web, "member@alpha.test")
    rotated = requests.post(f"http://{web}/api/auth/refresh/", json={"refresh": first["refresh"]}, timeout=10)
    ws = _socket_with(web, rotated.json()["access"], cast.org_a.pk)

    replay = requests.post(f"http://{web}/api/auth/refresh/", json={"refresh": first["refresh"]}, timeout=10)

    assert replay.status_code == 401
    assert _closed_with(ws) == 4401


def test_a_password_change_closes_every_socket_of_the_user(
    web: str, cast: Cast, cleanup: None, sessions_removed: None
) -> None:
    laptop, phone = _sign_in(web, "member@alpha.test"), _sign_in(web, "member@alpha.test")
    sockets = [_socket_with(web, tokens["access"], cast.org_a.pk) for tokens in (laptop, phone)]

    changed = requests.post(
        f"http://{web}/api/auth/password/change/",
        json={"current_password": PASSWORD, "new_password": "A-Fresh-Sturdy-Phrase-93"},
        headers={"Authorization": f"Bearer {laptop['access']}"}, timeout=10,
    )  # fmt: skip

    assert changed.status_code == 200, changed.text
    assert [_closed_with(ws) for ws in sockets] == [4401, 4401]
