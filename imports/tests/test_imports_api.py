"""Imports over the API with real files: the mapping guessed from headers (synonyms, case, accents) and
confirmed, a preview that writes nothing and says per row what would happen, the run (upsert on the same
uniqueness the database enforces, relations by domain and member email, custom fields, duplicates in the
file), the failed-rows CSV, undo, and files that cannot be imported answered with clear errors."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import override_settings

from common.context import org_context
from contacts.models import Company, Contact
from customfields.models import CustomFieldDefinition
from imports.models import ImportJob, ImportRow
from imports.tests import helpers as h
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.queries import assert_flat_query_count

pytestmark = pytest.mark.django_db
URL = "/api/imports/"
NOT_FOUND = {"code": "not_found", "detail": "Not found.", "fields": {}}

HEADERS = ["Prénom", "APELIDO", "E-mail", "Company", "Owner", "Tags", "Budget", "Notes"]


def _file(cast: Cast) -> bytes:
    return h.csv_bytes(
        [
            HEADERS,
            ["Zoë", "Ângelo", "zoe@example.test", "acme.test", "member@alpha.test", h.MARKER, "500", "x"],
            ["Old", "Friend", "KNOWN@example.test", "", "", h.MARKER, "", ""],
            ["Same", "Again", "known@example.test", "", "", h.MARKER, "", ""],
            ["Bad", "Mail", "not-an-email", "", "", h.MARKER, "", ""],
            ["Evil", '=HYPERLINK("http://x")', "evil@example.test", "", "", h.MARKER, "", ""],
            ["No", "Company", "nocompany@example.test", "nowhere.test", "", h.MARKER, "", ""],
            [],
            ["Un", "Changed", "same@example.test", "", "", h.MARKER, "", ""],
        ]
    )


def _world(cast: Cast) -> dict[str, Any]:
    with org_context(cast.org_a):
        company = Company.objects.create(org=cast.org_a, name="Acme", domain="ACME.test", tags=[h.MARKER])
        known = Contact.objects.create(
            org=cast.org_a, first_name="Known", email="known@example.test", tags=[h.MARKER]
        )
        Contact.objects.create(
            org=cast.org_a, first_name="Un", last_name="Changed", email="same@example.test", tags=[h.MARKER]
        )
        CustomFieldDefinition.objects.create(
            org=cast.org_a, module="contacts.contact", key="budget", label="Budget", field_type="text"
        )
    return {"company": company, "known": known}


def _uploaded(cast: Cast, content: bytes, name: str = "people.csv", module: str = "contacts") -> Any:
    response = client_for(cast.manager).post(
        URL, {"module": module, "file": h.upload(name, content)}, format="multipart"
    )
    return response


def test_upload_guesses_the_mapping_and_the_client_confirms_it(cast: Cast) -> None:
    _world(cast)
    response = _uploaded(cast, _file(cast))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["total_rows"], body["encoding"], body["file_format"]) == (
        "uploaded",
        8,
        "utf-8",
        "csv",
    )
    assert body["mapping"] == {
        "Prénom": "first_name", "APELIDO": "last_name", "E-mail": "email", "Company": "company",
        "Owner": "assigned_to", "Tags": "tags", "Budget": "custom:budget", "Notes": None,
    }  # fmt: skip
    assert "custom:budget" in body["targets"]
    manager = client_for(cast.manager)
    wrong = manager.patch(f"{URL}{body['id']}/", {"mapping": {"Notes": "nope"}}, format="json")
    assert wrong.json() == {
        "code": "invalid_choice",
        "detail": "Column 'Notes': 'nope' is not a field you can import.",
        "fields": {
            "mapping": [
                {"code": "invalid_choice", "detail": "Column 'Notes': 'nope' is not a field you can import."}
            ]
        },
    }
    twice = manager.patch(f"{URL}{body['id']}/", {"mapping": {"Notes": "email"}}, format="json")
    assert twice.json()["code"] == "duplicate_target"
    confirmed = manager.patch(f"{URL}{body['id']}/", {"mapping": {"Notes": "title"}}, format="json")
    assert confirmed.json()["mapping"]["Notes"] == "title"


def test_preview_writes_nothing_then_the_run_matches_it(cast: Cast) -> None:
    world = _world(cast)
    job_id = _uploaded(cast, _file(cast)).json()["id"]
    manager = client_for(cast.manager)
    assert manager.post(f"{URL}{job_id}/preview/").status_code == 202
    h.run_job(cast.org_a, job_id)
    with org_context(cast.org_a):
        assert Contact.objects.count() == 2
        job = ImportJob.objects.get(pk=job_id)
    assert job.status == "previewed"
    assert job.preview_counts == {"new": 1, "update": 1, "skip": 2, "error": 4}
    preview = manager.get(f"{URL}{job_id}/rows/?preview=true").json()["results"]
    expected = ["new", "update", "error", "error", "error", "error", "skip", "skip"]
    assert [(r["row_number"], r["outcome"]) for r in preview] == list(enumerate(expected, start=2))
    assert preview[1]["diff"] == {"first_name": ["Known", "Old"], "last_name": ["", "Friend"]}
    assert preview[2]["errors"] == {
        "email": [{"code": "duplicate_in_file", "detail": "Row 3 of this file has the same email."}]
    }
    assert preview[3]["errors"] == {"email": [{"code": "invalid", "detail": "Enter a valid email address."}]}
    assert preview[4]["errors"]["last_name"][0]["code"] == "formula_not_allowed"
    assert preview[5]["errors"] == {
        "company": [{"code": "does_not_exist", "detail": "No company with this domain: nowhere.test."}]
    }

    assert manager.post(f"{URL}{job_id}/start/").status_code == 202
    h.run_job(cast.org_a, job_id)
    with org_context(cast.org_a):
        job = ImportJob.objects.get(pk=job_id)
        zoe = Contact.objects.get(email="zoe@example.test")
        known = Contact.objects.get(pk=world["known"].pk)
    assert (job.status, job.counts) == ("completed", {"new": 1, "update": 1, "skip": 2, "error": 4})
    assert (zoe.company_id, zoe.assigned_to, zoe.custom_fields) == (
        world["company"].pk,
        [cast.member.pk],
        {"budget": "500"},
    )
    assert (known.first_name, known.last_name) == ("Old", "Friend")
    timeline = manager.get(f"/api/contacts/{zoe.pk}/timeline/").json()["results"]
    assert "created" in [item.get("verb") for item in timeline]

    failed = manager.get(f"{URL}{job_id}/failed-rows/")
    lines = list(csv.reader(io.StringIO(failed.content.decode())))
    assert lines[0] == [*HEADERS, "error"]
    assert [line[2] for line in lines[1:]] == [
        "known@example.test",
        "not-an-email",
        "evil@example.test",
        "nocompany@example.test",
    ]
    assert lines[3][1] == '\'=HYPERLINK("http://x")'
    assert lines[2][-1] == "email: Enter a valid email address."

    assert manager.post(f"{URL}{job_id}/undo/").status_code == 202
    from imports.tasks import undo_import

    with org_context(cast.org_a):
        undo_import.run(job_id)
        assert not Contact.objects.filter(email="zoe@example.test").exists()
        known = Contact.objects.get(pk=world["known"].pk)
        assert (known.first_name, known.last_name) == ("Known", "")
        assert ImportJob.objects.get(pk=job_id).status == "undone"


def test_latin1_bom_semicolons_and_xlsx_are_read(cast: Cast) -> None:
    rows = [["Nome", "Email"], ["João", "joao@example.test"]]
    latin = _uploaded(cast, h.csv_bytes(rows, encoding="latin-1", delimiter=";")).json()
    bom = _uploaded(cast, b"\xef\xbb\xbf" + h.csv_bytes(rows)).json()
    xlsx = _uploaded(cast, h.xlsx_bytes(rows), name="people.xlsx").json()
    assert (latin["encoding"], latin["headers"]) == ("latin-1", ["Nome", "Email"])
    assert (bom["encoding"], bom["headers"]) == ("utf-8-sig", ["Nome", "Email"])
    assert (xlsx["file_format"], xlsx["headers"], xlsx["total_rows"]) == ("xlsx", ["Nome", "Email"], 1)
    client_for(cast.manager).post(f"{URL}{latin['id']}/start/")
    h.run_job(cast.org_a, latin["id"])
    with org_context(cast.org_a):
        assert Contact.objects.get(email="joao@example.test").first_name == "João"


@pytest.mark.parametrize(
    ("name", "content", "status", "code", "detail"),
    [
        ("empty.csv", b"", 400, "empty_file", "The file is empty."),
        ("blank.csv", b"\n\n  \n", 400, "empty_file", "The file is empty."),
        ("header.csv", b"Email,Name\n", 400, "empty_file", "The file has a header but no rows."),
        ("picture.png", b"\x89PNG\r\n\x1a\n0000", 415, "unsupported_file", "Upload a .csv or .xlsx file."),
        (
            "fake.xlsx",
            b"PK\x03\x04not really a zip",
            400,
            "unreadable_file",
            "This spreadsheet cannot be read (BadZipFile).",
        ),
        ("twice.csv", b"Email,email\na,b\n", 400, "duplicate_headers", "Two columns have the same header."),
    ],
)
def test_files_that_cannot_be_imported_are_clear_errors(
    cast: Cast, name: str, content: bytes, status: int, code: str, detail: str
) -> None:
    response = _uploaded(cast, content, name=name)
    assert response.status_code == status
    assert response.json() == {
        "code": code,
        "detail": detail,
        "fields": {"file": [{"code": code, "detail": detail}]},
    }


@override_settings(IMPORTS_MAX_ROWS=3)
def test_too_many_rows_and_unknown_modules_are_refused(cast: Cast) -> None:
    big = _uploaded(cast, h.csv_bytes([["Email"], *[[f"p{n}@example.test"] for n in range(5)]]))
    assert big.json()["code"] == "too_many_rows" and big.status_code == 400
    unknown = _uploaded(cast, h.csv_bytes([["Email"], ["a@example.test"]]), module="planets")
    assert unknown.json()["code"] == "invalid_choice"


@override_settings(IMPORTS_MAX_ACTIVE_JOBS_PER_ORG=1)
def test_an_org_is_throttled_by_the_platform_limits(cast: Cast) -> None:
    first = _uploaded(cast, h.csv_bytes([["Email"], ["a@example.test"]])).json()["id"]
    second = _uploaded(cast, h.csv_bytes([["Email"], ["b@example.test"]])).json()["id"]
    manager = client_for(cast.manager)
    assert manager.post(f"{URL}{first}/start/").status_code == 202
    refused = manager.post(f"{URL}{second}/start/")
    assert refused.status_code == 429
    assert refused.json() == {
        "code": "import_throttled",
        "detail": "This org already has 1 imports running. Wait for one to finish.",
        "fields": {},
    }


def test_another_orgs_import_is_the_same_404_and_an_import_never_touches_another_org(cast: Cast) -> None:
    theirs = (
        client_for(cast.other_owner)
        .post(
            URL,
            {"module": "contacts", "file": h.upload("c.csv", h.csv_bytes([["Email"], ["x@example.test"]]))},
            format="multipart",
        )
        .json()["id"]
    )
    with org_context(cast.org_b):
        Contact.objects.create(org=cast.org_b, email="shared@example.test", first_name="Theirs")
    manager = client_for(cast.owner)
    for method, path in [
        ("get", f"{URL}{theirs}/"), ("patch", f"{URL}{theirs}/"), ("post", f"{URL}{theirs}/preview/"),
        ("post", f"{URL}{theirs}/start/"), ("post", f"{URL}{theirs}/cancel/"), ("post", f"{URL}{theirs}/undo/"),
        ("get", f"{URL}{theirs}/rows/"), ("get", f"{URL}{theirs}/failed-rows/"),
    ]:  # fmt: skip
        response = getattr(manager, method)(path, {}, format="json")
        assert (response.status_code, response.json()) == (404, NOT_FOUND), path
    mine = _uploaded(cast, h.csv_bytes([["Email", "First name"], ["shared@example.test", "Mine"]])).json()["id"]
    client_for(cast.manager).post(f"{URL}{mine}/start/")
    h.run_job(cast.org_a, mine)
    with org_context(cast.org_b):
        assert Contact.objects.get(email="shared@example.test").first_name == "Theirs"
    with org_context(cast.org_a):
        assert Contact.objects.get(email="shared@example.test").first_name == "Mine"
        assert ImportRow.objects.get(job_id=mine).outcome == "new"


def test_lists_cost_the_same_queries_for_one_row_and_many(cast: Cast) -> None:
    job_id = _uploaded(cast, h.csv_bytes([["Email"], ["a@example.test"]])).json()["id"]
    manager = client_for(cast.manager)

    def grow() -> None:
        for n in range(4):
            _uploaded(cast, h.csv_bytes([["Email"], [f"g{n}@example.test"], ["bad"]]))
        with org_context(cast.org_a):
            for n in range(5):
                ImportRow.objects.create(org=cast.org_a, job_id=job_id, row_number=10 + n, outcome="error")

    assert_flat_query_count(lambda: manager.get(URL), grow)
    assert_flat_query_count(lambda: manager.get(f"{URL}{job_id}/rows/"), lambda: None)
