"""Deals over the API: defaults, stage moves and their rules, scoping, visibility, concurrency, bulk, lists,
the summary, lead conversion and member hand-over."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.context import org_context
from common.ids import uuid7
from contacts.models import Company, Contact
from deals.models import Deal, Pipeline, Stage
from deals.pipeline_services import pipeline_ensure_default
from deals.services import deal_create_from_lead
from tenants.members.services import open_records_reassign
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.isolation import assert_foreign_ids_find_nothing
from tenants.testing.queries import assert_flat_query_count
from timeline.models import ActivityEntry

pytestmark = pytest.mark.django_db

DEALS = "/api/deals/"
RANDOM_ID = "00000000-0000-7000-8000-000000000009"


class Clock:
    """Service and auto_now timestamps come from here, so a test can name them exactly."""

    def __init__(self, start: datetime.datetime) -> None:
        self.current = start

    def now(self) -> datetime.datetime:
        return self.current

    def advance(self, **delta: float) -> datetime.datetime:
        self.current += datetime.timedelta(**delta)
        return self.current


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    # Starts at the real time: tokens and membership checks keep working.
    clock = Clock(timezone.now().replace(microsecond=0))
    monkeypatch.setattr(timezone, "now", clock.now)
    return clock


def _iso(when: datetime.datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def _sales(cast: Cast, org=None) -> tuple[Pipeline, dict[str, Stage]]:
    org = org or cast.org_a
    with org_context(org):
        pipeline = pipeline_ensure_default(org=org)
        return pipeline, {stage.name: stage for stage in Stage.objects.filter(pipeline=pipeline)}


def _deal(cast: Cast, org=None, stage: str = "Qualification", **fields) -> Deal:
    org = org or cast.org_a
    pipeline, stages = _sales(cast, org)
    with org_context(org):
        fields.setdefault("created_by", cast.owner if org == cast.org_a else cast.other_owner)
        fields.setdefault("name", "Harbor lease")
        fields.setdefault("currency", "USD")
        return Deal.objects.create(org=org, pipeline=pipeline, stage=stages[stage], **fields)


def _stored(deal: Deal) -> Deal:
    with org_context(deal.org):
        return Deal.objects.select_related("stage", "pipeline").get(pk=deal.pk)


def _contact(cast: Cast, org=None, **fields) -> Contact:
    org = org or cast.org_a
    with org_context(org):
        return Contact.objects.create(org=org, **fields)


def _company(cast: Cast, org=None, **fields) -> Company:
    org = org or cast.org_a
    with org_context(org):
        return Company.objects.create(org=org, **fields)


def _other_pipeline(cast: Cast) -> tuple[Pipeline, dict[str, Stage]]:
    from deals.pipeline_services import pipeline_create

    _sales(cast)
    with org_context(cast.org_a):
        pipeline = pipeline_create(
            org=cast.org_a,
            actor=cast.owner,
            name="Lettings",
            stages=[{"name": "Viewing", "probability": 20, "kind": "open"}, {"name": "Let", "kind": "won"}],
        )
        return pipeline, {stage.name: stage for stage in Stage.objects.filter(pipeline=pipeline)}


def _timeline(cast: Cast, deal_id) -> list[tuple[str, dict]]:
    entries = client_for(cast.owner).get(f"{DEALS}{deal_id}/timeline/").json()["results"]
    return [(entry["verb"], entry["changes"]) for entry in entries]


# --- creating -------------------------------------------------------------------------------------------------


def test_create_lands_in_the_default_pipelines_first_open_stage_owned_by_the_creator(cast: Cast) -> None:
    response = client_for(cast.member).post(DEALS, {"name": "Harbor lease", "amount": "1200.50"}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    pipeline, stages = _sales(cast)
    assert pipeline.name == "Sales"
    assert {key: body[key] for key in ("name", "amount", "currency", "weighted_amount", "pipeline", "stage",
                                       "stage_name", "stage_kind", "probability", "owner", "assigned_to",
                                       "closed_at", "lost_reason", "source_lead_id")} == {
        "name": "Harbor lease", "amount": "1200.50", "currency": "USD", "weighted_amount": "120.05",
        "pipeline": str(pipeline.pk), "stage": str(stages["Qualification"].pk), "stage_name": "Qualification",
        "stage_kind": "open", "probability": 10, "owner": str(cast.member.pk),
        "assigned_to": [str(cast.member.pk)], "closed_at": None, "lost_reason": "", "source_lead_id": None,
    }  # fmt: skip
    assert response["ETag"]


def test_the_default_pipeline_is_made_once_with_the_standard_stages(cast: Cast) -> None:
    client = client_for(cast.viewer)

    first = client.get("/api/pipelines/").json()
    second = client.get("/api/pipelines/").json()

    assert first == second
    assert first["count"] == 1
    sales = first["results"][0]
    assert (sales["name"], sales["is_default"], sales["position"]) == ("Sales", True, 0)
    assert [(s["name"], s["position"], s["probability"], s["kind"]) for s in sales["stages"]] == [
        ("Qualification", 0, 10, "open"),
        ("Needs analysis", 1, 25, "open"),
        ("Proposal", 2, 50, "open"),
        ("Negotiation", 3, 75, "open"),
        ("Won", 4, 100, "won"),
        ("Lost", 5, 0, "lost"),
    ]
    with org_context(cast.org_a):
        assert pipeline_ensure_default(org=cast.org_a).pk == uuid.UUID(sales["id"])
        assert (Pipeline.objects.count(), Stage.objects.count()) == (1, 6)


def test_create_sets_org_and_author_from_the_request_and_ignores_server_fields_in_the_body(cast: Cast) -> None:
    forged = {"name": "Forged", "created_by": str(cast.other_owner.pk),
              "id": "00000000-0000-7000-8000-000000000001", "closed_at": "2020-01-01T00:00:00Z",
              "source_lead_id": RANDOM_ID, "archived_at": "2020-01-01T00:00:00Z"}  # fmt: skip

    response = client_for(cast.member).post(DEALS, forged, format="json")

    assert response.status_code == 201, response.json()
    with org_context(cast.org_a):
        deal = Deal.objects.get(name="Forged")
    assert (deal.org_id, deal.created_by_id, deal.updated_by_id) == (cast.org_a.pk, cast.member.pk, cast.member.pk)
    assert str(deal.pk) == response.json()["id"] != forged["id"]
    assert (deal.closed_at, deal.source_lead_id, deal.archived_at) == (None, None, None)


def test_create_in_a_named_stage_takes_its_pipeline_and_a_mismatch_is_a_400(cast: Cast) -> None:
    lettings, lettings_stages = _other_pipeline(cast)
    sales, _ = _sales(cast)
    client = client_for(cast.owner)

    in_stage = client.post(DEALS, {"name": "Flat 3", "stage": str(lettings_stages["Viewing"].pk)}, format="json")
    mismatch = client.post(
        DEALS, {"name": "Flat 4", "pipeline": str(sales.pk), "stage": str(lettings_stages["Viewing"].pk)},
        format="json",
    )  # fmt: skip

    assert in_stage.status_code == 201
    assert (in_stage.json()["pipeline"], in_stage.json()["probability"]) == (str(lettings.pk), 20)
    assert mismatch.status_code == 400
    assert mismatch.json() == {
        "code": "stage_not_in_pipeline",
        "detail": "This stage belongs to another pipeline than the deal's.",
        "fields": {
            "stage": [
                {
                    "code": "stage_not_in_pipeline",
                    "detail": "This stage belongs to another pipeline than the deal's.",
                }
            ]
        },
    }
    with org_context(cast.org_a):
        assert list(Deal.objects.values_list("name", flat=True)) == ["Flat 3"]


def test_create_with_only_a_pipeline_starts_in_its_first_open_stage(cast: Cast) -> None:
    lettings, stages = _other_pipeline(cast)

    body = client_for(cast.owner).post(DEALS, {"name": "Flat", "pipeline": str(lettings.pk)}, format="json").json()

    assert (body["pipeline"], body["stage"]) == (str(lettings.pk), str(stages["Viewing"].pk))


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"amount": "-1"}, "amount", "min_value"),
        ({"currency": "EURO"}, "currency", "max_length"),
        ({"currency": "e1r"}, "currency", "invalid"),
        ({"name": ""}, "name", "blank"),
    ],
)
def test_bad_values_are_field_errors_and_create_nothing(cast: Cast, payload: dict, field: str, code: str) -> None:
    response = client_for(cast.owner).post(DEALS, {"name": "Deal", **payload}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert [error["code"] for error in response.json()["fields"][field]] == [code]
    with org_context(cast.org_a):
        assert Deal.objects.count() == 0


def test_currency_is_upper_cased_and_amount_cannot_go_negative_even_in_the_database(cast: Cast) -> None:
    body = client_for(cast.owner).post(DEALS, {"name": "Deal", "currency": "eur"}, format="json").json()
    deal = _deal(cast)

    assert body["currency"] == "EUR"
    with org_context(cast.org_a), pytest.raises(IntegrityError), transaction.atomic():
        Deal.objects.filter(pk=deal.pk).update(amount=Decimal("-1"))


def test_stage_probability_is_checked_by_the_database(cast: Cast) -> None:
    _, stages = _sales(cast)

    with org_context(cast.org_a), pytest.raises(IntegrityError), transaction.atomic():
        Stage.objects.filter(pk=stages["Proposal"].pk).update(probability=101)


# --- isolation ------------------------------------------------------------------------------------------------


def test_outsider_and_other_org_get_404_on_every_deal_route_and_nothing_in_lists(cast: Cast) -> None:
    deal = _deal(cast)
    _, stages = _sales(cast)
    other = client_for(cast.other_owner)

    assert other.get(f"{DEALS}{deal.pk}/").status_code == 404
    assert other.patch(f"{DEALS}{deal.pk}/", {"name": "X"}, format="json").status_code == 404
    assert (
        other.post(f"{DEALS}{deal.pk}/move/", {"stage": str(stages["Won"].pk)}, format="json").status_code == 404
    )
    assert other.delete(f"{DEALS}{deal.pk}/").status_code == 404
    assert other.get(f"{DEALS}{deal.pk}/timeline/").status_code == 404
    assert other.get(DEALS).json()["count"] == 0
    assert client_for(cast.outsider, org=cast.org_a).get(DEALS).status_code == 404
    stored = _stored(deal)
    assert (stored.name, stored.stage_id, stored.archived_at) == ("Harbor lease", stages["Qualification"].pk, None)


def test_a_malformed_deal_id_is_a_404(cast: Cast) -> None:
    response = client_for(cast.owner).get(f"{DEALS}not-a-uuid/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("field", ["contact", "company", "pipeline", "stage", "owner"])
def test_another_orgs_id_in_a_body_is_does_not_exist_exactly_like_a_random_id(cast: Cast, field: str) -> None:
    """Another org's id in a foreign-key field cannot be told from a random id."""
    bravo_pipeline, bravo_stages = _sales(cast, org=cast.org_b)
    foreign = {
        "contact": lambda: _contact(cast, org=cast.org_b, first_name="B").pk,
        "company": lambda: _company(cast, org=cast.org_b, name="Bravo Co").pk,
        "pipeline": lambda: bravo_pipeline.pk,
        "stage": lambda: bravo_stages["Qualification"].pk,
        "owner": lambda: cast.other_owner.pk,
    }[field]()
    client = client_for(cast.owner)

    with_foreign = client.post(DEALS, {"name": "D", field: str(foreign)}, format="json")
    with_random = client.post(DEALS, {"name": "D", field: RANDOM_ID}, format="json")

    assert with_foreign.status_code == with_random.status_code == 400
    assert with_foreign.json() == {
        "code": "does_not_exist",
        "detail": f'Invalid pk "{foreign}" - object does not exist.',
        "fields": {
            field: [{"code": "does_not_exist", "detail": f'Invalid pk "{foreign}" - object does not exist.'}]
        },
    }
    assert with_random.json()["detail"] == f'Invalid pk "{RANDOM_ID}" - object does not exist.'
    with org_context(cast.org_a):
        assert Deal.objects.count() == 0


