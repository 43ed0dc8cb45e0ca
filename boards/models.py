"""Boards, their columns, swimlanes and labels, cards with checklists, and recurring cards."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from common.models import BaseModel, Profile


class Visibility(models.TextChoices):
    PRIVATE = "private", "Only its creator"
    ORG = "org", "The whole org"
    MEMBERS = "members", "Listed members"


class BoardRole(models.TextChoices):
    EDITOR = "editor", "Editor"
    COMMENTER = "commenter", "Commenter"
    VIEWER = "viewer", "Viewer"


class WipMode(models.TextChoices):
    WARN = "warn", "Warn"
    ENFORCE = "enforce", "Enforce"


class Frequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


class Board(BaseModel):
    """A board of cards, or (with `source`) a view over one record module by its status field."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.ORG)
    # The record API a board view shows ("deals", "leads"...); empty for a board of cards.
    source = models.CharField(max_length=50, blank=True, default="")
    # The module's own list filters, as query parameters (`{"assigned_to": "...", "search": "..."}`).
    source_filters = models.JSONField(default=dict, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["org", "visibility"], name="board_visibility")]

    def __str__(self) -> str:
        return self.name


class BoardMember(BaseModel):
    """A member listed on a board, with a board role (capped by their org role)."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="members")
    profile = models.ForeignKey(Profile, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    role = models.CharField(max_length=10, choices=BoardRole.choices, default=BoardRole.EDITOR)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "board", "profile"], name="board_member_once")]


class Column(BaseModel):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="columns")
    name = models.CharField(max_length=100)
    color = models.CharField(max_length=7, blank=True, default="")
    position = models.FloatField()
    wip_limit = models.PositiveIntegerField(null=True, blank=True)
    wip_mode = models.CharField(max_length=8, choices=WipMode.choices, default=WipMode.WARN)
    is_done = models.BooleanField(default=False)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "board", "position"],
                name="column_position_once",
                deferrable=models.Deferrable.DEFERRED,
            )
        ]

    def __str__(self) -> str:
        return self.name


class Swimlane(BaseModel):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="swimlanes")
    name = models.CharField(max_length=100)
    position = models.FloatField()
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position"]


class Label(BaseModel):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=50)
    color = models.CharField(max_length=7, blank=True, default="")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["org", "board", "name"], name="label_name_once")]


class RecurringCard(BaseModel):
    """A card made again every day, week or month by beat, once per period."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="recurring_cards")
    column = models.ForeignKey(Column, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True, default="")
    assignees = ArrayField(models.UUIDField(), default=list, blank=True)
    frequency = models.CharField(max_length=8, choices=Frequency.choices)
    next_run_on = models.DateField()
    # The day of the month a monthly card is made on, kept apart from `next_run_on`: a card of the 31st made
    # on 28 February goes back to the 31st in March instead of drifting to the 28th.
    month_day = models.PositiveSmallIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        indexes = [models.Index(fields=["is_active", "next_run_on"], name="recurring_card_due")]


class Card(BaseModel):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="cards")
    # An archived card keeps its column and position, so restoring it puts it back where it was.
    column = models.ForeignKey(Column, on_delete=models.CASCADE, related_name="cards")
    swimlane = models.ForeignKey(Swimlane, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    position = models.FloatField()
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True, default="")  # markdown
    assignees = ArrayField(models.UUIDField(), default=list, blank=True)
    label_ids = ArrayField(models.UUIDField(), default=list, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    cover_url = models.URLField(max_length=500, blank=True, default="")
    # A link to any record type of the registry ("deals.deal"), checked against the org and the actor.
    link_type = models.CharField(max_length=60, blank=True, default="")
    link_id = models.UUIDField(null=True, blank=True)
    recurring = models.ForeignKey(
        RecurringCard, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    period = models.DateField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            # Archived cards keep their slot (so they come back there): positions are unique among all cards.
            models.UniqueConstraint(
                fields=["org", "column", "position"],
                name="card_position_once",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.UniqueConstraint(
                fields=["org", "recurring", "period"],
                name="recurring_card_once",
                condition=Q(recurring__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["board", "column", "position"], name="card_board_order")]

    def __str__(self) -> str:
        return self.title


class ChecklistItem(BaseModel):
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="checklist")
    text = models.CharField(max_length=300)
    is_done = models.BooleanField(default=False)
    assignee = models.UUIDField(null=True, blank=True)
    position = models.FloatField()

    class Meta:
        ordering = ["position"]
