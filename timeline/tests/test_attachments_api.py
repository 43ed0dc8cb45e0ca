"""Files on any record: checked by content, stored per org, downloaded only through the API, deleted by right."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from common.context import org_context
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.queries import assert_flat_query_count
from timeline.models import ActivityEntry, Attachment
from timeline.tests.factories import make_contact, target_of
from timeline.uploads import safe_file_name

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

ATTACHMENTS = "/api/timeline/attachments/"
RANDOM_ID = "00000000-0000-7000-8000-000000000009"


def _image(kind: str = "PNG", size: tuple[int, int] = (4, 3)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "navy").save(out, kind)
    return out.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims a huge canvas: what a decompression bomb looks like before it is decoded."""
    data = bytearray(_image("PNG", (1, 1)))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def _zip(entries: dict[str, bytes], *, stored_first: str | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if stored_first:
            archive.writestr(stored_first, entries.pop(stored_first), compress_type=zipfile.ZIP_STORED)
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def _ooxml(main_part: str) -> bytes:
    types = (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Override PartName="/word/document.xml" ContentType="{main_part}"/></Types>'
    )
    return _zip({"[Content_Types].xml": types.encode(), "word/document.xml": b"<w:document/>"})


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOCX_MAIN = f"{DOCX}.main+xml"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
PDF_BYTES = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _upload(cast: Cast, who: Any, contact: Any, name: str, content: bytes, **extra: Any) -> Any:
    file = SimpleUploadedFile(name, content, content_type=extra.pop("declared", "application/octet-stream"))
    return client_for(who).post(ATTACHMENTS, {**target_of(contact), "file": file, **extra}, format="multipart")


def _attachments(cast: Cast, org: Any = None) -> list[Attachment]:
    with org_context(org or cast.org_a):
        return list(Attachment.objects.all())


def _stored_files(media_root: Path) -> list[str]:
    return sorted(str(p.relative_to(media_root)) for p in media_root.rglob("*") if p.is_file())


# --- Uploading --------------------------------------------------------------------------------------------


def test_member_uploads_an_image_to_an_assigned_contact_stored_under_the_orgs_folder(
    cast: Cast, media_root: Path
) -> None:
    contact = make_contact(cast, assigned_to=[cast.member.pk])
    content = _image("PNG")

    response = _upload(cast, cast.member, contact, "../../Floor plan (v2).png", content)

    assert response.status_code == 201, response.json()
    [attachment] = _attachments(cast)
    assert response.json() == {
        "id": str(attachment.pk),
        "target_type": "contacts.contact",
        "target_id": str(contact.pk),
        "comment_id": None,
        "file_name": "Floor plan (v2).png",
        "content_type": "image/png",
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "author": {"id": str(cast.member.pk), "name": "Member"},
        "created_at": attachment.created_at.isoformat().replace("+00:00", "Z"),
        "download_url": f"/api/timeline/attachments/{attachment.pk}/download/",
        "can_delete": True,
    }
    # The stored path is stricter than the download name (Django's storage keeps it to letters, digits, _-.).
    expected_path = f"attachments/{cast.org_a.pk.hex}/{attachment.pk.hex}/Floor_plan_v2.png"
    assert attachment.file.name == expected_path
    assert _stored_files(media_root) == [expected_path]
    assert (media_root / expected_path).read_bytes() == content
    with org_context(cast.org_a):
        entry = ActivityEntry.objects.get(verb="attached", target_id=contact.pk)
    assert entry.changes == {
        "attachment_id": str(attachment.pk),
        "file_name": "Floor plan (v2).png",
        "size": len(content),
    }


@pytest.mark.parametrize(
    ("name", "content", "content_type", "stored_as"),
    [
        ("brochure.pdf", PDF_BYTES, "application/pdf", "brochure.pdf"),
        ("photo.JPG", _image("JPEG"), "image/jpeg", "photo.jpg"),
        ("photo.png", _image("JPEG"), "image/jpeg", "photo.jpg"),  # a phone's mislabelled JPEG
        ("anim.gif", _image("GIF"), "image/gif", "anim.gif"),
        ("shot.webp", _image("WEBP"), "image/webp", "shot.webp"),
        ("notes", "Grüße aus Köln\n".encode(), "text/plain", "notes.txt"),
        ("export.csv", "name;price\nCafé;10\n".encode("cp1252"), "text/csv", "export.csv"),
        ("page.html", b"<html><script>alert(1)</script></html>", "text/plain", "page.html.txt"),
        ("offer.docx", _ooxml(DOCX_MAIN), DOCX, "offer.docx"),
        ("sheet.ods", _zip({"mimetype": ODS.encode(), "content.xml": b"<x/>"}, stored_first="mimetype"), ODS,
         "sheet.ods"),
    ],
)  # fmt: skip
def test_allowed_types_are_recognised_by_content_and_named_for_what_they_are(
    cast: Cast, name: str, content: bytes, content_type: str, stored_as: str
) -> None:
    response = _upload(cast, cast.owner, make_contact(cast), name, content, declared="application/x-msdownload")

    assert response.status_code == 201, response.json()
    assert (response.json()["content_type"], response.json()["file_name"]) == (content_type, stored_as)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"),  # a Windows program
        ("archive.zip", _zip({"readme.txt": b"hi"})),
        ("macro.docx", _ooxml("application/vnd.ms-word.document.macroEnabled.main+xml")),
        ("vba.docx", _zip({"[Content_Types].xml": DOCX_MAIN.encode(), "word/vbaProject.bin": b"\x00"})),
        ("broken.docx", b"PK\x03\x04not really a zip"),
        ("image.svg.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40),
    ],
)
def test_anything_else_is_refused_by_content_and_nothing_is_stored(
    cast: Cast, media_root: Path, name: str, content: bytes
) -> None:
    response = _upload(cast, cast.owner, make_contact(cast), name, content, declared="application/pdf")

    assert response.status_code == 400
    assert response.json()["code"] in ("unsupported_file_type", "invalid_image")
    assert not list(_attachments(cast))
    assert _stored_files(media_root) == []


