"""Segments: every condition of a dynamic segment, nesting, static lists, live counts and the preview; ids of
another org are "does not exist" exactly like random ones."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from common.context import org_context
from contacts.models import Company
from deals.models import Deal, Pipeline, Stage
from emailing.models import Segment
from emailing.tests import helpers as h
from properties.models import Property, PropertyContact
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.isolation import RANDOM_ID
from tenants.testing.queries import assert_flat_query_count
from timeline.models import ActivityEntry

pytestmark = pytest.mark.django_db
COUNT = "/api/email/segments/count/"


def _count(cast: Cast, *conditions: dict[str, Any], match: str = "all") -> Any:
    response = client_for(cast.viewer).post(
        COUNT, {"definition": {"match": match, "conditions": list(conditions)}}, format="json"
    )
    return response.json()["count"] if response.status_code == 200 else (response.status_code, response.json())


@pytest.fixture
def people(cast: Cast) -> dict[str, Any]:
    org = cast.org_a
    with org_context(org):
        acme = Company.objects.create(org=org, name="Acme")
        listing = Property.objects.create(org=org, title="Harbour loft", property_type="apartment", currency="EUR")
        pipeline = Pipeline.objects.create(org=org, name="Segments")
        won = Stage.objects.create(org=org, pipeline=pipeline, name="Won", kind="won", position=9)
        open_stage = Stage.objects.create(org=org, pipeline=pipeline, name="Talking", kind="open", position=1)
    ann = h.contact(
        org,
        "ann@example.test",
        tags=[h.MARKER, "vip"],
        city="Lisbon",
        company=acme,
        custom_fields={"budget": 500000, "pets": "cat"},
    )
    bob = h.contact(
        org,
        "bob@example.test",
        consent="unsubscribed",
        city="porto",
        country="PT",
        custom_fields={"budget": 90000},
    )
    cy = h.contact(org, "cy@example.test", consent="never_asked", city="LISBON", source="referral")
    h.contact(org, "archived@example.test", archived_at=timezone.now(), tags=[h.MARKER, "vip"])
    with org_context(org):
        PropertyContact.objects.create(org=org, property=listing, contact=ann, role="buyer")
        PropertyContact.objects.create(org=org, property=listing, contact=bob, role="tenant")
        Deal.objects.create(org=org, name="Ann buys", pipeline=pipeline, stage=won, contact=ann, currency="EUR")
        Deal.objects.create(
            org=org, name="Cy asks", pipeline=pipeline, stage=open_stage, contact=cy, currency="EUR"
        )
        ActivityEntry.objects.create(org=org, verb="updated", target_type="contacts.contact", target_id=ann.pk)
        old = ActivityEntry.objects.create(
            org=org, verb="updated", target_type="contacts.contact", target_id=bob.pk
        )
        ActivityEntry.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=400))
    return {"ann": ann, "bob": bob, "cy": cy, "acme": acme, "listing": listing, "pipeline": pipeline, "won": won}


def test_each_condition_counts_the_contacts_it_describes(cast: Cast, people: dict[str, Any]) -> None:
    custom = cast.org_a
    with org_context(custom):
        from customfields.models import CustomFieldDefinition

        for key, kind in (("budget", "number"), ("pets", "text")):
            CustomFieldDefinition.objects.create(
                org=custom, module="contacts.contact", key=key, label=key, field_type=kind
            )
    acme, listing = str(people["acme"].pk), str(people["listing"].pk)
    cases = [
        ({"field": "tags", "op": "has_any", "value": ["vip"]}, 1),
        ({"field": "tags", "op": "has_all", "value": [h.MARKER, "vip"]}, 1),
        ({"field": "tags", "op": "has_none", "value": ["vip"]}, 2),
        ({"field": "consent", "op": "in", "value": ["subscribed", "never_asked"]}, 2),
        ({"field": "consent", "op": "not_in", "value": ["subscribed"]}, 2),
        ({"field": "company", "op": "in", "value": [acme]}, 1),
        ({"field": "company", "op": "not_in", "value": [acme]}, 2),
        ({"field": "company", "op": "is_not_set"}, 2),
        ({"field": "city", "op": "is", "value": "lisbon"}, 2),
        ({"field": "city", "op": "in", "value": ["Porto", "Faro"]}, 1),
        ({"field": "city", "op": "is_not", "value": "Lisbon"}, 1),
        ({"field": "city", "op": "contains", "value": "isb"}, 2),
        ({"field": "country", "op": "in", "value": ["pt"]}, 1),
        ({"field": "source", "op": "in", "value": ["referral"]}, 1),
        ({"field": "custom_field", "key": "budget", "op": "gt", "value": 100000}, 1),
        ({"field": "custom_field", "key": "budget", "op": "lt", "value": 100000}, 1),
        ({"field": "custom_field", "key": "pets", "op": "equals", "value": "cat"}, 1),
        ({"field": "custom_field", "key": "pets", "op": "is_set"}, 1),
        ({"field": "custom_field", "key": "budget", "op": "is_not_set"}, 1),
        ({"field": "created_at", "op": "within_days", "value": 1}, 3),
        ({"field": "created_at", "op": "before", "value": "2000-01-01"}, 0),
        ({"field": "last_activity", "op": "within_days", "value": 30}, 1),
        ({"field": "last_activity", "op": "not_within_days", "value": 30}, 2),
        (
            {
                "field": "last_activity",
                "op": "before",
                "value": (timezone.now() - datetime.timedelta(days=300)).date().isoformat(),
            },
            2,
        ),
        ({"field": "property", "op": "linked", "value": {"property": listing}}, 2),
        ({"field": "property", "op": "linked", "value": {"role": "buyer"}}, 1),
        ({"field": "property", "op": "not_linked", "value": {}}, 1),
        ({"field": "deal", "op": "has", "value": {"state": "won"}}, 1),
        ({"field": "deal", "op": "has", "value": {"pipeline": str(people["pipeline"].pk)}}, 2),
        ({"field": "deal", "op": "has_none", "value": {}}, 1),
    ]

    counted = [(condition, _count(cast, condition)) for condition, _ in cases]

    assert counted == [(condition, expected) for condition, expected in cases]


def test_all_and_any_combine_conditions(cast: Cast, people: dict[str, Any]) -> None:
    vip = {"field": "tags", "op": "has_any", "value": ["vip"]}
    porto = {"field": "city", "op": "is", "value": "Porto"}

    assert _count(cast, vip, porto) == 0
    assert _count(cast, vip, porto, match="any") == 2
    assert _count(cast) == 3  # no condition: every live contact


def test_a_segment_can_include_or_exclude_another_but_never_itself(cast: Cast, people: dict[str, Any]) -> None:
    owner = client_for(cast.owner)
    lisbon = owner.post(
        "/api/email/segments/",
        {
            "name": "Lisbon",
            "definition": {"match": "all", "conditions": [{"field": "city", "op": "is", "value": "Lisbon"}]},
        },
        format="json",
    ).json()
    picked = owner.post("/api/email/segments/", {"name": "Picked", "kind": "static"}, format="json").json()
    owner.post(f"/api/email/segments/{picked['id']}/members/", {"add": [str(people["bob"].pk)]}, format="json")

    in_lisbon_or_picked = [
        {"field": "segment", "op": "in", "value": lisbon["id"]},
        {"field": "segment", "op": "in", "value": picked["id"]},
    ]
    outer = owner.post(
        "/api/email/segments/",
        {"name": "Outer", "definition": {"match": "any", "conditions": in_lisbon_or_picked}},
        format="json",
    ).json()
    cycle = owner.patch(
        f"/api/email/segments/{lisbon['id']}/",
        {
            "definition": {
                "match": "all",
                "conditions": [{"field": "segment", "op": "not_in", "value": outer["id"]}],
            }
        },
        format="json",
    )

    assert owner.get(f"/api/email/segments/{outer['id']}/").json()["member_count"] == 3
    assert _count(cast, {"field": "segment", "op": "not_in", "value": lisbon["id"]}) == 1
    assert cycle.status_code == 400
    assert cycle.json()["fields"] == {
        "definition.conditions.0.value": [
            {
                "code": "segment_cycle",
                "detail": "A segment cannot include itself, directly or through another segment.",
            }
        ]
    }
    used = owner.delete(f"/api/email/segments/{lisbon['id']}/")
    assert (used.status_code, used.json()["code"]) == (409, "segment_in_use")


def test_the_preview_pages_the_contacts_with_a_flat_query_count(cast: Cast, people: dict[str, Any]) -> None:
    segment = h.segment_everyone(cast.org_a)
    url = f"/api/email/segments/{segment.pk}/preview/"
    viewer = client_for(cast.viewer)

    body = viewer.get(url).json()

    assert body["count"] == 3
    assert [row["email"] for row in body["results"]] == ["ann@example.test", "bob@example.test", "cy@example.test"]
    assert set(body["results"][0]) == {"id", "first_name", "last_name", "email", "email_consent", "city", "tags"}
    assert_flat_query_count(lambda: viewer.get(url), lambda: h.contacts(cast.org_a, 40))


def test_ids_of_another_org_are_does_not_exist_like_random_ones(cast: Cast, people: dict[str, Any]) -> None:
    foreign_company = _in_org_b(cast)
    owner = client_for(cast.owner)
    for value in (str(foreign_company.pk), RANDOM_ID):
        answer = _count(cast, {"field": "company", "op": "in", "value": [value]})
        detail = f'Invalid pk "{value}" - object does not exist.'
        assert answer == (
            400,
            {
                "code": "does_not_exist",
                "detail": detail,
                "fields": {"definition.conditions.0.value": [{"code": "does_not_exist", "detail": detail}]},
            },
        )
    picked = owner.post("/api/email/segments/", {"name": "Picked", "kind": "static"}, format="json").json()
    with org_context(cast.org_b):
        foreign_contact = h.contact(cast.org_b, "bravo@example.test")
    for value in (str(foreign_contact.pk), RANDOM_ID):
        refused = owner.post(f"/api/email/segments/{picked['id']}/members/", {"add": [value]}, format="json")
        assert (refused.status_code, refused.json()["fields"]) == (
            400,
            {"add.0": [{"code": "does_not_exist", "detail": f'Invalid pk "{value}" - object does not exist.'}]},
        )
    with org_context(cast.org_b):
        bravo_segment = Segment.objects.create(org=cast.org_b, name="Bravo's")
    for path in ("", "preview/"):
        assert owner.get(f"/api/email/segments/{bravo_segment.pk}/{path}").status_code == 404
    assert owner.patch(f"/api/email/segments/{bravo_segment.pk}/", {"name": "x"}, format="json").status_code == 404
    assert owner.delete(f"/api/email/segments/{bravo_segment.pk}/").status_code == 404
    with org_context(cast.org_b):
        assert Segment.objects.filter(pk=bravo_segment.pk, name="Bravo's").exists()


def _in_org_b(cast: Cast) -> Company:
    with org_context(cast.org_b):
        return Company.objects.create(org=cast.org_b, name="Bravo Co")


def test_a_malformed_condition_is_a_field_error(cast: Cast) -> None:
    answer = _count(cast, {"field": "tags", "op": "has_some", "value": ["x"]})

    assert answer == (
        400,
        {
            "code": "invalid_choice",
            "detail": "`tags` takes: has_any, has_all, has_none.",
            "fields": {
                "definition.conditions.0.op": [
                    {"code": "invalid_choice", "detail": "`tags` takes: has_any, has_all, has_none."}
                ]
            },
        },
    )
