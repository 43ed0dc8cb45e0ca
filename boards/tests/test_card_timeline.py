"""A card's timeline: its changes are activity entries, and comments and files hang off it through the timeline
(`target_type` `boards.card`) with the board's rules: its commenters and editors write, its viewers read, and
anyone who cannot see the board (another org included) gets the same answer as for a missing card."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from boards.tests import helpers as b
from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db
COMMENTS = "/api/timeline/comments/"
ATTACHMENTS = "/api/timeline/attachments/"
NOT_FOUND = {"code": "not_found", "detail": "Not found.", "fields": {}}


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Path) -> None:
    """Uploads land in this test's own folder."""
    settings.MEDIA_ROOT = tmp_path


def _shared_board(cast: Cast) -> Any:
    return b.board(
        cast.owner, visibility="members",
        members=[{"profile": cast.manager.pk, "role": "commenter"}, {"profile": cast.member.pk, "role": "viewer"}],
    )  # fmt: skip


def _timeline(who: Any, card_id: Any) -> Any:
    return client_for(who).get(f"/api/cards/{card_id}/timeline/")


def test_a_cards_changes_are_on_its_timeline(cast: Cast) -> None:
    made = b.board(cast.owner)
    todo, doing = b.columns(made)[:2]
    card = b.card(cast.owner, made, todo, title="Photos")
    owner = client_for(cast.owner)
    etag = owner.get(f"/api/cards/{card.pk}/").headers["ETag"]
    edited = owner.patch(f"/api/cards/{card.pk}/", {"title": "Photos and video"}, format="json",
                         headers={"If-Match": etag})  # fmt: skip
    moved = owner.post(f"/api/cards/{card.pk}/move/", {"column": str(doing.pk), "after": None}, format="json",
                       headers={"If-Match": edited.headers["ETag"]})  # fmt: skip
    owner.delete(f"/api/cards/{card.pk}/")
    owner.post(f"/api/cards/{card.pk}/restore/")

    page = _timeline(cast.owner, card.pk)

    assert (edited.status_code, moved.status_code, page.status_code) == (200, 200, 200)
    entries = [(item["verb"], item["changes"]) for item in reversed(page.json()["results"])]
    assert entries == [
        ("created", {}),
        ("updated", {"title": ["Photos", "Photos and video"]}),
        ("moved", {"column": [str(todo.pk), str(doing.pk)]}),
        ("archived", {}),
        ("restored", {}),
    ]


def test_commenters_comment_and_attach_viewers_read_and_others_get_a_404(cast: Cast) -> None:
    made = _shared_board(cast)
    card = b.card(cast.owner, made)
    target = {"target_type": "boards.card", "target_id": str(card.pk)}
    commenter, viewer = client_for(cast.manager), client_for(cast.member)

    comment = commenter.post(COMMENTS, {**target, "body": "Shoot on Friday?"}, format="json")
    upload = SimpleUploadedFile("shot-list.pdf", b"%PDF-1.7\n%%EOF\n")
    attached = commenter.post(ATTACHMENTS, {**target, "file": upload}, format="multipart")
    refused = viewer.post(COMMENTS, {**target, "body": "Me too"}, format="json")
    read_by_viewer = _timeline(cast.member, card.pk)

    assert (comment.status_code, attached.status_code) == (201, 201), (comment.json(), attached.json())
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    kinds = [(item["kind"], item["body"] or item["file_name"]) for item in read_by_viewer.json()["results"]]
    assert ("comment", "Shoot on Friday?") in kinds
    assert ("attachment", "shot-list.pdf") in kinds
    private = b.card(cast.owner, b.board(cast.owner, name="Mine", visibility="private"))
    for who, card_id in ((cast.member, private.pk), (cast.other_owner, card.pk)):
        assert _timeline(who, card_id).json() == NOT_FOUND
        other = client_for(who).post(
            COMMENTS, {"target_type": "boards.card", "target_id": str(card_id), "body": "Hi"}, format="json"
        )
        # An id in a body that the caller cannot see is a field error, the same as for a missing one.
        assert (other.status_code, other.json()["fields"]["target_id"][0]["code"]) == (400, "does_not_exist")


def test_a_mention_of_someone_who_cannot_see_the_board_is_refused(cast: Cast) -> None:
    made = b.board(cast.owner, name="Mine", visibility="private")
    card = b.card(cast.owner, made)

    mention = client_for(cast.owner).post(
        COMMENTS,
        {"target_type": "boards.card", "target_id": str(card.pk), "body": f"@[Member]({cast.member.pk}) look"},
        format="json",
    )

    assert mention.status_code == 400
    assert mention.json()["code"] == "mention_cannot_see_target"
