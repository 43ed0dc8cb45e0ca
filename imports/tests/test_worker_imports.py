"""Imports through a real Celery worker: progress batch by batch, cancel after the batch in flight (what was
imported stays, whole batches only), and a worker SIGKILLed mid-import: the next worker goes on from the last
committed batch and no row is imported twice."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import Any

import pytest

from common.context import org_context
from contacts.models import Contact
from emailing.tests.helpers import in_own_connection, wait_for
from imports.models import ImportJob, ImportRow
from imports.tests import helpers as h
from tenants.testing.committed import committed_rows_removed
from tenants.testing.fixtures import Cast, celery_worker_started, client_for

pytestmark = pytest.mark.django_db
URL = "/api/imports/"
SMALL_BATCHES = {"IMPORTS_BATCH_SIZE": "50", "IMPORTS_STALL_SECONDS": "1"}


@pytest.fixture(autouse=True)
def _shared_media(settings: Any) -> None:
    # The worker reads the uploaded file from the suite's media folder.
    SMALL_BATCHES["TEST_MEDIA_ROOT"] = str(settings.MEDIA_ROOT)


@pytest.fixture
def committed(cast: Cast) -> Iterator[None]:
    with committed_rows_removed(cast.org_a):
        yield


def _people(count: int) -> bytes:
    rows = [["First name", "Email", "Tags"]]
    rows += [[f"Person {n}", f"bulk-{n}@example.test", h.MARKER] for n in range(count)]
    return h.csv_bytes(rows)


def _started(cast: Cast, count: int) -> str:
    def go() -> str:
        manager = client_for(cast.manager)
        upload = h.upload("people.csv", _people(count))
        job_id = str(manager.post(URL, {"module": "contacts", "file": upload}, format="multipart").json()["id"])
        assert manager.post(f"{URL}{job_id}/start/").status_code == 202
        return job_id

    return in_own_connection(go)


def _job(cast: Cast, job_id: str) -> ImportJob:
    def read() -> ImportJob:
        with org_context(cast.org_a):
            return ImportJob.objects.get(pk=job_id)

    return in_own_connection(read)


def _stored(cast: Cast, job_id: str) -> dict[str, Any]:
    def read() -> dict[str, Any]:
        with org_context(cast.org_a):
            emails = list(Contact.objects.filter(tags__contains=[h.MARKER]).values_list("email", flat=True))
            return {
                "contacts": len(emails),
                "distinct": len(set(emails)),
                "rows": ImportRow.objects.filter(job_id=job_id, is_preview=False).count(),
            }

    return in_own_connection(read)


def test_progress_and_cancel_after_the_batch_in_flight(cast: Cast, committed: None) -> None:
    with celery_worker_started(SMALL_BATCHES):
        job_id = _started(cast, 3000)
        assert wait_for(lambda: _job(cast, job_id).processed_rows >= 100, timeout=120)
        in_own_connection(lambda: client_for(cast.manager).post(f"{URL}{job_id}/cancel/"))
        assert wait_for(lambda: _job(cast, job_id).status == "cancelled", timeout=60)
    job = _job(cast, job_id)
    stored = _stored(cast, job_id)
    assert 100 <= job.processed_rows < 3000 and job.processed_rows % 50 == 0
    assert stored == {"contacts": job.processed_rows, "distinct": job.processed_rows, "rows": job.processed_rows}
    assert job.counts == {"new": job.processed_rows, "update": 0, "skip": 0, "error": 0}


def test_a_worker_killed_mid_import_is_resumed_without_duplicates(cast: Cast, committed: None) -> None:
    from imports.tasks import resume_stalled

    with celery_worker_started(SMALL_BATCHES) as worker:
        job_id = _started(cast, 2000)
        assert wait_for(lambda: _job(cast, job_id).processed_rows >= 300, timeout=120)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    at_crash = _job(cast, job_id)
    assert at_crash.status == "running" and at_crash.processed_rows < 2000
    with celery_worker_started(SMALL_BATCHES):
        resume_stalled.apply_async()
        assert wait_for(lambda: _job(cast, job_id).status == "completed", timeout=180)
    job = _job(cast, job_id)
    assert job.counts == {"new": 2000, "update": 0, "skip": 0, "error": 0}
    assert _stored(cast, job_id) == {"contacts": 2000, "distinct": 2000, "rows": 2000}
