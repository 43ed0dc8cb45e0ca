"""Shared set-up for benchmarks: Django on the bench database, migrated, with a few timing helpers."""

from __future__ import annotations

import http.client
import os
import signal
import statistics
import subprocess
import time
from collections.abc import Callable
from typing import Any


def setup() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate_schemas", interactive=False, verbosity=0)

    # The URL conf adds the benchmark's own routes to the authorization table when it loads.
    import benchmarks.urls  # noqa: F401


def timed(action: Callable[[], Any], repeat: int) -> list[float]:
    """Wall times in milliseconds."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered):7.2f} ms   p95 {p95:7.2f} ms   n={len(ordered)}"


def until_healthy(process: subprocess.Popen[Any], port: int, timeout: float = 60.0) -> subprocess.Popen[Any]:
    """The server started in a session of its own, once it answers `/health/` on 127.0.0.1:`port`; stopped
    (its whole process group) if it does not within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/health/")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    os.killpg(process.pid, signal.SIGTERM)
    raise RuntimeError("the server did not start")
