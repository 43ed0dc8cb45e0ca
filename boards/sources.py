"""Board views over record modules: the columns are a module's statuses (from the registry's `board_fields`),
the cards its records as its own list shows them (visibility, filters, serializer), and a move is the module's
own update of that one field, with its rules, its timeline entry and If-Match."""

from __future__ import annotations

import copy
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.http import QueryDict
from rest_framework.request import Request

from boards.access import require_role
from boards.models import Board, BoardRole
from common import registry
from common.errors import Conflict, field_error
from common.models import Profile
from realtime.events import publish
from realtime.listeners import record_audience
from records import services as records

PER_COLUMN_MAX = 100


def _module_view(board: Board, request: Request, action: str, params: dict[str, Any] | None = None) -> Any:
    """The module's own record viewset, for this request, with the board's filters as its query."""
    api = registry.record_api(board.source)
    if api is None or board.source not in registry.board_fields():
        raise Conflict("This board's module is not installed.", code="board_source_missing")
    query = QueryDict(mutable=True)
    for key, value in {**board.source_filters, **(params or {})}.items():
        query.setlist(key, value if isinstance(value, list) else [str(value)])
    django_request = copy.copy(request._request)
    django_request.GET = query  # type: ignore[assignment]  # the board's filters, not the board request's
    authenticators: Any = request.authenticators
    module_request = Request(django_request, parsers=request.parsers, authenticators=authenticators)
    view = api.viewset_class()()
    view.request, view.args, view.kwargs, view.action, view.format_kwarg = module_request, (), {}, action, None
    view.basename = api.prefix
    view.headers = {}
    return view


def _columns(board: Board, view: Any) -> list[tuple[str, str]]:
    board_field = registry.board_fields()[board.source]
    columns_of = board_field.columns_of()
    if columns_of is not None:
        return columns_of(view.org, dict(board.source_filters))
    field = view.model._meta.get_field(board_field.field)
    return [(str(value), str(label)) for value, label in field.choices]


def _field_column(view: Any, field_name: str) -> str:
    field = view.model._meta.get_field(field_name)
    return field.attname


def board_view(*, board: Board, request: Request, per_column: int) -> dict[str, Any]:
    """Each column with its count and first page of records: one count query plus one query per column (the
    module's list query), whatever the number of records."""
    view = _module_view(board, request, "list")
    board_field = registry.board_fields()[board.source]
    columns = _columns(board, view)
    queryset = view.filter_queryset(view.get_queryset())
    column_name = _field_column(view, board_field.field)
    counts = {
        str(row[column_name]): row["n"]
        for row in queryset.order_by().values(column_name).annotate(n=Count("pk")).values(column_name, "n")
    }
    result = []
    for value, label in columns:
        page = list(queryset.filter(**{column_name: value})[:per_column])
        result.append(
            {
                "value": value,
                "name": label,
                "count": counts.get(value, 0),
                "records": view.get_serializer(page, many=True).data,
            }
        )
    return {"source": board.source, "field": board_field.field, "columns": result}


def board_view_move(
    *, org: Any, actor: Profile, board: Board, role: str, request: Request, record_id: Any, to: str,
    fields: dict[str, Any], if_match: str | None,
) -> tuple[Any, dict[str, Any]]:  # fmt: skip
    """Move one record to another column: the module's own update of its status field (and of the extra
    `fields` its rules ask for, such as a lost deal's reason). Answers the record and its serialized body."""
    require_role(role, BoardRole.EDITOR)
    view = _module_view(board, request, "partial_update")
    board_field = registry.board_fields()[board.source]
    if to not in {value for value, _ in _columns(board, view)}:
        raise field_error("to", "invalid_choice", f"{to!r} is not a column of this board.")
    if board_field.field in fields:
        raise field_error("fields", "invalid", f"`{board_field.field}` is the column; send it as `to`.")
    current = view.get_queryset().filter(pk=record_id).first()
    if current is None:
        raise field_error("record", "does_not_exist", "No such record in this org.")
    records.record_preconditions(current, if_match, actor=actor)
    serializer = view.get_serializer(current, data={**fields, board_field.field: to}, partial=True)
    serializer.is_valid(raise_exception=True)
    before = str(getattr(current, _field_column(view, board_field.field)))
    with transaction.atomic():
        record = records.record_update(
            model=view.model, org=org, actor=actor, record_id=current.pk, data=dict(serializer.validated_data),
            if_match=if_match, change=view.change_record,
        )  # fmt: skip
        data = {"board": str(board.pk), "source": board.source, "record": str(record.pk), "from": before, "to": to}
        publish(org.pk, "view.moved", data, record_audience(view.model, record))
    reloaded = view.get_queryset().get(pk=record.pk)
    return reloaded, view.get_serializer(reloaded).data
