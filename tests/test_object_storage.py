"""Uploaded files in S3-compatible object storage, end to end: through the API, django-storages and boto3 into a
bucket, and back out through each authorised route as a redirect to a short-lived signed URL.

The object store is moto in server mode (`ThreadedMotoServer`, a real HTTP server on 127.0.0.1): it is the only
emulator these tests use, and the only one allowed here, because no real object store installs from the package
index. Everything else is real: the API, django-storages, boto3, signed URLs fetched over HTTP.
"""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from moto.server import ThreadedMotoServer
from PIL import Image

from campaigns.tests.helpers import campaign, png
from common.context import org_context
from common.files import storage_signs_urls
from crm.settings.services import storages_setting
from invoices.tests.helpers import issued
from properties.media.tests.helpers import image_url, ready_image_of
from properties.tests.helpers import listing
from tenants.models import Org
from tenants.testing.fixtures import Cast, client_for
from timeline.models import Attachment
from timeline.tests.factories import make_contact, target_of

pytestmark = pytest.mark.django_db

BUCKET = "keystone-files"
KEYS = {"access_key": "keystone-test", "secret_key": "keystone-test-secret", "region": "eu-west-1"}
LIFETIME = 60
ATTACHMENTS = "/api/timeline/attachments/"
PDF_BYTES = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
NOT_FOUND = {"code": "not_found", "detail": "Not found.", "fields": {}}


@pytest.fixture(scope="module")
def object_store() -> Iterator[str]:
    """A local S3-compatible server for this module; its endpoint URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        _client(endpoint).create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": KEYS["region"]}
        )
        yield endpoint
    finally:
        server.stop()


def _client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
        region_name=KEYS["region"],
    )


@pytest.fixture
def bucket(object_store: str, settings: Any, tmp_path: Any) -> Iterator[Any]:
    """The default storage is the bucket for one test (as with AWS_STORAGE_BUCKET_NAME set), emptied after."""
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGE_SIGNED_URL_SECONDS = LIFETIME
    settings.STORAGES = storages_setting(
        bucket=BUCKET, endpoint_url=object_store, signed_url_seconds=LIFETIME, **KEYS
    )
    client = _client(object_store)
    try:
        yield client
    finally:
        for entry in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=entry["Key"])


def _keys(client: Any) -> list[str]:
    return sorted(entry["Key"] for entry in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def _fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    """The signed URL fetched over HTTP, as a browser would after the redirect."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def _signed(response: Any, object_store: str) -> str:
    """The redirect's target, checked to be a URL of the bucket signed for LIFETIME seconds."""
    assert response.status_code == 302, getattr(response, "content", b"")[:300]
    url = response["Location"]
    assert url.startswith(f"{object_store}/{BUCKET}/")
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == [str(LIFETIME)]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    return url


