"""The one way a module plugs in: its AppConfig declares what it contributes, and everyone else reads it here.

A module's AppConfig subclasses `registry.ModuleConfig` (through the module, not an imported name: Django picks
the one AppConfig class an apps.py defines, and an imported one would count twice) and fills in what it has:

- `record_apis`: record viewsets mounted under /api/<prefix>/. Each brings its list, detail, export, bulk,
  timeline, restore and purge routes with their rows of the authorization table, and its model is a record
  type the timeline and custom fields accept.
- `urls`: a module with `urlpatterns` (mounted under /api/) and `ROUTES` (their rows, by route name; rows for
  extra actions of a record viewset go here too).
- `site_routes`: rows for routes outside /api/ (the project's own: health, admin, the schema).
- `reassign`: `reassign(org, from_profile, to_profile) -> int`, run when a member is removed.
- `reference_mover`: `mover(*, org, actor, gone, kept) -> int`, run when a contact or company is merged: it
  points the module's links to the merged record at the kept one and says how many records moved.
- `demo_seeder`: `seed(ctx) -> {what: count}`, run by `seed_demo` in INSTALLED_APPS order.
- `comment_listener`: `listener(*, org, actor, target, comment) -> None`, run by the timeline inside the
  transaction of every new comment (or reply) on one of the module's own record types.
- `activity_listener`: `listener(entries) -> None`, run by the timeline inside the transaction of the activity
  entries it writes on any record (each with `org`, `created_by`, `verb`, `target_type`, `target_id`,
  `changes`): the one place a module learns that records changed, to write outbox rows or publish after
  commit. Usually one entry; a bulk write (an import batch) hands over all of its entries at once, so a
  listener does its lookups once per call, not once per entry.
- `notification_listener`: `listener(notifications) -> None`, run with the notifications just written, inside
  their transaction.
- `membership_listener`: `listener(profile) -> None`, run whenever a membership is saved (role, active flag,
  removal), inside that write: live connections of the member are closed so they authenticate again.
- `session_listener`: `listener(user_id, session_id) -> None`, run inside the write that ends a session
  (logout, a replayed refresh token) or, with `session_id` None, every session of a user (password change or
  reset, 2FA turned on, the user deactivated): live connections made with those tokens are closed.
- `board_fields`: record APIs whose records a board can show by a status field (`BoardField`); moving a card
  of such a board is the record API's own update of that field.
- `timeline_targets`: types of the module's own that are not record APIs but carry a timeline (a board's
  card): comments, files and activity hang off them, with the module's own visibility (`TimelineTarget`).
- `provides`: kernel ports this module fills, by port name (see records.ports).
- `imports`: `ImportSpec`s, what the module offers for CSV/XLSX import (fields, natural keys, relations, and
  the services that create and change a record).

Callables are dotted paths, imported on first use: an AppConfig is loaded before the models are.
Nothing here lists modules by name; adding one is its folder and its line in INSTALLED_APPS.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.apps import AppConfig, apps
from django.utils.module_loading import import_string

from common.access import ADMINS, ALL_ROLES, WRITERS, RouteAccess, Scope, lookup


@dataclass(frozen=True)
class RecordApi:
    """A record viewset at /api/<prefix>/, its routes named `<prefix>-list`, `<prefix>-detail`..."""

    prefix: str
    viewset: str  # dotted path of a records.viewsets.RecordViewSet subclass
    # Rows of the viewset's own extra actions, by action URL name (`merge` is the route `<prefix>-merge`).
    actions: Mapping[str, RouteAccess] = field(default_factory=dict)

    def routes(self) -> dict[str, RouteAccess]:
        extra = {f"{self.prefix}-{name}": access for name, access in self.actions.items()}
        return {**record_routes(self.prefix), **extra}

    def viewset_class(self) -> Any:
        return _imported(self.viewset)


@dataclass(frozen=True)
class ImportSpec:
    """What a module offers for import (imports/): rows of `model` are created with `create` and changed with
    `change` (the module's own rules and timeline), matched for upsert on `natural_keys` (case-insensitively,
    the fields of the database's uniqueness), with `relations` resolved by a natural key of the related row."""

    key: str  # what clients name it: "contacts"
    model: str  # "contacts.Contact"
    fields: tuple[str, ...]  # importable columns of the model
    create: str  # dotted `create(*, org, actor, data) -> record`
    change: str  # dotted records.services.RecordChange
    # Dotted `create_many(*, org, actor, datas) -> records`, in order: `create`'s rules for rows the import has
    # already checked (natural keys unique in the org and the file, relations found); raises like `create`.
    create_many: str | None = None
    natural_keys: tuple[str, ...] = ()
    # Target field -> (related model "app.Model", or "member" for a member by email; the field matched).
    relations: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    # Target field -> header spellings that mean it (besides the field's own name and verbose name).
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class BoardField:
    """The records of the record API at `prefix`, shown as a board by `field` (a status, or a deal's stage).
    `columns`: dotted path of `columns(org, filters) -> [(value, label)]` where the values are not the field's
    choices (a deal's stages come from its pipeline)."""

    prefix: str
    field: str
    columns: str | None = None

    def columns_of(self) -> Callable[..., list[tuple[str, str]]] | None:
        return _imported(self.columns) if self.columns else None


@dataclass(frozen=True)
class TimelineTarget:
    """A type that carries a timeline without being a record API. `visible`: dotted `visible(queryset,
    profile) -> queryset`, the rows the member may see (the rest is the same 404 as a missing one);
    `may_contribute`: dotted `may_contribute(profile, obj) -> bool`, whether a member who sees it may comment
    and attach files (a board's viewer may not)."""

    model: str  # "boards.Card"
    visible: str
    may_contribute: str


class ModuleConfig(AppConfig):
    record_apis: ClassVar[tuple[RecordApi, ...]] = ()
    urls: ClassVar[str | None] = None
    site_routes: ClassVar[Mapping[str, RouteAccess]] = {}
    reassign: ClassVar[str | None] = None
    reference_mover: ClassVar[str | None] = None
    demo_seeder: ClassVar[str | None] = None
    comment_listener: ClassVar[str | None] = None
    activity_listener: ClassVar[str | None] = None
    notification_listener: ClassVar[str | None] = None
    membership_listener: ClassVar[str | None] = None
    session_listener: ClassVar[str | None] = None
    board_fields: ClassVar[tuple[BoardField, ...]] = ()
    timeline_targets: ClassVar[tuple[TimelineTarget, ...]] = ()
    provides: ClassVar[Mapping[str, str]] = {}
    imports: ClassVar[tuple[ImportSpec, ...]] = ()


def record_routes(basename: str) -> dict[str, RouteAccess]:
    """The authorization rows of a record viewset registered under `basename`."""
    return {
        f"{basename}-list": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "POST": WRITERS}),
        f"{basename}-detail": RouteAccess(
            Scope.TENANT, {"GET": ALL_ROLES, "PUT": WRITERS, "PATCH": WRITERS, "DELETE": WRITERS}
        ),
        f"{basename}-bulk": RouteAccess(Scope.TENANT, {"POST": WRITERS}),
        # Every role that reads the list may be allowed to take it away as CSV; the org's `export_min_role`
        # (managers and above by default) decides who is (records.export.export_permission_check).
        f"{basename}-export": RouteAccess(
            Scope.TENANT, {"GET": ALL_ROLES}, reason="the org's export_min_role narrows it"
        ),
        f"{basename}-timeline": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
        f"{basename}-restore": RouteAccess(Scope.TENANT, {"POST": ADMINS}),
        f"{basename}-purge": RouteAccess(Scope.TENANT, {"POST": ADMINS}),
    }


