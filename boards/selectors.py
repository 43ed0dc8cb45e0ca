"""Reads: a board, column, card or checklist item by id (the same 404 for missing, another org's or not visible),
the boards a member sees, and a whole board in a flat number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from boards.access import board_role, listed_role, visible_boards
from boards.models import Board, BoardMember, Card, ChecklistItem, Column, Label, RecurringCard, Swimlane
from common.errors import NotFound
from common.models import Profile


@dataclass(frozen=True)
class Seen:
    """A board the actor sees, with their role on it."""

    board: Board
    role: str


def boards(org: Any, actor: Profile, *, archived: bool = False) -> QuerySet[Board]:
    return visible_boards(org, actor).filter(archived_at__isnull=not archived)


def board_of(org: Any, actor: Profile, board_id: Any, *, lock: bool = False) -> Seen:
    queryset = Board.objects.for_org(org).filter(pk=board_id)
    if lock:
        queryset = queryset.select_for_update()
    board = queryset.first()
    if board is None:
        raise NotFound()
    return _seen(org, actor, board)


def _seen(org: Any, actor: Profile, board: Board) -> Seen:
    role = board_role(board, actor, listed_role(org, board, actor))
    if role is None:
        raise NotFound()
    return Seen(board, role)


def _on_board(org: Any, actor: Profile, model: Any, object_id: Any, *, lock: bool = False) -> tuple[Any, Seen]:
    # The board comes in the same query (a card move or edit reads it on every call).
    queryset = model.objects.for_org(org).filter(pk=object_id).select_related("board")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    found = queryset.first()
    if found is None:
        raise NotFound()
    return found, _seen(org, actor, found.board)


def column_of(org: Any, actor: Profile, column_id: Any, *, lock: bool = False) -> tuple[Column, Seen]:
    return _on_board(org, actor, Column, column_id, lock=lock)


def swimlane_of(org: Any, actor: Profile, swimlane_id: Any, *, lock: bool = False) -> tuple[Swimlane, Seen]:
    return _on_board(org, actor, Swimlane, swimlane_id, lock=lock)


def label_of(org: Any, actor: Profile, label_id: Any) -> tuple[Label, Seen]:
    return _on_board(org, actor, Label, label_id)


def card_of(org: Any, actor: Profile, card_id: Any, *, lock: bool = False) -> tuple[Card, Seen]:
    return _on_board(org, actor, Card, card_id, lock=lock)


def recurring_of(org: Any, actor: Profile, recurring_id: Any) -> tuple[RecurringCard, Seen]:
    return _on_board(org, actor, RecurringCard, recurring_id)


def checklist_item_of(org: Any, actor: Profile, item_id: Any) -> tuple[ChecklistItem, Card, Seen]:
    item = ChecklistItem.objects.for_org(org).filter(pk=item_id).first()
    if item is None:
        raise NotFound()
    card, seen = card_of(org, actor, item.card_id)
    return item, card, seen


def cards_with_counts(org: Any) -> Any:
    return Card.objects.for_org(org).annotate(
        checklist_total=Count("checklist"), checklist_done=Count("checklist", filter=Q(checklist__is_done=True))
    )


def board_members(org: Any, board: Board) -> list[dict[str, Any]]:
    return [
        {"profile": str(profile_id), "role": role}
        for profile_id, role in BoardMember.objects.for_org(org)
        .filter(board=board)
        .order_by("created_at")
        .values_list("profile_id", "role")
    ]


CARD_FIELDS = (
    "id", "column_id", "swimlane_id", "position", "title", "assignees", "label_ids", "due_at", "cover_url",
    "link_type", "link_id", "archived_at", "updated_at", "checklist_total", "checklist_done",
)  # fmt: skip


def board_content(org: Any, board: Board) -> dict[str, Any]:
    """Columns, swimlanes, labels and every live card (with its checklist counts) of a board: six queries
    whatever its size, rows read as values (no model instances for thousands of cards)."""
    columns = list(
        Column.objects.for_org(org)
        .filter(board=board, archived_at__isnull=True)
        .values("id", "name", "color", "position", "wip_limit", "wip_mode", "is_done", "updated_at")
    )
    swimlanes = list(
        Swimlane.objects.for_org(org)
        .filter(board=board, archived_at__isnull=True)
        .values("id", "name", "position")
    )
    labels = list(Label.objects.for_org(org).filter(board=board).values("id", "name", "color"))
    live_columns = [column["id"] for column in columns]
    cards = list(
        Card.objects.for_org(org)
        .filter(board=board, column_id__in=live_columns, archived_at__isnull=True)
        .order_by("position")
        .values(*CARD_FIELDS[:-2])
    )
    # Checklist counts in one grouped query over the board's items, not a join and a GROUP BY over its cards.
    counts = {
        row["card_id"]: (row["total"], row["done"])
        for row in ChecklistItem.objects.for_org(org)
        .filter(card__board=board)
        .order_by()
        .values("card_id")
        .annotate(total=Count("pk"), done=Count("pk", filter=Q(is_done=True)))
    }
    for card in cards:
        card["checklist_total"], card["checklist_done"] = counts.get(card["id"], (0, 0))
    return {"columns": columns, "swimlanes": swimlanes, "labels": labels, "cards": cards}
