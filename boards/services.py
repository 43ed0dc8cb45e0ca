"""Board writes: boards, members, columns, swimlanes, labels, cards (with one-card moves), checklists and
recurring cards. Each is one transaction; live updates go out after it commits.

A move locks the card, checks its version (If-Match), then locks the target column: moves into one column
queue behind each other, so each computes its place from committed neighbours and the order stays
duplicate-free; locks are always taken card first, then column, so two moves never wait on each other."""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from boards import positions, selectors
from boards.access import BoardForbidden, board_audience, may_manage, require_role
from boards.models import (
    Board,
    BoardMember,
    BoardRole,
    Card,
    ChecklistItem,
    Column,
    Frequency,
    Label,
    RecurringCard,
    Swimlane,
    Visibility,
    WipMode,
)
from common import registry
from common.errors import Conflict, NotFound, field_error
from common.models import Profile
from realtime.events import publish
from records.ports import journal
from records.services import if_match_check
from records.visibility import visible_records

EDITOR = BoardRole.EDITOR


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (datetime.date, datetime.datetime)) else value


def card_data(card: Card) -> dict[str, Any]:
    return {
        "id": str(card.pk),
        "board": str(card.board_id),
        "column": str(card.column_id),
        "swimlane": str(card.swimlane_id) if card.swimlane_id else None,
        "position": card.position,
        "title": card.title,
        "archived": card.archived_at is not None,
    }


def _log(card: Card, actor: Profile, verb: str, changes: dict[str, list[Any]] | None = None) -> None:
    """The card's timeline entry (its comments and files sit beside these, through the timeline)."""
    journal().activity(
        org=card.org, actor=actor, verb=verb, target_type="boards.card", target_id=card.pk,
        changes=json.loads(json.dumps(changes or {}, cls=DjangoJSONEncoder)),
    )  # fmt: skip


def _emit(board: Board, event: str, data: dict[str, Any]) -> None:
    publish(board.org_id, event, {"board": str(board.pk), **data}, board_audience(board))


def _manage_check(board: Board, actor: Profile) -> None:
    if not may_manage(board, actor):
        raise BoardForbidden("Only the board's creator and the org's admins may change the board itself.")


def _live(obj: Any, what: str) -> None:
    if obj.archived_at is not None:
        raise Conflict(f"This {what} is archived. Restore it first.", code="archived")


def _profiles_check(org: Any, ids: Sequence[Any], name: str) -> list[Any]:
    ids = list(dict.fromkeys(ids))
    found = set(Profile.objects.filter(org=org, pk__in=ids, removed_at__isnull=True).values_list("pk", flat=True))
    if len(found) != len(ids):
        raise field_error(name, "does_not_exist", "No such member in this org.")
    return ids


def _labels_check(org: Any, board: Board, ids: Sequence[Any]) -> list[Any]:
    ids = list(dict.fromkeys(ids))
    found = Label.objects.for_org(org).filter(board=board, pk__in=ids).count()
    if found != len(ids):
        raise field_error("label_ids", "does_not_exist", "No such label on this board.")
    return ids


def _link_check(org: Any, actor: Profile, link_type: str, link_id: Any) -> None:
    """A card links to a record the actor sees, of any record type; anything else does not exist."""
    model = registry.record_models().get(link_type)
    if model is None:
        raise field_error("link_type", "invalid_choice", f"{link_type!r} is not a record type.")
    if not visible_records(model.objects.for_org(org), actor).filter(pk=link_id).exists():
        raise field_error("link_id", "does_not_exist", "No such record in this org.")


# --- Boards -------------------------------------------------------------------------------------------------


def board_create(*, org: Any, actor: Profile, data: dict[str, Any]) -> Board:
    data = dict(data)
    members = data.pop("members", [])
    columns = data.pop("columns", None)
    with transaction.atomic():
        if data.get("source"):
            _source_check(data["source"])
        board = Board(org=org, created_by=actor, updated_by=actor, **data)
        board.save()
        _members_set(org, actor, board, members)
        if not board.source:
            for index, name in enumerate(columns if columns is not None else ["To do", "Doing", "Done"], 1):
                Column(org=org, board=board, name=name, position=index * positions.GAP, created_by=actor,
                       is_done=columns is None and name == "Done").save()  # fmt: skip
    return board


def _source_check(source: str) -> None:
    if source not in registry.board_fields():
        raise field_error("source", "invalid_choice", f"{source!r} is not a record module a board can show.")


