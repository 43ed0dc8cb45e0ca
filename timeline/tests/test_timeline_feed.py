"""A record's timeline as a cursor-paginated feed: exact pages across three tables, stable while written to,
and the same number of queries however long the history is."""

from __future__ import annotations

import base64
import datetime
from typing import Any

import pytest

from common.context import org_context
from common.pagination import encode_feed_cursor
from leads.models import Lead
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.queries import assert_flat_query_count
from timeline.models import ActivityEntry, Attachment, Comment
from timeline.tests.factories import make_contact

pytestmark = pytest.mark.django_db


def _add(cast: Cast, record: Any, kind: str, **fields: Any) -> Any:
    """One timeline entry of `kind` on `record`, written directly (the APIs that write them have their suites)."""
    where = {"org": cast.org_a, "created_by": cast.owner, "target_type": record._meta.label_lower,
             "target_id": record.pk}  # fmt: skip
    with org_context(cast.org_a):
        if kind == "comment":
            return Comment.objects.create(**where, body=fields.pop("body", "Hi"), **fields)
        if kind == "attachment":
            return Attachment.objects.create(
                **where, file="attachments/feed/a.txt", file_name="a.txt", content_type="text/plain", size=1,
                sha256="0" * 64, **fields,
            )  # fmt: skip
        return ActivityEntry.objects.create(**where, verb=fields.pop("verb", "updated"), **fields)


def _mixed_history(cast: Cast, record: Any, count: int) -> None:
    for index in range(count):
        _add(cast, record, ("comment", "attachment", "activity")[index % 3])


def _feed(who: Any, url: str, **params: Any) -> dict[str, Any]:
    response = client_for(who).get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


def _all_pages(who: Any, url: str, page_size: int) -> list[list[str]]:
    pages, body = [], _feed(who, url, page_size=page_size)
    while True:
        pages.append([entry["id"] for entry in body["results"]])
        if body["next"] is None:
            return pages
        response = client_for(who).get(body["next"])
        assert response.status_code == 200
        body = response.json()


def test_pages_follow_next_until_null_and_together_are_the_whole_feed_newest_first(cast: Cast) -> None:
    contact = make_contact(cast)
    _mixed_history(cast, contact, 7)
    url = f"/api/contacts/{contact.pk}/timeline/"
    whole = [entry["id"] for entry in _feed(cast.owner, url, page_size=200)["results"]]

    pages = _all_pages(cast.viewer, url, page_size=3)

    assert [len(page) for page in pages] == [3, 3, 1]
    assert [entry_id for page in pages for entry_id in page] == whole
    assert len(set(whole)) == 7


def test_entries_with_the_same_time_in_different_tables_are_ordered_by_id_and_none_is_skipped(
    cast: Cast,
) -> None:
    contact = make_contact(cast)
    same_time = datetime.datetime(2030, 1, 1, 12, 0, tzinfo=datetime.UTC)
    entries = [_add(cast, contact, kind) for kind in ("comment", "attachment", "activity", "comment", "activity")]
    with org_context(cast.org_a):
        for entry in entries:
            type(entry).objects.filter(pk=entry.pk).update(created_at=same_time)
    newest_first = [str(pk) for pk in sorted((entry.pk for entry in entries), reverse=True)]

    pages = _all_pages(cast.owner, f"/api/contacts/{contact.pk}/timeline/", page_size=2)

    assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:5]]


def test_entries_written_while_someone_pages_do_not_shift_the_pages_after_the_first(cast: Cast) -> None:
    contact = make_contact(cast)
    _mixed_history(cast, contact, 4)
    url = f"/api/contacts/{contact.pk}/timeline/"
    before = [entry["id"] for entry in _feed(cast.owner, url)["results"]]

    first = _feed(cast.owner, url, page_size=2)
    _add(cast, contact, "comment", body="Written meanwhile")
    second = client_for(cast.owner).get(first["next"]).json()

    assert [e["id"] for e in first["results"] + second["results"]] == before
    assert second["next"] is None


