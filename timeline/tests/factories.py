"""Records to hang comments and files on, in the org a test names."""

from __future__ import annotations

from typing import Any

from common.context import org_context
from contacts.models import Contact
from tenants.testing.fixtures import Cast


def make_contact(cast: Cast, org: Any = None, **fields: Any) -> Contact:
    """A contact of org A created by the owner (so members see it only when assigned), or of `org`."""
    org = org or cast.org_a
    fields.setdefault("created_by", cast.owner if org == cast.org_a else cast.other_owner)
    fields.setdefault("first_name", "Ada")
    with org_context(org):
        return Contact.objects.create(org=org, **fields)


def target_of(contact: Contact) -> dict[str, str]:
    return {"target_type": "contacts.contact", "target_id": str(contact.pk)}