def _members_set(org: Any, actor: Profile, board: Board, members: list[dict[str, Any]]) -> None:
    ids = _profiles_check(org, [member["profile"] for member in members], "members")
    roles = {member["profile"]: member.get("role", EDITOR) for member in members}
    BoardMember.objects.for_org(org).filter(board=board).exclude(profile_id__in=ids).delete()
    existing = {
        member.profile_id: member
        for member in BoardMember.objects.for_org(org).filter(board=board, profile_id__in=ids)
    }
    for profile_id in ids:
        member = existing.get(profile_id) or BoardMember(
            org=org, board=board, profile_id=profile_id, created_by=actor
        )
        member.role = roles[profile_id]
        member.updated_by = actor
        member.save()


def board_update(*, org: Any, actor: Profile, board_id: Any, data: dict[str, Any], if_match: str | None) -> Board:
    data = dict(data)
    with transaction.atomic():
        board = selectors.board_of(org, actor, board_id, lock=True).board
        _manage_check(board, actor)
        if_match_check(board, if_match)
        _live(board, "board")
        if "members" in data:
            _members_set(org, actor, board, data.pop("members"))
        for name, value in data.items():
            setattr(board, name, value)
        board.updated_by = actor
        board.save()
        _emit(board, "board.updated", {"name": board.name})
    return board


def board_archive(*, org: Any, actor: Profile, board_id: Any, archive: bool = True) -> Board:
    with transaction.atomic():
        board = selectors.board_of(org, actor, board_id, lock=True).board
        _manage_check(board, actor)
        board.archived_at = timezone.now() if archive else None
        board.updated_by = actor
        board.save()
        _emit(board, "board.archived" if archive else "board.restored", {})
    return board


def board_member_remove(*, org: Any, actor: Profile, board_id: Any, profile_id: Any) -> None:
    with transaction.atomic():
        board = selectors.board_of(org, actor, board_id, lock=True).board
        _manage_check(board, actor)
        deleted, _ = BoardMember.objects.for_org(org).filter(board=board, profile_id=profile_id).delete()
        if not deleted:
            raise NotFound()


def board_member_set(*, org: Any, actor: Profile, board_id: Any, profile_id: Any, role: str) -> BoardMember:
    with transaction.atomic():
        board = selectors.board_of(org, actor, board_id, lock=True).board
        _manage_check(board, actor)
        if board.visibility != Visibility.MEMBERS:
            raise Conflict("Only a board shared with listed members has a member list.", code="not_members_board")
        _profiles_check(org, [profile_id], "profile")
        member = BoardMember.objects.for_org(org).filter(board=board, profile_id=profile_id).first()
        member = member or BoardMember(org=org, board=board, profile_id=profile_id, created_by=actor)
        member.role, member.updated_by = role, actor
        member.save()
    return member


# --- Columns and swimlanes ----------------------------------------------------------------------------------


def _editable_board(org: Any, actor: Profile, board_id: Any) -> Board:
    seen = selectors.board_of(org, actor, board_id)
    require_role(seen.role, EDITOR)
    _live(seen.board, "board")
    if seen.board.source:
        raise Conflict("A board view's columns are its module's statuses.", code="board_view")
    return seen.board


def _end_position(model: Any, org: Any, **where: Any) -> float:
    last = model.objects.for_org(org).filter(**where).aggregate(last=Max("position"))["last"]
    return (last or 0.0) + positions.GAP


def column_create(*, org: Any, actor: Profile, board_id: Any, data: dict[str, Any]) -> Column:
    with transaction.atomic():
        board = _editable_board(org, actor, board_id)
        Board.objects.for_org(org).select_for_update().filter(pk=board.pk).first()
        column = Column(org=org, board=board, created_by=actor, updated_by=actor,
                        position=_end_position(Column, org, board=board), **data)  # fmt: skip
        column.save()
        _emit(board, "column.created", {"column": str(column.pk), "name": column.name})
    return column


def column_update(
    *, org: Any, actor: Profile, column_id: Any, data: dict[str, Any], if_match: str | None
) -> Column:
    with transaction.atomic():
        column, seen = selectors.column_of(org, actor, column_id, lock=True)
        require_role(seen.role, EDITOR)
        if_match_check(column, if_match)
        _live(column, "column")
        after = data.pop("after", ...)
        for name, value in data.items():
            setattr(column, name, value)
        if after is not ...:
            column.position = _column_place(org, column, after)
        column.updated_by = actor
        column.save()
        _emit(seen.board, "column.updated", {"column": str(column.pk), "position": column.position})
    return column


