"""How the role matrix calls the contacts and companies routes."""

from tenants.testing.matrix import Call, made_pk, record_factory, record_specs

MATRIX_SPECS = {
    **record_specs("contacts", "contacts.models.Contact", {"first_name": "Matrix"}),
    **record_specs("companies", "contacts.models.Company", {"name": "Matrix Co"}),
    "api:contacts-merge": {
        "POST": Call(
            setup=record_factory("contacts.models.Contact"),
            kwargs=made_pk,
            body=lambda c, m: {"merge_id": m["other"]},
        )
    },
    "api:companies-merge": {
        "POST": Call(
            setup=record_factory("contacts.models.Company"),
            kwargs=made_pk,
            body=lambda c, m: {"merge_id": m["other"]},
        )
    },
}
