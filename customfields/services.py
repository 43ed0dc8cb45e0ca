"""Defining custom fields, and validating and filtering record values against the definitions."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from common import registry
from common.errors import ApiError, Conflict, NotFound, field_error
from common.models import Profile
from customfields.models import CustomFieldDefinition, FieldType


def record_modules() -> list[str]:
    """Every record type a custom field can extend (the installed modules' record APIs)."""
    return sorted(registry.record_models())


def definitions_for(org: Any, module: str) -> list[CustomFieldDefinition]:
    return list(CustomFieldDefinition.objects.for_org(org).filter(module=module))


def _error(key: str, code: str, detail: str) -> ApiError:
    return field_error(f"custom_fields.{key}", code, detail)


def _check_definition(data: dict[str, Any]) -> None:
    if data.get("module") is not None and data["module"] not in record_modules():
        raise ApiError(
            "Unknown module.",
            code="invalid_choice",
            fields={"module": [{"code": "invalid_choice", "detail": f"One of {', '.join(record_modules())}."}]},
        )
    field_type, options = data.get("field_type"), data.get("options") or []
    if field_type in (FieldType.SELECT, FieldType.MULTI_SELECT) and not options:
        raise ApiError(
            "Select fields need options.",
            code="required",
            fields={"options": [{"code": "required", "detail": "Give at least one option."}]},
        )


def definition_create(*, org: Any, actor: Profile, data: dict[str, Any]) -> CustomFieldDefinition:
    _check_definition(data)
    try:
        with transaction.atomic():
            return CustomFieldDefinition.objects.create(org=org, created_by=actor, updated_by=actor, **data)
    except IntegrityError:
        raise Conflict("A field with this key already exists for this module.", code="duplicate_key") from None


@transaction.atomic
def definition_update(
    *, org: Any, actor: Profile, definition_id: Any, data: dict[str, Any]
) -> CustomFieldDefinition:
    definition = CustomFieldDefinition.objects.for_org(org).select_for_update().filter(pk=definition_id).first()
    if definition is None:
        raise NotFound()
    # The key, module and type are what stored values mean; changing them would silently reinterpret data.
    data = {k: v for k, v in data.items() if k in ("label", "is_required", "options", "position")}
    _check_definition({"field_type": definition.field_type, "options": data.get("options", definition.options)})
    for name, value in data.items():
        setattr(definition, name, value)
    definition.updated_by = actor
    definition.save()
    return definition


@transaction.atomic
def definition_delete(*, org: Any, definition_id: Any) -> None:
    """Stored values stay on the records (harmless, invisible to validation) so re-adding the key restores them."""
    deleted, _ = CustomFieldDefinition.objects.for_org(org).filter(pk=definition_id).delete()
    if not deleted:
        raise NotFound()


def _coerce(definition: CustomFieldDefinition, value: Any) -> Any:
    key, kind = definition.key, definition.field_type
    if kind == FieldType.TEXT:
        if not isinstance(value, str) or len(value) > 2000:
            raise _error(key, "invalid", "Expected text of at most 2000 characters.")
        return value
    if kind == FieldType.NUMBER:
        if isinstance(value, bool):
            raise _error(key, "invalid", "Expected a number.")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise _error(key, "invalid", "Expected a number.") from None
        if not number.is_finite():
            raise _error(key, "invalid", "Expected a number.")
        return float(number) if number != number.to_integral_value() else int(number)
    if kind == FieldType.DATE:
        try:
            return datetime.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise _error(key, "invalid", "Expected a date as YYYY-MM-DD.") from None
    if kind == FieldType.BOOLEAN:
        if not isinstance(value, bool):
            raise _error(key, "invalid", "Expected true or false.")
        return value
    if kind == FieldType.SELECT:
        if value not in definition.options:
            raise _error(key, "invalid_choice", f"Choose one of: {', '.join(definition.options)}.")
        return value
    values = value if isinstance(value, list) else None
    if values is None or any(item not in definition.options for item in values):
        raise _error(key, "invalid_choice", f"Choose any of: {', '.join(definition.options)}.")
    return sorted(set(values), key=definition.options.index)


def custom_values_validate(
    *, org: Any, module: str, incoming: dict[str, Any], current: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The record's new custom values: `incoming` merged over `current` (a null value clears a key), each value
    checked against its definition, required fields enforced. Unknown keys are refused."""
    if not isinstance(incoming, dict):
        raise ApiError(
            "Expected an object.",
            code="invalid",
            fields={"custom_fields": [{"code": "invalid", "detail": "Expected an object."}]},
        )
    return _validated(_definitions_by_key(org, module), incoming, current)


def custom_values_validator(*, org: Any, module: str) -> Callable[[dict[str, Any], dict[str, Any] | None], Any]:
    """`custom_values_validate` for many records of one module (an import batch): the definitions are read
    once. Call it as `validate(incoming, current)`."""
    return functools.partial(_validated, _definitions_by_key(org, module))


def _definitions_by_key(org: Any, module: str) -> dict[str, CustomFieldDefinition]:
    return {definition.key: definition for definition in definitions_for(org, module)}


def _validated(
    definitions: dict[str, CustomFieldDefinition], incoming: dict[str, Any], current: dict[str, Any] | None
) -> dict[str, Any]:
    unknown = sorted(set(incoming) - set(definitions))
    if unknown:
        raise _error(unknown[0], "unknown_field", f"No custom field '{unknown[0]}' is defined for this module.")
    result = {key: value for key, value in (current or {}).items() if key in definitions}
    for key, value in incoming.items():
        if value is None or value == "" or value == []:
            result.pop(key, None)
        else:
            result[key] = _coerce(definitions[key], value)
    for key, definition in definitions.items():
        if definition.is_required and key not in result:
            raise _error(key, "required", f"{definition.label} is required.")
    return result


def filter_by_custom_values(
    queryset: QuerySet[Any], *, org: Any, module: str, params: dict[str, str]
) -> QuerySet[Any]:
    """`?cf_<key>=<value>` filters; the value is read by the field's type. An unknown key is a 400."""
    wanted = {name[3:]: value for name, value in params.items() if name.startswith("cf_")}
    if not wanted:
        return queryset
    definitions = {definition.key: definition for definition in definitions_for(org, module)}
    for key, raw in wanted.items():
        definition = definitions.get(key)
        if definition is None:
            raise ApiError(
                f"No custom field '{key}' is defined for this module.",
                code="unknown_field",
                fields={f"cf_{key}": [{"code": "unknown_field", "detail": "Not a custom field of this module."}]},
            )
        if definition.field_type == FieldType.BOOLEAN:
            value: Any = raw.lower() in ("true", "1", "yes")
        elif definition.field_type == FieldType.MULTI_SELECT:
            queryset = queryset.filter(custom_fields__contains={key: [raw]})
            continue
        else:
            value = _coerce(definition, raw)
        queryset = queryset.filter(custom_fields__contains={key: value})
    return queryset


class _CustomValues:
    """Custom fields as the record kernel's port (records.ports.CustomValues)."""

    validate = staticmethod(custom_values_validate)
    validator = staticmethod(custom_values_validator)
    filter = staticmethod(filter_by_custom_values)

    @staticmethod
    def keys(*, org: Any, module: str) -> list[str]:
        return [definition.key for definition in definitions_for(org, module)]


custom_values = _CustomValues()
