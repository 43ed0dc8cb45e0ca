"""CSV export of record lists: the rows the caller's list shows, flattened, spreadsheet-safe, capped, streamed."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from common.context import org_context
from contacts.models import Company, Contact
from customfields.models import CustomFieldDefinition
from deals.models import Deal
from leads.models import Lead
from records import export
from tenants.models import AuditEvent, Org
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.queries import assert_flat_query_count

pytestmark = pytest.mark.django_db

LEADS_EXPORT = "/api/leads/export/"
LEAD_COLUMNS = [
    "id", "first_name", "last_name", "email", "phone", "title", "company_name", "website", "industry", "status",
    "source", "rating", "estimated_value", "currency", "next_follow_up_at", "description", "property",
    "property_summary", "email_consent_at", "email_consent_source", "converted_contact", "converted_company",
    "converted_deal_id", "converted_at",
    "converted_by", "assigned_to", "tags", "archived_at", "created_at", "updated_at", "created_by", "updated_by",
]  # fmt: skip


@pytest.fixture
def open_exports(cast: Cast) -> None:
    """Org A lets every role export (its default is managers and above), to test what each role's CSV holds."""
    Org.objects.filter(pk=cast.org_a.pk).update(export_min_role="viewer")


def _lead(cast: Cast, org: Any = None, **fields: Any) -> Lead:
    org = org or cast.org_a
    fields.setdefault("created_by", cast.owner if org == cast.org_a else cast.other_owner)
    with org_context(org):
        return Lead.objects.create(org=org, **fields)


def _csv(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def _export(who: Any, url: str = LEADS_EXPORT, **params: Any) -> tuple[Any, list[dict[str, str]]]:
    response = client_for(who).get(url, params)
    assert response.status_code == 200, response.content
    header, *rows = _csv(response)
    return response, [dict(zip(header, row, strict=True)) for row in rows]


def _names(rows: list[dict[str, str]]) -> list[str]:
    return [row["first_name"] for row in rows]


# --- What a download is ---------------------------------------------------------------------------------------


def test_export_is_a_csv_attachment_with_the_list_serializer_columns_flattened(cast: Cast) -> None:
    lead = _lead(
        cast, first_name="Ada", last_name="Byron", email="ada@example.test", tags=["vip", "buyer"],
        assigned_to=[cast.member.pk, cast.manager.pk], estimated_value=Decimal("1200.50"), currency="EUR",
    )  # fmt: skip

    response = client_for(cast.owner).get(LEADS_EXPORT)
    header, *rows = _csv(response)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"] == f'attachment; filename="leads-{timezone.localdate().isoformat()}.csv"'
    )
    assert (response["X-Export-Truncated"], response["X-Export-Row-Limit"]) == ("false", "10000")
    assert response.streaming is True
    assert header == LEAD_COLUMNS
    row = dict(zip(header, rows[0], strict=True))
    assert len(rows) == 1
    assert {key: row[key] for key in ("id", "first_name", "last_name", "email", "status", "estimated_value")} == {
        "id": str(lead.pk), "first_name": "Ada", "last_name": "Byron", "email": "ada@example.test",
        "status": "new", "estimated_value": "1200.50",
    }  # fmt: skip
    assert (row["tags"], row["assigned_to"]) == ("vip;buyer", f"{cast.member.pk};{cast.manager.pk}")
    assert (row["currency"], row["created_by"], row["archived_at"], row["converted_at"]) == (
        "EUR", str(cast.owner.pk), "", "",
    )  # fmt: skip


def test_related_records_are_their_id_and_their_name_and_custom_fields_are_cf_columns(cast: Cast) -> None:
    with org_context(cast.org_a):
        for position, (key, field_type) in enumerate([("budget", "number"), ("areas", "multi_select")]):
            CustomFieldDefinition.objects.create(
                org=cast.org_a, module="contacts.contact", key=key, label=key.title(), field_type=field_type,
                options=["north", "south"] if field_type == "multi_select" else [], position=position,
            )  # fmt: skip
        company = Company.objects.create(org=cast.org_a, created_by=cast.owner, name="Harbor Realty")
        contact = Contact.objects.create(
            org=cast.org_a, created_by=cast.owner, first_name="Ada", company=company,
            custom_fields={"budget": 250000, "areas": ["north", "south"]},
        )  # fmt: skip

    _, rows = _export(cast.owner, "/api/contacts/export/")

    assert list(rows[0])[-4:] == ["created_by", "updated_by", "cf_budget", "cf_areas"]
    assert "custom_fields" not in rows[0]
    assert {key: rows[0][key] for key in ("id", "company", "company_summary", "cf_budget", "cf_areas")} == {
        "id": str(contact.pk), "company": str(company.pk), "company_summary": "Harbor Realty",
        "cf_budget": "250000", "cf_areas": "north;south",
    }  # fmt: skip