def _upload_attachment(cast: Cast, content: bytes, name: str = "brief.pdf") -> dict[str, Any]:
    file = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = client_for(cast.owner).post(
        ATTACHMENTS, {**target_of(make_contact(cast)), "file": file}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    return dict(response.json())


def test_local_storage_is_the_default_and_the_bucket_replaces_it_when_named(
    bucket: Any, object_store: str
) -> None:
    default = storages_setting(bucket=None)
    assert default["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert storage_signs_urls(default_storage)
    assert default_storage.bucket_name == BUCKET
    assert default_storage.default_acl is None


def test_an_attachment_is_stored_in_the_bucket_and_downloaded_through_a_signed_url(
    cast: Cast, bucket: Any, object_store: str, tmp_path: Any
) -> None:
    uploaded = _upload_attachment(cast, PDF_BYTES)
    with org_context(cast.org_a):
        stored_name = Attachment.objects.get(pk=uploaded["id"]).file.name
    assert _keys(bucket) == [stored_name]
    assert list(tmp_path.iterdir()) == []  # nothing on the local disk

    response = client_for(cast.viewer).get(uploaded["download_url"])

    assert response["Cache-Control"] == "private, no-store"
    status, headers, body = _fetch(_signed(response, object_store))
    assert (status, body) == (200, PDF_BYTES)
    assert headers["content-disposition"] == 'attachment; filename="brief.pdf"'
    assert headers["content-type"] == "application/pdf"
    assert headers["cache-control"] == "private, no-store"


def test_another_orgs_attachment_is_the_same_404_as_a_missing_one_and_is_never_signed(
    cast: Cast, bucket: Any
) -> None:
    uploaded = _upload_attachment(cast, PDF_BYTES)
    missing = f"{ATTACHMENTS}00000000-0000-7000-8000-000000000009/download/"

    answers = [client_for(cast.other_owner).get(uploaded["download_url"]), client_for(cast.owner).get(missing)]

    assert [(answer.status_code, answer.json()) for answer in answers] == [(404, NOT_FOUND)] * 2
    assert all("Location" not in answer for answer in answers)


def test_a_file_gone_from_the_bucket_is_file_missing_not_a_signed_url(cast: Cast, bucket: Any) -> None:
    uploaded = _upload_attachment(cast, PDF_BYTES)
    for key in _keys(bucket):
        bucket.delete_object(Bucket=BUCKET, Key=key)

    response = client_for(cast.owner).get(uploaded["download_url"])

    assert response.status_code == 404
    assert response.json() == {
        "code": "file_missing",
        "detail": "The file of this attachment is missing from storage.",
        "fields": {},
    }


def test_listing_photos_variants_are_made_from_the_bucket_and_served_privately_and_publicly(
    cast: Cast, bucket: Any, object_store: str
) -> None:
    house = listing(cast, is_published=True)
    image = ready_image_of(cast, house)
    assert _keys(bucket) == sorted([image.original.name, *(entry["file"] for entry in image.variants.values())])

    private = client_for(cast.viewer).get(image_url(house, image, "files/medium/"))
    public = client_for(None).get(f"/api/public/orgs/alpha/media/{image.public_token}/large/")

    assert private["Cache-Control"] == f"private, max-age={LIFETIME // 2}"
    status, headers, body = _fetch(_signed(private, object_store))
    assert (status, headers["content-type"], Image.open(io.BytesIO(body)).format) == (200, "image/webp", "WEBP")
    assert public["Cache-Control"] == f"public, max-age={LIFETIME // 2}"
    assert public["Cross-Origin-Resource-Policy"] == "cross-origin"
    status, headers, body = _fetch(_signed(public, object_store))
    assert (status, headers["cache-control"], Image.open(io.BytesIO(body)).format) == (
        200, "public, max-age=300", "WEBP",
    )  # fmt: skip
    outsider = client_for(cast.other_owner).get(image_url(house, image, "files/medium/"))
    assert (outsider.status_code, outsider.json()) == (404, NOT_FOUND)


def test_the_org_logo_is_stored_in_the_bucket_and_only_the_orgs_members_get_its_url(
    cast: Cast, bucket: Any, object_store: str
) -> None:
    logo = SimpleUploadedFile("logo.png", png((32, 32)), content_type="image/png")
    assert client_for(cast.admin).put("/api/org/logo/", {"logo": logo}, format="multipart").status_code == 200
    stored_name = Org.objects.get(pk=cast.org_a.pk).logo.name
    assert _keys(bucket) == [stored_name]

    mine = client_for(cast.viewer).get("/api/org/logo/")
    theirs = client_for(cast.other_owner).get("/api/org/logo/")

    status, headers, body = _fetch(_signed(mine, object_store))
    assert (status, headers["content-type"], body[:4]) == (200, "image/png", b"\x89PNG")
    assert (theirs.status_code, theirs.json()) == (404, NOT_FOUND)  # org B has no logo; A's is not reachable


def test_a_campaign_asset_downloads_through_a_signed_url_as_an_attachment(
    cast: Cast, bucket: Any, object_store: str
) -> None:
    made = campaign(cast)
    file = SimpleUploadedFile("flyer.png", png((40, 30)), content_type="image/png")
    body = (
        client_for(cast.owner).post(f"/api/campaigns/{made.pk}/assets/", {"file": file}, format="multipart").json()
    )

    response = client_for(cast.viewer).get(body["download_url"])
    other = client_for(cast.other_owner).get(body["download_url"])

    status, headers, content = _fetch(_signed(response, object_store))
    assert (status, headers["content-disposition"], content[:4]) == (
        200, 'attachment; filename="flyer.png"', b"\x89PNG",
    )  # fmt: skip
    assert (other.status_code, other.json()) == (404, NOT_FOUND)


def test_an_invoice_pdf_is_kept_in_the_bucket_and_streamed_by_the_app(cast: Cast, bucket: Any) -> None:
    invoice = issued(cast)

    response = client_for(cast.viewer).get(f"/api/invoices/{invoice.pk}/pdf/")

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    keys = _keys(bucket)
    assert len(keys) == 1 and keys[0].endswith(".pdf")
    again = client_for(cast.viewer).get(f"/api/invoices/{invoice.pk}/pdf/")
    assert again.content == response.content  # read back from the bucket, not drawn again
    assert _keys(bucket) == keys
