"""Campaigns over the API: defaults, dates in the org's zone, listings and people by id, the status machine and
who hears of it, isolation, visibility, bulk, export, hand-over and query budgets."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.services import campaigns_advance_schedules
from campaigns.tests.helpers import CAMPAIGNS, RANDOM_ID, asset_row, campaign, dated, line, spend, stored
from common.context import org_context
from properties.tests.helpers import listing
from tenants.members.services import open_records_reassign
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.isolation import assert_foreign_ids_find_nothing
from tenants.testing.queries import assert_flat_query_count
from timeline.models import ActivityEntry, Notification

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def _does_not_exist(field: str, pk: object) -> dict:
    error = {"code": "does_not_exist", "detail": f'Invalid pk "{pk}" - object does not exist.'}
    return {**error, "fields": {field: [error]}}


def _timeline(cast: Cast, campaign_id: object) -> list[tuple[str, dict]]:
    entries = client_for(cast.owner).get(f"{CAMPAIGNS}{campaign_id}/timeline/").json()["results"]
    return [(entry["verb"], entry["changes"]) for entry in entries]


def _notes(campaign_: Campaign, kind: str) -> list[tuple[object, str]]:
    with org_context(campaign_.org):
        rows = Notification.objects.filter(target_id=campaign_.pk, kind=kind).order_by("recipient_id")
        return [(row.recipient_id, row.message) for row in rows]


# --- creating and reading -----------------------------------------------------------------------------------


def test_create_defaults_to_a_draft_owned_by_the_creator_in_the_orgs_currency(cast: Cast) -> None:
    home = listing(cast)
    body = {"name": "Harbour launch", "objective": "lease_up", "channels": ["instagram", "email", "email"],
            "property_ids": [str(home.pk)], "watchers": [str(cast.manager.pk)], "tags": ["Q2"]}  # fmt: skip

    response = client_for(cast.member).post(CAMPAIGNS, body, format="json")

    assert response.status_code == 201, response.json()
    created = response.json()
    assert {key: created[key] for key in ("name", "objective", "channels", "property_ids", "owner", "watchers",
                                          "assigned_to", "status", "currency", "starts_at", "ends_at", "timezone",
                                          "tags")} == {
        "name": "Harbour launch", "objective": "lease_up", "channels": ["email", "instagram"],
        "property_ids": [str(home.pk)], "owner": str(cast.member.pk), "watchers": [str(cast.manager.pk)],
        "assigned_to": [str(cast.member.pk)], "status": "draft", "currency": cast.org_a.currency,
        "starts_at": None, "ends_at": None, "timezone": "UTC", "tags": ["q2"],
    }  # fmt: skip
    assert created["budget"]["total"] == {"planned": "0.00", "planned_to_date": "0.00", "spent": "0.00",
                                          "remaining": "0.00", "percent_spent": None, "pacing": None}  # fmt: skip
    assert created["assets"] == {"total": 0, "by_state": {"draft": 0, "approved": 0, "rejected": 0}, "by_kind": {}}
    assert _timeline(cast, created["id"])[-1][0] == "created"


def test_dates_without_an_offset_are_the_orgs_local_time_and_come_back_in_its_zone(cast: Cast) -> None:
    cast.org_a.timezone = "Europe/Berlin"
    cast.org_a.save(update_fields=["timezone"])
    body = {"name": "Berlin open house", "starts_at": "2025-07-01T09:00:00", "ends_at": "2025-07-02T18:00:00Z"}

    response = client_for(cast.owner).post(CAMPAIGNS, body, format="json")

    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["starts_at"], created["ends_at"], created["timezone"]) == (
        "2025-07-01T09:00:00+02:00", "2025-07-02T20:00:00+02:00", "Europe/Berlin"
    )  # fmt: skip
    saved = stored(Campaign(pk=created["id"], org=cast.org_a))
    assert saved.starts_at == datetime.datetime(2025, 7, 1, 7, tzinfo=UTC)
    assert (created["budget"]["first_day"], created["budget"]["last_day"], created["budget"]["days"]) == (
        "2025-07-01", "2025-07-02", 2
    )  # fmt: skip


def test_the_end_must_come_after_the_start(cast: Cast) -> None:
    body = {"name": "Backwards", "starts_at": "2025-07-02T09:00:00Z", "ends_at": "2025-07-01T09:00:00Z"}

    response = client_for(cast.owner).post(CAMPAIGNS, body, format="json")

    error = {"code": "before_start", "detail": "The end must be after the start."}
    assert (response.status_code, response.json()) == (400, {**error, "fields": {"ends_at": [error]}})
    with org_context(cast.org_a):
        assert not Campaign.objects.exists()


def test_another_orgs_listing_is_the_same_400_as_a_random_id_and_archived_listings_are_refused(cast: Cast) -> None:
    theirs = listing(cast, org=cast.org_b)
    shelved = listing(cast, title="Old stock")
    with org_context(cast.org_a):
        shelved.archived_at = timezone.now()
        shelved.save(update_fields=["archived_at"])
    client = client_for(cast.owner)

    for pk in (theirs.pk, RANDOM_ID, shelved.pk):
        response = client.post(CAMPAIGNS, {"name": "X", "property_ids": [str(pk)]}, format="json")
        assert (response.status_code, response.json()) == (400, _does_not_exist("property_ids", pk))


def test_a_listing_archived_since_it_was_linked_may_be_sent_back_unchanged(cast: Cast) -> None:
    home, other = listing(cast), listing(cast, title="Other")
    made = campaign(cast, property_ids=[home.pk])
    with org_context(cast.org_a):
        type(home).objects.filter(pk=home.pk).update(archived_at=timezone.now())

    response = client_for(cast.owner).patch(
        f"{CAMPAIGNS}{made.pk}/", {"property_ids": [str(home.pk), str(other.pk)]}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["property_ids"] == [str(home.pk), str(other.pk)]


def test_another_orgs_member_is_the_same_400_as_a_random_id_as_owner_or_watcher(cast: Cast) -> None:
    client = client_for(cast.owner)
    for field, value in (("owner", str(cast.other_owner.pk)), ("watchers", [str(cast.other_owner.pk)])):
        for pk in (cast.other_owner.pk, RANDOM_ID):
            sent = str(pk) if field == "owner" else [str(pk)]
            response = client.post(CAMPAIGNS, {"name": "X", field: sent}, format="json")
            assert response.status_code == 400, field
            assert response.json()["code"] == "does_not_exist", (field, value)
            detail = f'Invalid pk "{pk}" - object does not exist.'
            assert response.json()["fields"][field][0]["detail"] == detail


def test_another_orgs_campaign_is_the_same_404_as_a_missing_one_on_every_route(cast: Cast) -> None:
    theirs = campaign(cast, org=cast.org_b)
    client = client_for(cast.owner)
    paths = ["", "report/", "report/csv/", "report/pdf/", "timeline/"]
    for pk in (theirs.pk, RANDOM_ID):
        for path in paths:
            response = client.get(f"{CAMPAIGNS}{pk}/{path}")
            assert (response.status_code, response.json()) == (
                404, {"code": "not_found", "detail": "Not found.", "fields": {}}
            ), path  # fmt: skip
        for path in ("budget/", "budget-lines/", "spend/", "assets/"):
            assert client.get(f"{CAMPAIGNS}{pk}/{path}").status_code == 404, path
        for path in ("budget-lines/", "spend/", "assets/"):
            assert client.post(f"{CAMPAIGNS}{pk}/{path}", {}, format="json").status_code == 404, path
        assert client.patch(f"{CAMPAIGNS}{pk}/", {"name": "Mine"}, format="json").status_code == 404
    assert stored(theirs).name == theirs.name


def test_filters_by_another_orgs_ids_find_nothing_exactly_like_random_ids(cast: Cast) -> None:
    home = listing(cast)
    campaign(cast, property_ids=[home.pk], watchers=[cast.manager.pk])
    theirs_listing = listing(cast, org=cast.org_b)
    campaign(cast, org=cast.org_b, property_ids=[theirs_listing.pk])

    assert_foreign_ids_find_nothing(
        client_for(cast.owner), CAMPAIGNS,
        {"property": theirs_listing.pk, "owner": cast.other_owner.pk, "watcher": cast.other_owner.pk,
         "assigned_to": cast.other_owner.pk},
    )  # fmt: skip


def test_list_filters_by_status_channel_listing_and_watcher(cast: Cast) -> None:
    home = listing(cast)
    marketed = campaign(cast, name="Marketed", property_ids=[home.pk], channels=["linkedin"])
    watched = campaign(cast, name="Watched", watchers=[cast.viewer.pk])
    client = client_for(cast.viewer)

    def names(**params: str) -> list[str]:
        return [row["name"] for row in client.get(CAMPAIGNS, params).json()["results"]]

    assert names(property=str(home.pk)) == [marketed.name]
    assert names(channel="linkedin") == [marketed.name]
    assert names(watcher=str(cast.viewer.pk)) == [watched.name]
    assert names(status="draft", ordering="name") == ["Marketed", "Watched"]
    assert names(search="watch") == ["Watched"]
    assert client.get(CAMPAIGNS, {"status": "archived"}).status_code == 400


def test_members_see_the_campaigns_they_made_or_are_assigned_and_nothing_else(cast: Cast) -> None:
    mine = campaign(cast, actor=cast.member, name="Mine")
    assigned = campaign(cast, name="Assigned", assigned_to=[cast.member.pk])
    hidden = campaign(cast, name="Hidden")
    client = client_for(cast.member)

    assert sorted(row["name"] for row in client.get(CAMPAIGNS).json()["results"]) == ["Assigned", "Mine"]
    assert client.get(f"{CAMPAIGNS}{hidden.pk}/").status_code == 404
    assert client.get(f"{CAMPAIGNS}{hidden.pk}/budget/").status_code == 404
    assert client.get(f"{CAMPAIGNS}{assigned.pk}/").status_code == 200
    assert mine.owner_id == cast.member.pk


# --- the status machine -------------------------------------------------------------------------------------


def test_scheduling_needs_a_start_and_an_end(cast: Cast) -> None:
    made = campaign(cast)

    response = client_for(cast.owner).patch(f"{CAMPAIGNS}{made.pk}/", {"status": "scheduled"}, format="json")

    error = {"code": "required", "detail": "A scheduled campaign needs a start and an end."}
    assert (response.status_code, response.json()) == (400, {**error, "fields": {"starts_at": [error]}})
    assert stored(made).status == "draft"


def test_a_move_the_machine_does_not_allow_is_a_409_and_changes_nothing(cast: Cast) -> None:
    made = dated(cast, datetime.datetime(2030, 1, 1, tzinfo=UTC), 10)

    response = client_for(cast.owner).patch(
        f"{CAMPAIGNS}{made.pk}/", {"status": "completed", "name": "Renamed"}, format="json"
    )

    detail = "A draft campaign cannot become completed; it can become: cancelled, scheduled."
    error = {"code": "invalid_transition", "detail": detail}
    assert (response.status_code, response.json()) == (409, {**error, "fields": {"status": [error]}})
    assert (stored(made).status, stored(made).name) == ("draft", made.name)


def test_finished_campaigns_are_final(cast: Cast) -> None:
    made = campaign(cast)
    client = client_for(cast.owner)
    assert client.patch(f"{CAMPAIGNS}{made.pk}/", {"status": "cancelled"}, format="json").status_code == 200

    response = client.patch(f"{CAMPAIGNS}{made.pk}/", {"status": "draft"}, format="json")

    detail = "A cancelled campaign cannot become draft; it can become: nothing else (it is final)."
    assert (response.status_code, response.json()["detail"]) == (409, detail)


def test_a_new_campaign_cannot_start_active(cast: Cast) -> None:
    body = {
        "name": "Eager",
        "status": "active",
        "starts_at": "2025-01-01T00:00:00Z",
        "ends_at": "2025-02-01T00:00:00Z",
    }

    response = client_for(cast.owner).post(CAMPAIGNS, body, format="json")

    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")


def test_a_status_change_is_logged_and_told_to_watchers_and_the_owner_by_email_after_commit(
    cast: Cast, run_tasks_inline: None, django_capture_on_commit_callbacks
) -> None:
    made = dated(cast, datetime.datetime(2030, 1, 1, tzinfo=UTC), 10, owner_id=cast.admin.pk,
                 watchers=[cast.manager.pk, cast.viewer.pk, cast.owner.pk])  # fmt: skip
    cast.viewer.user.email_opt_outs = ["campaign_status"]
    cast.viewer.user.save(update_fields=["email_opt_outs"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast.owner).patch(f"{CAMPAIGNS}{made.pk}/", {"status": "scheduled"}, format="json")
        assert mail.outbox == []  # nothing is sent before the commit

    assert response.status_code == 200, response.json()
    assert _timeline(cast, made.pk)[0] == ("status_changed", {"status": ["draft", "scheduled"]})
    message = f"Owner moved the campaign {made.name} from draft to scheduled."
    expected = sorted([(cast.admin.pk, message), (cast.manager.pk, message), (cast.viewer.pk, message)])
    assert _notes(made, "campaign_status") == expected  # everyone but the one who did it
    assert sorted(email.to[0] for email in mail.outbox) == ["admin@alpha.test", "manager@alpha.test"]
    assert message in mail.outbox[0].body


def test_watchers_who_cannot_see_the_campaign_hear_nothing(cast: Cast) -> None:
    made = dated(cast, datetime.datetime(2030, 1, 1, tzinfo=UTC), 10, watchers=[cast.member.pk])

    response = client_for(cast.owner).patch(f"{CAMPAIGNS}{made.pk}/", {"status": "scheduled"}, format="json")

    assert response.status_code == 200
    assert _notes(made, "campaign_status") == []


def test_a_bulk_status_change_moves_what_may_move_and_reports_the_rest(cast: Cast) -> None:
    ready = dated(cast, datetime.datetime(2030, 1, 1, tzinfo=UTC), 10)
    undated = campaign(cast, name="Undated")
    theirs = campaign(cast, org=cast.org_b)

    response = client_for(cast.owner).post(
        f"{CAMPAIGNS}bulk/",
        {
            "action": "update",
            "ids": [str(ready.pk), str(undated.pk), str(theirs.pk)],
            "changes": {"status": "scheduled"},
        },
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["results"] == [
        {"id": str(ready.pk), "status": "updated"},
        {"id": str(undated.pk), "status": "invalid", "code": "required",
         "detail": "A scheduled campaign needs a start and an end."},
        {"id": str(theirs.pk), "status": "not_found"},
    ]  # fmt: skip
    assert (stored(ready).status, stored(undated).status) == ("scheduled", "draft")


def test_a_bulk_owner_change_hands_over_the_seat(cast: Cast) -> None:
    made = campaign(cast)

    response = client_for(cast.owner).post(
        f"{CAMPAIGNS}bulk/",
        {"action": "update", "ids": [str(made.pk)], "changes": {"owner": str(cast.manager.pk)}},
        format="json",
    )  # fmt: skip

    assert response.json()["results"] == [{"id": str(made.pk), "status": "updated"}]
    assert (stored(made).owner_id, stored(made).assigned_to) == (cast.manager.pk, [cast.manager.pk])


# --- the schedule sweep -------------------------------------------------------------------------------------


def test_the_sweep_starts_and_completes_campaigns_on_time_once(cast: Cast) -> None:
    now = timezone.now()
    starting = dated(cast, now - datetime.timedelta(minutes=5), 10, name="Starting", status="scheduled",
                     watchers=[cast.manager.pk])  # fmt: skip
    over = dated(cast, now - datetime.timedelta(days=3), 2, name="Over", status="scheduled")
    later = dated(cast, now + datetime.timedelta(days=1), 2, name="Later", status="scheduled")
    paused = dated(cast, now - datetime.timedelta(days=9), 2, name="Paused")
    with org_context(cast.org_a):
        Campaign.objects.filter(pk=paused.pk).update(status="paused")
        archived = dated(cast, now - datetime.timedelta(days=1), 5, name="Archived", status="scheduled")
        Campaign.objects.filter(pk=archived.pk).update(archived_at=now)

        first = campaigns_advance_schedules(org=cast.org_a)
        second = campaigns_advance_schedules(org=cast.org_a)

    assert (first, second) == (2, 0)
    statuses = {c.name: stored(c).status for c in (starting, over, later, paused, archived)}
    assert statuses == {"Starting": "active", "Over": "completed", "Later": "scheduled", "Paused": "paused",
                        "Archived": "scheduled"}  # fmt: skip
    assert [verb_changes for verb_changes in _timeline(cast, over.pk)[:2]] == [
        ("status_changed", {"status": ["active", "completed"]}),
        ("status_changed", {"status": ["scheduled", "active"]}),
    ]
    message = "Keystone moved the campaign Starting from scheduled to active."
    assert _notes(starting, "campaign_status") == sorted([(cast.owner.pk, message), (cast.manager.pk, message)])


# --- hand-over, export, purge -------------------------------------------------------------------------------


def test_removing_a_member_hands_their_live_campaigns_on_and_stops_their_watching(cast: Cast) -> None:
    owned = campaign(cast, actor=cast.member, name="Owned", watchers=[cast.admin.pk])
    watched = campaign(cast, name="Watched", watchers=[cast.member.pk, cast.viewer.pk])
    finished = campaign(cast, actor=cast.member, name="Finished")
    with org_context(cast.org_a):
        Campaign.objects.filter(pk=finished.pk).update(status="completed")

        moved = open_records_reassign(org=cast.org_a, from_profile=cast.member, to_profile=cast.manager)

    assert moved["campaigns"] == 2
    assert (stored(owned).owner_id, stored(owned).assigned_to) == (cast.manager.pk, [cast.manager.pk])
    assert stored(watched).watchers == [cast.viewer.pk]
    assert (stored(finished).owner_id, stored(finished).assigned_to) == (cast.member.pk, [cast.member.pk])


def test_the_export_has_the_rows_the_list_shows(cast: Cast) -> None:
    campaign(cast, name="Exported launch", channels=["email", "x"])

    response = client_for(cast.manager).get(f"{CAMPAIGNS}export/")

    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    header, row = content.splitlines()[:2]
    assert header.split(",")[:4] == ["id", "name", "objective", "channels"]
    assert "Exported launch" in row and "email;x" in row


def test_purging_takes_budgets_spend_assets_and_timeline_with_it(cast: Cast) -> None:
    made = dated(cast, datetime.datetime(2025, 1, 1, tzinfo=UTC), 10)
    line(cast, made, "email", "10")
    spend(cast, made, "email", "5", datetime.date(2025, 1, 2))
    asset_row(cast, made)
    client = client_for(cast.owner)
    assert client.delete(f"{CAMPAIGNS}{made.pk}/").status_code == 204

    assert client.post(f"{CAMPAIGNS}{made.pk}/purge/").status_code == 204

    with org_context(cast.org_a):
        assert not Campaign.objects.filter(pk=made.pk).exists()
        assert not ActivityEntry.objects.filter(target_id=made.pk).exists()
        assert (made.budget_lines.count(), made.spend_entries.count(), made.assets.count()) == (0, 0, 0)


# --- query budgets ------------------------------------------------------------------------------------------


def test_the_list_costs_the_same_queries_for_one_campaign_as_for_fifty(cast: Cast) -> None:
    campaign(cast, watchers=[cast.manager.pk])
    client = client_for(cast.owner)

    def grow() -> None:
        for n in range(49):
            campaign(cast, name=f"Campaign {n}", watchers=[cast.viewer.pk], property_ids=[])

    assert_flat_query_count(lambda: client.get(CAMPAIGNS, {"page_size": 50}), grow)
    assert client.get(CAMPAIGNS, {"page_size": 50}).json()["count"] == 50


def test_a_campaign_with_budgets_pacing_and_assets_costs_the_same_queries_however_much_it_holds(
    cast: Cast,
) -> None:
    made = dated(cast, datetime.datetime(2025, 1, 1, tzinfo=UTC), 60, channels=["email", "facebook", "google_ads"])
    line(cast, made, "email", "10")
    spend(cast, made, "email", "5", datetime.date(2025, 1, 2))
    client = client_for(cast.owner)
    url = f"{CAMPAIGNS}{made.pk}/"

    def grow() -> None:
        line(cast, made, "facebook", "70", "weekly")
        line(cast, made, "google_ads", "1000", "monthly")
        for day in range(1, 40):
            spend(
                cast,
                made,
                ["email", "facebook", "google_ads"][day % 3],
                "12.34",
                datetime.date(2025, 1, day % 28 + 1),
            )
        for n in range(5):
            asset_row(cast, made, sha256=f"{n:064d}")

    assert_flat_query_count(lambda: client.get(url), grow)
    body = client.get(url).json()
    assert [row["channel"] for row in body["budget"]["channels"]] == ["email", "facebook", "google_ads"]
    assert body["budget"]["total"]["spent"] == str(Decimal("5") + 39 * Decimal("12.34"))
    assert body["assets"]["total"] == 5
