"""How to call a route in the role matrix (tests/test_role_matrix.py); modules declare theirs beside their tests.

A module's `<app>/tests/matrix.py` exports `MATRIX_SPECS = {"api:<route name>": {"GET": Call(...), ...}}`.
The expected status for each member of the cast comes from the authorization table; a spec only says how to
make the request succeed for a role that is allowed (`status`), and which allowed callers are refused on
purpose (`overrides`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tenants.testing.fixtures import Cast


@dataclass(frozen=True)
class Call:
    """How to call one method of a route. `setup` runs first and returns extra URL kwargs or body values."""

    status: int = 200
    body: dict[str, Any] | Callable[[Cast, dict[str, Any]], dict[str, Any]] = field(default_factory=dict)
    kwargs: Callable[[Cast, dict[str, Any]], dict[str, Any]] = lambda cast, made: {}
    setup: Callable[[Cast], dict[str, Any]] = lambda cast: {}
    # Callers for whom the route is allowed but the request itself is refused on purpose (e.g. last owner).
    overrides: dict[str, int] = field(default_factory=dict)
    format: str = "json"


def record_factory(model_path: str, **fields: Any) -> Callable[[Cast], dict[str, Any]]:
    """A record of org A that every role of org A can see (members through assignment)."""

    def make(cast: Cast) -> dict[str, Any]:
        from django.utils import timezone
        from django.utils.module_loading import import_string

        from common.context import org_context

        model = import_string(model_path)
        with org_context(cast.org_a):
            values = {"created_by": cast.owner, "assigned_to": [cast.member.pk], **fields}
            if values.pop("archived", False):
                values["archived_at"] = timezone.now()
            first = model.objects.create(org=cast.org_a, **values)
            second = model.objects.create(org=cast.org_a, created_by=cast.owner, assigned_to=[cast.member.pk])
        return {"pk": first.pk, "other": str(second.pk)}

    return make


def made_pk(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"pk": made["pk"]}


def record_specs(basename: str, model_path: str, body: dict[str, Any]) -> dict[str, dict[str, Call]]:
    """The calls every RecordViewSet route answers, for the matrix."""
    made = record_factory(model_path)
    return {
        f"api:{basename}-list": {"GET": Call(), "POST": Call(status=201, body=body)},
        f"api:{basename}-detail": {
            "GET": Call(setup=made, kwargs=made_pk),
            "PATCH": Call(setup=made, kwargs=made_pk, body=body),
            "PUT": Call(setup=made, kwargs=made_pk, body=body),
            "DELETE": Call(status=204, setup=made, kwargs=made_pk),
        },
        f"api:{basename}-bulk": {
            "POST": Call(setup=made, body=lambda cast, m: {"action": "archive", "ids": [str(m["pk"])]})
        },
        # The org's default export_min_role (manager) refuses members and viewers.
        f"api:{basename}-export": {"GET": Call(setup=made, overrides={"member": 403, "viewer": 403})},
        f"api:{basename}-timeline": {"GET": Call(setup=made, kwargs=made_pk)},
        f"api:{basename}-restore": {"POST": Call(setup=record_factory(model_path, archived=True), kwargs=made_pk)},
        f"api:{basename}-purge": {
            "POST": Call(status=204, setup=record_factory(model_path, archived=True), kwargs=made_pk)
        },
    }
