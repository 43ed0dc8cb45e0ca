"""CSV export of a record list: the caller's visible, filtered rows as a streamed, spreadsheet-safe download.

Columns are the module's serializer fields, flattened to one cell each (lists joined with `;`, a nested summary
of a related record as its name, else its id), with the `custom_fields` object replaced by one `cf_<key>`
column per custom field the org defines for the module.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from rest_framework import serializers, status

from common.context import org_context
from common.errors import ApiError
from common.models import Profile, Role
from common.throttling import Limit, enforce
from tenants.models import Org

EXPORT_MAX_ROWS = 10_000
# Rows are read from the database and written out in batches of this many.
_CHUNK_ROWS = 500
# A spreadsheet runs a cell starting with one of these as a formula (a CSV injection), so it gets a leading `'`.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# ...except a plain number: "-12.50" is not a formula, and quoting it would turn it into text.
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")
CUSTOM_FIELDS = "custom_fields"


def export_permission_check(*, org: Org, profile: Profile) -> None:
    """Who may export is the org's choice (`export_min_role`, managers and above unless its admins say
    otherwise): the route table lets every role read the list, and the org narrows who takes it away."""
    if Role(profile.role).rank < Role(org.export_min_role).rank:
        raise ApiError(
            f"Exports in this organisation are for {Role(org.export_min_role).label.lower()}s and above.",
            code="export_not_allowed",
            status_code=status.HTTP_403_FORBIDDEN,
        )


def export_allowance_take(profile: Profile) -> None:
    """Count one export for the member; 429 with Retry-After past EXPORTS_PER_HOUR (a scraper's brake)."""
    enforce(Limit("records_export", settings.EXPORTS_PER_HOUR, 3600), str(profile.pk))


def neutralised(cell: str) -> str:
    if cell.startswith(_FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def _display_name(related: dict[str, Any]) -> Any:
    """A nested related record (`company_summary`) by its name, a person's full name, or its id."""
    if related.get("name"):
        return related["name"]
    person = " ".join(str(related[key]) for key in ("first_name", "last_name") if related.get(key))
    return person or related.get("email") or related.get("id")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return _text(_display_name(value)) if "id" in value else json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, (list, tuple)):
        return ";".join(_text(item) for item in value)
    return str(value)


def cell(value: Any) -> str:
    return neutralised(_text(value))


def _field_names(serializer: serializers.Serializer) -> list[str]:
    return [name for name, field in serializer.fields.items() if not field.write_only]


class RecordCsv:
    """The header and the rows of one export, from a serializer (with its request context) and the org's
    custom field keys."""

    def __init__(self, serializer: serializers.Serializer, custom_keys: list[str]) -> None:
        self.serializer = serializer
        self.fields = [name for name in _field_names(serializer) if name != CUSTOM_FIELDS]
        self.custom_keys = custom_keys if CUSTOM_FIELDS in _field_names(serializer) else []

    def header(self) -> list[str]:
        return [*self.fields, *(f"cf_{key}" for key in self.custom_keys)]

    def row(self, record: Any) -> list[str]:
        data = self.serializer.to_representation(record)
        custom = data.get(CUSTOM_FIELDS) or {}
        return [
            *(cell(data.get(name)) for name in self.fields),
            *(cell(custom.get(key)) for key in self.custom_keys),
        ]


def _csv_lines(rows: Iterator[list[str]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
        if count % _CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _rows(table: RecordCsv, queryset: QuerySet[Any], org: Org, profile: Profile) -> Iterator[list[str]]:
    # The response is streamed after the request has left the org's schema (the middleware switches back when
    # the view returns), so reading the rows enters the org again; `for_org` still filters every row by org.
    with org_context(org, profile):
        yield table.header()
        for record in queryset.iterator(chunk_size=_CHUNK_ROWS):
            yield table.row(record)


def csv_export_response(
    *, queryset: QuerySet[Any], table: RecordCsv, org: Org, profile: Profile, name: str, max_rows: int
) -> StreamingHttpResponse:
    """At most `max_rows` rows of `queryset`, in its order; `X-Export-Truncated: true` says there were more."""
    is_truncated = queryset[max_rows : max_rows + 1].exists()
    response = StreamingHttpResponse(
        _csv_lines(_rows(table, queryset[:max_rows], org, profile)), content_type="text/csv; charset=utf-8"
    )
    filename = f"{name}-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Export-Truncated"] = "true" if is_truncated else "false"
    response["X-Export-Row-Limit"] = str(max_rows)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
