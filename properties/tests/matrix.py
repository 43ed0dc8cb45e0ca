"""How the role matrix calls the listing routes: the record API, price history and spaces."""

from __future__ import annotations

import dataclasses
from typing import Any

from tenants.testing.fixtures import Cast
from tenants.testing.matrix import Call, made_pk, record_specs

BODY = {"title": "Matrix House", "property_type": "house"}


def listings(*, archived: bool = False) -> Any:
    """Two listings of org A (every role sees them; members may write them: they are assigned), the first
    archived if asked; a listing needs a type, so the shared record factory cannot make one."""

    def make(cast: Cast) -> dict[str, Any]:
        from django.utils import timezone

        from common.context import org_context
        from properties.models import Property

        common = {"org": cast.org_a, "created_by": cast.owner, "assigned_to": [cast.member.pk]}
        with org_context(cast.org_a):
            first = Property.objects.create(
                title="Matrix Offices", property_type="office", archived_at=timezone.now() if archived else None,
                **common,
            )  # fmt: skip
            second = Property.objects.create(title="Matrix Flat", property_type="apartment", **common)
        return {"pk": first.pk, "other": str(second.pk)}

    return make


def _listing_with_space(cast: Cast) -> dict[str, Any]:
    from common.context import org_context
    from properties.models import Space

    made = listings()(cast)
    with org_context(cast.org_a):
        space = Space.objects.create(
            org=cast.org_a, property_id=made["pk"], name="Suite 100", created_by=cast.owner
        )
    return {**made, "space_id": space.pk}


def _spaces_url(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"property_id": made["pk"]}


def _space_url(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"property_id": made["pk"], "space_id": made["space_id"]}


def _listing_with_contact(cast: Cast) -> dict[str, Any]:
    """A listing, a contact every role sees (members through assignment) and the contact linked as owner."""
    from common.context import org_context
    from contacts.models import Contact
    from properties.models import PropertyContact

    made = listings()(cast)
    with org_context(cast.org_a):
        contact = Contact.objects.create(
            org=cast.org_a, first_name="Matrix", last_name="Owner", created_by=cast.owner,
            assigned_to=[cast.member.pk],
        )  # fmt: skip
        link = PropertyContact.objects.create(
            org=cast.org_a, property_id=made["pk"], contact=contact, role="owner", created_by=cast.owner
        )
    return {**made, "contact_id": contact.pk, "link_id": link.pk}


def _link_url(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"property_id": made["pk"], "link_id": made["link_id"]}


def published_listing(cast: Cast) -> dict[str, Any]:
    """A published listing of org A, for the public listing API (no user, no org header)."""
    from common.context import org_context
    from properties.models import Property

    with org_context(cast.org_a):
        listing = Property.objects.create(
            org=cast.org_a, title="Public Loft", property_type="apartment", is_published=True,
            public_slug="public-loft-0a1b2c", created_by=cast.owner, asking_price=500000,
        )  # fmt: skip
    return {"slug": listing.public_slug}


_ALPHA = {"org_slug": "alpha"}


def _public_url(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"org_slug": "alpha", **made}


def _with_listings(specs: dict[str, dict[str, Call]]) -> dict[str, dict[str, Call]]:
    """The shared record specs, with listings made by `listings` wherever a spec makes records."""
    archived = {"api:properties-restore", "api:properties-purge"}
    return {
        route: {
            method: call if route == "api:properties-list" else dataclasses.replace(
                call, setup=listings(archived=route in archived)
            )
            for method, call in calls.items()
        }
        for route, calls in specs.items()
    }  # fmt: skip


MATRIX_SPECS = {
    **_with_listings(record_specs("properties", "properties.models.Property", BODY)),
    "api:properties-price-history": {"GET": Call(setup=listings(), kwargs=made_pk)},
    "api:properties-pins": {"GET": Call(setup=listings())},
    "api:property-spaces": {
        "GET": Call(setup=_listing_with_space, kwargs=_spaces_url),
        "POST": Call(status=201, setup=_listing_with_space, kwargs=_spaces_url, body={"name": "Suite 200"}),
    },
    "api:property-space-detail": {
        "GET": Call(setup=_listing_with_space, kwargs=_space_url),
        "PATCH": Call(setup=_listing_with_space, kwargs=_space_url, body={"status": "let"}),
        "DELETE": Call(status=204, setup=_listing_with_space, kwargs=_space_url),
    },
    "api:property-contacts": {
        "GET": Call(setup=_listing_with_contact, kwargs=_spaces_url),
        "POST": Call(
            status=201,
            setup=_listing_with_contact,
            kwargs=_spaces_url,
            body=lambda cast, made: {"contact": str(made["contact_id"]), "role": "buyer"},
        ),
    },
    "api:property-contact-detail": {
        "PATCH": Call(setup=_listing_with_contact, kwargs=_link_url, body={"note": "Signed the mandate"}),
        "DELETE": Call(status=204, setup=_listing_with_contact, kwargs=_link_url),
    },
    "api:public-properties": {
        "GET": Call(setup=published_listing, kwargs=lambda cast, made: {"org_slug": "alpha"})
    },
    "api:public-property-detail": {"GET": Call(setup=published_listing, kwargs=_public_url)},
    "api:public-properties-guided-search": {
        "GET": Call(
            setup=published_listing,
            kwargs=lambda cast, made: _ALPHA,
            body={"intent": "buy", "budget": "600000"},
        )
    },
    "api:contact-properties": {
        "GET": Call(setup=_listing_with_contact, kwargs=lambda cast, made: {"contact_id": made["contact_id"]})
    },
}
