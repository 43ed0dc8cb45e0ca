"""Invoices and quotes over the API: the shared record viewset plus their lifecycle actions, PDFs and the
receivables reports. Thin: rules live in invoices.services / quotes / payments, reads in selectors and reports."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from common.errors import Conflict, field_error
from common.validation import validated
from invoices import delivery, filters, quotes, reports, selectors, services
from invoices import serializers as s
from invoices.customers import org_today
from invoices.models import Invoice, Quote
from records import services as records
from records.viewsets import BulkRequestSerializer, BulkResponseSerializer, JsonUnlessStreamed, RecordViewSet
from records.visibility import visible_records

INVALID = OpenApiResponse(description="Field errors in the envelope.")
FORBIDDEN = OpenApiResponse(description="The role may not, or the record is not the caller's to change.")
NOT_FOUND = OpenApiResponse(description="No such record in this org (or not visible to the caller).")
CONFLICT = OpenApiResponse(description="`invalid_transition` and the other state rules, in the envelope.")
PDF = OpenApiResponse(OpenApiTypes.BINARY, description="The PDF, drawn by a worker when issued (now if not yet).")
CSV_PARAM = OpenApiParameter("export", str, enum=["csv"], description="csv: the same report as a CSV download.")
ACTION_ERRORS = {400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT}


def pdf_response(document: Any) -> HttpResponse:
    response = HttpResponse(delivery.pdf_bytes(document), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{delivery.pdf_file_name(document)}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def csv_response(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{datetime.date.today().isoformat()}.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _date_param(request: Request, name: str, default: datetime.date) -> datetime.date:
    raw = request.query_params.get(name)
    if raw is None:  # present but blank is a 400, not the default
        return default
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise field_error(name, "invalid", "Enter a date as YYYY-MM-DD.") from None


def _wants_csv(request: Request) -> bool:
    wanted = request.query_params.get("export")
    if wanted is None:
        return False
    if wanted != "csv":
        raise field_error("export", "invalid_choice", "The only export is csv.")
    return wanted == "csv"


class _IssuedDocumentViewSet(RecordViewSet[Any]):
    """What invoices and quotes share: list rows without lines, the org's today for derived fields, only
    drafts deleted (archived), and a PDF once issued."""

    list_serializer_class: Any
    draft_status = "draft"

    def get_serializer_class(self) -> Any:
        if self.action in ("list", "export"):
            return self.list_serializer_class
        return self.serializer_class

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        if not getattr(self, "swagger_fake_view", False):
            context["today"] = org_today(self.org)
        return context

    def narrow_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # A detail's lines are one query when serialized; lists show no lines.
        return queryset.select_related("company", "contact")

    def archive_check(self, record: Any) -> None:
        raise NotImplementedError

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Delete a draft (archived: restorable, and purged for good by an admin). An issued document is a 409."""
        record = self.get_object()
        records.record_write_check(self.actor, record)
        self.archive_check(record)
        return super().destroy(request, *args, **kwargs)

    @extend_schema(
        request=BulkRequestSerializer,
        responses={200: BulkResponseSerializer},
        description="Per id: updated, archived, not_found, forbidden, or invalid with the rule's `code` (an "
        "issued document is never archived: `invalid` with its code). At most 500 ids.",
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request) -> Response:  # type: ignore[override]  # the same action, drafts-only archive
        payload = BulkRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if payload.validated_data["action"] != "archive":
            changes = self.validated_bulk_changes(payload.validated_data["changes"])
            result = records.records_bulk(
                model=self.model,
                org=self.org,
                actor=self.actor,
                ids=payload.validated_data["ids"],
                action="update",
                changes=changes,
                change=self.change_record,
            )
            return Response({"results": result.results})
        ids = list(dict.fromkeys(payload.validated_data["ids"]))
        issued = set(
            visible_records(self.model.objects.for_org(self.org), self.actor)
            .filter(pk__in=ids)
            .exclude(status=self.draft_status)
            .values_list("pk", flat=True)
        )
        result = records.records_bulk(
            model=self.model,
            org=self.org,
            actor=self.actor,
            ids=[pk for pk in ids if pk not in issued],
            action="archive",
            changes={},
        )
        rows = {row["id"]: row for row in result.results}
        refused = {
            "status": "invalid",
            "code": "document_issued",
            "detail": "An issued document is never archived.",
        }
        return Response({"results": [rows.get(str(pk)) or {"id": str(pk), **refused} for pk in ids]})

    def _document_or_409(self) -> Any:
        record = self.get_object()
        if record.status == self.draft_status:
            raise Conflict("A draft has no PDF yet: issue it first.", code="not_issued")
        return record

    def _answer(self, record: Any, *, status_code: int = status.HTTP_200_OK) -> Response:
        body = self.get_serializer(self._reloaded(record)).data
        return Response(body, status=status_code, headers={"ETag": records.record_etag(record)})


