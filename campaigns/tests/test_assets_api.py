"""Campaign assets: uploads checked by content and size, downloads, duplicates, alt text and kind, approval, and
links to listing images instead of a second upload."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from campaigns.models import Asset
from campaigns.tests.helpers import CAMPAIGNS, RANDOM_ID, campaign, png
from common.context import org_context
from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + b"\x00" * 64
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + b"\x00" * 64


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _url(campaign_id: object, *rest: object) -> str:
    return f"{CAMPAIGNS}{campaign_id}/assets/" + "".join(f"{part}/" for part in rest)


def _upload(
    client: Any, campaign_id: object, content: bytes, name: str, declared: str = "image/png", **extra: Any
):
    file = SimpleUploadedFile(name, content, declared)
    return client.post(_url(campaign_id), {"file": file, **extra}, format="multipart")


def _field_error(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["fields"]["file"][0]["code"]


@pytest.mark.usefixtures("media_root")
def test_an_image_is_typed_by_its_content_and_named_after_it(cast: Cast) -> None:
    made = campaign(cast)

    response = _upload(client_for(cast.owner), made.pk, png((40, 30)), "flyer.pdf", "application/pdf",
                       kind="hero_image", alt_text="The harbour at dusk")  # fmt: skip

    assert response.status_code == 201, response.json()
    body = response.json()
    assert {key: body[key] for key in ("kind", "alt_text", "file_name", "content_type", "width", "height",
                                       "approval_state", "property_image_id")} == {
        "kind": "hero_image", "alt_text": "The harbour at dusk", "file_name": "flyer.pdf.png",
        "content_type": "image/png", "width": 40, "height": 30, "approval_state": "draft",
        "property_image_id": None,
    }  # fmt: skip
    assert body["download_url"] == f"/api/campaigns/{made.pk}/assets/{body['id']}/download/"


@pytest.mark.usefixtures("media_root")
@pytest.mark.parametrize(
    ("content", "name", "content_type", "file_name"),
    [
        (PDF, "brochure", "application/pdf", "brochure.pdf"),
        (MP4, "tour.mp4", "video/mp4", "tour.mp4"),
        (MOV, "tour.MOV", "video/quicktime", "tour.mov"),
        (WEBM, "tour.bin", "video/webm", "tour.bin.webm"),
    ],
)
def test_pdfs_and_short_videos_are_accepted_by_their_signature(
    cast: Cast, content: bytes, name: str, content_type: str, file_name: str
) -> None:
    made = campaign(cast)

    response = _upload(client_for(cast.owner), made.pk, content, name, "application/octet-stream")

    assert response.status_code == 201, response.json()
    assert (response.json()["content_type"], response.json()["file_name"]) == (content_type, file_name)


@pytest.mark.usefixtures("media_root")
def test_what_is_not_an_accepted_type_by_content_is_refused_whatever_its_name(cast: Cast) -> None:
    made = campaign(cast)
    client = client_for(cast.owner)
    broken_png = png((40, 30))[:60]
    gif_named_png = io.BytesIO()
    Image.new("RGB", (2, 2)).save(gif_named_png, "GIF")

    assert _field_error(_upload(client, made.pk, b"<html><script>x</script>", "photo.png")) == (
        400, "unsupported_file_type"
    )  # fmt: skip
    assert _field_error(_upload(client, made.pk, b"PK\x03\x04zip", "deck.pdf")) == (400, "unsupported_file_type")
    assert _field_error(_upload(client, made.pk, broken_png, "photo.png")) == (400, "invalid_image")
    assert _field_error(_upload(client, made.pk, b"", "empty.png")) == (400, "empty_file")
    assert _upload(client, made.pk, gif_named_png.getvalue(), "a.png").json()["content_type"] == "image/gif"
    with org_context(cast.org_a):
        assert Asset.objects.count() == 1


@pytest.mark.usefixtures("media_root")
def test_each_kind_of_file_has_its_size_limit(cast: Cast, settings: Any) -> None:
    settings.CAMPAIGN_ASSET_MAX_BYTES = {"image": 2048, "video": 10_000}
    made = campaign(cast)
    client = client_for(cast.owner)
    noise = io.BytesIO()
    Image.frombytes("RGB", (64, 64), random.Random(7).randbytes(64 * 64 * 3)).save(noise, "PNG")  # incompressible

    too_big = _upload(client, made.pk, noise.getvalue(), "big.png")
    video = _upload(client, made.pk, MP4, "tour.mp4")

    assert len(noise.getvalue()) > 2048
    assert (too_big.status_code, too_big.json()["fields"]["file"][0]) == (
        400, {"code": "file_too_large", "detail": "An image may be at most 2 KB."}
    )  # fmt: skip
    assert video.status_code == 201


@pytest.mark.usefixtures("media_root")
def test_the_same_file_twice_in_a_campaign_is_a_409_naming_the_first(cast: Cast) -> None:
    made = campaign(cast)
    client = client_for(cast.owner)
    first = _upload(client, made.pk, png(), "a.png").json()

    again = _upload(client, made.pk, png(), "b.png")

    assert (again.status_code, again.json()) == (409, {
        "code": "duplicate_asset", "detail": f"This campaign already has this file (asset {first['id']}).",
        "fields": {},
    })  # fmt: skip
    assert _upload(client, campaign(cast, name="Other").pk, png(), "a.png").status_code == 201


@pytest.mark.usefixtures("media_root")
def test_a_download_is_the_file_as_an_attachment_that_never_renders(cast: Cast) -> None:
    made = campaign(cast)
    content = png((5, 5))
    asset = _upload(client_for(cast.owner), made.pk, content, "hero.png").json()

    response = client_for(cast.viewer).get(_url(made.pk, asset["id"], "download"))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Disposition"] == 'attachment; filename="hero.png"'
    assert (response["X-Content-Type-Options"], response["Content-Security-Policy"]) == (
        "nosniff", "default-src 'none'; sandbox"
    )  # fmt: skip


@pytest.mark.usefixtures("media_root")
def test_an_asset_of_another_campaign_or_org_is_a_404(cast: Cast) -> None:
    mine, other = campaign(cast), campaign(cast, name="Other")
    theirs = campaign(cast, org=cast.org_b)
    other_asset = _upload(client_for(cast.owner), other.pk, png(), "a.png").json()["id"]
    their_asset = _upload(client_for(cast.other_owner), theirs.pk, png(), "a.png").json()["id"]
    client = client_for(cast.manager)

    for pk in (other_asset, their_asset, RANDOM_ID):
        for path in ((pk,), (pk, "download")):
            assert client.get(_url(mine.pk, *path)).status_code == 404
        assert client.patch(_url(mine.pk, pk), {"alt_text": "x"}, format="json").status_code == 404
        assert (
            client.post(_url(mine.pk, pk, "approval"), {"approval_state": "approved"}, format="json").status_code
            == 404
        )
        assert client.delete(_url(mine.pk, pk)).status_code == 404


@pytest.mark.usefixtures("media_root")
def test_managers_approve_and_a_later_change_sends_the_asset_back_to_draft(cast: Cast) -> None:
    made = campaign(cast)
    asset = _upload(client_for(cast.owner), made.pk, png(), "a.png").json()
    url = _url(made.pk, asset["id"])

    refused = client_for(cast.member).post(f"{url}approval/", {"approval_state": "approved"}, format="json")
    approved = client_for(cast.manager).post(f"{url}approval/", {"approval_state": "approved", "note": "Lovely"},
                                             format="json")  # fmt: skip
    changed = client_for(cast.owner).patch(url, {"alt_text": "Now with the pier"}, format="json")

    assert refused.status_code == 403
    decision = approved.json()
    assert (decision["approval_state"], decision["decided_by"], decision["approval_note"]) == (
        "approved", str(cast.manager.pk), "Lovely"
    )  # fmt: skip
    assert approved.json()["decided_at"] is not None
    assert {key: changed.json()[key] for key in ("alt_text", "approval_state", "decided_by", "decided_at")} == {
        "alt_text": "Now with the pier", "approval_state": "draft", "decided_by": None, "decided_at": None
    }  # fmt: skip
    timeline = client_for(cast.owner).get(f"{CAMPAIGNS}{made.pk}/timeline/").json()["results"]
    assert [entry["verb"] for entry in timeline[:3]] == ["asset_changed", "asset_approved", "asset_added"]


@pytest.mark.usefixtures("media_root")
def test_deleting_an_asset_removes_its_file_once_committed(
    cast: Cast, media_root: Path, django_capture_on_commit_callbacks
) -> None:
    made = campaign(cast)
    asset = _upload(client_for(cast.owner), made.pk, png(), "a.png").json()
    stored = [path for path in media_root.rglob("*.png")]
    assert len(stored) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast.owner).delete(_url(made.pk, asset["id"]))

    assert response.status_code == 204
    assert not stored[0].exists()


@pytest.mark.usefixtures("media_root")
def test_assets_are_listed_newest_first(cast: Cast) -> None:
    made = campaign(cast)
    client = client_for(cast.owner)
    first = _upload(client, made.pk, png(color="red"), "a.png").json()
    second = _upload(client, made.pk, PDF, "b.pdf").json()

    listed = client_for(cast.viewer).get(_url(made.pk)).json()

    assert (listed["count"], [row["id"] for row in listed["results"]]) == (2, [second["id"], first["id"]])


# --- listing images ----------------------------------------------------------------------------------------


def _listing_image(cast: Cast, org: Any = None) -> Any:
    """A gallery row of a listing (properties.media); the file itself plays no part in linking."""
    from properties.media.models import PropertyImage
    from properties.tests.helpers import listing

    org = org or cast.org_a
    home = listing(cast, org=org)
    with org_context(org):
        return PropertyImage.objects.create(
            org=org, property=home, position=0, original="listing-images/x/front.jpg", file_name="front.jpg",
            content_type="image/jpeg", width=800, height=600, size=1000, sha256="b" * 64,
        )  # fmt: skip


def test_a_listing_image_is_linked_not_uploaded_again_and_only_once(cast: Cast) -> None:
    made = campaign(cast)
    image = _listing_image(cast)
    client = client_for(cast.member)
    with org_context(cast.org_a):
        made.assigned_to = [cast.owner.pk, cast.member.pk]
        made.save(update_fields=["assigned_to"])

    linked = client.post(_url(made.pk), {"property_image_id": str(image.pk), "kind": "hero_image",
                                         "alt_text": "Front elevation"}, format="json")  # fmt: skip
    again = client.post(_url(made.pk), {"property_image_id": str(image.pk)}, format="json")

    assert linked.status_code == 201, linked.json()
    body = linked.json()
    assert {key: body[key] for key in ("property_image_id", "file_name", "content_type", "size", "download_url",
                                       "kind", "alt_text")} == {
        "property_image_id": str(image.pk), "file_name": "", "content_type": "", "size": None,
        "download_url": None, "kind": "hero_image", "alt_text": "Front elevation",
    }  # fmt: skip
    assert (again.status_code, again.json()["detail"]) == (
        409, f"This campaign already has this listing image (asset {body['id']})."
    )  # fmt: skip
    assert client.get(_url(made.pk, body["id"], "download")).status_code == 404


def test_another_orgs_listing_image_is_the_same_400_as_a_random_id(cast: Cast) -> None:
    made = campaign(cast)
    theirs = _listing_image(cast, org=cast.org_b)
    client = client_for(cast.owner)

    for pk in (theirs.pk, RANDOM_ID):
        response = client.post(_url(made.pk), {"property_image_id": str(pk)}, format="json")
        error = {"code": "does_not_exist", "detail": f'Invalid pk "{pk}" - object does not exist.'}
        assert (response.status_code, response.json()) == (
            400,
            {**error, "fields": {"property_image_id": [error]}},
        )
    with org_context(cast.org_a):
        assert not Asset.objects.exists()


@pytest.mark.usefixtures("media_root")
def test_a_file_and_a_listing_image_at_once_is_refused(cast: Cast) -> None:
    made = campaign(cast)
    image = _listing_image(cast)

    response = _upload(client_for(cast.owner), made.pk, png(), "a.png", property_image_id=str(image.pk))

    assert (response.status_code, response.json()["fields"]["property_image_id"][0]["detail"]) == (
        400, "Send a file or a listing image, not both."
    )  # fmt: skip
