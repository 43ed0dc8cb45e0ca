"""Merging duplicate contacts and companies: every reference moves, in one transaction, within what the actor
may see of their own org."""

from __future__ import annotations

from typing import Any

import pytest

from cases.models import Case
from common import registry
from common.context import org_context
from contacts import services
from contacts.models import Company, Contact
from deals.models import Deal
from deals.pipeline_services import pipeline_ensure_default
from leads.models import Lead, LeadStatus
from tasks.models import Task
from tenants.testing.fixtures import Cast, client_for
from timeline.models import ActivityEntry, Comment

pytestmark = pytest.mark.django_db

CONTACTS = "/api/contacts/"
COMPANIES = "/api/companies/"
RANDOM_ID = "00000000-0000-7000-8000-00000000beef"


def _make(cast: Cast, model: type, org: Any = None, **fields: Any) -> Any:
    org = org or cast.org_a
    fields.setdefault("created_by", cast.owner if org == cast.org_a else cast.other_owner)
    with org_context(org):
        return model.objects.create(org=org, **fields)


def _deal(cast: Cast, **fields: Any) -> Deal:
    with org_context(cast.org_a):
        pipeline = pipeline_ensure_default(org=cast.org_a)
        stage = pipeline.stages.order_by("position").first()
    return _make(cast, Deal, name="Harbor lease", currency="USD", pipeline=pipeline, stage=stage, **fields)


def _references_to(cast: Cast, record: Contact | Company) -> dict[str, Any]:
    """One of each record that can point at `record`, plus an archived deal (archived links move too)."""
    link = "contact" if isinstance(record, Contact) else "company"
    with org_context(cast.org_a):
        label = record._meta.label_lower
    return {
        "deal": _deal(cast, **{link: record}),
        "archived_deal": _deal(cast, archived_at="2024-01-01T00:00:00Z", **{link: record}),
        "case": _make(cast, Case, subject="Leaking roof", **{link: record}),
        "lead": _make(
            cast,
            Lead,
            first_name="Ada",
            status=LeadStatus.CONVERTED,
            converted_at="2024-01-01T00:00:00Z",
            **{f"converted_{link}": record},
        ),
        "task": _make(cast, Task, title="Call back", related_type=label, related_id=record.pk),
        "comment": _make(cast, Comment, target_type=label, target_id=record.pk, body="Met at the fair"),
    }


def _pointers(cast: Cast, refs: dict[str, Any]) -> dict[str, Any]:
    """Where each reference points now."""
    with org_context(cast.org_a):
        deal = Deal.objects.get(pk=refs["deal"].pk)
        archived = Deal.objects.get(pk=refs["archived_deal"].pk)
        case = Case.objects.get(pk=refs["case"].pk)
        lead = Lead.objects.get(pk=refs["lead"].pk)
        return {
            "deal": deal.contact_id or deal.company_id,
            "archived_deal": archived.contact_id or archived.company_id,
            "case": case.contact_id or case.company_id,
            "lead": lead.converted_contact_id or lead.converted_company_id,
            "task": Task.objects.get(pk=refs["task"].pk).related_id,
            "comment": Comment.objects.get(pk=refs["comment"].pk).target_id,
        }


def _merged_entry(cast: Cast, record: Contact | Company) -> dict[str, Any]:
    with org_context(cast.org_a):
        return ActivityEntry.objects.get(target_id=record.pk, verb="merged").changes


def _stored(cast: Cast, record: Any) -> Any:
    with org_context(cast.org_a):
        return type(record).objects.get(pk=record.pk)


