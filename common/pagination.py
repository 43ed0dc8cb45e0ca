"""Page-number pagination with a total count for lists, and keyset cursors for the large feeds."""

from __future__ import annotations

import base64
import binascii
import datetime
import uuid
from typing import Any

from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

from common.errors import ApiError, field_error

# A feed position: the (created_at, id) of the last entry a page showed; the next page starts strictly older.
FeedPosition = tuple[datetime.datetime, uuid.UUID]


def asked_page_size(request: Request, default: int, maximum: int, param: str = "page_size") -> int:
    """`?page_size=`: a whole number from 1; a larger ask is capped, not refused, and anything else is a 400
    (never silently the default: the client would page through something it did not ask for)."""
    raw = request.query_params.get(param)
    if raw is None:
        return default
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise field_error(param, "invalid", f"A whole number from 1 (at most {maximum} are sent).")
    return min(int(text), maximum)


def _at_least_one(parameters: list[dict[str, Any]], names: tuple[str, ...]) -> list[dict[str, Any]]:
    for parameter in parameters:
        if parameter.get("name") in names:
            parameter.setdefault("schema", {})["minimum"] = 1
    return parameters


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    # A larger ask is capped, not refused.
    max_page_size = 100

    def get_page_size(self, request: Request) -> int:
        return asked_page_size(request, self.page_size, self.max_page_size, self.page_size_query_param)

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        """`?page=`: a whole number from 1 (or `last`); anything else is a page that does not exist, a 404 like
        a page past the end, never silently the first page."""
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        text = raw.strip()
        if text in self.last_page_strings or (text.isascii() and text.isdigit() and int(text) >= 1):
            return text
        raise NotFound(self.invalid_page_message.format(page_number=raw, message="not a page number"))

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return _at_least_one(super().get_schema_operation_parameters(view), ("page", "page_size"))


def _invalid_cursor() -> ApiError:
    detail = "The cursor is not valid. Start again from the first page."
    return ApiError(
        detail, code="invalid_cursor", fields={"cursor": [{"code": "invalid_cursor", "detail": detail}]}
    )


def encode_feed_cursor(position: FeedPosition) -> str:
    created_at, pk = position
    raw = f"{created_at.isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_feed_cursor(cursor: str) -> FeedPosition:
    """The position a cursor names; anything this code did not issue is a 400 `invalid_cursor`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, _, pk = raw.partition("|")
        position = (datetime.datetime.fromisoformat(created_at), uuid.UUID(pk))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _invalid_cursor() from None
    if position[0].tzinfo is None:
        raise _invalid_cursor()
    return position


class FeedCursorPagination:
    """Newest first over (created_at, id), for feeds merged from several tables where a count or a page number
    would mean reading everything. `?cursor=` comes from the previous page's `next`; `?page_size=` is capped."""

    page_size = 50
    max_page_size = 200

    def __init__(self, request: Request) -> None:
        self.request = request

    def position(self) -> FeedPosition | None:
        cursor = self.request.query_params.get("cursor")
        return decode_feed_cursor(cursor) if cursor else None

    def limit(self) -> int:
        return asked_page_size(self.request, self.page_size, self.max_page_size)

    def page(self, entries: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
        """The response body: `next` is null on the last page."""
        next_url = None
        if has_more and entries:
            cursor = encode_feed_cursor((entries[-1]["created_at"], entries[-1]["id"]))
            next_url = replace_query_param(self.request.build_absolute_uri(), "cursor", cursor)
        return {"next": next_url, "results": entries}
