"""Importing rows: each cell converted and checked as its model field would be, relations and existing records
found for a whole batch at once (never one query per row), duplicates inside the file caught, and every row
written through the module's own services (its rules and timeline apply): new rows together where the module
offers a bulk create, otherwise in a savepoint each. A preview runs the very same code in a transaction that is
rolled back, so it says exactly what the import will do."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Lower
from django.utils.module_loading import import_string
from psycopg2 import errorcodes

from common.errors import ApiError
from common.models import Profile
from common.registry import ImportSpec
from imports.mapping import CUSTOM
from imports.models import ImportRow, RowOutcome
from records import services as records
from records.ports import custom_values
from tenants.models import Org

FORMULA_START = ("=", "@", "\t", "\r")
Errors = dict[str, list[dict[str, str]]]


class Rollback(Exception):
    """Raised at the end of a preview's batch to roll its writes back."""


def formula_like(value: str) -> bool:
    """A cell a spreadsheet would run as a formula. `+` and `-` start numbers and phone numbers too, so they
    count only when what follows is not a digit, a space, a dot or a bracket."""
    if value.startswith(FORMULA_START):
        return True
    return value[:1] in ("+", "-") and len(value) > 1 and not (value[1].isdigit() or value[1] in " .(")


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


@dataclass
class Plan:
    spec: ImportSpec
    model: Any
    columns: list[tuple[int, str]]  # (cell index, target)
    create: Callable[..., Any]
    change: Callable[..., Any]
    create_many: Callable[..., list[Any]] | None
    label: str
    seen: dict[tuple[str, str], int] = field(default_factory=dict)


def plan_for(spec: ImportSpec, headers: list[str], mapping: dict[str, str | None]) -> Plan:
    model = apps.get_model(spec.model)
    columns = [(index, mapping[header]) for index, header in enumerate(headers) if mapping.get(header)]
    return Plan(
        spec=spec,
        model=model,
        columns=[(index, str(target)) for index, target in columns],
        create=import_string(spec.create),
        change=import_string(spec.change),
        create_many=import_string(spec.create_many) if spec.create_many else None,
        label=model._meta.label_lower,
    )


@dataclass
class Converted:
    row_number: int
    cells: list[str]
    data: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)
    relations: dict[str, str] = field(default_factory=dict)
    errors: Errors = field(default_factory=dict)


def _error(errors: Errors, name: str, code: str, detail: str) -> None:
    errors.setdefault(name, []).append({"code": code, "detail": detail})


def convert(plan: Plan, row_number: int, cells: list[str]) -> Converted:
    """A row's cells as typed values. A blank cell is no value: a new record gets the default, an existing one
    keeps what it has."""
    row = Converted(row_number, cells)
    for index, target in plan.columns:
        raw = cells[index] if index < len(cells) else ""
        if not raw:
            continue
        if formula_like(raw):
            _error(row.errors, target, "formula_not_allowed", "A cell cannot start with = + - or @ (a formula).")
            continue
        if target.startswith(CUSTOM):
            row.custom[target.removeprefix(CUSTOM)] = raw
        elif target in plan.spec.relations:
            row.relations[target] = raw
        elif target == "tags":
            row.data["tags"] = [tag.strip()[:50] for tag in raw.replace(";", ",").split(",") if tag.strip()]
        else:
            model_field = plan.model._meta.get_field(target)
            try:
                row.data[model_field.attname] = model_field.clean(raw, None)
            except ValidationError as error:
                for message in error.messages:
                    _error(row.errors, target, "invalid", message)
    return row


def _lookup(org: Org, plan: Plan, rows: list[Converted]) -> dict[str, dict[str, Any]]:
    """For each relation, its values in this batch -> the related id (one query per relation per batch)."""
    found: dict[str, dict[str, Any]] = {}
    for target, (kind, key) in plan.spec.relations.items():
        wanted = {row.relations[target].lower() for row in rows if target in row.relations}
        if not wanted:
            found[target] = {}
            continue
        if kind == "member":
            members = Profile.objects.filter(
                org=org, is_active=True, removed_at__isnull=True, user__email__in=wanted
            ).values_list("user__email", "pk")
            found[target] = {email.lower(): pk for email, pk in members}
        else:
            related = apps.get_model(kind)
            pairs = (
                related.objects.for_org(org)
                .annotate(_key=Lower(key))
                .filter(_key__in=wanted)
                .values_list("_key", "pk")
            )
            found[target] = dict(pairs)
    return found


