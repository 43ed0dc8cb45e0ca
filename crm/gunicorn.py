"""The web server's configuration, the same for `make run` and production: `gunicorn -c crm/gunicorn.py crm.asgi`.

One server for HTTP and WebSocket: uvicorn's ASGI worker (crm.web_worker) runs crm.asgi, where HTTP requests run
on a pool of WEB_THREADS threads per process (a request that waits on the database or on password hashing does
not hold a whole process) and the live event stream's sockets on the worker's event loop. Connections beyond the
busy threads wait in the listen backlog instead of being refused or reset.

Every process writes its metrics to PROMETHEUS_MULTIPROC_DIR, and a scrape of /metrics on any worker sums them.
`make run` and the systemd units give the directory (shared with the Celery worker on the same host); without
one, this configuration makes a fresh one for this server alone.
"""

import os
import tempfile
from typing import Any

bind = f"{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT') or '8000'}"
# Processes: WEB_CONCURRENCY, as every platform that runs gunicorn sets it; two per core is the usual start.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1))
worker_class = "crm.web_worker.Worker"
# Connections accepted but not yet served wait here; 100 concurrent clients must never be refused or reset.
backlog = int(os.environ.get("WEB_BACKLOG") or 2048)
timeout = int(os.environ.get("WEB_TIMEOUT") or 60)
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT") or 20)
keepalive = 5
# A worker is replaced after this many requests (with jitter, so they do not all restart at once).
max_requests = int(os.environ.get("WEB_MAX_REQUESTS") or 2000)
max_requests_jitter = 200
proc_name = "keystone-web"
# Heartbeat files on a memory filesystem where there is one: a slow disk must not get workers killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - a tmpfs, not a temp file

# The application writes one structured line per request (with the request id, org, user, route and the client
# address read through TRUSTED_PROXIES), so gunicorn's own access log is off unless asked for.
accesslog = os.environ.get("WEB_ACCESS_LOG") or None
errorlog = "-"
# X-Forwarded-Proto and friends are taken from the same proxies the application trusts.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or os.environ.get("TRUSTED_PROXIES") or "127.0.0.1,::1"

if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
    # gunicorn's own lines (start, worker boots and timeouts) in the application's JSON shape.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "common.logs.JsonFormatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
        "loggers": {"gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False}},
    }

# Set before any worker imports prometheus-client, which picks its storage when it is first imported.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="keystone-metrics-")
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """A replaced worker's live gauges leave the sums (its counters stay: they already happened)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
