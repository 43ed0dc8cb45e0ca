"""`make run`: migrate, seed the demo, run web + Celery worker + beat, and stop all of it together."""

from __future__ import annotations

import errno
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

# Imported first: it loads .env, so the URL checks and common.embedded's data dir match what settings see.
from crm.settings.env import env_optional  # isort: split

from common.embedded import (
    DATA_DIR,
    postgres_is_running,
    postgres_url,
    redis_is_running,
    redis_url,
    stop_postgres,
    stop_redis,
)

BASE_DIR = Path(__file__).resolve().parent.parent
MANAGE_PY = str(BASE_DIR / "manage.py")
STOP_GRACE_SECONDS = 15
POLL_SECONDS = 0.2
HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

# ensure_demo reads the same variables; the supervisor fills them in before it runs ensure_demo, so the
# logins it prints are exactly the ones that were created.
DEMO_DEFAULTS = {
    "DEMO_ADMIN_EMAIL": "admin@keystone.local",
    "DEMO_OWNER_EMAIL": "owner@harbor-realty.example",
    "DEMO_PASSWORD": "keystone-demo-pass",
}
DEMO_ORG_SLUG = "harbor-realty"


class SetupFailed(Exception):
    """A start-up step failed; the message says which and what to do."""


class StopRequested(Exception):
    """A signal asked the supervisor to stop."""


@dataclass
class StopFlag:
    """Set by the signal handler, checked by the loops.

    The handler only records the signal: raising from it could land between a child's fork and the line that
    records the child, and that child would be left behind.
    """

    signal_number: int | None = None

    def request(self, signal_number: int, frame: FrameType | None) -> None:
        self.signal_number = signal_number

    def raise_if_set(self) -> None:
        if self.signal_number is not None:
            raise StopRequested


@dataclass
class OwnedServices:
    """Embedded services this supervisor started, and so must stop; ones already running are someone else's."""

    postgres: bool = False
    redis: bool = False


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]


def say(message: str) -> None:
    # Flushed at once: in the background stdout is a file, and the children write to it too.
    print(f"[run] {message}", flush=True)


# --- Start-up ---------------------------------------------------------------------------------------------


def start_embedded_services(owned: OwnedServices) -> None:
    """Start the embedded PostgreSQL/Redis where no URL is set, noting first whether each was already up."""
    if env_optional("DATABASE_URL") is None:
        owned.postgres = not postgres_is_running()
        postgres_url(os.environ.get("EMBEDDED_DATABASE_NAME") or "crm")
        say(f"embedded PostgreSQL {'started' if owned.postgres else 'already running; it will be left running'}")
    if env_optional("REDIS_URL") is None:
        owned.redis = not redis_is_running()
        redis_url()
        say(f"embedded Redis {'started' if owned.redis else 'already running; it will be left running'}")


def check_port_free(host: str, port: int) -> None:
    # Without this, a server already on the port would answer for us while ours dies on "address in use".
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise SetupFailed(f"{host}:{port} is already in use; stop what runs there or set PORT.") from None
            raise


def spawn(name: str, args: list[str]) -> Child:
    # A session of its own: Ctrl-C reaches only the supervisor, which then stops each child's whole group.
    # stdin is /dev/null so no child can ever wait on a terminal (make run also runs in the background).
    process = subprocess.Popen(
        [sys.executable, *args], cwd=BASE_DIR, stdin=subprocess.DEVNULL, start_new_session=True
    )
    return Child(name, process)


def wait_for_exit(child: Child, stop: StopFlag) -> int:
    while True:
        stop.raise_if_set()
        try:
            return child.process.wait(timeout=POLL_SECONDS)
        except subprocess.TimeoutExpired:
            continue


def run_step(name: str, args: list[str], children: list[Child], stop: StopFlag) -> None:
    say(f"{name}...")
    child = spawn(name, args)
    children.append(child)  # so a stop during the step ends it too
    code = wait_for_exit(child, stop)
    children.remove(child)
    if code != 0:
        raise SetupFailed(f"{name} failed with exit code {code}; its output is above. Nothing else was started.")


def prepare_database(children: list[Child], stop: StopFlag) -> None:
    # migrate_schemas covers public, the template and every org schema.
    run_step("migrate", [MANAGE_PY, "migrate_schemas", "--noinput"], children, stop)
    # The web server serves the API docs' assets itself (WhiteNoise) from the collected files.
    run_step("collectstatic", [MANAGE_PY, "collectstatic", "--noinput", "--verbosity", "0"], children, stop)
    run_step("ensure_demo", [MANAGE_PY, "ensure_demo"], children, stop)
    run_step("seed_demo", [MANAGE_PY, "seed_demo", "--org", DEMO_ORG_SLUG, "--if-empty"], children, stop)


