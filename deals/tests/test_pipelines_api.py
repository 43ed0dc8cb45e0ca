"""Pipelines and stages over the API: admins configure, everyone reads, nothing in use can vanish."""

from __future__ import annotations

import pytest
from django.utils import timezone

from common.context import org_context
from deals.models import Deal, Pipeline, Stage
from deals.pipeline_services import pipeline_create, pipeline_ensure_default
from tenants.models import AuditEvent
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.queries import assert_flat_query_count

pytestmark = pytest.mark.django_db

PIPELINES = "/api/pipelines/"
RANDOM_ID = "00000000-0000-7000-8000-000000000009"


def _sales(cast: Cast, org=None) -> tuple[Pipeline, dict[str, Stage]]:
    org = org or cast.org_a
    with org_context(org):
        pipeline = pipeline_ensure_default(org=org)
        return pipeline, {stage.name: stage for stage in Stage.objects.filter(pipeline=pipeline)}


def _lettings(cast: Cast) -> tuple[Pipeline, dict[str, Stage]]:
    _sales(cast)
    with org_context(cast.org_a):
        pipeline = pipeline_create(
            org=cast.org_a,
            actor=cast.owner,
            name="Lettings",
            stages=[
                {"name": "Viewing", "probability": 20, "kind": "open"},
                {"name": "Offer", "probability": 60, "kind": "open"},
                {"name": "Let", "kind": "won"},
                {"name": "Withdrawn", "kind": "lost"},
            ],
        )
        return pipeline, {stage.name: stage for stage in Stage.objects.filter(pipeline=pipeline)}


def _deal(cast: Cast, pipeline: Pipeline, stage: Stage, **fields) -> Deal:
    with org_context(cast.org_a):
        return Deal.objects.create(
            org=cast.org_a, name="Deal", currency="USD", pipeline=pipeline, stage=stage, created_by=cast.owner,
            **fields,
        )  # fmt: skip


def _stage_names(pipeline: Pipeline) -> list[tuple[str, int]]:
    with org_context(pipeline.org):
        return list(Stage.objects.filter(pipeline=pipeline).order_by("position").values_list("name", "position"))


# --- reading ---------------------------------------------------------------------------------------------------


def test_every_role_reads_pipelines_with_their_stages_in_order(cast: Cast) -> None:
    lettings, stages = _lettings(cast)

    for who in (cast.owner, cast.member, cast.viewer):
        body = client_for(who).get(PIPELINES).json()
        assert [(p["name"], p["is_default"], p["position"]) for p in body["results"]] == [
            ("Sales", True, 0),
            ("Lettings", False, 1),
        ]
    detail = client_for(cast.viewer).get(f"{PIPELINES}{lettings.pk}/").json()
    assert detail["stages"] == [
        {"id": str(stages["Viewing"].pk), "name": "Viewing", "position": 0, "probability": 20, "kind": "open"},
        {"id": str(stages["Offer"].pk), "name": "Offer", "position": 1, "probability": 60, "kind": "open"},
        {"id": str(stages["Let"].pk), "name": "Let", "position": 2, "probability": 100, "kind": "won"},
        {"id": str(stages["Withdrawn"].pk), "name": "Withdrawn", "position": 3, "probability": 0, "kind": "lost"},
    ]
    assert client_for(cast.member).get(f"{PIPELINES}{lettings.pk}/stages/").json() == detail["stages"]


