"""The README's curl flows work as typed: its tested blocks run in bash against a live server started the way
`make run` starts one (gunicorn with crm/gunicorn.py and the development settings, a Celery worker, mail written
under the data folder), and every call must succeed. A broken example fails here."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest
import requests
from django.conf import settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from common.models import Profile, User
from tenants.models import AccountToken, Org
from tenants.testing.committed import in_own_connection
from tenants.testing.fixtures import celery_worker_started, database_url_for_subprocess

pytestmark = pytest.mark.django_db
BASE_DIR = Path(settings.BASE_DIR)
README = BASE_DIR / "README.md"
README_ADDRESS = "http://127.0.0.1:8000"
# The sections whose shell blocks run, in this order (one bash session: later blocks use earlier variables).
TESTED_SECTIONS = ["Try the API with curl"]
# Every call must succeed: a 4xx or 5xx answer stops the script with the server's body on stderr.
PRELUDE = """set -euo pipefail
curl() { command curl --fail-with-body --show-error "$@"; }
"""


def shell_blocks(markdown: str, section: str) -> list[str]:
    """The ```sh blocks under the `## <section>` heading, up to the next heading of that level."""
    match = re.search(rf"^## {re.escape(section)}\n(.*?)(?=^## |\Z)", markdown, flags=re.S | re.M)
    assert match, f"README.md has no section {section!r}"
    return re.findall(r"^```sh\n(.*?)^```$", match.group(1), flags=re.S | re.M)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def live_server_like_make_run(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The web server and a worker on the test database, mail under `<workdir>/.data/mail`; yields the base
    URL and the working directory the README's commands run in (so `.data/mail/` is where mail went)."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "DJANGO_SETTINGS_MODULE": "crm.settings.local",
        "DATABASE_URL": database_url_for_subprocess(),
        "REDIS_URL": str(settings.REDIS_URL),
        "CRM_DATA_DIR": str(tmp_path / ".data"),
        "EMAIL_BACKEND": "file",
        "PUBLIC_BASE_URL": base,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "DEBUG": "false",
        # One solo worker here: a pool top-up (minutes of migrations) must not hold the sign-up mail back.
        "ORG_POOL_SIZE": "0",
    }
    (tmp_path / "metrics").mkdir()
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", str(BASE_DIR / "crm" / "gunicorn.py"), "crm.asgi"],
            cwd=BASE_DIR, env={**os.environ, **env}, stdin=subprocess.DEVNULL, stdout=output,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        with celery_worker_started(extra_env=env):
            deadline = time.monotonic() + 60
            while True:
                assert server.poll() is None, log.read_text()[-5000:]
                with suppress(requests.RequestException):
                    if requests.get(f"{base}/health/live", timeout=2).status_code == 200:
                        break
                assert time.monotonic() < deadline, log.read_text()[-5000:]
                time.sleep(0.3)
            yield base, tmp_path
    finally:
        with suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


@pytest.fixture
def new_accounts_removed() -> Iterator[None]:
    """Sign-up commits a user and claims an org (and the worker may top the pool up): whatever users and orgs
    appear while the README runs are removed, schemas included, so later tests never see them."""
    org_ids = set(Org.objects.values_list("pk", flat=True))
    user_ids = set(User.objects.values_list("pk", flat=True))
    yield
    in_own_connection(lambda: _remove_accounts_but(org_ids, user_ids))


def _remove_accounts_but(org_ids: set[object], user_ids: set[object]) -> None:
    new_orgs = list(Org.objects.exclude(pk__in=org_ids))
    new_users = User.objects.exclude(pk__in=user_ids)
    Profile.objects.filter(org__in=new_orgs).delete()
    Profile.objects.filter(user__in=new_users).delete()
    OutstandingToken.objects.filter(user__in=new_users).delete()
    AccountToken.objects.filter(user__in=new_users).delete()
    for org in new_orgs:
        org.delete(force_drop=True)
    new_users.delete()
    assert not Org.objects.exclude(pk__in=org_ids).exists()
    assert not User.objects.exclude(pk__in=user_ids).exists()


def run_readme(blocks: list[str], base: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    script = PRELUDE + "\n".join(block.replace(README_ADDRESS, base) for block in blocks)
    return subprocess.run(
        ["bash", "-c", script], cwd=workdir, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"},
    )  # fmt: skip


def test_the_sections_to_run_have_shell_blocks() -> None:
    markdown = README.read_text()

    assert all(shell_blocks(markdown, section) for section in TESTED_SECTIONS)


def test_no_shell_block_keeps_options_in_a_quoted_string() -> None:
    """`H="-H 'org: x'"` then `$H` sends the quotes along and splits the header: options go in bash arrays
    (`H=(-H 'org: x')`, used as `"${H[@]}"`), in every block, tested or not."""
    blocks = re.findall(r"^```sh\n(.*?)^```$", README.read_text(), flags=re.S | re.M)
    quoted_options = re.compile(r"""^\s*[A-Za-z_][A-Za-z0-9_]*=(["'])\s*-""", flags=re.M)

    assert blocks
    assert [match.group(0) for block in blocks for match in quoted_options.finditer(block)] == []


def test_the_readme_curl_flows_work_as_typed(
    new_accounts_removed: None, live_server_like_make_run: tuple[str, Path]
) -> None:
    # new_accounts_removed comes first, so it clears up after the server and the worker have stopped.
    base, workdir = live_server_like_make_run
    markdown = README.read_text()
    blocks = [block for section in TESTED_SECTIONS for block in shell_blocks(markdown, section)]

    result = run_readme(blocks, base, workdir)

    assert result.returncode == 0, f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}"
    dana = User.objects.get(email="dana@delta.example")
    # The login's refresh token (rotated) and the rotated one (logged out); sign-up's own pair stays unused.
    ended = OutstandingToken.objects.filter(user=dana, blacklistedtoken__isnull=False).order_by("created_at")
    first_refresh = ended.values_list("token", flat=True)[0]
    assert dana.email_verified  # the token came from the mail the worker wrote
    assert Profile.objects.filter(user=dana, org__slug="delta-homes", role="owner").exists()
    assert ended.count() == 2

    # The README's old mistake, logging out with the refresh token already rotated out, fails the script.
    broken = f"""curl -s -X POST {README_ADDRESS}/api/auth/logout/ -H 'Content-Type: application/json' \\
  -d '{{"refresh": "{first_refresh}"}}'
echo unreachable"""
    refused = run_readme([broken], base, workdir)
    assert refused.returncode != 0 and "unreachable" not in refused.stdout
    assert '"code":"token_invalid"' in refused.stdout.replace(" ", "")
