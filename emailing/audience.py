"""Freezing a send's audience: one INSERT ... SELECT makes a recipient row per contact, and counts who is left out.

The segments' query (emailing.selectors.audience_of) is the SELECT; each contact is classified in SQL (no
address, do not contact, suppressed, or a consent the org does not send to), one contact per address is kept,
and the others are counted by reason. A unique (send, contact) constraint backs it all up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection

from emailing.models import EmailSend
from emailing.selectors import audience_of
from tenants.models import Org

DUPLICATE = "duplicate_email"

_CLASSIFY = """
WITH audience AS ({audience}),
classified AS (
    SELECT a.id, lower(a.email) AS email,
           CASE WHEN a.email = '' THEN 'no_email'
                WHEN a.do_not_contact THEN 'do_not_contact'
                WHEN EXISTS (SELECT 1 FROM emailing_suppression s
                              WHERE s.org_id = %s AND s.email = lower(a.email)) THEN 'suppressed'
                WHEN NOT (a.email_consent = ANY(%s)) THEN a.email_consent
           END AS reason
      FROM audience a
),
ranked AS (
    SELECT id, email, reason,
           CASE WHEN reason IS NULL
                THEN row_number() OVER (PARTITION BY reason IS NULL, email ORDER BY id) END AS nth
      FROM classified
)
"""
# Only constant SQL is joined here; the audience's own SQL comes with its parameters from the ORM.
_FREEZE = (
    _CLASSIFY  # noqa: S608
    + """,
inserted AS (
    INSERT INTO emailing_recipient (id, org_id, created_at, updated_at, created_by_id, updated_by_id, send_id,
                                    contact_id, email, state, attempts, message_id, last_reply)
    SELECT gen_random_uuid(), %s, now(), now(), %s, %s, %s, id, email, 'queued', 0, '', ''
      FROM ranked
     WHERE reason IS NULL AND nth = 1
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT coalesce(reason, CASE WHEN nth > 1 THEN '{duplicate}' END) AS why, count(*) FROM ranked GROUP BY 1
UNION ALL
SELECT '__inserted', count(*) FROM inserted
"""
)
_ESTIMATE = (
    _CLASSIFY  # noqa: S608
    + "SELECT coalesce(reason, CASE WHEN nth > 1 THEN '{duplicate}' END), count(*) FROM ranked GROUP BY 1"
)


@dataclass(frozen=True)
class Frozen:
    audience: int  # contacts the segments matched
    recipients: int  # rows made
    excluded: dict[str, int]  # why the others get nothing


def audience_freeze(*, org: Org, send: EmailSend, allowed: tuple[str, ...], actor_id: Any) -> Frozen:
    """Run inside the start's transaction: the rows and the send's new status commit together."""
    audience = audience_of(org=org, segment_ids=send.segment_ids, exclude_segment_ids=send.exclude_segment_ids)
    select, params = (
        audience.order_by().values_list("id", "email", "email_consent", "do_not_contact").query.sql_with_params()
    )
    sql = _FREEZE.format(audience=select, duplicate=DUPLICATE)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, org.pk, list(allowed), org.pk, actor_id, actor_id, send.pk])
        rows = cursor.fetchall()
    counts = {why: n for why, n in rows if why is not None and why != "__inserted"}
    inserted = next(n for why, n in rows if why == "__inserted")
    matched = sum(n for why, n in rows if why != "__inserted")
    return Frozen(audience=matched, recipients=inserted, excluded=counts)


def audience_estimate(*, org: Org, send: EmailSend, allowed: tuple[str, ...]) -> dict[str, Any]:
    """How many the send would go to if it started now (for the editor and the approval check)."""
    audience = audience_of(org=org, segment_ids=send.segment_ids, exclude_segment_ids=send.exclude_segment_ids)
    select, params = (
        audience.order_by().values_list("id", "email", "email_consent", "do_not_contact").query.sql_with_params()
    )
    sql = _ESTIMATE.format(audience=select, duplicate=DUPLICATE)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, org.pk, list(allowed)])
        rows = cursor.fetchall()
    excluded = {why: n for why, n in rows if why is not None}
    recipients = sum(n for why, n in rows if why is None)
    return {"audience": recipients + sum(excluded.values()), "recipients": recipients, "excluded": excluded}
