"""Image enhancement jobs against a real local HTTP server playing the enhancement service: the signed request,
the signed callback (bad, missing, stale and replayed signatures refused), the result fetched and stored as
`enhanced` variants, a service that answers 500, and a job the service never answers swept by the beat task."""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.parser import BytesParser
from email.policy import default as email_policy
from typing import Any

import pytest
from django.utils import timezone

from common.context import org_context
from properties.media.models import EnhancementJob, PropertyImage
from properties.media.signatures import signature_header, signature_verify
from properties.media.tasks import enhancement_timeouts
from properties.media.tests.helpers import image_of, image_url, photo_bytes, ready_image_of
from properties.tests.helpers import listing
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.local_http import LocalHttpServer, Reply, local_http_server
from timeline.models import Notification

pytestmark = pytest.mark.django_db

SECRET = "a-shared-secret-for-the-tests"
ENHANCED = photo_bytes((1600, 1000), format="PNG", colour=(250, 200, 120))


@contextmanager
def enhancement_service(settings: Any, *, jobs: Reply | None = None, results: dict[str, Reply] | None = None
                        ) -> Iterator[LocalHttpServer]:  # fmt: skip
    """POST /enhance takes jobs (202 with its own id unless told otherwise); GET /results/... serves results."""

    def answer(request: Any) -> Reply:
        if request.method == "POST" and request.path == "/enhance":
            return jobs or Reply(202, {"id": "svc-42"})
        return (results or {}).get(request.path, Reply(404, {"error": "no such result"}))

    with local_http_server(answer) as server:
        settings.IMAGE_ENHANCEMENT_URL = f"{server.url}/enhance"
        settings.IMAGE_ENHANCEMENT_SECRET = SECRET
        settings.PUBLIC_BASE_URL = "https://crm.example.test"
        yield server


def _callback_url(org: Any, job_id: Any) -> str:
    return f"/api/public/orgs/{org.pk}/media/enhancements/{job_id}/callback/"


def _call_back(org: Any, job_id: Any, body: dict[str, Any], *, signature: str | None = "sign") -> Any:
    raw = json.dumps(body).encode()
    headers = {}
    if signature == "sign":
        headers["HTTP_X_KEYSTONE_SIGNATURE"] = signature_header(SECRET, raw)
    elif signature is not None:
        headers["HTTP_X_KEYSTONE_SIGNATURE"] = signature
    return client_for(None).post(_callback_url(org, job_id), raw, content_type="application/json", **headers)


def _job(job_id: Any, org: Any = None) -> EnhancementJob:
    with org_context(org) if org else _org_a_context():
        return EnhancementJob.all_orgs_unsafe.get(pk=job_id)


@contextmanager
def _org_a_context() -> Iterator[None]:
    from tenants.models import Org

    with org_context(Org.objects.get(slug="alpha")):
        yield


def _state(job_id: Any) -> tuple[str, str, str]:
    job = _job(job_id)
    return job.status, job.error, job.callback_signature


def _notes(cast: Cast) -> list[tuple[str, str, str]]:
    with org_context(cast.org_a):
        rows = Notification.objects.filter(kind="enhancement_done").order_by("created_at")
        return [(str(row.recipient_id), row.message, str(row.target_id)) for row in rows]


def _multipart(request: Any) -> dict[str, bytes]:
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=email_policy).parsebytes(head + request.body)
    return {part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
            for part in message.iter_parts()}  # fmt: skip


def _requested(cast: Cast, house: Any, image: Any, captured: Any, who: Any = None) -> Any:
    with captured(execute=True):
        return client_for(who or cast.admin).post(image_url(house, image, "enhancements/"))


# --- the whole way through ---------------------------------------------------------------------------------