def test_another_orgs_stage_in_a_move_is_does_not_exist_and_moves_nothing(cast: Cast) -> None:
    deal = _deal(cast)
    _, bravo_stages = _sales(cast, org=cast.org_b)

    response = client_for(cast.owner).post(
        f"{DEALS}{deal.pk}/move/", {"stage": str(bravo_stages["Won"].pk)}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"]["stage"][0]["code"] == "does_not_exist"
    assert _stored(deal).stage.name == "Qualification"


def test_a_member_cannot_link_a_contact_they_cannot_see(cast: Cast) -> None:
    hidden = _contact(cast, first_name="Hidden", created_by=cast.owner)
    visible = _contact(cast, first_name="Mine", created_by=cast.member)
    client = client_for(cast.member)

    refused = client.post(DEALS, {"name": "D", "contact": str(hidden.pk)}, format="json")
    accepted = client.post(DEALS, {"name": "D", "contact": str(visible.pk)}, format="json")

    assert refused.status_code == 400
    assert refused.json()["fields"]["contact"][0]["code"] == "does_not_exist"
    assert accepted.status_code == 201
    assert accepted.json()["contact_summary"] == {
        "id": str(visible.pk), "first_name": "Mine", "last_name": "", "email": ""
    }  # fmt: skip


# --- visibility by role ----------------------------------------------------------------------------------------


def test_members_see_deals_they_created_own_or_are_assigned_and_nothing_else(cast: Cast) -> None:
    _deal(cast, name="Owners")
    _deal(cast, name="Created", created_by=cast.member)
    _deal(cast, name="Assigned", assigned_to=[cast.member.pk])
    owned = client_for(cast.manager).post(DEALS, {"name": "Owned", "owner": str(cast.member.pk)}, format="json")

    member_names = {d["name"] for d in client_for(cast.member).get(DEALS).json()["results"]}
    viewer_names = {d["name"] for d in client_for(cast.viewer).get(DEALS).json()["results"]}

    assert owned.json()["assigned_to"] == [str(cast.member.pk)]
    assert member_names == {"Created", "Assigned", "Owned"}
    assert viewer_names == {"Owners", "Created", "Assigned", "Owned"}


def test_handing_a_deal_to_a_new_owner_hands_over_the_old_owners_seat(cast: Cast) -> None:
    deal = _deal(cast, owner=cast.member, assigned_to=[cast.member.pk, cast.manager.pk])

    response = client_for(cast.owner).patch(f"{DEALS}{deal.pk}/", {"owner": str(cast.admin.pk)}, format="json")

    assert response.status_code == 200
    assert (response.json()["owner"], response.json()["assigned_to"]) == (
        str(cast.admin.pk),
        [str(cast.admin.pk), str(cast.manager.pk)],
    )
    assert client_for(cast.member).get(f"{DEALS}{deal.pk}/").status_code == 404


def test_member_cannot_read_or_change_a_deal_they_cannot_see(cast: Cast) -> None:
    hidden = _deal(cast, name="Hidden")
    _, stages = _sales(cast)
    member = client_for(cast.member)

    assert member.get(f"{DEALS}{hidden.pk}/").status_code == 404
    assert member.patch(f"{DEALS}{hidden.pk}/", {"name": "X"}, format="json").status_code == 404
    assert (
        member.post(f"{DEALS}{hidden.pk}/move/", {"stage": str(stages["Won"].pk)}, format="json").status_code
        == 404
    )
    assert member.delete(f"{DEALS}{hidden.pk}/").status_code == 404
    stored = _stored(hidden)
    assert (stored.name, stored.stage.name, stored.archived_at) == ("Hidden", "Qualification", None)


def test_viewer_writes_nothing(cast: Cast) -> None:
    deal = _deal(cast)
    _, stages = _sales(cast)
    viewer = client_for(cast.viewer)

    responses = [
        viewer.post(DEALS, {"name": "X"}, format="json"),
        viewer.patch(f"{DEALS}{deal.pk}/", {"name": "X"}, format="json"),
        viewer.post(f"{DEALS}{deal.pk}/move/", {"stage": str(stages["Won"].pk)}, format="json"),
        viewer.delete(f"{DEALS}{deal.pk}/"),
        viewer.post(f"{DEALS}bulk/", {"action": "archive", "ids": [str(deal.pk)]}, format="json"),
    ]

    assert [r.status_code for r in responses] == [403] * 5
    assert responses[2].json() == {
        "code": "permission_denied",
        "detail": "Your role does not allow this action.",
        "fields": {},
    }
    stored = _stored(deal)
    assert (stored.name, stored.stage.name, stored.archived_at) == ("Harbor lease", "Qualification", None)
    with org_context(cast.org_a):
        assert Deal.objects.count() == 1


# --- moving through stages -------------------------------------------------------------------------------------


def test_moving_to_a_lost_stage_needs_a_reason_and_changes_nothing_without_one(cast: Cast) -> None:
    deal = _deal(cast)
    _, stages = _sales(cast)
    client = client_for(cast.owner)
    detail = "Say why the deal was lost: a lost stage needs a reason."
    expected = {
        "code": "required",
        "detail": detail,
        "fields": {"lost_reason": [{"code": "required", "detail": detail}]},
    }

    by_move = client.post(f"{DEALS}{deal.pk}/move/", {"stage": str(stages["Lost"].pk)}, format="json")
    by_patch = client.patch(f"{DEALS}{deal.pk}/", {"stage": str(stages["Lost"].pk), "name": "X"}, format="json")
    blank = client.post(
        f"{DEALS}{deal.pk}/move/", {"stage": str(stages["Lost"].pk), "lost_reason": "  "}, format="json"
    )

    assert (by_move.status_code, by_patch.status_code, blank.status_code) == (400, 400, 400)
    assert by_move.json() == by_patch.json() == blank.json() == expected
    stored = _stored(deal)
    assert (stored.stage.name, stored.name, stored.closed_at, stored.lost_reason) == (
        "Qualification", "Harbor lease", None, ""
    )  # fmt: skip


def test_losing_stamps_closed_at_reopening_clears_it_and_the_timeline_tells_the_story(
    cast: Cast, clock: Clock
) -> None:
    deal = _deal(cast)
    _, stages = _sales(cast)
    client = client_for(cast.owner)
    lost_at = clock.advance(hours=1)

    lost = client.post(
        f"{DEALS}{deal.pk}/move/", {"stage": str(stages["Lost"].pk), "lost_reason": "Went with a rival"},
        format="json",
    )  # fmt: skip
    clock.advance(hours=1)
    reopened = client.patch(f"{DEALS}{deal.pk}/", {"stage": str(stages["Proposal"].pk)}, format="json")

    assert lost.status_code == 200, lost.json()
    assert (lost.json()["stage_kind"], lost.json()["closed_at"], lost.json()["lost_reason"]) == (
        "lost", _iso(lost_at), "Went with a rival"
    )  # fmt: skip
    assert (reopened.json()["stage_name"], reopened.json()["closed_at"], reopened.json()["lost_reason"]) == (
        "Proposal", None, ""
    )  # fmt: skip
    q, lo, pr = (str(stages[name].pk) for name in ("Qualification", "Lost", "Proposal"))
    assert _timeline(cast, deal.pk)[:2] == [
        ("stage_changed", {"stage": ["Lost", "Proposal"], "stage_id": [lo, pr],
                           "closed_at": [lost_at.isoformat(), None], "lost_reason": ["Went with a rival", ""]}),
        ("stage_changed", {"stage": ["Qualification", "Lost"], "stage_id": [q, lo],
                           "closed_at": [None, lost_at.isoformat()], "lost_reason": ["", "Went with a rival"]}),
    ]  # fmt: skip


def test_winning_stamps_closed_at_and_moving_between_lost_stages_keeps_the_date(cast: Cast, clock: Clock) -> None:
    from deals.pipeline_services import stage_create

    deal = _deal(cast)
    _, stages = _sales(cast)
    with org_context(cast.org_a):
        dead = stage_create(
            org=cast.org_a, actor=cast.owner, pipeline_id=stages["Lost"].pipeline_id,
            data={"name": "No budget", "kind": "lost"},
        )  # fmt: skip
    client = client_for(cast.owner)
    won_at = clock.advance(minutes=5)

    won = client.post(f"{DEALS}{deal.pk}/move/", {"stage": str(stages["Won"].pk)}, format="json").json()
    lost_at = clock.advance(minutes=5)
    client.post(
        f"{DEALS}{deal.pk}/move/", {"stage": str(stages["Lost"].pk), "lost_reason": "Pulled out"}, format="json"
    )
    clock.advance(minutes=5)
    relabelled = client.post(f"{DEALS}{deal.pk}/move/", {"stage": str(dead.pk)}, format="json").json()

    assert (won["closed_at"], won["weighted_amount"]) == (_iso(won_at), "0.00")
    assert (relabelled["stage_name"], relabelled["closed_at"], relabelled["lost_reason"]) == (
        "No budget", _iso(lost_at), "Pulled out"
    )  # fmt: skip


def test_a_lost_reason_on_a_deal_that_is_not_lost_is_refused(cast: Cast) -> None:
    deal = _deal(cast)

    response = client_for(cast.owner).patch(f"{DEALS}{deal.pk}/", {"lost_reason": "Why not"}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "lost_reason": [{"code": "not_lost", "detail": "Only a deal in a lost stage has a lost reason."}]
    }
    assert _stored(deal).lost_reason == ""


def test_a_stage_of_another_pipeline_is_refused_unless_the_pipeline_changes_with_it(cast: Cast) -> None:
    deal = _deal(cast)
    lettings, lettings_stages = _other_pipeline(cast)
    client = client_for(cast.owner)

    refused = client.post(f"{DEALS}{deal.pk}/move/", {"stage": str(lettings_stages["Viewing"].pk)}, format="json")
    patched = client.patch(f"{DEALS}{deal.pk}/", {"pipeline": str(lettings.pk)}, format="json")

    assert refused.status_code == 400
    assert refused.json()["code"] == "stage_not_in_pipeline"
    assert patched.status_code == 200
    assert (patched.json()["pipeline"], patched.json()["stage_name"]) == (str(lettings.pk), "Viewing")
    assert _timeline(cast, deal.pk)[0] == (
        "stage_changed",
        {
            "stage": ["Qualification", "Viewing"],
            "stage_id": [str(deal.stage_id), str(lettings_stages["Viewing"].pk)],
            "pipeline_id": [str(deal.pipeline_id), str(lettings.pk)],
        },
    )


def test_field_changes_and_a_move_in_one_patch_are_one_save_and_one_stage_changed_entry(cast: Cast) -> None:
    deal = _deal(cast, amount=Decimal("100.00"))
    _, stages = _sales(cast)

    response = client_for(cast.owner).patch(
        f"{DEALS}{deal.pk}/", {"amount": "250.00", "stage": str(stages["Proposal"].pk)}, format="json"
    )

    assert (response.json()["amount"], response.json()["weighted_amount"]) == ("250.00", "125.00")
    assert _timeline(cast, deal.pk) == [
        (
            "stage_changed",
            {
                "stage": ["Qualification", "Proposal"],
                "stage_id": [str(deal.stage_id), str(stages["Proposal"].pk)],
                "amount": ["100.00", "250.00"],
            },
        )
    ]


def test_archived_deals_cannot_move(cast: Cast) -> None:
    deal = _deal(cast, archived_at=timezone.now())
    _, stages = _sales(cast)

    response = client_for(cast.owner).patch(f"{DEALS}{deal.pk}/", {"stage": str(stages["Won"].pk)}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "code": "archived",
        "detail": "Archived records cannot be changed. Restore it first.",
        "fields": {},
    }
    assert _stored(deal).stage.name == "Qualification"


def test_stale_if_match_is_412_on_patch_and_on_move_and_changes_nothing(cast: Cast) -> None:
    deal = _deal(cast)
    _, stages = _sales(cast)
    client = client_for(cast.owner)
    etag = client.get(f"{DEALS}{deal.pk}/")["ETag"]
    fresh = client.patch(f"{DEALS}{deal.pk}/", {"name": "Renamed"}, format="json", HTTP_IF_MATCH=etag)

    stale_patch = client.patch(f"{DEALS}{deal.pk}/", {"name": "Other"}, format="json", HTTP_IF_MATCH=etag)
    stale_move = client.post(
        f"{DEALS}{deal.pk}/move/", {"stage": str(stages["Won"].pk)}, format="json", HTTP_IF_MATCH=etag
    )
    current_move = client.post(
        f"{DEALS}{deal.pk}/move/",
        {"stage": str(stages["Proposal"].pk)},
        format="json",
        HTTP_IF_MATCH=fresh["ETag"],
    )

    assert fresh.status_code == 200
    assert stale_patch.status_code == stale_move.status_code == 412
    assert stale_move.json() == {
        "code": "precondition_failed",
        "detail": "The record changed since you loaded it. Reload it and apply your change again.",
        "fields": {},
    }
    assert current_move.status_code == 200
    assert current_move["ETag"] != fresh["ETag"]
    stored = _stored(deal)
    assert (stored.name, stored.stage.name) == ("Renamed", "Proposal")


# --- archive, bulk ---------------------------------------------------------------------------------------------


def test_delete_archives_and_only_admins_restore_then_purge(cast: Cast) -> None:
    deal = _deal(cast)
    owner = client_for(cast.owner)

    assert owner.delete(f"{DEALS}{deal.pk}/").status_code == 204
    assert owner.get(DEALS).json()["count"] == 0
    assert [d["id"] for d in owner.get(DEALS, {"archived": "true"}).json()["results"]] == [str(deal.pk)]
    assert client_for(cast.manager).post(f"{DEALS}{deal.pk}/restore/").status_code == 403
    assert _stored(deal).archived_at is not None
    assert owner.post(f"{DEALS}{deal.pk}/restore/").status_code == 200
    assert owner.post(f"{DEALS}{deal.pk}/purge/").json()["code"] == "not_archived"
    owner.delete(f"{DEALS}{deal.pk}/")
    assert owner.post(f"{DEALS}{deal.pk}/purge/").status_code == 204
    with org_context(cast.org_a):
        assert not Deal.objects.filter(pk=deal.pk).exists()
        assert not ActivityEntry.objects.filter(target_id=deal.pk).exists()


def test_bulk_keeps_the_per_record_rule_and_reports_foreign_and_hidden_ids_as_not_found(cast: Cast) -> None:
    """A member's bulk edit answers not_found for the records they cannot see."""
    mine = _deal(cast, name="Mine", created_by=cast.member)
    not_mine = _deal(cast, name="Owners")
    foreign = _deal(cast, org=cast.org_b, name="Bravo")
    body = {
        "action": "update",
        "ids": [str(mine.pk), str(not_mine.pk), str(foreign.pk)],
        "changes": {"tags_add": ["Hot"], "expected_close_date": "2026-12-31"},
    }

    response = client_for(cast.member).post(f"{DEALS}bulk/", body, format="json")

    assert response.status_code == 200
    assert response.json()["results"] == [
        {"id": str(mine.pk), "status": "updated"},
        {"id": str(not_mine.pk), "status": "not_found"},
        {"id": str(foreign.pk), "status": "not_found"},
    ]
    assert (_stored(mine).tags, str(_stored(mine).expected_close_date)) == (["hot"], "2026-12-31")
    assert (_stored(not_mine).tags, _stored(not_mine).expected_close_date) == ([], None)
    assert _stored(foreign).tags == []


def _bulk(client, ids, changes):
    return client.post(
        f"{DEALS}bulk/", {"action": "update", "ids": [str(pk) for pk in ids], "changes": changes}, format="json"
    )


def _activity(deal: Deal) -> list[tuple]:
    with org_context(deal.org):
        entries = ActivityEntry.objects.filter(target_type="deals.deal", target_id=deal.pk).order_by("created_at")
        return [(entry.verb, entry.created_by_id, entry.changes) for entry in entries]


def test_bulk_stage_move_stamps_closed_at_logs_the_move_and_stays_in_each_deals_pipeline(
    cast: Cast, clock: Clock
) -> None:
    _, stages = _sales(cast)
    lettings, lettings_stages = _other_pipeline(cast)
    sales_deal = _deal(cast, name="Sales deal")
    with org_context(cast.org_a):
        letting = Deal.objects.create(
            org=cast.org_a, name="Letting", currency="USD", pipeline=lettings, stage=lettings_stages["Viewing"]
        )
    won_at = clock.advance(hours=1)

    response = _bulk(client_for(cast.manager), [sales_deal.pk, letting.pk], {"stage": str(stages["Won"].pk)})

    detail = "This stage belongs to another pipeline than the deal's."
    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {"id": str(sales_deal.pk), "status": "updated"},
            {"id": str(letting.pk), "status": "invalid", "code": "stage_not_in_pipeline", "detail": detail},
        ]
    }
    won, untouched = _stored(sales_deal), _stored(letting)
    assert (won.stage.name, won.closed_at) == ("Won", won_at)
    assert (untouched.stage.name, untouched.pipeline_id, untouched.closed_at) == ("Viewing", lettings.pk, None)
    q, w = str(stages["Qualification"].pk), str(stages["Won"].pk)
    assert _activity(sales_deal) == [
        (
            "stage_changed",
            cast.manager.pk,
            {"stage": ["Qualification", "Won"], "stage_id": [q, w], "closed_at": [None, won_at.isoformat()]},
        )
    ]
    assert _activity(letting) == []