def test_cells_that_a_spreadsheet_would_run_as_formulas_get_a_leading_quote(cast: Cast) -> None:
    _lead(
        cast, first_name='=HYPERLINK("http://evil.test","x")', last_name="+1 555 0100", title="-2+3",
        company_name="@SUM(A1)", industry="\tTab", description="\rReturn", email="plain@example.test",
    )  # fmt: skip

    _, rows = _export(cast.owner)

    cells = {key: rows[0][key] for key in ("first_name", "last_name", "title", "company_name", "industry")}
    assert cells == {
        "first_name": '\'=HYPERLINK("http://evil.test","x")', "last_name": "'+1 555 0100", "title": "'-2+3",
        "company_name": "'@SUM(A1)", "industry": "'\tTab",
    }  # fmt: skip
    assert (rows[0]["description"], rows[0]["email"]) == ("'\rReturn", "plain@example.test")


def test_a_plain_negative_number_is_left_a_number() -> None:
    assert [export.neutralised(cell) for cell in ("-12.50", "-7", "-7e3", "12")] == ["-12.50", "-7", "'-7e3", "12"]


# --- Exactly the rows the list shows -------------------------------------------------------------------------


def test_a_member_exports_only_what_they_created_or_are_assigned_to(cast: Cast, open_exports: None) -> None:
    _lead(cast, first_name="Mine", created_by=cast.member)
    _lead(cast, first_name="Assigned", assigned_to=[cast.member.pk])
    _lead(cast, first_name="Someone else's")

    _, member_rows = _export(cast.member, ordering="first_name")
    _, viewer_rows = _export(cast.viewer, ordering="first_name")

    assert _names(member_rows) == ["Assigned", "Mine"]
    assert _names(viewer_rows) == ["Assigned", "Mine", "Someone else's"]


def test_another_orgs_rows_never_appear_and_its_members_get_404(cast: Cast) -> None:
    _lead(cast, first_name="Ours")
    _lead(cast, org=cast.org_b, first_name="Theirs")

    _, rows = _export(cast.owner)
    _, their_rows = _export(cast.other_owner)
    foreign = client_for(cast.other_owner, org=cast.org_a).get(LEADS_EXPORT)
    outsider = client_for(cast.outsider, org=cast.org_a).get(LEADS_EXPORT)

    assert (_names(rows), _names(their_rows)) == (["Ours"], ["Theirs"])
    assert [foreign.status_code, outsider.status_code] == [404, 404]


def test_the_lists_filters_search_ordering_archived_flag_and_custom_filters_apply(cast: Cast) -> None:
    with org_context(cast.org_a):
        CustomFieldDefinition.objects.create(
            org=cast.org_a, module="leads.lead", key="region", label="Region", field_type="text"
        )
    _lead(cast, first_name="Cara", status="qualified", email="cara@harbor.test", custom_fields={"region": "north"})
    _lead(cast, first_name="Bea", status="qualified", email="bea@harbor.test", custom_fields={"region": "south"})
    _lead(cast, first_name="Abe", status="new", email="abe@harbor.test", custom_fields={"region": "north"})
    _lead(cast, first_name="Dot", status="qualified", email="dot@elsewhere.test")
    _lead(cast, first_name="Old", status="qualified", archived_at=timezone.now())

    answers = {
        "status": _export(cast.owner, status="qualified", ordering="first_name")[1],
        "search": _export(cast.owner, search="harbor", ordering="-first_name")[1],
        "custom": _export(cast.owner, cf_region="north", ordering="first_name")[1],
        "archived": _export(cast.owner, archived="true")[1],
    }

    assert {name: _names(rows) for name, rows in answers.items()} == {
        "status": ["Bea", "Cara", "Dot"],
        "search": ["Cara", "Bea", "Abe"],
        "custom": ["Abe", "Cara"],
        "archived": ["Old"],
    }
    assert answers["custom"][0]["cf_region"] == "north"


def test_a_bad_filter_is_the_json_envelope_even_when_the_client_accepts_only_csv(cast: Cast) -> None:
    response = client_for(cast.owner).get(LEADS_EXPORT, {"status": "bogus"}, HTTP_ACCEPT="text/csv")
    unknown = client_for(cast.owner).get(LEADS_EXPORT, {"cf_nope": "1"}, HTTP_ACCEPT="text/csv")

    detail = "Select a valid choice. bogus is not one of the available choices."
    assert (response.status_code, response.json()) == (
        400, {"code": "invalid_choice", "detail": detail, "fields": {"status": [{"code": "invalid_choice",
              "detail": detail}]}},
    )  # fmt: skip
    assert (unknown.status_code, unknown.json()["code"]) == (400, "unknown_field")


def test_the_row_cap_is_honoured_and_said_in_a_header(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export, "EXPORT_MAX_ROWS", 2)
    for name in ("Ann", "Ben", "Cid"):
        _lead(cast, first_name=name)

    capped, capped_rows = _export(cast.owner, ordering="first_name")
    exact, exact_rows = _export(cast.owner, ordering="first_name", search="n")  # Ann and Ben: exactly the cap

    assert (capped["X-Export-Truncated"], capped["X-Export-Row-Limit"], _names(capped_rows)) == (
        "true", "2", ["Ann", "Ben"],
    )  # fmt: skip
    assert (exact["X-Export-Truncated"], _names(exact_rows)) == ("false", ["Ann", "Ben"])


