"""Page-number pagination with a total count for lists, and keyset cursors for the large feeds."""

from __future__ import annotations

import base64
import binascii
import datetime
import uuid
from typing import Any

from rest_framework import pagination
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

from common.errors import ApiError

# A feed position: the (created_at, id) of the last entry a page showed; the next page starts strictly older.
FeedPosition = tuple[datetime.datetime, uuid.UUID]


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    # A larger ask is capped, not refused.
    max_page_size = 100


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
        try:
            asked = int(self.request.query_params.get("page_size", self.page_size))
        except ValueError:
            return self.page_size
        return min(asked, self.max_page_size) if asked > 0 else self.page_size

    def page(self, entries: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
        """The response body: `next` is null on the last page."""
        next_url = None
        if has_more and entries:
            cursor = encode_feed_cursor((entries[-1]["created_at"], entries[-1]["id"]))
            next_url = replace_query_param(self.request.build_absolute_uri(), "cursor", cursor)
        return {"next": next_url, "results": entries}