def test_unsupported_type_error_names_what_is_accepted(cast: Cast) -> None:
    response = _upload(cast, cast.owner, make_contact(cast), "run.exe", b"MZ\x90\x00" + b"\x00" * 60)

    detail = (
        "This type of file is not accepted. Upload PDF, PNG, JPEG, GIF, WebP, plain text or CSV, Word, Excel, "
        "PowerPoint or OpenDocument."
    )
    assert response.json() == {
        "code": "unsupported_file_type",
        "detail": detail,
        "fields": {"file": [{"code": "unsupported_file_type", "detail": detail}]},
    }


def test_files_over_the_size_limit_and_empty_files_are_refused(
    cast: Cast, settings: Any, media_root: Path
) -> None:
    settings.ATTACHMENT_MAX_BYTES = 1024
    contact = make_contact(cast)

    too_big = _upload(cast, cast.owner, contact, "big.txt", b"x" * 1025)
    empty = _upload(cast, cast.owner, contact, "empty.txt", b"")
    just_fits = _upload(cast, cast.owner, contact, "fits.txt", b"x" * 1024)

    assert too_big.json() == {
        "code": "file_too_large",
        "detail": "Files may be at most 0.000976562 MB.",
        "fields": {"file": [{"code": "file_too_large", "detail": "Files may be at most 0.000976562 MB."}]},
    }
    assert (empty.status_code, empty.json()["code"]) == (400, "empty_file")
    assert just_fits.status_code == 201
    assert len(_stored_files(media_root)) == 1


def test_the_default_limit_is_25_megabytes(cast: Cast) -> None:
    response = _upload(cast, cast.owner, make_contact(cast), "big.txt", b"x" * (25 * 1024 * 1024 + 1))

    assert (response.status_code, response.json()["detail"]) == (400, "Files may be at most 25 MB.")


def test_images_are_bounded_in_pixels_and_decompression_bombs_are_refused_undecoded(
    cast: Cast, settings: Any
) -> None:
    contact = make_contact(cast)
    bomb = _upload(cast, cast.owner, contact, "bomb.png", _png_claiming(100_000, 100_000))
    settings.ATTACHMENT_MAX_PIXELS = 2_000_000
    over_limit = _upload(cast, cast.owner, contact, "wide.png", _png_claiming(2000, 1001))

    for response in (bomb, over_limit):
        assert response.status_code == 400
        assert response.json()["code"] == "image_too_large"
    assert bomb.json()["detail"] == "Images may have at most 40 megapixels."
    assert over_limit.json()["detail"] == "Images may have at most 2 megapixels."
    assert not list(_attachments(cast))


def test_posting_without_a_file_is_a_field_error(cast: Cast) -> None:
    response = client_for(cast.owner).post(ATTACHMENTS, target_of(make_contact(cast)), format="multipart")

    assert response.json() == {
        "code": "required",
        "detail": "No file was submitted.",
        "fields": {"file": [{"code": "required", "detail": "No file was submitted."}]},
    }


