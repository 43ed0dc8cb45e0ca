"""How the role matrix calls the board routes: an org-wide board of org A made by the owner, so every role sees
it and every writer is an editor on it (board roles below the org role are covered in test_boards_api)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tenants.testing.fixtures import Cast
from tenants.testing.matrix import Call


def _made(*, source: str = "", archived: str = "") -> Callable[[Cast], dict[str, Any]]:
    def make(cast: Cast) -> dict[str, Any]:
        from django.utils import timezone

        from boards import services
        from boards.models import Board, Card, ChecklistItem, Column, Label, RecurringCard, Swimlane
        from common.context import org_context

        org, owner = cast.org_a, cast.owner
        with org_context(org):
            data: dict[str, Any] = {"name": "Matrix", "visibility": "members" if source == "members" else "org"}
            if source and source != "members":
                data["source"] = source
            board = services.board_create(org=org, actor=owner, data=data)
            made: dict[str, Any] = {"board_id": board.pk, "profile": str(cast.member.pk)}
            if source == "deals":
                from deals.pipeline_services import pipeline_ensure_default
                from deals.services import deal_create

                stages = list(pipeline_ensure_default(org=org).stages.order_by("position"))
                deal = deal_create(
                    org=org, actor=owner, data={"name": "Matrix deal", "assigned_to": [cast.member.pk]}
                )
                made.update(record=str(deal.pk), to=str(stages[1].pk))
                return made
            if source == "members":
                services.board_member_set(
                    org=org, actor=owner, board_id=board.pk, profile_id=cast.member.pk, role="editor"
                )
            column = Column.objects.get(board=board, name="To do")
            card = services.card_create(
                org=org, actor=owner, board_id=board.pk, data={"title": "M", "column": column.pk}
            )
            lane = Swimlane(org=org, board=board, name="Lane", position=1.0, created_by=owner)
            lane.save()
            label = Label(org=org, board=board, name="L", created_by=owner)
            label.save()
            item = ChecklistItem(org=org, card=card, text="Do", position=1.0, created_by=owner)
            item.save()
            rule = RecurringCard(
                org=org,
                board=board,
                column=column,
                title="R",
                frequency="daily",
                next_run_on=timezone.localdate(),
                created_by=owner,
            )
            rule.save()
            if archived == "board":
                Board.objects.filter(pk=board.pk).update(archived_at=timezone.now())
            if archived == "column":
                Column.objects.filter(pk=column.pk).update(archived_at=timezone.now())
            if archived == "card":
                Card.objects.filter(pk=card.pk).update(archived_at=timezone.now())
            made.update(
                column_id=column.pk,
                card_id=card.pk,
                swimlane_id=lane.pk,
                label_id=label.pk,
                item_id=item.pk,
                recurring_id=rule.pk,
                column=str(column.pk),
            )
        return made

    return make


def _kw(*names: str) -> Callable[[Cast, dict[str, Any]], dict[str, Any]]:
    return lambda cast, made: {name: made[name] for name in names}


MADE = _made()
BOARD = _kw("board_id")
# The board itself (name, sharing, archive) is its creator's (the owner here) and the org's admins'.
MANAGE = {"manager": 403, "member": 403}
# A members-only board listing only the member: unlisted managers and viewers do not see it.
LISTED = {"manager": 404, "viewer": 404}

MATRIX_SPECS: dict[str, dict[str, Call]] = {
    "api:boards": {"GET": Call(), "POST": Call(status=201, body={"name": "Matrix board"})},
    "api:board-from-template": {"POST": Call(status=201, body={"template": "sales-follow-up"})},
    "api:board-templates": {"GET": Call()},
    "api:board-detail": {
        "GET": Call(setup=MADE, kwargs=BOARD),
        "PATCH": Call(setup=MADE, kwargs=BOARD, body={"name": "Renamed"}, overrides=MANAGE),
        "DELETE": Call(status=204, setup=MADE, kwargs=BOARD, overrides=MANAGE),
    },
    "api:board-restore": {"POST": Call(setup=_made(archived="board"), kwargs=BOARD, overrides=MANAGE)},
    "api:board-members": {
        "GET": Call(setup=_made(source="members"), kwargs=BOARD, overrides=LISTED),
        "POST": Call(
            setup=_made(source="members"),
            kwargs=BOARD,
            body=lambda cast, made: {"profile": made["profile"], "role": "viewer"},
            overrides={"manager": 404, "member": 403},
        ),
    },
    "api:board-member-detail": {
        "DELETE": Call(
            status=204,
            setup=_made(source="members"),
            kwargs=lambda cast, made: {"board_id": made["board_id"], "profile_id": made["profile"]},
            overrides={"manager": 404, "member": 403},
        )
    },
    "api:board-columns": {"POST": Call(status=201, setup=MADE, kwargs=BOARD, body={"name": "QA"})},
    "api:board-swimlanes": {"POST": Call(status=201, setup=MADE, kwargs=BOARD, body={"name": "Team B"})},
    "api:board-labels": {
        "GET": Call(setup=MADE, kwargs=BOARD),
        "POST": Call(status=201, setup=MADE, kwargs=BOARD, body={"name": "New"}),
    },
    "api:board-cards": {
        "GET": Call(setup=MADE, kwargs=BOARD),
        "POST": Call(
            status=201, setup=MADE, kwargs=BOARD, body=lambda cast, made: {"title": "T", "column": made["column"]}
        ),
    },
    "api:board-recurring": {
        "GET": Call(setup=MADE, kwargs=BOARD),
        "POST": Call(
            status=201,
            setup=MADE,
            kwargs=BOARD,
            body=lambda cast, made: {"title": "Weekly", "column": made["column"], "frequency": "weekly"},
        ),
    },
    "api:board-view": {"GET": Call(setup=_made(source="deals"), kwargs=BOARD)},
    "api:board-view-move": {
        "POST": Call(
            setup=_made(source="deals"),
            kwargs=BOARD,
            body=lambda cast, made: {"record": made["record"], "to": made["to"]},
        )
    },
    "api:board-column-detail": {
        "PATCH": Call(setup=MADE, kwargs=_kw("column_id"), body={"name": "Renamed"}),
        "DELETE": Call(status=204, setup=MADE, kwargs=_kw("column_id")),
    },
    "api:board-column-restore": {"POST": Call(setup=_made(archived="column"), kwargs=_kw("column_id"))},
    "api:board-swimlane-detail": {
        "PATCH": Call(setup=MADE, kwargs=_kw("swimlane_id"), body={"name": "Renamed"}),
        "DELETE": Call(status=204, setup=MADE, kwargs=_kw("swimlane_id")),
    },
    "api:board-label-detail": {
        "PATCH": Call(setup=MADE, kwargs=_kw("label_id"), body={"color": "#00ff00"}),
        "DELETE": Call(status=204, setup=MADE, kwargs=_kw("label_id")),
    },
    "api:card-detail": {
        "GET": Call(setup=MADE, kwargs=_kw("card_id")),
        "PATCH": Call(setup=MADE, kwargs=_kw("card_id"), body={"title": "Renamed"}),
        "DELETE": Call(status=204, setup=MADE, kwargs=_kw("card_id")),
    },
    "api:card-move": {
        "POST": Call(
            setup=MADE, kwargs=_kw("card_id"), body=lambda cast, made: {"column": made["column"], "after": None}
        )
    },
    "api:card-restore": {"POST": Call(setup=_made(archived="card"), kwargs=_kw("card_id"))},
    "api:card-checklist": {"POST": Call(status=201, setup=MADE, kwargs=_kw("card_id"), body={"text": "More"})},
    "api:card-timeline": {"GET": Call(setup=MADE, kwargs=_kw("card_id"))},
    "api:checklist-item-detail": {
        "PATCH": Call(setup=MADE, kwargs=_kw("item_id"), body={"is_done": True}),
        "DELETE": Call(status=204, setup=MADE, kwargs=_kw("item_id")),
    },
    "api:recurring-card-detail": {
        "PATCH": Call(setup=MADE, kwargs=_kw("recurring_id"), body={"is_active": False}),
        "DELETE": Call(status=204, setup=MADE, kwargs=_kw("recurring_id")),
    },
}
