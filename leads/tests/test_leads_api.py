"""Leads over the API: scoping, visibility by role, the status machine, concurrency, bulk, lists and search."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.context import org_context
from leads.models import Lead
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.isolation import assert_foreign_ids_find_nothing
from tenants.testing.queries import assert_flat_query_count
from timeline.models import ActivityEntry

pytestmark = pytest.mark.django_db

LEADS = "/api/leads/"
RANDOM_ID = "00000000-0000-7000-8000-000000000009"


def _lead(cast: Cast, org=None, **fields) -> Lead:
    org = org or cast.org_a
    with org_context(org):
        fields.setdefault("created_by", cast.owner if org == cast.org_a else cast.other_owner)
        return Lead.objects.create(org=org, **fields)


def _reload(cast: Cast, lead: Lead) -> Lead:
    with org_context(cast.org_a):
        return Lead.objects.get(pk=lead.pk)


def _verbs(cast: Cast, lead_id) -> list[tuple[str, dict]]:
    with org_context(cast.org_a):
        entries = ActivityEntry.objects.filter(target_type="leads.lead", target_id=lead_id).order_by("created_at")
        return [(entry.verb, entry.changes) for entry in entries]


# --- create and isolation -----------------------------------------------------------------------------------


def test_create_takes_org_author_and_org_currency_from_the_request_not_the_body(cast: Cast) -> None:
    cast.org_a.currency = "EUR"
    cast.org_a.save(update_fields=["currency"])
    forged = {"first_name": "Ada", "email": "ada@example.test",
              "created_by": str(cast.other_owner.pk), "id": RANDOM_ID, "converted_at": timezone.now().isoformat(),
              "converted_contact": RANDOM_ID}  # fmt: skip

    response = client_for(cast.member).post(LEADS, forged, format="json")

    assert response.status_code == 201, response.json()
    with org_context(cast.org_a):
        lead = Lead.objects.get(email="ada@example.test")
    assert (lead.org_id, lead.created_by_id, lead.updated_by_id) == (cast.org_a.pk, cast.member.pk, cast.member.pk)
    assert (str(lead.pk), lead.currency, lead.status) == (response.json()["id"], "EUR", "new")
    assert (lead.converted_at, lead.converted_contact_id) == (None, None)
    assert str(lead.pk) != RANDOM_ID
    assert response["ETag"]


def test_create_needs_a_name_an_email_or_a_company(cast: Cast) -> None:
    response = client_for(cast.owner).post(LEADS, {"phone": "+1 555 0100"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "required",
        "detail": "Give a name, an email or a company name.",
        "fields": {
            "non_field_errors": [{"code": "required", "detail": "Give a name, an email or a company name."}]
        },
    }
    with org_context(cast.org_a):
        assert Lead.objects.count() == 0


def test_value_must_not_be_negative_and_currency_is_an_iso_4217_code(cast: Cast) -> None:
    client = client_for(cast.owner)

    negative = client.post(LEADS, {"first_name": "A", "estimated_value": "-1.00"}, format="json")
    bad_currency = client.post(LEADS, {"first_name": "A", "currency": "EU"}, format="json")
    unknown_currency = client.post(LEADS, {"first_name": "A", "currency": "XYZ"}, format="json")
    lower = client.post(LEADS, {"first_name": "A", "estimated_value": "2500.50", "currency": "gbp"}, format="json")

    assert negative.status_code == 400
    assert negative.json()["fields"] == {
        "estimated_value": [{"code": "min_value", "detail": "Ensure this value is greater than or equal to 0."}]
    }
    for refused in (bad_currency, unknown_currency):
        assert refused.status_code == 400
        assert refused.json()["fields"] == {
            "currency": [
                {"code": "invalid", "detail": "Not a known currency. A three-letter ISO 4217 code, such as EUR."}
            ]
        }
    assert (lower.status_code, lower.json()["estimated_value"], lower.json()["currency"]) == (
        201,
        "2500.50",
        "GBP",
    )
    with org_context(cast.org_a):
        assert Lead.objects.count() == 1


def test_the_database_refuses_a_negative_value_and_a_converted_lead_without_a_conversion(cast: Cast) -> None:
    with org_context(cast.org_a):
        with pytest.raises(IntegrityError), transaction.atomic():
            Lead.objects.create(org=cast.org_a, first_name="A", estimated_value=Decimal("-1"))
        with pytest.raises(IntegrityError), transaction.atomic():
            Lead.objects.create(org=cast.org_a, first_name="A", status="converted")
        assert Lead.objects.count() == 0


def test_outsider_and_other_org_get_404_on_every_lead_route_and_nothing_in_lists(cast: Cast) -> None:
    lead = _lead(cast, first_name="Ada", email="ada@example.test")
    other = client_for(cast.other_owner)

    assert other.get(f"{LEADS}{lead.pk}/").status_code == 404
    assert other.patch(f"{LEADS}{lead.pk}/", {"first_name": "X"}, format="json").status_code == 404
    assert other.post(f"{LEADS}{lead.pk}/convert/", {}, format="json").status_code == 404
    assert other.get(f"{LEADS}{lead.pk}/timeline/").status_code == 404
    assert other.delete(f"{LEADS}{lead.pk}/").status_code == 404
    assert other.get(LEADS).json()["count"] == 0
    assert client_for(cast.outsider, org=cast.org_a).get(LEADS).status_code == 404
    assert other.get(f"{LEADS}{lead.pk}/").json() == other.get(f"{LEADS}{RANDOM_ID}/").json()
    fresh = _reload(cast, lead)
    assert (fresh.first_name, fresh.status, fresh.archived_at) == ("Ada", "new", None)


def test_a_malformed_id_is_404_not_a_crash(cast: Cast) -> None:
    client = client_for(cast.owner)

    assert client.get(f"{LEADS}not-a-uuid/").json() == {"code": "not_found", "detail": "Not found.", "fields": {}}
    assert client.post(f"{LEADS}not-a-uuid/convert/", {}, format="json").status_code == 404


def test_foreign_profile_in_assigned_to_is_a_field_error_like_a_random_id(cast: Cast) -> None:
    client = client_for(cast.owner)

    foreign = client.post(LEADS, {"first_name": "A", "assigned_to": [str(cast.other_owner.pk)]}, format="json")
    random = client.post(LEADS, {"first_name": "A", "assigned_to": [RANDOM_ID]}, format="json")

    assert foreign.status_code == random.status_code == 400
    assert foreign.json()["code"] == random.json()["code"] == "does_not_exist"
    with org_context(cast.org_a):
        assert Lead.objects.count() == 0


def test_members_see_only_leads_they_created_or_are_assigned(cast: Cast) -> None:
    _lead(cast, first_name="Owners")
    _lead(cast, first_name="Mine", created_by=cast.member)
    _lead(cast, first_name="Assigned", assigned_to=[cast.member.pk])

    member_names = {lead["first_name"] for lead in client_for(cast.member).get(LEADS).json()["results"]}
    viewer_names = {lead["first_name"] for lead in client_for(cast.viewer).get(LEADS).json()["results"]}

    assert member_names == {"Mine", "Assigned"}
    assert viewer_names == {"Owners", "Mine", "Assigned"}


def test_member_cannot_read_change_or_convert_a_lead_they_cannot_see(cast: Cast) -> None:
    hidden = _lead(cast, first_name="Hidden", email="hidden@example.test")
    member = client_for(cast.member)

    assert member.get(f"{LEADS}{hidden.pk}/").status_code == 404
    assert member.patch(f"{LEADS}{hidden.pk}/", {"first_name": "X"}, format="json").status_code == 404
    assert member.post(f"{LEADS}{hidden.pk}/convert/", {}, format="json").status_code == 404
    assert member.delete(f"{LEADS}{hidden.pk}/").status_code == 404
    fresh = _reload(cast, hidden)
    assert (fresh.first_name, fresh.status, fresh.archived_at) == ("Hidden", "new", None)


def test_viewer_writes_nothing(cast: Cast) -> None:
    lead = _lead(cast, first_name="Ada", email="ada@example.test")
    viewer = client_for(cast.viewer)

    assert viewer.post(LEADS, {"first_name": "X"}, format="json").status_code == 403
    assert viewer.patch(f"{LEADS}{lead.pk}/", {"first_name": "X"}, format="json").status_code == 403
    assert viewer.post(f"{LEADS}{lead.pk}/convert/", {}, format="json").status_code == 403
    assert (
        viewer.post(f"{LEADS}bulk/", {"action": "archive", "ids": [str(lead.pk)]}, format="json").status_code
        == 403
    )
    fresh = _reload(cast, lead)
    assert (fresh.first_name, fresh.status, fresh.archived_at) == ("Ada", "new", None)
    with org_context(cast.org_a):
        assert Lead.objects.count() == 1


# --- status machine -----------------------------------------------------------------------------------------


def test_an_allowed_status_move_is_one_status_changed_entry_with_everything_the_write_changed(cast: Cast) -> None:
    lead = _lead(cast, first_name="Ada")

    response = client_for(cast.owner).patch(
        f"{LEADS}{lead.pk}/", {"status": "contacted", "rating": "hot"}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["rating"]) == ("contacted", "hot")
    assert _verbs(cast, lead.pk) == [("status_changed", {"rating": ["", "hot"], "status": ["new", "contacted"]})]


def test_a_status_move_outside_the_table_is_refused_and_changes_nothing(cast: Cast) -> None:
    lead = _lead(cast, first_name="Ada", status="lost")

    response = client_for(cast.owner).patch(
        f"{LEADS}{lead.pk}/", {"status": "new", "first_name": "Changed"}, format="json"
    )

    detail = "A lead cannot move from lost to new. From lost it can move to: contacted, qualified."
    assert response.status_code == 400
    assert response.json() == {
        "code": "status_transition_invalid",
        "detail": detail,
        "fields": {"status": [{"code": "status_transition_invalid", "detail": detail}]},
    }
    fresh = _reload(cast, lead)
    assert (fresh.status, fresh.first_name) == ("lost", "Ada")
    assert _verbs(cast, lead.pk) == []


@pytest.mark.parametrize("method", ["patch", "put"])
def test_status_converted_cannot_be_set_by_an_edit(cast: Cast, method: str) -> None:
    """Only conversion makes a lead converted."""
    lead = _lead(cast, first_name="Ada", status="qualified")

    response = getattr(client_for(cast.owner), method)(
        f"{LEADS}{lead.pk}/", {"first_name": "Ada", "status": "converted"}, format="json"
    )

    detail = "A lead becomes converted only by converting it (POST /api/leads/<id>/convert/)."
    assert response.status_code == 400
    assert response.json() == {
        "code": "status_transition_invalid",
        "detail": detail,
        "fields": {"status": [{"code": "status_transition_invalid", "detail": detail}]},
    }
    fresh = _reload(cast, lead)
    assert (fresh.status, fresh.converted_at, fresh.converted_contact_id) == ("qualified", None, None)


def test_a_lead_cannot_be_created_converted(cast: Cast) -> None:
    response = client_for(cast.owner).post(LEADS, {"first_name": "Ada", "status": "converted"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "status_transition_invalid"
    with org_context(cast.org_a):
        assert Lead.objects.count() == 0


def test_a_converted_lead_is_read_only_except_tags_assignees_and_custom_fields(cast: Cast) -> None:
    client = client_for(cast.owner)
    lead_id = client.post(LEADS, {"first_name": "Ada", "email": "ada@example.test"}, format="json").json()["id"]
    client.post(f"{LEADS}{lead_id}/convert/", {}, format="json")

    edit = client.patch(f"{LEADS}{lead_id}/", {"first_name": "Eve", "rating": "hot"}, format="json")
    reopen = client.patch(f"{LEADS}{lead_id}/", {"status": "contacted"}, format="json")
    same_values = client.patch(f"{LEADS}{lead_id}/", {"first_name": "Ada"}, format="json")
    filing = client.patch(
        f"{LEADS}{lead_id}/", {"tags": ["won"], "assigned_to": [str(cast.member.pk)]}, format="json"
    )

    detail = "A converted lead is read-only except its tags, assignees and custom fields."
    assert edit.status_code == 409
    assert edit.json() == {
        "code": "lead_converted",
        "detail": detail,
        "fields": {
            "first_name": [{"code": "lead_converted", "detail": detail}],
            "rating": [{"code": "lead_converted", "detail": detail}],
        },
    }
    assert reopen.status_code == 400
    assert reopen.json()["fields"]["status"] == [
        {"code": "status_transition_invalid", "detail": "A converted lead keeps its status."}
    ]
    assert same_values.status_code == 200
    assert filing.status_code == 200
    assert (filing.json()["tags"], filing.json()["assigned_to"]) == (["won"], [str(cast.member.pk)])
    assert (filing.json()["first_name"], filing.json()["status"]) == ("Ada", "converted")


def test_stale_if_match_is_412_and_changes_nothing(cast: Cast) -> None:
    lead = _lead(cast, first_name="Ada")
    client = client_for(cast.owner)
    etag = client.get(f"{LEADS}{lead.pk}/")["ETag"]
    fresh = client.patch(f"{LEADS}{lead.pk}/", {"first_name": "Ada B"}, format="json", HTTP_IF_MATCH=etag)
    assert fresh.status_code == 200

    stale = client.patch(
        f"{LEADS}{lead.pk}/", {"first_name": "Other", "status": "contacted"}, format="json", HTTP_IF_MATCH=etag
    )

    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    current = _reload(cast, lead)
    assert (current.first_name, current.status) == ("Ada B", "new")


def test_delete_archives_and_admin_restores_then_purges(cast: Cast) -> None:
    lead = _lead(cast, first_name="Ada")
    owner = client_for(cast.owner)

    assert owner.delete(f"{LEADS}{lead.pk}/").status_code == 204
    assert owner.get(LEADS).json()["count"] == 0
    assert [row["id"] for row in owner.get(LEADS, {"archived": "true"}).json()["results"]] == [str(lead.pk)]
    assert owner.patch(f"{LEADS}{lead.pk}/", {"first_name": "X"}, format="json").json()["code"] == "archived"
    assert client_for(cast.manager).post(f"{LEADS}{lead.pk}/restore/").status_code == 403
    assert owner.post(f"{LEADS}{lead.pk}/restore/").status_code == 200
    assert owner.get(LEADS).json()["count"] == 1
    owner.delete(f"{LEADS}{lead.pk}/")
    assert owner.post(f"{LEADS}{lead.pk}/purge/").status_code == 204
    with org_context(cast.org_a):
        assert not Lead.all_orgs_unsafe.filter(pk=lead.pk).exists()


# --- bulk ---------------------------------------------------------------------------------------------------


def test_bulk_applies_the_per_record_rule_and_reports_foreign_ids_as_not_found(cast: Cast) -> None:
    """In a bulk edit a member changes only what they may change."""
    mine = _lead(cast, first_name="Mine", created_by=cast.member)
    not_mine = _lead(cast, first_name="Owners")
    foreign = _lead(cast, org=cast.org_b, first_name="Bravo")
    body = {
        "action": "update",
        "ids": [str(mine.pk), str(not_mine.pk), str(foreign.pk), RANDOM_ID],
        "changes": {"tags_add": ["VIP"], "rating": "warm"},
    }

    response = client_for(cast.member).post(f"{LEADS}bulk/", body, format="json")

    assert response.status_code == 200
    assert response.json()["results"] == [
        {"id": str(mine.pk), "status": "updated"},
        {"id": str(not_mine.pk), "status": "not_found"},
        {"id": str(foreign.pk), "status": "not_found"},
        {"id": RANDOM_ID, "status": "not_found"},
    ]
    assert (_reload(cast, mine).tags, _reload(cast, mine).rating) == (["vip"], "warm")
    assert (_reload(cast, not_mine).tags, _reload(cast, not_mine).rating) == ([], "")
    with org_context(cast.org_b):
        assert Lead.objects.get(pk=foreign.pk).tags == []


def test_bulk_status_moves_follow_each_leads_transitions(cast: Cast) -> None:
    fresh = _lead(cast, first_name="Fresh")
    lost = _lead(cast, first_name="Lost", status="lost")
    body = {
        "action": "update",
        "ids": [str(fresh.pk), str(lost.pk)],
        "changes": {"status": "unqualified", "rating": "cold", "assigned_to": [str(cast.member.pk)]},
    }

    response = client_for(cast.manager).post(f"{LEADS}bulk/", body, format="json")

    assert response.json()["results"] == [
        {"id": str(fresh.pk), "status": "updated"},
        {
            "id": str(lost.pk),
            "status": "invalid",
            "code": "status_transition_invalid",
            "detail": "A lead cannot move from lost to unqualified. "
            "From lost it can move to: contacted, qualified.",
        },
    ]
    # The refused lead keeps every field, not only its status.
    assert [
        (lead.status, lead.rating, lead.assigned_to) for lead in (_reload(cast, fresh), _reload(cast, lost))
    ] == [
        ("unqualified", "cold", [cast.member.pk]),
        ("lost", "", []),
    ]
    assert _verbs(cast, fresh.pk) == [
        ("status_changed", {"rating": ["", "cold"], "status": ["new", "unqualified"]}),
        ("assigned", {"assigned_to": [[], [str(cast.member.pk)]]}),
    ]
    assert _verbs(cast, lost.pk) == []


def test_bulk_cannot_mark_leads_converted(cast: Cast) -> None:
    lead = _lead(cast, first_name="Ada", status="qualified")
    body = {"action": "update", "ids": [str(lead.pk)], "changes": {"status": "converted"}}

    response = client_for(cast.owner).post(f"{LEADS}bulk/", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "status_transition_invalid"
    assert _reload(cast, lead).status == "qualified"


def test_bulk_refuses_content_changes_on_converted_leads_but_files_them(cast: Cast) -> None:
    client = client_for(cast.owner)
    converted = client.post(LEADS, {"first_name": "Ada", "email": "ada@example.test"}, format="json").json()["id"]
    client.post(f"{LEADS}{converted}/convert/", {}, format="json")

    content = client.post(
        f"{LEADS}bulk/", {"action": "update", "ids": [converted], "changes": {"rating": "hot"}}, format="json"
    )
    filing = client.post(
        f"{LEADS}bulk/", {"action": "update", "ids": [converted], "changes": {"tags_add": ["won"]}}, format="json"
    )

    assert content.json()["results"] == [
        {
            "id": converted,
            "status": "invalid",
            "code": "lead_converted",
            "detail": "A converted lead is read-only except its tags, assignees and custom fields.",
        }
    ]
    assert filing.json()["results"] == [{"id": converted, "status": "updated"}]
    with org_context(cast.org_a):
        lead = Lead.objects.get(pk=converted)
    assert (lead.rating, lead.tags) == ("", ["won"])


def test_bulk_caps_ids_and_refuses_unknown_fields(cast: Cast) -> None:
    client = client_for(cast.owner)

    too_many = client.post(f"{LEADS}bulk/", {"action": "archive", "ids": [RANDOM_ID] * 501}, format="json")
    unknown = client.post(
        f"{LEADS}bulk/", {"action": "update", "ids": [RANDOM_ID], "changes": {"email": "x@y.test"}}, format="json"
    )

    assert too_many.status_code == 400
    assert unknown.status_code == 400
    assert unknown.json()["fields"]["changes"][0]["code"] == "invalid"


def test_bulk_archive(cast: Cast) -> None:
    first, second = _lead(cast, first_name="A"), _lead(cast, first_name="B")

    response = client_for(cast.manager).post(
        f"{LEADS}bulk/", {"action": "archive", "ids": [str(first.pk), str(second.pk)]}, format="json"
    )

    assert [row["status"] for row in response.json()["results"]] == ["archived", "archived"]
    assert client_for(cast.manager).get(LEADS).json()["count"] == 0


# --- lists --------------------------------------------------------------------------------------------------


def test_filtering_by_another_orgs_ids_finds_nothing_exactly_like_a_random_id(cast: Cast) -> None:
    _lead(cast, cast.org_b, first_name="Bea", assigned_to=[cast.other_owner.pk])
    _lead(cast, first_name="Ours", assigned_to=[cast.owner.pk])

    assert_foreign_ids_find_nothing(
        client_for(cast.owner), LEADS, {"assigned_to": cast.other_owner.pk, "created_by": cast.other_owner.pk}
    )


def test_search_on_names_email_phone_and_company(cast: Cast) -> None:
    _lead(cast, first_name="Ada", last_name="Lovelace", email="ada@math.test", company_name="Analytical Engines")
    _lead(cast, first_name="Alan", last_name="Turing", phone="+44 20 7946 0000", company_name="Bletchley")
    client = client_for(cast.owner)

    def names(term: str) -> list[str]:
        return [row["last_name"] for row in client.get(LEADS, {"search": term}).json()["results"]]

    assert names("love") == ["Lovelace"]
    assert names("MATH.test") == ["Lovelace"]
    assert names("7946") == ["Turing"]
    assert names("bletch") == ["Turing"]


def test_filters_on_status_source_rating_assignee_tags_and_dates(cast: Cast) -> None:
    soon = timezone.now() + timedelta(days=1)
    later = timezone.now() + timedelta(days=10)
    _lead(cast, first_name="A", status="contacted", source="referral", rating="hot", tags=["vip"],
          assigned_to=[cast.member.pk], next_follow_up_at=soon)  # fmt: skip
    _lead(cast, first_name="B", status="qualified", source="event", rating="cold", next_follow_up_at=later)
    _lead(cast, first_name="C")
    client = client_for(cast.owner)

    def names(**params) -> list[str]:
        return sorted(row["first_name"] for row in client.get(LEADS, params).json()["results"])

    assert names(status=["contacted", "qualified"]) == ["A", "B"]
    assert names(status="new") == ["C"]
    assert names(source="event") == ["B"]
    assert names(rating="hot") == ["A"]
    assert names(assigned_to=str(cast.member.pk)) == ["A"]
    assert names(tags="vip") == ["A"]
    assert names(next_follow_up_before=(soon + timedelta(days=2)).isoformat()) == ["A"]
    assert names(next_follow_up_after=(soon + timedelta(days=2)).isoformat()) == ["B"]
    assert names(created_after=(timezone.now() - timedelta(hours=1)).isoformat()) == ["A", "B", "C"]
    assert names(created_by=str(cast.owner.pk)) == ["A", "B", "C"]
    bad = client.get(LEADS, {"status": "won"})
    assert bad.status_code == 400
    assert list(bad.json()["fields"]) == ["status"]


def test_ordering_is_whitelisted(cast: Cast) -> None:
    _lead(cast, first_name="A", estimated_value=Decimal("10"))
    _lead(cast, first_name="B", estimated_value=Decimal("30"))
    client = client_for(cast.owner)

    by_value = client.get(LEADS, {"ordering": "-estimated_value"}).json()["results"]
    by_unlisted = client.get(LEADS, {"ordering": "email"})

    assert [row["first_name"] for row in by_value] == ["B", "A"]
    assert (by_unlisted.status_code, by_unlisted.json()["code"]) == (400, "invalid_choice")
    assert by_unlisted.json()["fields"]["ordering"][0]["detail"].startswith("Cannot sort by email; sort by any of")


def test_descending_and_ascending_sorts_put_records_without_a_value_last(cast: Cast) -> None:
    _lead(cast, first_name="None")
    _lead(cast, first_name="Low", estimated_value=Decimal("10"))
    _lead(cast, first_name="High", estimated_value=Decimal("30"))
    client = client_for(cast.owner)

    down = client.get(LEADS, {"ordering": "-estimated_value"}).json()["results"]
    up = client.get(LEADS, {"ordering": "estimated_value"}).json()["results"]

    assert [row["first_name"] for row in down] == ["High", "Low", "None"]
    assert [row["first_name"] for row in up] == ["Low", "High", "None"]


def test_page_size_defaults_to_25_and_is_capped_at_100(cast: Cast) -> None:
    """A larger page size than the cap is capped."""
    with org_context(cast.org_a):
        Lead.objects.bulk_create([Lead(org=cast.org_a, first_name=f"P{i}") for i in range(105)])
    client = client_for(cast.owner)

    default = client.get(LEADS).json()
    capped = client.get(LEADS, {"page_size": 1000}).json()

    assert (default["count"], len(default["results"])) == (105, 25)
    assert (capped["count"], len(capped["results"])) == (105, 100)


def test_list_costs_the_same_queries_for_1_row_and_50(cast: Cast) -> None:
    _lead(cast, first_name="First", assigned_to=[cast.member.pk], tags=["x"])
    client = client_for(cast.member)

    def more() -> None:
        with org_context(cast.org_a):
            Lead.objects.bulk_create(
                [Lead(org=cast.org_a, first_name=f"P{i}", assigned_to=[cast.member.pk]) for i in range(49)]
            )

    queries = assert_flat_query_count(lambda: client.get(LEADS), more)

    assert queries <= 4


def test_timeline_shows_creation_changes_and_status_moves_newest_first(cast: Cast) -> None:
    client = client_for(cast.owner)
    lead_id = client.post(LEADS, {"first_name": "Ada"}, format="json").json()["id"]
    client.patch(f"{LEADS}{lead_id}/", {"status": "contacted"}, format="json")
    client.patch(f"{LEADS}{lead_id}/", {"assigned_to": [str(cast.member.pk)]}, format="json")

    entries = client.get(f"{LEADS}{lead_id}/timeline/").json()["results"]

    assert [(entry["verb"], entry["changes"]) for entry in entries] == [
        ("assigned", {"assigned_to": [[], [str(cast.member.pk)]]}),
        ("status_changed", {"status": ["new", "contacted"]}),
        ("created", {}),
    ]
