"""How the role matrix calls the custom field routes."""

from typing import Any

from tenants.testing.fixtures import Cast
from tenants.testing.matrix import Call


def _definition(cast: Cast) -> dict[str, Any]:
    from common.context import org_context
    from customfields.models import CustomFieldDefinition

    with org_context(cast.org_a):
        definition = CustomFieldDefinition.objects.create(
            org=cast.org_a, module="contacts.contact", key="matrix", label="Matrix", field_type="text"
        )
    return {"definition_id": definition.pk}


MATRIX_SPECS = {
    "api:custom-fields": {
        "GET": Call(),
        "POST": Call(
            status=201, body={"module": "contacts.contact", "key": "k", "label": "K", "field_type": "text"}
        ),
    },
    "api:custom-field-detail": {
        "PATCH": Call(setup=_definition, kwargs=lambda cast, made: made, body={"label": "Renamed"}),
        "DELETE": Call(status=204, setup=_definition, kwargs=lambda cast, made: made),
    },
}
