"""Payments (with refunds), credit notes, recurring schedules and the org's invoice settings over the API."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.validation import validated
from invoices import filters, payments, recurring, selectors
from invoices import serializers as s
from invoices.models import CreditNote, Payment, RecurringSchedule
from invoices.org_settings import invoice_settings_of, invoice_settings_update, webhook_secret_rotate
from invoices.views import ACTION_ERRORS, CONFLICT, INVALID, NOT_FOUND, PDF, pdf_response
from records.viewsets import JsonUnlessStreamed
from tenants.pipeline.context import OrgViewMixin


def _payment_answer(org: Any, payment: Payment, status_code: int = status.HTTP_200_OK) -> Response:
    allocations = selectors.allocations_of_payments(org=org, payment_ids=[payment.pk])
    payment = selectors.payment_of(org=org, payment_id=payment.pk)
    return Response(s.PaymentSerializer(payment, context={"allocations": allocations}).data, status=status_code)


class PaymentListView(OrgViewMixin, GenericAPIView):
    queryset = Payment.objects.none()  # for the schema generator; get_queryset scopes to the org
    serializer_class = s.PaymentSerializer
    filterset_class = filters.PaymentFilter
    search_fields = ["reference", "payer"]
    ordering_fields = ["received_on", "amount", "created_at"]

    def get_queryset(self) -> Any:
        return selectors.payments(org=self.org)

    @extend_schema(responses={200: s.PaymentSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """Payments and refunds, newest first, each with the invoices it paid (one query for the page)."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        rows = list(page or [])
        allocations = selectors.allocations_of_payments(org=self.org, payment_ids=[row.pk for row in rows])
        data = s.PaymentSerializer(rows, many=True, context={"allocations": allocations}).data
        return self.get_paginated_response(data)

    @extend_schema(request=s.PaymentCreateSerializer, responses={201: s.PaymentSerializer, **ACTION_ERRORS})
    def post(self, request: Request) -> Response:
        """Record money received, split across the customer's invoices; the balances and states move in the same
        transaction, and what no invoice takes becomes the customer's credit."""
        body = validated_in_context(s.PaymentCreateSerializer, request, self)
        payment = payments.payment_record(org=self.org, actor=self.actor, data=body)
        return _payment_answer(self.org, payment, status.HTTP_201_CREATED)


def validated_in_context(serializer_class: Any, request: Request, view: Any) -> dict[str, Any]:
    """Like common.validation.validated, with the request in the context (for org-scoped related ids)."""
    serializer = serializer_class(data=request.data, context={"request": request, "view": view})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class PaymentDetailView(OrgViewMixin, APIView):
    @extend_schema(responses={200: s.PaymentSerializer, 404: NOT_FOUND})
    def get(self, request: Request, payment_id: Any) -> Response:
        return _payment_answer(self.org, selectors.payment_of(org=self.org, payment_id=payment_id))


class PaymentRefundView(OrgViewMixin, APIView):
    @extend_schema(request=s.PaymentRefundSerializer, responses={201: s.PaymentSerializer, **ACTION_ERRORS})
    def post(self, request: Request, payment_id: Any) -> Response:
        """Give back (part of) a payment: from the customer's credit first, then from the invoices it paid
        (newest first), which owe again. Answers the refund."""
        payment = selectors.payment_of(org=self.org, payment_id=payment_id)
        body = validated(s.PaymentRefundSerializer, request.data)
        refund = payments.payment_refund(org=self.org, actor=self.actor, payment_id=payment.pk, data=body)
        return _payment_answer(self.org, refund, status.HTTP_201_CREATED)


# --- Credit notes -------------------------------------------------------------------------------------------


