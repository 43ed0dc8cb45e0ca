"""Boards, columns and cards over the API: one-card moves with If-Match, fractional positions that re-space only
a few neighbours, WIP limits, archive and restore in place, labels, checklists, templates and board roles."""

from __future__ import annotations

import pytest

from boards import positions
from boards.models import Card
from boards.tests.helpers import board, card, columns, order
from common.context import org_context
from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db


def _etag(response) -> str:
    return response.headers["ETag"]


def test_a_member_creates_a_board_with_default_columns_and_loads_it_whole(cast: Cast) -> None:
    api = client_for(cast.member)

    made = api.post("/api/boards/", {"name": "Listings", "visibility": "org"}, format="json")
    loaded = api.get(f"/api/boards/{made.json()['id']}/")

    assert made.status_code == 201, made.json()
    assert made.json()["my_role"] == "editor"
    assert [column["name"] for column in loaded.json()["columns"]] == ["To do", "Doing", "Done"]
    assert [column["is_done"] for column in loaded.json()["columns"]] == [False, False, True]
    assert loaded.json()["cards"] == []


def test_a_viewer_cannot_create_a_board_and_nothing_is_made(cast: Cast) -> None:
    response = client_for(cast.viewer).post("/api/boards/", {"name": "Nope"}, format="json")

    assert response.status_code == 403
    with org_context(cast.org_a):
        from boards.models import Board

        assert not Board.objects.filter(name="Nope").exists()


