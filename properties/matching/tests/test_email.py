"""Emails of saved searches: instant ones at once, daily and weekly digests (never twice), who may be mailed, and
the unsubscribe link."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from common.context import org_context
from properties.matching import digests
from properties.matching.models import MatchNotice, SavedSearch
from properties.matching.tests.helpers import change, contact, listing, match_all, saved_search
from properties.matching.unsubscribe import unsubscribe_token
from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


@pytest.fixture
def mailing(run_tasks_inline: None, django_capture_on_commit_callbacks: Any) -> Any:
    """Run an action and send the emails it queued, as after its commit."""

    def run(action: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


def _unsubscribe_path(message: Any) -> str:
    found = re.search(r"https?://[^/\s]+(/api/public/saved-searches/unsubscribe/[^/\s]+/)", message.body)
    assert found, message.body
    html = message.alternatives[0][0]
    assert found.group(0) in html
    return found.group(1)


def _stored(search: SavedSearch) -> SavedSearch:
    with org_context(search.org):
        return SavedSearch.objects.get(pk=search.pk)


def _digest(org: Any, now: datetime.datetime, mailing: Any) -> int:
    with org_context(org):
        return mailing(lambda: digests.digests_send(org=org, now=now))


# --- At once -----------------------------------------------------------------------------------------------


def test_an_instant_search_is_mailed_at_once_with_an_unsubscribe_link(cast: Cast, mailing: Any) -> None:
    saved_search(cast, name="Leeds houses", criteria={"city": "Leeds"})

    house = {"status": "active", "city": "Leeds", "asking_price": "250000", "currency": "GBP", "bedrooms": 3}

    mailing(lambda: (listing(cast, title="Mill House", property_type="house", **house), match_all(cast.org_a)))

    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["member@alpha.test"], "[Alpha Realty] New listing: Mill House")
    ]
    body = mail.outbox[0].body
    assert 'New listing, matching your saved search "Leeds houses"' in body
    assert "250,000 GBP - House, 3 bedrooms - Active" in body
    assert _unsubscribe_path(mail.outbox[0])
    with org_context(cast.org_a):
        assert MatchNotice.objects.filter(emailed_at__isnull=False).count() == 1


def test_a_member_who_opted_out_of_listing_match_emails_is_told_in_app_only(cast: Cast, mailing: Any) -> None:
    cast.member.user.email_opt_outs = ["listing_match"]
    cast.member.user.save(update_fields=["email_opt_outs"])
    saved_search(cast, name="Anything")

    mailing(lambda: (listing(cast, title="Quay", status="active"), match_all(cast.org_a)))

    assert mail.outbox == []
    with org_context(cast.org_a):
        assert MatchNotice.objects.filter(emailed_at__isnull=True).count() == 1
        from timeline.models import Notification

        assert Notification.objects.filter(recipient=cast.member, kind="listing_match").count() == 1


def test_a_search_with_email_off_is_told_in_app_only(cast: Cast, mailing: Any) -> None:
    saved_search(cast, name="Quiet", email_enabled=False)

    mailing(lambda: (listing(cast, title="Quay", status="active"), match_all(cast.org_a)))

    assert mail.outbox == []


def test_a_requirement_mails_the_contact_only_when_asked_about_published_listings_only(
    cast: Cast, mailing: Any
) -> None:
    bea = contact(cast, first_name="Bea", last_name="Buyer", email="bea@example.com", assigned_to=[cast.member.pk])
    cy = contact(cast, first_name="Cy", email="cy@example.com", assigned_to=[cast.member.pk])
    dee = contact(cast, first_name="Dee", assigned_to=[cast.member.pk])  # no address
    saved_search(cast, name="Bea's", contact=bea, email_enabled=True)
    saved_search(cast, name="Cy's", contact=cy)  # email off: the default for a requirement
    saved_search(cast, name="Dee's", contact=dee, email_enabled=True)

    mailing(lambda: (listing(cast, title="Internal", status="active"), match_all(cast.org_a)))
    mailing(lambda: (listing(cast, title="Public", status="active", is_published=True), match_all(cast.org_a)))

    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["bea@example.com"], "[Alpha Realty] New listing: Public")
    ]
    assert "Hi Bea Buyer," in mail.outbox[0].body and "your requirements" in mail.outbox[0].body
    assert "Open Keystone CRM" not in mail.outbox[0].body  # a contact has no account to open


def test_a_requirement_notifies_the_contacts_assignees_in_app(cast: Cast, mailing: Any) -> None:
    from properties.matching.tests.helpers import match_notifications

    bea = contact(cast, first_name="Bea", last_name="Buyer", assigned_to=[cast.member.pk, cast.manager.pk])
    cy = contact(cast, first_name="Cy", created_by=cast.admin)
    saved_search(cast, name="Bea's", contact=bea)
    saved_search(cast, cast.admin, name="Cy's", contact=cy)

    mailing(lambda: (listing(cast, title="Quay", status="active"), match_all(cast.org_a)))

    assert sorted(match_notifications(cast.org_a)) == sorted([
        (cast.member.pk, 'New listing "Quay" matches the saved search "Bea\'s" of Bea Buyer.'),
        (cast.manager.pk, 'New listing "Quay" matches the saved search "Bea\'s" of Bea Buyer.'),
        (cast.admin.pk, 'New listing "Quay" matches the saved search "Cy\'s" of Cy.'),
    ])  # fmt: skip


# --- Digests -----------------------------------------------------------------------------------------------


def test_daily_and_weekly_digests_go_when_due_and_never_twice(cast: Cast, mailing: Any) -> None:
    daily = saved_search(cast, name="Daily", frequency="daily")
    weekly = saved_search(cast, cast.manager, name="Weekly", frequency="weekly")
    mailing(lambda: (listing(cast, title="Quay", status="active"), listing(cast, title="Mill", status="active"),
                     match_all(cast.org_a)))  # fmt: skip
    assert mail.outbox == []  # digests only
    now = timezone.now()

    first = _digest(cast.org_a, now + DAY, mailing)
    rerun = _digest(cast.org_a, now + DAY, mailing)
    later_that_week = _digest(cast.org_a, now + 3 * DAY, mailing)
    week = _digest(cast.org_a, now + 7 * DAY, mailing)
    week_rerun = _digest(cast.org_a, now + 7 * DAY, mailing)

    assert (first, rerun, later_that_week, week, week_rerun) == (1, 0, 0, 1, 0)
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["member@alpha.test"], '[Alpha Realty] 2 listings for "Daily"'),
        (["manager@alpha.test"], '[Alpha Realty] 2 listings for "Weekly"'),
    ]
    assert "Your daily digest" in mail.outbox[0].body and "Quay" in mail.outbox[0].body
    assert "Your weekly digest" in mail.outbox[1].body
    assert _unsubscribe_path(mail.outbox[0]) and _unsubscribe_path(mail.outbox[1])
    # Each run a search was due moved its clock, with or without something to send.
    assert _stored(daily).last_digest_at == _stored(weekly).last_digest_at == now + 7 * DAY
    with org_context(cast.org_a):
        assert not MatchNotice.objects.filter(emailed_at__isnull=True).exists()


def test_a_digest_carries_only_what_came_after_the_last_one(cast: Cast, mailing: Any) -> None:
    saved_search(cast, name="Daily", frequency="daily")
    mailing(lambda: (listing(cast, title="Monday's", status="active"), match_all(cast.org_a)))
    now = timezone.now()
    _digest(cast.org_a, now + DAY, mailing)
    quay = listing(cast, title="Tuesday's", status="active", asking_price="100")
    mailing(lambda: match_all(cast.org_a))
    with org_context(cast.org_a):  # the new notice is dated after the first digest
        MatchNotice.objects.filter(property=quay).update(created_at=now + DAY + datetime.timedelta(hours=1))

    _digest(cast.org_a, now + 2 * DAY, mailing)

    assert [m.subject for m in mail.outbox] == [
        '[Alpha Realty] 1 listing for "Daily"',
        '[Alpha Realty] 1 listing for "Daily"',
    ]
    assert "Monday's" in mail.outbox[0].body and "Tuesday's" in mail.outbox[1].body
    assert "Monday's" not in mail.outbox[1].body


def test_a_due_digest_that_may_not_be_mailed_sends_nothing_and_never_sends_it_later(
    cast: Cast, mailing: Any
) -> None:
    cast.member.user.email_opt_outs = ["listing_match"]
    cast.member.user.save(update_fields=["email_opt_outs"])
    search = saved_search(cast, name="Daily", frequency="daily")
    mailing(lambda: (listing(cast, title="Quay", status="active"), match_all(cast.org_a)))
    now = timezone.now()

    sent = _digest(cast.org_a, now + DAY, mailing)
    cast.member.user.email_opt_outs = []
    cast.member.user.save(update_fields=["email_opt_outs"])
    sent_after_opting_in = _digest(cast.org_a, now + 2 * DAY, mailing)

    assert (sent, sent_after_opting_in, mail.outbox) == (0, 0, [])
    assert _stored(search).last_digest_at == now + 2 * DAY


def test_the_beat_task_sends_digests_in_every_active_org(cast: Cast, mailing: Any) -> None:
    from properties.matching.tasks import digests as digests_task

    saved_search(cast, name="Alpha daily", frequency="daily")
    saved_search(cast, cast.other_owner, name="Bravo daily", frequency="daily")
    listing(cast, title="Alpha quay", status="active")
    listing(cast, org=cast.org_b, title="Bravo quay", status="active")
    mailing(lambda: (match_all(cast.org_a), match_all(cast.org_b)))
    for org in (cast.org_a, cast.org_b):
        with org_context(org):
            SavedSearch.objects.update(created_at=timezone.now() - 2 * DAY)
            MatchNotice.objects.update(created_at=timezone.now() - DAY)

    sent = mailing(lambda: digests_task.apply().get())
    again = mailing(lambda: digests_task.apply().get())

    assert (sent, again) == (2, 0)
    assert sorted(m.to[0] for m in mail.outbox) == ["member@alpha.test", "other_owner@bravo.test"]


# --- The unsubscribe link ----------------------------------------------------------------------------------


def test_the_unsubscribe_link_turns_that_searchs_email_off_without_signing_in(cast: Cast, mailing: Any) -> None:
    search = saved_search(cast, name="Leeds houses")
    other = saved_search(cast, name="Other")
    mailing(lambda: (listing(cast, title="Quay", status="active"), match_all(cast.org_a)))
    path = _unsubscribe_path(next(m for m in mail.outbox if "Leeds houses" in m.body))

    first = client_for(None).get(path)
    again = client_for(None).post(path)

    assert (first.status_code, first.json()) == (200, {
        "search": "Leeds houses", "email_enabled": False,
        "detail": 'You will get no more emails for "Leeds houses".',
    })  # fmt: skip
    assert (again.status_code, again.json()["email_enabled"]) == (200, False)
    assert (_stored(search).email_enabled, _stored(other).email_enabled) == (False, True)
    mail.outbox.clear()
    mailing(lambda: (listing(cast, title="Mill", status="active"), match_all(cast.org_a)))
    assert [m.to for m in mail.outbox] == [["member@alpha.test"]] and "Other" in mail.outbox[0].body


@pytest.mark.parametrize("tamper", ["flip_search", "flip_signature", "garbage"])
def test_a_tampered_unsubscribe_link_is_a_400_and_changes_nothing(cast: Cast, tamper: str) -> None:
    from django.core import signing

    search = saved_search(cast, name="Mine")
    victim = saved_search(cast, cast.manager, name="Someone else's")
    token = unsubscribe_token(search)
    payload, _, signature = token.partition(":")
    forged = {
        "flip_search": signing.b64_encode(
            signing.JSONSerializer().dumps({"org": str(cast.org_a.pk), "search": str(victim.pk)})
        ).decode()
        + ":"
        + signature,
        "flip_signature": f"{payload}:{signature[:-2]}xx",
        "garbage": "not-a-token",
    }[tamper]

    response = client_for(None).get(f"/api/public/saved-searches/unsubscribe/{forged}/")

    assert (response.status_code, response.json()) == (400, {
        "code": "invalid_token", "fields": {},
        "detail": "This unsubscribe link is not valid. Use the link from the email as it is.",
    })  # fmt: skip
    assert _stored(search).email_enabled and _stored(victim).email_enabled


def test_the_link_of_a_deleted_search_is_a_404(cast: Cast) -> None:
    search = saved_search(cast, name="Gone")
    token = unsubscribe_token(search)
    client_for(cast.member).delete(f"/api/saved-searches/{search.pk}/")

    response = client_for(None).get(f"/api/public/saved-searches/unsubscribe/{token}/")

    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_turning_email_back_on_does_not_mail_what_gathered_while_it_was_off(cast: Cast, mailing: Any) -> None:
    search = saved_search(cast, name="Daily", frequency="daily", email_enabled=False)
    mailing(lambda: (listing(cast, title="Quiet time", status="active"), match_all(cast.org_a)))
    client_for(cast.member).patch(f"/api/saved-searches/{search.pk}/", {"email_enabled": True}, format="json")
    back_on_at = _stored(search).last_digest_at

    sent = _digest(cast.org_a, back_on_at + DAY, mailing)

    assert (sent, mail.outbox) == (0, [])


def test_a_price_drop_email_says_what_the_price_was(cast: Cast, mailing: Any) -> None:
    saved_search(cast, name="Anything")
    quay = listing(cast, title="Quay", status="active", asking_price="500000", currency="EUR")
    mailing(lambda: match_all(cast.org_a))
    mail.outbox.clear()

    mailing(lambda: (change(cast, quay, asking_price="450000"), match_all(cast.org_a)))

    assert [m.subject for m in mail.outbox] == ["[Alpha Realty] Price reduced to 450,000 EUR (was 500,000): Quay"]
