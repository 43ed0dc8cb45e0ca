"""Webhook fan-out: N events (contacts created through the module's service, so each writes its outbox rows in
its own transaction) to 5 local endpoints, delivered by a real Celery worker that is SIGKILLed once halfway and
replaced. Checks that every endpoint got every event, in order, and counts repeats (at-least-once: the attempt
in flight when the worker died may arrive twice, with the same webhook-id). Prints the delivery rate.
Run: .venv/bin/python -m benchmarks.webhooks [--events 10000] [--endpoints 5] [--no-kill]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from typing import Any

from benchmarks.harness import setup

ORG_SLUG = "bench-webhooks"


def _worker() -> subprocess.Popen[bytes]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.settings"}
    command = [sys.executable, "-m", "celery", "-A", "crm", "worker", "--pool", "threads", "-c", "5"]
    command += ["--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    return subprocess.Popen(command, env=env, start_new_session=True)


def _org() -> tuple[Any, Any]:
    from django.db import connection

    from common.context import org_context
    from common.models import Profile, Role, User
    from tenants.models import Org
    from tenants.orgs.provisioning import org_create

    org = Org.objects.filter(slug=ORG_SLUG).first() or org_create(name="Bench Webhooks", slug=ORG_SLUG)
    user = User.objects.filter(email="bench-webhooks@example.test").first() or User.objects.create_user(
        email="bench-webhooks@example.test", password="Bench-Passphrase-42"
    )
    owner, _ = Profile.objects.get_or_create(user=user, org=org, defaults={"role": Role.OWNER})
    with org_context(org), connection.cursor() as cursor:
        for table in ("webhooks_attempt", "webhooks_delivery", "webhooks_event", "webhooks_endpoint",
                      "timeline_activityentry", "contacts_contact"):  # fmt: skip
            cursor.execute(f"DELETE FROM {table} WHERE org_id = %s", [org.pk])
    return org, owner


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--endpoints", type=int, default=5)
    parser.add_argument("--no-kill", action="store_true")
    args = parser.parse_args()
    os.environ.update(
        {"WEBHOOKS_ALLOW_LOOPBACK": "1", "WEBHOOKS_LEASE_SECONDS": "10", "WEBHOOKS_RETRY_SCHEDULE": "1,1,1"}
    )
    setup()
    from common.context import org_context
    from contacts.services import contact_create
    from tenants.testing.local_http import Reply, local_http_server
    from webhooks.models import Delivery, Endpoint
    from webhooks.tasks import sweep

    org, owner = _org()
    servers = [local_http_server(lambda request: Reply(204)) for _ in range(args.endpoints)]
    running = [server.__enter__() for server in servers]
    with org_context(org):
        hooks = [
            Endpoint.objects.create(org=org, url=f"{server.url}/hook", event_types=["contact.created"])
            for server in running
        ]
    started = time.monotonic()
    worker = _worker()
    killed = False
    try:
        with org_context(org):
            for n in range(args.events):
                contact_create(org=org, actor=owner, data={"first_name": "Bench", "email": f"w{n}@bench.test"})
        written = time.monotonic() - started
        print(f"{args.events} events written ({args.events * args.endpoints} deliveries) in {written:.1f} s")
        total = args.events * args.endpoints
        while True:
            got = sum(len(server.requests) for server in running)
            if not killed and not args.no_kill and got >= total // 2:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
                killed = True
                print(f"worker SIGKILLed after {got} requests; a new one starts")
                worker = _worker()
                time.sleep(5)
            with org_context(org):
                pending = Delivery.objects.filter(org=org, state="pending").count()
            if not pending:
                break
            if killed:
                sweep.apply_async()
            time.sleep(2)
        took = time.monotonic() - started
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    with org_context(org):
        for hook, server in zip(hooks, running, strict=True):
            expected = [
                f"msg_{pk.hex}"
                for pk in Delivery.objects.filter(endpoint=hook).order_by("id").values_list("event_id", flat=True)
            ]
            received = [request.headers["webhook-id"] for request in server.requests]
            first_seen = list(dict.fromkeys(received))
            repeats = sum(count - 1 for count in Counter(received).values())
            print(
                f"{hook.url}: {len(first_seen)}/{len(expected)} events, in order: {first_seen == expected}, "
                f"lost: {len(set(expected) - set(received))}, repeated webhook-ids: {repeats}"
            )
    for server in servers:
        server.__exit__(None, None, None)
    delivered = args.events * args.endpoints
    print(f"delivered {delivered} in {took:.1f} s from the first write: {delivered / took:.0f} deliveries/s")


if __name__ == "__main__":
    main()