def test_an_unknown_field_in_a_body_is_a_400(cast: Cast) -> None:
    response = client_for(cast.member).post("/api/boards/", {"name": "X", "org": "forged"}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"]["org"][0]["code"] == "unknown_field"


def test_moving_a_card_between_two_others_takes_the_midpoint_and_changes_no_other_card(cast: Cast) -> None:
    made = board(cast.member)
    todo, doing, _ = columns(made)
    first, second = card(cast.member, made, doing), card(cast.member, made, doing)
    moving = card(cast.member, made, todo)
    api = client_for(cast.member)
    etag = _etag(api.get(f"/api/cards/{moving.pk}/"))

    response = api.post(
        f"/api/cards/{moving.pk}/move/", {"column": str(doing.pk), "after": str(first.pk)},
        format="json", HTTP_IF_MATCH=etag,
    )  # fmt: skip

    assert response.status_code == 200, response.json()
    assert response.json()["position"] == (first.position + second.position) / 2
    assert order(doing) == [str(first.pk), str(moving.pk), str(second.pk)]
    with org_context(cast.org_a):
        assert Card.objects.get(pk=first.pk).position == first.position
        assert Card.objects.get(pk=second.pk).position == second.position


def test_a_stale_move_is_a_412_and_the_card_stays(cast: Cast) -> None:
    made = board(cast.member)
    todo, doing, _ = columns(made)
    moving = card(cast.member, made, todo)
    api = client_for(cast.member)
    stale = _etag(api.get(f"/api/cards/{moving.pk}/"))
    api.patch(f"/api/cards/{moving.pk}/", {"title": "Renamed"}, format="json", HTTP_IF_MATCH=stale)

    response = api.post(
        f"/api/cards/{moving.pk}/move/",
        {"column": str(doing.pk), "after": None},
        format="json",
        HTTP_IF_MATCH=stale,
    )

    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert order(todo) == [str(moving.pk)]


def test_neighbours_too_close_are_respaced_in_a_small_run_not_the_whole_column(cast: Cast) -> None:
    made = board(cast.member)
    todo, doing, _ = columns(made)
    cards = [card(cast.member, made, doing) for _ in range(12)]
    anchor = cards[5]
    with org_context(cast.org_a):
        # Squeeze the neighbour right after the anchor against it, as many moves into one gap would.
        Card.objects.filter(pk=cards[6].pk).update(position=anchor.position + positions.MIN_GAP)
    moving = card(cast.member, made, todo)
    api = client_for(cast.member)

    response = api.post(
        f"/api/cards/{moving.pk}/move/", {"column": str(doing.pk), "after": str(anchor.pk)}, format="json",
        HTTP_IF_MATCH=_etag(api.get(f"/api/cards/{moving.pk}/")),
    )  # fmt: skip

    assert response.status_code == 200, response.json()
    expected = [str(c.pk) for c in cards[:6]] + [str(moving.pk)] + [str(c.pk) for c in cards[6:]]
    assert order(doing) == expected
    with org_context(cast.org_a):
        after = dict(Card.objects.filter(column=doing).values_list("pk", "position"))
    unchanged = [c for c in cards if after[c.pk] == c.position]
    assert len(unchanged) >= 12 - 5  # only a few neighbours around the gap moved
    assert after[cards[0].pk] == cards[0].position and after[cards[11].pk] == cards[11].position


def test_an_enforced_wip_limit_refuses_a_move_and_a_warned_one_lets_it_through(cast: Cast) -> None:
    made = board(cast.member)
    todo, doing, _ = columns(made)
    api = client_for(cast.member)
    api.patch(f"/api/board-columns/{doing.pk}/", {"wip_limit": 1, "wip_mode": "enforce"}, format="json")
    card(cast.member, made, doing)
    moving = card(cast.member, made, todo)

    refused = api.post(f"/api/cards/{moving.pk}/move/", {"column": str(doing.pk), "after": None}, format="json")
    api.patch(f"/api/board-columns/{doing.pk}/", {"wip_mode": "warn"}, format="json")
    allowed = api.post(f"/api/cards/{moving.pk}/move/", {"column": str(doing.pk), "after": None}, format="json")

    assert (refused.status_code, refused.json()["code"]) == (409, "wip_limit_reached")
    assert allowed.status_code == 200


def test_an_archived_card_is_restored_where_it_was(cast: Cast) -> None:
    made = board(cast.member)
    todo = columns(made)[0]
    first, middle, last = (card(cast.member, made, todo) for _ in range(3))
    api = client_for(cast.member)

    assert api.delete(f"/api/cards/{middle.pk}/").status_code == 204
    assert order(todo) == [str(first.pk), str(last.pk)]
    restored = api.post(f"/api/cards/{middle.pk}/restore/")

    assert restored.status_code == 200
    assert order(todo) == [str(first.pk), str(middle.pk), str(last.pk)]


def test_a_card_takes_labels_checklist_assignees_and_a_link_to_a_visible_record(cast: Cast) -> None:
    from leads.models import Lead

    made = board(cast.member)
    api = client_for(cast.member)
    label = api.post(f"/api/boards/{made.pk}/labels/", {"name": "Urgent", "color": "#ff0000"}, format="json")
    with org_context(cast.org_a):
        lead = Lead.objects.create(org=cast.org_a, first_name="Ana", created_by=cast.member)
    created = api.post(
        f"/api/boards/{made.pk}/cards/",
        {"title": "Call Ana", "column": str(columns(made)[0].pk), "label_ids": [label.json()["id"]],
         "assignees": [str(cast.member.pk)], "link_type": "leads.lead", "link_id": str(lead.pk)},
        format="json",
    )  # fmt: skip
    item = api.post(f"/api/cards/{created.json()['id']}/checklist/", {"text": "Dial"}, format="json")
    ticked = api.patch(f"/api/checklist-items/{item.json()['id']}/", {"is_done": True}, format="json")
    loaded = api.get(f"/api/boards/{made.pk}/").json()["cards"][0]

    assert created.status_code == 201, created.json()
    assert ticked.json()["is_done"] is True
    assert (loaded["checklist_total"], loaded["checklist_done"]) == (1, 1)
    assert loaded["label_ids"] == [label.json()["id"]]


def test_a_link_to_a_record_the_member_cannot_see_does_not_exist(cast: Cast) -> None:
    from leads.models import Lead

    made = board(cast.member)
    with org_context(cast.org_a):
        hidden = Lead.objects.create(org=cast.org_a, first_name="Hidden", created_by=cast.manager)
    response = client_for(cast.member).post(
        f"/api/boards/{made.pk}/cards/",
        {"title": "x", "column": str(columns(made)[0].pk), "link_type": "leads.lead", "link_id": str(hidden.pk)},
        format="json",
    )

    assert (response.status_code, response.json()["fields"]["link_id"][0]["code"]) == (400, "does_not_exist")


def test_a_private_board_is_a_404_to_everyone_but_its_creator(cast: Cast) -> None:
    made = board(cast.member, visibility="private")

    for who in (cast.owner, cast.admin, cast.manager, cast.viewer, cast.other_owner):
        assert client_for(who).get(f"/api/boards/{made.pk}/").status_code == 404
    assert client_for(cast.member).get(f"/api/boards/{made.pk}/").status_code == 200


def test_board_roles_decide_writes_and_an_org_viewer_never_writes(cast: Cast) -> None:
    made = board(
        cast.owner, visibility="members",
        members=[{"profile": cast.member.pk, "role": "commenter"}, {"profile": cast.viewer.pk, "role": "editor"}],
    )  # fmt: skip
    todo = columns(made)[0]
    body = {"title": "x", "column": str(todo.pk)}

    commenter = client_for(cast.member).post(f"/api/boards/{made.pk}/cards/", body, format="json")
    viewer = client_for(cast.viewer).post(f"/api/boards/{made.pk}/cards/", body, format="json")
    unlisted = client_for(cast.manager).get(f"/api/boards/{made.pk}/")
    listed = client_for(cast.member).get(f"/api/boards/{made.pk}/")

    assert commenter.status_code == 403
    assert viewer.status_code == 403
    assert unlisted.status_code == 404
    assert listed.json()["board"]["my_role"] == "commenter"


def test_another_orgs_board_column_and_card_are_404_and_their_ids_in_a_body_do_not_exist(cast: Cast) -> None:
    theirs = board(cast.other_owner)
    their_column = columns(theirs)[0]
    their_card = card(cast.other_owner, theirs, their_column)
    mine = board(cast.owner)
    api = client_for(cast.owner)

    assert api.get(f"/api/boards/{theirs.pk}/").status_code == 404
    assert api.get(f"/api/cards/{their_card.pk}/").status_code == 404
    assert api.patch(f"/api/board-columns/{their_column.pk}/", {"name": "x"}, format="json").status_code == 404
    assert api.post(f"/api/cards/{their_card.pk}/move/", {"column": str(their_column.pk), "after": None},
                    format="json").status_code == 404  # fmt: skip
    into_theirs = api.post(
        f"/api/boards/{mine.pk}/cards/", {"title": "x", "column": str(their_column.pk)}, format="json"
    )
    assert (into_theirs.status_code, into_theirs.json()["code"]) == (400, "does_not_exist")


def test_a_board_from_the_listing_launch_template_has_its_checklist(cast: Cast) -> None:
    api = client_for(cast.member)

    made = api.post("/api/boards/from-template/", {"template": "listing-launch"}, format="json")
    loaded = api.get(f"/api/boards/{made.json()['id']}/").json()

    assert made.status_code == 201
    assert [c["name"] for c in loaded["columns"]] == ["Prepare", "Marketing", "Showings", "Offers", "Closed"]
    launch = next(c for c in loaded["cards"] if c["title"] == "Launch checklist")
    assert (launch["checklist_total"], launch["checklist_done"]) == (5, 0)


def test_the_board_load_costs_the_same_queries_for_one_card_and_for_fifty(
    cast: Cast, django_assert_max_num_queries
) -> None:
    small, large = board(cast.member), board(cast.member)
    card(cast.member, small)
    for index in range(50):
        card(cast.member, large, columns(large)[index % 3])
    api = client_for(cast.member)
    api.get(f"/api/boards/{small.pk}/")  # warm the membership cache

    with django_assert_max_num_queries(9) as one:
        api.get(f"/api/boards/{small.pk}/")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(api.get(f"/api/boards/{large.pk}/").json()["cards"]) == 50


def test_archived_is_true_or_false_and_anything_else_is_a_400(cast: Cast) -> None:
    made = board(cast.owner, name="Old")
    client_for(cast.owner).delete(f"/api/boards/{made.pk}/")
    api = client_for(cast.owner)

    archived = api.get("/api/boards/", {"archived": "TRUE"})
    live = api.get("/api/boards/", {"archived": "false"})
    junk = api.get("/api/boards/?archived=null&archived=null")
    cards = api.get(f"/api/boards/{made.pk}/cards/", {"archived": "yes"})

    assert [row["name"] for row in archived.json()["results"]] == ["Old"]
    assert "Old" not in [row["name"] for row in live.json()["results"]]
    error = {"code": "invalid", "detail": "Send true or false."}
    assert (junk.status_code, junk.json()["fields"]) == (400, {"archived": [error]})
    assert cards.status_code == 400
