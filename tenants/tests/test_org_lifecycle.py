"""Org settings, logo, ownership transfer, and deletion with its grace period."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_exists
from PIL import Image

from common.models import Profile, Role, User
from tenants.models import AuditEvent, Org, OrgDeletionRecord, OrgStatus
from tenants.orgs.deletion import org_purge, purge_due_orgs
from tenants.orgs.provisioning import org_create
from tenants.testing.fixtures import PASSWORD, Cast, client_for

pytestmark = pytest.mark.django_db

ORG = "/api/org/"


def _png(size: tuple[int, int] = (64, 32), kind: str = "PNG") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "navy").save(buffer, kind)
    return SimpleUploadedFile("anything.bin", buffer.getvalue(), content_type="application/octet-stream")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_admin_updates_settings_and_the_change_is_audited(cast: Cast) -> None:
    body = {"name": "Alpha Homes", "timezone": "Europe/London", "currency": "gbp", "date_format": "DD/MM/YYYY"}

    response = client_for(cast.admin).patch(ORG, body, format="json")

    assert response.status_code == 200
    assert {k: response.json()[k] for k in body} == {
        "name": "Alpha Homes",
        "timezone": "Europe/London",
        "currency": "GBP",
        "date_format": "DD/MM/YYYY",
    }
    event = AuditEvent.objects.get(org_id=cast.org_a.pk, action="settings_changed")
    assert event.details["changes"]["currency"] == ["USD", "GBP"]
    assert event.actor_email == "admin@alpha.test"


def test_settings_reject_bad_values_and_change_nothing(cast: Cast) -> None:
    response = client_for(cast.owner).patch(ORG, {"timezone": "Mars/Olympus"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_choice",
        "detail": "Not a known IANA time zone (e.g. Europe/London).",
        "fields": {
            "timezone": [{"code": "invalid_choice", "detail": "Not a known IANA time zone (e.g. Europe/London)."}]
        },
    }
    assert Org.objects.get(pk=cast.org_a.pk).timezone == "UTC"


def test_manager_cannot_change_settings(cast: Cast) -> None:
    response = client_for(cast.manager).patch(ORG, {"name": "Nope"}, format="json")

    assert response.status_code == 403
    assert Org.objects.get(pk=cast.org_a.pk).name == "Alpha Realty"


def test_requiring_two_factor_is_audited_and_blocks_members_without_it(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    User.objects.filter(pk=cast.owner.user_id).update(two_factor_enabled_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast.owner).patch(ORG, {"requires_two_factor": True}, format="json")

    assert response.status_code == 200
    assert AuditEvent.objects.filter(org_id=cast.org_a.pk, action="two_factor_requirement_enabled").count() == 1
    blocked = client_for(cast.member).get(ORG)
    assert blocked.status_code == 403
    assert blocked.json()["code"] == "two_factor_required"


def test_logo_upload_is_checked_by_content_and_served_to_members(cast: Cast, media) -> None:
    upload = client_for(cast.admin).put("/api/org/logo/", {"logo": _png()}, format="multipart")

    assert upload.status_code == 200
    assert upload.json()["logo_url"] == "/api/org/logo/"
    download = client_for(cast.viewer).get("/api/org/logo/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"\x89PNG")
    stored = Org.objects.get(pk=cast.org_a.pk).logo.name
    assert stored.startswith(f"org-logos/{cast.org_a.pk.hex}/")


def test_logo_rejects_non_images_and_oversized_images(cast: Cast, media) -> None:
    fake = SimpleUploadedFile("logo.png", b"<script>alert(1)</script>", content_type="image/png")
    huge = _png(size=(5000, 10))

    not_image = client_for(cast.admin).put("/api/org/logo/", {"logo": fake}, format="multipart")
    too_big = client_for(cast.admin).put("/api/org/logo/", {"logo": huge}, format="multipart")

    assert not_image.status_code == too_big.status_code == 400
    assert not_image.json()["code"] == "invalid_image"
    assert too_big.json()["code"] == "image_too_large"
    assert not Org.objects.get(pk=cast.org_a.pk).logo


def test_a_decompression_bomb_logo_is_a_400_and_is_never_decoded(cast: Cast, media) -> None:
    """A 20000 x 20000 PNG header over one real pixel: Pillow refuses to open it as a bomb."""
    data = bytearray(_png((1, 1)).read())
    header = struct.pack(">II", 20_000, 20_000) + bytes(data[24:29])
    data[16:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + header))
    bomb = SimpleUploadedFile("logo.png", bytes(data), content_type="image/png")

    response = client_for(cast.admin).put("/api/org/logo/", {"logo": bomb}, format="multipart")

    assert response.status_code == 400
    assert response.json()["code"] == "image_too_large"
    assert not Org.objects.get(pk=cast.org_a.pk).logo


def test_owner_transfers_ownership_and_becomes_admin(cast: Cast) -> None:
    response = client_for(cast.owner).post(
        "/api/org/transfer-ownership/", {"profile_id": str(cast.manager.pk), "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    assert Profile.objects.get(pk=cast.manager.pk).role == Role.OWNER
    assert Profile.objects.get(pk=cast.owner.pk).role == Role.ADMIN
    assert AuditEvent.objects.filter(org_id=cast.org_a.pk, action="ownership_transferred").count() == 1


def test_ownership_cannot_go_to_another_orgs_member_or_an_inactive_one(cast: Cast) -> None:
    cast.viewer.is_active = False
    cast.viewer.save()
    owner = client_for(cast.owner)

    foreign = owner.post(
        "/api/org/transfer-ownership/",
        {"profile_id": str(cast.other_owner.pk), "password": PASSWORD},
        format="json",
    )
    inactive = owner.post(
        "/api/org/transfer-ownership/", {"profile_id": str(cast.viewer.pk), "password": PASSWORD}, format="json"
    )

    assert foreign.status_code == 404
    assert inactive.status_code == 409
    assert inactive.json() == {
        "code": "last_owner",
        "detail": "Ownership can only go to an active member: the organisation must keep an active owner.",
        "fields": {},
    }
    assert Profile.objects.get(pk=cast.owner.pk).role == Role.OWNER
    assert Profile.objects.get(pk=cast.viewer.pk).role == Role.VIEWER


def test_ownership_cannot_go_to_a_member_whose_account_the_platform_disabled(cast: Cast) -> None:
    User.objects.filter(pk=cast.manager.user_id).update(is_active=False)

    response = client_for(cast.owner).post(
        "/api/org/transfer-ownership/", {"profile_id": str(cast.manager.pk), "password": PASSWORD}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (409, "last_owner")
    assert Profile.objects.get(pk=cast.owner.pk).role == Role.OWNER
    assert Profile.objects.get(pk=cast.manager.pk).role == Role.MANAGER


def test_an_owner_whose_account_is_disabled_does_not_keep_the_org_owned(cast: Cast) -> None:
    Profile.objects.filter(pk=cast.admin.pk).update(role=Role.OWNER)
    User.objects.filter(pk=cast.admin.user_id).update(is_active=False)

    response = client_for(cast.owner).patch(f"/api/org/members/{cast.owner.pk}/", {"role": "admin"}, format="json")

    assert (response.status_code, response.json()["code"]) == (409, "last_owner")
    assert Profile.objects.get(pk=cast.owner.pk).role == Role.OWNER


def test_admin_cannot_transfer_ownership(cast: Cast) -> None:
    response = client_for(cast.admin).post(
        "/api/org/transfer-ownership/", {"profile_id": str(cast.admin.pk), "password": PASSWORD}, format="json"
    )

    assert response.status_code == 403
    assert Profile.objects.get(pk=cast.admin.pk).role == Role.ADMIN


def test_deletion_needs_the_slug_typed_and_then_blocks_the_org(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    owner = client_for(cast.owner)
    wrong = owner.post("/api/org/delete/", {"confirm": "nope", "password": PASSWORD}, format="json")
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "confirmation_mismatch"

    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post("/api/org/delete/", {"confirm": "alpha", "password": PASSWORD}, format="json")

    assert response.status_code == 202
    org = Org.objects.get(pk=cast.org_a.pk)
    assert org.status == OrgStatus.DELETING
    assert org.deletion_scheduled_for - org.deletion_requested_at == timedelta(days=30)
    assert owner.get(ORG).json()["code"] == "org_deleting"


def test_owner_cancels_deletion_during_the_grace_period(cast: Cast, django_capture_on_commit_callbacks) -> None:
    owner = client_for(cast.owner)
    with django_capture_on_commit_callbacks(execute=True):
        owner.post("/api/org/delete/", {"confirm": "alpha", "password": PASSWORD}, format="json")

    admin_try = client_for(cast.admin.user).post(f"/api/orgs/{cast.org_a.pk}/deletion/cancel/")
    with django_capture_on_commit_callbacks(execute=True):
        cancel = client_for(cast.owner.user).post(f"/api/orgs/{cast.org_a.pk}/deletion/cancel/")

    assert admin_try.status_code == 404
    assert cancel.status_code == 200
    assert cancel.json() == {"id": str(cast.org_a.pk), "status": "active"}
    assert owner.get(ORG).status_code == 200
    assert [e.action for e in AuditEvent.objects.filter(org_id=cast.org_a.pk).order_by("created_at")] == [
        "deletion_requested",
        "deletion_cancelled",
    ]


def test_purge_drops_the_schema_after_the_grace_period_and_keeps_a_record(cast: Cast) -> None:
    doomed = org_create(name="Doomed Realty")
    owner = Profile.objects.create(user=cast.outsider, org=doomed, role=Role.OWNER)
    Org.objects.filter(pk=doomed.pk).update(
        status=OrgStatus.DELETING, deletion_scheduled_for=timezone.now() + timedelta(days=1)
    )
    assert org_purge(org_id=doomed.pk) is None  # not due yet
    Org.objects.filter(pk=doomed.pk).update(
        deletion_requested_at=timezone.now() - timedelta(days=30), deletion_scheduled_for=timezone.now()
    )

    assert purge_due_orgs() == 1

    assert not Org.objects.filter(pk=doomed.pk).exists()
    assert not schema_exists(doomed.schema_name)
    assert not Profile.objects.filter(pk=owner.pk).exists()
    record = OrgDeletionRecord.objects.get(org_id=doomed.pk)
    assert (record.slug, record.schema_name, record.member_count) == (doomed.slug, doomed.schema_name, 1)
    assert AuditEvent.objects.filter(org_id=doomed.pk, action="org_deleted").count() == 1
    assert purge_due_orgs() == 0
    assert connection.schema_name == "public"


def test_admin_sets_the_org_language_and_its_public_origins_normalised(cast: Cast) -> None:
    body = {"language": "fr", "public_origins": ["HTTPS://WWW.Agency.example/", "https://www.agency.example"]}

    response = client_for(cast.admin).patch(ORG, body, format="json")

    assert response.status_code == 200
    assert response.json()["language"] == "fr"
    assert response.json()["public_origins"] == ["https://www.agency.example"]


@pytest.mark.parametrize(
    "body",
    [
        {"language": "xx"},
        {"public_origins": ["ftp://agency.example"]},
        {"public_origins": ["https://agency.example/listings"]},
        {"public_origins": ["not a url"]},
    ],
)
def test_a_bad_language_or_origin_is_a_400_and_changes_nothing(cast: Cast, body: dict[str, Any]) -> None:
    response = client_for(cast.admin).patch(ORG, body, format="json")

    assert response.status_code == 400
    assert response.json()["fields"].keys() == body.keys()
    org = Org.objects.get(pk=cast.org_a.pk)
    assert (org.language, org.public_origins) == ("en", [])


def test_an_admin_without_two_factor_cannot_require_it_and_lock_themselves_out(cast: Cast) -> None:
    response = client_for(cast.admin).patch(ORG, {"requires_two_factor": True, "name": "Locked"}, format="json")

    assert (response.status_code, response.json()["code"]) == (409, "two_factor_not_enrolled")
    org = Org.objects.get(pk=cast.org_a.pk)
    assert (org.requires_two_factor, org.name) == (False, "Alpha Realty")
    assert client_for(cast.admin).get("/api/auth/2fa/").status_code == 200  # enrolment stays reachable


def test_the_slug_can_change_is_transliterated_and_stays_unique(cast: Cast) -> None:
    client = client_for(cast.owner)

    renamed = client.patch(ORG, {"slug": "Agence Zoë Côte"}, format="json")
    taken = client.patch(ORG, {"slug": "bravo"}, format="json")
    reserved = client.patch(ORG, {"slug": "API"}, format="json")
    empty = client.patch(ORG, {"slug": "!!!"}, format="json")

    assert (renamed.status_code, renamed.json()["slug"]) == (200, "agence-zoe-cote")
    assert [r.json()["fields"]["slug"][0]["code"] for r in (taken, reserved, empty)] == [
        "unique",
        "reserved",
        "invalid",
    ]
    assert client_for(cast.owner, org="agence-zoe-cote").get(ORG).status_code == 200
    assert client_for(cast.owner, org="alpha").get(ORG).status_code == 404


def test_a_name_in_another_script_gets_a_readable_slug() -> None:
    from tenants.orgs.provisioning import unique_slug

    assert unique_slug("東京不動産") == "dongjingbudongchan"