def test_another_orgs_pipeline_is_a_404_on_every_route_and_absent_from_lists(cast: Cast) -> None:
    bravo, bravo_stages = _sales(cast, org=cast.org_b)
    _sales(cast)
    admin = client_for(cast.owner)
    stage = bravo_stages["Proposal"]

    responses = [
        admin.get(f"{PIPELINES}{bravo.pk}/"),
        admin.patch(f"{PIPELINES}{bravo.pk}/", {"name": "Mine now"}, format="json"),
        admin.delete(f"{PIPELINES}{bravo.pk}/"),
        admin.get(f"{PIPELINES}{bravo.pk}/stages/"),
        admin.post(f"{PIPELINES}{bravo.pk}/stages/", {"name": "Sneaky"}, format="json"),
        admin.patch(f"{PIPELINES}{bravo.pk}/stages/{stage.pk}/", {"probability": 99}, format="json"),
        admin.delete(f"{PIPELINES}{bravo.pk}/stages/{stage.pk}/"),
        admin.post(f"{PIPELINES}{bravo.pk}/stages/reorder/", {"stage_ids": [str(stage.pk)]}, format="json"),
    ]

    assert [r.status_code for r in responses] == [404] * 8
    assert {r.json()["code"] for r in responses} == {"not_found"}
    assert str(bravo.pk) not in {p["id"] for p in admin.get(PIPELINES).json()["results"]}
    with org_context(cast.org_b):
        assert Pipeline.objects.get(pk=bravo.pk).name == "Sales"
        assert Stage.objects.get(pk=stage.pk).probability == 50
        assert Stage.objects.filter(pipeline=bravo).count() == 6


def test_a_stage_of_another_pipeline_is_a_404_under_this_one(cast: Cast) -> None:
    sales, sales_stages = _sales(cast)
    lettings, _ = _lettings(cast)

    response = client_for(cast.owner).delete(f"{PIPELINES}{lettings.pk}/stages/{sales_stages['Proposal'].pk}/")

    assert response.status_code == 404
    assert len(_stage_names(sales)) == 6


def test_pipeline_list_costs_the_same_queries_for_1_pipeline_and_20(cast: Cast) -> None:
    _sales(cast)
    client = client_for(cast.viewer)

    def more() -> None:
        with org_context(cast.org_a):
            for i in range(19):
                pipeline_create(org=cast.org_a, actor=cast.owner, name=f"P{i}")

    queries = assert_flat_query_count(lambda: client.get(PIPELINES), more)

    assert queries <= 4


# --- writing pipelines -----------------------------------------------------------------------------------------


def test_admin_creates_a_pipeline_with_its_stages_in_one_request(cast: Cast) -> None:
    _sales(cast)
    body = {
        "name": "Investment sales",
        "stages": [
            {"name": "Teaser sent", "probability": 5},
            {"name": "Due diligence", "probability": 60, "kind": "open"},
            {"name": "Completed", "kind": "won"},
            {"name": "Fell through", "kind": "lost"},
        ],
    }

    response = client_for(cast.admin).post(PIPELINES, body, format="json")

    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["name"], created["is_default"], created["position"]) == ("Investment sales", False, 1)
    assert [(s["name"], s["position"], s["probability"], s["kind"]) for s in created["stages"]] == [
        ("Teaser sent", 0, 5, "open"),
        ("Due diligence", 1, 60, "open"),
        ("Completed", 2, 100, "won"),
        ("Fell through", 3, 0, "lost"),
    ]
    with org_context(cast.org_a):
        pipeline = Pipeline.objects.get(name="Investment sales")
        assert (pipeline.org_id, pipeline.created_by_id) == (cast.org_a.pk, cast.admin.pk)
    assert AuditEvent.objects.filter(org_id=cast.org_a.pk, action="pipeline_created").count() == 1


def test_a_pipeline_without_stages_gets_the_standard_ones_and_the_orgs_first_pipeline_is_the_default(
    cast: Cast,
) -> None:
    response = client_for(cast.owner).post(PIPELINES, {"name": "Commercial"}, format="json")

    assert response.status_code == 201
    assert response.json()["is_default"] is True
    assert [s["name"] for s in response.json()["stages"]] == [
        "Qualification", "Needs analysis", "Proposal", "Negotiation", "Won", "Lost",
    ]  # fmt: skip
    # The org already has its pipeline: no "Sales" is added behind it.
    assert [p["name"] for p in client_for(cast.owner).get(PIPELINES).json()["results"]] == ["Commercial"]