def test_contact_merge_moves_every_reference_fills_blanks_and_archives_the_merged_contact(cast: Cast) -> None:
    keep = _make(cast, Contact, first_name="Ada", tags=["vip"], custom_fields={"budget": 5})
    gone = _make(cast, Contact, first_name="Augusta", last_name="Lovelace", email="ada@math.test", mobile="+44 1",
                 tags=["lead"], do_not_contact=True, assigned_to=[cast.member.pk],
                 custom_fields={"budget": 9, "floor": 3})  # fmt: skip
    refs = _references_to(cast, gone)
    bystander = _deal(cast, contact=_make(cast, Contact, first_name="Alan"))

    response = client_for(cast.owner).post(
        f"{CONTACTS}{keep.pk}/merge/", {"merge_id": str(gone.pk)}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["first_name"], body["last_name"], body["email"], body["mobile"]) == (
        "Ada",
        "Lovelace",
        "ada@math.test",
        "+44 1",
    )
    assert (body["tags"], body["assigned_to"], body["do_not_contact"]) == (
        ["lead", "vip"],
        [str(cast.member.pk)],
        True,
    )
    assert body["custom_fields"] == {"budget": 5, "floor": 3}
    assert _pointers(cast, refs) == dict.fromkeys(refs, keep.pk)
    assert _stored(cast, bystander).contact_id != keep.pk
    merged = _stored(cast, gone)
    assert (merged.archived_at is not None, merged.email, merged.archived_by_id) == (True, "", cast.owner.pk)
    assert _merged_entry(cast, keep) == {
        "merged_id": str(gone.pk),
        # Every installed module's mover runs; those with nothing linked report 0.
        "moved": {**dict.fromkeys(registry.reference_movers(), 0), "deals": 2, "cases": 1, "leads": 1, "tasks": 1},
    }


def test_a_moved_record_records_the_change_on_its_own_timeline_and_gets_a_new_etag(cast: Cast) -> None:
    keep, gone = _make(cast, Contact, first_name="Ada"), _make(cast, Contact, first_name="Augusta")
    deal = _deal(cast, contact=gone)
    client = client_for(cast.owner)
    etag = client.get(f"/api/deals/{deal.pk}/")["ETag"]

    client.post(f"{CONTACTS}{keep.pk}/merge/", {"merge_id": str(gone.pk)}, format="json")

    with org_context(cast.org_a):
        entry = ActivityEntry.objects.filter(target_id=deal.pk).latest("created_at")
    assert (entry.verb, entry.changes, entry.created_by_id) == (
        "updated",
        {"contact": [str(gone.pk), str(keep.pk)]},
        cast.owner.pk,
    )
    assert client.get(f"/api/deals/{deal.pk}/")["ETag"] != etag


def test_company_merge_moves_contacts_deals_cases_leads_tasks_and_timeline(cast: Cast) -> None:
    keep = _make(cast, Company, name="Acme")
    gone = _make(cast, Company, name="ACME Inc", domain="acme.test", phone="+1 555", tags=["lead"])
    refs = _references_to(cast, gone)
    people = [_make(cast, Contact, first_name=name, company=gone) for name in ("Ada", "Alan")]
    archived_person = _make(cast, Contact, first_name="Grace", company=gone, archived_at="2024-01-01T00:00:00Z")
    elsewhere = _make(cast, Contact, first_name="Linus", company=_make(cast, Company, name="Initech"))

    response = client_for(cast.manager).post(
        f"{COMPANIES}{keep.pk}/merge/", {"merge_id": str(gone.pk)}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["name"], response.json()["domain"], response.json()["phone"]) == (
        "Acme",
        "acme.test",
        "+1 555",
    )
    assert response.json()["tags"] == ["lead"]
    assert _pointers(cast, refs) == dict.fromkeys(refs, keep.pk)
    assert [_stored(cast, person).company_id for person in [*people, archived_person]] == [keep.pk] * 3
    assert _stored(cast, elsewhere).company_id != keep.pk
    # The domain is unique per org, archived companies included: it moves rather than being copied.
    assert (_stored(cast, gone).archived_at is not None, _stored(cast, gone).domain) == (True, "")
    assert _merged_entry(cast, keep) == {
        "merged_id": str(gone.pk),
        "moved": {
            **dict.fromkeys(registry.reference_movers(), 0),
            **{"contacts": 3, "deals": 2, "cases": 1, "leads": 1, "tasks": 1},
        },
    }
    listed = client_for(cast.manager).get(COMPANIES).json()
    assert [row["name"] for row in listed["results"]] == ["Acme", "Initech"]


