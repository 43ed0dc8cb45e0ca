"""Boards for tests, made through the services as the API makes them."""

from __future__ import annotations

from typing import Any

from boards import services
from boards.models import Board, Card, Column
from common.context import org_context
from common.models import Profile


def board(actor: Profile, **data: Any) -> Board:
    with org_context(actor.org):
        return services.board_create(org=actor.org, actor=actor, data={"name": "Launch", **data})


def columns(made: Board) -> list[Column]:
    with org_context(made.org):
        return list(Column.objects.for_org(made.org).filter(board=made).order_by("position"))


def card(actor: Profile, made: Board, column: Column | None = None, **data: Any) -> Card:
    with org_context(actor.org):
        column = column or columns(made)[0]
        return services.card_create(
            org=actor.org, actor=actor, board_id=made.pk, data={"title": "A card", "column": column.pk, **data}
        )


def order(column: Column) -> list[str]:
    with org_context(column.org):
        return [
            str(pk)
            for pk in Card.objects.for_org(column.org)
            .filter(column=column, archived_at__isnull=True)
            .order_by("position")
            .values_list("pk", flat=True)
        ]
