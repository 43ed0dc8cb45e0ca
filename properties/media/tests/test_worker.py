"""Listing media in a real Celery worker process: the variants are made after the upload commits (a damaged
photo ends `failed`, never stuck), and an enhancement goes to a local HTTP server playing the service and back.

The worker cannot see a test's transaction, so what it must read is committed for real: written from a thread
of its own (its own connection, in autocommit, so the upload's on-commit work sends the task exactly as in
production) and removed again by the fixture."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.test import Client

from common.context import org_context
from properties import services as property_services
from properties.media import services
from properties.media.models import EnhancementJob, PropertyImage
from properties.media.signatures import signature_header
from properties.media.tests.helpers import exists, photo, photo_bytes
from properties.models import Property
from tenants.models import Org
from tenants.testing.committed import in_own_connection as _committed
from tenants.testing.fixtures import Cast, access_token_for, celery_worker_started
from tenants.testing.local_http import LocalHttpServer, Reply, local_http_server
from timeline.models import ActivityEntry, Notification

pytestmark = pytest.mark.django_db

SECRET = "worker-test-secret"
ENHANCED = photo_bytes((1200, 900), format="PNG", colour=(230, 190, 90))
T = TypeVar("T")


def _wait_for(predicate: Callable[[], bool], timeout: float = 90.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def service() -> Iterator[LocalHttpServer]:
    """The enhancement service: takes jobs at POST /enhance, serves results at GET /results/..."""

    def answer(request: Any) -> Reply:
        if request.method == "POST" and request.path == "/enhance":
            return Reply(202, {"id": "svc-worker"})
        if request.path == "/results/enhanced.png":
            return Reply(200, ENHANCED, {"Content-Type": "image/png"})
        return Reply(404)

    with local_http_server(answer) as server:
        yield server


@pytest.fixture(scope="module")
def worker(service: LocalHttpServer, _cast_ids: Any) -> Iterator[Any]:
    """One worker for the module, sharing this session's media folder and knowing the local service."""
    extra_env = {
        "DJANGO_SETTINGS_MODULE": "properties.media.tests.worker_settings",
        "KEYSTONE_TEST_MEDIA_ROOT": str(django_settings.MEDIA_ROOT),
        "IMAGE_ENHANCEMENT_URL": f"{service.url}/enhance",
        "IMAGE_ENHANCEMENT_SECRET": SECRET,
        "PUBLIC_BASE_URL": "https://crm.example.test",
    }
    with celery_worker_started(extra_env) as process:
        yield process


@pytest.fixture
def committed_listing(cast: Cast) -> Iterator[Property]:
    """A listing of org A committed for real, removed afterwards with everything hanging off it."""
    org = cast.org_a

    def create() -> Property:
        with org_context(org):
            return property_services.property_create(
                org=org, actor=cast.owner, data={"title": "Worker House", "property_type": "house"}
            )

    listing = _committed(create)
    yield listing

    def remove() -> None:
        with org_context(Org.objects.get(pk=org.pk)), transaction.atomic():
            for model in (ActivityEntry, Notification):
                model.objects.filter(target_id=listing.pk).delete()
            Property.objects.filter(pk=listing.pk).delete()  # its images and their files go with it

    _committed(remove)


def _upload(cast: Cast, listing: Property, data: bytes, name: str) -> PropertyImage:
    def upload() -> PropertyImage:
        with org_context(cast.org_a):
            return services.image_upload(
                org=cast.org_a, actor=cast.owner, property_id=listing.pk, upload=photo(name, data)
            )

    return _committed(upload)


def _reloaded(image: PropertyImage) -> PropertyImage:
    with org_context(image.org):
        return PropertyImage.objects.get(pk=image.pk)


def test_the_worker_makes_the_variants_after_the_upload_commits_and_a_damaged_photo_ends_failed(
    cast: Cast, committed_listing: Property, worker: Any
) -> None:
    good = _upload(cast, committed_listing, photo_bytes((2400, 1600)), "front.jpg")
    damaged = _upload(cast, committed_listing, photo_bytes((800, 600))[:-300], "cut.jpg")

    settled = _wait_for(lambda: all(_reloaded(i).variants_status != "pending" for i in (good, damaged)))

    assert settled, "the worker did not settle the images"
    good, damaged = _reloaded(good), _reloaded(damaged)
    assert good.variants_status == "ready"
    assert {name: (v["width"], v["height"]) for name, v in good.variants.items()} == {
        "large": (2048, 1365), "medium": (1024, 683), "thumbnail": (320, 213),
    }  # fmt: skip
    assert all(exists(entry["file"]) for entry in good.variants.values())
    assert (damaged.variants_status, damaged.variants) == ("failed", {})
    assert damaged.variants_error.startswith("The image could not be decoded (image file is truncated")
    assert worker.poll() is None


def test_an_enhancement_goes_through_the_worker_to_the_service_and_back(
    cast: Cast, committed_listing: Property, worker: Any, service: LocalHttpServer, settings
) -> None:
    settings.IMAGE_ENHANCEMENT_URL, settings.IMAGE_ENHANCEMENT_SECRET = f"{service.url}/enhance", SECRET
    image = _upload(cast, committed_listing, photo_bytes((640, 480)), "front.jpg")
    assert _wait_for(lambda: _reloaded(image).variants_status == "ready")

    def request() -> EnhancementJob:
        with org_context(cast.org_a):
            return services.enhancement_request(
                org=cast.org_a, actor=cast.admin, property_id=committed_listing.pk, image_id=image.pk
            )

    job = _committed(request)

    def job_status() -> str:
        with org_context(cast.org_a):
            return str(EnhancementJob.objects.get(pk=job.pk).status)

    assert _wait_for(lambda: job_status() == "processing"), job_status()
    sent = json.dumps(
        {"job_id": str(job.pk), "status": "completed", "image_url": f"{service.url}/results/enhanced.png"}
    )
    callback = f"/api/public/orgs/{cast.org_a.pk}/media/enhancements/{job.pk}/callback/"
    answered = _committed(lambda: Client().post(
        callback, sent, content_type="application/json",
        HTTP_X_KEYSTONE_SIGNATURE=signature_header(SECRET, sent.encode()),
    ))  # fmt: skip

    assert answered.status_code == 202, answered.content
    assert _wait_for(lambda: job_status() == "completed"), job_status()
    enhanced = _reloaded(image).variants["enhanced"]
    assert ((enhanced["width"], enhanced["height"]), exists(enhanced["file"])) == ((1200, 900), True)
    with org_context(cast.org_a):
        notes = list(
            Notification.objects.filter(target_id=committed_listing.pk).values_list("recipient_id", "kind")
        )
    assert notes == [(cast.admin.pk, "enhancement_done")]
    viewer = Client(HTTP_AUTHORIZATION=f"Bearer {access_token_for(cast.viewer.user)}", HTTP_ORG="alpha")
    assert (
        viewer.get(f"/api/properties/{committed_listing.pk}/images/{image.pk}/files/enhanced/").status_code == 200
    )