# --- Who may upload ---------------------------------------------------------------------------------------


def test_viewer_gets_403_and_nothing_is_stored(cast: Cast, media_root: Path) -> None:
    response = _upload(cast, cast.viewer, make_contact(cast), "a.pdf", PDF_BYTES)

    assert response.status_code == 403
    assert not list(_attachments(cast)) and _stored_files(media_root) == []


def _upload_by_query(who: Any, target_id: Any, name: str, content: bytes) -> Any:
    query = f"{ATTACHMENTS}?target_type=contacts.contact&target_id={target_id}"
    return client_for(who).post(query, {"file": SimpleUploadedFile(name, content)}, format="multipart")


def test_another_orgs_record_an_invisible_one_and_a_random_id_in_the_url_get_the_same_404_before_the_file_is_read(
    cast: Cast, media_root: Path
) -> None:
    foreign = make_contact(cast, org=cast.org_b)
    unassigned = make_contact(cast)
    answers = [
        _upload_by_query(cast.owner, foreign.pk, "a.pdf", PDF_BYTES),
        _upload_by_query(cast.member, unassigned.pk, "a.exe", b"MZ" + b"\x00" * 30),  # invalid, and still 404
        _upload_by_query(cast.owner, RANDOM_ID, "a.pdf", PDF_BYTES),
    ]

    assert [(a.status_code, a.json()) for a in answers] == [
        (404, {"code": "not_found", "detail": "Not found.", "fields": {}})
    ] * 3
    assert not list(_attachments(cast)) and _attachments(cast, cast.org_b) == []
    assert _stored_files(media_root) == []


def test_another_orgs_record_an_invisible_one_and_a_random_id_in_the_form_are_does_not_exist_before_the_file(
    cast: Cast, media_root: Path
) -> None:
    foreign = make_contact(cast, org=cast.org_b)
    unassigned = make_contact(cast)
    random = SimpleUploadedFile("a.pdf", PDF_BYTES)
    answers = [
        _upload(cast, cast.owner, foreign, "a.pdf", PDF_BYTES),
        _upload(cast, cast.member, unassigned, "a.exe", b"MZ" + b"\x00" * 30),  # an invalid file, never read
        client_for(cast.owner).post(
            ATTACHMENTS, {"target_type": "contacts.contact", "target_id": RANDOM_ID, "file": random}, "multipart"
        ),
    ]

    def no_such_target(pk: Any) -> dict[str, Any]:
        detail = f'Invalid pk "{pk}" - object does not exist.'
        return {"code": "does_not_exist", "detail": detail,
                "fields": {"target_id": [{"code": "does_not_exist", "detail": detail}]}}  # fmt: skip

    assert [(a.status_code, a.json()) for a in answers] == [
        (400, no_such_target(foreign.pk)),
        (400, no_such_target(unassigned.pk)),
        (400, no_such_target(RANDOM_ID)),
    ]
    assert not list(_attachments(cast)) and _attachments(cast, cast.org_b) == []
    assert _stored_files(media_root) == []


def test_uploading_refuses_an_org_or_author_forged_in_the_form_and_stores_nothing(cast: Cast) -> None:
    response = _upload(
        cast, cast.manager, make_contact(cast), "a.pdf", PDF_BYTES, org=str(cast.org_b.pk),
        created_by=str(cast.other_owner.pk), id=RANDOM_ID,
    )  # fmt: skip

    assert (response.status_code, response.json()["code"]) == (400, "unknown_field")
    assert set(response.json()["fields"]) == {"org", "created_by", "id"}
    assert not list(_attachments(cast))


# --- Downloading ------------------------------------------------------------------------------------------


def test_download_is_always_an_attachment_with_nosniff_and_the_exact_bytes(cast: Cast) -> None:
    contact = make_contact(cast)
    uploaded = _upload(cast, cast.owner, contact, "page.html", b"<script>alert(1)</script>").json()

    response = client_for(cast.viewer).get(uploaded["download_url"])

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"
    assert response["Content-Disposition"] == 'attachment; filename="page.html.txt"'
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "private, no-store"


def test_download_and_detail_are_404_for_other_orgs_outsiders_and_members_who_cannot_see_the_record(
    cast: Cast,
) -> None:
    uploaded = _upload(cast, cast.owner, make_contact(cast), "a.pdf", PDF_BYTES).json()
    detail = f"{ATTACHMENTS}{uploaded['id']}/"

    answers = [
        client_for(cast.other_owner).get(uploaded["download_url"]),
        client_for(cast.member).get(uploaded["download_url"]),
        client_for(cast.member).get(detail),
        client_for(cast.outsider, org=cast.org_a).get(uploaded["download_url"]),
        client_for(None).get(uploaded["download_url"], HTTP_ORG="alpha"),
    ]

    assert [a.status_code for a in answers] == [404, 404, 404, 404, 401]


