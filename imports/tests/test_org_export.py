"""The org export: owners ask, the worker builds a zip (every record type as CSV and JSON lines, the timeline,
files, a manifest), and a short-lived signed link downloads it; an expired or forged link is a 404, and
platform admins export an org that is being deleted."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

import pytest
from django.test import override_settings

from common.context import org_context
from contacts.models import Contact
from imports.models import OrgExport
from imports.tasks import build_export
from tenants.models import Org, OrgStatus
from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db
NOT_FOUND = {"code": "not_found", "detail": "Not found.", "fields": {}}


def _built(cast: Cast, org: Org, export_id: Any) -> None:
    with org_context(org):
        build_export.run(str(export_id))


def _zip(client: Any, url: str) -> zipfile.ZipFile:
    path = url.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_an_owner_exports_the_whole_org_as_a_zip_with_a_manifest(cast: Cast) -> None:
    with org_context(cast.org_a):
        Contact.objects.create(org=cast.org_a, first_name="Ada", email="ada@example.test", title="=cmd()")
    with org_context(cast.org_b):
        Contact.objects.create(org=cast.org_b, first_name="Theirs", email="theirs@example.test")
    owner = client_for(cast.owner)
    asked = owner.post("/api/org-exports/")
    assert asked.status_code == 202 and asked.json()["status"] == "queued"
    assert owner.post("/api/org-exports/").json()["code"] == "export_running"
    _built(cast, cast.org_a, asked.json()["id"])
    ready = owner.get(f"/api/org-exports/{asked.json()['id']}/").json()
    assert ready["status"] == "ready" and ready["download_url"]
    archive = _zip(client_for(None), ready["download_url"])
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["org"] == {"id": str(cast.org_a.pk), "name": "Alpha Realty", "slug": "alpha"}
    paths = {item["path"]: item for item in manifest["files"]}
    assert paths["records/contacts-contact.csv"]["rows"] == 1
    assert {"records/deals-deal.jsonl", "records/properties-property.csv", "timeline/activityentry.jsonl"} <= set(
        paths
    )
    rows = list(csv.DictReader(io.StringIO(archive.read("records/contacts-contact.csv").decode())))
    assert [(row["email"], row["title"]) for row in rows] == [("ada@example.test", "'=cmd()")]
    assert b"theirs@example.test" not in b"".join(archive.read(name) for name in archive.namelist())


def test_expired_and_forged_links_are_404(cast: Cast) -> None:
    owner = client_for(cast.owner)
    export_id = owner.post("/api/org-exports/").json()["id"]
    _built(cast, cast.org_a, export_id)
    url = owner.get(f"/api/org-exports/{export_id}/").json()["download_url"]
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    anonymous = client_for(None)
    forged = anonymous.get(path[:-3] + "abc/")
    with override_settings(ORG_EXPORT_LINK_SECONDS=-1):
        expired = anonymous.get(path)
    assert (forged.status_code, forged.json()) == (404, NOT_FOUND)
    assert (expired.status_code, expired.json()) == (404, NOT_FOUND)
    other = client_for(cast.other_owner).get(f"/api/org-exports/{export_id}/")
    assert (other.status_code, other.json()) == (404, NOT_FOUND)


def test_platform_admins_export_an_org_being_deleted_and_no_other(cast: Cast) -> None:
    admin = client_for(cast.platform_admin)
    active = admin.post(f"/api/platform/orgs/{cast.org_b.pk}/export/")
    assert (active.status_code, active.json()) == (404, NOT_FOUND)
    Org.objects.filter(pk=cast.org_b.pk).update(status=OrgStatus.DELETING)
    asked = admin.post(f"/api/platform/orgs/{cast.org_b.pk}/export/")
    assert asked.status_code == 202
    _built(cast, cast.org_b, asked.json()["id"])
    ready = admin.get(f"/api/platform/orgs/{cast.org_b.pk}/export/").json()
    assert ready["status"] == "ready"
    assert (
        json.loads(_zip(client_for(None), ready["download_url"]).read("manifest.json"))["org"]["slug"] == "bravo"
    )
    with org_context(cast.org_b):
        assert OrgExport.objects.get().created_by_id is None
