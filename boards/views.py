"""Boards over the API: thin views over boards.services (writes) and boards.selectors (reads)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from boards import selectors, services, sources
from boards import serializers as s
from boards.access import board_role, listed_role
from boards.models import Board, Card, ChecklistItem, Label, RecurringCard
from boards.templates import TEMPLATES
from common.filtering import query_flag
from common.pagination import FeedCursorPagination
from common.validation import validated
from records.ports import journal
from records.services import record_etag
from records.viewsets import TIMELINE_PARAMS, TimelinePageSerializer
from tenants.pipeline.context import OrgViewMixin

PRECONDITION = OpenApiResponse(description="`If-Match` names an older version (`precondition_failed`).")
ARCHIVED = OpenApiParameter("archived", bool, description="Archived ones instead of live ones.")


def _with_etag(body: Any, obj: Any, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(body, status=status_code, headers={"ETag": record_etag(obj)})


def _board_answer(view: Any, board: Board, status_code: int = status.HTTP_200_OK) -> Response:
    role = board_role(board, view.actor, listed_role(view.org, board, view.actor))
    body = s.BoardSerializer(board, context={"roles": {board.pk: role}}).data
    return _with_etag(body, board, status_code)


def _card_answer(card: Card, status_code: int = status.HTTP_200_OK) -> Response:
    card = Card.objects.for_org(card.org_id).prefetch_related("checklist").get(pk=card.pk)
    return _with_etag(s.CardSerializer(card).data, card, status_code)


# --- Boards -------------------------------------------------------------------------------------------------


class BoardListView(OrgViewMixin, GenericAPIView):
    queryset = Board.objects.none()
    serializer_class = s.BoardSerializer
    filter_backends: list[Any] = []

    @extend_schema(parameters=[ARCHIVED], responses={200: s.BoardSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """The boards you see: the whole org's, your own and those that list you."""
        page = list(
            self.paginate_queryset(
                selectors.boards(self.org, self.actor, archived=query_flag(request, "archived"))
            )
            or []
        )
        listed = dict(
            selectors.BoardMember.objects.for_org(self.org)
            .filter(board__in=page, profile=self.actor)
            .values_list("board_id", "role")
        )
        roles = {board.pk: board_role(board, self.actor, listed.get(board.pk)) for board in page}
        return self.get_paginated_response(s.BoardSerializer(page, many=True, context={"roles": roles}).data)

    @extend_schema(request=s.BoardWriteSerializer, responses={201: s.BoardSerializer})
    def post(self, request: Request) -> Response:
        """A board of cards (with its columns), or a board view over a record module (`source`)."""
        body = validated(s.BoardWriteSerializer, request.data)
        board = services.board_create(org=self.org, actor=self.actor, data=body)
        return _board_answer(self, board, status.HTTP_201_CREATED)


