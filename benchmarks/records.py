"""Record API speed at scale: 100,000 leads in one org with 50 other orgs present, served by gunicorn.

Measures GET /api/leads/ (first page), a filtered search, the detail view, create, and the timeline of a busy
record: p50, p99 and requests/s over real HTTP on 127.0.0.1, plus the queries each request costs.
Run: .venv/bin/python -m benchmarks.records [--leads 100000] [--orgs 50] [--requests 400] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import setup, until_healthy

BASE_DIR = Path(__file__).resolve().parent.parent
ORG_SLUG = "bench-records"


def _ensure_data(leads: int, other_orgs: int) -> dict[str, Any]:
    from common.context import org_context
    from common.models import Profile, Role, User
    from leads.models import Lead
    from tenants.models import Org, OrgStatus
    from tenants.orgs.provisioning import org_create
    from tenants.testing.fixtures import access_token_for
    from timeline.models import ActivityEntry

    started = time.perf_counter()
    others = Org.objects.filter(slug__startswith="bench-other-").count()
    for n in range(others, other_orgs):
        org_create(name=f"Bench Other {n}", slug=f"bench-other-{n}")
    org = Org.objects.filter(slug=ORG_SLUG).first() or org_create(name="Bench Records", slug=ORG_SLUG)
    user = User.objects.filter(email="records@bench.test").first()
    if user is None:
        user = User.objects.create_user("records@bench.test", secrets.token_urlsafe(16))
    profile, _ = Profile.objects.get_or_create(user=user, org=org, defaults={"role": Role.MANAGER})
    rng = random.Random(11)
    with org_context(org):
        have = Lead.objects.count()
        batch: list[Lead] = []
        for i in range(have, leads):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            batch.append(
                Lead(
                    org=org, first_name=first, last_name=last, email=f"{first}.{last}.{i}@example.com".lower(),
                    phone=f"+1 512 555 {i % 10000:04d}", company_name=f"{rng.choice(LAST)} Holdings {i % 5000}",
                    status=rng.choice(["new", "contacted", "qualified", "unqualified", "lost"]),
                    source=rng.choice(["website", "referral", "event", "cold_call", ""]),
                    assigned_to=[profile.pk], tags=rng.sample(["vip", "investor", "tenant", "retail", "office"], 2),
                    created_by=profile, updated_by=profile,
                )
            )  # fmt: skip
            if len(batch) == 5000:
                Lead.objects.bulk_create(batch)
                batch = []
        if batch:
            Lead.objects.bulk_create(batch)
        busy = Lead.objects.order_by("created_at").first()
        if not ActivityEntry.objects.filter(target_id=busy.pk).exists():
            ActivityEntry.objects.bulk_create(
                [
                    ActivityEntry(org=org, verb="updated", target_type="leads.lead", target_id=busy.pk,
                                  changes={"status": ["new", "contacted"]}, created_by=profile)
                    for _ in range(500)
                ]
            )  # fmt: skip
        total = Lead.objects.count()
    print(f"data: {total} leads in {ORG_SLUG}, {Org.objects.filter(status=OrgStatus.ACTIVE).count()} active orgs "
          f"(ready in {time.perf_counter() - started:.1f} s)")  # fmt: skip
    return {"org": org, "token": access_token_for(user), "busy": str(busy.pk)}


FIRST = ["Ava", "Noah", "Mia", "Liam", "Zoe", "Ethan", "Isla", "Lucas", "Aria", "Mateo", "Chloe", "Omar", "Smith"]
LAST = [
    "Smith",
    "Patel",
    "Nguyen",
    "Okafor",
    "Schmidt",
    "Rossi",
    "Kowalski",
    "Haddad",
    "Tanaka",
    "Silva",
    "Murphy",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_gunicorn(port: int, workers: int) -> subprocess.Popen[bytes]:
    from django.conf import settings

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "crm.settings.production", "SECRET_KEY": "bench-only",
           "DATABASE_URL": _database_url(settings.DATABASES["default"]), "REDIS_URL": settings.REDIS_URL,
           "SECURE_SSL_REDIRECT": "false", "ALLOWED_HOSTS": "127.0.0.1", "JWT_SIGNING_KEY": settings.SIMPLE_JWT["SIGNING_KEY"],
           "LOG_LEVEL": "ERROR"}  # fmt: skip
    command = [sys.executable, "-m", "gunicorn", "crm.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers),
               "--log-level", "error"]  # fmt: skip
    process = subprocess.Popen(command, cwd=BASE_DIR, env=env, start_new_session=True)
    return until_healthy(process, port)


def _database_url(db: dict[str, Any]) -> str:
    host = db["HOST"]
    if host.startswith("/"):
        return f"postgresql://{db['USER']}:{db['PASSWORD']}@/{db['NAME']}?host={host}"
    return f"postgresql://{db['USER']}:{db['PASSWORD']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def _load(
    port: int, headers: dict[str, str], method: str, path: Any, body: Any, total: int, concurrency: int
) -> str:
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    per_thread = total // concurrency

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for i in range(per_thread):
            target = path(i) if callable(path) else path
            payload = json.dumps(body(i)).encode() if callable(body) else None
            started = time.perf_counter()
            connection.request(method, target, body=payload, headers=headers)
            response = connection.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if response.status >= 400:
                    errors.append(response.status)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (f"p50 {statistics.median(ordered):6.1f} ms  p99 {p99:6.1f} ms  {len(ordered) / wall:6.1f} req/s"
            f"  errors {len(errors)}")  # fmt: skip


def _queries(headers: dict[str, str], method: str, path: str, body: Any = None) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    extra = {"HTTP_AUTHORIZATION": headers["Authorization"], "HTTP_ORG": headers["org"]}
    call = getattr(client, method.lower())
    call(path, data=body, content_type="application/json", **extra)  # warm the membership cache
    with CaptureQueriesContext(connection) as captured:
        call(path, data=body, content_type="application/json", **extra)
    return len(captured.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--orgs", type=int, default=50)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    setup()
    data = _ensure_data(args.leads, args.orgs)
    headers = {"Authorization": f"Bearer {data['token']}", "org": ORG_SLUG, "Content-Type": "application/json"}
    first = "/api/leads/"
    filtered = "/api/leads/?search=smith&status=new&tags=vip"
    from common.context import org_context
    from leads.models import Lead

    with org_context(data["org"]):
        ids = [str(pk) for pk in Lead.objects.values_list("pk", flat=True)[:2000]]
    detail = f"/api/leads/{ids[0]}/"
    timeline = f"/api/leads/{data['busy']}/timeline/"

    def create_body(i: int) -> dict[str, Any]:
        return {
            "first_name": "Bench",
            "last_name": f"Create {i}",
            "email": f"bench.{secrets.token_hex(6)}@example.com",
        }

    print("queries per request (warm cache):")
    for name, path in (("list", first), ("filtered search", filtered), ("detail", detail), ("timeline", timeline)):
        print(f"  {name:16} {_queries(headers, 'GET', path)}")
    print(f"  {'create':16} {_queries(headers, 'POST', first, create_body(0))}")

    port = _free_port()
    server = _start_gunicorn(port, args.workers)
    try:
        print(f"gunicorn -w {args.workers}, {args.concurrency} client threads, {args.requests} requests each:")
        _load(port, headers, "GET", first, None, 40, 2)  # warm every worker
        print(
            f"  GET list first page   {_load(port, headers, 'GET', first, None, args.requests, args.concurrency)}"
        )
        print(
            f"  GET filtered search   {_load(port, headers, 'GET', filtered, None, args.requests, args.concurrency)}"
        )
        detail_path = lambda i: f"/api/leads/{ids[i % len(ids)]}/"  # noqa: E731
        print(
            f"  GET detail            {_load(port, headers, 'GET', detail_path, None, args.requests, args.concurrency)}"
        )
        print(
            f"  POST create           {_load(port, headers, 'POST', first, create_body, args.requests, args.concurrency)}"
        )
        print(
            f"  GET busy timeline     {_load(port, headers, 'GET', timeline, None, args.requests, args.concurrency)}"
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
