"""AI copy over the API. Thin: rules in campaigns.ai.services, reads in campaigns.ai.selectors.

Routes that need the provider (generate, regenerate) answer 409 `ai_disabled` while no API key is configured;
reading jobs, suggestions and usage, and reviewing copy already written, work without one."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.ai import filters, provider, quota, selectors, services
from campaigns.ai import serializers as s
from campaigns.ai.channels import CHANNEL_LABELS, SPECS
from campaigns.ai.models import GenerationJob, Suggestion, Tone
from campaigns.ai.prompts import language_name
from campaigns.selectors import campaign_visible
from common.validation import validated
from tenants.pipeline.context import OrgViewMixin

NOT_FOUND = OpenApiResponse(description="No such campaign (or suggestion, job) in this org that you can see.")
FORBIDDEN = OpenApiResponse(description="The campaign is not yours to change (`permission_denied`).")
TOO_MANY = OpenApiResponse(
    description="`throttled`: too many AI requests from you this minute (see Retry-After); or "
    "`ai_quota_exceeded`: the org's monthly token quota cannot cover the request (the detail says when it "
    "resets; Retry-After too)."
)
GENERATE_CONFLICT = OpenApiResponse(
    description="`ai_disabled` (no API key configured), `archived` (the campaign), `suggestion_approved`, "
    "`suggestion_replaced` or `regeneration_pending`."
)
REVIEW_CONFLICT = OpenApiResponse(description="`archived` (the campaign) or `suggestion_replaced`.")
FIELD_ERRORS = OpenApiResponse(description="Field errors (an id that does not exist in this org is one).")


class _AiView(OrgViewMixin):
    def handle_exception(self, exc: Exception) -> Response:
        response: Response = super().handle_exception(exc)  # type: ignore[misc]  # APIView's, mixed in after
        if isinstance(exc, quota.QuotaExceeded):
            wait = (exc.resets_at - timezone.now()).total_seconds()
            response["Retry-After"] = str(max(1, math.ceil(wait)))
        return response


def _accepted(job: GenerationJob) -> Response:
    location = reverse("api:campaign-ai-job", kwargs={"job_id": job.pk})
    return Response(
        s.GenerationJobSerializer(job).data, status=status.HTTP_202_ACCEPTED, headers={"Location": location}
    )


class GenerateView(_AiView, APIView):
    @extend_schema(
        request=s.GenerateRequestSerializer,
        responses={
            202: s.GenerationJobSerializer,
            400: FIELD_ERRORS,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: GENERATE_CONFLICT,
            429: TOO_MANY,
        },
        description="Queue a job that writes copy for the campaign; poll the job (Location) until it has "
        "succeeded or failed. The tokens it may use are reserved from the org's monthly quota now.",
    )
    def post(self, request: Request, campaign_id: Any) -> Response:
        campaign = campaign_visible(org=self.org, actor=self.actor, campaign_id=campaign_id)
        services.campaign_write_check(actor=self.actor, campaign=campaign)
        services.ai_enabled_check()
        services.ai_rate_limit(self.actor)
        body = s.GenerateRequestSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        job = services.generation_request(
            org=self.org, actor=self.actor, campaign=campaign, data=dict(body.validated_data)
        )
        return _accepted(job)


class JobListView(_AiView, ListAPIView):
    """The campaign's generation jobs, newest first."""

    serializer_class = s.GenerationJobSerializer
    filterset_class = filters.JobFilter
    search_fields: list[str] = []
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return GenerationJob.objects.none()
        campaign = campaign_visible(org=self.org, actor=self.actor, campaign_id=self.kwargs["campaign_id"])
        return selectors.jobs_of(org=self.org, campaign=campaign)


class JobDetailView(_AiView, APIView):
    @extend_schema(responses={200: s.GenerationJobSerializer, 404: NOT_FOUND})
    def get(self, request: Request, job_id: Any) -> Response:
        """One job: its state (queued, running, succeeded, failed), progress and, when failed, code and reason."""
        job = selectors.job_visible(org=self.org, actor=self.actor, job_id=job_id)
        return Response(s.GenerationJobSerializer(job).data)