def _column_place(org: Any, column: Column, after_id: Any) -> float:
    siblings = Column.objects.for_org(org).filter(board_id=column.board_id).exclude(pk=column.pk)
    return _place_in(siblings, after_id, "after")


def _place_in(siblings: Any, after_id: Any, name: str) -> float:
    """A place after `after_id` (None: first) among `siblings`, re-spacing the fewest neighbours if needed."""
    if after_id is None:
        lower = None
    else:
        lower = siblings.filter(pk=after_id).values_list("position", flat=True).first()
        if lower is None:
            raise field_error(name, "does_not_exist", "No such card or column here.")
    above = siblings if lower is None else siblings.filter(position__gt=lower)
    upper = above.order_by("position").values_list("position", flat=True).first()

    def window(k: int) -> tuple[list[tuple[Any, float]], list[tuple[Any, float]]]:
        below: list[tuple[Any, float]] = []
        if lower is not None:
            nearest_below = (
                siblings.filter(position__lte=lower).order_by("-position").values_list("pk", "position")
            )
            below = list(nearest_below[: k + 1])
        return below, list(above.order_by("position").values_list("pk", "position")[: k + 1])

    placement = positions.place(lower, upper, window)
    if placement.respaced:
        model = siblings.model
        rows = [model(pk=pk, position=value) for pk, value in placement.respaced]
        model.objects.bulk_update(rows, ["position"])
    return placement.position


def column_archive(*, org: Any, actor: Profile, column_id: Any, archive: bool = True) -> Column:
    with transaction.atomic():
        column, seen = selectors.column_of(org, actor, column_id, lock=True)
        require_role(seen.role, EDITOR)
        column.archived_at = timezone.now() if archive else None
        column.updated_by = actor
        column.save()
        _emit(seen.board, "column.archived" if archive else "column.restored", {"column": str(column.pk)})
    return column


def swimlane_create(*, org: Any, actor: Profile, board_id: Any, data: dict[str, Any]) -> Swimlane:
    with transaction.atomic():
        board = _editable_board(org, actor, board_id)
        Board.objects.for_org(org).select_for_update().filter(pk=board.pk).first()
        lane = Swimlane(org=org, board=board, created_by=actor, updated_by=actor,
                        position=_end_position(Swimlane, org, board=board), **data)  # fmt: skip
        lane.save()
        _emit(board, "swimlane.created", {"swimlane": str(lane.pk), "name": lane.name})
    return lane


def swimlane_update(*, org: Any, actor: Profile, swimlane_id: Any, data: dict[str, Any]) -> Swimlane:
    with transaction.atomic():
        lane, seen = selectors.swimlane_of(org, actor, swimlane_id, lock=True)
        require_role(seen.role, EDITOR)
        for name, value in data.items():
            setattr(lane, name, value)
        lane.updated_by = actor
        lane.save()
        _emit(seen.board, "swimlane.updated", {"swimlane": str(lane.pk)})
    return lane


def swimlane_archive(*, org: Any, actor: Profile, swimlane_id: Any) -> None:
    with transaction.atomic():
        lane, seen = selectors.swimlane_of(org, actor, swimlane_id, lock=True)
        require_role(seen.role, EDITOR)
        lane.archived_at = timezone.now()
        lane.save()
        _emit(seen.board, "swimlane.archived", {"swimlane": str(lane.pk)})


# --- Labels -------------------------------------------------------------------------------------------------


def label_create(*, org: Any, actor: Profile, board_id: Any, data: dict[str, Any]) -> Label:
    with transaction.atomic():
        seen = selectors.board_of(org, actor, board_id)
        require_role(seen.role, EDITOR)
        if Label.objects.for_org(org).filter(board=seen.board, name=data["name"]).exists():
            raise field_error("name", "unique", "This board already has a label with this name.")
        label = Label(org=org, board=seen.board, created_by=actor, updated_by=actor, **data)
        label.save()
    return label


def label_update(*, org: Any, actor: Profile, label_id: Any, data: dict[str, Any]) -> Label:
    with transaction.atomic():
        label, seen = selectors.label_of(org, actor, label_id)
        require_role(seen.role, EDITOR)
        if (
            "name" in data
            and Label.objects.for_org(org)
            .filter(board=seen.board, name=data["name"])
            .exclude(pk=label.pk)
            .exists()
        ):
            raise field_error("name", "unique", "This board already has a label with this name.")
        for name, value in data.items():
            setattr(label, name, value)
        label.updated_by = actor
        label.save()
    return label