def test_a_file_missing_from_storage_is_a_clear_404(cast: Cast, media_root: Path) -> None:
    uploaded = _upload(cast, cast.owner, make_contact(cast), "a.pdf", PDF_BYTES).json()
    for path in media_root.rglob("a.pdf"):
        path.unlink()

    response = client_for(cast.owner).get(uploaded["download_url"])

    assert response.status_code == 404
    assert response.json() == {
        "code": "file_missing",
        "detail": "The file of this attachment is missing from storage.",
        "fields": {},
    }


# --- Deleting ---------------------------------------------------------------------------------------------


def test_uploader_deletes_their_file_and_it_leaves_storage_after_commit(
    cast: Cast, media_root: Path, django_capture_on_commit_callbacks: Any
) -> None:
    contact = make_contact(cast, assigned_to=[cast.member.pk])
    uploaded = _upload(cast, cast.member, contact, "a.pdf", PDF_BYTES).json()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast.member).delete(f"{ATTACHMENTS}{uploaded['id']}/")

    assert response.status_code == 204
    assert not list(_attachments(cast))
    assert _stored_files(media_root) == []
    with org_context(cast.org_a):
        entry = ActivityEntry.objects.get(verb="attachment_deleted")
    assert entry.changes == {"attachment_id": uploaded["id"], "file_name": "a.pdf"}


def test_a_member_cannot_delete_someone_elses_file_but_an_admin_can(cast: Cast, media_root: Path) -> None:
    contact = make_contact(cast, assigned_to=[cast.member.pk])
    uploaded = _upload(cast, cast.manager, contact, "a.pdf", PDF_BYTES).json()

    by_member = client_for(cast.member).delete(f"{ATTACHMENTS}{uploaded['id']}/")
    still_there = len(_attachments(cast))
    by_admin = client_for(cast.admin).delete(f"{ATTACHMENTS}{uploaded['id']}/")

    assert by_member.status_code == 403
    assert by_member.json() == {
        "code": "permission_denied",
        "detail": "Only the uploader or an admin can delete an attachment.",
        "fields": {},
    }
    assert still_there == 1
    assert by_admin.status_code == 204
    assert not list(_attachments(cast))


# --- Lists ------------------------------------------------------------------------------------------------


def test_attachment_list_costs_the_same_queries_for_one_file_and_for_fifty(cast: Cast) -> None:
    contact = make_contact(cast)
    authors = [cast.owner, cast.admin, cast.manager]

    def add(index: int) -> None:
        with org_context(cast.org_a):
            Attachment.objects.create(
                org=cast.org_a, created_by=authors[index % 3], target_type="contacts.contact",
                target_id=contact.pk, file=f"attachments/x/{index}.pdf", file_name=f"{index}.pdf",
                content_type="application/pdf", size=index, sha256="0" * 64,
            )  # fmt: skip

    add(0)
    client = client_for(cast.viewer)

    assert_flat_query_count(
        lambda: client.get(ATTACHMENTS, {**target_of(contact), "page_size": 100}),
        lambda: [add(index) for index in range(1, 50)],
    )
    listed = client.get(ATTACHMENTS, {**target_of(contact), "ordering": "-size", "page_size": 500}).json()
    assert (listed["count"], len(listed["results"]), listed["results"][0]["file_name"]) == (50, 50, "49.pdf")


# --- File names -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "content_type", "expected"),
    [
        ("../../etc/passwd", "text/plain", "passwd.txt"),
        ("C:\\Users\\ada\\Offer.PDF", "application/pdf", "Offer.pdf"),
        ("  .hidden.pdf  ", "application/pdf", "hidden.pdf"),
        ("Grundriss für Müller.pdf", "application/pdf", "Grundriss für Müller.pdf"),
        ('a"b<c>|d;e.csv', "text/csv", "a_b_c__d_e.csv"),
        ("", "image/png", "file.png"),
        ("x" * 300 + ".pdf", "application/pdf", "x" * 116 + ".pdf"),
        ("invoice.pdf.exe", "application/pdf", "invoice.pdf.exe.pdf"),
    ],
)
def test_file_names_are_made_safe_and_match_the_real_type(given: str, content_type: str, expected: str) -> None:
    assert safe_file_name(given, content_type) == expected