class InvoiceViewSet(_IssuedDocumentViewSet):
    model = Invoice
    serializer_class = s.InvoiceSerializer
    list_serializer_class = s.InvoiceListSerializer
    filterset_class = filters.InvoiceFilter
    search_fields = ["number", "~billing_name"]
    ordering_fields = [
        "number",
        "status",
        "issue_date",
        "due_date",
        "total",
        "balance_due",
        "created_at",
        "updated_at",
    ]

    def create_record(self, data: dict[str, Any]) -> Invoice:
        return services.invoice_create(org=self.org, actor=self.actor, data=data)

    def change_record(self, *, org: Any, actor: Any, record: Invoice, data: dict[str, Any]) -> None:
        services.invoice_change(org=org, actor=actor, record=record, data=data)

    def archive_check(self, record: Any) -> None:
        services.invoice_archive_check(record)

    @extend_schema(
        request=s.InvoiceFinalizeSerializer, responses={200: s.InvoiceSerializer, 412: None, **ACTION_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def finalize(self, request: Request, pk: Any = None) -> Response:
        """Draft -> open: numbered (gapless per org), dated, addressed and immutable; the PDF is drawn by a
        worker after commit and emailed if `send`. Honours If-Match."""
        current = self.get_object()
        body = validated(s.InvoiceFinalizeSerializer, request.data)
        invoice = services.invoice_finalize(
            org=self.org,
            actor=self.actor,
            invoice_id=current.pk,
            send=body["send"],
            if_match=request.headers.get("If-Match"),
        )
        return self._answer(invoice)

    @extend_schema(request=s.InvoiceVoidSerializer, responses={200: s.InvoiceSerializer, **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def void(self, request: Request, pk: Any = None) -> Response:
        """Open (or written off) with nothing paid -> void; its public link then answers 410."""
        current = self.get_object()
        body = validated(s.InvoiceVoidSerializer, request.data)
        invoice = services.invoice_void(
            org=self.org, actor=self.actor, invoice_id=current.pk, reason=body["reason"]
        )
        return self._answer(invoice)

    @extend_schema(request=None, responses={200: s.InvoiceSerializer, **ACTION_ERRORS})
    @action(detail=True, methods=["post"], url_path="mark-uncollectible")
    def mark_uncollectible(self, request: Request, pk: Any = None) -> Response:
        """Open or partially paid -> uncollectible (written off); a later payment still counts."""
        current = self.get_object()
        invoice = services.invoice_mark_uncollectible(org=self.org, actor=self.actor, invoice_id=current.pk)
        return self._answer(invoice)

    @extend_schema(request=None, responses={202: s.InvoiceSerializer, **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: Any = None) -> Response:
        """Email the issued invoice, its PDF attached, to its billing emails (after commit, by a worker)."""
        current = self.get_object()
        invoice = services.invoice_send(org=self.org, actor=self.actor, invoice_id=current.pk)
        return self._answer(invoice, status_code=status.HTTP_202_ACCEPTED)

    @extend_schema(request=s.ApplyCreditSerializer, responses={200: s.InvoiceSerializer, **ACTION_ERRORS})
    @action(detail=True, methods=["post"], url_path="apply-credit")
    def apply_credit(self, request: Request, pk: Any = None) -> Response:
        """Pay (part of) the invoice with the customer's credit in its currency."""
        current = self.get_object()
        body = validated(s.ApplyCreditSerializer, request.data)
        invoice = services.invoice_apply_credit(
            org=self.org, actor=self.actor, invoice_id=current.pk, amount=body.get("amount")
        )
        return self._answer(invoice)

    @extend_schema(
        methods=["GET"], request=None, responses={200: s.CreditNoteListSerializer(many=True), 404: NOT_FOUND}
    )
    @extend_schema(
        methods=["POST"],
        request=s.CreditNoteCreateSerializer,
        responses={201: s.CreditNoteSerializer, **ACTION_ERRORS},
    )
    @action(
        detail=True, methods=["get", "post"], url_path="credit-notes", filter_backends=[], pagination_class=None
    )
    def credit_notes(self, request: Request, pk: Any = None) -> Response:
        """GET: the invoice's credit notes. POST: a credit note (numbered from its own series) correcting it;
        without lines it credits the whole invoice."""
        current = self.get_object()
        if request.method == "GET":
            notes = selectors.credit_notes(org=self.org).filter(invoice=current)
            return Response(s.CreditNoteListSerializer(notes, many=True).data)
        body = validated(s.CreditNoteCreateSerializer, request.data)
        note = services.credit_note_create(org=self.org, actor=self.actor, invoice_id=current.pk, data=body)
        note = selectors.credit_notes(org=self.org).prefetch_related("lines").get(pk=note.pk)
        return Response(s.CreditNoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.PaymentAllocationSerializer(many=True), 404: NOT_FOUND})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def payments(self, request: Request, pk: Any = None) -> Response:
        """What paid the invoice: each payment's share (refunds negative), oldest first."""
        allocations = selectors.allocations_of_invoice(org=self.org, invoice=self.get_object())
        return Response(s.PaymentAllocationSerializer(allocations, many=True).data)

    @extend_schema(responses={(200, "application/pdf"): PDF, 404: NOT_FOUND, 409: CONFLICT})
    @action(detail=True, methods=["get"], content_negotiation_class=JsonUnlessStreamed)
    def pdf(self, request: Request, pk: Any = None) -> HttpResponse:
        return pdf_response(self._document_or_409())

    @extend_schema(methods=["POST"], request=None, responses={200: s.InvoiceSerializer, **ACTION_ERRORS})
    @extend_schema(methods=["DELETE"], request=None, responses={200: s.InvoiceSerializer, **ACTION_ERRORS})
    @action(detail=True, methods=["post", "delete"], url_path="public-link")
    def public_link(self, request: Request, pk: Any = None) -> Response:
        """POST: a new public link (every earlier one answers 410). DELETE: revoke the link (410 from then on)."""
        current = self.get_object()
        if request.method == "POST":
            invoice = services.invoice_public_link_renew(org=self.org, actor=self.actor, invoice_id=current.pk)
        else:
            invoice = services.invoice_public_link_revoke(org=self.org, actor=self.actor, invoice_id=current.pk)
        return self._answer(invoice)

    # --- Reports -------------------------------------------------------------------------------------------

    @extend_schema(
        parameters=[
            OpenApiParameter("as_of", OpenApiTypes.DATE, description="Default: today (the org's)."),
            CSV_PARAM,
        ],
        responses={
            200: s.ReceivablesAgingSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR),
            400: INVALID,
        },
    )
    @action(
        detail=False,
        methods=["get"],
        filter_backends=[],
        pagination_class=None,
        content_negotiation_class=JsonUnlessStreamed,
    )
    def aging(self, request: Request) -> Any:
        """Accounts-receivable aging: open balances by days past due (current, 1-30, 31-60, 61-90, 90+), per
        customer and in total, per currency; computed in SQL."""
        as_of = _date_param(request, "as_of", org_today(self.org))
        wants_csv = _wants_csv(request)
        report = reports.aging(org=self.org, as_of=as_of)
        if wants_csv:
            return csv_response(reports.aging_csv(report), "receivables-aging")
        return Response(reports.jsonable(report))

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, description="Default: 11 months before `end`."),
            OpenApiParameter("end", OpenApiTypes.DATE, description="Default: today (the org's)."),
            CSV_PARAM,
        ],
        responses={
            200: s.InvoiceRevenueSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR),
            400: INVALID,
        },
    )
    @action(
        detail=False,
        methods=["get"],
        filter_backends=[],
        pagination_class=None,
        content_negotiation_class=JsonUnlessStreamed,
    )
    def revenue(self, request: Request) -> Any:
        """Per month and currency: invoiced (by issue date), credited (credit notes) and collected (payments
        less refunds, by date received)."""
        end = _date_param(request, "end", org_today(self.org))
        default_start = (end.replace(day=1) - datetime.timedelta(days=320)).replace(day=1)
        start = _date_param(request, "start", default_start)
        if start > end:
            raise field_error("start", "after_end", "The start is after the end.")
        wants_csv = _wants_csv(request)
        report = reports.revenue(org=self.org, start=start, end=end)
        if wants_csv:
            return csv_response(reports.revenue_csv(report), "revenue")
        return Response(reports.jsonable(report))

    @extend_schema(
        parameters=[CSV_PARAM],
        responses={
            200: s.ReceivablesOutstandingSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR),
            400: INVALID,
        },
    )
    @action(
        detail=False,
        methods=["get"],
        filter_backends=[],
        pagination_class=None,
        content_negotiation_class=JsonUnlessStreamed,
    )
    def outstanding(self, request: Request) -> Any:
        """Per customer and currency: what their open invoices still ask for, and their unused credit."""
        wants_csv = _wants_csv(request)
        report = reports.outstanding(org=self.org)
        if wants_csv:
            return csv_response(reports.outstanding_csv(report), "outstanding")
        return Response(reports.jsonable(report))


