"""Who sees a board and what they may do on it: the board role, capped by the org role."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from boards.models import Board, BoardMember, BoardRole, Visibility
from common.access import ADMINS
from common.errors import ApiError, NotFound
from common.models import Profile, Role
from realtime.events import EVERYONE, Audience

_RANK = {BoardRole.VIEWER: 0, BoardRole.COMMENTER: 1, BoardRole.EDITOR: 2}


def visible_boards(org: Any, actor: Profile) -> QuerySet[Board]:
    """Boards of the whole org, the actor's own, and those that list them; an org's admins also see every
    members-only board (to manage it), never anyone's private one."""
    listed = BoardMember.objects.for_org(org).filter(board=OuterRef("pk"), profile=actor)
    rule = Q(visibility=Visibility.ORG) | Q(created_by=actor) | Q(Exists(listed), visibility=Visibility.MEMBERS)
    if actor.role in ADMINS:
        rule |= Q(visibility=Visibility.MEMBERS)
    return Board.objects.for_org(org).filter(rule)


def board_role(board: Board, actor: Profile, listed_role: str | None) -> str | None:
    """The actor's role on a board they see (None: they do not). A viewer of the org never writes."""
    role: str | None
    if board.visibility == Visibility.PRIVATE:
        role = BoardRole.EDITOR if board.created_by_id == actor.pk else None
    elif board.visibility == Visibility.ORG or board.created_by_id == actor.pk or actor.role in ADMINS:
        role = BoardRole.EDITOR
    else:
        role = listed_role
    if role is not None and actor.role == Role.VIEWER:
        return BoardRole.VIEWER
    return role


def may_manage(board: Board, actor: Profile) -> bool:
    """Renaming, sharing and archiving the board: its creator and the org's admins (for shared boards)."""
    if actor.role == Role.VIEWER:
        return False
    return board.created_by_id == actor.pk or (board.visibility != Visibility.PRIVATE and actor.role in ADMINS)


class BoardForbidden(ApiError):
    status_code = 403
    default_code = "permission_denied"
    default_detail = "Your role on this board does not allow this."


def require_role(role: str | None, needed: str) -> None:
    if role is None:
        raise NotFound()
    if _RANK[BoardRole(role)] < _RANK[BoardRole(needed)]:
        raise BoardForbidden()


def listed_role(org: Any, board: Board, actor: Profile) -> str | None:
    if board.visibility != Visibility.MEMBERS:
        return None
    return (
        BoardMember.objects.for_org(org).filter(board=board, profile=actor).values_list("role", flat=True).first()
    )


def board_audience(board: Board, member_ids: list[Any] | None = None) -> Audience:
    """Who receives live updates about this board's cards and columns."""
    if board.visibility == Visibility.ORG:
        return EVERYONE
    if board.visibility == Visibility.PRIVATE:
        return Audience.of(profiles=[board.created_by_id])
    if member_ids is None:
        member_ids = list(
            BoardMember.objects.for_org(board.org_id).filter(board=board).values_list("profile_id", flat=True)
        )
    return Audience.of(roles=ADMINS, profiles=[board.created_by_id, *member_ids])


def visible_cards(queryset: QuerySet[Any], profile: Profile) -> QuerySet[Any]:
    """The cards of the boards this member sees (the timeline's rule for cards)."""
    return queryset.filter(board__in=visible_boards(profile.org_id, profile).values("pk"))


def may_comment(profile: Profile, card: Any) -> bool:
    """Commenters and editors of the card's board comment on it and attach files; its viewers read."""
    board = card.board
    role = board_role(board, profile, listed_role(board.org_id, board, profile))
    return role is not None and _RANK[BoardRole(role)] >= _RANK[BoardRole.COMMENTER]
