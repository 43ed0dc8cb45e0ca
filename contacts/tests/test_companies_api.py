"""Companies over the API: scoping, filters, search, ordering, concurrency, bulk and the query budget."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from common.context import org_context
from contacts.models import Company
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.queries import assert_flat_query_count

pytestmark = pytest.mark.django_db

COMPANIES = "/api/companies/"


def _company(cast: Cast, org: Any = None, **fields: Any) -> Company:
    org = org or cast.org_a
    fields.setdefault("created_by", cast.owner if org == cast.org_a else cast.other_owner)
    with org_context(org):
        return Company.objects.create(org=org, **fields)


def _stored(cast: Cast, company: Company, org: Any = None) -> Company:
    with org_context(org or cast.org_a):
        return Company.objects.get(pk=company.pk)


def _names(response: Any) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["name"] for row in response.json()["results"]]


def test_create_takes_org_id_and_author_from_the_request_not_the_body(cast: Cast) -> None:
    forged = {"name": "Acme", "created_by": str(cast.other_owner.pk),
              "updated_by": str(cast.other_owner.pk), "id": "00000000-0000-7000-8000-000000000001",
              "archived_at": "2024-01-01T00:00:00Z"}  # fmt: skip

    response = client_for(cast.member).post(COMPANIES, forged, format="json")

    assert response.status_code == 201, response.json()
    with org_context(cast.org_a):
        company = Company.objects.get(name="Acme")
    assert (company.org_id, company.created_by_id, company.updated_by_id, company.archived_at) == (
        cast.org_a.pk,
        cast.member.pk,
        cast.member.pk,
        None,
    )
    assert str(company.pk) == response.json()["id"] != forged["id"]
    with org_context(cast.org_b):
        assert Company.objects.count() == 0


def test_update_ignores_a_forged_org_id_and_author(cast: Cast) -> None:
    company = _company(cast, name="Acme")
    body = {"name": "Acme Ltd", "id": "00000000-0000-7000-8000-000000000001",
            "created_by": str(cast.other_owner.pk)}  # fmt: skip

    response = client_for(cast.manager).patch(f"{COMPANIES}{company.pk}/", body, format="json")

    assert response.status_code == 200, response.json()
    stored = _stored(cast, company)
    assert (stored.name, stored.org_id, stored.created_by_id, stored.updated_by_id) == (
        "Acme Ltd",
        cast.org_a.pk,
        cast.owner.pk,
        cast.manager.pk,
    )


def test_other_orgs_and_outsiders_see_nothing(cast: Cast) -> None:
    company = _company(cast, name="Acme")

    assert client_for(cast.other_owner).get(f"{COMPANIES}{company.pk}/").status_code == 404
    assert client_for(cast.other_owner).patch(
        f"{COMPANIES}{company.pk}/", {"name": "X"}, format="json"
    ).json() == {"code": "not_found", "detail": "Not found.", "fields": {}}
    assert client_for(cast.other_owner).get(COMPANIES).json()["count"] == 0
    assert client_for(cast.outsider, org=cast.org_a).get(COMPANIES).status_code == 404
    assert _stored(cast, company).name == "Acme"


def test_members_see_and_change_only_their_companies_and_viewers_change_none(cast: Cast) -> None:
    hidden = _company(cast, name="Hidden")
    _company(cast, name="Mine", created_by=cast.member)
    _company(cast, name="Assigned", assigned_to=[cast.member.pk])
    member, viewer = client_for(cast.member), client_for(cast.viewer)

    assert _names(member.get(COMPANIES)) == ["Assigned", "Mine"]
    assert member.patch(f"{COMPANIES}{hidden.pk}/", {"name": "X"}, format="json").status_code == 404
    assert _names(viewer.get(COMPANIES)) == ["Assigned", "Hidden", "Mine"]
    assert viewer.patch(f"{COMPANIES}{hidden.pk}/", {"name": "X"}, format="json").status_code == 403
    assert viewer.post(COMPANIES, {"name": "X"}, format="json").status_code == 403
    assert _stored(cast, hidden).name == "Hidden"
    with org_context(cast.org_a):
        assert Company.objects.count() == 3


def test_list_costs_the_same_queries_for_1_row_and_50(cast: Cast) -> None:
    _company(cast, name="First", assigned_to=[cast.member.pk], tags=["vip"])
    client = client_for(cast.member)

    def more() -> None:
        with org_context(cast.org_a):
            Company.objects.bulk_create(
                [Company(org=cast.org_a, name=f"Firm {i}", assigned_to=[cast.member.pk]) for i in range(49)]
            )

    queries = assert_flat_query_count(lambda: client.get(COMPANIES), more)

    assert queries <= 4
    assert client.get(COMPANIES).json()["count"] == 50


def test_filters_by_industry_size_and_country(cast: Cast) -> None:
    _company(cast, name="Harbor", industry="Retail", size="11-50", country="GB")
    _company(cast, name="Summit", industry="Hospitality", size="2-10", country="US")
    client = client_for(cast.owner)

    assert _names(client.get(COMPANIES, {"industry": "retail"})) == ["Harbor"]
    assert _names(client.get(COMPANIES, {"size": "2-10"})) == ["Summit"]
    assert _names(client.get(COMPANIES, {"country": "us"})) == ["Summit"]
    assert _names(client.get(COMPANIES, {"industry": "Retail", "country": "US"})) == []


def test_filters_by_tags_assignee_and_creator(cast: Cast) -> None:
    _company(cast, name="Harbor", tags=["vip", "landlord"], assigned_to=[cast.member.pk])
    _company(cast, name="Summit", tags=["tenant"], created_by=cast.manager)
    _company(cast, name="Vale")
    client = client_for(cast.owner)

    assert _names(client.get(COMPANIES, {"tags": "VIP"})) == ["Harbor"]
    assert _names(client.get(COMPANIES, {"tags": "tenant,landlord"})) == ["Harbor", "Summit"]
    assert _names(client.get(COMPANIES, {"assigned_to": str(cast.member.pk)})) == ["Harbor"]
    assert _names(client.get(COMPANIES, {"created_by": str(cast.manager.pk)})) == ["Summit"]


def test_filters_by_created_and_updated_ranges(cast: Cast) -> None:
    old, new = _company(cast, name="Old"), _company(cast, name="New")
    day = datetime.timedelta(days=1)
    now = timezone.now()
    with org_context(cast.org_a):
        Company.objects.filter(pk=old.pk).update(created_at=now - 10 * day, updated_at=now - 5 * day)
    client = client_for(cast.owner)
    cutoff = (now - 7 * day).isoformat()
    touched = (now - 2 * day).isoformat()

    assert _names(client.get(COMPANIES, {"created_after": cutoff})) == ["New"]
    assert _names(client.get(COMPANIES, {"created_before": cutoff})) == ["Old"]
    assert _names(client.get(COMPANIES, {"updated_after": touched})) == ["New"]
    assert _names(client.get(COMPANIES, {"updated_before": touched})) == ["Old"]
    assert _stored(cast, new).created_at > now - day


def test_archived_companies_are_listed_only_on_request(cast: Cast) -> None:
    _company(cast, name="Live")
    _company(cast, name="Gone", archived_at=timezone.now())
    client = client_for(cast.owner)

    assert _names(client.get(COMPANIES)) == ["Live"]
    assert _names(client.get(COMPANIES, {"archived": "true"})) == ["Gone"]


def test_search_covers_name_domain_and_phone(cast: Cast) -> None:
    _company(cast, name="Harbor Estates", domain="harbor.test", phone="+44 20 7946 0001")
    _company(cast, name="Summit Lettings", domain="summit-homes.test", phone="+1 512 555 0199")
    client = client_for(cast.owner)

    assert _names(client.get(COMPANIES, {"search": "estates"})) == ["Harbor Estates"]
    assert _names(client.get(COMPANIES, {"search": "HOMES.TEST"})) == ["Summit Lettings"]
    assert _names(client.get(COMPANIES, {"search": "555 01"})) == ["Summit Lettings"]
    assert _names(client.get(COMPANIES, {"search": "nowhere"})) == []


def test_ordering_takes_only_whitelisted_fields(cast: Cast) -> None:
    # Name order and domain order disagree, so a domain ordering that slipped through would show.
    _company(cast, name="Alpha", domain="zulu.test")
    _company(cast, name="Bravo", domain="alpha.test")
    _company(cast, name="Charlie", domain="mike.test")
    client = client_for(cast.owner)

    assert _names(client.get(COMPANIES, {"ordering": "-name"})) == ["Charlie", "Bravo", "Alpha"]
    assert _names(client.get(COMPANIES, {"ordering": "created_at"})) == ["Alpha", "Bravo", "Charlie"]
    assert _names(client.get(COMPANIES, {"ordering": "-updated_at"})) == ["Charlie", "Bravo", "Alpha"]
    for not_allowed in ("domain", "-domain", "org", "custom_fields", "created_by__user__email", "name,domain"):
        refused = client.get(COMPANIES, {"ordering": not_allowed})
        assert (refused.status_code, refused.json()["code"]) == (400, "invalid_choice"), not_allowed
        assert "sort by any of name, created_at, updated_at" in refused.json()["fields"]["ordering"][0]["detail"]


def test_detail_has_an_etag_and_a_stale_if_match_is_412_and_changes_nothing(cast: Cast) -> None:
    company = _company(cast, name="Acme")
    client = client_for(cast.owner)
    etag = client.get(f"{COMPANIES}{company.pk}/")["ETag"]

    fresh = client.patch(f"{COMPANIES}{company.pk}/", {"name": "Acme Ltd"}, format="json", HTTP_IF_MATCH=etag)
    stale = client.patch(f"{COMPANIES}{company.pk}/", {"name": "Other"}, format="json", HTTP_IF_MATCH=etag)

    assert fresh.status_code == 200
    assert fresh["ETag"] != etag
    assert fresh["ETag"] == client.get(f"{COMPANIES}{company.pk}/")["ETag"]
    assert stale.status_code == 412
    assert stale.json() == {
        "code": "precondition_failed",
        "detail": "The record changed since you loaded it. Reload it and apply your change again.",
        "fields": {},
    }
    assert _stored(cast, company).name == "Acme Ltd"


def test_bulk_update_applies_the_per_record_rule_and_reports_foreign_ids_as_not_found(cast: Cast) -> None:
    mine = _company(cast, name="Mine", created_by=cast.member, tags=["old"])
    not_mine = _company(cast, name="Owners")
    foreign = _company(cast, org=cast.org_b, name="Bravo Co")
    body = {
        "action": "update",
        "ids": [str(mine.pk), str(not_mine.pk), str(foreign.pk)],
        "changes": {"industry": "Retail", "size": "2-10", "tags_add": ["VIP"], "tags_remove": ["old"]},
    }

    response = client_for(cast.member).post(f"{COMPANIES}bulk/", body, format="json")

    assert response.status_code == 200
    assert response.json()["results"] == [
        {"id": str(mine.pk), "status": "updated"},
        {"id": str(not_mine.pk), "status": "not_found"},
        {"id": str(foreign.pk), "status": "not_found"},
    ]
    stored = _stored(cast, mine)
    assert (stored.industry, stored.size, stored.tags) == ("Retail", "2-10", ["vip"])
    assert (_stored(cast, not_mine).industry, _stored(cast, foreign, org=cast.org_b).industry) == ("", "")


def test_bulk_archive_archives_what_the_actor_may_change(cast: Cast) -> None:
    first, second = _company(cast, name="A"), _company(cast, name="B")
    foreign = _company(cast, org=cast.org_b, name="Bravo Co")
    ids = [str(first.pk), str(second.pk), str(foreign.pk)]

    response = client_for(cast.manager).post(f"{COMPANIES}bulk/", {"action": "archive", "ids": ids}, format="json")

    assert response.json()["results"] == [
        {"id": str(first.pk), "status": "archived"},
        {"id": str(second.pk), "status": "archived"},
        {"id": str(foreign.pk), "status": "not_found"},
    ]
    assert client_for(cast.manager).get(COMPANIES).json()["count"] == 0
    assert _stored(cast, foreign, org=cast.org_b).archived_at is None


def test_bulk_refuses_fields_outside_the_bulk_whitelist(cast: Cast) -> None:
    company = _company(cast, name="Acme")
    body = {"action": "update", "ids": [str(company.pk)], "changes": {"name": "Renamed"}}

    response = client_for(cast.owner).post(f"{COMPANIES}bulk/", body, format="json")

    assert response.status_code == 400
    assert response.json()["fields"]["changes"][0]["code"] == "invalid"
    assert _stored(cast, company).name == "Acme"


def test_a_duplicate_domain_is_409_pointing_at_the_existing_company(cast: Cast) -> None:
    existing = _company(cast, name="Acme", domain="acme.test")

    response = client_for(cast.owner).post(COMPANIES, {"name": "Acme Inc", "domain": "ACME.test"}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "code": "duplicate_company",
        "detail": "A company with this domain already exists.",
        "fields": {
            "domain": [
                {
                    "code": "duplicate",
                    "detail": "Already used by another company.",
                    "existing_id": str(existing.pk),
                }
            ]
        },
    }
    with org_context(cast.org_a):
        assert Company.objects.count() == 1


def test_changing_the_domain_to_another_companys_is_409_and_changes_nothing(cast: Cast) -> None:
    _company(cast, name="Acme", domain="acme.test")
    other = _company(cast, name="Initech", domain="initech.test")
    client = client_for(cast.owner)

    taken = client.patch(f"{COMPANIES}{other.pk}/", {"domain": "Acme.Test"}, format="json")
    own = client.patch(f"{COMPANIES}{other.pk}/", {"domain": "INITECH.test", "name": "Initech Ltd"}, format="json")

    assert (taken.status_code, taken.json()["code"]) == (409, "duplicate_company")
    assert own.status_code == 200
    assert (_stored(cast, other).domain, _stored(cast, other).name) == ("INITECH.test", "Initech Ltd")


def test_blank_domains_repeat_and_the_same_domain_in_another_org_is_fine(cast: Cast) -> None:
    _company(cast, name="Acme")
    _company(cast, org=cast.org_b, name="Acme", domain="acme.test")
    client = client_for(cast.owner)

    assert client.post(COMPANIES, {"name": "Initech"}, format="json").status_code == 201
    assert client.post(COMPANIES, {"name": "Acme", "domain": "acme.test"}, format="json").status_code == 201