def test_an_admin_enhances_a_photo_and_it_becomes_the_images_enhanced_variants(
    cast: Cast, settings, run_tasks_inline, django_capture_on_commit_callbacks
) -> None:
    house = listing(cast, title="Harbour Offices")
    image = ready_image_of(cast, house, name="front.jpg")
    results = {"/results/job.png": Reply(200, ENHANCED, {"Content-Type": "image/png"})}
    with enhancement_service(settings, results=results) as service:
        requested = _requested(cast, house, image, django_capture_on_commit_callbacks)
        job_id = requested.json()["id"]
        sent = service.requests[0]
        with django_capture_on_commit_callbacks(execute=True):
            answered = _call_back(
                cast.org_a,
                job_id,
                {"job_id": job_id, "status": "completed", "image_url": f"{service.url}/results/job.png"},
            )

    assert (requested.status_code, requested.json()["status"]) == (202, "pending")
    # The service got the original, the job and where to answer, signed with the shared secret.
    signature_verify(sent.headers["x-keystone-signature"], sent.body, secret=SECRET, tolerance=60)
    fields = _multipart(sent)
    assert fields == {
        "job_id": job_id.encode(),
        "callback_url": f"https://crm.example.test/api/public/orgs/{cast.org_a.pk}/media/enhancements/{job_id}/callback/".encode(),
        "image": photo_bytes(),
    }
    assert (answered.status_code, answered.json()) == (202, {"job_id": job_id, "status": "processing"})
    job = _job(job_id)
    assert (job.status, job.error, job.external_id, job.requested_by_id) == (
        "completed",
        "",
        "svc-42",
        cast.admin.pk,
    )
    assert job.submitted_at and job.callback_received_at and job.finished_at
    with org_context(cast.org_a):
        variants = PropertyImage.objects.get(pk=image.pk).variants
    assert {name: (entry["width"], entry["height"]) for name, entry in variants.items()} == {
        "large": (64, 48), "medium": (64, 48), "thumbnail": (64, 48),
        "enhanced": (1600, 1000), "enhanced_large": (1600, 1000), "enhanced_medium": (1024, 640),
        "enhanced_thumbnail": (320, 200),
    }  # fmt: skip
    shown = client_for(cast.viewer).get(image_url(house, image)).json()["urls"]
    assert shown["enhanced_medium"] == f"/api/properties/{house.pk}/images/{image.pk}/files/enhanced_medium/"
    assert client_for(cast.viewer).get(shown["enhanced"]).status_code == 200
    assert _notes(cast) == [
        (str(cast.admin.pk), "The enhanced photo front.jpg of Harbour Offices is ready.", str(house.pk))
    ]
    jobs = client_for(cast.member).get(image_url(house, image, "enhancements/")).json()
    assert [(row["id"], row["status"]) for row in jobs] == [(job_id, "completed")]


def test_a_second_enhancement_replaces_the_first_ones_files(
    cast: Cast, settings, run_tasks_inline, django_capture_on_commit_callbacks
) -> None:
    house = listing(cast)
    image = ready_image_of(cast, house)
    storage = image.original.storage
    results = {"/results/one.png": Reply(200, ENHANCED), "/results/two.png": Reply(200, photo_bytes((900, 900)))}
    with enhancement_service(settings, results=results) as service:
        files = []
        for name in ("one", "two"):
            job_id = _requested(cast, house, image, django_capture_on_commit_callbacks).json()["id"]
            with django_capture_on_commit_callbacks(execute=True):
                _call_back(cast.org_a, job_id, {"job_id": job_id, "status": "completed",
                                                "image_url": f"{service.url}/results/{name}.png"})  # fmt: skip
            with org_context(cast.org_a):
                files.append(PropertyImage.objects.get(pk=image.pk).variants["enhanced"])

    assert (files[1]["width"], files[1]["height"]) == (900, 900)
    assert not storage.exists(files[0]["file"]) and storage.exists(files[1]["file"])


# --- who may ask, and when -------------------------------------------------------------------------------


def test_without_a_configured_service_enhancement_is_a_409_and_no_job_is_made(cast: Cast, settings) -> None:
    settings.IMAGE_ENHANCEMENT_URL = None
    house = listing(cast)
    image = image_of(cast, house)

    response = client_for(cast.owner).post(image_url(house, image, "enhancements/"))

    assert (response.status_code, response.json()) == (
        409,
        {"code": "enhancement_disabled", "detail": "Image enhancement is not set up for this installation.",
         "fields": {}},
    )  # fmt: skip
    with org_context(cast.org_a):
        assert not EnhancementJob.objects.exists()


def test_only_owners_and_admins_ask_and_one_job_runs_at_a_time(
    cast: Cast, settings, django_capture_on_commit_callbacks
) -> None:
    house = listing(cast, actor=cast.member)
    image = image_of(cast, house)
    with enhancement_service(settings):
        refused = [client_for(who).post(image_url(house, image, "enhancements/")).status_code
                   for who in (cast.manager, cast.member, cast.viewer)]  # fmt: skip
        first = client_for(cast.owner).post(image_url(house, image, "enhancements/"))
        again = client_for(cast.admin).post(image_url(house, image, "enhancements/"))

    assert refused == [403, 403, 403]
    assert first.status_code == 202
    assert (again.status_code, again.json()["code"]) == (409, "enhancement_in_progress")
    with org_context(cast.org_a):
        assert EnhancementJob.objects.count() == 1


