"""Request and response shapes of AI copy: a generation request, jobs, suggestions, reviews and usage."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from campaigns.ai.channels import CHANNELS, measurements
from campaigns.ai.models import GenerationJob, Suggestion, Tone
from properties.models import Property
from records.fields import OrgScopedRelatedField

PROPERTIES_MAX = 10
INSTRUCTIONS_MAX = 2_000
COUNT_MAX = 5
REVIEW_MAX = 100


class _LanguageChoice(serializers.Serializer):
    """A serializer with a `language` field limited to AI_LANGUAGES as the settings say now."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        languages = list(settings.AI_LANGUAGES)
        field = self.fields["language"]
        assert isinstance(field, serializers.ChoiceField)
        field.choices = languages


class GenerateRequestSerializer(_LanguageChoice):
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=CHANNELS),
        min_length=1,
        max_length=len(CHANNELS),
        help_text=f"What to write: any of {', '.join(CHANNELS)}.",
    )
    language = serializers.ChoiceField(
        choices=[], required=False, help_text="One of AI_LANGUAGES; default: the organisation's language."
    )
    tone = serializers.ChoiceField(choices=Tone.choices, required=False, help_text="Default: professional.")
    properties = OrgScopedRelatedField(
        Property,
        many=True,
        required=False,
        help_text=f"Listings to take facts from (at most {PROPERTIES_MAX}); default: the campaign's listings. "
        "A listing description needs exactly one.",
    )
    instructions = serializers.CharField(
        max_length=INSTRUCTIONS_MAX,
        required=False,
        allow_blank=True,
        help_text="What the copy should say or stress; sent to the model as data, never as instructions.",
    )
    count = serializers.IntegerField(
        min_value=1, max_value=COUNT_MAX, required=False, help_text="Variants per channel."
    )

    def validate_properties(self, value: list[Property]) -> list[Property]:
        if len(value) > PROPERTIES_MAX:
            raise serializers.ValidationError(f"At most {PROPERTIES_MAX} properties.", code="max_length")
        return list(dict.fromkeys(value))


class RegenerateRequestSerializer(_LanguageChoice):
    language = serializers.ChoiceField(choices=[], required=False, help_text="Default: the suggestion's language.")
    tone = serializers.ChoiceField(choices=Tone.choices, required=False, help_text="Default: the original job's.")
    instructions = serializers.CharField(
        max_length=INSTRUCTIONS_MAX, required=False, allow_blank=True, help_text="Default: the original job's."
    )


class GenerationJobSerializer(serializers.ModelSerializer):
    properties = serializers.ListField(source="property_ids", child=serializers.UUIDField(), read_only=True)
    error_code = serializers.CharField(
        read_only=True,
        help_text="When failed: ai_unavailable, ai_rate_limited, ai_timeout, ai_invalid_output, ai_quota_exceeded "
        "or ai_disabled.",
    )

    class Meta:
        model = GenerationJob
        fields = [
            "id",
            "campaign",
            "state",
            "progress",
            "error_code",
            "reason",
            "channels",
            "language",
            "tone",
            "count",
            "properties",
            "instructions",
            "replaces",
            "runs",
            "requeues",
            "provider_calls",
            "tokens_reserved",
            "tokens_used",
            "created_by",
            "created_at",
            "queued_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class SuggestionSerializer(serializers.ModelSerializer):
    content = serializers.DictField(
        read_only=True,
        help_text="Email: subject, preheader, body_html (sanitised). Google Ads: headlines, descriptions. Every "
        "other channel: text.",
    )
    measurements = serializers.SerializerMethodField(help_text="Sizes as the channel's platform counts them.")

    class Meta:
        model = Suggestion
        fields = [
            "id",
            "campaign",
            "job",
            "channel",
            "language",
            "variant",
            "content",
            "measurements",
            "state",
            "is_edited",
            "replaces",
            "decided_by",
            "decided_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_measurements(self, suggestion: Suggestion) -> dict[str, Any]:
        return measurements(suggestion.channel, suggestion.content)


class SuggestionEditSerializer(serializers.Serializer):
    content = serializers.DictField(help_text="The whole content, in the channel's shape; checked by its rules.")


class ReviewRequestSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    suggestions = serializers.ListField(
        child=serializers.UUIDField(),
        min_length=1,
        max_length=REVIEW_MAX,
        help_text="Ids of suggestions of this campaign; all are decided or none.",
    )


class ReviewResponseSerializer(serializers.Serializer):
    results = SuggestionSerializer(many=True)


class UsageSerializer(serializers.Serializer):
    enabled = serializers.BooleanField(help_text="False while no OPENAI_API_KEY is configured.")
    month = serializers.DateField(help_text="The quota month (UTC), as its first day.")
    used = serializers.IntegerField(help_text="Tokens the provider reported for this month's calls.")
    reserved = serializers.IntegerField(help_text="Tokens set aside by calls running now.")
    quota = serializers.IntegerField()
    remaining = serializers.IntegerField()
    resets_at = serializers.DateTimeField()


class LanguageSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ChannelSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    rules = serializers.CharField()
    limits = serializers.DictField(child=serializers.IntegerField())


class AiOptionsSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    model = serializers.CharField()
    languages = LanguageSerializer(many=True)
    default_language = serializers.CharField()
    tones = serializers.ListField(child=serializers.CharField())
    channels = ChannelSerializer(many=True)
