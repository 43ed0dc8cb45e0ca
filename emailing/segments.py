"""Dynamic segments: a saved filter over contacts, compiled to one SQL condition (EXISTS subqueries for links).

    {"match": "all", "conditions": [
        {"field": "tags", "op": "has_any", "value": ["vip"]},
        {"field": "consent", "op": "in", "value": ["subscribed"]},
        {"field": "last_activity", "op": "within_days", "value": 90},
        {"field": "property", "op": "linked", "value": {"role": "buyer"}},
        {"field": "segment", "op": "not_in", "value": "<segment id>"}]}

`match` is `all` (every condition) or `any` (at least one). Fields and their operators are in FIELDS below;
`emailing/tests/test_segments.py` shows each one. Every id in a definition is checked inside the org (another
org's is "does not exist", like a random id), and a segment that reaches itself through "in segment" is refused.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from typing import Any

from django.db.models import Case, CharField, Exists, F, FloatField, Func, OuterRef, Q, When
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Upper
from django.db.models.lookups import Exact, GreaterThan, In, LessThan
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from common.errors import ApiError
from contacts.models import Company, Contact, EmailConsent
from deals.models import Deal, Pipeline, Stage, StageKind
from emailing.models import Segment, SegmentKind, SegmentMember
from properties.models import ContactRole, Property, PropertyContact
from records.ports import custom_values
from tenants.models import Org
from timeline.models import ActivityEntry

MAX_CONDITIONS = 20
MAX_LIST = 100
MAX_DEPTH = 5
CONTACT_TARGET = "contacts.contact"

# field -> its operators
FIELDS: dict[str, tuple[str, ...]] = {
    "tags": ("has_any", "has_all", "has_none"),
    "consent": ("in", "not_in"),
    "company": ("in", "not_in", "is_set", "is_not_set"),
    "city": ("is", "is_not", "in", "contains"),
    "country": ("in", "not_in"),
    "source": ("in", "not_in"),
    "custom_field": ("equals", "not_equals", "contains", "gt", "lt", "is_set", "is_not_set"),
    "created_at": ("after", "before", "between", "within_days", "not_within_days"),
    "last_activity": ("after", "before", "between", "within_days", "not_within_days"),
    "property": ("linked", "not_linked"),
    "deal": ("has", "has_none"),
    "segment": ("in", "not_in"),
}
NO_VALUE_OPS = frozenset({"is_set", "is_not_set"})


class SegmentError(ApiError):
    default_code = "segment_invalid"
    default_detail = "The segment's definition has mistakes."


def _fail(path: str, detail: str, code: str = "invalid") -> SegmentError:
    return SegmentError(detail, code=code, fields={path: [{"code": code, "detail": detail}]})


def _does_not_exist(path: str, value: Any) -> SegmentError:
    return _fail(path, f'Invalid pk "{value}" - object does not exist.', "does_not_exist")


class Compiler:
    """Turns definitions into Q objects over Contact for one org, checking them on the way."""

    def __init__(self, org: Org, *, now: datetime.datetime | None = None) -> None:
        self.org = org
        self.now = now or timezone.now()
        self.zone = _zone(org)
        self._custom_keys: list[str] | None = None

    # -- entry points --------------------------------------------------------------------------------------

    def definition(self, definition: Any, *, path: str = "definition", within: tuple[uuid.UUID, ...] = ()) -> Q:
        if not isinstance(definition, dict):
            raise _fail(path, "Give an object with `match` and `conditions`.")
        unknown = set(definition) - {"match", "conditions"}
        if unknown:
            raise _fail(f"{path}.{sorted(unknown)[0]}", "Unknown key: a definition has `match` and `conditions`.")
        match = definition.get("match", "all")
        if match not in ("all", "any"):
            raise _fail(f"{path}.match", "`match` is `all` or `any`.", "invalid_choice")
        conditions = definition.get("conditions", [])
        if not isinstance(conditions, list):
            raise _fail(f"{path}.conditions", "Give a list of conditions.")
        if len(conditions) > MAX_CONDITIONS:
            raise _fail(f"{path}.conditions", f"At most {MAX_CONDITIONS} conditions.", "max_length")
        combined = Q()
        for index, condition in enumerate(conditions):
            q = self.condition(condition, path=f"{path}.conditions.{index}", within=within)
            combined = (combined & q) if match == "all" else (combined | q)
        # No condition: every contact (an `any` of nothing would otherwise be nobody).
        return combined

    def segment(self, segment: Segment, *, within: tuple[uuid.UUID, ...] = (), path: str = "definition") -> Q:
        """The contacts of a saved segment (dynamic or static)."""
        if segment.kind == SegmentKind.STATIC:
            members = SegmentMember.objects.for_org(self.org).filter(segment_id=segment.pk, contact=OuterRef("pk"))
            return Q(Exists(members))
        return self.definition(segment.definition, path=path, within=(*within, segment.pk))

    # -- one condition -------------------------------------------------------------------------------------

    def condition(self, condition: Any, *, path: str, within: tuple[uuid.UUID, ...]) -> Q:
        if not isinstance(condition, dict):
            raise _fail(path, "Give an object with `field`, `op` and `value`.")
        field, op = condition.get("field"), condition.get("op")
        if field not in FIELDS:
            raise _fail(f"{path}.field", f"Unknown field. The fields are: {', '.join(FIELDS)}.", "invalid_choice")
        if op not in FIELDS[field]:
            raise _fail(f"{path}.op", f"`{field}` takes: {', '.join(FIELDS[field])}.", "invalid_choice")
        value = condition.get("value")
        if op not in NO_VALUE_OPS and value is None:
            raise _fail(f"{path}.value", "This condition needs a value.", "required")
        handler: Callable[..., Q] = getattr(self, f"_{field}")
        return handler(op, value, path=f"{path}.value", condition=condition, within=within)

    def _strings(self, value: Any, path: str, *, lower: bool = False) -> list[str]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            raise _fail(path, "Give a text or a list of texts.")
        if len(value) > MAX_LIST:
            raise _fail(path, f"At most {MAX_LIST} values.", "max_length")
        return [v.strip().lower() if lower else v.strip() for v in value]

    def _ids(self, value: Any, path: str) -> list[uuid.UUID]:
        values = value if isinstance(value, list) else [value]
        if not values or len(values) > MAX_LIST:
            raise _fail(path, f"Give one to {MAX_LIST} ids.")
        ids = []
        for item in values:
            try:
                ids.append(uuid.UUID(str(item)))
            except ValueError:
                raise _fail(path, "Must be a valid UUID.") from None
        return ids

    def _existing(self, model: Any, ids: list[uuid.UUID], path: str) -> None:
        found = set(model.objects.for_org(self.org).filter(pk__in=ids).values_list("pk", flat=True))
        for pk in ids:
            if pk not in found:
                raise _does_not_exist(path, pk)

    def _tags(self, op: str, value: Any, *, path: str, **_: Any) -> Q:
        tags = self._strings(value, path)
        if op == "has_any":
            return Q(tags__overlap=tags)
        if op == "has_all":
            return Q(tags__contains=tags)
        return ~Q(tags__overlap=tags)

    def _consent(self, op: str, value: Any, *, path: str, **_: Any) -> Q:
        states = self._strings(value, path)
        for state in states:
            if state not in EmailConsent.values:
                raise _fail(
                    path, f"`{state}` is not a consent state: {', '.join(EmailConsent.values)}.", "invalid_choice"
                )
        q = Q(email_consent__in=states)
        return q if op == "in" else ~q

    def _company(self, op: str, value: Any, *, path: str, **_: Any) -> Q:
        if op == "is_set":
            return Q(company__isnull=False)
        if op == "is_not_set":
            return Q(company__isnull=True)
        ids = self._ids(value, path)
        self._existing(Company, ids, path)
        q = Q(company_id__in=ids)
        return q if op == "in" else ~q

    def _city(self, op: str, value: Any, *, path: str, **_: Any) -> Q:
        if op == "contains":
            (text,) = self._strings(value, path)[:1]
            return Q(city__icontains=text)
        cities = [city.upper() for city in self._strings(value, path)]
        if op == "is_not":
            return ~Q(_upper_in("city", cities))
        if op == "is" and len(cities) != 1:
            raise _fail(path, "`is` takes one city; use `in` for several.")
        return _upper_in("city", cities)

    def _country(self, op: str, value: Any, *, path: str, **_: Any) -> Q:
        q = Q(country__in=[code.upper() for code in self._strings(value, path)])
        return q if op == "in" else ~q

    def _source(self, op: str, value: Any, *, path: str, **_: Any) -> Q:
        q = Q(source__in=self._strings(value, path))
        return q if op == "in" else ~q

    def _custom_field(self, op: str, value: Any, *, path: str, condition: dict[str, Any], **_: Any) -> Q:
        key = condition.get("key")
        if self._custom_keys is None:
            self._custom_keys = custom_values().keys(org=self.org, module=CONTACT_TARGET)
        key_path = path.rpartition(".")[0] + ".key"
        if not isinstance(key, str) or key not in self._custom_keys:
            raise _fail(key_path, "Not a custom field of contacts in this org.", "invalid_choice")
        if op == "is_set":
            return Q(custom_fields__has_key=key)
        if op == "is_not_set":
            return ~Q(custom_fields__has_key=key)
        if op in ("equals", "not_equals"):
            if not isinstance(value, (str, int, float, bool)):
                raise _fail(path, "Give a text, a number or true/false.")
            q = Q(custom_fields__contains={key: value})
            return q if op == "equals" else ~q
        if op == "contains":
            (text,) = self._strings(value, path)[:1]
            return Q(**{f"custom_fields__{key}__icontains": text})
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _fail(path, "Give a number.")
        # Only numbers compare: a text value is never greater or smaller (and never breaks the cast).
        number = Case(
            When(
                Exact(
                    Func(KeyTransform(key, "custom_fields"), function="jsonb_typeof", output_field=CharField()),
                    "number",
                ),
                then=Cast(KeyTextTransform(key, "custom_fields"), FloatField()),
            ),
            default=None,
            output_field=FloatField(),
        )
        return Q(GreaterThan(number, value)) if op == "gt" else Q(LessThan(number, value))

    def _moment(self, value: Any, path: str, *, end_of_day: bool = False) -> datetime.datetime:
        if isinstance(value, str):
            moment = parse_datetime(value)
            if moment is not None:
                return moment if timezone.is_aware(moment) else timezone.make_aware(moment, self.zone)
            day = parse_date(value)
            if day is not None:
                if end_of_day:
                    day += datetime.timedelta(days=1)
                return datetime.datetime.combine(day, datetime.time(), tzinfo=self.zone)
        raise _fail(path, "Give a date (YYYY-MM-DD) or a date and time (ISO 8601).")

    def _range(self, op: str, value: Any, path: str) -> tuple[datetime.datetime | None, datetime.datetime | None]:
        """[start, end) of the operator; a date's `before` is before that day, `after` from that day on."""
        if op in ("within_days", "not_within_days"):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 36500:
                raise _fail(path, "Give a number of days from 1 to 36500.")
            return self.now - datetime.timedelta(days=value), None
        if op == "after":
            return self._moment(value, path), None
        if op == "before":
            return None, self._moment(value, path)
        if not isinstance(value, dict) or "from" not in value or "to" not in value:
            raise _fail(path, 'Give {"from": ..., "to": ...} dates.')
        start = self._moment(value["from"], f"{path}.from")
        end = self._moment(value["to"], f"{path}.to", end_of_day=True)
        if end <= start:
            raise _fail(f"{path}.to", "`to` must not be before `from`.")
        return start, end

    def _created_at(self, op: str, value: Any, *, path: str, **_: Any) -> Q:
        start, end = self._range(op, value, path)
        q = Q()
        if start is not None:
            q &= Q(created_at__gte=start)
        if end is not None:
            q &= Q(created_at__lt=end)
        return ~q if op == "not_within_days" else q

    def _last_activity(self, op: str, value: Any, *, path: str, **_: Any) -> Q:
        """The contact's latest timeline entry: `after X` is some entry from X on; `before X` is none from X on
        (contacts with no activity at all included); `between` is one inside and none after."""
        start, end = self._range(op, value, path)
        entries = ActivityEntry.objects.for_org(self.org).filter(
            target_type=CONTACT_TARGET, target_id=OuterRef("pk")
        )
        if op == "not_within_days":
            return ~Q(Exists(entries.filter(created_at__gte=start)))
        if op == "before":
            return ~Q(Exists(entries.filter(created_at__gte=end)))
        if op in ("after", "within_days"):
            return Q(Exists(entries.filter(created_at__gte=start)))
        return Q(Exists(entries.filter(created_at__gte=start, created_at__lt=end))) & ~Q(
            Exists(entries.filter(created_at__gte=end))
        )

    def _property(self, op: str, value: Any, *, path: str, **_: Any) -> Q:
        if not isinstance(value, dict) or set(value) - {"property", "role"}:
            raise _fail(path, 'Give {"property": <listing id>, "role": <role>} (either may be left out).')
        links = PropertyContact.objects.for_org(self.org).filter(contact=OuterRef("pk"))
        if value.get("property") is not None:
            ids = self._ids(value["property"], f"{path}.property")
            self._existing(Property, ids, f"{path}.property")
            links = links.filter(property_id__in=ids)
        if value.get("role") is not None:
            if value["role"] not in ContactRole.values:
                raise _fail(f"{path}.role", f"The roles are: {', '.join(ContactRole.values)}.", "invalid_choice")
            links = links.filter(role=value["role"])
        q = Q(Exists(links))
        return q if op == "linked" else ~q

    def _deal(self, op: str, value: Any, *, path: str, **_: Any) -> Q:
        if not isinstance(value, dict) or set(value) - {"pipeline", "stage", "state"}:
            raise _fail(
                path,
                'Give {"pipeline": <id>, "stage": <id>, "state": "open" | "won" | "lost"} (any of '
                "them may be left out).",
            )
        deals = Deal.objects.for_org(self.org).filter(contact=OuterRef("pk"), archived_at__isnull=True)
        for name, model in (("pipeline", Pipeline), ("stage", Stage)):
            if value.get(name) is not None:
                ids = self._ids(value[name], f"{path}.{name}")
                self._existing(model, ids, f"{path}.{name}")
                deals = deals.filter(**{f"{name}_id__in": ids})
        if value.get("state") is not None:
            if value["state"] not in StageKind.values:
                raise _fail(f"{path}.state", f"The states are: {', '.join(StageKind.values)}.", "invalid_choice")
            deals = deals.filter(stage__kind=value["state"])
        q = Q(Exists(deals))
        return q if op == "has" else ~q

    def _segment(self, op: str, value: Any, *, path: str, within: tuple[uuid.UUID, ...], **_: Any) -> Q:
        (segment_id,) = self._ids(value, path)[:1]
        if segment_id in within:
            raise _fail(
                path, "A segment cannot include itself, directly or through another segment.", "segment_cycle"
            )
        if len(within) >= MAX_DEPTH:
            raise _fail(path, f"Segments nest at most {MAX_DEPTH} deep.", "segment_too_deep")
        segment = Segment.objects.for_org(self.org).filter(pk=segment_id).first()
        if segment is None:
            raise _does_not_exist(path, segment_id)
        try:
            q = self.segment(segment, within=within, path=path)
        except SegmentError as inner:
            # A mistake inside the other segment is this condition's: that is what the person chose here.
            first = next(iter(inner.fields.values()))[0]
            raise _fail(path, first["detail"], first["code"]) from None
        return q if op == "in" else ~q


def _upper_in(field: str, values: list[str]) -> Q:
    return Q(Exact(Upper(F(field)), values[0])) if len(values) == 1 else Q(In(Upper(F(field)), values))


def _zone(org: Org) -> datetime.tzinfo:
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(org.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return datetime.UTC


def contacts_in(org: Org) -> Any:
    """Live contacts of the org: what every segment filters."""
    return Contact.objects.for_org(org).filter(archived_at__isnull=True)
