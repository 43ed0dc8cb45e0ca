"""Our hot paths against the bare framework, in the same run: each request's p50 over the p50 of the same request
to benchmarks.bare (the plainest DRF view of the same model), in-process and under the real server.

Ours and bare alternate request by request, so a machine shared with other work slows both alike and the ratio
stays readable when the absolute figures do not. Goals: at most 1.5x for lists and details, 2x for writes.
Run: .venv/bin/python -m benchmarks.framework_ratio [--leads 10000] [--rounds 300] [--http-rounds 300]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchmarks.harness import setup, until_healthy
from benchmarks.records import BASE_DIR, _database_url, _free_port

ORG_SLUG = "bench-ratio"
LIST_GOAL = 1.5
WRITE_GOAL = 2.0


@dataclass
class Probe:
    """One request, ours and bare: paths and bodies are functions of the sample number."""

    name: str
    goal: float
    method: str
    ours: Callable[[int], str]
    bare: Callable[[int], str]
    body: Callable[[int], dict[str, Any]] | None = None
    # PATCH with If-Match: the ETag of the last answer, sent with the next request.
    if_match: bool = False
    etag: str = field(default="", repr=False)


def _ensure_data(leads: int) -> dict[str, Any]:
    from common.models import Profile, Role, User
    from demo.seeding import org_has_records, seed_org
    from tenants.models import Org
    from tenants.orgs.provisioning import org_create
    from tenants.testing.fixtures import access_token_for

    org = Org.objects.filter(slug=ORG_SLUG).first() or org_create(name="Bench Ratio", slug=ORG_SLUG)
    profiles = []
    for n, role in enumerate((Role.MANAGER, Role.MEMBER, Role.MEMBER)):
        email = f"ratio-{n}@bench.test"
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email, secrets.token_urlsafe(16)
        )
        profiles.append(Profile.objects.get_or_create(user=user, org=org, defaults={"role": role})[0])
    if not org_has_records(org):
        started = time.perf_counter()
        counts = seed_org(org=org, leads=leads)
        print(
            f"seeded in {time.perf_counter() - started:.0f} s: " + ", ".join(f"{c} {n}" for n, c in counts.items())
        )
    return {"org": org, "token": access_token_for(profiles[0].user)}


def _probes(org: Any) -> list[Probe]:
    from boards.models import Board
    from campaigns.models import Campaign
    from common.context import org_context
    from contacts.models import Contact
    from invoices.models import Invoice
    from leads.models import Lead
    from properties.models import Property

    with org_context(org):
        lead_ids = [
            str(pk) for pk in Lead.objects.filter(archived_at__isnull=True).values_list("pk", flat=True)[:4]
        ]
        probe_lead = Lead.objects.filter(archived_at__isnull=True).exclude(tags=[]).first()
        first = {
            model: str(model.objects.values_list("pk", flat=True).first())
            for model in (Property, Campaign, Board, Invoice)
        }
        customer = str(Contact.objects.values_list("pk", flat=True).first())
    assert probe_lead is not None
    search = f"search={probe_lead.last_name.lower()}&status={probe_lead.status}&tags={probe_lead.tags[0]}"

    def fixed(path: str) -> Callable[[int], str]:
        return lambda i: path

    def lead_body(i: int) -> dict[str, Any]:
        return {
            "first_name": "Bench",
            "last_name": f"Ratio {i}",
            "email": f"ratio.{secrets.token_hex(6)}@example.com",
        }

    probes = [
        Probe(f"GET /{prefix}/ (25 rows)", LIST_GOAL, "GET", fixed(f"/api/{prefix}/"), fixed(f"/bare/{prefix}/"))
        for prefix in ("leads", "contacts", "companies", "deals")
    ]
    probes += [
        Probe("GET /leads/<id>/", LIST_GOAL, "GET", fixed(f"/api/leads/{lead_ids[0]}/"),
              fixed(f"/bare/leads/{lead_ids[0]}/")),
        Probe("GET /leads/?search&status&tags", LIST_GOAL, "GET", fixed(f"/api/leads/?{search}"),
              fixed(f"/bare/leads/?{search}")),
        Probe("POST /leads/", WRITE_GOAL, "POST", fixed("/api/leads/"), fixed("/bare/leads/"), lead_body),
        Probe("PATCH /leads/<id>/ If-Match", WRITE_GOAL, "PATCH", fixed(f"/api/leads/{lead_ids[1]}/"),
              fixed(f"/bare/leads/{lead_ids[2]}/"), lambda i: {"title": f"Title {i}"}, if_match=True),
    ]  # fmt: skip
    creates: dict[str, Callable[[int], dict[str, Any]]] = {
        "properties": lambda i: {
            "title": f"Bench listing {i}",
            "property_type": "office",
            "listing_type": "lease",
        },
        "campaigns": lambda i: {"name": f"Bench campaign {i}", "currency": "USD"},
        "boards": lambda i: {"name": f"Bench board {i}"},
        "invoices": lambda i: {"contact": customer, "currency": "USD"},
    }
    for prefix, model in (("properties", Property), ("campaigns", Campaign), ("boards", Board),
                          ("invoices", Invoice)):  # fmt: skip
        probes += [
            Probe(f"GET /{prefix}/", LIST_GOAL, "GET", fixed(f"/api/{prefix}/"), fixed(f"/bare/{prefix}/")),
            Probe(f"GET /{prefix}/<id>/", LIST_GOAL, "GET", fixed(f"/api/{prefix}/{first[model]}/"),
                  fixed(f"/bare/{prefix}/{first[model]}/")),
            Probe(f"POST /{prefix}/", WRITE_GOAL, "POST", fixed(f"/api/{prefix}/"), fixed(f"/bare/{prefix}/"),
                  creates[prefix]),
        ]  # fmt: skip
    return probes


def _report(name: str, goal: float, ours: list[float], bare: list[float], extra: str = "") -> None:
    ours_p50, bare_p50 = statistics.median(ours), statistics.median(bare)
    ratio = ours_p50 / bare_p50
    verdict = "ok" if ratio <= goal else "OVER"
    print(f"  {name:34} ours {ours_p50:7.2f} ms  bare {bare_p50:7.2f} ms  {ratio:5.2f}x (goal {goal}x) "
          f"{verdict:4} {extra}", flush=True)  # fmt: skip


def in_process(probes: list[Probe], token: str, rounds: int) -> None:
    from django.db import connection
    from django.test import Client

    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ORG": ORG_SLUG}

    def send(probe: Probe, path: str, i: int, *, ours: bool) -> int:
        extra = dict(auth)
        if ours and probe.if_match:
            extra["HTTP_IF_MATCH"] = probe.etag
        body = json.dumps(probe.body(i)) if probe.body else None
        response = getattr(client, probe.method.lower())(path, data=body, content_type="application/json", **extra)
        if response.status_code >= 400:
            raise RuntimeError(f"{probe.name} {path}: {response.status_code} {response.content[:300]!r}")
        if ours and probe.if_match:
            probe.etag = response["ETag"]
        return response.status_code

    print(f"in-process (Django's test client, warm caches), ours and bare alternating, {rounds} rounds:")
    for probe in probes:
        if probe.if_match:
            probe.etag = client.get(probe.ours(0), **auth)["ETag"]
        for i in range(20):  # warm both
            send(probe, probe.ours(i), i, ours=True)
            send(probe, probe.bare(i), i, ours=False)
        counts = []
        for is_ours, path in ((True, probe.ours(0)), (False, probe.bare(0))):
            # Counted by a wrapper: the query log is emptied when a request starts.
            statements: list[str] = []

            def counted(run: Any, sql: str, *rest: Any, seen: list[str] = statements) -> Any:
                seen.append(sql)
                return run(sql, *rest)

            with connection.execute_wrapper(counted):
                send(probe, path, 0, ours=is_ours)
            counts.append(len(statements))
        ours_times, bare_times = [], []
        for i in range(rounds):
            for is_ours, path, times in ((True, probe.ours(i), ours_times), (False, probe.bare(i), bare_times)):
                started = time.perf_counter()
                send(probe, path, i, ours=is_ours)
                times.append((time.perf_counter() - started) * 1000)
        queries = f"queries {counts[0]} vs {counts[1]}"
        _report(probe.name, probe.goal, ours_times, bare_times, queries)


def _start_server(port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    from django.conf import settings

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.settings_production", "SECRET_KEY": "bench-only",
           "DATABASE_URL": _database_url(settings.DATABASES["default"]), "REDIS_URL": settings.REDIS_URL,
           "SECURE_SSL_REDIRECT": "false", "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "ERROR",
           "JWT_SIGNING_KEY": settings.SIMPLE_JWT["SIGNING_KEY"], "WEB_CONCURRENCY": str(workers),
           "WEB_THREADS": str(threads), "HOST": "127.0.0.1", "PORT": str(port),
           # No worker restarts in the middle of a measurement (they close the client's connection).
           "WEB_MAX_REQUESTS": "0"}  # fmt: skip
    command = [sys.executable, "-m", "gunicorn", "--config", str(BASE_DIR / "crm" / "gunicorn.py"), "crm.asgi"]
    # The request log is written as in production, to nowhere.
    process = subprocess.Popen(command, cwd=BASE_DIR, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    return until_healthy(process, port)


def under_server(probes: list[Probe], token: str, rounds: int, workers: int, threads: int) -> None:
    port = _free_port()
    server = _start_server(port, workers, threads)
    headers = {"Authorization": f"Bearer {token}", "org": ORG_SLUG, "Content-Type": "application/json"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def send(probe: Probe, path: str, i: int, *, ours: bool) -> None:
        extra = dict(headers)
        if ours and probe.if_match:
            extra["If-Match"] = probe.etag
        body = json.dumps(probe.body(i)).encode() if probe.body else None
        connection.request(probe.method, path, body=body, headers=extra)
        response = connection.getresponse()
        content = response.read()
        if response.status >= 400:
            raise RuntimeError(f"{probe.name} {path}: {response.status} {content[:300]!r}")
        if ours and probe.if_match:
            probe.etag = response.getheader("ETag") or ""

    print(f"gunicorn -c crm/gunicorn.py crm.asgi, {workers} workers x {threads} threads, one keep-alive client, "
          f"ours and bare alternating, {rounds} rounds:")  # fmt: skip
    try:
        for probe in probes:
            if probe.if_match:
                connection.request("GET", probe.ours(0), headers=headers)
                answer = connection.getresponse()
                answer.read()
                probe.etag = answer.getheader("ETag") or ""
            for i in range(4 * workers):  # every worker warm
                send(probe, probe.ours(i), i, ours=True)
                send(probe, probe.bare(i), i, ours=False)
            ours_times, bare_times = [], []
            for i in range(rounds):
                for is_ours, path, times in (
                    (True, probe.ours(i), ours_times),
                    (False, probe.bare(i), bare_times),
                ):
                    started = time.perf_counter()
                    send(probe, path, i, ours=is_ours)
                    times.append((time.perf_counter() - started) * 1000)
            _report(probe.name, probe.goal, ours_times, bare_times)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=10_000, help="Demo data scale (other modules in proportion).")
    parser.add_argument("--rounds", type=int, default=300, help="0 skips the in-process run.")
    parser.add_argument("--http-rounds", type=int, default=300, help="0 skips the server run.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--only", default="", help="Run the probes whose name contains this.")
    args = parser.parse_args()
    setup()
    data = _ensure_data(args.leads)
    probes = [probe for probe in _probes(data["org"]) if args.only in probe.name]
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    if args.rounds:
        in_process(probes, data["token"], args.rounds)
    if args.http_rounds:
        under_server(probes, data["token"], args.http_rounds, args.workers, args.threads)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
