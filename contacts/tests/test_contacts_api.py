"""Contacts and companies over the API: scoping, visibility by role, concurrency, bulk, merge, timeline."""

from __future__ import annotations

import pytest

from common.context import org_context
from contacts.models import Company, Contact
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.queries import assert_flat_query_count

pytestmark = pytest.mark.django_db

CONTACTS = "/api/contacts/"
COMPANIES = "/api/companies/"


def _contact(cast: Cast, org=None, **fields) -> Contact:
    org = org or cast.org_a
    with org_context(org):
        fields.setdefault("created_by", cast.owner if org == cast.org_a else cast.other_owner)
        return Contact.objects.create(org=org, **fields)


def _company(cast: Cast, org=None, **fields) -> Company:
    org = org or cast.org_a
    with org_context(org):
        return Company.objects.create(org=org, **fields)


def test_create_sets_org_and_author_from_the_request_not_the_body(cast: Cast) -> None:
    forged = {"first_name": "Ada", "email": "ada@example.test",
              "created_by": str(cast.other_owner.pk), "id": "00000000-0000-7000-8000-000000000001"}  # fmt: skip

    response = client_for(cast.member).post(CONTACTS, forged, format="json")

    assert response.status_code == 201, response.json()
    with org_context(cast.org_a):
        contact = Contact.objects.get(email="ada@example.test")
    assert (contact.org_id, contact.created_by_id, contact.updated_by_id) == (
        cast.org_a.pk,
        cast.member.pk,
        cast.member.pk,
    )
    assert str(contact.pk) != forged["id"]
    assert response["ETag"]


def test_outsider_and_other_org_get_404_on_detail_and_nothing_in_lists(cast: Cast) -> None:
    contact = _contact(cast, first_name="Ada")

    assert client_for(cast.other_owner).get(f"{CONTACTS}{contact.pk}/").status_code == 404
    assert client_for(cast.other_owner).get(CONTACTS).json()["count"] == 0
    assert client_for(cast.outsider, org=cast.org_a).get(CONTACTS).status_code == 404


def test_foreign_company_id_in_body_is_a_does_not_exist_field_error_like_a_random_id(cast: Cast) -> None:
    foreign = _company(cast, org=cast.org_b, name="Bravo Co")
    client = client_for(cast.owner)

    with_foreign = client.post(CONTACTS, {"first_name": "A", "company": str(foreign.pk)}, format="json")
    with_random = client.post(
        CONTACTS, {"first_name": "A", "company": "00000000-0000-7000-8000-000000000009"}, format="json"
    )

    assert with_foreign.status_code == with_random.status_code == 400
    assert with_foreign.json()["code"] == "does_not_exist"
    assert (
        with_foreign.json()["fields"]["company"][0]["code"] == with_random.json()["fields"]["company"][0]["code"]
    )
    with org_context(cast.org_a):
        assert Contact.objects.count() == 0


