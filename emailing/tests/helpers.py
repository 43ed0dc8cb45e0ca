"""Shared makers of the email marketing tests: contacts, segments, settings and sends in org A, and a way to
commit them for a real worker (which cannot see a test's transaction)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import connection
from django.utils import timezone

from common.context import org_context
from common.models import Profile
from contacts.models import Contact
from emailing.models import EmailSend, EmailSettings, Segment
from tenants.models import Org
from tenants.testing.committed import committed_rows_removed, in_own_connection

T = TypeVar("T")
HTML = '<html><body><p>Hello {{ contact.first_name | default: "there" }},</p><p><a href="https://example.com/listing">See the listing</a></p></body></html>'  # noqa: E501
MARKER = "emailing-test"


def settings_row(org: Org, **fields: Any) -> EmailSettings:
    values = {
        "sender_domains": ["alpha.test"],
        "default_from_email": "news@alpha.test",
        "default_from_name": "Alpha Realty",
        "include_never_asked": False,
        **fields,
    }
    with org_context(org):
        row, _ = EmailSettings.objects.update_or_create(org=org, defaults=values)
    return row


def contact(org: Org, email: str, *, consent: str = "subscribed", **fields: Any) -> Contact:
    with org_context(org):
        made: Contact = Contact.objects.create(
            org=org,
            email=email,
            first_name=fields.pop("first_name", email.split("@")[0].title()),
            email_consent=consent,
            tags=fields.pop("tags", [MARKER]),
            **fields,
        )
    return made


def contacts(org: Org, count: int, *, prefix: str = "person", consent: str = "subscribed", **fields: Any) -> int:
    """`count` contacts `<prefix>-<n>@example.test` in one INSERT (for big audiences)."""
    with org_context(org), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO contacts_contact (id, org_id, created_at, updated_at, assigned_to, tags, custom_fields,
                first_name, last_name, email, secondary_email, phone, mobile, title, source, do_not_contact,
                street, city, region, postal_code, country, email_consent, email_consent_source)
            SELECT gen_random_uuid(), %s, now(), now(), '{}', %s, '{}', 'Person', n::text,
                   %s || '-' || n || '@example.test', '', '', '', '', '', false, '', %s, '', '', '', %s, ''
              FROM generate_series(1, %s) AS n
            """,
            [org.pk, [MARKER, *fields.get("tags", [])], prefix, fields.get("city", "Lisbon"), consent, count],
        )
        return int(cursor.rowcount)


def segment_everyone(org: Org, name: str = "Everyone tagged") -> Segment:
    definition = {"match": "all", "conditions": [{"field": "tags", "op": "has_any", "value": [MARKER]}]}
    with org_context(org):
        made: Segment = Segment.objects.create(org=org, name=name, kind="dynamic", definition=definition)
    return made


def draft(org: Org, author: Profile, segments: list[Segment], **fields: Any) -> EmailSend:
    values = {
        "name": "Spring listings",
        "subject": 'New homes for {{ contact.first_name | default: "you" }}',
        "html": HTML,
        "from_email": "news@alpha.test",
        "from_name": "Alpha Realty",
        "segment_ids": [segment.pk for segment in segments],
        **fields,
    }
    with org_context(org):
        made: EmailSend = EmailSend.objects.create(org=org, created_by=author, updated_by=author, **values)
    return made


def committed_cleanup(org: Org) -> None:
    """Remove everything the committed tests wrote in the org (only they commit email marketing rows)."""

    def clean() -> None:
        with org_context(org), connection.cursor() as cursor:
            for table in (
                "emailing_emailevent",
                "emailing_recipient",
                "emailing_emaillink",
                "emailing_emailsend",
                "emailing_segmentmember",
                "emailing_segment",
                "emailing_suppression",
                "emailing_emailsettings",
            ):
                cursor.execute(f"DELETE FROM {table} WHERE org_id = %s", [org.pk])
            cursor.execute(
                "DELETE FROM timeline_activityentry WHERE target_id IN "
                "(SELECT id FROM contacts_contact WHERE org_id = %s AND %s = ANY(tags))",
                [org.pk, MARKER],
            )
            cursor.execute("DELETE FROM contacts_contact WHERE org_id = %s AND %s = ANY(tags)", [org.pk, MARKER])

    in_own_connection(clean)


@contextmanager
def committed(org: Org) -> Iterator[None]:
    try:
        with committed_rows_removed(org):
            yield
    finally:
        committed_cleanup(org)


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0, every: float = 0.2) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return predicate()


def states_of(org: Org, send_id: Any) -> dict[str, int]:
    from django.db.models import Count

    from emailing.models import Recipient

    with org_context(org):
        rows = Recipient.objects.filter(send_id=send_id).values("state").annotate(n=Count("id")).order_by()
        return {row["state"]: row["n"] for row in rows}


def committed_send(
    org: Org, author: Profile, *, contacts_count: int, prefix: str = "r", **fields: Any
) -> uuid.UUID:
    """Settings, `contacts_count` subscribed contacts, a segment and a started send, all committed; the start's
    batches are enqueued for the worker."""
    from emailing import send_services

    def make() -> uuid.UUID:
        settings_row(org)
        contacts(org, contacts_count, prefix=prefix)
        segment = segment_everyone(org)
        send = draft(org, author, [segment], **fields)
        with org_context(org):
            EmailSend.objects.filter(pk=send.pk).update(
                content_approved_at=timezone.now(), content_approved_by=author
            )
            send_services.send_start(org=org, actor=author, send_id=send.pk)
        return send.pk

    return in_own_connection(make)
