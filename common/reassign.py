"""Modules register how to hand a member's open records to another member; membership services call them all.

A module registers `reassign(org, from_profile, to_profile) -> int` (records moved) under its name, from its
AppConfig.ready. The member services run every registered function in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Reassigner = Callable[[Any, Any, Any], int]
_REASSIGNERS: dict[str, Reassigner] = {}


def register_reassigner(module: str, reassign: Reassigner) -> None:
    _REASSIGNERS[module] = reassign


def reassign_open_records(org: Any, from_profile: Any, to_profile: Any) -> dict[str, int]:
    """Run inside the org's context (the tenant tables live in its schema)."""
    return {module: reassign(org, from_profile, to_profile) for module, reassign in sorted(_REASSIGNERS.items())}
