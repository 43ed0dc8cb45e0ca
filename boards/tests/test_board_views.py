"""Board views over record modules: deals by stage and leads by status, without copying data. The columns are
the module's stages or statuses, the cards its records as its list shows them to the caller, and a move is the
module's own update (pipeline rules, lost reasons, the timeline entry, If-Match)."""

from __future__ import annotations

import pytest

from boards.tests.helpers import board
from common.context import org_context
from deals.models import Deal
from deals.pipeline_services import pipeline_ensure_default
from deals.services import deal_create
from leads.models import Lead
from tenants.testing.fixtures import Cast, client_for
from timeline.models import ActivityEntry

pytestmark = pytest.mark.django_db


def _stages(cast: Cast) -> list:
    with org_context(cast.org_a):
        return list(pipeline_ensure_default(org=cast.org_a).stages.order_by("position"))


def _deal(cast: Cast, actor, **data) -> Deal:
    with org_context(cast.org_a):
        return deal_create(org=cast.org_a, actor=actor, data={"name": "Harbor lease", **data})


def test_a_deal_board_has_the_pipelines_stages_as_columns_and_shows_only_what_the_member_sees(cast: Cast) -> None:
    stages = _stages(cast)
    mine = _deal(cast, cast.member)
    _deal(cast, cast.manager, name="Not yours")
    view = board(cast.owner, name="Deals", source="deals")

    body = client_for(cast.member).get(f"/api/boards/{view.pk}/view/").json()

    assert [column["value"] for column in body["columns"]] == [str(stage.pk) for stage in stages]
    shown = [record["id"] for column in body["columns"] for record in column["records"]]
    assert shown == [str(mine.pk)]
    assert sum(column["count"] for column in body["columns"]) == 1


def test_moving_a_deal_card_runs_the_deals_own_rules_and_writes_its_timeline_entry(cast: Cast) -> None:
    stages = _stages(cast)
    lost = next(stage for stage in stages if stage.kind == "lost")
    deal = _deal(cast, cast.member)
    view = board(cast.owner, name="Deals", source="deals")
    api = client_for(cast.member)
    etag = api.get(f"/api/deals/{deal.pk}/").headers["ETag"]
    url = f"/api/boards/{view.pk}/view/move/"

    no_reason = api.post(url, {"record": str(deal.pk), "to": str(lost.pk)}, format="json", HTTP_IF_MATCH=etag)
    moved = api.post(
        url, {"record": str(deal.pk), "to": str(lost.pk), "changes": {"lost_reason": "Budget"}},
        format="json", HTTP_IF_MATCH=etag,
    )  # fmt: skip
    stale = api.post(url, {"record": str(deal.pk), "to": str(stages[0].pk)}, format="json", HTTP_IF_MATCH=etag)

    assert (no_reason.status_code, no_reason.json()["fields"]["lost_reason"][0]["code"]) == (400, "required")
    assert moved.status_code == 200, moved.json()
    assert moved.json()["record"]["lost_reason"] == "Budget"
    assert stale.status_code == 412
    with org_context(cast.org_a):
        assert Deal.objects.get(pk=deal.pk).stage_id == lost.pk
        assert ActivityEntry.objects.filter(target_id=deal.pk, verb="stage_changed").count() == 1


def test_a_record_the_member_cannot_see_or_of_another_org_does_not_exist_on_the_board(cast: Cast) -> None:
    stages = _stages(cast)
    hidden = _deal(cast, cast.manager)
    view = board(cast.owner, name="Deals", source="deals")
    with org_context(cast.org_b):
        theirs = deal_create(org=cast.org_b, actor=cast.other_owner, data={"name": "Bravo deal"})
    api = client_for(cast.member)

    for record in (hidden, theirs):
        response = api.post(
            f"/api/boards/{view.pk}/view/move/", {"record": str(record.pk), "to": str(stages[1].pk)}, format="json"
        )
        assert (response.status_code, response.json()["code"]) == (400, "does_not_exist")


def test_a_viewer_reads_a_board_view_and_never_moves(cast: Cast) -> None:
    deal = _deal(cast, cast.owner)
    view = board(cast.owner, name="Deals", source="deals")

    response = client_for(cast.viewer).post(
        f"/api/boards/{view.pk}/view/move/",
        {"record": str(deal.pk), "to": str(_stages(cast)[1].pk)},
        format="json",
    )

    assert response.status_code == 403


def test_a_lead_board_shows_leads_by_status_filtered_by_the_boards_own_filters(cast: Cast) -> None:
    with org_context(cast.org_a):
        Lead.objects.create(org=cast.org_a, first_name="Web", source="website", created_by=cast.owner)
        Lead.objects.create(org=cast.org_a, first_name="Call", source="phone", created_by=cast.owner)
    view = board(cast.owner, name="Web leads", source="leads", source_filters={"source": "website"})

    body = client_for(cast.owner).get(f"/api/boards/{view.pk}/view/").json()

    names = [record["first_name"] for column in body["columns"] for record in column["records"]]
    assert names == ["Web"]
    assert body["field"] == "status"


def test_a_deal_board_view_costs_the_same_queries_for_one_deal_and_for_thirty(
    cast: Cast, django_assert_max_num_queries
) -> None:
    view = board(cast.owner, name="Deals", source="deals")
    api = client_for(cast.owner)
    _deal(cast, cast.owner)
    api.get(f"/api/boards/{view.pk}/view/")

    with django_assert_max_num_queries(40) as one:
        api.get(f"/api/boards/{view.pk}/view/")
    for index in range(30):
        _deal(cast, cast.owner, name=f"Deal {index}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        api.get(f"/api/boards/{view.pk}/view/")
