"""How the role matrix calls the leads, web form and web-to-lead routes."""

from __future__ import annotations

from typing import Any

from tenants.testing.fixtures import Cast
from tenants.testing.matrix import Call, made_pk, record_factory, record_specs


def _web_form(cast: Cast) -> dict[str, Any]:
    from common.context import org_context
    from leads.services import web_form_create

    with org_context(cast.org_a):
        issued = web_form_create(org=cast.org_a, actor=cast.owner, data={"name": "Matrix form"})
    return {"pk": issued.form.pk, "token": issued.token}


def _published_listing(cast: Cast) -> dict[str, Any]:
    from properties.tests.matrix import published_listing

    return {"org_slug": "alpha", **published_listing(cast)}


MATRIX_SPECS = {
    # Public: a visitor of the agency's website; every caller (signed in or not) is a visitor and gets 201.
    "api:public-property-inquiries": {
        "POST": Call(
            status=201,
            setup=_published_listing,
            kwargs=lambda cast, made: made,
            body={"name": "Matrix Visitor", "email": "visitor@example.test", "message": "Is it available?"},
        )
    },
    **record_specs("leads", "leads.models.Lead", {"first_name": "Matrix"}),
    "api:leads-convert": {
        "POST": Call(
            status=201,
            setup=record_factory("leads.models.Lead", first_name="Matrix", email="matrix@example.test"),
            kwargs=made_pk,
        )
    },
    "api:lead-forms-list": {"GET": Call(), "POST": Call(status=201, body={"name": "Website"})},
    "api:lead-forms-detail": {
        "GET": Call(setup=_web_form, kwargs=made_pk),
        "PATCH": Call(setup=_web_form, kwargs=made_pk, body={"name": "Renamed"}),
        "PUT": Call(setup=_web_form, kwargs=made_pk, body={"name": "Renamed"}),
        "DELETE": Call(status=204, setup=_web_form, kwargs=made_pk),
    },
    "api:lead-forms-rotate-token": {"POST": Call(setup=_web_form, kwargs=made_pk)},
    # Public: the form token in the body is the credential, so every caller (signed in or not) gets 201.
    "api:web-to-lead": {
        "POST": Call(
            status=201,
            setup=_web_form,
            body=lambda cast, made: {
                "form_token": made["token"],
                "first_name": "Matrix",
                "email": "matrix@example.test",
            },
        )
    },
}