def share_metrics_dir() -> None:
    """One PROMETHEUS_MULTIPROC_DIR for web and worker, so /metrics shows the tasks too; emptied at each start
    (the last run's counters are not this run's) unless the environment names its own."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    directory = DATA_DIR / "metrics"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)


def start_processes(host: str, port: int, children: list[Child], stop: StopFlag) -> None:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    share_metrics_dir()
    schedule = str(DATA_DIR / "celerybeat-schedule")
    commands = {
        # The production server and its configuration; HOST and PORT reach it through the environment.
        "web": ["-m", "gunicorn", "--config", str(BASE_DIR / "crm" / "gunicorn.py"), "crm.asgi"],
        "worker": ["-m", "celery", "-A", "crm", "worker", "--loglevel", "INFO", "--concurrency", "2"],
        "beat": ["-m", "celery", "-A", "crm", "beat", "--loglevel", "INFO", "--schedule", schedule],
    }
    for name, args in commands.items():
        stop.raise_if_set()
        children.append(spawn(name, args))
        say(f"{name} started (pid {children[-1].process.pid})")


def web_is_listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=POLL_SECONDS):
            return True
    except OSError:
        return False


def mail_location() -> str:
    """Where the mail of this run goes: with the file backend (the default) one .eml file per message."""
    backend = os.environ.get("EMAIL_BACKEND", "file").strip().lower()
    if backend == "file":
        return f"written to {DATA_DIR / 'mail'}/ (one .eml file per message; EMAIL_BACKEND=smtp sends it)"
    return f"sent by the {backend} backend (EMAIL_BACKEND)"


def banner(host: str, port: int) -> str:
    base = f"http://{host}:{port}"
    admin, owner, password = (os.environ[name] for name in DEMO_DEFAULTS)
    login_body = shlex.quote(f'{{"email": "{owner}", "password": "{password}"}}')
    extract_access = shlex.quote('import json, sys; print(json.load(sys.stdin)["tokens"]["access"])')
    return "\n".join(
        [
            "",
            "Keystone CRM is running. Ctrl-C (or SIGTERM) stops everything.",
            f"  API docs (Swagger)  {base}/api/docs/",
            f"  API docs (ReDoc)    {base}/api/redoc/",
            f"  Django admin        {base}/admin/",
            f"  Health              {base}/health/ready  (liveness: {base}/health/live)",
            f"  Metrics             {base}/metrics  (Prometheus; local callers, or METRICS_TOKEN)",
            f"  Mail                {mail_location()}",
            "",
            f"  Platform admin      {admin}",
            f"  Org owner           {owner}  (org: {DEMO_ORG_SLUG})",
            f"  Password (both)     {password}",
            "",
            "  Try it:",
            f"    TOKEN=$(curl -s -X POST {base}/api/auth/login/ -H 'Content-Type: application/json' \\",
            f"      -d {login_body} | python3 -c {extract_access})",
            f"    curl -s {base}/api/org/ -H \"Authorization: Bearer $TOKEN\" -H 'org: {DEMO_ORG_SLUG}'",
            "",
        ]
    )


# --- Running and stopping ---------------------------------------------------------------------------------


def supervise(host: str, port: int, children: list[Child], stop: StopFlag) -> int:
    """Until a signal (exit 0) or a child ending on its own (exit 1); prints the banner once web answers."""
    announced = False
    while True:
        stop.raise_if_set()
        for child in children:
            code = child.process.poll()
            if code is not None:
                say(f"{child.name} exited on its own (code {code}); stopping everything.")
                return 1
        if not announced and web_is_listening(host, port):
            print(banner(host, port), flush=True)
            announced = True
        time.sleep(POLL_SECONDS)


def signal_group(child: Child, signal_number: int) -> None:
    # The group, not the pid: Celery's pool processes are in it and must go too.
    with suppress(ProcessLookupError):
        os.killpg(child.process.pid, signal_number)


def group_is_alive(child: Child) -> bool:
    child.process.poll()  # reap the leader, or its zombie would count as alive
    try:
        os.killpg(child.process.pid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_children(children: list[Child]) -> None:
    if not children:
        return
    say(f"stopping {', '.join(child.name for child in children)}...")
    for child in children:
        signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    while time.monotonic() < deadline and any(group_is_alive(child) for child in children):
        time.sleep(POLL_SECONDS)
    for child in children:
        if group_is_alive(child):
            say(f"{child.name} did not stop within {STOP_GRACE_SECONDS} s; killing it.")
            signal_group(child, signal.SIGKILL)
        child.process.wait()


def stop_owned_services(owned: OwnedServices) -> None:
    if owned.redis:
        say("stopping embedded Redis")
        stop_redis()
    if owned.postgres:
        say("stopping embedded PostgreSQL")
        stop_postgres()


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.local")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")  # children's logs show up as they happen, even in a file
    for name, default in DEMO_DEFAULTS.items():
        os.environ.setdefault(name, default)
    host = os.environ.get("HOST") or "127.0.0.1"
    port = int(os.environ.get("PORT") or "8000")
    os.environ["HOST"], os.environ["PORT"] = host, str(port)  # the web server's configuration reads them
    # Emailed links (verification, reset, invitations, listings) point at this server unless told otherwise.
    os.environ.setdefault("PUBLIC_BASE_URL", f"http://{host}:{port}")

    stop = StopFlag()
    for signal_number in HANDLED_SIGNALS:  # SIGHUP too: closing the terminal must not orphan the children
        signal.signal(signal_number, stop.request)

    owned = OwnedServices()
    children: list[Child] = []
    try:
        check_port_free(host, port)
        start_embedded_services(owned)
        stop.raise_if_set()
        prepare_database(children, stop)
        start_processes(host, port, children, stop)
        return supervise(host, port, children, stop)
    except StopRequested:
        say(f"received {signal.Signals(stop.signal_number or signal.SIGTERM).name}")
        return 0
    except SetupFailed as error:
        say(f"error: {error}")
        return 1
    finally:
        stop_children(children)
        stop_owned_services(owned)
        say("stopped")


if __name__ == "__main__":
    sys.exit(main())
