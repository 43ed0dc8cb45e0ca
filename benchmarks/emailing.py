"""Email marketing at scale: 100,000 contacts in one org.

1. Segment count: a dynamic segment with three conditions (tags, consent, last activity) counted, p50/p95, with
   the database's own plan (EXPLAIN ANALYZE).
2. Freezing the audience: the INSERT ... SELECT that makes 100,000 recipient rows (rolled back each time).
3. Sending: a real 100,000-recipient send through a real Celery worker (two threads by default) to a local SMTP
   sink (aiosmtpd in this process), rate limits off: sustained messages per second, and the worker's resident
   memory (all its processes) sampled every second, peak and first/last quarter.
Run: .venv/bin/python -m benchmarks.emailing [--contacts 100000] [--repeat 50] [--concurrency 2] [--pool threads|prefork] [--skip-send]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from benchmarks.harness import setup, summary, timed

ORG_SLUG = "bench-emailing"
TAG = "bench"


def _ensure_data(contacts: int) -> dict[str, Any]:
    from django.db import connection

    from common.context import org_context
    from common.models import Profile, Role, User
    from emailing.models import EmailSettings, Segment
    from tenants.models import Org
    from tenants.orgs.provisioning import org_create

    org = Org.objects.filter(slug=ORG_SLUG).first() or org_create(name="Bench Emailing", slug=ORG_SLUG)
    user = User.objects.filter(email="bench-emailing@example.test").first() or User.objects.create_user(
        email="bench-emailing@example.test", password="Bench-Passphrase-42"
    )
    owner, _ = Profile.objects.get_or_create(user=user, org=org, defaults={"role": Role.OWNER})
    with org_context(org), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM contacts_contact WHERE org_id = %s", [org.pk])
        have = cursor.fetchone()[0]
        if have < contacts:
            print(f"making {contacts - have} contacts...", flush=True)
            cursor.execute(
                """
                INSERT INTO contacts_contact (id, org_id, created_at, updated_at, assigned_to, tags, custom_fields,
                    first_name, last_name, email, secondary_email, phone, mobile, title, source, do_not_contact,
                    street, city, region, postal_code, country, email_consent, email_consent_source)
                SELECT gen_random_uuid(), %s, now() - (n %% 700) * interval '1 day', now(), '{}',
                       CASE WHEN n %% 3 = 0 THEN ARRAY['bench', 'vip'] ELSE ARRAY['bench'] END, '{}',
                       'Person', n::text, 'bench-' || n || '@example.test', '', '', '', '', 'web', false, '',
                       (ARRAY['Lisbon', 'Porto', 'Faro', 'Braga'])[1 + n %% 4], '', '', 'PT',
                       CASE WHEN n %% 10 = 0 THEN 'unsubscribed' ELSE 'subscribed' END, 'import'
                  FROM generate_series(%s, %s) AS n
                """,
                [org.pk, have + 1, contacts],
            )
            # A timeline entry for a third of them (the "last activity" condition reads these).
            cursor.execute(
                """
                INSERT INTO timeline_activityentry (id, org_id, created_at, updated_at, verb, target_type, target_id,
                                                    changes)
                SELECT gen_random_uuid(), %s, now() - (row_number() OVER () %% 400) * interval '1 day', now(),
                       'updated', 'contacts.contact', id, '{}'
                  FROM contacts_contact WHERE org_id = %s AND split_part(split_part(email, '-', 2), '@', 1)::int %% 3 <> 2
                """,
                [org.pk, org.pk],
            )
            cursor.execute("ANALYZE contacts_contact")
            cursor.execute("ANALYZE timeline_activityentry")
        EmailSettings.objects.update_or_create(
            org=org,
            defaults={
                "sender_domains": ["bench.test"],
                "default_from_email": "news@bench.test",
                "tracking_enabled": True,
            },
        )
        everyone, _ = Segment.objects.get_or_create(
            org=org,
            name="Everyone",
            defaults={
                "definition": {"match": "all", "conditions": [{"field": "tags", "op": "has_any", "value": [TAG]}]}
            },
        )
    return {"org": org, "owner": owner, "everyone": everyone}


THREE_CONDITIONS = {
    "match": "all",
    "conditions": [
        {"field": "tags", "op": "has_any", "value": ["vip"]},
        {"field": "consent", "op": "in", "value": ["subscribed"]},
        {"field": "last_activity", "op": "within_days", "value": 180},
    ],
}


def bench_segment_count(org: Any, repeat: int) -> None:
    from django.db import connection

    from common.context import org_context
    from emailing.selectors import definition_contacts

    with org_context(org):
        count = definition_contacts(org=org, definition=THREE_CONDITIONS).count()
        samples = timed(lambda: definition_contacts(org=org, definition=THREE_CONDITIONS).count(), repeat)
        queryset = definition_contacts(org=org, definition=THREE_CONDITIONS)
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) SELECT count(*) FROM (" + sql + ") AS counted", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
    print(f"segment count (3 conditions) = {count}: {summary(samples)}")
    print("plan:\n  " + plan.replace("\n", "\n  "))


def bench_freeze(org: Any, owner: Any, everyone: Any, repeat: int) -> None:
    from django.db import transaction

    from common.context import org_context
    from emailing.audience import audience_freeze
    from emailing.models import EmailSend

    class Rollback(Exception):
        pass

    samples = []
    with org_context(org):
        for _ in range(repeat):
            try:
                with transaction.atomic():
                    send = EmailSend.objects.create(org=org, name="freeze", segment_ids=[everyone.pk])
                    started = time.perf_counter()
                    frozen = audience_freeze(org=org, send=send, allowed=("subscribed",), actor_id=owner.pk)
                    samples.append((time.perf_counter() - started) * 1000)
                    raise Rollback
            except Rollback:
                pass
    print(
        f"freeze audience ({frozen.audience} matched, {frozen.recipients} rows, excluded {frozen.excluded}): "
        f"{summary(samples)}"
    )


def _rss_mb(process: Any) -> float:
    import psutil

    try:
        parent = psutil.Process(process.pid)
        members = [parent, *parent.children(recursive=True)]
        return sum(member.memory_info().rss for member in members) / 1024 / 1024
    except psutil.Error:
        return 0.0


def bench_send(org: Any, owner: Any, everyone: Any, concurrency: int, pool: str) -> None:
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from common.context import org_context
    from emailing import send_services
    from emailing.models import EmailSend, Recipient
    from emailing.tests.smtp import smtp_server

    with smtp_server(keep_body=False) as sink:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
            **sink.env(),
            "EMAILING_RATE_PER_MINUTE": "0",
            "EMAILING_GLOBAL_RATE_PER_MINUTE": "0",
            "EMAILING_BATCH_SIZE": "500",
            "EMAILING_PARALLEL_BATCHES": str(concurrency),
            "EMAILING_APPROVAL_THRESHOLD": "1000000000",
        }
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "crm",
            "worker",
            "--pool",
            pool,
            "-c",
            str(concurrency),
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-Q",
            "celery",
        ]
        worker = subprocess.Popen(command, env=env, start_new_session=True)
        try:
            time.sleep(6)
            with org_context(org):
                send = EmailSend.objects.create(
                    org=org,
                    name=f"bench {time.time():.0f}",
                    segment_ids=[everyone.pk],
                    subject="Hello {{ contact.first_name }}",
                    html='<p>Hi {{ contact.first_name | default: "there" }}, see <a href="https://bench.test/a">this</a>'
                    ' and <a href="https://bench.test/b">that</a>.</p>',
                    from_email="news@bench.test",
                    from_name="Bench",
                    created_by=owner,
                    content_approved_at=timezone.now(),
                    content_approved_by=owner,
                )
                started = time.perf_counter()
                send_services.send_start(org=org, actor=owner, send_id=send.pk)
                freeze_ms = (time.perf_counter() - started) * 1000
                total = EmailSend.objects.get(pk=send.pk).recipient_count
                print(f"send of {total} started (freeze + start: {freeze_ms:.0f} ms)", flush=True)
                series: list[tuple[float, int, float]] = []
                first_at = None
                while True:
                    time.sleep(1)
                    sent = len(sink.delivered)
                    now = time.perf_counter()
                    if sent and first_at is None:
                        first_at = (now, sent)
                    series.append((now, sent, _rss_mb(worker)))
                    if sent >= total or (len(series) > 30 and series[-30][1] == sent):
                        break
                connection.close()
                rows = (
                    Recipient.objects.for_org(org).filter(send_id=send.pk).values("state").annotate(n=Count("id"))
                )
                states = {row["state"]: row["n"] for row in rows.order_by()}
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
    assert first_at is not None
    last_at, last_sent = series[-1][0], series[-1][1]
    rate = (last_sent - first_at[1]) / max(0.001, last_at - first_at[0])
    rss = [sample[2] for sample in series]
    quarter = max(1, len(rss) // 4)
    recipients = sink.recipients()
    print(
        f"sent {last_sent} of {total} in {last_at - first_at[0]:.1f} s: {rate:.0f} messages/s sustained "
        f"({pool} pool, concurrency {concurrency}, rate limits off, batches of 500)"
    )
    print(
        f"worker RSS: peak {max(rss):.0f} MB, mean of first quarter {statistics.mean(rss[:quarter]):.0f} MB, "
        f"last quarter {statistics.mean(rss[-quarter:]):.0f} MB"
    )
    print(f"recipients twice at the sink: {len(recipients) - len(set(recipients))}; states {states}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--pool", default="threads", choices=["threads", "prefork"])
    parser.add_argument("--skip-send", action="store_true")
    args = parser.parse_args()
    setup()
    data = _ensure_data(args.contacts)
    bench_segment_count(data["org"], args.repeat)
    bench_freeze(data["org"], data["owner"], data["everyone"], 3)
    if not args.skip_send:
        bench_send(data["org"], data["owner"], data["everyone"], args.concurrency, args.pool)


if __name__ == "__main__":
    main()