class QuoteViewSet(_IssuedDocumentViewSet):
    model = Quote
    serializer_class = s.QuoteSerializer
    list_serializer_class = s.QuoteListSerializer
    filterset_class = filters.QuoteFilter
    search_fields = ["number", "~billing_name"]
    ordering_fields = ["number", "status", "issue_date", "valid_until", "total", "created_at", "updated_at"]

    def create_record(self, data: dict[str, Any]) -> Quote:
        return quotes.quote_create(org=self.org, actor=self.actor, data=data)

    def change_record(self, *, org: Any, actor: Any, record: Quote, data: dict[str, Any]) -> None:
        quotes.quote_change(org=org, actor=actor, record=record, data=data)

    def archive_check(self, record: Any) -> None:
        quotes.quote_archive_check(record)

    @extend_schema(request=None, responses={200: s.QuoteSerializer, 412: None, **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: Any = None) -> Response:
        """Draft -> sent: numbered from the quote series, drawn and emailed after commit; a sent quote is
        emailed again. Honours If-Match."""
        current = self.get_object()
        quote = quotes.quote_send(
            org=self.org, actor=self.actor, quote_id=current.pk, if_match=request.headers.get("If-Match")
        )
        return self._answer(quote)

    @extend_schema(request=None, responses={200: s.QuoteSerializer, **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: Any = None) -> Response:
        """Sent -> accepted (a 409 `quote_expired` past its date)."""
        quote = quotes.quote_accept(org=self.org, actor=self.actor, quote_id=self.get_object().pk)
        return self._answer(quote)

    @extend_schema(request=None, responses={200: s.QuoteSerializer, **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: Any = None) -> Response:
        quote = quotes.quote_decline(org=self.org, actor=self.actor, quote_id=self.get_object().pk)
        return self._answer(quote)

    @extend_schema(
        request=None,
        responses={201: s.QuoteConvertResultSerializer, 200: s.QuoteConvertResultSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def convert(self, request: Request, pk: Any = None) -> Response:
        """An accepted quote becomes a draft invoice exactly once: 201 the first time, 200 with the same invoice
        every later time."""
        invoice, created = quotes.quote_convert(org=self.org, actor=self.actor, quote_id=self.get_object().pk)
        invoice = Invoice.objects.for_org(self.org).select_related("company", "contact").get(pk=invoice.pk)
        body = {
            "invoice": s.InvoiceSerializer(invoice, context=self.get_serializer_context()).data,
            "created": created,
        }
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(responses={(200, "application/pdf"): PDF, 404: NOT_FOUND, 409: CONFLICT})
    @action(detail=True, methods=["get"], content_negotiation_class=JsonUnlessStreamed)
    def pdf(self, request: Request, pk: Any = None) -> HttpResponse:
        return pdf_response(self._document_or_409())