def _existing(org: Org, plan: Plan, rows: list[Converted]) -> dict[tuple[str, str], Any]:
    """Records already in the org with a natural key of this batch, by (key, lowered value); one query a key."""
    found: dict[tuple[str, str], Any] = {}
    for key in plan.spec.natural_keys:
        wanted = {str(row.data[key]).lower() for row in rows if row.data.get(key)}
        if wanted:
            for record in plan.model.objects.for_org(org).annotate(_key=Lower(key)).filter(_key__in=wanted):
                found[(key, str(getattr(record, key)).lower())] = record
    return found


def _relations_into(plan: Plan, row: Converted, lookups: dict[str, dict[str, Any]]) -> None:
    for target, value in row.relations.items():
        kind, key = plan.spec.relations[target]
        pk = lookups[target].get(value.lower())
        if pk is None:
            noun = "member" if kind == "member" else apps.get_model(kind)._meta.verbose_name
            _error(row.errors, target, "does_not_exist", f"No {noun} with this {key}: {value}.")
            continue
        model_field = plan.model._meta.get_field(target)
        if isinstance(model_field, models.ForeignKey):
            row.data[model_field.attname] = pk
        else:
            row.data[target] = [pk]


def _api_errors(error: ApiError) -> Errors:
    if error.fields:
        return {
            name: [{"code": e["code"], "detail": e["detail"]} for e in items]
            for name, items in error.fields.items()
        }
    return {"__all__": [{"code": error.code, "detail": str(error.detail)}]}


def _refused_by_database(error: IntegrityError) -> Errors:
    """A uniqueness the database enforces is a duplicate; any other constraint is a value out of its range."""
    cause = error.__cause__
    if getattr(cause, "pgcode", None) == errorcodes.UNIQUE_VIOLATION:
        return {"__all__": [{"code": "duplicate", "detail": "Another record already has these values."}]}
    rule = getattr(getattr(cause, "diag", None), "constraint_name", None) or "a rule of the database"
    return {"__all__": [{"code": "invalid", "detail": f"A value is out of range ({rule})."}]}


def _diff(record: Any, data: dict[str, Any]) -> dict[str, list[Any]]:
    changes = {}
    for name, value in data.items():
        old = getattr(record, name)
        if name == "custom_fields":
            value = {**(old or {}), **value}
        if old != value:
            changes[name] = _jsonable([old, value])
    return changes


def process(
    *,
    org: Org,
    actor: Profile,
    plan: Plan,
    job_id: uuid.UUID,
    batch: Iterable[tuple[int, list[str]]],
    dry_run: bool,
) -> list[ImportRow]:
    """One batch: the rows' results (not saved). In a preview the writes are rolled back before returning.
    Rows are checked first; the new ones are then created together when the module offers `create_many`,
    and the rest (updates, or every row when the bulk write refuses) go one by one in a savepoint each."""
    rows = [convert(plan, number, cells) for number, cells in batch]
    lookups = _lookup(org, plan, rows)
    existing = _existing(org, plan, rows)
    results: list[ImportRow] = []
    try:
        with transaction.atomic():
            validate = (
                custom_values().validator(org=org, module=plan.label) if any(r.custom for r in rows) else None
            )
            checked = [_checked(org, plan, job_id, row, lookups, existing, validate, dry_run) for row in rows]
            results = [result for result, _ in checked]
            waiting = [(result, pending) for result, pending in checked if pending is not None]
            together = _created_together(org, actor, plan, [(r, p) for r, p in waiting if p.record is None])
            for result, pending in waiting:
                if not (together and pending.record is None):
                    _write(org, actor, plan, result, pending)
            if dry_run:
                raise Rollback
    except Rollback:
        pass
    return results