def modules() -> Iterator[ModuleConfig]:
    """Every installed module that declares contributions, in INSTALLED_APPS order."""
    for config in apps.get_app_configs():
        if isinstance(config, ModuleConfig):
            yield config


@functools.cache
def _imported(path: str) -> Any:
    return import_string(path)


def record_apis() -> list[RecordApi]:
    return [api for module in modules() for api in module.record_apis]


def record_models() -> dict[str, Any]:
    """Every record type, by label ("contacts.contact"): what timeline entries and custom fields hang off."""
    models = (api.viewset_class().model for api in record_apis())
    return {model._meta.label_lower: model for model in models}


def url_modules() -> list[Any]:
    return [importlib.import_module(module.urls) for module in modules() if module.urls]


@functools.cache
def route_table() -> dict[str, RouteAccess]:
    """The whole authorization table: every module's rows, API rows under the `api:` namespace. A route
    described twice is a mistake caught at the first request."""
    table: dict[str, RouteAccess] = {}

    def add(name: str, access: RouteAccess, where: str) -> None:
        if name in table:
            raise RuntimeError(f"route {name} is described twice ({where})")
        table[name] = access

    for module in modules():
        for name, access in module.site_routes.items():
            add(name, access, module.name)
        for api in module.record_apis:
            for name, access in api.routes().items():
                add(f"api:{name}", access, module.name)
        if module.urls:
            for name, access in importlib.import_module(module.urls).ROUTES.items():
                add(f"api:{name}", access, module.urls)
    return table


