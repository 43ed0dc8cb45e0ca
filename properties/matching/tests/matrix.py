"""How the role matrix calls the saved-search routes. The search they use is a requirement of a contact
assigned to the member, so every role of org A sees it, and every role but the viewer may change it."""

from __future__ import annotations

from typing import Any

from tenants.testing.fixtures import Cast
from tenants.testing.matrix import Call

VIEWER_REFUSED = {"viewer": 403}


def _requirement(cast: Cast) -> dict[str, Any]:
    from common.context import org_context
    from contacts.models import Contact
    from properties.matching.services import saved_search_create
    from properties.matching.unsubscribe import unsubscribe_token
    from properties.models import Property

    with org_context(cast.org_a):
        buyer = Contact.objects.create(
            org=cast.org_a, first_name="Matrix", last_name="Buyer", created_by=cast.owner,
            assigned_to=[cast.member.pk],
        )  # fmt: skip
        search = saved_search_create(
            org=cast.org_a, actor=cast.owner, data={"name": "Matrix requirement", "contact": buyer}
        )
        listing = Property.objects.create(
            org=cast.org_a, title="Matrix Flat", property_type="apartment", created_by=cast.owner
        )
    return {"search_id": search.pk, "contact_id": buyer.pk, "property_id": listing.pk,
            "token": unsubscribe_token(search)}  # fmt: skip


def _search(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"search_id": made["search_id"]}


MATRIX_SPECS = {
    "api:saved-searches": {
        "GET": Call(),
        "POST": Call(status=201, body={"name": "Matrix search", "criteria": {"type": "house"}}),
    },
    "api:saved-search-detail": {
        "GET": Call(setup=_requirement, kwargs=_search),
        "PATCH": Call(setup=_requirement, kwargs=_search, body={"frequency": "weekly"}, overrides=VIEWER_REFUSED),
        "DELETE": Call(status=204, setup=_requirement, kwargs=_search, overrides=VIEWER_REFUSED),
    },
    "api:saved-search-matches": {"GET": Call(setup=_requirement, kwargs=_search)},
    "api:contact-requirements": {
        "GET": Call(setup=_requirement, kwargs=lambda cast, made: {"contact_id": made["contact_id"]})
    },
    "api:listing-matches": {
        "GET": Call(setup=_requirement, kwargs=lambda cast, made: {"property_id": made["property_id"]})
    },
    # Public: the signed token is the credential, so every caller, signed in or not, gets the same answer.
    "api:saved-search-unsubscribe": {
        "GET": Call(setup=_requirement, kwargs=lambda cast, made: {"token": made["token"]}),
        "POST": Call(setup=_requirement, kwargs=lambda cast, made: {"token": made["token"]}),
    },
}
