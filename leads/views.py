"""Leads, web forms and web-to-lead over the API: thin declarations over the services."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.context import org_context
from common.errors import ApiError
from common.ids import UUID_ROUTE_PATTERN, uuid7
from common.throttling import Limit, client_ip, enforce
from common.validation import validated
from leads import filters, serializers, services
from leads.inquiries import inquiry_receive
from leads.models import Lead, WebForm
from properties.public import published_listing
from records.services import record_etag
from records.viewsets import RecordViewSet
from tenants.pipeline.context import OrgRejected, OrgViewMixin
from tenants.pipeline.credentials import api_key_header
from tenants.pipeline.public import PublicOrgView


class LeadViewSet(RecordViewSet[Lead]):
    model = Lead
    serializer_class = serializers.LeadSerializer
    filterset_class = filters.LeadFilter
    search_fields = ["~first_name", "~last_name", "email", "phone", "~company_name"]
    ordering_fields = ["created_at", "updated_at", "last_name", "first_name", "company_name", "status", "rating",
                       "estimated_value", "next_follow_up_at", "converted_at"]  # fmt: skip
    bulk_fields = ("assigned_to", "tags", "status", "source", "rating", "next_follow_up_at")

    def narrow_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.select_related("listing")

    def create_record(self, data: dict[str, Any]) -> Lead:
        return services.lead_create(org=self.org, actor=self.actor, data=data)

    def change_record(self, *, org: Any, actor: Any, record: Lead, data: dict[str, Any]) -> None:
        services.lead_change(org=org, actor=actor, record=record, data=data)

    def validated_bulk_changes(self, raw: dict[str, Any]) -> dict[str, Any]:
        changes = super().validated_bulk_changes(raw)
        services.lead_bulk_changes_check(changes)
        return changes

    @extend_schema(
        request=serializers.LeadConvertSerializer,
        responses={201: serializers.LeadConversionSerializer, 200: serializers.LeadConversionSerializer},
        description="Creates or links a contact (matched by email), a company (company_id, else matched by "
        "name, else created from company_name) and optionally a deal, in one transaction. 201 the first "
        "time; 200 with the same links when the lead is already converted.",
    )
    @action(detail=True, methods=["post"])
    def convert(self, request: Request, pk: Any = None) -> Response:
        body = serializers.LeadConvertSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        options = body.validated_data
        conversion = services.lead_convert(
            org=self.org,
            actor=self.actor,
            lead_id=self.get_object().pk,
            contact=options.get("contact_id"),
            company=options.get("company_id"),
            create_deal=options["create_deal"],
            deal_name=options.get("deal_name", ""),
            deal_amount=options.get("deal_amount"),
        )
        lead = self._reloaded(conversion.lead)
        answer = {
            "lead": lead,
            "contact_id": lead.converted_contact_id,
            "company_id": lead.converted_company_id,
            "deal_id": lead.converted_deal_id,
            "created": {
                "contact": conversion.created_contact,
                "company": conversion.created_company,
                "deal": conversion.created_deal,
            },
        }
        return Response(
            serializers.LeadConversionSerializer(answer, context=self.get_serializer_context()).data,
            status=status.HTTP_200_OK if conversion.is_repeat else status.HTTP_201_CREATED,
            headers={"ETag": record_etag(lead)},
        )


class WebFormViewSet(
    OrgViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Admins manage the org's public web-to-lead forms; a form's token is shown only when it is issued."""

    serializer_class = serializers.WebFormSerializer
    lookup_value_regex = UUID_ROUTE_PATTERN

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return WebForm.all_orgs_unsafe.none()
        return WebForm.objects.for_org(self.org)

    @extend_schema(request=serializers.WebFormSerializer, responses={201: serializers.IssuedWebFormSerializer})
    def create(self, request: Request) -> Response:
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = services.web_form_create(org=self.org, actor=self.actor, data=data.validated_data)
        return Response(self._issued(issued), status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: Any = None, partial: bool = False) -> Response:
        data = self.get_serializer(self.get_object(), data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        form = services.web_form_update(
            org=self.org,
            actor=self.actor,
            form_id=pk,
            data=data.validated_data,
        )
        return Response(self.get_serializer(form).data)

    def partial_update(self, request: Request, pk: Any = None) -> Response:
        return self.update(request, pk, partial=True)

    def destroy(self, request: Request, pk: Any = None) -> Response:
        services.web_form_delete(org=self.org, actor=self.actor, form_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: serializers.IssuedWebFormSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-token")
    def rotate_token(self, request: Request, pk: Any = None) -> Response:
        issued = services.web_form_rotate_token(org=self.org, actor=self.actor, form_id=self.get_object().pk)
        return Response(self._issued(issued))

    def _issued(self, issued: services.IssuedWebForm) -> dict[str, Any]:
        return {**self.get_serializer(issued.form).data, "token": issued.token}


def WEB_TO_LEAD_IP_LIMIT() -> Limit:
    return Limit("web_to_lead_ip", getattr(settings, "WEB_TO_LEAD_PER_IP_PER_MINUTE", 10), 60)


def WEB_TO_LEAD_SOURCE_LIMIT() -> Limit:
    return Limit("web_to_lead_source", getattr(settings, "WEB_TO_LEAD_PER_FORM_PER_HOUR", 500), 3600)


class WebToLeadView(APIView):
    """Public: a website's form (by `form_token`) or an integration (by `Authorization: Api-Key ...`) sends a
    lead. No user, no org header: the token or the key says which org it is for."""

    # Credentials are the form token or the API key, read below; a bearer token here means nothing.
    authentication_classes: list[type] = []

    @extend_schema(
        request=serializers.WebToLeadSerializer,
        responses={
            201: serializers.WebToLeadReceiptSerializer,
            400: OpenApiResponse(description="Field errors."),
            401: OpenApiResponse(description="No valid form token or API key."),
            429: OpenApiResponse(description="Too many submissions; see Retry-After."),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise ApiError("Send the fields as a JSON object or as form fields.", code="invalid")
        raw_key = api_key_header(request._request)
        if raw_key is not None:
            intake = self._api_key_intake(request, raw_key)
        else:
            # Form tokens sit in public pages, so guessing and spamming are throttled per address first.
            enforce(WEB_TO_LEAD_IP_LIMIT(), client_ip(request))
            token = request.data.get("form_token")
            if not isinstance(token, str) or not token.strip():
                raise services.SubmissionRejected(
                    "Send the form's `form_token`, or an `Authorization: Api-Key ...` header.",
                    code="credentials_required",
                )
            intake = services.web_form_authenticate(token.strip())
        enforce(WEB_TO_LEAD_SOURCE_LIMIT(), intake.throttle_key)
        if request.data.get("website_url"):
            # The honeypot was filled: a robot. It hears what a person would and nothing is stored.
            return Response({"id": str(uuid7())}, status=status.HTTP_201_CREATED)
        submission = serializers.WebToLeadSerializer(data=request.data)
        submission.is_valid(raise_exception=True)
        with org_context(intake.org):
            lead = services.lead_receive(intake=intake, data=submission.lead_data())
        return Response({"id": str(lead.pk)}, status=status.HTTP_201_CREATED)

    def _api_key_intake(self, request: Request, raw_key: str) -> services.Intake:
        """Integrations share addresses (one Zapier IP serves many customers): a valid key is throttled by
        the key alone, and only failed attempts count against the address."""
        try:
            return services.api_key_intake(raw_key)
        except OrgRejected:
            enforce(WEB_TO_LEAD_IP_LIMIT(), client_ip(request))
            raise


def INQUIRY_IP_LIMIT() -> Limit:
    return Limit("inquiry_ip", getattr(settings, "INQUIRY_PER_IP_PER_MINUTE", 5), 60)


def INQUIRY_LISTING_LIMIT() -> Limit:
    return Limit("inquiry_listing", getattr(settings, "INQUIRY_PER_LISTING_PER_HOUR", 60), 3600)


class ListingInquiryView(PublicOrgView):
    """Public: a visitor of the agency's website asks about a published listing."""

    @extend_schema(
        request=serializers.InquirySerializer,
        responses={
            201: serializers.InquiryReceiptSerializer,
            400: OpenApiResponse(description="Field errors: a name, and an email or a phone, are needed."),
            404: OpenApiResponse(description="No such org, or no such published listing."),
            429: OpenApiResponse(description="Too many inquiries from this address or about this listing."),
        },
        auth=[],
    )
    def post(self, request: Request, org_slug: str, slug: str) -> Response:
        # The address first: probing for listings is throttled like sending about them.
        enforce(INQUIRY_IP_LIMIT(), client_ip(request))
        listing = published_listing(self.public_org, slug)
        enforce(INQUIRY_LISTING_LIMIT(), str(listing.pk))
        body = validated(serializers.InquirySerializer, request.data)
        if not body.pop("website_url", ""):
            inquiry_receive(org=self.public_org, listing=listing, data=body)
        # A robot that filled the honeypot hears what a person would; nothing was stored.
        return Response({"received": True}, status=status.HTTP_201_CREATED)