def test_foreign_profile_in_assigned_to_is_rejected(cast: Cast) -> None:
    response = client_for(cast.owner).post(
        CONTACTS, {"first_name": "A", "assigned_to": [str(cast.other_owner.pk)]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"]["assigned_to"][0]["code"] == "does_not_exist"


def test_members_see_only_what_they_created_or_are_assigned(cast: Cast) -> None:
    _contact(cast, first_name="Owners")
    _contact(cast, first_name="Mine", created_by=cast.member)
    _contact(cast, first_name="Assigned", assigned_to=[cast.member.pk])

    member_names = {c["first_name"] for c in client_for(cast.member).get(CONTACTS).json()["results"]}
    viewer_names = {c["first_name"] for c in client_for(cast.viewer).get(CONTACTS).json()["results"]}

    assert member_names == {"Mine", "Assigned"}
    assert viewer_names == {"Owners", "Mine", "Assigned"}


def test_member_cannot_read_or_change_a_record_they_cannot_see(cast: Cast) -> None:
    hidden = _contact(cast, first_name="Hidden")
    member = client_for(cast.member)

    assert member.get(f"{CONTACTS}{hidden.pk}/").status_code == 404
    assert member.patch(f"{CONTACTS}{hidden.pk}/", {"first_name": "X"}, format="json").status_code == 404
    assert member.delete(f"{CONTACTS}{hidden.pk}/").status_code == 404
    with org_context(cast.org_a):
        assert Contact.objects.get(pk=hidden.pk).first_name == "Hidden"


def test_viewer_writes_nothing(cast: Cast) -> None:
    contact = _contact(cast, first_name="Ada")
    viewer = client_for(cast.viewer)

    assert viewer.post(CONTACTS, {"first_name": "X"}, format="json").status_code == 403
    assert viewer.patch(f"{CONTACTS}{contact.pk}/", {"first_name": "X"}, format="json").status_code == 403
    with org_context(cast.org_a):
        assert Contact.objects.get(pk=contact.pk).first_name == "Ada"
        assert Contact.objects.count() == 1


def test_duplicate_email_is_409_pointing_at_the_existing_contact(cast: Cast) -> None:
    existing = _contact(cast, email="ada@example.test")

    response = client_for(cast.owner).post(CONTACTS, {"email": "ADA@example.test"}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "code": "duplicate_contact",
        "detail": "A contact with this email already exists.",
        "fields": {
            "email": [
                {
                    "code": "duplicate",
                    "detail": "Already used by another contact.",
                    "existing_id": str(existing.pk),
                }
            ]
        },
    }


def test_the_same_email_in_another_org_is_fine(cast: Cast) -> None:
    _contact(cast, org=cast.org_b, email="ada@example.test")

    assert client_for(cast.owner).post(CONTACTS, {"email": "ada@example.test"}, format="json").status_code == 201


def test_stale_if_match_is_412_and_changes_nothing(cast: Cast) -> None:
    contact = _contact(cast, first_name="Ada")
    client = client_for(cast.owner)
    etag = client.get(f"{CONTACTS}{contact.pk}/")["ETag"]
    assert (
        client.patch(
            f"{CONTACTS}{contact.pk}/", {"first_name": "Ada B"}, format="json", HTTP_IF_MATCH=etag
        ).status_code
        == 200
    )

    stale = client.patch(f"{CONTACTS}{contact.pk}/", {"first_name": "Other"}, format="json", HTTP_IF_MATCH=etag)

    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    with org_context(cast.org_a):
        assert Contact.objects.get(pk=contact.pk).first_name == "Ada B"


def test_delete_archives_and_admin_restores_then_purges(cast: Cast) -> None:
    contact = _contact(cast, first_name="Ada")
    owner = client_for(cast.owner)

    assert owner.delete(f"{CONTACTS}{contact.pk}/").status_code == 204
    assert owner.get(CONTACTS).json()["count"] == 0
    assert [c["id"] for c in owner.get(CONTACTS, {"archived": "true"}).json()["results"]] == [str(contact.pk)]
    assert client_for(cast.manager).post(f"{CONTACTS}{contact.pk}/restore/").status_code == 403
    assert owner.post(f"{CONTACTS}{contact.pk}/restore/").status_code == 200
    assert owner.get(CONTACTS).json()["count"] == 1
    assert owner.post(f"{CONTACTS}{contact.pk}/purge/").json()["code"] == "not_archived"
    owner.delete(f"{CONTACTS}{contact.pk}/")
    assert owner.post(f"{CONTACTS}{contact.pk}/purge/").status_code == 204
    with org_context(cast.org_a):
        assert not Contact.all_orgs_unsafe.filter(pk=contact.pk).exists()


def test_bulk_applies_the_per_record_rule_and_reports_foreign_ids_as_not_found(cast: Cast) -> None:
    mine = _contact(cast, first_name="Mine", created_by=cast.member)
    not_mine = _contact(cast, first_name="Owners")
    foreign = _contact(cast, org=cast.org_b, first_name="Bravo")
    body = {
        "action": "update",
        "ids": [str(mine.pk), str(not_mine.pk), str(foreign.pk)],
        "changes": {"tags_add": ["VIP"]},
    }

    response = client_for(cast.member).post(f"{CONTACTS}bulk/", body, format="json")

    assert response.status_code == 200
    assert response.json()["results"] == [
        {"id": str(mine.pk), "status": "updated"},
        {"id": str(not_mine.pk), "status": "not_found"},
        {"id": str(foreign.pk), "status": "not_found"},
    ]
    with org_context(cast.org_a):
        assert Contact.objects.get(pk=mine.pk).tags == ["vip"]
        assert Contact.objects.get(pk=not_mine.pk).tags == []
    with org_context(cast.org_b):
        assert Contact.objects.get(pk=foreign.pk).tags == []


def test_bulk_caps_ids_and_refuses_unknown_fields(cast: Cast) -> None:
    client = client_for(cast.owner)
    too_many = client.post(
        f"{CONTACTS}bulk/", {"action": "archive", "ids": [str(cast.owner.pk)] * 501}, format="json"
    )
    unknown = client.post(
        f"{CONTACTS}bulk/",
        {"action": "update", "ids": [str(cast.owner.pk)], "changes": {"org": "x"}},
        format="json",
    )

    assert too_many.status_code == 400
    assert unknown.status_code == 400
    assert unknown.json()["fields"]["changes"][0]["code"] == "invalid"


def test_bulk_archive(cast: Cast) -> None:
    first, second = _contact(cast, first_name="A"), _contact(cast, first_name="B")

    response = client_for(cast.manager).post(
        f"{CONTACTS}bulk/", {"action": "archive", "ids": [str(first.pk), str(second.pk)]}, format="json"
    )

    assert [row["status"] for row in response.json()["results"]] == ["archived", "archived"]
    assert client_for(cast.manager).get(CONTACTS).json()["count"] == 0


def test_timeline_shows_creation_changes_and_assignment_newest_first(cast: Cast) -> None:
    client = client_for(cast.owner)
    contact_id = client.post(CONTACTS, {"first_name": "Ada"}, format="json").json()["id"]
    client.patch(
        f"{CONTACTS}{contact_id}/", {"first_name": "Ada B", "assigned_to": [str(cast.member.pk)]}, format="json"
    )

    entries = client.get(f"{CONTACTS}{contact_id}/timeline/").json()["results"]

    assert [(e["verb"], e["changes"]) for e in entries] == [
        ("assigned", {"assigned_to": [[], [str(cast.member.pk)]]}),
        ("updated", {"first_name": ["Ada", "Ada B"]}),
        ("created", {}),
    ]


def test_merge_moves_references_and_keeps_both_histories(cast: Cast) -> None:
    client = client_for(cast.owner)
    keep = client.post(COMPANIES, {"name": "Acme"}, format="json").json()["id"]
    gone = client.post(
        COMPANIES, {"name": "ACME Inc", "domain": "acme.test", "tags": ["lead"]}, format="json"
    ).json()["id"]
    person = client.post(CONTACTS, {"first_name": "Ada", "company": gone}, format="json").json()["id"]

    response = client.post(f"{COMPANIES}{keep}/merge/", {"merge_id": gone}, format="json")

    assert response.status_code == 200
    assert (response.json()["domain"], response.json()["tags"]) == ("acme.test", ["lead"])
    assert client.get(f"{CONTACTS}{person}/").json()["company"] == keep
    verbs = [e["verb"] for e in client.get(f"{COMPANIES}{keep}/timeline/").json()["results"]]
    assert verbs.count("created") == 2 and "merged" in verbs
    assert client.get(f"{COMPANIES}{gone}/").status_code == 200 and client.get(COMPANIES).json()["count"] == 1


def test_search_filters_and_ordering(cast: Cast) -> None:
    _contact(cast, first_name="Ada", last_name="Lovelace", email="ada@math.test", tags=["vip"])
    _contact(cast, first_name="Alan", last_name="Turing", phone="+44 20 7946 0000")
    client = client_for(cast.owner)

    assert [c["last_name"] for c in client.get(CONTACTS, {"search": "love"}).json()["results"]] == ["Lovelace"]
    assert [c["last_name"] for c in client.get(CONTACTS, {"search": "7946"}).json()["results"]] == ["Turing"]
    assert [c["last_name"] for c in client.get(CONTACTS, {"tags": "vip"}).json()["results"]] == ["Lovelace"]
    assert [c["last_name"] for c in client.get(CONTACTS, {"ordering": "-last_name"}).json()["results"]] == [
        "Turing",
        "Lovelace",
    ]


def test_page_size_is_capped_at_100(cast: Cast) -> None:
    with org_context(cast.org_a):
        Contact.objects.bulk_create([Contact(org=cast.org_a, first_name=f"P{i}") for i in range(105)])

    body = client_for(cast.owner).get(CONTACTS, {"page_size": 1000}).json()

    assert body["count"] == 105
    assert len(body["results"]) == 100


def test_list_costs_the_same_queries_for_1_row_and_50(cast: Cast) -> None:
    company = _company(cast, name="Acme")
    _contact(cast, first_name="First", company=company, assigned_to=[cast.member.pk])
    client = client_for(cast.member)

    def more() -> None:
        with org_context(cast.org_a):
            Contact.objects.bulk_create(
                [
                    Contact(org=cast.org_a, first_name=f"P{i}", company=company, assigned_to=[cast.member.pk])
                    for i in range(49)
                ]
            )

    queries = assert_flat_query_count(lambda: client.get(CONTACTS), more)

    assert queries <= 4


def test_a_malformed_id_is_a_404_not_an_error(cast: Cast) -> None:
    response = client_for(cast.owner).get(f"{CONTACTS}not-a-uuid/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