def label_delete(*, org: Any, actor: Profile, label_id: Any) -> None:
    with transaction.atomic():
        label, seen = selectors.label_of(org, actor, label_id)
        require_role(seen.role, EDITOR)
        for card in Card.objects.for_org(org).filter(board=seen.board, label_ids__contains=[label.pk]):
            card.label_ids = [pk for pk in card.label_ids if pk != label.pk]
            card.save(update_fields=["label_ids"])
        label.delete()


# --- Cards --------------------------------------------------------------------------------------------------


def _card_fields_check(org: Any, actor: Profile, board: Board, data: dict[str, Any], card: Card | None) -> None:
    if "assignees" in data:
        data["assignees"] = _profiles_check(org, data["assignees"], "assignees")
    if "label_ids" in data:
        data["label_ids"] = _labels_check(org, board, data["label_ids"])
    if "swimlane" in data and data["swimlane"] is not None:
        lane = Swimlane.objects.for_org(org).filter(pk=data["swimlane"], board=board).first()
        if lane is None:
            raise field_error("swimlane", "does_not_exist", "No such swimlane on this board.")
        data["swimlane"] = lane
    link_type = data.get("link_type", card.link_type if card else "")
    link_id = data.get("link_id", card.link_id if card else None)
    if ("link_type" in data or "link_id" in data) and (link_type or link_id):
        if not link_type or not link_id:
            raise field_error("link_id", "required", "A link needs both `link_type` and `link_id`.")
        _link_check(org, actor, link_type, link_id)


def _wip_check(org: Any, column: Column, moving: Card | None) -> None:
    if column.wip_limit is None or column.wip_mode != WipMode.ENFORCE:
        return
    live = Card.objects.for_org(org).filter(column=column, archived_at__isnull=True)
    if moving is not None:
        live = live.exclude(pk=moving.pk)
    if live.count() >= column.wip_limit:
        raise Conflict(
            f"The column {column.name!r} holds its limit of {column.wip_limit} cards.", code="wip_limit_reached"
        )


def _target_column(org: Any, board: Board, column_id: Any) -> Column:
    column = (
        Column.objects.for_org(org)
        .select_for_update()
        .filter(pk=column_id, board=board, archived_at__isnull=True)
        .first()
    )
    if column is None:
        raise field_error("column", "does_not_exist", "No such column on this board.")
    return column


def card_create(*, org: Any, actor: Profile, board_id: Any, data: dict[str, Any]) -> Card:
    data = dict(data)
    with transaction.atomic():
        board = _editable_board(org, actor, board_id)
        _card_fields_check(org, actor, board, data, None)
        column = _target_column(org, board, data.pop("column"))
        _wip_check(org, column, None)
        after = data.pop("after", None)
        siblings = Card.objects.for_org(org).filter(column=column)
        position = _place_in(siblings, after, "after") if after else _end_position(Card, org, column=column)
        card = Card(
            org=org, board=board, column=column, position=position, created_by=actor, updated_by=actor, **data
        )
        card.save()
        _log(card, actor, "created")
        _emit(board, "card.created", {"card": card_data(card)})
    return card


def card_update(*, org: Any, actor: Profile, card_id: Any, data: dict[str, Any], if_match: str | None) -> Card:
    data = dict(data)
    with transaction.atomic():
        card, seen = selectors.card_of(org, actor, card_id, lock=True)
        require_role(seen.role, EDITOR)
        if_match_check(card, if_match)
        _live(card, "card")
        _card_fields_check(org, actor, seen.board, data, card)
        before = {name: getattr(card, name) for name in data}
        for name, value in data.items():
            setattr(card, name, value)
        card.updated_by = actor
        card.save()
        changed = {
            name: [before[name], getattr(card, name)] for name in data if before[name] != getattr(card, name)
        }
        if changed:
            _log(card, actor, "updated", changed)
        _emit(seen.board, "card.updated", {"card": card_data(card), "fields": sorted(data)})
    return card