class BoardDetailView(OrgViewMixin, APIView):
    @extend_schema(responses={200: s.BoardDetailSerializer})
    def get(self, request: Request, board_id: Any) -> Response:
        """The whole board in one answer: columns, swimlanes, labels, members and every live card with its
        checklist counts."""
        seen = selectors.board_of(self.org, self.actor, board_id)
        body = {
            "board": s.BoardSerializer(seen.board, context={"roles": {seen.board.pk: seen.role}}).data,
            "members": selectors.board_members(self.org, seen.board),
            **selectors.board_content(self.org, seen.board),
        }
        return _with_etag(body, seen.board)

    @extend_schema(request=s.BoardUpdateSerializer, responses={200: s.BoardSerializer, 412: PRECONDITION})
    def patch(self, request: Request, board_id: Any) -> Response:
        """Rename, describe, share (visibility and members) or refilter the board."""
        selectors.board_of(self.org, self.actor, board_id)
        body = validated(s.BoardUpdateSerializer, request.data)
        board = services.board_update(
            org=self.org, actor=self.actor, board_id=board_id, data=body, if_match=request.headers.get("If-Match")
        )
        return _board_answer(self, board)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, board_id: Any) -> Response:
        """Archive the board (restore brings it back with everything on it)."""
        services.board_archive(org=self.org, actor=self.actor, board_id=board_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BoardRestoreView(OrgViewMixin, APIView):
    @extend_schema(request=None, responses={200: s.BoardSerializer})
    def post(self, request: Request, board_id: Any) -> Response:
        """Bring an archived board back."""
        board = services.board_archive(org=self.org, actor=self.actor, board_id=board_id, archive=False)
        return _board_answer(self, board)


class BoardMembersView(OrgViewMixin, APIView):
    @extend_schema(responses={200: s.BoardMemberSerializer(many=True)})
    def get(self, request: Request, board_id: Any) -> Response:
        """Members listed on the board, with their board roles."""
        seen = selectors.board_of(self.org, self.actor, board_id)
        return Response(selectors.board_members(self.org, seen.board))

    @extend_schema(request=s.BoardMemberSerializer, responses={200: s.BoardMemberSerializer})
    def post(self, request: Request, board_id: Any) -> Response:
        """List a member on a members-only board, or change their board role."""
        selectors.board_of(self.org, self.actor, board_id)
        body = validated(s.BoardMemberSerializer, request.data)
        member = services.board_member_set(
            org=self.org, actor=self.actor, board_id=board_id, profile_id=body["profile"], role=body["role"]
        )
        return Response({"profile": str(member.profile_id), "role": member.role})


class BoardMemberDetailView(OrgViewMixin, APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, board_id: Any, profile_id: Any) -> Response:
        """Take a member off the board."""
        services.board_member_remove(org=self.org, actor=self.actor, board_id=board_id, profile_id=profile_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BoardTemplatesView(OrgViewMixin, APIView):
    @extend_schema(responses={200: s.TemplateSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """The board templates (a listing launch, a sales follow-up...)."""
        rows = [{"key": key, "name": t["name"], "columns": t["columns"]} for key, t in TEMPLATES.items()]
        return Response(s.TemplateSerializer(rows, many=True).data)


class BoardFromTemplateView(OrgViewMixin, APIView):
    @extend_schema(request=s.FromTemplateSerializer, responses={201: s.BoardSerializer})
    def post(self, request: Request) -> Response:
        """A board from a template, with its columns, labels, cards and checklists."""
        body = validated(s.FromTemplateSerializer, request.data)
        board = services.board_from_template(org=self.org, actor=self.actor, data=body)
        return _board_answer(self, board, status.HTTP_201_CREATED)


# --- Columns, swimlanes, labels -----------------------------------------------------------------------------


class BoardColumnsView(OrgViewMixin, APIView):
    @extend_schema(request=s.ColumnWriteSerializer, responses={201: s.ColumnSerializer})
    def post(self, request: Request, board_id: Any) -> Response:
        """Add a column at the end (a WIP limit warns, or with `wip_mode: enforce` refuses more cards)."""
        selectors.board_of(self.org, self.actor, board_id)
        body = validated(s.ColumnWriteSerializer, request.data)
        column = services.column_create(org=self.org, actor=self.actor, board_id=board_id, data=body)
        return _with_etag(s.ColumnSerializer(column).data, column, status.HTTP_201_CREATED)


class ColumnDetailView(OrgViewMixin, APIView):
    @extend_schema(request=s.ColumnUpdateSerializer, responses={200: s.ColumnSerializer, 412: PRECONDITION})
    def patch(self, request: Request, column_id: Any) -> Response:
        """Change a column, or move it (`after`: the column it goes after, null for first)."""
        selectors.column_of(self.org, self.actor, column_id)
        body = validated(s.ColumnUpdateSerializer, request.data)
        column = services.column_update(
            org=self.org,
            actor=self.actor,
            column_id=column_id,
            data=body,
            if_match=request.headers.get("If-Match"),
        )
        return _with_etag(s.ColumnSerializer(column).data, column)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, column_id: Any) -> Response:
        """Archive the column (its cards stay in it, hidden, until it is restored)."""
        services.column_archive(org=self.org, actor=self.actor, column_id=column_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ColumnRestoreView(OrgViewMixin, APIView):
    @extend_schema(request=None, responses={200: s.ColumnSerializer})
    def post(self, request: Request, column_id: Any) -> Response:
        """Bring an archived column back, with its cards."""
        column = services.column_archive(org=self.org, actor=self.actor, column_id=column_id, archive=False)
        return _with_etag(s.ColumnSerializer(column).data, column)


class BoardSwimlanesView(OrgViewMixin, APIView):
    @extend_schema(request=s.SwimlaneWriteSerializer, responses={201: s.SwimlaneSerializer})
    def post(self, request: Request, board_id: Any) -> Response:
        """Add a swimlane at the bottom."""
        selectors.board_of(self.org, self.actor, board_id)
        body = validated(s.SwimlaneWriteSerializer, request.data)
        lane = services.swimlane_create(org=self.org, actor=self.actor, board_id=board_id, data=body)
        return Response(s.SwimlaneSerializer(lane).data, status=status.HTTP_201_CREATED)


class SwimlaneDetailView(OrgViewMixin, APIView):
    @extend_schema(request=s.SwimlaneWriteSerializer, responses={200: s.SwimlaneSerializer})
    def patch(self, request: Request, swimlane_id: Any) -> Response:
        """Rename a swimlane."""
        selectors.swimlane_of(self.org, self.actor, swimlane_id)
        body = validated(s.SwimlaneWriteSerializer, request.data)
        lane = services.swimlane_update(org=self.org, actor=self.actor, swimlane_id=swimlane_id, data=body)
        return Response(s.SwimlaneSerializer(lane).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, swimlane_id: Any) -> Response:
        """Archive a swimlane (its cards show without a lane)."""
        services.swimlane_archive(org=self.org, actor=self.actor, swimlane_id=swimlane_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BoardLabelsView(OrgViewMixin, APIView):
    @extend_schema(responses={200: s.LabelSerializer(many=True)})
    def get(self, request: Request, board_id: Any) -> Response:
        """The board's labels."""
        seen = selectors.board_of(self.org, self.actor, board_id)
        return Response(
            s.LabelSerializer(Label.objects.for_org(self.org).filter(board=seen.board), many=True).data
        )

    @extend_schema(request=s.LabelWriteSerializer, responses={201: s.LabelSerializer})
    def post(self, request: Request, board_id: Any) -> Response:
        """Add a label to the board."""
        selectors.board_of(self.org, self.actor, board_id)
        body = validated(s.LabelWriteSerializer, request.data)
        label = services.label_create(org=self.org, actor=self.actor, board_id=board_id, data=body)
        return Response(s.LabelSerializer(label).data, status=status.HTTP_201_CREATED)


class LabelDetailView(OrgViewMixin, APIView):
    @extend_schema(request=s.LabelUpdateSerializer, responses={200: s.LabelSerializer})
    def patch(self, request: Request, label_id: Any) -> Response:
        """Rename or recolor a label."""
        selectors.label_of(self.org, self.actor, label_id)
        body = validated(s.LabelUpdateSerializer, request.data)
        label = services.label_update(org=self.org, actor=self.actor, label_id=label_id, data=body)
        return Response(s.LabelSerializer(label).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, label_id: Any) -> Response:
        """Delete a label (it leaves every card that had it)."""
        services.label_delete(org=self.org, actor=self.actor, label_id=label_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Cards and checklists -----------------------------------------------------------------------------------


class BoardCardsView(OrgViewMixin, GenericAPIView):
    queryset = Card.objects.none()
    serializer_class = s.CardSerializer
    filter_backends: list[Any] = []

    @extend_schema(parameters=[ARCHIVED], responses={200: s.CardSerializer(many=True)})
    def get(self, request: Request, board_id: Any) -> Response:
        """The board's cards in board order (archived ones with `?archived=true`, to restore them)."""
        seen = selectors.board_of(self.org, self.actor, board_id)
        cards = (
            Card.objects.for_org(self.org)
            .filter(board=seen.board, archived_at__isnull=not query_flag(request, "archived"))
            .prefetch_related("checklist")
            .order_by("column__position", "position")
        )
        return self.get_paginated_response(s.CardSerializer(self.paginate_queryset(cards), many=True).data)

    @extend_schema(request=s.CardCreateSerializer, responses={201: s.CardSerializer})
    def post(self, request: Request, board_id: Any) -> Response:
        """Add a card to a column (at the end, or `after` a card)."""
        selectors.board_of(self.org, self.actor, board_id)
        body = validated(s.CardCreateSerializer, request.data)
        card = services.card_create(org=self.org, actor=self.actor, board_id=board_id, data=body)
        return _card_answer(card, status.HTTP_201_CREATED)


class CardDetailView(OrgViewMixin, APIView):
    @extend_schema(responses={200: s.CardSerializer})
    def get(self, request: Request, card_id: Any) -> Response:
        """A card with its checklist; `ETag` is its version for If-Match."""
        card, _ = selectors.card_of(self.org, self.actor, card_id)
        return _card_answer(card)

    @extend_schema(request=s.CardFieldsSerializer, responses={200: s.CardSerializer, 412: PRECONDITION})
    def patch(self, request: Request, card_id: Any) -> Response:
        """Edit a card (If-Match with its ETag)."""
        selectors.card_of(self.org, self.actor, card_id)
        body = validated(s.CardFieldsSerializer, request.data)
        card = services.card_update(
            org=self.org, actor=self.actor, card_id=card_id, data=body, if_match=request.headers.get("If-Match")
        )
        return _card_answer(card)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, card_id: Any) -> Response:
        """Archive a card; it keeps its place, and restore puts it back there."""
        services.card_archive(org=self.org, actor=self.actor, card_id=card_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CardMoveView(OrgViewMixin, APIView):
    @extend_schema(request=s.CardMoveSerializer, responses={200: s.CardSerializer, 412: PRECONDITION})
    def post(self, request: Request, card_id: Any) -> Response:
        """Move one card: to a column, after a card (null: first), with If-Match (its ETag). A stale version
        is a 412: reload the card and retry."""
        selectors.card_of(self.org, self.actor, card_id)
        body = validated(s.CardMoveSerializer, request.data)
        card = services.card_move(
            org=self.org, actor=self.actor, card_id=card_id, column_id=body["column"], after_id=body["after"],
            if_match=request.headers.get("If-Match"), swimlane_id=body.get("swimlane", ...),
        )  # fmt: skip
        return _card_answer(card)


class CardRestoreView(OrgViewMixin, APIView):
    @extend_schema(request=None, responses={200: s.CardSerializer})
    def post(self, request: Request, card_id: Any) -> Response:
        """Bring an archived card back where it was."""
        card = services.card_archive(org=self.org, actor=self.actor, card_id=card_id, archive=False)
        return _card_answer(card)


class CardTimelineView(OrgViewMixin, APIView):
    @extend_schema(parameters=TIMELINE_PARAMS, responses={200: TimelinePageSerializer})
    def get(self, request: Request, card_id: Any) -> Response:
        """The card's activity, comments and files merged, newest first, a cursor page at a time (follow `next`
        until it is null). Comment with `POST /api/timeline/comments/` and attach with
        `POST /api/timeline/attachments/`, `target_type` `boards.card`: a board's commenters and editors may."""
        card, _ = selectors.card_of(self.org, self.actor, card_id)
        feed = FeedCursorPagination(request)
        entries, has_more = journal().page(card, before=feed.position(), limit=feed.limit())
        return Response(TimelinePageSerializer(feed.page(entries, has_more)).data)


class CardChecklistView(OrgViewMixin, APIView):
    @extend_schema(request=s.ChecklistWriteSerializer, responses={201: s.ChecklistItemSerializer})
    def post(self, request: Request, card_id: Any) -> Response:
        """Add a checklist item at the end."""
        selectors.card_of(self.org, self.actor, card_id)
        body = validated(s.ChecklistWriteSerializer, request.data)
        item = services.checklist_add(org=self.org, actor=self.actor, card_id=card_id, data=body)
        return Response(s.ChecklistItemSerializer(item).data, status=status.HTTP_201_CREATED)


class ChecklistItemView(OrgViewMixin, APIView):
    @extend_schema(request=s.ChecklistUpdateSerializer, responses={200: s.ChecklistItemSerializer})
    def patch(self, request: Request, item_id: Any) -> Response:
        """Tick, untick, reword or assign an item."""
        selectors.checklist_item_of(self.org, self.actor, item_id)
        body = validated(s.ChecklistUpdateSerializer, request.data)
        item = services.checklist_update(org=self.org, actor=self.actor, item_id=item_id, data=body)
        return Response(s.ChecklistItemSerializer(item).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, item_id: Any) -> Response:
        """Remove an item."""
        services.checklist_delete(org=self.org, actor=self.actor, item_id=item_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Recurring cards ----------------------------------------------------------------------------------------


class BoardRecurringView(OrgViewMixin, APIView):
    @extend_schema(responses={200: s.RecurringSerializer(many=True)})
    def get(self, request: Request, board_id: Any) -> Response:
        """The board's recurring cards."""
        seen = selectors.board_of(self.org, self.actor, board_id)
        rules = RecurringCard.objects.for_org(self.org).filter(board=seen.board).order_by("created_at")
        return Response(s.RecurringSerializer(rules, many=True).data)

    @extend_schema(request=s.RecurringWriteSerializer, responses={201: s.RecurringSerializer})
    def post(self, request: Request, board_id: Any) -> Response:
        """A card made every day, week or month by beat (once per period) from `next_run_on`."""
        selectors.board_of(self.org, self.actor, board_id)
        body = validated(s.RecurringWriteSerializer, request.data)
        rule = services.recurring_create(org=self.org, actor=self.actor, board_id=board_id, data=body)
        return Response(s.RecurringSerializer(rule).data, status=status.HTTP_201_CREATED)


class RecurringDetailView(OrgViewMixin, APIView):
    @extend_schema(request=s.RecurringUpdateSerializer, responses={200: s.RecurringSerializer})
    def patch(self, request: Request, recurring_id: Any) -> Response:
        """Change or pause a recurring card."""
        selectors.recurring_of(self.org, self.actor, recurring_id)
        body = validated(s.RecurringUpdateSerializer, request.data)
        rule = services.recurring_update(org=self.org, actor=self.actor, recurring_id=recurring_id, data=body)
        return Response(s.RecurringSerializer(rule).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, recurring_id: Any) -> Response:
        """Stop a recurring card (the cards it made stay)."""
        services.recurring_delete(org=self.org, actor=self.actor, recurring_id=recurring_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Board views over record modules ------------------------------------------------------------------------


class BoardViewView(OrgViewMixin, APIView):
    @extend_schema(
        parameters=[OpenApiParameter("per_column", int, description="Records per column (default 20, max 100).")],
        responses={200: s.BoardViewSerializer},
    )
    def get(self, request: Request, board_id: Any) -> Response:
        """A board view: each of the module's statuses (a deal's stages) with its count and first records, as
        the module's own list shows them to you, filtered by the board's filters."""
        seen = selectors.board_of(self.org, self.actor, board_id)
        if not seen.board.source:
            from common.errors import Conflict

            raise Conflict("This board holds cards, not a module's records.", code="not_board_view")
        raw = request.query_params.get("per_column", "20")
        if not raw.isdigit() or not 1 <= int(raw) <= sources.PER_COLUMN_MAX:
            from common.errors import field_error

            raise field_error("per_column", "invalid", f"A whole number from 1 to {sources.PER_COLUMN_MAX}.")
        return Response(sources.board_view(board=seen.board, request=request, per_column=int(raw)))


class BoardViewMoveView(OrgViewMixin, APIView):
    @extend_schema(request=s.ViewMoveSerializer, responses={200: s.ViewMoveResponseSerializer, 412: PRECONDITION})
    def post(self, request: Request, board_id: Any) -> Response:
        """Move a record to another column: the module's own update of its status (its rules, its timeline
        entry, If-Match with the record's ETag)."""
        seen = selectors.board_of(self.org, self.actor, board_id)
        body = validated(s.ViewMoveSerializer, request.data)
        if not seen.board.source:
            from common.errors import Conflict

            raise Conflict("This board holds cards, not a module's records.", code="not_board_view")
        record, data = sources.board_view_move(
            org=self.org, actor=self.actor, board=seen.board, role=seen.role, request=request,
            record_id=body["record"], to=body["to"], fields=body.get("changes") or {},
            if_match=request.headers.get("If-Match"),
        )  # fmt: skip
        return Response({"record": data, "etag": record_etag(record)}, headers={"ETag": record_etag(record)})


__all__ = ["ChecklistItem"]