@pytest.mark.parametrize(("url", "model"), [(CONTACTS, Contact), (COMPANIES, Company)])
def test_merging_a_record_into_itself_is_a_field_error(cast: Cast, url: str, model: type) -> None:
    record = _make(cast, model, first_name="Ada") if model is Contact else _make(cast, model, name="Acme")

    response = client_for(cast.owner).post(f"{url}{record.pk}/merge/", {"merge_id": str(record.pk)}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "Choose two different records.",
        "fields": {"merge_id": [{"code": "invalid", "detail": "Choose two different records."}]},
    }
    assert _stored(cast, record).archived_at is None


def _does_not_exist(record_id: Any) -> dict[str, Any]:
    detail = f'Invalid pk "{record_id}" - object does not exist.'
    return {
        "code": "does_not_exist",
        "detail": detail,
        "fields": {"merge_id": [{"code": "does_not_exist", "detail": detail}]},
    }


@pytest.mark.parametrize(("url", "model"), [(CONTACTS, Contact), (COMPANIES, Company)])
def test_another_orgs_merge_id_is_does_not_exist_exactly_like_a_random_id(
    cast: Cast, url: str, model: type
) -> None:
    name = {"first_name": "Ada"} if model is Contact else {"name": "Acme"}
    keep = _make(cast, model, **name)
    foreign = _make(cast, model, org=cast.org_b, **name)
    client = client_for(cast.owner)

    with_foreign = client.post(f"{url}{keep.pk}/merge/", {"merge_id": str(foreign.pk)}, format="json")
    with_random = client.post(f"{url}{keep.pk}/merge/", {"merge_id": RANDOM_ID}, format="json")

    assert (with_foreign.status_code, with_random.status_code) == (400, 400)
    assert with_foreign.json() == _does_not_exist(foreign.pk)
    assert with_random.json() == _does_not_exist(RANDOM_ID)
    with org_context(cast.org_b):
        assert model.objects.get(pk=foreign.pk).archived_at is None
    with org_context(cast.org_a):
        assert not ActivityEntry.objects.filter(verb="merged").exists()


def test_another_orgs_record_in_the_url_is_the_same_404_as_a_missing_one(cast: Cast) -> None:
    foreign = _make(cast, Contact, org=cast.org_b, first_name="Bravo")
    mine = _make(cast, Contact, first_name="Ada")
    client = client_for(cast.owner)

    with_foreign = client.post(f"{CONTACTS}{foreign.pk}/merge/", {"merge_id": str(mine.pk)}, format="json")
    with_random = client.post(f"{CONTACTS}{RANDOM_ID}/merge/", {"merge_id": str(mine.pk)}, format="json")

    assert with_foreign.status_code == with_random.status_code == 404
    assert with_foreign.json() == with_random.json() == {"code": "not_found", "detail": "Not found.", "fields": {}}
    assert _stored(cast, mine).archived_at is None


def test_a_member_cannot_merge_records_they_cannot_see(cast: Cast) -> None:
    own = _make(cast, Contact, first_name="Mine", created_by=cast.member)
    hidden = _make(cast, Contact, first_name="Hidden")
    deal = _deal(cast, contact=hidden)
    member = client_for(cast.member)

    into_own = member.post(f"{CONTACTS}{own.pk}/merge/", {"merge_id": str(hidden.pk)}, format="json")
    into_hidden = member.post(f"{CONTACTS}{hidden.pk}/merge/", {"merge_id": str(own.pk)}, format="json")

    assert into_own.status_code == 400
    assert into_own.json() == _does_not_exist(hidden.pk)
    assert into_hidden.status_code == 404
    assert (_stored(cast, own).archived_at, _stored(cast, hidden).archived_at) == (None, None)
    assert _stored(cast, deal).contact_id == hidden.pk