class SuggestionListView(_AiView, ListAPIView):
    """The campaign's suggestions: the newest job's first, then by channel and variant."""

    serializer_class = s.SuggestionSerializer
    filterset_class = filters.SuggestionFilter
    search_fields: list[str] = []
    ordering_fields = ["created_at", "decided_at"]
    ordering = ["-job_id", "channel", "variant", "id"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Suggestion.objects.none()
        campaign = campaign_visible(org=self.org, actor=self.actor, campaign_id=self.kwargs["campaign_id"])
        return selectors.suggestions_of(org=self.org, campaign=campaign)


class ReviewView(_AiView, APIView):
    @extend_schema(
        request=s.ReviewRequestSerializer,
        responses={
            200: s.ReviewResponseSerializer,
            400: FIELD_ERRORS,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REVIEW_CONFLICT,
        },
        description="Approve or reject several suggestions of the campaign at once: all of them, or none.",
    )
    def post(self, request: Request, campaign_id: Any) -> Response:
        campaign = campaign_visible(org=self.org, actor=self.actor, campaign_id=campaign_id)
        services.campaign_write_check(actor=self.actor, campaign=campaign)
        body = validated(s.ReviewRequestSerializer, request.data)
        decided = services.suggestions_review(
            org=self.org,
            actor=self.actor,
            campaign=campaign,
            approve=body["decision"] == "approve",
            suggestion_ids=body["suggestions"],
        )
        return Response({"results": s.SuggestionSerializer(decided, many=True).data})


class SuggestionDetailView(_AiView, APIView):
    @extend_schema(responses={200: s.SuggestionSerializer, 404: NOT_FOUND})
    def get(self, request: Request, suggestion_id: Any) -> Response:
        suggestion = selectors.suggestion_visible(org=self.org, actor=self.actor, suggestion_id=suggestion_id)
        return Response(s.SuggestionSerializer(suggestion).data)

    @extend_schema(
        request=s.SuggestionEditSerializer,
        responses={
            200: s.SuggestionSerializer,
            400: FIELD_ERRORS,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: REVIEW_CONFLICT,
        },
        description="Replace the copy with your own wording, held to the channel's rules; it needs approving "
        "again.",
    )
    def patch(self, request: Request, suggestion_id: Any) -> Response:
        selectors.suggestion_visible(org=self.org, actor=self.actor, suggestion_id=suggestion_id)
        body = validated(s.SuggestionEditSerializer, request.data)
        suggestion = services.suggestion_edit(
            org=self.org, actor=self.actor, suggestion_id=suggestion_id, content=body["content"]
        )
        return Response(s.SuggestionSerializer(suggestion).data)


class _DecisionView(_AiView, APIView):
    approve = True

    def post(self, request: Request, suggestion_id: Any) -> Response:
        suggestion = services.suggestion_decide(
            org=self.org, actor=self.actor, suggestion_id=suggestion_id, approve=self.approve
        )
        return Response(s.SuggestionSerializer(suggestion).data)


_DECISION_RESPONSES = {200: s.SuggestionSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: REVIEW_CONFLICT}


@extend_schema(request=None, responses=_DECISION_RESPONSES, description="Approve the copy: a send may use it now.")
class SuggestionApproveView(_DecisionView):
    approve = True


@extend_schema(request=None, responses=_DECISION_RESPONSES, description="Reject the copy.")
class SuggestionRejectView(_DecisionView):
    approve = False


class SuggestionRegenerateView(_AiView, APIView):
    @extend_schema(
        request=s.RegenerateRequestSerializer,
        responses={
            202: s.GenerationJobSerializer,
            400: FIELD_ERRORS,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: GENERATE_CONFLICT,
            429: TOO_MANY,
        },
        description="Queue a job that writes one new variant of this suggestion (in another language if asked); "
        "when it succeeds the new suggestion replaces this one.",
    )
    def post(self, request: Request, suggestion_id: Any) -> Response:
        suggestion = selectors.suggestion_visible(org=self.org, actor=self.actor, suggestion_id=suggestion_id)
        services.campaign_write_check(actor=self.actor, campaign=suggestion.campaign)
        services.ai_enabled_check()
        services.ai_rate_limit(self.actor)
        body = validated(s.RegenerateRequestSerializer, request.data)
        job = services.suggestion_regenerate(
            org=self.org, actor=self.actor, suggestion_id=suggestion_id, data=body
        )
        return _accepted(job)


class UsageView(_AiView, APIView):
    @extend_schema(responses={200: s.UsageSerializer})
    def get(self, request: Request) -> Response:
        """The org's AI tokens this month (UTC): used, reserved by running calls, the quota, and when it resets."""
        usage = selectors.usage_of_org(org=self.org)
        return Response(
            s.UsageSerializer(
                {
                    "enabled": provider.is_enabled(),
                    "month": usage.month,
                    "used": usage.used,
                    "reserved": usage.reserved,
                    "quota": usage.quota,
                    "remaining": usage.remaining,
                    "resets_at": usage.resets_at,
                }
            ).data
        )


class OptionsView(_AiView, APIView):
    @extend_schema(responses={200: s.AiOptionsSerializer})
    def get(self, request: Request) -> Response:
        """What can be asked for: the channels with their rules and limits, languages, tones, and whether AI copy
        is enabled on this server."""
        body = {
            "enabled": provider.is_enabled(),
            "model": settings.AI_MODEL,
            "languages": [{"code": code, "name": language_name(code)} for code in settings.AI_LANGUAGES],
            "default_language": services.default_language(self.org),
            "tones": list(Tone.values),
            "channels": [
                {"key": key, "name": CHANNEL_LABELS[key], "rules": spec.rules, "limits": spec.limits}
                for key, spec in SPECS.items()
            ],
        }
        return Response(s.AiOptionsSerializer(body).data)
