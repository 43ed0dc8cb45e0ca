"""Custom fields: admins define them per module; record writes are validated; lists filter on them."""

from __future__ import annotations

import pytest

from common.context import org_context
from contacts.models import Contact
from customfields.models import CustomFieldDefinition
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.queries import assert_flat_query_count

pytestmark = pytest.mark.django_db

FIELDS = "/api/custom-fields/"
CONTACTS = "/api/contacts/"


def _define(cast: Cast, **body):
    body = {"module": "contacts.contact", "key": "budget", "label": "Budget", "field_type": "number", **body}
    return client_for(cast.admin).post(FIELDS, body, format="json")


def test_admin_defines_fields_and_every_member_reads_them(cast: Cast) -> None:
    created = _define(cast)
    _define(cast, key="stage", label="Stage", field_type="select", options=["cold", "warm"])

    assert created.status_code == 201
    listed = client_for(cast.viewer).get(FIELDS, {"module": "contacts.contact"}).json()["results"]
    assert [(f["key"], f["field_type"]) for f in listed] == [("budget", "number"), ("stage", "select")]
    assert client_for(cast.other_owner).get(FIELDS).json()["count"] == 0


def test_manager_cannot_define_fields(cast: Cast) -> None:
    assert _define(cast, key="x").status_code == 201
    response = client_for(cast.manager).post(
        FIELDS, {"module": "contacts.contact", "key": "y", "label": "Y", "field_type": "text"}, format="json"
    )

    assert response.status_code == 403
    with org_context(cast.org_a):
        assert CustomFieldDefinition.objects.count() == 1


def test_definitions_are_checked(cast: Cast) -> None:
    unknown_module = _define(cast, module="tenants.org")
    select_without_options = _define(cast, key="s", field_type="select")
    _define(cast, key="dup")
    duplicate = _define(cast, key="dup")

    assert unknown_module.json()["fields"]["module"][0]["code"] == "invalid_choice"
    assert select_without_options.json()["fields"]["options"][0]["code"] == "required"
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "duplicate_key")


def test_record_values_are_validated_by_type_and_unknown_keys_refused(cast: Cast) -> None:
    _define(cast)
    _define(cast, key="stage", label="Stage", field_type="multi_select", options=["a", "b", "c"])
    _define(cast, key="signed", label="Signed", field_type="date")
    client = client_for(cast.owner)

    ok = client.post(
        CONTACTS,
        {"first_name": "A", "custom_fields": {"budget": "1200.50", "stage": ["c", "a"], "signed": "2026-01-31"}},
        format="json",
    )
    bad_number = client.post(CONTACTS, {"first_name": "B", "custom_fields": {"budget": "lots"}}, format="json")
    bad_choice = client.post(CONTACTS, {"first_name": "C", "custom_fields": {"stage": ["z"]}}, format="json")
    unknown = client.post(CONTACTS, {"first_name": "D", "custom_fields": {"nope": 1}}, format="json")

    assert ok.status_code == 201
    assert ok.json()["custom_fields"] == {"budget": 1200.5, "stage": ["a", "c"], "signed": "2026-01-31"}
    assert bad_number.json() == {
        "code": "invalid",
        "detail": "Expected a number.",
        "fields": {"custom_fields.budget": [{"code": "invalid", "detail": "Expected a number."}]},
    }
    assert bad_choice.json()["fields"]["custom_fields.stage"][0]["code"] == "invalid_choice"
    assert unknown.json()["code"] == "unknown_field"
    with org_context(cast.org_a):
        assert Contact.objects.count() == 1


def test_required_fields_are_enforced_on_create_and_patch_merges(cast: Cast) -> None:
    _define(cast, is_required=True)
    _define(cast, key="note", label="Note", field_type="text")
    client = client_for(cast.owner)

    missing = client.post(CONTACTS, {"first_name": "A"}, format="json")
    created = client.post(CONTACTS, {"first_name": "A", "custom_fields": {"budget": 10}}, format="json").json()
    patched = client.patch(f"{CONTACTS}{created['id']}/", {"custom_fields": {"note": "hi"}}, format="json")
    cleared = client.patch(f"{CONTACTS}{created['id']}/", {"custom_fields": {"budget": None}}, format="json")

    assert (missing.status_code, missing.json()["code"]) == (400, "required")
    assert patched.json()["custom_fields"] == {"budget": 10, "note": "hi"}
    assert (cleared.status_code, cleared.json()["code"]) == (400, "required")


