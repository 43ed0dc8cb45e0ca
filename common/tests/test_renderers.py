"""The orjson renderer writes exactly what DRF's JSONRenderer wrote."""

from __future__ import annotations

import datetime
import decimal
import uuid
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer as DrfJsonRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from common.renderers import JSONRenderer

PAGE = {
    "count": 2,
    "next": "https://crm.example/api/leads/?page=2",
    "previous": None,
    "results": ReturnList(
        [
            ReturnDict({"id": "0190a3f5-0000-7000-8000-000000000001", "name": "Zoë Ünal", "amount": "1250.00",
                        "tags": ["vip", "investor"], "is_active": True, "rating": 4, "ratio": 0.25,
                        "custom_fields": {"floor": 3, "notes": None}}, serializer=None),
        ],
        serializer=None,
    ),
}  # fmt: skip

ODD_VALUES = {
    "utc": datetime.datetime(2026, 12, 7, 9, 30, 5, 123456, tzinfo=datetime.UTC),
    "london_in_winter": datetime.datetime(2026, 12, 7, 9, 30, tzinfo=ZoneInfo("Europe/London")),
    "paris": datetime.datetime(2026, 12, 7, 9, 30, tzinfo=ZoneInfo("Europe/Paris")),
    "naive": datetime.datetime(2026, 12, 7, 9, 30),
    "day": datetime.date(2026, 12, 7),
    "time": datetime.time(9, 30, 5),
    "decimal": decimal.Decimal("10.50"),
    "uuid": uuid.UUID("0190a3f5-0000-7000-8000-000000000001"),
    "lazy": gettext_lazy("Not found."),
    "error": ErrorDetail("This field is required.", code="required"),
    7: "an integer key",
    "huge": 2**70,
    "line_separators": "a\u2028b\u2029c",
    "tuple": (1, 2),
    "set": {3},
    "duration": datetime.timedelta(minutes=90),
}


def test_a_page_of_records_renders_the_same_bytes_as_drf() -> None:
    assert JSONRenderer().render(PAGE) == DrfJsonRenderer().render(PAGE)


def test_dates_decimals_lazy_strings_and_oddities_render_the_same_bytes_as_drf() -> None:
    rendered = JSONRenderer().render(ODD_VALUES)

    assert rendered == DrfJsonRenderer().render(ODD_VALUES)
    assert b'"utc":"2026-12-07T09:30:05.123456Z"' in rendered
    assert b'"line_separators":"a\\u2028b\\u2029c"' in rendered


def test_a_pretty_print_request_is_indented_as_drf_does_it() -> None:
    accepted = "application/json; indent=4"

    assert JSONRenderer().render(PAGE, accepted) == DrfJsonRenderer().render(PAGE, accepted)
    assert JSONRenderer().render(PAGE, accepted).startswith(b'{\n    "count": 2,')


def test_no_body_renders_as_nothing() -> None:
    assert JSONRenderer().render(None) == b""