@pytest.mark.parametrize(
    ("stages", "field", "code", "detail"),
    [
        (
            [{"name": "Won", "kind": "won"}],
            "stages",
            "open_stage_required",
            "A pipeline needs at least one open stage.",
        ),
        ([{"name": "A"}, {"name": "a "}], "stages", "duplicate", 'Two stages are named "a".'),
        ([{"name": "A", "probability": 101}], "stages.0.probability", "max_value", None),
        ([{"name": "A", "kind": "maybe"}], "stages.0.kind", "invalid_choice", None),
        ([], "stages", "open_stage_required", "A pipeline needs at least one open stage."),
    ],
)
def test_a_pipeline_needs_a_valid_stage_set(cast: Cast, stages: list, field: str, code: str, detail) -> None:
    response = client_for(cast.owner).post(PIPELINES, {"name": "Broken", "stages": stages}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert [error["code"] for error in response.json()["fields"][field]] == [code]
    if detail:
        assert response.json() == {
            "code": code,
            "detail": detail,
            "fields": {field: [{"code": code, "detail": detail}]},
        }
    with org_context(cast.org_a):
        assert (Pipeline.objects.count(), Stage.objects.count()) == (0, 0)


def test_a_duplicate_pipeline_name_is_a_409(cast: Cast) -> None:
    _sales(cast)

    response = client_for(cast.owner).post(PIPELINES, {"name": "SALES"}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "code": "duplicate_pipeline",
        "detail": "A pipeline with this name already exists.",
        "fields": {"name": [{"code": "duplicate", "detail": "Another pipeline has this name."}]},
    }


def test_making_a_pipeline_the_default_takes_it_from_the_previous_one(cast: Cast) -> None:
    lettings, _ = _lettings(cast)
    client = client_for(cast.admin)

    switched = client.patch(f"{PIPELINES}{lettings.pk}/", {"is_default": True, "position": 0}, format="json")
    unset = client.patch(f"{PIPELINES}{lettings.pk}/", {"is_default": False}, format="json")

    assert switched.status_code == 200
    assert (switched.json()["is_default"], switched.json()["position"]) == (True, 0)
    assert unset.status_code == 400
    assert unset.json()["fields"] == {
        "is_default": [
            {
                "code": "default_required",
                "detail": "The org always has a default pipeline: make another pipeline the default instead.",
            }
        ]
    }
    with org_context(cast.org_a):
        assert list(Pipeline.objects.filter(is_default=True).values_list("name", flat=True)) == ["Lettings"]


def test_the_default_pipeline_and_a_pipeline_with_deals_cannot_be_deleted(cast: Cast) -> None:
    sales, _ = _sales(cast)
    lettings, stages = _lettings(cast)
    _deal(cast, lettings, stages["Withdrawn"], lost_reason="x", archived_at=timezone.now())
    client = client_for(cast.owner)

    default = client.delete(f"{PIPELINES}{sales.pk}/")
    in_use = client.delete(f"{PIPELINES}{lettings.pk}/")

    assert default.status_code == in_use.status_code == 409
    assert default.json() == {
        "code": "default_pipeline",
        "detail": "The default pipeline cannot be deleted. Make another pipeline the default first.",
        "fields": {},
    }
    assert in_use.json() == {
        "code": "pipeline_in_use",
        "detail": "1 deal(s), archived ones included, are in this pipeline. Move or purge them first.",
        "fields": {},
    }
    with org_context(cast.org_a):
        assert Pipeline.objects.count() == 2
        assert Stage.objects.count() == 10


def test_an_unused_pipeline_is_deleted_with_its_stages(cast: Cast) -> None:
    lettings, _ = _lettings(cast)

    response = client_for(cast.admin).delete(f"{PIPELINES}{lettings.pk}/")

    assert response.status_code == 204
    with org_context(cast.org_a):
        assert list(Pipeline.objects.values_list("name", flat=True)) == ["Sales"]
        assert not Stage.objects.filter(pipeline_id=lettings.pk).exists()


@pytest.mark.parametrize("who", ["manager", "member", "viewer"])
def test_only_admins_change_pipelines_and_a_refusal_changes_nothing(cast: Cast, who: str) -> None:
    lettings, stages = _lettings(cast)
    client = client_for(getattr(cast, who))
    before = _stage_names(lettings)

    responses = [
        client.post(PIPELINES, {"name": "Mine"}, format="json"),
        client.patch(f"{PIPELINES}{lettings.pk}/", {"name": "Renamed"}, format="json"),
        client.delete(f"{PIPELINES}{lettings.pk}/"),
        client.post(f"{PIPELINES}{lettings.pk}/stages/", {"name": "Extra"}, format="json"),
        client.patch(f"{PIPELINES}{lettings.pk}/stages/{stages['Offer'].pk}/", {"probability": 1}, format="json"),
        client.delete(f"{PIPELINES}{lettings.pk}/stages/{stages['Offer'].pk}/"),
        client.post(
            f"{PIPELINES}{lettings.pk}/stages/reorder/",
            {"stage_ids": [str(s.pk) for s in reversed(list(stages.values()))]},
            format="json",
        ),
    ]

    assert [r.status_code for r in responses] == [403] * 7
    assert responses[0].json()["code"] == "permission_denied"
    assert _stage_names(lettings) == before
    with org_context(cast.org_a):
        assert sorted(Pipeline.objects.values_list("name", flat=True)) == ["Lettings", "Sales"]
        assert Stage.objects.get(pk=stages["Offer"].pk).probability == 60


# --- writing stages --------------------------------------------------------------------------------------------


def test_a_new_stage_goes_last_and_names_are_unique_in_the_pipeline(cast: Cast) -> None:
    lettings, _ = _lettings(cast)
    client = client_for(cast.owner)

    added = client.post(
        f"{PIPELINES}{lettings.pk}/stages/", {"name": "Referenced", "probability": 80}, format="json"
    )
    duplicate = client.post(f"{PIPELINES}{lettings.pk}/stages/", {"name": "offer"}, format="json")
    out_of_range = client.post(
        f"{PIPELINES}{lettings.pk}/stages/", {"name": "X", "probability": -1}, format="json"
    )

    assert added.status_code == 201
    assert {k: added.json()[k] for k in ("name", "position", "probability", "kind")} == {
        "name": "Referenced", "position": 4, "probability": 80, "kind": "open"
    }  # fmt: skip
    assert duplicate.status_code == 409
    assert duplicate.json() == {
        "code": "duplicate_stage",
        "detail": "A stage with this name already exists in this pipeline.",
        "fields": {"name": [{"code": "duplicate", "detail": "Another stage of this pipeline has this name."}]},
    }
    assert out_of_range.status_code == 400
    assert out_of_range.json()["fields"]["probability"][0]["code"] == "min_value"
    assert [name for name, _ in _stage_names(lettings)] == ["Viewing", "Offer", "Let", "Withdrawn", "Referenced"]


def test_a_stage_is_renamed_and_reweighted_and_deals_show_the_new_weight(cast: Cast) -> None:
    lettings, stages = _lettings(cast)
    deal = _deal(cast, lettings, stages["Offer"], amount=1000)

    response = client_for(cast.owner).patch(
        f"{PIPELINES}{lettings.pk}/stages/{stages['Offer'].pk}/", {"name": "Offer made", "probability": 70},
        format="json",
    )  # fmt: skip

    assert response.status_code == 200
    assert (response.json()["name"], response.json()["probability"]) == ("Offer made", 70)
    shown = client_for(cast.owner).get(f"/api/deals/{deal.pk}/").json()
    assert (shown["stage_name"], shown["weighted_amount"]) == ("Offer made", "700.00")


def test_deleting_a_stage_with_deals_is_a_409_and_keeps_it(cast: Cast) -> None:
    lettings, stages = _lettings(cast)
    _deal(cast, lettings, stages["Offer"], archived_at=timezone.now())

    response = client_for(cast.owner).delete(f"{PIPELINES}{lettings.pk}/stages/{stages['Offer'].pk}/")

    assert response.status_code == 409
    assert response.json() == {
        "code": "stage_in_use",
        "detail": "1 deal(s), archived ones included, are in this stage. Move them to another stage first.",
        "fields": {},
    }
    assert [name for name, _ in _stage_names(lettings)] == ["Viewing", "Offer", "Let", "Withdrawn"]


def test_deleting_an_unused_stage_closes_the_gap_in_positions(cast: Cast) -> None:
    lettings, stages = _lettings(cast)

    response = client_for(cast.owner).delete(f"{PIPELINES}{lettings.pk}/stages/{stages['Offer'].pk}/")

    assert response.status_code == 204
    assert _stage_names(lettings) == [("Viewing", 0), ("Let", 1), ("Withdrawn", 2)]


def test_the_last_open_stage_cannot_be_deleted_or_closed(cast: Cast) -> None:
    lettings, stages = _lettings(cast)
    client = client_for(cast.owner)
    assert client.delete(f"{PIPELINES}{lettings.pk}/stages/{stages['Offer'].pk}/").status_code == 204

    deleted = client.delete(f"{PIPELINES}{lettings.pk}/stages/{stages['Viewing'].pk}/")
    closed = client.patch(
        f"{PIPELINES}{lettings.pk}/stages/{stages['Viewing'].pk}/", {"kind": "won"}, format="json"
    )

    assert deleted.status_code == closed.status_code == 409
    assert deleted.json() == {
        "code": "last_open_stage",
        "detail": "A pipeline needs at least one open stage: new deals start there.",
        "fields": {},
    }
    assert closed.json()["code"] == "last_open_stage"
    with org_context(cast.org_a):
        assert Stage.objects.get(pk=stages["Viewing"].pk).kind == "open"


def test_the_kind_of_a_stage_with_deals_cannot_change(cast: Cast) -> None:
    lettings, stages = _lettings(cast)
    _deal(cast, lettings, stages["Offer"])
    client = client_for(cast.owner)

    refused = client.patch(
        f"{PIPELINES}{lettings.pk}/stages/{stages['Offer'].pk}/", {"kind": "won"}, format="json"
    )
    allowed = client.patch(
        f"{PIPELINES}{lettings.pk}/stages/{stages['Viewing'].pk}/", {"kind": "lost"}, format="json"
    )

    assert refused.status_code == 409
    assert refused.json()["code"] == "stage_in_use"
    assert allowed.status_code == 200
    assert allowed.json()["kind"] == "lost"


def test_reordering_takes_every_stage_once(cast: Cast) -> None:
    lettings, stages = _lettings(cast)
    client = client_for(cast.admin)
    order = [stages[name].pk for name in ("Offer", "Viewing", "Withdrawn", "Let")]
    url = f"{PIPELINES}{lettings.pk}/stages/reorder/"

    partial = client.post(url, {"stage_ids": [str(pk) for pk in order[:3]]}, format="json")
    repeated = client.post(url, {"stage_ids": [str(pk) for pk in [*order[:3], order[0]]]}, format="json")
    foreign = client.post(url, {"stage_ids": [str(pk) for pk in order[:3]] + [RANDOM_ID]}, format="json")
    reordered = client.post(url, {"stage_ids": [str(pk) for pk in order]}, format="json")

    expected_error = {
        "code": "invalid",
        "detail": "List every stage of this pipeline exactly once, in the new order.",
        "fields": {
            "stage_ids": [
                {"code": "invalid", "detail": "List every stage of this pipeline exactly once, in the new order."}
            ]
        },
    }
    assert partial.json() == repeated.json() == foreign.json() == expected_error
    assert reordered.status_code == 200
    assert [s["name"] for s in reordered.json()["stages"]] == ["Offer", "Viewing", "Withdrawn", "Let"]
    assert _stage_names(lettings) == [("Offer", 0), ("Viewing", 1), ("Withdrawn", 2), ("Let", 3)]


def test_a_new_deal_starts_in_the_first_open_stage_after_a_reorder(cast: Cast) -> None:
    lettings, stages = _lettings(cast)
    order = [stages[name].pk for name in ("Let", "Offer", "Viewing", "Withdrawn")]
    client_for(cast.owner).post(
        f"{PIPELINES}{lettings.pk}/stages/reorder/", {"stage_ids": [str(pk) for pk in order]}, format="json"
    )

    body = client_for(cast.member).post("/api/deals/", {"name": "D", "pipeline": str(lettings.pk)}, format="json")

    assert body.json()["stage_name"] == "Offer"