def test_a_member_merges_two_records_they_can_see(cast: Cast) -> None:
    own = _make(cast, Contact, first_name="Mine", created_by=cast.member)
    assigned = _make(cast, Contact, first_name="Assigned", phone="+1 2", assigned_to=[cast.member.pk])

    response = client_for(cast.member).post(
        f"{CONTACTS}{own.pk}/merge/", {"merge_id": str(assigned.pk)}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["phone"], response.json()["assigned_to"]) == ("+1 2", [str(cast.member.pk)])
    assert _stored(cast, assigned).archived_at is not None


def test_a_viewer_cannot_merge(cast: Cast) -> None:
    keep, gone = _make(cast, Company, name="Acme"), _make(cast, Company, name="ACME")

    response = client_for(cast.viewer).post(
        f"{COMPANIES}{keep.pk}/merge/", {"merge_id": str(gone.pk)}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert _stored(cast, gone).archived_at is None


def test_merging_into_an_archived_record_is_refused(cast: Cast) -> None:
    keep = _make(cast, Contact, first_name="Ada", archived_at="2024-01-01T00:00:00Z")
    gone = _make(cast, Contact, first_name="Augusta", phone="+1 2")

    response = client_for(cast.owner).post(
        f"{CONTACTS}{keep.pk}/merge/", {"merge_id": str(gone.pk)}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "code": "archived",
        "detail": "Archived records cannot be changed. Restore it first.",
        "fields": {},
    }
    assert (_stored(cast, keep).phone, _stored(cast, gone).archived_at) == ("", None)


@pytest.mark.parametrize(
    ("merge", "model"), [(services.contact_merge, Contact), (services.company_merge, Company)]
)
def test_a_failure_half_way_leaves_nothing_changed(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, merge: Any, model: type
) -> None:
    name = {"first_name": "Ada"} if model is Contact else {"name": "Acme"}
    keep = _make(cast, model, **name)
    gone = _make(cast, model, phone="+1 2", tags=["lead"], **name)
    refs = _references_to(cast, gone)
    person = _make(cast, Contact, first_name="Alan", company=gone) if model is Company else None

    def fail(**kwargs: Any) -> int:
        raise RuntimeError("tasks are unreachable")

    # Tasks move after deals, cases and leads (and the contacts of a company) have already moved.
    movers = {**registry.reference_movers(), "tasks": fail}
    monkeypatch.setattr(registry, "reference_movers", lambda: movers)
    with org_context(cast.org_a), pytest.raises(RuntimeError):
        merge(org=cast.org_a, actor=cast.owner, keep_id=keep.pk, merge_id=gone.pk)

    assert _pointers(cast, refs) == dict.fromkeys(refs, gone.pk)
    assert (_stored(cast, keep).phone, _stored(cast, keep).tags) == ("", [])
    assert _stored(cast, gone).archived_at is None
    if person is not None:
        assert _stored(cast, person).company_id == gone.pk
    with org_context(cast.org_a):
        assert not ActivityEntry.objects.filter(verb__in=["merged", "archived"]).exists()
        assert not ActivityEntry.objects.filter(target_id=refs["deal"].pk, verb="updated").exists()


def test_every_module_that_links_to_contacts_or_companies_has_a_merge_mover() -> None:
    """A new link to a contact or company in a module without a mover would be left pointing at an archived
    duplicate after a merge: give the module a `reference_mover` in its AppConfig."""
    movers = set(registry.reference_movers())

    for model, own_links in ((Contact, set()), (Company, {"contacts"})):
        linking_apps = {relation.related_model._meta.app_label for relation in model._meta.related_objects}
        assert linking_apps <= movers | own_links, model
    from tasks.models import RelatedType

    assert {"contacts.contact", "contacts.company"} <= set(RelatedType.values)
    assert "tasks" in movers