def test_the_page_size_defaults_to_50_is_capped_at_200_and_nonsense_is_a_400(cast: Cast) -> None:
    contact = make_contact(cast)
    with org_context(cast.org_a):
        ActivityEntry.objects.bulk_create(
            ActivityEntry(org=cast.org_a, created_by=cast.owner, verb="updated", target_type="contacts.contact",
                          target_id=contact.pk)
            for _ in range(205)
        )  # fmt: skip
    url = f"/api/contacts/{contact.pk}/timeline/"

    default, capped = _feed(cast.owner, url), _feed(cast.owner, url, page_size=500)
    nonsense = [client_for(cast.owner).get(url, {"page_size": value}) for value in ("many", "0", "-3", "")]

    assert [len(body["results"]) for body in (default, capped)] == [50, 200]
    assert all(body["next"] is not None for body in (default, capped))
    detail = "A whole number from 1 (at most 200 are sent)."
    error = {"code": "invalid", "detail": detail}
    refused = {**error, "fields": {"page_size": [error]}}
    assert [(response.status_code, response.json()) for response in nonsense] == [(400, refused)] * 4


def _base64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor!",
        "==",
        _base64(b"2030-01-01T00:00:00+00:00|not-a-uuid"),
        _base64(b"\xff\xfe"),
        _base64(b"x|y"),
    ],
)
def test_a_cursor_this_api_did_not_issue_is_a_400_field_error(cast: Cast, cursor: str) -> None:
    contact = make_contact(cast)
    _add(cast, contact, "comment")

    response = client_for(cast.owner).get(f"/api/contacts/{contact.pk}/timeline/", {"cursor": cursor})

    detail = "The cursor is not valid. Start again from the first page."
    assert (response.status_code, response.json()) == (
        400,
        {"code": "invalid_cursor", "detail": detail, "fields": {"cursor": [{"code": "invalid_cursor",
         "detail": detail}]}},
    )  # fmt: skip


def test_a_cursor_without_a_time_zone_is_refused() -> None:
    from common.errors import ApiError
    from common.pagination import decode_feed_cursor

    naive = encode_feed_cursor((datetime.datetime(2030, 1, 1), "01a2305a-2349-73e2-9c1e-6debeaf83b86"))  # type: ignore[arg-type]

    with pytest.raises(ApiError) as refused:
        decode_feed_cursor(naive)

    assert refused.value.code == "invalid_cursor"


def test_a_cursor_does_not_open_another_orgs_or_an_invisible_records_timeline(cast: Cast) -> None:
    contact = make_contact(cast)
    _mixed_history(cast, contact, 3)
    url = f"/api/contacts/{contact.pk}/timeline/"
    next_page = _feed(cast.owner, url, page_size=1)["next"]

    answers = [
        client_for(cast.member).get(next_page),
        client_for(cast.other_owner, org=cast.org_a).get(next_page),
        client_for(cast.other_owner).get(next_page),
    ]

    assert [a.status_code for a in answers] == [404, 404, 404]


# --- Query budget -----------------------------------------------------------------------------------------------


def _timeline_request(who: Any, url: str) -> Any:
    def request() -> None:
        response = client_for(who).get(url)
        assert response.status_code == 200

    return request


def test_lead_timeline_costs_the_same_queries_for_one_entry_and_for_fifty(cast: Cast) -> None:
    with org_context(cast.org_a):
        lead = Lead.objects.create(org=cast.org_a, created_by=cast.owner, first_name="Ada")
    _add(cast, lead, "comment")

    assert_flat_query_count(
        _timeline_request(cast.owner, f"/api/leads/{lead.pk}/timeline/"),
        lambda: _mixed_history(cast, lead, 49),
    )


def test_contact_timeline_costs_the_same_queries_for_one_entry_and_for_fifty_for_an_assigned_member(
    cast: Cast,
) -> None:
    contact = make_contact(cast, assigned_to=[cast.member.pk])
    _add(cast, contact, "attachment")

    assert_flat_query_count(
        _timeline_request(cast.member, f"/api/contacts/{contact.pk}/timeline/"),
        lambda: _mixed_history(cast, contact, 49),
    )
