"""The pieces around the send loop: the shared rate limit, the reaper that turns a lapsed lease into `unknown`
(never resent by itself), and retrying `unknown` messages on purpose."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from common.context import org_context
from emailing import send_services
from emailing.models import EmailSend, Recipient
from emailing.ratelimit import RateLimiter, org_rate
from emailing.tests import helpers as h
from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db


def test_the_rate_limit_spaces_messages_for_the_org_and_for_everyone(settings: Any) -> None:
    settings.EMAILING_GLOBAL_RATE_PER_MINUTE = 0
    per_org = RateLimiter(org_id="org-a", per_minute=60)
    other_org = RateLimiter(org_id="org-b", per_minute=60)

    assert per_org.take() == 0.0
    assert 0.9 < per_org.take() <= 1.0  # the next one is due a second later
    assert other_org.take() == 0.0  # another org has its own budget
    settings.EMAILING_GLOBAL_RATE_PER_MINUTE = 60
    everyone_a, everyone_b = RateLimiter(org_id="org-c", per_minute=0), RateLimiter(org_id="org-d", per_minute=0)
    assert everyone_a.take() == 0.0
    assert everyone_b.take() > 0.9  # the global budget is shared


def test_an_orgs_own_rate_is_capped_by_the_platform(settings: Any) -> None:
    settings.EMAILING_RATE_PER_MINUTE, settings.EMAILING_MAX_RATE_PER_MINUTE = 600, 1000

    assert (org_rate(None), org_rate(200), org_rate(5000)) == (600, 200, 1000)


def test_a_lapsed_lease_becomes_unknown_and_goes_again_only_when_asked(cast: Cast) -> None:
    h.settings_row(cast.org_a)
    h.contact(cast.org_a, "ann@example.test")
    h.contact(cast.org_a, "bob@example.test")
    send = h.draft(cast.org_a, cast.owner, [h.segment_everyone(cast.org_a)])
    with org_context(cast.org_a):
        send_services.send_start(org=cast.org_a, actor=cast.owner, send_id=send.pk)
        now = timezone.now()
        Recipient.objects.filter(email="ann@example.test").update(
            state="sending", lease_expires_at=now - datetime.timedelta(seconds=1), attempts=1
        )
        Recipient.objects.filter(email="bob@example.test").update(state="sent", sent_at=now)

        assert send_services.reap_expired_leases(org=cast.org_a) == 1
        assert send_services.reap_expired_leases(org=cast.org_a) == 0
        ann = Recipient.objects.get(email="ann@example.test")
        assert EmailSend.objects.get(pk=send.pk).status == "completed"

    retried = client_for(cast.manager).post(f"/api/email/sends/{send.pk}/retry-unknown/")
    again = client_for(cast.manager).post(f"/api/email/sends/{send.pk}/retry-unknown/")

    assert (ann.state, ann.last_reply) == (
        "unknown",
        "the worker stopped during this message: it may or may not have been delivered",
    )
    assert (retried.json(), again.json()) == ({"retried": 1}, {"retried": 0})
    with org_context(cast.org_a):
        assert Recipient.objects.get(email="ann@example.test").state == "queued"
        assert EmailSend.objects.get(pk=send.pk).status == "sending"
    assert client_for(cast.member).post(f"/api/email/sends/{send.pk}/retry-unknown/").status_code == 403
