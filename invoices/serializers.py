"""Request and response shapes of invoices, quotes, credit notes, lines, payments, schedules and settings.

Clients never send totals: every amount a document stores is computed by the services from its lines. Every
related id (customer, deal, listing, invoice of an allocation) is resolved among the records the caller can
see in the request's org: another org's id is the same `does_not_exist` as a random one.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contacts.models import Company, Contact
from deals.models import Deal
from invoices.models import (
    OVERDUE_STATUSES,
    CreditNote,
    DiscountType,
    Frequency,
    Invoice,
    InvoiceSettings,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    Quote,
    RecurringSchedule,
)
from invoices.public_links import public_url
from properties.fields import PropertyRelatedField
from records.fields import OrgScopedRelatedField
from records.serializers import RECORD_FIELDS, RECORD_READ_ONLY, RecordSerializer

MAX_AMOUNT = Decimal("999999999999.99")
MAX_TAXES_PER_LINE = 5
MAX_LINES = 500  # settings.INVOICE_MAX_LINES may lower it (checked by the services)
BILLING_FIELDS = [
    "billing_name",
    "billing_street",
    "billing_city",
    "billing_region",
    "billing_postal_code",
    "billing_country",
]
TOTAL_FIELDS = ["subtotal", "discount_total", "tax_total", "total", "tax_summary"]


def money_field(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


def amount_field(**kwargs: Any) -> serializers.DecimalField:
    """Money a client sends: more than zero, cents at most."""
    return money_field(min_value=Decimal("0.01"), max_value=MAX_AMOUNT, **kwargs)


class DocumentLineTaxSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=40)
    rate = serializers.DecimalField(
        max_digits=6,
        decimal_places=3,
        min_value=Decimal(0),
        max_value=Decimal(100),
        help_text="Percent, e.g. 20 or 8.875.",
    )
    amount = money_field(read_only=True, help_text="This tax on this line, rounded on its own.")


class DocumentTaxSummarySerializer(serializers.Serializer):
    name = serializers.CharField()
    rate = serializers.DecimalField(max_digits=6, decimal_places=3)
    amount = money_field()


class DocumentLineSerializer(serializers.Serializer):
    """A line as the client sends it; the amounts come back computed."""

    description = serializers.CharField(max_length=500)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=Decimal("0.001"))
    unit_price = serializers.DecimalField(
        max_digits=14, decimal_places=4, min_value=Decimal(0), max_value=Decimal("9999999999.9999")
    )
    discount_type = serializers.ChoiceField(choices=DiscountType.choices, default=DiscountType.NONE)
    discount_value = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=MAX_AMOUNT,
        default=Decimal(0),
        help_text="Percent (0-100) or an amount, by `discount_type`.",
    )
    taxes = DocumentLineTaxSerializer(
        many=True, required=False, default=list, help_text=f"At most {MAX_TAXES_PER_LINE}."
    )
    subtotal = money_field(read_only=True, help_text="quantity x unit price, rounded to the cent.")
    discount_amount = money_field(read_only=True)
    net = money_field(read_only=True)
    tax_amount = money_field(read_only=True)
    total = money_field(read_only=True)

    def validate_taxes(self, taxes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(taxes) > MAX_TAXES_PER_LINE:
            raise serializers.ValidationError(f"At most {MAX_TAXES_PER_LINE} taxes per line.", code="max_length")
        return taxes

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("discount_type") == DiscountType.PERCENT and attrs.get("discount_value", 0) > 100:
            raise serializers.ValidationError(
                {"discount_value": ["A percent discount is at most 100."]}, code="max_value"
            )
        if attrs.get("discount_type", DiscountType.NONE) == DiscountType.NONE:
            attrs["discount_value"] = Decimal(0)
        # Production amounts would overflow the 14-digit columns: refused here, not by the database.
        if attrs["quantity"] * attrs["unit_price"] > MAX_AMOUNT:
            raise serializers.ValidationError({"unit_price": ["The line is too large."]}, code="max_value")
        return attrs


def lines_field(**kwargs: Any) -> DocumentLineSerializer:
    return DocumentLineSerializer(many=True, required=False, **kwargs)


def lines_checked(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(lines) > MAX_LINES:
        raise serializers.ValidationError(f"At most {MAX_LINES} lines.", code="max_length")
    return lines


class BillingCustomerSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["company", "contact"])
    id = serializers.UUIDField()
    name = serializers.CharField()


def customer_summary(record: Any) -> dict[str, Any] | None:
    if record.company_id is not None:
        return {"type": "company", "id": str(record.company_id), "name": str(record.company)}
    if record.contact_id is not None:
        return {"type": "contact", "id": str(record.contact_id), "name": str(record.contact)}
    return None


def _today(serializer: serializers.Serializer) -> datetime.date:
    today = serializer.context.get("today")
    return today if isinstance(today, datetime.date) else datetime.date.today()


class DocumentSerializer(RecordSerializer):
    """What invoices and quotes share: the customer (a company or a contact), the deal and listing it came from,
    the currency, notes, billing emails, lines in, computed totals out."""

    company = OrgScopedRelatedField(Company, required=False, allow_null=True, help_text="The customer, or:")
    contact = OrgScopedRelatedField(Contact, required=False, allow_null=True, help_text="The customer.")
    customer = serializers.SerializerMethodField()
    deal = OrgScopedRelatedField(
        Deal,
        required=False,
        allow_null=True,
        help_text="A won deal: its customer, amount, currency and listing by default.",
    )
    listing = PropertyRelatedField(required=False, allow_null=True)
    currency = serializers.CharField(
        min_length=3, max_length=3, required=False, help_text="ISO 4217; the org's (or the deal's) by default."
    )
    billing_emails = serializers.ListField(
        child=serializers.EmailField(),
        max_length=10,
        required=False,
        help_text="Who gets it; default: the customer's billing contacts.",
    )
    lines = lines_field(help_text="Replaces every line when sent.")
    tax_summary = DocumentTaxSummarySerializer(many=True, read_only=True)
    pdf_url = serializers.SerializerMethodField(help_text="The PDF once issued.")

    @extend_schema_field(BillingCustomerSerializer(allow_null=True))
    def get_customer(self, record: Any) -> dict[str, Any] | None:
        return customer_summary(record)

    def validate_lines(self, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return lines_checked(lines)

    def get_pdf_url(self, record: Any) -> str | None:
        if record.status == "draft":
            return None
        prefix = "invoices" if isinstance(record, Invoice) else "quotes"
        return f"/api/{prefix}/{record.pk}/pdf/"


class InvoiceSerializer(DocumentSerializer):
    is_overdue = serializers.SerializerMethodField(help_text="Open or partially paid after the due date.")
    days_overdue = serializers.SerializerMethodField()
    public_url = serializers.SerializerMethodField(help_text="The customer's link (issued, not revoked).")
    issue_date = serializers.DateField(
        required=False, allow_null=True, help_text="Default: the day it is finalized."
    )
    due_date = serializers.DateField(
        required=False, allow_null=True, help_text="Default: the issue date plus the payment terms."
    )
    payment_terms_days = serializers.IntegerField(
        min_value=0, max_value=3650, required=False, allow_null=True, help_text="Default: the org's."
    )

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "status",
            "is_overdue",
            "days_overdue",
            "company",
            "contact",
            "customer",
            "deal",
            "listing",
            "currency",
            "issue_date",
            "due_date",
            "payment_terms_days",
            "notes",
            "billing_emails",
            *BILLING_FIELDS,
            "lines",
            *TOTAL_FIELDS,
            "amount_paid",
            "amount_credited",
            "balance_due",
            "finalized_at",
            "paid_at",
            "voided_at",
            "void_reason",
            "marked_uncollectible_at",
            "sent_at",
            "public_url",
            "public_link_revoked_at",
            "pdf_url",
            "schedule",
            *RECORD_FIELDS,
        ]
        read_only_fields = [
            "id",
            "number",
            "status",
            *BILLING_FIELDS,
            "subtotal",
            "discount_total",
            "tax_total",
            "total",
            "amount_paid",
            "amount_credited",
            "balance_due",
            "finalized_at",
            "paid_at",
            "voided_at",
            "void_reason",
            "marked_uncollectible_at",
            "sent_at",
            "public_link_revoked_at",
            "schedule",
            *RECORD_READ_ONLY,
        ]

    def get_is_overdue(self, invoice: Invoice) -> bool:
        return (
            invoice.status in OVERDUE_STATUSES and invoice.due_date is not None and invoice.due_date < _today(self)
        )

    def get_days_overdue(self, invoice: Invoice) -> int:
        return (_today(self) - invoice.due_date).days if self.get_is_overdue(invoice) else 0  # type: ignore[operator]

    def get_public_url(self, invoice: Invoice) -> str | None:
        return None if invoice.public_link_revoked_at is not None else public_url(invoice)


class InvoiceListSerializer(InvoiceSerializer):
    """A list row: the invoice without its lines (they are in the detail)."""

    class Meta(InvoiceSerializer.Meta):
        fields = [name for name in InvoiceSerializer.Meta.fields if name != "lines"]


class QuoteSerializer(DocumentSerializer):
    issue_date = serializers.DateField(required=False, allow_null=True, help_text="Default: the day it is sent.")
    valid_until = serializers.DateField(
        required=False, allow_null=True, help_text="Default: the issue date plus the org's quote validity."
    )

    class Meta:
        model = Quote
        fields = [
            "id",
            "number",
            "status",
            "company",
            "contact",
            "customer",
            "deal",
            "listing",
            "currency",
            "issue_date",
            "valid_until",
            "notes",
            "billing_emails",
            *BILLING_FIELDS,
            "lines",
            *TOTAL_FIELDS,
            "sent_at",
            "accepted_at",
            "declined_at",
            "expired_at",
            "converted_invoice",
            "converted_at",
            "pdf_url",
            *RECORD_FIELDS,
        ]
        read_only_fields = [
            "id",
            "number",
            "status",
            *BILLING_FIELDS,
            "subtotal",
            "discount_total",
            "tax_total",
            "total",
            "sent_at",
            "accepted_at",
            "declined_at",
            "expired_at",
            "converted_invoice",
            "converted_at",
            *RECORD_READ_ONLY,
        ]


class QuoteListSerializer(QuoteSerializer):
    class Meta(QuoteSerializer.Meta):
        fields = [name for name in QuoteSerializer.Meta.fields if name != "lines"]


# --- Actions ------------------------------------------------------------------------------------------------


class InvoiceFinalizeSerializer(serializers.Serializer):
    send = serializers.BooleanField(default=False, help_text="Email it to the billing emails once drawn.")


class InvoiceVoidSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ApplyCreditSerializer(serializers.Serializer):
    amount = amount_field(required=False, allow_null=True, help_text="Default: as much as both allow.")


class CreditNoteCreateSerializer(serializers.Serializer):
    lines = lines_field(help_text="What is credited; default: every line of the invoice (a full credit).")
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    send = serializers.BooleanField(default=False, help_text="Email it to the invoice's billing emails.")

    def validate_lines(self, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return lines_checked(lines)


class DocumentStoredLineSerializer(DocumentLineSerializer):
    id = serializers.UUIDField(read_only=True)


class CreditNoteSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    customer = serializers.SerializerMethodField()
    lines = DocumentStoredLineSerializer(many=True, read_only=True)
    tax_summary = DocumentTaxSummarySerializer(many=True, read_only=True)
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = CreditNote
        fields = [
            "id",
            "number",
            "invoice",
            "invoice_number",
            "customer",
            "currency",
            "issue_date",
            "reason",
            *BILLING_FIELDS,
            "lines",
            *TOTAL_FIELDS,
            "pdf_url",
            "created_at",
            "created_by",
        ]
        read_only_fields = fields

    @extend_schema_field(BillingCustomerSerializer(allow_null=True))
    def get_customer(self, note: CreditNote) -> dict[str, Any] | None:
        return customer_summary(note)

    def get_pdf_url(self, note: CreditNote) -> str:
        return f"/api/credit-notes/{note.pk}/pdf/"


class CreditNoteListSerializer(CreditNoteSerializer):
    class Meta(CreditNoteSerializer.Meta):
        fields = [name for name in CreditNoteSerializer.Meta.fields if name != "lines"]
        read_only_fields = fields


class QuoteConvertResultSerializer(serializers.Serializer):
    invoice = InvoiceSerializer()
    created = serializers.BooleanField(help_text="False: the quote was converted before; this is that invoice.")


# --- Payments -----------------------------------------------------------------------------------------------


class PaymentAllocationInSerializer(serializers.Serializer):
    invoice = OrgScopedRelatedField(Invoice)
    amount = amount_field()


class PaymentCreateSerializer(serializers.Serializer):
    company = OrgScopedRelatedField(
        Company, required=False, allow_null=True, help_text="Who paid; default: the customer of the invoices paid."
    )
    contact = OrgScopedRelatedField(Contact, required=False, allow_null=True)
    currency = serializers.CharField(
        min_length=3, max_length=3, required=False, help_text="Default: the invoices' (or the org's)."
    )
    amount = amount_field()
    received_on = serializers.DateField()
    method = serializers.ChoiceField(choices=PaymentMethod.choices, default=PaymentMethod.BANK_TRANSFER)
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    payer = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    allocations = PaymentAllocationInSerializer(
        many=True,
        required=False,
        help_text="Which of the customer's invoices it pays, and how much each; default: its open invoices in "
        "this currency, oldest due first. What is left becomes the customer's credit. At most 100.",
    )

    def validate_allocations(self, allocations: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(allocations) > 100:
            raise serializers.ValidationError("At most 100 allocations.", code="max_length")
        return allocations


class PaymentAllocationSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)

    class Meta:
        model = PaymentAllocation
        fields = ["id", "payment", "invoice", "invoice_number", "amount", "created_at"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="payment, or refund (of `refund_of`).")
    customer = serializers.SerializerMethodField()
    allocations = serializers.SerializerMethodField()
    credit = serializers.SerializerMethodField(help_text="What no invoice took: the customer's credit.")

    class Meta:
        model = Payment
        fields = [
            "id",
            "kind",
            "refund_of",
            "customer",
            "currency",
            "amount",
            "received_on",
            "method",
            "reference",
            "payer",
            "notes",
            "allocations",
            "credit",
            "created_at",
            "created_by",
        ]
        read_only_fields = fields

    @extend_schema_field(BillingCustomerSerializer(allow_null=True))
    def get_customer(self, payment: Payment) -> dict[str, Any] | None:
        return customer_summary(payment)

    def _allocations(self, payment: Payment) -> list[PaymentAllocation]:
        found: dict[Any, list[PaymentAllocation]] = self.context.get("allocations") or {}
        return found.get(payment.pk, [])

    @extend_schema_field(PaymentAllocationSerializer(many=True))
    def get_allocations(self, payment: Payment) -> list[dict[str, Any]]:
        return PaymentAllocationSerializer(self._allocations(payment), many=True).data  # type: ignore[return-value]

    @extend_schema_field(money_field())
    def get_credit(self, payment: Payment) -> str:
        applied = sum((row.amount for row in self._allocations(payment)), Decimal(0))
        return str((payment.amount - abs(applied)).quantize(Decimal("0.01")))


class PaymentRefundSerializer(serializers.Serializer):
    amount = amount_field()
    received_on = serializers.DateField(
        required=False, help_text="When it was paid back; default: the payment's date."
    )
    method = serializers.ChoiceField(choices=PaymentMethod.choices, required=False)
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


# --- Recurring schedules ------------------------------------------------------------------------------------


class InvoiceScheduleSerializer(serializers.ModelSerializer):
    company = OrgScopedRelatedField(Company, required=False, allow_null=True)
    contact = OrgScopedRelatedField(Contact, required=False, allow_null=True)
    customer = serializers.SerializerMethodField()
    currency = serializers.CharField(min_length=3, max_length=3, required=False)
    lines = DocumentLineSerializer(
        many=True, required=False, help_text="Every invoice of the schedule gets these lines."
    )
    billing_emails = serializers.ListField(child=serializers.EmailField(), max_length=10, required=False)
    max_count = serializers.IntegerField(
        min_value=1, max_value=1200, required=False, allow_null=True, help_text="Stop after this many invoices."
    )
    payment_terms_days = serializers.IntegerField(min_value=0, max_value=3650, required=False, allow_null=True)

    class Meta:
        model = RecurringSchedule
        fields = [
            "id",
            "name",
            "company",
            "contact",
            "customer",
            "currency",
            "frequency",
            "start_date",
            "end_date",
            "max_count",
            "lines",
            "notes",
            "payment_terms_days",
            "billing_emails",
            "auto_finalize",
            "auto_send",
            "is_active",
            "next_period",
            "issued_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "next_period", "issued_count", "created_at", "updated_at"]

    @extend_schema_field(BillingCustomerSerializer(allow_null=True))
    def get_customer(self, schedule: RecurringSchedule) -> dict[str, Any] | None:
        return customer_summary(schedule)

    def validate_lines(self, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return lines_checked(lines)

    def validate_frequency(self, value: str) -> str:
        if value not in Frequency.values:
            raise serializers.ValidationError("Unknown frequency.", code="invalid_choice")
        return value


# --- Settings -----------------------------------------------------------------------------------------------


class OrgTaxIdSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=40, help_text="What the id is, e.g. VAT or EIN.")
    value = serializers.CharField(max_length=60)


class InvoiceSettingsSerializer(serializers.ModelSerializer):
    invoice_prefix = serializers.RegexField(
        r"^[A-Za-z0-9/_.]{0,12}$", max_length=12, required=False, allow_blank=True
    )
    quote_prefix = serializers.RegexField(
        r"^[A-Za-z0-9/_.]{0,12}$", max_length=12, required=False, allow_blank=True
    )
    credit_note_prefix = serializers.RegexField(
        r"^[A-Za-z0-9/_.]{0,12}$", max_length=12, required=False, allow_blank=True
    )
    number_digits = serializers.IntegerField(min_value=1, max_value=10, required=False)
    payment_terms_days = serializers.IntegerField(min_value=0, max_value=3650, required=False)
    quote_validity_days = serializers.IntegerField(min_value=1, max_value=3650, required=False)
    reminder_days = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=365),
        max_length=10,
        required=False,
        help_text="Days after the due date, each reminded once.",
    )
    tax_ids = OrgTaxIdSerializer(many=True, required=False, help_text="At most 10.")
    address = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    payment_instructions = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    example_number = serializers.SerializerMethodField(help_text="How the next invoice number will look.")

    class Meta:
        model = InvoiceSettings
        fields = [
            "invoice_prefix",
            "quote_prefix",
            "credit_note_prefix",
            "number_includes_year",
            "number_digits",
            "number_resets_yearly",
            "example_number",
            "payment_terms_days",
            "quote_validity_days",
            "reminder_days",
            "address",
            "tax_ids",
            "payment_instructions",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]

    def validate_tax_ids(self, tax_ids: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(tax_ids) > 10:
            raise serializers.ValidationError("At most 10 tax ids.", code="max_length")
        return tax_ids

    def get_example_number(self, row: InvoiceSettings) -> str:
        from invoices.numbering import number_format

        return number_format(row, "invoice", 42, datetime.date.today())


class PaymentWebhookSecretSerializer(serializers.Serializer):
    webhook_secret = serializers.CharField(help_text="Shown once: give it to the payment provider.")
    webhook_url = serializers.CharField()


# --- Reports ------------------------------------------------------------------------------------------------


class ReceivablesAgingRowSerializer(serializers.Serializer):
    customer_type = serializers.CharField()
    customer_id = serializers.UUIDField()
    name = serializers.CharField()
    currency = serializers.CharField()
    invoices = serializers.IntegerField()
    current = money_field()
    days_1_30 = money_field()
    days_31_60 = money_field()
    days_61_90 = money_field()
    days_over_90 = money_field()
    total = money_field()


class ReceivablesAgingTotalSerializer(serializers.Serializer):
    currency = serializers.CharField()
    invoices = serializers.IntegerField()
    current = money_field()
    days_1_30 = money_field()
    days_31_60 = money_field()
    days_61_90 = money_field()
    days_over_90 = money_field()
    total = money_field()


class ReceivablesAgingSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    customers = ReceivablesAgingRowSerializer(many=True)
    totals = ReceivablesAgingTotalSerializer(many=True)


class InvoiceRevenueMonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    currency = serializers.CharField()
    invoiced = money_field()
    credited = money_field()
    collected = money_field()


class InvoiceRevenueSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    months = InvoiceRevenueMonthSerializer(many=True)


class ReceivablesOutstandingRowSerializer(serializers.Serializer):
    customer_type = serializers.CharField()
    customer_id = serializers.UUIDField()
    name = serializers.CharField()
    currency = serializers.CharField()
    invoices = serializers.IntegerField()
    outstanding = money_field()
    credit = money_field()


class ReceivablesOutstandingSerializer(serializers.Serializer):
    customers = ReceivablesOutstandingRowSerializer(many=True)


# --- The public page ----------------------------------------------------------------------------------------


class PublicInvoiceSerializer(serializers.ModelSerializer):
    """What the customer sees through the link: the document, nothing the agency keeps to itself."""

    org_name = serializers.SerializerMethodField()
    lines = DocumentStoredLineSerializer(many=True, read_only=True)
    tax_summary = DocumentTaxSummarySerializer(many=True, read_only=True)
    is_overdue = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = [
            "org_name",
            "number",
            "status",
            "is_overdue",
            "currency",
            "issue_date",
            "due_date",
            *BILLING_FIELDS,
            "lines",
            *TOTAL_FIELDS,
            "amount_paid",
            "amount_credited",
            "balance_due",
            "notes",
            "pdf_url",
        ]
        read_only_fields = fields

    def get_org_name(self, invoice: Invoice) -> str:
        return str(self.context.get("org_name", ""))

    def get_is_overdue(self, invoice: Invoice) -> bool:
        return (
            invoice.status in OVERDUE_STATUSES and invoice.due_date is not None and invoice.due_date < _today(self)
        )

    def get_pdf_url(self, invoice: Invoice) -> str:
        return f"{self.context.get('path', '')}pdf/"


class PaymentEventSerializer(serializers.Serializer):
    event_id = serializers.CharField(max_length=200)
    type = serializers.CharField(max_length=60)
    invoice_id = serializers.UUIDField(required=False)
    amount = amount_field(required=False)
    currency = serializers.CharField(min_length=3, max_length=3, required=False)
    received_on = serializers.DateField(required=False)
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True)
    payer = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["type"] == "payment.succeeded":
            missing = [name for name in ("invoice_id", "amount", "currency") if name not in attrs]
            if missing:
                raise serializers.ValidationError(
                    {name: ["This field is required."] for name in missing}, code="required"
                )
        return attrs


class PaymentEventReceiptSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="recorded, duplicate (this event was received before) or ignored.")
    payment_id = serializers.UUIDField(allow_null=True)