def card_move(
    *, org: Any, actor: Profile, card_id: Any, column_id: Any, after_id: Any, if_match: str | None,
    swimlane_id: Any = ...,
) -> Card:  # fmt: skip
    """One card to a place in a column (after `after_id`, or first), with the card's version."""
    with transaction.atomic():
        card, seen = selectors.card_of(org, actor, card_id, lock=True)
        require_role(seen.role, EDITOR)
        if_match_check(card, if_match)
        _live(card, "card")
        _live(seen.board, "board")
        column = _target_column(org, seen.board, column_id)
        if column.pk != card.column_id:
            _wip_check(org, column, card)
        if after_id is not None and str(after_id) == str(card.pk):
            raise field_error("after", "invalid", "A card cannot go after itself.")
        siblings = Card.objects.for_org(org).filter(column=column).exclude(pk=card.pk)
        card.position = _place_in(siblings, after_id, "after")
        moved: dict[str, list[Any]] = {"column": [card.column_id, column.pk], "swimlane": [card.swimlane_id]}
        card.column = column
        if swimlane_id is not ...:
            card.swimlane = None
            if swimlane_id is not None:
                lane = Swimlane.objects.for_org(org).filter(pk=swimlane_id, board=seen.board).first()
                if lane is None:
                    raise field_error("swimlane", "does_not_exist", "No such swimlane on this board.")
                card.swimlane = lane
        card.updated_by = actor
        card.save()
        moved["swimlane"].append(card.swimlane_id)
        _log(card, actor, "moved", {name: pair for name, pair in moved.items() if pair[0] != pair[1]})
        _emit(seen.board, "card.moved", {"card": card_data(card)})
    return card


def card_archive(*, org: Any, actor: Profile, card_id: Any, archive: bool = True) -> Card:
    """Archive keeps the card's column and slot; restore puts it back there (its column must be live)."""
    with transaction.atomic():
        card, seen = selectors.card_of(org, actor, card_id, lock=True)
        require_role(seen.role, EDITOR)
        if not archive and card.archived_at is not None:
            column = Column.objects.for_org(org).get(pk=card.column_id)
            _live(column, "card's column")
            _wip_check(org, column, card)
        card.archived_at = timezone.now() if archive else None
        card.updated_by = actor
        card.save()
        _log(card, actor, "archived" if archive else "restored")
        _emit(seen.board, "card.archived" if archive else "card.restored", {"card": card_data(card)})
    return card


# --- Checklists ---------------------------------------------------------------------------------------------


def checklist_add(*, org: Any, actor: Profile, card_id: Any, data: dict[str, Any]) -> ChecklistItem:
    with transaction.atomic():
        card, seen = selectors.card_of(org, actor, card_id, lock=True)
        require_role(seen.role, EDITOR)
        _live(card, "card")
        if data.get("assignee"):
            _profiles_check(org, [data["assignee"]], "assignee")
        item = ChecklistItem(org=org, card=card, created_by=actor, updated_by=actor,
                             position=_end_position(ChecklistItem, org, card=card), **data)  # fmt: skip
        item.save()
        card.save(update_fields=["updated_at"])
        _emit(seen.board, "card.updated", {"card": card_data(card), "fields": ["checklist"]})
    return item


def checklist_update(*, org: Any, actor: Profile, item_id: Any, data: dict[str, Any]) -> ChecklistItem:
    with transaction.atomic():
        item, card, seen = selectors.checklist_item_of(org, actor, item_id)
        require_role(seen.role, EDITOR)
        _live(card, "card")
        if data.get("assignee"):
            _profiles_check(org, [data["assignee"]], "assignee")
        for name, value in data.items():
            setattr(item, name, value)
        item.updated_by = actor
        item.save()
        card.save(update_fields=["updated_at"])
        _emit(seen.board, "card.updated", {"card": card_data(card), "fields": ["checklist"]})
    return item


def checklist_delete(*, org: Any, actor: Profile, item_id: Any) -> None:
    with transaction.atomic():
        item, card, seen = selectors.checklist_item_of(org, actor, item_id)
        require_role(seen.role, EDITOR)
        _live(card, "card")
        item.delete()
        card.save(update_fields=["updated_at"])
        _emit(seen.board, "card.updated", {"card": card_data(card), "fields": ["checklist"]})


# --- Recurring cards ----------------------------------------------------------------------------------------


def next_run_after(day: datetime.date, frequency: str, month_day: int | None = None) -> datetime.date:
    """The period after `day`. Monthly: on `month_day` (default: `day`'s), or the month's last day if it is
    shorter."""
    if frequency == Frequency.DAILY:
        return day + datetime.timedelta(days=1)
    if frequency == Frequency.WEEKLY:
        return day + datetime.timedelta(days=7)
    import calendar

    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return datetime.date(year, month, min(month_day or day.day, calendar.monthrange(year, month)[1]))


