"""What every module's demo seeder gets: the org, its members, a seeded RNG, the scale, and a timeline to tell."""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model
from django.utils import timezone

from common.models import BaseModel, Profile

BATCH = 2000


@dataclass
class DemoTimeline:
    """What a seeder says happened to its records, kept until every module has seeded and then written with a
    few bulk inserts. The rows look like the services' own (same verbs and change shapes), and each story is
    dated in the past: the record's `created_at` moves back to its `created` entry, so the two agree."""

    entries: list[Any] = field(default_factory=list)
    comments: list[Any] = field(default_factory=list)
    # Per model: the records whose dates the story moved, and which fields it moved.
    restamped: dict[type[Model], tuple[dict[Any, Model], set[str]]] = field(default_factory=dict)

    def created(self, record: BaseModel, actor: Profile | None, at: datetime.datetime) -> None:
        self.restamp(record, "created_at", at)
        self.log(record, actor, "created", {}, at)
        assignees = getattr(record, "assigned_to", None)
        if assignees:
            self.log(record, actor, "assigned", {"assigned_to": [[], [str(pk) for pk in assignees]]}, at)

    def restamp(self, record: Model, name: str, value: datetime.datetime) -> None:
        """Date a field of an already inserted record (a stamp the story's steps would have set)."""
        setattr(record, name, value)
        records, names = self.restamped.setdefault(type(record), ({}, set()))
        records[record.pk] = record
        names.add(name)

    def log(
        self, record: BaseModel, actor: Profile | None, verb: str, changes: dict[str, Any], at: datetime.datetime
    ) -> None:
        from timeline.models import ActivityEntry

        self.entries.append(
            ActivityEntry(org_id=record.org_id, created_by=actor, updated_by=actor, verb=verb, created_at=at,
                          target_type=record._meta.label_lower, target_id=record.pk, changes=changes)
        )  # fmt: skip

    def comment(self, record: BaseModel, actor: Profile | None, body: str, at: datetime.datetime) -> None:
        from timeline.models import Comment

        comment = Comment(org_id=record.org_id, created_by=actor, updated_by=actor, created_at=at,
                          target_type=record._meta.label_lower, target_id=record.pk, body=body)  # fmt: skip
        self.comments.append(comment)
        self.log(record, actor, "commented", {"comment_id": str(comment.pk)}, at)

    def write(self) -> int:
        """Insert everything; returns how many activity entries were written. Inserts stamp `created_at` with
        the current time, so the story's dates are put back with one bulk update per table."""
        from timeline.models import ActivityEntry, Comment

        for model, rows in ((ActivityEntry, self.entries), (Comment, self.comments)):
            dated = [row.created_at for row in rows]
            model.objects.bulk_create(rows, batch_size=BATCH)
            for row, when in zip(rows, dated, strict=True):
                row.created_at = when
            model.objects.bulk_update(rows, ["created_at"], batch_size=BATCH)
        for record_model, (records, names) in self.restamped.items():
            record_model._default_manager.bulk_update(list(records.values()), sorted(names), batch_size=BATCH)
        written = len(self.entries)
        self.entries, self.comments, self.restamped = [], [], {}
        return written


@dataclass
class DemoContext:
    """What every module's seeder gets: the org, its members, a seeded RNG, the scale, and what earlier
    modules made (`made["contacts.contact"]` is a list of ids), so later modules can link to them."""

    org: Any
    members: Sequence[Profile]
    rng: random.Random
    # How many leads to make; every other module's volume grows with it (`scale`, one step per 50 leads).
    leads: int
    scale: int
    made: dict[str, list[Any]] = field(default_factory=dict)
    timeline: DemoTimeline = field(default_factory=DemoTimeline)
    now: datetime.datetime = field(default_factory=timezone.now)

    def member(self) -> Profile:
        return self.rng.choice(list(self.members))

    def storied(self, records: Sequence[Any]) -> list[Any]:
        """The records that get a timeline: about one in four, and at least a few, so `--scale` stays fast."""
        return self.rng.sample(list(records), min(len(records), max(3, len(records) // 4)))

    def started(self) -> datetime.datetime:
        """When a storied record was created: sometime in the last month."""
        return self.now - datetime.timedelta(days=self.rng.randint(3, 30), minutes=self.rng.randint(0, 600))

    def later(self, when: datetime.datetime) -> datetime.datetime:
        """A step of a record's story, some hours after the last one and never in the future."""
        return min(when + datetime.timedelta(hours=self.rng.randint(2, 40)), self.now)

    def some(self, label: str, k: int = 1) -> list[Any]:
        pool = self.made.get(label, [])
        return self.rng.sample(pool, min(k, len(pool))) if pool else []


FIRST_NAMES = [
    "Ava",
    "Noah",
    "Mia",
    "Liam",
    "Zoe",
    "Ethan",
    "Isla",
    "Lucas",
    "Aria",
    "Mateo",
    "Chloe",
    "Omar",
    "Priya",
    "Hiro",
    "Lena",
    "Tariq",
    "Sofia",
    "Jonas",
]
LAST_NAMES = [
    "Patel",
    "Nguyen",
    "Okafor",
    "Schmidt",
    "Rossi",
    "Kowalski",
    "Haddad",
    "Tanaka",
    "Silva",
    "Murphy",
    "Larsen",
    "Dubois",
    "Cohen",
    "Sato",
]
COMPANY_WORDS = [
    "Harbor",
    "Summit",
    "Cedar",
    "Granite",
    "Beacon",
    "Meridian",
    "Oak",
    "Atlas",
    "Crescent",
    "Pioneer",
    "Lakeside",
    "Northgate",
]
COMPANY_KINDS = [
    "Properties",
    "Capital",
    "Developments",
    "Holdings",
    "Realty",
    "Estates",
    "Partners",
    "Retail Group",
]
