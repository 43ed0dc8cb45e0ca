"""A member's role in an org, and the one order of roles (viewer < member < manager < admin < owner)."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"

    @property
    def rank(self) -> int:
        """Higher is more: the order invitations, role changes and API keys compare roles by."""
        return _RANKS[self]

    @classmethod
    def lesser(cls, first: str, second: str) -> Role:
        """The lesser of two roles (an API key's role capped at its creator's)."""
        return min(cls(first), cls(second), key=lambda role: role.rank)


_RANKS = {Role.VIEWER: 0, Role.MEMBER: 1, Role.MANAGER: 2, Role.ADMIN: 3, Role.OWNER: 4}