# --- Cost -------------------------------------------------------------------------------------------------------


def _downloaded(who: Any, url: str) -> Any:
    return lambda: b"".join(client_for(who).get(url).streaming_content)


def test_lead_export_costs_the_same_queries_for_one_row_and_for_fifty(cast: Cast, open_exports: None) -> None:
    _lead(cast, first_name="First", assigned_to=[cast.member.pk], tags=["a"])

    def grow() -> None:
        for index in range(49):
            _lead(cast, first_name=f"Lead {index}", assigned_to=[cast.member.pk], tags=["a", "b"])

    assert_flat_query_count(_downloaded(cast.member, LEADS_EXPORT), grow)


def test_deal_export_with_its_related_records_costs_the_same_queries_for_one_row_and_for_fifty(
    cast: Cast,
) -> None:
    from deals.pipeline_services import pipeline_ensure_default

    with org_context(cast.org_a):
        stage = pipeline_ensure_default(org=cast.org_a).stages.first()
        company = Company.objects.create(org=cast.org_a, created_by=cast.owner, name="Harbor Realty")
        contact = Contact.objects.create(org=cast.org_a, created_by=cast.owner, first_name="Ada", company=company)

    def deal(name: str) -> None:
        with org_context(cast.org_a):
            Deal.objects.create(
                org=cast.org_a, created_by=cast.owner, owner_id=cast.owner.pk, name=name, stage=stage,
                pipeline=stage.pipeline, contact=contact, company=company,
            )  # fmt: skip

    deal("First")
    assert_flat_query_count(
        _downloaded(cast.owner, "/api/deals/export/"), lambda: [deal(f"Deal {index}") for index in range(49)]
    )


def test_every_export_lands_in_the_org_audit_log_with_its_filters(cast: Cast, open_exports: None) -> None:
    client = client_for(cast.member)
    client.defaults["REMOTE_ADDR"] = "203.0.113.21"

    response = client.get(LEADS_EXPORT, {"status": ["new", "qualified"], "search": "smith"})

    assert response.status_code == 200
    event = AuditEvent.objects.get(org_id=cast.org_a.pk, action="records_exported")
    assert (event.actor_email, event.target_type, event.ip, event.details) == (
        "member@alpha.test",
        "leads.lead",
        "203.0.113.21",
        {"filters": {"search": ["smith"], "status": ["new", "qualified"]}},
    )


def test_exports_are_limited_per_member_per_hour_with_retry_after(
    cast: Cast, open_exports: None, settings
) -> None:
    settings.EXPORTS_PER_HOUR = 2
    member, manager = client_for(cast.member), client_for(cast.manager)

    statuses = [member.get(path).status_code for path in (LEADS_EXPORT, "/api/deals/export/", LEADS_EXPORT)]
    limited = member.get(LEADS_EXPORT)

    assert statuses == [200, 200, 429]
    assert (limited.status_code, limited.json()["code"]) == (429, "throttled")
    assert int(limited["Retry-After"]) >= 1
    assert manager.get(LEADS_EXPORT).status_code == 200
    assert AuditEvent.objects.filter(org_id=cast.org_a.pk, action="records_exported").count() == 3


# --- Who may export: the org's setting ----------------------------------------------------------------------


def test_by_default_managers_and_above_export_and_members_and_viewers_are_refused(cast: Cast) -> None:
    statuses = {
        who.role: client_for(who).get(LEADS_EXPORT).status_code
        for who in (cast.owner, cast.admin, cast.manager, cast.member, cast.viewer)
    }
    refused = client_for(cast.member).get(LEADS_EXPORT)

    assert statuses == {"owner": 200, "admin": 200, "manager": 200, "member": 403, "viewer": 403}
    assert refused.json() == {
        "code": "export_not_allowed",
        "detail": "Exports in this organisation are for managers and above.",
        "fields": {},
    }
    assert AuditEvent.objects.filter(org_id=cast.org_a.pk, action="records_exported").count() == 3


def test_an_admin_sets_who_may_export_and_every_modules_export_follows(cast: Cast) -> None:
    changed = client_for(cast.admin).patch("/api/org/", {"export_min_role": "admin"}, format="json")

    assert (changed.status_code, changed.json()["export_min_role"]) == (200, "admin")
    manager, admin = client_for(cast.manager), client_for(cast.admin)
    for path in ("/api/leads/export/", "/api/contacts/export/", "/api/deals/export/", "/api/tasks/export/"):
        assert manager.get(path).status_code == 403, path
        assert admin.get(path).status_code == 200, path


def test_export_min_role_must_be_a_role_and_only_admins_change_it(cast: Cast) -> None:
    wrong = client_for(cast.admin).patch("/api/org/", {"export_min_role": "intern"}, format="json")
    by_manager = client_for(cast.manager).patch("/api/org/", {"export_min_role": "viewer"}, format="json")

    assert (wrong.status_code, wrong.json()["code"]) == (400, "invalid_choice")
    assert by_manager.status_code == 403
    assert Org.objects.get(pk=cast.org_a.pk).export_min_role == "manager"