def test_bulk_move_to_a_lost_stage_needs_a_reason_and_refuses_the_whole_row_without_one(cast: Cast) -> None:
    _, stages = _sales(cast)
    deal = _deal(cast)
    client = client_for(cast.owner)

    refused = _bulk(client, [deal.pk], {"stage": str(stages["Lost"].pk), "tags": ["cold"]})
    lost = _bulk(client, [deal.pk], {"stage": str(stages["Lost"].pk), "lost_reason": "Budget cut"})

    detail = "Say why the deal was lost: a lost stage needs a reason."
    assert refused.json() == {
        "results": [{"id": str(deal.pk), "status": "invalid", "code": "required", "detail": detail}]
    }
    assert lost.json() == {"results": [{"id": str(deal.pk), "status": "updated"}]}
    stored = _stored(deal)
    assert (stored.stage.name, stored.lost_reason, stored.tags) == ("Lost", "Budget cut", [])
    assert stored.closed_at is not None


def test_bulk_owner_change_hands_over_the_seat_and_refuses_foreign_profiles_and_stages(cast: Cast) -> None:
    deal = _deal(cast, owner=cast.member, assigned_to=[cast.member.pk, cast.manager.pk])
    _, foreign_stages = _sales(cast, cast.org_b)
    client = client_for(cast.owner)

    foreign_owner = _bulk(client, [deal.pk], {"owner": str(cast.other_owner.pk)})
    foreign_stage = _bulk(client, [deal.pk], {"stage": str(foreign_stages["Won"].pk)})
    random_stage = _bulk(client, [deal.pk], {"stage": RANDOM_ID})
    handed = _bulk(client, [deal.pk], {"owner": str(cast.admin.pk)})

    assert foreign_owner.status_code == 400
    assert foreign_owner.json()["fields"] == {
        "owner": [
            {"code": "does_not_exist", "detail": f'Invalid pk "{cast.other_owner.pk}" - object does not exist.'}
        ]
    }
    assert foreign_stage.status_code == random_stage.status_code == 400
    assert foreign_stage.json()["fields"]["stage"][0]["code"] == "does_not_exist"
    assert foreign_stage.json()["fields"]["stage"][0]["detail"] == (
        random_stage.json()["fields"]["stage"][0]["detail"].replace(RANDOM_ID, str(foreign_stages["Won"].pk))
    )
    assert handed.json() == {"results": [{"id": str(deal.pk), "status": "updated"}]}
    stored = _stored(deal)
    assert (stored.owner_id, stored.assigned_to, stored.stage.name) == (
        cast.admin.pk,
        [cast.admin.pk, cast.manager.pk],
        "Qualification",
    )
    assert _activity(deal) == [
        (
            "updated",
            cast.owner.pk,
            {"owner_id": [str(cast.member.pk), str(cast.admin.pk)]},
        ),
        (
            "assigned",
            cast.owner.pk,
            {
                "assigned_to": [
                    [str(cast.member.pk), str(cast.manager.pk)],
                    [str(cast.admin.pk), str(cast.manager.pk)],
                ]
            },
        ),
    ]