class CreditNoteListView(OrgViewMixin, GenericAPIView):
    queryset = CreditNote.objects.none()
    serializer_class = s.CreditNoteListSerializer
    filterset_class = filters.CreditNoteFilter
    search_fields = ["number", "billing_name"]
    ordering_fields = ["issue_date", "number", "total", "created_at"]

    def get_queryset(self) -> Any:
        return selectors.credit_notes(org=self.org)

    @extend_schema(responses={200: s.CreditNoteListSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """Every credit note of the org, newest first (each is made on its invoice's `credit-notes` route)."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(s.CreditNoteListSerializer(page, many=True).data)


class CreditNoteDetailView(OrgViewMixin, APIView):
    @extend_schema(responses={200: s.CreditNoteSerializer, 404: NOT_FOUND})
    def get(self, request: Request, credit_note_id: Any) -> Response:
        note = selectors.credit_note_of(org=self.org, credit_note_id=credit_note_id)
        note = selectors.credit_notes(org=self.org).prefetch_related("lines").get(pk=note.pk)
        return Response(s.CreditNoteSerializer(note).data)


class CreditNotePdfView(OrgViewMixin, APIView):
    content_negotiation_class = JsonUnlessStreamed

    @extend_schema(responses={(200, "application/pdf"): PDF, 404: NOT_FOUND})
    def get(self, request: Request, credit_note_id: Any) -> Any:
        return pdf_response(selectors.credit_note_of(org=self.org, credit_note_id=credit_note_id))


# --- Recurring schedules ------------------------------------------------------------------------------------


class ScheduleListView(OrgViewMixin, GenericAPIView):
    queryset = RecurringSchedule.objects.none()
    serializer_class = s.InvoiceScheduleSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        return selectors.schedules(org=self.org)

    @extend_schema(responses={200: s.InvoiceScheduleSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """Recurring invoices (retainers), by name."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.InvoiceScheduleSerializer(page, many=True).data)

    @extend_schema(
        request=s.InvoiceScheduleSerializer, responses={201: s.InvoiceScheduleSerializer, **ACTION_ERRORS}
    )
    def post(self, request: Request) -> Response:
        """A recurring invoice: every month, quarter or year from `start_date`, until `end_date` or `max_count`;
        beat makes each period's invoice once, finalizes it if `auto_finalize` and emails it if `auto_send`."""
        body = s.InvoiceScheduleSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        if "start_date" not in body.validated_data:
            from common.errors import field_error

            raise field_error("start_date", "required", "This field is required.")
        schedule = recurring.schedule_create(org=self.org, actor=self.actor, data=dict(body.validated_data))
        schedule = selectors.schedule_of(org=self.org, schedule_id=schedule.pk)
        return Response(s.InvoiceScheduleSerializer(schedule).data, status=status.HTTP_201_CREATED)


class ScheduleDetailView(OrgViewMixin, APIView):
    @extend_schema(responses={200: s.InvoiceScheduleSerializer, 404: NOT_FOUND})
    def get(self, request: Request, schedule_id: Any) -> Response:
        return Response(
            s.InvoiceScheduleSerializer(selectors.schedule_of(org=self.org, schedule_id=schedule_id)).data
        )

    @extend_schema(
        request=s.InvoiceScheduleSerializer, responses={200: s.InvoiceScheduleSerializer, **ACTION_ERRORS}
    )
    def patch(self, request: Request, schedule_id: Any) -> Response:
        """Change what the next invoices will be (issued ones stay as they are)."""
        selectors.schedule_of(org=self.org, schedule_id=schedule_id)
        body = s.InvoiceScheduleSerializer(
            data=request.data, partial=True, context={"request": request, "view": self}
        )
        body.is_valid(raise_exception=True)
        recurring.schedule_update(
            org=self.org, actor=self.actor, schedule_id=schedule_id, data=dict(body.validated_data)
        )
        return Response(
            s.InvoiceScheduleSerializer(selectors.schedule_of(org=self.org, schedule_id=schedule_id)).data
        )

    @extend_schema(responses={204: None, 404: NOT_FOUND})
    def delete(self, request: Request, schedule_id: Any) -> Response:
        """Stop the schedule (kept, with its invoices)."""
        selectors.schedule_of(org=self.org, schedule_id=schedule_id)
        recurring.schedule_stop(org=self.org, actor=self.actor, schedule_id=schedule_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Settings -----------------------------------------------------------------------------------------------


class InvoiceSettingsView(OrgViewMixin, APIView):
    @extend_schema(responses={200: s.InvoiceSettingsSerializer})
    def get(self, request: Request) -> Response:
        """Numbering, payment terms, quote validity, the reminder schedule and what every document prints."""
        return Response(s.InvoiceSettingsSerializer(invoice_settings_of(self.org)).data)

    @extend_schema(request=s.InvoiceSettingsSerializer, responses={200: s.InvoiceSettingsSerializer, 400: INVALID})
    def patch(self, request: Request) -> Response:
        body = s.InvoiceSettingsSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if "tax_ids" in data:
            data["tax_ids"] = [dict(item) for item in data["tax_ids"]]
        row = invoice_settings_update(org=self.org, actor=self.actor, data=data)
        return Response(s.InvoiceSettingsSerializer(row).data)


class WebhookSecretView(OrgViewMixin, APIView):
    @extend_schema(request=None, responses={200: s.PaymentWebhookSecretSerializer, 409: CONFLICT})
    def post(self, request: Request) -> Response:
        """A new secret for the payment provider's signed callbacks, shown once; the old one stops working."""
        secret = webhook_secret_rotate(org=self.org, actor=self.actor)
        url = request.build_absolute_uri(reverse("api:invoice-payment-webhook", kwargs={"org_id": self.org.pk}))
        return Response(s.PaymentWebhookSecretSerializer({"webhook_secret": secret, "webhook_url": url}).data)