def recurring_create(*, org: Any, actor: Profile, board_id: Any, data: dict[str, Any]) -> RecurringCard:
    data = dict(data)
    with transaction.atomic():
        board = _editable_board(org, actor, board_id)
        column = _target_column(org, board, data.pop("column"))
        if data.get("assignees"):
            data["assignees"] = _profiles_check(org, data["assignees"], "assignees")
        data.setdefault("next_run_on", timezone.localdate())
        data["month_day"] = data["next_run_on"].day
        rule = RecurringCard(org=org, board=board, column=column, created_by=actor, updated_by=actor, **data)
        rule.save()
    return rule


def recurring_update(*, org: Any, actor: Profile, recurring_id: Any, data: dict[str, Any]) -> RecurringCard:
    with transaction.atomic():
        rule, seen = selectors.recurring_of(org, actor, recurring_id)
        require_role(seen.role, EDITOR)
        if "column" in data:
            data["column"] = _target_column(org, seen.board, data["column"])
        if data.get("assignees"):
            data["assignees"] = _profiles_check(org, data["assignees"], "assignees")
        if "next_run_on" in data:
            data["month_day"] = data["next_run_on"].day
        for name, value in data.items():
            setattr(rule, name, value)
        rule.updated_by = actor
        rule.save()
    return rule


def recurring_delete(*, org: Any, actor: Profile, recurring_id: Any) -> None:
    with transaction.atomic():
        rule, seen = selectors.recurring_of(org, actor, recurring_id)
        require_role(seen.role, EDITOR)
        rule.delete()


def recurring_run(*, org: Any, today: datetime.date) -> int:
    """Make every due recurring card of the org, once per period: rows another run holds are skipped, and the
    (rule, period) constraint refuses a second card for a period."""
    made = 0
    due = (
        RecurringCard.objects.for_org(org)
        .filter(is_active=True, next_run_on__lte=today)
        .values_list("pk", flat=True)
    )
    for rule_id in list(due):
        with transaction.atomic():
            rule = (
                RecurringCard.objects.for_org(org).select_for_update(skip_locked=True)
                .filter(pk=rule_id, is_active=True, next_run_on__lte=today)
                .select_related("board", "column").first()
            )  # fmt: skip
            if rule is None:
                continue
            period = rule.next_run_on
            board, column = rule.board, rule.column
            is_live = board.archived_at is None and column.archived_at is None
            if is_live and not Card.objects.for_org(org).filter(recurring=rule, period=period).exists():
                Column.objects.for_org(org).select_for_update().filter(pk=column.pk).first()
                card = Card(org=org, board=board, column=column, title=rule.title,
                                description=rule.description, assignees=list(rule.assignees), recurring=rule,
                                period=period, created_by=rule.created_by,
                                position=_end_position(Card, org, column=column))  # fmt: skip
                card.save()
                made += 1
                _emit(board, "card.created", {"card": card_data(card)})
            rule.next_run_on = next_run_after(period, rule.frequency, rule.month_day)
            while rule.next_run_on <= today:
                rule.next_run_on = next_run_after(rule.next_run_on, rule.frequency, rule.month_day)
            rule.save(update_fields=["next_run_on", "updated_at"])
    return made


def board_from_template(*, org: Any, actor: Profile, data: dict[str, Any]) -> Board:
    """A board made from a template, with its columns, labels, cards and checklists, in one transaction."""
    from boards.templates import TEMPLATES

    template = TEMPLATES.get(data["template"])
    if template is None:
        raise field_error("template", "invalid_choice", f"{data['template']!r} is not a board template.")
    with transaction.atomic():
        board = board_create(
            org=org, actor=actor,
            data={"name": data.get("name") or template["name"], "columns": template["columns"],
                  "visibility": data.get("visibility", Visibility.ORG)},
        )  # fmt: skip
        columns = {column.name: column for column in Column.objects.for_org(org).filter(board=board)}
        columns[template["columns"][-1]].is_done = True
        columns[template["columns"][-1]].save(update_fields=["is_done"])
        for name, color in template["labels"]:
            Label(org=org, board=board, name=name, color=color, created_by=actor).save()
        for index, (column_name, title, items) in enumerate(template["cards"], 1):
            card = Card(org=org, board=board, column=columns[column_name], title=title, created_by=actor,
                        position=index * positions.GAP)  # fmt: skip
            card.save()
            ChecklistItem.objects.bulk_create(
                ChecklistItem(org=org, card=card, text=text, position=n * positions.GAP, created_by=actor)
                for n, text in enumerate(items, 1)
            )
    return board
