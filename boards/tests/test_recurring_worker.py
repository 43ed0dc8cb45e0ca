"""Recurring cards in a real Celery worker: beat's job, sent from the public schema twice (as a retry or a second
beat would), makes each due card once, in its org's schema, and moves the rule to its next period; a real beat
process sends it on its schedule."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from boards import services
from boards.models import Card, RecurringCard
from boards.tasks import recurring_cards
from boards.tests.helpers import board, columns
from common.context import org_context
from tenants.testing.committed import committed_rows_removed
from tenants.testing.committed import in_own_connection as _in_thread
from tenants.testing.fixtures import Cast, database_url_for_subprocess

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed_rule(cast: Cast) -> Iterator[Any]:
    def make() -> Any:
        made = board(cast.member, name="Recurring")
        with org_context(cast.org_a):
            return services.recurring_create(
                org=cast.org_a, actor=cast.member, board_id=made.pk,
                data={"column": columns(made)[0].pk, "title": "Weekly report", "frequency": "weekly",
                      "next_run_on": timezone.localdate() - datetime.timedelta(days=1)},
            )  # fmt: skip

    with committed_rows_removed(cast.org_a):
        yield _in_thread(make)


def test_the_worker_makes_a_due_recurring_card_once_and_schedules_the_next(
    cast: Cast, committed_rule: Any, celery_worker_process: Any
) -> None:
    first, second = recurring_cards.apply_async(), recurring_cards.apply_async()

    made = sorted([first.get(timeout=90), second.get(timeout=90)])

    assert made == [0, 1]

    def check() -> None:
        with org_context(cast.org_a):
            cards = list(Card.objects.filter(recurring=committed_rule).values_list("title", "period"))
            assert cards == [("Weekly report", timezone.localdate() - datetime.timedelta(days=1))]
            rule = RecurringCard.objects.get(pk=committed_rule.pk)
            assert rule.next_run_on == timezone.localdate() + datetime.timedelta(days=6)

    _in_thread(check)
    assert celery_worker_process.poll() is None


def test_beat_sends_the_recurring_cards_and_a_worker_makes_the_due_card(
    cast: Cast, committed_rule: Any, celery_worker_process: Any, tmp_path: Path
) -> None:
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "boards.tests.beat_settings",
        "DATABASE_URL": database_url_for_subprocess(), "REDIS_URL": str(settings.REDIS_URL),
    }  # fmt: skip
    command = [sys.executable, "-m", "celery", "-A", "crm", "beat", "--loglevel", "WARNING",
               "--schedule", str(tmp_path / "beat-schedule")]  # fmt: skip
    beat = subprocess.Popen(command, env=env, start_new_session=True)

    def cards() -> list[Any]:
        with org_context(cast.org_a):
            return list(Card.objects.filter(recurring=committed_rule).values_list("period", flat=True))

    try:
        deadline = time.monotonic() + 120
        while not _in_thread(cards) and time.monotonic() < deadline:
            assert beat.poll() is None, "beat stopped"
            time.sleep(0.5)
        time.sleep(3)  # beat goes on sending every second: still one card for the period
        made = _in_thread(cards)
    finally:
        beat.terminate()
        beat.wait(timeout=30)

    assert made == [timezone.localdate() - datetime.timedelta(days=1)]


def test_next_periods_follow_the_frequency_and_the_end_of_month() -> None:
    day = datetime.date(2026, 1, 31)

    assert services.next_run_after(day, "daily") == datetime.date(2026, 2, 1)
    assert services.next_run_after(day, "weekly") == datetime.date(2026, 2, 7)
    assert services.next_run_after(day, "monthly") == datetime.date(2026, 2, 28)


def test_a_monthly_card_of_the_31st_goes_back_to_the_31st_after_a_short_month(cast: Cast) -> None:
    made = board(cast.owner)
    with org_context(cast.org_a):
        rule = services.recurring_create(
            org=cast.org_a, actor=cast.owner, board_id=made.pk,
            data={"column": columns(made)[0].pk, "title": "Rent roll", "frequency": "monthly",
                  "next_run_on": datetime.date(2026, 1, 31)},
        )  # fmt: skip
        periods = []
        for today in (datetime.date(2026, 1, 31), datetime.date(2026, 2, 28), datetime.date(2026, 3, 31)):
            services.recurring_run(org=cast.org_a, today=today)
            periods.append(RecurringCard.objects.get(pk=rule.pk).next_run_on)
        made_for = sorted(
            day for day in Card.objects.filter(recurring=rule).values_list("period", flat=True) if day
        )

    assert periods == [datetime.date(2026, 2, 28), datetime.date(2026, 3, 31), datetime.date(2026, 4, 30)]
    assert made_for == [datetime.date(2026, 1, 31), datetime.date(2026, 2, 28), datetime.date(2026, 3, 31)]