def test_bulk_refuses_the_pipeline_and_fields_outside_the_bulk_list(cast: Cast) -> None:
    deal = _deal(cast)
    lettings, _ = _other_pipeline(cast)

    response = _bulk(client_for(cast.owner), [deal.pk], {"pipeline": str(lettings.pk)})

    detail = (
        "Bulk updates may change only: assigned_to, expected_close_date, lost_reason, owner, stage, tags, "
        "tags_add, tags_remove."
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": detail,
        "fields": {"changes": [{"code": "invalid", "detail": detail}]},
    }
    assert _stored(deal).pipeline.name == "Sales"


def test_bulk_caps_ids_at_500(cast: Cast) -> None:
    response = client_for(cast.owner).post(
        f"{DEALS}bulk/", {"action": "archive", "ids": [str(uuid7()) for _ in range(501)]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"]["ids"][0]["code"] == "max_length"


# --- lists -----------------------------------------------------------------------------------------------------


def test_filtering_by_another_orgs_ids_finds_nothing_exactly_like_a_random_id(cast: Cast) -> None:
    contact, company = _contact(cast, cast.org_b, first_name="Bea"), _company(cast, cast.org_b, name="Bravo Co")
    foreign = _deal(cast, cast.org_b, owner=cast.other_owner, assigned_to=[cast.other_owner.pk], contact=contact,
                    company=company, source_lead_id=uuid7())  # fmt: skip
    _deal(cast, name="Ours", owner=cast.owner)
    client = client_for(cast.owner)

    assert_foreign_ids_find_nothing(
        client,
        DEALS,
        {"pipeline": foreign.pipeline_id, "stage": foreign.stage_id, "owner": cast.other_owner.pk,
         "contact": contact.pk, "company": company.pk, "source_lead": foreign.source_lead_id,
         "assigned_to": cast.other_owner.pk, "created_by": cast.other_owner.pk},
    )  # fmt: skip
    # The summary names its pipeline: another org's is the same field error as a random one.
    summary_foreign = client.get(f"{DEALS}summary/", {"pipeline": str(foreign.pipeline_id)})
    summary_random = client.get(f"{DEALS}summary/", {"pipeline": RANDOM_ID})
    assert (summary_foreign.status_code, summary_random.status_code) == (400, 400)
    assert summary_foreign.json() == {
        "code": "does_not_exist",
        "detail": f'Invalid pk "{foreign.pipeline_id}" - object does not exist.',
        "fields": {
            "pipeline": [
                {
                    "code": "does_not_exist",
                    "detail": f'Invalid pk "{foreign.pipeline_id}" - object does not exist.',
                }
            ]
        },
    }
    assert summary_random.json()["detail"] == f'Invalid pk "{RANDOM_ID}" - object does not exist.'


def test_filters_cover_pipeline_stage_kind_people_links_amounts_and_dates(cast: Cast) -> None:
    lettings, lettings_stages = _other_pipeline(cast)
    contact = _contact(cast, first_name="Ada")
    company = _company(cast, name="Acme")
    closed = timezone.now()
    _deal(cast, name="Small", amount=Decimal("100"), owner=cast.member, contact=contact, tags=["hot"],
          expected_close_date=datetime.date(2026, 3, 1))  # fmt: skip
    _deal(cast, name="Big", amount=Decimal("9000"), company=company, stage="Won", closed_at=closed, currency="EUR",
          assigned_to=[cast.manager.pk], expected_close_date=datetime.date(2026, 6, 1))  # fmt: skip
    with org_context(cast.org_a):
        Deal.objects.create(org=cast.org_a, name="Flat", pipeline=lettings, stage=lettings_stages["Viewing"],
                            currency="USD", created_by=cast.owner)  # fmt: skip
    client = client_for(cast.owner)

    def names(**params) -> list[str]:
        response = client.get(DEALS, {"ordering": "name", **params})
        assert response.status_code == 200, response.json()
        return [d["name"] for d in response.json()["results"]]

    assert names(pipeline=str(lettings.pk)) == ["Flat"]
    assert names(stage=str(lettings_stages["Viewing"].pk)) == ["Flat"]
    assert names(stage_kind="won") == ["Big"]
    assert names(stage_kind="open") == ["Flat", "Small"]
    assert names(owner=str(cast.member.pk)) == ["Small"]
    assert names(assigned_to=str(cast.manager.pk)) == ["Big"]
    assert names(contact=str(contact.pk)) == ["Small"]
    assert names(company=str(company.pk)) == ["Big"]
    assert names(tags="HOT") == ["Small"]
    assert names(currency="eur") == ["Big"]
    assert names(amount_min="100", amount_max="100") == ["Small"]
    assert names(amount_min="101") == ["Big"]
    assert names(expected_close_after="2026-03-01", expected_close_before="2026-05-31") == ["Small"]
    assert names(closed_after=_iso(closed - datetime.timedelta(minutes=1))) == ["Big"]
    assert names(closed_before=_iso(closed - datetime.timedelta(minutes=1))) == []
    assert client.get(DEALS, {"stage_kind": "maybe"}).status_code == 400
    assert client.get(DEALS, {"pipeline": "nope"}).status_code == 400


def test_search_on_name_and_whitelisted_ordering(cast: Cast) -> None:
    _deal(cast, name="Harbor lease", amount=Decimal("10"))
    _deal(cast, name="Summit office fit-out", amount=Decimal("500"))
    client = client_for(cast.owner)

    assert [d["name"] for d in client.get(DEALS, {"search": "OFFICE"}).json()["results"]] == [
        "Summit office fit-out"
    ]
    assert [d["name"] for d in client.get(DEALS, {"ordering": "-amount"}).json()["results"]] == [
        "Summit office fit-out",
        "Harbor lease",
    ]
    # An ordering that is not whitelisted is a 400 naming the allowed ones, never a leak.
    refused = client.get(DEALS, {"ordering": "owner__user__password"})
    assert (refused.status_code, refused.json()["code"]) == (400, "invalid_choice")


def test_page_size_is_capped_at_100(cast: Cast) -> None:
    """A page holds at most 100 rows, whatever the client asks for."""
    pipeline, stages = _sales(cast)
    with org_context(cast.org_a):
        Deal.objects.bulk_create(
            [
                Deal(org=cast.org_a, name=f"D{i}", pipeline=pipeline, stage=stages["Proposal"], currency="USD")
                for i in range(105)
            ]
        )

    body = client_for(cast.owner).get(DEALS, {"page_size": 1000}).json()

    assert body["count"] == 105
    assert len(body["results"]) == 100


def test_list_costs_the_same_queries_for_1_row_and_50(cast: Cast) -> None:
    contact = _contact(cast, first_name="Ada")
    company = _company(cast, name="Acme")
    pipeline, stages = _sales(cast)
    _deal(cast, contact=contact, company=company, assigned_to=[cast.member.pk])
    client = client_for(cast.member)

    def more() -> None:
        with org_context(cast.org_a):
            Deal.objects.bulk_create(
                [
                    Deal(org=cast.org_a, name=f"D{i}", pipeline=pipeline, stage=stages["Proposal"], currency="USD",
                         contact=contact, company=company, assigned_to=[cast.member.pk])
                    for i in range(49)
                ]
            )  # fmt: skip

    queries = assert_flat_query_count(lambda: client.get(DEALS), more)

    assert queries <= 4


# --- summary ---------------------------------------------------------------------------------------------------


def _stage_row(stage: Stage, count: int = 0, totals: list | None = None) -> dict:
    return {"id": str(stage.pk), "name": stage.name, "kind": stage.kind, "probability": stage.probability,
            "position": stage.position, "count": count, "totals": totals or []}  # fmt: skip


def _total(currency: str, count: int, amount: str, weighted: str) -> dict:
    return {"currency": currency, "count": count, "amount": amount, "weighted_amount": weighted}


def test_summary_counts_and_sums_per_stage_and_currency_over_visible_unarchived_deals(cast: Cast) -> None:
    pipeline, stages = _sales(cast)
    _deal(cast, amount=Decimal("1000"))
    _deal(cast, amount=Decimal("500.05"), created_by=cast.member)
    _deal(cast, amount=Decimal("200"), currency="EUR")
    _deal(cast, stage="Proposal", amount=Decimal("3000"))
    _deal(cast, stage="Won", amount=Decimal("1000"), closed_at=timezone.now())
    _deal(cast, stage="Lost", amount=Decimal("700"), lost_reason="Price", closed_at=timezone.now())
    _deal(cast, stage="Negotiation", amount=Decimal("9999"), archived_at=timezone.now())
    _deal(cast, org=cast.org_b, amount=Decimal("123"))

    as_manager = client_for(cast.manager).get(f"{DEALS}summary/")
    as_member = client_for(cast.member).get(f"{DEALS}summary/", {"pipeline": str(pipeline.pk)})

    assert as_manager.status_code == 200
    assert as_manager.json() == {
        "pipeline": {"id": str(pipeline.pk), "name": "Sales"},
        "stages": [
            _stage_row(stages["Qualification"], 3, [_total("EUR", 1, "200.00", "20.00"),
                                                    _total("USD", 2, "1500.05", "150.01")]),
            _stage_row(stages["Needs analysis"]),
            _stage_row(stages["Proposal"], 1, [_total("USD", 1, "3000.00", "1500.00")]),
            _stage_row(stages["Negotiation"]),
            _stage_row(stages["Won"], 1, [_total("USD", 1, "1000.00", "1000.00")]),
            _stage_row(stages["Lost"], 1, [_total("USD", 1, "700.00", "0.00")]),
        ],
        "open_totals": [_total("EUR", 1, "200.00", "20.00"), _total("USD", 3, "4500.05", "1650.01")],
    }  # fmt: skip
    assert as_member.json()["stages"][0] == _stage_row(
        stages["Qualification"], 1, [_total("USD", 1, "500.05", "50.01")]
    )
    assert [row["count"] for row in as_member.json()["stages"][1:]] == [0, 0, 0, 0, 0]


def test_summary_applies_the_list_filters(cast: Cast) -> None:
    _deal(cast, amount=Decimal("1000"), owner=cast.member)
    _deal(cast, amount=Decimal("50"))

    body = client_for(cast.owner).get(f"{DEALS}summary/", {"owner": str(cast.member.pk)}).json()

    assert body["stages"][0]["totals"] == [_total("USD", 1, "1000.00", "100.00")]


def test_summary_of_another_orgs_or_a_random_pipeline_is_a_400(cast: Cast) -> None:
    bravo, _ = _sales(cast, org=cast.org_b)
    client = client_for(cast.owner)

    foreign = client.get(f"{DEALS}summary/", {"pipeline": str(bravo.pk)})
    random = client.get(f"{DEALS}summary/", {"pipeline": RANDOM_ID})

    assert foreign.status_code == random.status_code == 400
    detail = f'Invalid pk "{bravo.pk}" - object does not exist.'
    assert foreign.json() == {
        "code": "does_not_exist",
        "detail": detail,
        "fields": {"pipeline": [{"code": "does_not_exist", "detail": detail}]},
    }
    assert random.json()["code"] == "does_not_exist"


def test_summary_of_an_org_without_pipelines_is_empty(cast: Cast) -> None:
    assert client_for(cast.viewer).get(f"{DEALS}summary/").json() == {
        "pipeline": None,
        "stages": [],
        "open_totals": [],
    }


def test_summary_costs_the_same_queries_for_1_deal_and_60(cast: Cast) -> None:
    pipeline, stages = _sales(cast)
    _deal(cast, assigned_to=[cast.member.pk])
    client = client_for(cast.member)

    def more() -> None:
        with org_context(cast.org_a):
            Deal.objects.bulk_create(
                [
                    Deal(org=cast.org_a, name=f"D{i}", pipeline=pipeline, stage=list(stages.values())[i % 6],
                         currency=("USD", "EUR", "GBP")[i % 3], assigned_to=[cast.member.pk],
                         amount=Decimal(i))
                    for i in range(60)
                ]
            )  # fmt: skip

    queries = assert_flat_query_count(lambda: client.get(f"{DEALS}summary/"), more)

    assert queries == 2  # the stages, one grouped aggregate (membership is cached after the first call)


# --- lead conversion -------------------------------------------------------------------------------------------


def _lead(cast: Cast, **fields) -> SimpleNamespace:
    return SimpleNamespace(pk=uuid7(), org_id=cast.org_a.pk, assigned_to=[cast.member.pk], **fields)


def test_deal_create_from_lead_creates_a_linked_deal_in_the_default_pipelines_first_open_stage(cast: Cast) -> None:
    """Converting a lead makes the deal; nothing else marks a lead converted."""
    contact = _contact(cast, first_name="Ada")
    company = _company(cast, name="Acme")
    lead = _lead(cast)

    with org_context(cast.org_a):
        deal = deal_create_from_lead(
            org=cast.org_a, actor=cast.manager, lead=lead, contact=contact, company=company,
            name="Acme HQ lease", amount="25000", currency=None,
        )  # fmt: skip

    stored = _stored(deal)
    assert (stored.name, stored.amount, stored.currency, stored.stage.name, stored.pipeline.is_default) == (
        "Acme HQ lease", Decimal("25000.00"), "USD", "Qualification", True
    )  # fmt: skip
    assert (stored.source_lead_id, stored.contact_id, stored.company_id) == (lead.pk, contact.pk, company.pk)
    assert (stored.owner_id, stored.created_by_id, stored.assigned_to) == (
        cast.manager.pk, cast.manager.pk, [cast.manager.pk, cast.member.pk]
    )  # fmt: skip
    assert [
        d["id"] for d in client_for(cast.owner).get(DEALS, {"source_lead": str(lead.pk)}).json()["results"]
    ] == [str(deal.pk)]


def test_a_lead_converts_into_one_deal_only(cast: Cast) -> None:
    from common.errors import Conflict

    lead = _lead(cast)
    with org_context(cast.org_a):
        first = deal_create_from_lead(org=cast.org_a, actor=cast.owner, lead=lead, contact=None, company=None,
                                      name="Once", amount=None, currency="eur")  # fmt: skip
        with pytest.raises(Conflict) as refused:
            deal_create_from_lead(org=cast.org_a, actor=cast.owner, lead=lead, contact=None, company=None,
                                  name="Twice", amount=None, currency=None)  # fmt: skip

        assert refused.value.code == "lead_already_converted"
        assert refused.value.fields["lead"][0]["existing_id"] == str(first.pk)
        assert list(Deal.objects.values_list("name", "currency", "amount")) == [("Once", "EUR", Decimal("0.00"))]


def test_deal_create_from_lead_is_undone_with_the_callers_transaction(cast: Cast) -> None:
    lead = _lead(cast)

    with org_context(cast.org_a):
        with pytest.raises(RuntimeError), transaction.atomic():
            deal_create_from_lead(org=cast.org_a, actor=cast.owner, lead=lead, contact=None, company=None,
                                  name="Doomed", amount=1, currency=None)  # fmt: skip
            raise RuntimeError("the lead conversion failed after the deal was made")

        assert not Deal.objects.filter(source_lead_id=lead.pk).exists()


def test_deal_create_from_lead_refuses_another_orgs_contact(cast: Cast) -> None:
    from common.models import OrgMismatch

    foreign = _contact(cast, org=cast.org_b, first_name="B")

    with org_context(cast.org_a), pytest.raises(OrgMismatch):
        deal_create_from_lead(org=cast.org_a, actor=cast.owner, lead=_lead(cast), contact=foreign, company=None,
                              name="X", amount=1, currency=None)  # fmt: skip


# --- member removal --------------------------------------------------------------------------------------------


def test_removing_a_member_hands_their_open_deals_over_and_keeps_closed_ones(cast: Cast) -> None:
    owned = _deal(cast, name="Owned", owner=cast.member, assigned_to=[cast.member.pk, cast.admin.pk])
    assigned = _deal(cast, name="Assigned", owner=cast.owner, assigned_to=[cast.owner.pk, cast.member.pk])
    won = _deal(cast, name="Won", stage="Won", owner=cast.member, assigned_to=[cast.member.pk],
                closed_at=timezone.now())  # fmt: skip
    untouched = _deal(cast, name="Other", owner=cast.owner, assigned_to=[cast.owner.pk])

    with org_context(cast.org_a):
        moved = open_records_reassign(org=cast.org_a, from_profile=cast.member, to_profile=cast.manager)

    assert moved["deals"] == 2
    assert (_stored(owned).owner_id, _stored(owned).assigned_to) == (
        cast.manager.pk,
        [cast.manager.pk, cast.admin.pk],
    )
    assert (_stored(assigned).owner_id, _stored(assigned).assigned_to) == (
        cast.owner.pk, [cast.owner.pk, cast.manager.pk]
    )  # fmt: skip
    assert (_stored(won).owner_id, _stored(won).assigned_to) == (cast.member.pk, [cast.member.pk])
    assert _stored(untouched).updated_at == untouched.updated_at


def test_purging_a_contact_keeps_its_deals(cast: Cast) -> None:
    contact = _contact(cast, first_name="Ada", archived_at=timezone.now())
    deal = _deal(cast, contact=contact)

    assert client_for(cast.owner).post(f"/api/contacts/{contact.pk}/purge/").status_code == 204

    assert _stored(deal).contact_id is None


def test_the_demo_seeder_spreads_deals_over_the_default_pipeline(cast: Cast) -> None:
    import random

    from deals.demo import seed
    from demo.context import DemoContext

    ctx = DemoContext(org=cast.org_a, members=[cast.owner, cast.member], rng=random.Random(7), leads=100, scale=2)

    with org_context(cast.org_a):
        counts = seed(ctx)
        deals = list(Deal.objects.select_related("stage"))

    assert counts == {"deals": 40}
    assert len(deals) == len(ctx.made["deals.deal"]) == 40
    assert all((d.closed_at is not None) == (d.stage.kind != "open") for d in deals)
    assert all(bool(d.lost_reason) == (d.stage.kind == "lost") for d in deals)


@pytest.mark.parametrize(
    ("amount", "code"), [("-5", "min_value"), ("lots", "invalid"), (Decimal(10) ** 12, "max_value")]
)
def test_deal_create_from_lead_refuses_an_amount_the_deal_cannot_hold(cast: Cast, amount, code: str) -> None:
    from common.errors import ApiError

    with org_context(cast.org_a):
        with pytest.raises(ApiError) as refused:
            deal_create_from_lead(org=cast.org_a, actor=cast.owner, lead=_lead(cast), contact=None, company=None,
                                  name="X", amount=amount, currency=None)  # fmt: skip

        assert (refused.value.status_code, refused.value.code) == (400, code)
        assert Deal.objects.count() == 0