@dataclass
class Pending:
    """A checked row that is to be written: its values, and the existing record it updates (None: a new one)."""

    data: dict[str, Any]
    cells: list[str]
    record: Any = None


def _checked(
    org: Org,
    plan: Plan,
    job_id: uuid.UUID,
    row: Converted,
    lookups: dict[str, dict[str, Any]],
    existing: dict[tuple[str, str], Any],
    validate_custom: Callable[[dict[str, Any], dict[str, Any] | None], Any] | None,
    dry_run: bool,
) -> tuple[ImportRow, Pending | None]:
    """The row's result when it is already decided (skip, error), or what is left to write."""
    result = ImportRow(org=org, job_id=job_id, is_preview=dry_run, row_number=row.row_number)
    if not row.cells:
        result.outcome = RowOutcome.SKIP
        return result, None
    _relations_into(plan, row, lookups)
    record = None
    for key in plan.spec.natural_keys:
        value = row.data.get(key)
        if not value:
            continue
        first = plan.seen.setdefault((key, str(value).lower()), row.row_number)
        if first != row.row_number:
            _error(row.errors, key, "duplicate_in_file", f"Row {first} of this file has the same {key}.")
        record = record or existing.get((key, str(value).lower()))
    if record is not None:
        # The key matched without case: the stored spelling stays.
        for key in plan.spec.natural_keys:
            if str(row.data.get(key, "")).lower() == str(getattr(record, key)).lower():
                row.data.pop(key, None)
    if not row.errors and row.custom and validate_custom is not None:
        try:
            row.data["custom_fields"] = validate_custom(row.custom, record.custom_fields if record else None)
        except ApiError as error:
            row.errors.update({f"{CUSTOM}{k}": v for k, v in _api_errors(error).items()})
    if row.errors:
        result.outcome, result.errors, result.values = RowOutcome.ERROR, row.errors, row.cells
        return result, None
    if record is not None and not _diff(record, row.data):
        result.outcome, result.record_id = RowOutcome.SKIP, record.pk
        return result, None
    return result, Pending(row.data, row.cells, record)


def _created_together(org: Org, actor: Profile, plan: Plan, new: list[tuple[ImportRow, Pending]]) -> bool:
    """Create the new rows in one bulk write. False when the module has none, or when it refused the batch (a
    constraint, a rule): then each row is written on its own, so the error lands on the row that has it."""
    if not new or plan.create_many is None:
        return False
    try:
        with transaction.atomic():
            made = plan.create_many(org=org, actor=actor, datas=[pending.data for _, pending in new])
    except (ApiError, IntegrityError, ValidationError):
        return False
    for (result, _), record in zip(new, made, strict=True):
        result.outcome, result.record_id = RowOutcome.NEW, record.pk
    return True


def _write(org: Org, actor: Profile, plan: Plan, result: ImportRow, pending: Pending) -> None:
    try:
        with transaction.atomic():
            if pending.record is None:
                made = plan.create(org=org, actor=actor, data=pending.data)
                result.outcome, result.record_id = RowOutcome.NEW, made.pk
                return
            diff = _diff(pending.record, pending.data)
            records.record_update(
                model=plan.model, org=org, actor=actor, record_id=pending.record.pk, data=pending.data,
                change=plan.change,
            )  # fmt: skip
            result.outcome, result.record_id, result.diff = RowOutcome.UPDATE, pending.record.pk, diff
    except ApiError as error:
        result.outcome, result.errors, result.values = RowOutcome.ERROR, _api_errors(error), pending.cells
    except IntegrityError as error:
        result.outcome, result.values, result.errors = RowOutcome.ERROR, pending.cells, _refused_by_database(error)
    except ValidationError as error:
        result.outcome, result.values = RowOutcome.ERROR, pending.cells
        result.errors = {"__all__": [{"code": "invalid", "detail": message} for message in error.messages]}
