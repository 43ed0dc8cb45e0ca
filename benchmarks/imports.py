"""Imports at scale: a CSV of contacts with a company lookup (by domain) and two custom fields, previewed and
imported end to end by a real Celery worker, timed from the request to the job's end, with the worker's resident
memory sampled every second (peak, and first/last quarter to see it stay flat with file size).
Run: .venv/bin/python -m benchmarks.imports [--rows 100000] [--batch 500] [--skip-preview]
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

from benchmarks.emailing import _rss_mb
from benchmarks.harness import setup

ORG_SLUG = "bench-imports"


def _org() -> tuple[Any, Any]:
    from django.db import connection

    from common.context import org_context
    from common.models import Profile, Role, User
    from contacts.models import Company
    from customfields.models import CustomFieldDefinition
    from tenants.models import Org
    from tenants.orgs.provisioning import org_create

    org = Org.objects.filter(slug=ORG_SLUG).first() or org_create(name="Bench Imports", slug=ORG_SLUG)
    user = User.objects.filter(email="bench-imports@example.test").first() or User.objects.create_user(
        email="bench-imports@example.test", password="Bench-Passphrase-42"
    )
    owner, _ = Profile.objects.get_or_create(user=user, org=org, defaults={"role": Role.OWNER})
    with org_context(org):
        with connection.cursor() as cursor:
            for table in ("imports_importrow", "imports_importjob", "timeline_activityentry", "contacts_contact"):
                cursor.execute(f"DELETE FROM {table} WHERE org_id = %s", [org.pk])
        for n in range(50):
            Company.objects.get_or_create(org=org, domain=f"company-{n}.test", defaults={"name": f"Company {n}"})
        for key in ("budget", "segment"):
            CustomFieldDefinition.objects.get_or_create(
                org=org, module="contacts.contact", key=key, defaults={"label": key.title(), "field_type": "text"}
            )
    return org, owner


def _file(rows: int) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["First name", "Last name", "Email", "Company", "Budget", "Segment"])
        for n in range(rows):
            writer.writerow([f"Person{n}", "Bench", f"p{n}@bench.test", f"company-{n % 50}.test", str(n), "vip"])
    return handle.name


def _worker() -> subprocess.Popen[bytes]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.settings"}
    command = [sys.executable, "-m", "celery", "-A", "crm", "worker", "--pool", "solo", "--loglevel", "WARNING"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    return subprocess.Popen(command, env=env, start_new_session=True)


def _until_ready() -> None:
    """Timing starts once the worker answers: on a busy machine its start-up alone takes minutes."""
    from crm.celery import app

    deadline = time.monotonic() + 600
    while not app.control.ping(timeout=1.0):
        assert time.monotonic() < deadline, "the worker did not start"


def _wait(org: Any, job_id: Any, done: set[str], worker: Any) -> tuple[float, list[float]]:
    from common.context import org_context
    from imports.models import ImportJob

    started, samples = time.monotonic(), []
    while True:
        samples.append(_rss_mb(worker))
        with org_context(org):
            job = ImportJob.objects.get(pk=job_id)
        if job.status in done:
            return time.monotonic() - started, samples
        time.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--skip-preview", action="store_true")
    args = parser.parse_args()
    os.environ["IMPORTS_BATCH_SIZE"] = str(args.batch)
    os.environ["IMPORTS_MAX_ROWS_PER_DAY_PER_ORG"] = str(10 * args.rows)
    setup()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from common.context import org_context
    from imports import services
    from imports.models import ImportJob

    org, owner = _org()
    path = _file(args.rows)
    with open(path, "rb") as handle, org_context(org):
        started = time.monotonic()
        job = services.job_upload(
            org=org, actor=owner, module="contacts", upload=SimpleUploadedFile("b.csv", handle.read())
        )
        print(f"upload and inspect of {args.rows} rows: {time.monotonic() - started:.1f} s; mapping {job.mapping}")
    worker = _worker()
    try:
        _until_ready()
        if not args.skip_preview:
            with org_context(org):
                services.job_preview(org=org, actor=owner, job_id=job.pk)
            took, rss = _wait(org, job.pk, {"previewed", "failed"}, worker)
            with org_context(org):
                counts = ImportJob.objects.get(pk=job.pk).preview_counts
            print(
                f"preview: {took:.1f} s ({args.rows / took:.0f} rows/s), {counts}, worker RSS peak {max(rss):.0f} MB"
            )
        with org_context(org):
            services.job_start(org=org, actor=owner, job_id=job.pk)
        took, rss = _wait(org, job.pk, {"completed", "failed"}, worker)
        with org_context(org):
            final = ImportJob.objects.get(pk=job.pk)
        quarter = max(1, len(rss) // 4)
        print(f"import: {took:.1f} s ({args.rows / took:.0f} rows/s), {final.status} {final.counts}")
        print(
            f"worker RSS: peak {max(rss):.0f} MB, first quarter {max(rss[:quarter]):.0f} MB, "
            f"last quarter {max(rss[-quarter:]):.0f} MB"
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        os.unlink(path)


if __name__ == "__main__":
    main()