def route_access(view_name: str) -> RouteAccess | None:
    return lookup(route_table(), view_name)


def reassigners() -> dict[str, Callable[..., int]]:
    return {module.label: _imported(module.reassign) for module in modules() if module.reassign}


def reference_movers() -> dict[str, Callable[..., int]]:
    return {module.label: _imported(module.reference_mover) for module in modules() if module.reference_mover}


def demo_seeders() -> list[Callable[..., dict[str, int]]]:
    return [_imported(module.demo_seeder) for module in modules() if module.demo_seeder]


def comment_listener_of(target_type: str) -> Callable[..., None] | None:
    """The listener of the module whose record API serves `target_type` ("campaigns.campaign"), if it has one."""
    for module in modules():
        if module.comment_listener is None:
            continue
        labels = {api.viewset_class().model._meta.label_lower for api in module.record_apis}
        if target_type in labels:
            listener: Callable[..., None] = _imported(module.comment_listener)
            return listener
    return None


def activity_listeners() -> list[Callable[[list[Any]], None]]:
    return [_imported(module.activity_listener) for module in modules() if module.activity_listener]


def notification_listeners() -> list[Callable[[list[Any]], None]]:
    return [_imported(module.notification_listener) for module in modules() if module.notification_listener]


def import_specs() -> dict[str, ImportSpec]:
    """What each module offers for import, by the name clients use."""
    return {spec.key: spec for module in modules() for spec in module.imports}


def membership_listeners() -> list[Callable[[Any], None]]:
    return [_imported(module.membership_listener) for module in modules() if module.membership_listener]


def timeline_targets() -> dict[str, TimelineTarget]:
    """The types of `timeline_targets`, by label ("boards.card")."""
    return {target.model.lower(): target for module in modules() for target in module.timeline_targets}


def session_listeners() -> list[Callable[[str, str | None], None]]:
    return [_imported(module.session_listener) for module in modules() if module.session_listener]


def board_fields() -> dict[str, BoardField]:
    """Every record API a board can show, by its prefix."""
    return {board_field.prefix: board_field for module in modules() for board_field in module.board_fields}


def record_api(prefix: str) -> RecordApi | None:
    return next((api for api in record_apis() if api.prefix == prefix), None)


def provider(port: str) -> Any:
    """The one installed module's implementation of a kernel port; none or two is a configuration error."""
    found = [module.provides[port] for module in modules() if port in module.provides]
    if len(found) != 1:
        raise RuntimeError(f"expected exactly one installed module to provide {port!r}, found {found}")
    return _imported(found[0])
