"""Generation jobs (what was asked, how far it got), the suggestions they wrote, and each org's monthly token
ledger (what was used and what running calls have set aside)."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from campaigns.models import Campaign
from common.models import BaseModel, Profile

# Channels are campaigns.ai.channels.CHANNELS, checked where a request names them: no choices on the columns, so
# a channel added to campaigns needs no migration here.


class Tone(models.TextChoices):
    PROFESSIONAL = "professional", "Professional"
    FRIENDLY = "friendly", "Friendly"
    LUXURY = "luxury", "Luxury"
    URGENT = "urgent", "Urgent"
    PLAYFUL = "playful", "Playful"
    INFORMATIVE = "informative", "Informative"


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


ACTIVE_JOB_STATES = (JobState.QUEUED, JobState.RUNNING)


class GenerationJob(BaseModel):
    """One request for copy, run by a worker. It carries the data message it sends (built when asked, so the
    reservation is measured on exactly what is sent) and the tokens it holds reserved and has used."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    channels = ArrayField(models.CharField(max_length=24))
    language = models.CharField(max_length=8)
    tone = models.CharField(max_length=16, choices=Tone.choices, default=Tone.PROFESSIONAL)
    count = models.PositiveSmallIntegerField(help_text="Variants per channel.")
    property_ids = ArrayField(models.UUIDField(), default=list, blank=True)
    instructions = models.TextField(blank=True)
    # The JSON data message for the model (campaign and listing facts, the request): fixed at request time.
    prompt_data = models.JSONField(default=dict)
    # A regeneration writes one new variant of this suggestion.
    replaces = models.ForeignKey("Suggestion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="0-100.")
    error_code = models.CharField(max_length=32, blank=True)
    reason = models.TextField(blank=True)
    # Which run owns the job while it is running: a run that lost it (requeued as stale) writes nothing.
    run_id = models.UUIDField(null=True, blank=True)
    runs = models.PositiveSmallIntegerField(default=0, help_text="Runs started.")
    requeues = models.PositiveSmallIntegerField(default=0, help_text="Times the reaper put it back in the queue.")
    queued_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # The calendar month (UTC, its first day) whose ledger every token of this job counts in.
    quota_month = models.DateField()
    tokens_reserved = models.PositiveIntegerField(default=0)
    tokens_used = models.PositiveIntegerField(default=0)
    provider_calls = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=JobState.values), name="ai_job_state_valid"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="ai_job_progress_percent"),
            models.CheckConstraint(condition=Q(count__gte=1), name="ai_job_count_positive"),
            # A finished job holds nothing back from the quota.
            models.CheckConstraint(
                condition=Q(state__in=ACTIVE_JOB_STATES) | Q(tokens_reserved=0),
                name="ai_job_finished_holds_nothing",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "-created_at"], name="ai_job_campaign"),
            # The reaper: active jobs by when they started or were queued.
            models.Index(
                fields=["state", "started_at"], name="ai_job_stale_running", condition=Q(state=JobState.RUNNING)
            ),
            models.Index(
                fields=["state", "queued_at"], name="ai_job_stale_queued", condition=Q(state=JobState.QUEUED)
            ),
        ]

    def __str__(self) -> str:
        return f"{','.join(self.channels)} for {self.campaign_id} ({self.state})"


class SuggestionState(models.TextChoices):
    SUGGESTED = "suggested", "Suggested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    REPLACED = "replaced", "Replaced by a regenerated variant"


class Suggestion(BaseModel):
    """One variant of one channel's copy. Only approved copy can be sent; an edit sends it back for approval."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    job = models.ForeignKey(GenerationJob, on_delete=models.CASCADE, related_name="suggestions")
    channel = models.CharField(max_length=24)
    language = models.CharField(max_length=8)
    variant = models.PositiveSmallIntegerField(help_text="Its place among the job's variants of the channel.")
    content = models.JSONField()
    state = models.CharField(max_length=10, choices=SuggestionState.choices, default=SuggestionState.SUGGESTED)
    is_edited = models.BooleanField(default=False)
    replaces = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_by = models.ForeignKey(
        Profile, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-job_id", "channel", "variant", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=SuggestionState.values), name="ai_suggestion_state_valid"
            ),
            models.UniqueConstraint(
                fields=["org", "job", "channel", "variant"], name="ai_suggestion_once_per_job"
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "-job", "channel", "variant"], name="ai_suggestion_campaign"),
            # What a send reads: a campaign's approved copy of one channel.
            models.Index(fields=["campaign", "channel", "state"], name="ai_suggestion_approved"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.variant} ({self.state})"


class TokenLedger(BaseModel):
    """One org's tokens for one calendar month (UTC): `used` is what calls really spent, `reserved` what running
    calls have set aside. A reservation is one conditional UPDATE (used + reserved + ask <= quota), so
    concurrent jobs can never together pass the quota."""

    month = models.DateField(help_text="The month's first day.")
    used = models.PositiveBigIntegerField(default=0)
    reserved = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["org", "month"], name="ai_ledger_one_per_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: {self.used} used, {self.reserved} reserved"
