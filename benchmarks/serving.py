"""The lead list through `make run`'s server before and after live updates: the same data as benchmarks.records,
served by gunicorn with crm/gunicorn.py, once with threaded WSGI workers (`-k gthread crm.wsgi`, the server
before) and once with the ASGI worker serving HTTP and WebSocket (`crm.asgi`, the server now).
Run: .venv/bin/python -m benchmarks.serving [--leads 100000] [--requests 400]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from typing import Any

from benchmarks.harness import setup, until_healthy
from benchmarks.records import BASE_DIR, ORG_SLUG, _database_url, _ensure_data, _free_port, _load

SERVERS = {
    "gthread + crm.wsgi (before)": ["-k", "gthread", "--threads", "4", "crm.wsgi"],
    "uvicorn worker + crm.asgi (now)": ["crm.asgi"],
}


def _start(port: int, args: list[str]) -> subprocess.Popen[bytes]:
    from django.conf import settings

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "crm.settings.production", "SECRET_KEY": "bench-only",
           "DATABASE_URL": _database_url(settings.DATABASES["default"]), "REDIS_URL": settings.REDIS_URL,
           "SECURE_SSL_REDIRECT": "false", "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "ERROR",
           "JWT_SIGNING_KEY": settings.SIMPLE_JWT["SIGNING_KEY"], "WEB_CONCURRENCY": "3",
           "HOST": "127.0.0.1", "PORT": str(port)}  # fmt: skip
    command = [sys.executable, "-m", "gunicorn", "--config", str(BASE_DIR / "crm" / "gunicorn.py"), *args]
    process = subprocess.Popen(command, cwd=BASE_DIR, env=env, start_new_session=True)
    return until_healthy(process, port)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--orgs", type=int, default=50)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    setup()
    data: dict[str, Any] = _ensure_data(args.leads, args.orgs)
    headers = {"Authorization": f"Bearer {data['token']}", "org": ORG_SLUG}
    for name, server_args in SERVERS.items():
        port = _free_port()
        server = _start(port, server_args)
        try:
            _load(port, headers, "GET", "/api/leads/", None, 60, 3)  # warm every worker
            single = _load(port, headers, "GET", "/api/leads/", None, args.requests, 1)
            loaded = _load(port, headers, "GET", "/api/leads/", None, args.requests, 4)
            print(f"{name:34} GET /api/leads/ single: {single}")
            print(f"{'':34} GET /api/leads/ 4 clients: {loaded}")
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