def test_lists_filter_on_custom_values(cast: Cast) -> None:
    _define(cast)
    _define(cast, key="vip", label="VIP", field_type="boolean")
    client = client_for(cast.owner)
    client.post(CONTACTS, {"first_name": "Rich", "custom_fields": {"budget": 5000, "vip": True}}, format="json")
    client.post(CONTACTS, {"first_name": "Poor", "custom_fields": {"budget": 10}}, format="json")

    assert [c["first_name"] for c in client.get(CONTACTS, {"cf_budget": "5000"}).json()["results"]] == ["Rich"]
    assert [c["first_name"] for c in client.get(CONTACTS, {"cf_vip": "true"}).json()["results"]] == ["Rich"]
    unknown = client.get(CONTACTS, {"cf_nope": "1"})
    assert (unknown.status_code, unknown.json()["code"]) == (400, "unknown_field")


def test_another_orgs_definitions_do_not_apply(cast: Cast) -> None:
    client_for(cast.other_owner).post(
        FIELDS,
        {"module": "contacts.contact", "key": "secret", "label": "S", "field_type": "text", "is_required": True},
        format="json",
    )

    response = client_for(cast.owner).post(
        CONTACTS, {"first_name": "A", "custom_fields": {"secret": "x"}}, format="json"
    )

    assert response.json()["code"] == "unknown_field"
    assert client_for(cast.owner).post(CONTACTS, {"first_name": "B"}, format="json").status_code == 201


def test_update_and_delete_definitions(cast: Cast) -> None:
    field_id = _define(cast).json()["id"]
    admin = client_for(cast.admin)

    renamed = admin.patch(f"{FIELDS}{field_id}/", {"label": "Annual budget"}, format="json")
    foreign = client_for(cast.other_owner).delete(f"{FIELDS}{field_id}/")
    deleted = admin.delete(f"{FIELDS}{field_id}/")

    assert (renamed.json()["label"], renamed.json()["key"]) == ("Annual budget", "budget")
    assert foreign.status_code == 404
    assert deleted.status_code == 204


def test_definition_list_costs_the_same_queries_for_1_definition_and_50(cast: Cast) -> None:
    _define(cast, key="f00", field_type="select", options=["a", "b"])
    client = client_for(cast.viewer)

    def more() -> None:
        with org_context(cast.org_a):
            CustomFieldDefinition.objects.bulk_create(
                [
                    CustomFieldDefinition(org=cast.org_a, module="contacts.contact", key=f"f{i:02}", label=f"F{i}",
                                          field_type="select", options=["a", "b"], position=i)
                    for i in range(1, 50)
                ]
            )  # fmt: skip

    queries = assert_flat_query_count(lambda: client.get(FIELDS, {"page_size": 50}), more)

    assert queries <= 4
    body = client.get(FIELDS, {"page_size": 50}).json()
    assert body["count"] == 50
    assert (body["results"][0]["key"], body["results"][0]["options"]) == ("f00", ["a", "b"])


def test_a_custom_value_change_is_stored_on_the_timeline_as_json_not_as_text(cast: Cast) -> None:
    from timeline.models import ActivityEntry

    client_for(cast.admin).post(
        "/api/custom-fields/",
        {"module": "contacts.contact", "key": "band", "label": "Band", "field_type": "text"},
        format="json",
    )
    created = client_for(cast.owner).post("/api/contacts/", {"first_name": "Ada"}, format="json")
    contact_id = created.json()["id"]

    response = client_for(cast.owner).patch(
        f"/api/contacts/{contact_id}/", {"custom_fields": {"band": "high"}}, format="json"
    )

    assert response.status_code == 200, response.json()
    with org_context(cast.org_a):
        entry = ActivityEntry.objects.get(target_id=contact_id, verb="updated")
    assert entry.changes == {"custom_fields": [{}, {"band": "high"}]}