# --- the callback's signature --------------------------------------------------------------------------------


@pytest.fixture
def processing_job(cast: Cast, settings, run_tasks_inline, django_capture_on_commit_callbacks) -> Iterator[Any]:
    house = listing(cast)
    image = ready_image_of(cast, house)
    with enhancement_service(settings, results={"/results/r.png": Reply(200, ENHANCED)}) as service:
        job_id = _requested(cast, house, image, django_capture_on_commit_callbacks).json()["id"]
        assert _job(job_id).status == "processing"
        yield job_id, {"job_id": job_id, "status": "completed", "image_url": f"{service.url}/results/r.png"}


def _refusal(code: str, detail: str) -> dict[str, Any]:
    return {"code": code, "detail": detail, "fields": {}}


def test_an_unsigned_or_wrongly_signed_callback_is_a_401_and_changes_nothing(cast: Cast, processing_job) -> None:
    job_id, body = processing_job
    raw = json.dumps(body).encode()

    unsigned = _call_back(cast.org_a, job_id, body, signature=None)
    wrong_secret = _call_back(cast.org_a, job_id, body, signature=signature_header("not-the-secret", raw))
    other_body = _call_back(cast.org_a, job_id, body, signature=signature_header(SECRET, raw + b" "))
    malformed = _call_back(cast.org_a, job_id, body, signature="v1=abc")

    assert (unsigned.status_code, unsigned.json()) == (
        401, _refusal("signature_missing", "The X-Keystone-Signature header is missing."),
    )  # fmt: skip
    invalid = _refusal("signature_invalid", "The signature does not match the body.")
    assert [(r.status_code, r.json()) for r in (wrong_secret, other_body)] == [(401, invalid)] * 2
    assert (malformed.status_code, malformed.json()["code"]) == (401, "signature_invalid")
    assert _state(job_id) == ("processing", "", "")


def test_a_stale_callback_is_a_401_and_changes_nothing(cast: Cast, settings, processing_job) -> None:
    job_id, body = processing_job
    raw = json.dumps(body).encode()
    old = int(time.time()) - settings.IMAGE_ENHANCEMENT_CALLBACK_TOLERANCE_SECONDS - 5

    response = _call_back(cast.org_a, job_id, body, signature=signature_header(SECRET, raw, timestamp=old))

    assert (response.status_code, response.json()) == (
        401, _refusal("signature_expired", "The signature is too old (or from the future)."),
    )  # fmt: skip
    assert _state(job_id) == ("processing", "", "")


def test_a_replayed_callback_is_a_409_and_changes_nothing(
    cast: Cast, processing_job, django_capture_on_commit_callbacks
) -> None:
    job_id, body = processing_job
    raw = json.dumps(body).encode()
    header = signature_header(SECRET, raw)
    with django_capture_on_commit_callbacks(execute=True):
        first = _call_back(cast.org_a, job_id, body, signature=header)
    done = _job(job_id)

    replay = _call_back(cast.org_a, job_id, body, signature=header)
    resigned = _call_back(cast.org_a, job_id, {**body, "status": "failed", "error": "late"})

    assert first.status_code == 202
    assert (replay.status_code, replay.json()) == (
        409,
        _refusal("callback_replayed", "This callback was already received."),
    )
    assert (resigned.status_code, resigned.json()) == (
        409,
        _refusal("job_finished", "This job is already completed."),
    )
    after = _job(job_id)
    assert (after.status, after.finished_at, after.callback_signature) == (
        "completed",
        done.finished_at,
        done.callback_signature,
    )


def test_a_callback_for_another_job_or_org_finds_nothing(cast: Cast, processing_job) -> None:
    job_id, body = processing_job

    under_b = _call_back(cast.org_b, job_id, body)
    mismatched = _call_back(cast.org_a, job_id, {**body, "job_id": "00000000-0000-7000-8000-00000000abcd"})

    assert (under_b.status_code, under_b.json()) == (404, _refusal("not_found", "Not found."))
    assert (mismatched.status_code, mismatched.json()["code"]) == (400, "job_mismatch")
    assert _state(job_id) == ("processing", "", "")


# --- failures ----------------------------------------------------------------------------------------------


