"""The authorization table's vocabulary: each route's scope and which roles may use each method."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from common.roles import Role


class Scope(enum.StrEnum):
    PUBLIC = "public"  # public schema, no org header
    TENANT = "tenant"  # org header + membership; runs in the org's schema
    PLATFORM = "platform"  # platform admins only; everyone else gets 404


class Audience(enum.StrEnum):
    ANYONE = "anyone"
    AUTHENTICATED = "authenticated"


ALL_ROLES = frozenset(Role.values)
WRITERS = ALL_ROLES - {Role.VIEWER}
MANAGERS = frozenset({Role.OWNER, Role.ADMIN, Role.MANAGER})
ADMINS = frozenset({Role.OWNER, Role.ADMIN})
OWNERS = frozenset({Role.OWNER})

Allowed = frozenset[str] | Audience


@dataclass(frozen=True)
class RouteAccess:
    scope: Scope
    # Method -> roles (tenant routes) or an audience (public and platform routes). HEAD follows GET.
    methods: Mapping[str, Allowed] = field(default_factory=dict)
    reason: str = ""

    def allowed_for(self, method: str) -> Allowed | None:
        method = "GET" if method == "HEAD" else method
        return self.methods.get(method)


def lookup(table: Mapping[str, RouteAccess], view_name: str) -> RouteAccess | None:
    """Exact view name first, then a whole namespace written as `namespace:*`."""
    if view_name in table:
        return table[view_name]
    namespace, _, _ = view_name.rpartition(":")
    while namespace:
        entry = table.get(f"{namespace}:*")
        if entry is not None:
            return entry
        namespace, _, _ = namespace.rpartition(":")
    return None
