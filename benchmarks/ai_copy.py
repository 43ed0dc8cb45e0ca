"""AI copy: our own cost from `POST /api/campaigns/<id>/generate/` to the job having succeeded, with a local
OpenAI-compatible server that answers at once (so the model's time is zero and what is left is ours: the request,
the reservation, the queue, the worker's claim, the SDK call over loopback, the checks, the suggestions, the
settlement and the notification).

    .venv/bin/python -m benchmarks.ai_copy [--jobs 50]

The worker is a real `celery worker` (solo pool, as the tests run it) on its own Redis database; the bench process
makes the requests in-process with Django's test client and polls the job row every POLL_SECONDS.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_REDIS_DB = 11  # its own queue: a `make run` worker on the same Redis must not take these jobs
POLL_SECONDS = 0.002
KEY = "sk-bench-local"


def _redis_url() -> str:
    from common.embedded import redis_url
    from crm.settings.services import redis_with_db

    return redis_with_db(os.environ.get("REDIS_URL") or redis_url(), BENCH_REDIS_DB)


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   max {ordered[-1]:7.1f} ms"


def _start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "crm",
        "worker",
        "--pool",
        "solo",
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    return subprocess.Popen(command, cwd=BASE_DIR, env=env, start_new_session=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=50)
    args = parser.parse_args(sys.argv[1:] if __name__ == "__main__" else [])

    os.environ["REDIS_URL"] = _redis_url()
    from benchmarks.harness import setup

    setup()
    from django.conf import settings
    from django.test import Client

    from campaigns.ai.models import GenerationJob
    from campaigns.ai.tests.openai_server import FakeOpenAI
    from campaigns.models import Campaign
    from common.context import org_context
    from common.models import Profile, Role, User
    from tenants.models import Org
    from tenants.orgs.provisioning import org_create
    from tenants.testing.fixtures import access_token_for
    from tenants.testing.local_http import local_http_server

    org = Org.objects.filter(slug="bench-ai").first() or org_create(name="Bench AI Agency", slug="bench-ai")
    Org.objects.filter(pk=org.pk).update(ai_monthly_token_quota=2_000_000_000)
    user = User.objects.filter(email="bench-ai@bench.test").first()
    if user is None:
        user = User.objects.create_user("bench-ai@bench.test", secrets.token_urlsafe(16))
        Profile.objects.create(user=user, org=org, role=Role.OWNER)
    owner = Profile.objects.get(user=user, org=org)
    with org_context(org):
        campaign = Campaign.objects.create(org=org, name="Harbour Lofts launch", currency="EUR", created_by=owner)
    settings.OPENAI_API_KEY = KEY
    settings.AI_REQUESTS_PER_MINUTE_PER_MEMBER = 1_000_000
    auth = {"HTTP_AUTHORIZATION": f"Bearer {access_token_for(user)}", "HTTP_ORG": str(org.pk)}
    client = Client()

    with local_http_server(FakeOpenAI()) as server:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
            "OPENAI_API_KEY": KEY,
            "OPENAI_BASE_URL": server.url + "/v1",
            "AI_MAX_RETRIES": "0",
            "ORG_POOL_SIZE": "0",
        }
        worker = _start_worker(env)
        try:
            rows = _measure(client, auth, campaign, org, GenerationJob, args.jobs)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    with org_context(org):
        GenerationJob.objects.filter(campaign=campaign).delete()
        campaign.delete()
    _report(rows, args.jobs)


def _measure(client: Any, auth: dict[str, str], campaign: Any, org: Any, job_model: Any, jobs: int) -> list[dict]:
    from common.context import org_context

    url = f"/api/campaigns/{campaign.pk}/generate/"
    body = {"channels": ["google_ads", "email"], "count": 2, "instructions": "Stress the sea views."}
    rows = []
    for n in range(jobs + 5):  # the first five warm the worker, the SDK client and the caches up
        started = time.perf_counter()
        response = client.post(url, body, content_type="application/json", **auth)
        answered = time.perf_counter()
        assert response.status_code == 202, response.json()
        job_id = response.json()["id"]
        while True:
            with org_context(org):
                job = (
                    job_model.objects.filter(pk=job_id)
                    .values("state", "created_at", "started_at", "finished_at")
                    .first()
                )
            if job["state"] in ("succeeded", "failed"):
                break
            if time.perf_counter() - started > 60:
                raise RuntimeError("a job did not finish within 60 s: is the worker running?")
            time.sleep(POLL_SECONDS)
        finished = time.perf_counter()
        assert job["state"] == "succeeded", job
        if n >= 5:
            rows.append(
                {
                    "total": (finished - started) * 1000,
                    "request": (answered - started) * 1000,
                    "queue": (job["started_at"] - job["created_at"]).total_seconds() * 1000,
                    "run": (job["finished_at"] - job["started_at"]).total_seconds() * 1000,
                }
            )
    return rows


def _report(rows: list[dict], jobs: int) -> None:
    print(f"AI copy, {jobs} jobs one after another (google_ads + email, 2 variants each), model answering at once")
    print(f"generate request -> job succeeded   {_percentiles([row['total'] for row in rows])}")
    print(f"  POST /generate/ (202)              {_percentiles([row['request'] for row in rows])}")
    print(f"  queued -> claimed by the worker   {_percentiles([row['queue'] for row in rows])}")
    print(f"  claimed -> succeeded (run)        {_percentiles([row['run'] for row in rows])}")
    print(f"(polled every {POLL_SECONDS * 1000:g} ms)")


if __name__ == "__main__":
    main()
