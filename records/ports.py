"""What the record kernel needs from the modules above it, as typed ports those modules fill.

Every record write leaves entries on the record's timeline, and every record carries custom values; the
timeline and custom fields sit above the kernel (they attach to any record), so the kernel names what it needs
here and the installed module that `provides` each port (common.registry) fills it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from django.db.models import QuerySet

from common.models import Profile
from common.pagination import FeedPosition
from common.registry import provider


@dataclass(frozen=True)
class ActivityDraft:
    """One entry of a bulk write to the journal."""

    verb: str
    target_type: str
    target_id: uuid.UUID
    changes: dict[str, Any] | None = None


@dataclass(frozen=True)
class NoticeDraft:
    """One record's notification of a bulk write to the journal."""

    recipient_ids: tuple[uuid.UUID, ...]
    kind: str
    target_type: str
    target_id: uuid.UUID
    message: str


class RecordJournal(Protocol):
    """The timeline of records: activity, notifications, the merged feed, and clean-up on purge."""

    def activity(
        self,
        *,
        org: Any,
        actor: Profile | None,
        verb: str,
        target_type: str,
        target_id: uuid.UUID,
        changes: dict[str, Any] | None = None,
    ) -> Any: ...

    def activities(self, *, org: Any, actor: Profile | None, drafts: list[ActivityDraft]) -> Any: ...

    def notify(
        self,
        *,
        org: Any,
        actor: Profile | None,
        recipient_ids: Iterable[uuid.UUID],
        kind: str,
        target_type: str,
        target_id: uuid.UUID,
        message: str,
    ) -> Any: ...

    def notify_many(self, *, org: Any, actor: Profile | None, drafts: list[NoticeDraft]) -> Any: ...

    def page(
        self, record: Any, *, before: FeedPosition | None, limit: int
    ) -> tuple[list[dict[str, Any]], bool]: ...

    def purge(self, *, org: Any, target_type: str, target_id: Any) -> None: ...


class CustomValues(Protocol):
    """The org-defined extra fields of each record type: validation, list filters and export columns."""

    def validate(
        self, *, org: Any, module: str, incoming: dict[str, Any], current: dict[str, Any] | None = None
    ) -> dict[str, Any]: ...

    def validator(self, *, org: Any, module: str) -> Callable[[dict[str, Any], dict[str, Any] | None], Any]: ...

    def filter(
        self, queryset: QuerySet[Any], *, org: Any, module: str, params: Mapping[str, str]
    ) -> QuerySet[Any]: ...

    def keys(self, *, org: Any, module: str) -> list[str]: ...


def journal() -> RecordJournal:
    found: RecordJournal = provider("record_journal")
    return found


def custom_values() -> CustomValues:
    found: CustomValues = provider("custom_values")
    return found
