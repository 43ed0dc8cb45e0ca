"""`make run`'s supervisor end to end: it serves the API with the demo data and leaves nothing behind."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psutil
from django.conf import settings
from django.db import connection

from common.models import Profile, User
from tenants.models import Org

BASE_DIR = Path(__file__).resolve().parent.parent
DEMO_OWNER = "owner@harbor-realty.example"
DEMO_PASSWORD = "keystone-demo-pass"


def _test_database_url() -> str:
    """The database pytest-django created, so the supervisor's migrate and seed land there and not in dev."""
    db = connection.settings_dict
    credentials = f"{quote(db['USER'], safe='')}:{quote(db['PASSWORD'], safe='')}"
    port = f":{db['PORT']}" if db["PORT"] else ""
    if db["HOST"].startswith("/"):  # a socket directory
        return f"postgresql://{credentials}@{port}/{db['NAME']}?host={quote(db['HOST'], safe='')}"
    return f"postgresql://{credentials}@{db['HOST']}{port}/{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _request(url: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}
    )
    return urllib.request.urlopen(request, timeout=10)


def _wait_for_health(base: str, supervisor: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert supervisor.poll() is None, f"the supervisor exited early:\n{log.read_text()[-5000:]}"
        try:
            if _request(f"{base}/health/").status == 200:
                return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"/health/ did not answer 200 within 90 s:\n{log.read_text()[-5000:]}")


CONCURRENT_CLIENTS = 100


def _hundred_concurrent_clients_are_all_served(base: str) -> None:
    """100 connections opened at once (a barrier releases them together) each get their answer: none is reset
    or refused, as happened with the development server."""
    barrier = threading.Barrier(CONCURRENT_CLIENTS)

    def one_client(_: int) -> int | str:
        barrier.wait(timeout=30)
        try:
            with _request(f"{base}/health/") as response:
                return int(response.status)
        except (urllib.error.URLError, OSError) as error:
            return repr(error)

    with ThreadPoolExecutor(max_workers=CONCURRENT_CLIENTS) as pool:
        answers = list(pool.map(one_client, range(CONCURRENT_CLIENTS)))

    assert answers == [200] * CONCURRENT_CLIENTS


def _first_docs_asset(html: str) -> str:
    """A script or stylesheet the Swagger page loads from the server's static files."""
    match = re.search(r'(?:src|href)="(/static/[^"]+\.(?:js|css))"', html)
    assert match, html[:2000]
    return match.group(1)


def _descendants(pid: int) -> set[psutil.Process]:
    try:
        return set(psutil.Process(pid).children(recursive=True))
    except psutil.NoSuchProcess:
        return set()


def _still_alive(processes: set[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for process in processes:
        try:
            # A zombie has already exited; it only waits for its (possibly init) parent to reap it.
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.NoSuchProcess:
            pass
    return alive


def _remove_rows_created_since(org_ids: set[Any], user_ids: set[Any]) -> None:
    """The supervisor committed the demo rows; later tests in this session must not see them."""
    new_orgs = list(Org.objects.exclude(pk__in=org_ids))
    new_users = User.objects.exclude(pk__in=user_ids)
    Profile.objects.filter(org__in=new_orgs).delete()
    Profile.objects.filter(user__in=new_users).delete()
    for org in new_orgs:
        org.delete(force_drop=True)
    new_users.delete()


def test_supervisor_serves_the_demo_and_stops_every_process_on_sigterm(
    django_db_setup: None, django_db_blocker: Any, tmp_path: Path
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings.local",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        # Only the beat schedule lives here (both URLs are set): a `make run` beside the suite keeps its own.
        "CRM_DATA_DIR": str(tmp_path),
        "DEMO_OWNER_EMAIL": DEMO_OWNER,
        "DEMO_PASSWORD": DEMO_PASSWORD,
    }
    with django_db_blocker.unblock():
        org_ids = set(Org.objects.values_list("pk", flat=True))
        user_ids = set(User.objects.values_list("pk", flat=True))
    log = tmp_path / "run.log"
    descendants: set[psutil.Process] = set()
    with log.open("wb") as output:
        supervisor = subprocess.Popen(
            [sys.executable, "-m", "crm.run"],
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for_health(base, supervisor, log)
        descendants |= _descendants(supervisor.pid)

        docs = _request(f"{base}/api/docs/")
        assert docs.status == 200
        assert docs.headers.get_content_type() == "text/html"
        docs_html = docs.read().decode()
        assert "swagger" in docs_html.lower()

        login = json.load(_request(f"{base}/api/auth/login/", {"email": DEMO_OWNER, "password": DEMO_PASSWORD}))
        access = login["tokens"]["access"]
        current = _request(
            f"{base}/api/org/", headers={"Authorization": f"Bearer {access}", "org": "harbor-realty"}
        )
        assert current.status == 200
        body = json.load(current)
        assert body["role"] == "owner"
        assert body["slug"] == "harbor-realty"

        _hundred_concurrent_clients_are_all_served(base)
        assert _request(f"{base}{_first_docs_asset(docs_html)}").status == 200  # the docs' assets are served

        descendants |= _descendants(supervisor.pid)
        commands = [" ".join(process.cmdline()) for process in descendants]
        for role in ("gunicorn", "celery -A crm worker", "celery -A crm beat"):
            assert any(role in command for command in commands), commands
        supervisor.send_signal(signal.SIGTERM)
        exit_code = supervisor.wait(timeout=30)

        assert exit_code == 0, log.read_text()[-5000:]
        assert _still_alive(descendants) == []
    finally:
        descendants |= _descendants(supervisor.pid)  # on an early failure: whatever it had started by then
        with suppress(ProcessLookupError):
            os.killpg(supervisor.pid, signal.SIGKILL)
        supervisor.wait()
        # The children run in sessions of their own, so the supervisor's group does not include them.
        for process in _still_alive(descendants):
            with suppress(psutil.NoSuchProcess):
                process.kill()
        with django_db_blocker.unblock():
            _remove_rows_created_since(org_ids, user_ids)