def test_a_service_that_answers_500_fails_the_job_with_the_reason(
    cast: Cast, settings, run_tasks_inline, django_capture_on_commit_callbacks
) -> None:
    house = listing(cast, title="Harbour Offices")
    image = ready_image_of(cast, house, name="front.jpg")
    with enhancement_service(settings, jobs=Reply(500, {"error": "overloaded"})) as service:
        job_id = _requested(cast, house, image, django_capture_on_commit_callbacks).json()["id"]

    assert len(service.requests) == 1
    assert _state(job_id) == ("failed", "The enhancement service answered HTTP 500.", "")
    assert _notes(cast) == [(
        str(cast.admin.pk),
        "Enhancing the photo front.jpg of Harbour Offices failed: The enhancement service answered HTTP 500.",
        str(house.pk),
    )]  # fmt: skip
    detail = client_for(cast.viewer).get(image_url(house, image, f"enhancements/{job_id}/")).json()
    assert (detail["status"], detail["error"]) == ("failed", "The enhancement service answered HTTP 500.")


def test_the_service_reporting_a_failure_fails_the_job(cast: Cast, processing_job) -> None:
    job_id, _ = processing_job

    response = _call_back(cast.org_a, job_id, {"job_id": job_id, "status": "failed", "error": "model crashed"})

    assert (response.status_code, response.json()) == (200, {"job_id": job_id, "status": "failed"})
    assert _state(job_id)[:2] == ("failed", "The enhancement service failed: model crashed")


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        (Reply(200, b"<html>not an image</html>"),
         "The enhanced image was refused: This is not a JPEG, PNG or WebP image, or it is damaged."),
        (Reply(404, {"error": "gone"}), "The address of the enhanced image answered HTTP 404."),
        (Reply(200, photo_bytes((100, 100))),
         "The enhanced image was refused: Images may have at most 0.005 megapixels."),
    ],
    ids=["not-an-image", "missing", "too-many-pixels"],
)  # fmt: skip
def test_a_result_that_cannot_be_used_fails_the_job(
    cast: Cast, settings, run_tasks_inline, django_capture_on_commit_callbacks, result: Reply, reason: str
) -> None:
    house = listing(cast)
    image = ready_image_of(cast, house)
    with enhancement_service(settings, results={"/results/r.png": result}) as service:
        job_id = _requested(cast, house, image, django_capture_on_commit_callbacks).json()["id"]
        settings.PROPERTY_IMAGE_MAX_PIXELS = 5000
        with django_capture_on_commit_callbacks(execute=True):
            _call_back(cast.org_a, job_id, {"job_id": job_id, "status": "completed",
                                            "image_url": f"{service.url}/results/r.png"})  # fmt: skip

    assert _state(job_id)[:2] == ("failed", reason)
    with org_context(cast.org_a):
        assert "enhanced" not in PropertyImage.objects.get(pk=image.pk).variants


# --- timeouts ----------------------------------------------------------------------------------------------


def test_jobs_the_service_never_answers_are_timed_out_by_the_beat_task_in_every_org(
    cast: Cast, settings, run_tasks_inline, django_capture_on_commit_callbacks
) -> None:
    house = listing(cast, title="Harbour Offices")
    image = ready_image_of(cast, house, name="front.jpg")
    theirs = listing(cast, org=cast.org_b)
    their_image = image_of(cast, theirs)
    with enhancement_service(settings) as service:
        job_id = _requested(cast, house, image, django_capture_on_commit_callbacks).json()["id"]
        fresh_id = _requested(cast, house, image_of(cast, house), django_capture_on_commit_callbacks).json()["id"]
    with org_context(cast.org_b):
        their_job = EnhancementJob.objects.create(org=cast.org_b, image=their_image, requested_by=cast.other_owner)
    stuck = timezone.now() - datetime.timedelta(seconds=settings.IMAGE_ENHANCEMENT_TIMEOUT_SECONDS + 1)
    for org, pk in ((cast.org_a, job_id), (cast.org_b, their_job.pk)):
        with org_context(org):
            EnhancementJob.objects.filter(pk=pk).update(created_at=stuck)
    assert len(service.requests) == 2 and _state(job_id)[0] == "processing"

    swept = enhancement_timeouts.apply().get()
    again = enhancement_timeouts.apply().get()

    reason = "no answer from the enhancement service within 15 minute(s)."
    assert (swept, again) == (2, 0)
    assert _state(job_id)[:2] == ("timed_out", reason)
    assert _job(their_job.pk, cast.org_b).status == "timed_out"
    assert _state(fresh_id)[0] == "processing"
    assert _notes(cast) == [(
        str(cast.admin.pk), f"Enhancing the photo front.jpg of Harbour Offices timed out: {reason}", str(house.pk)
    )]  # fmt: skip
    late = _call_back(
        cast.org_a, job_id, {"job_id": job_id, "status": "completed", "image_url": "https://x.test/r.png"}
    )
    assert (late.status_code, late.json()["code"]) == (409, "job_finished")
