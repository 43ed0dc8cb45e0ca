"""Shared makers of the webhook tests: endpoints in an org, and committing them for a real worker."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from common.context import org_context
from common.models import Profile
from emailing.tests.helpers import in_own_connection, wait_for
from tenants.models import Org
from tenants.testing.committed import committed_rows_removed
from webhooks.models import Endpoint

__all__ = ["committed", "endpoint", "in_own_connection", "wait_for"]
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


@contextmanager
def committed(*orgs: Org) -> Iterator[None]:
    with committed_rows_removed(*orgs):
        yield
