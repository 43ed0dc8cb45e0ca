"""Shared makers of the webhook tests: endpoints in an org, and committing them for a real worker."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

from common.context import org_context
from common.models import Profile
from emailing.tests.helpers import in_own_connection, wait_for
from tenants.models import Org
from webhooks.models import Endpoint

__all__ = ["committed", "committed_cleanup", "endpoint", "in_own_connection", "wait_for"]
MARKER = "webhooks-test"


def endpoint(org: Org, url: str, event_types: list[str], **fields: Any) -> Endpoint:
    with org_context(org):
        made: Endpoint = Endpoint.objects.create(org=org, url=url, event_types=event_types, **fields)
    return made


def contact_create(org: Org, actor: Profile, email: str) -> Any:
    """A contact through the module's service (so the timeline entry, and the outbox row, are written)."""
    from contacts.services import contact_create as create

    with org_context(org):
        return create(org=org, actor=actor, data={"first_name": "Ada", "email": email, "tags": [MARKER]})


def committed_cleanup(org: Org) -> None:
    def clean() -> None:
        with org_context(org), connection.cursor() as cursor:
            for table in ("webhooks_attempt", "webhooks_delivery", "webhooks_event", "webhooks_endpoint"):
                cursor.execute(f"DELETE FROM {table} WHERE org_id = %s", [org.pk])
            cursor.execute(
                "DELETE FROM timeline_activityentry WHERE target_id IN "
                "(SELECT id FROM contacts_contact WHERE org_id = %s AND %s = ANY(tags))",
                [org.pk, MARKER],
            )
            cursor.execute("DELETE FROM timeline_notification WHERE org_id = %s AND kind = 'webhook_disabled'",
                           [org.pk])  # fmt: skip
            cursor.execute("DELETE FROM contacts_contact WHERE org_id = %s AND %s = ANY(tags)", [org.pk, MARKER])

    in_own_connection(clean)


@contextmanager
def committed(*orgs: Org) -> Iterator[None]:
    try:
        yield
    finally:
        for org in orgs:
            committed_cleanup(org)
