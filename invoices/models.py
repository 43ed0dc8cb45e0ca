"""Invoices, quotes and credit notes with their lines, the org's invoice settings and number counters,
payments (split across invoices, refunds, customer credit), provider events, reminders and recurring schedules.

Money is `Decimal` with two decimal places in every currency (see invoices.totals for the rounding rule). Totals
are computed by the services and stored; nothing here derives them on save.
"""

from __future__ import annotations

import secrets
from typing import ClassVar

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from common.models import BaseModel, Profile, RecordModel
from common.search import accent_free_trigram_index

MONEY = {"max_digits": 14, "decimal_places": 2}


def _money(**kwargs: object) -> models.DecimalField:
    return models.DecimalField(**MONEY, default=0, **kwargs)  # type: ignore[arg-type]


def new_webhook_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def new_public_nonce() -> str:
    return secrets.token_hex(16)


# --- Settings and numbering ---------------------------------------------------------------------------------


class Series(models.TextChoices):
    INVOICE = "invoice", "Invoices"
    QUOTE = "quote", "Quotes"
    CREDIT_NOTE = "credit_note", "Credit notes"


class InvoiceSettings(BaseModel):
    """The org's invoicing settings: one row per org, made on first use with the defaults below."""

    invoice_prefix = models.CharField(max_length=12, default="INV")
    quote_prefix = models.CharField(max_length=12, default="QUO")
    credit_note_prefix = models.CharField(max_length=12, default="CN")
    # `INV-2026-00042` with the year, `INV-00042` without; the sequence is zero-padded to this many digits.
    number_includes_year = models.BooleanField(default=True)
    number_digits = models.PositiveSmallIntegerField(default=5)
    # Every series starts again at 1 on the first number of a new (issue-date) year.
    number_resets_yearly = models.BooleanField(default=True)
    payment_terms_days = models.PositiveSmallIntegerField(default=30)
    quote_validity_days = models.PositiveSmallIntegerField(default=30)
    # Days after the due date on which an overdue invoice's customer is reminded, each step once.
    reminder_days = ArrayField(models.PositiveSmallIntegerField(), default=list, blank=True)
    # Printed on every document: the org's legal address, tax ids ({"name": "VAT", "value": "GB123"}) and how
    # to pay.
    address = models.TextField(blank=True)
    tax_ids = models.JSONField(default=list, blank=True)
    payment_instructions = models.TextField(blank=True)
    # The payment provider signs its callbacks with this (HMAC-SHA256); shown once when rotated.
    webhook_secret = models.CharField(max_length=80, default=new_webhook_secret)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org"], name="invoice_settings_one_per_org"),
            models.CheckConstraint(
                condition=Q(number_digits__gte=1, number_digits__lte=10), name="invoice_settings_digits_1_10"
            ),
        ]

    def __str__(self) -> str:
        return f"invoice settings of {self.org_id}"

    def prefix_of(self, series: str) -> str:
        return {
            Series.INVOICE: self.invoice_prefix,
            Series.QUOTE: self.quote_prefix,
            Series.CREDIT_NOTE: self.credit_note_prefix,
        }[Series(series)]


class NumberCounter(BaseModel):
    """The last number given in one series and period (a year, or 0 without yearly reset). Taken under
    SELECT ... FOR UPDATE in the finalizing transaction, so a rollback gives the number back."""

    series = models.CharField(max_length=16, choices=Series.choices)
    period = models.PositiveIntegerField(default=0)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "series", "period"], name="number_counter_unique"),
            models.CheckConstraint(condition=Q(series__in=Series.values), name="number_counter_series_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.series}/{self.period}: {self.last_value}"


# --- Documents ----------------------------------------------------------------------------------------------


class DiscountType(models.TextChoices):
    NONE = "none", "No discount"
    PERCENT = "percent", "Percent"
    AMOUNT = "amount", "Amount"


class Customer(models.Model):
    """Who a document or payment is for: a company or a contact, one of the two. SET_NULL: purging a customer
    must not fail; an issued document keeps the billing name and address it was issued with."""

    company = models.ForeignKey(
        "contacts.Company", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True


class BillingSnapshot(models.Model):
    """The customer's name and address as printed, copied when the document is issued."""

    billing_name = models.CharField(max_length=200, blank=True)
    billing_street = models.CharField(max_length=200, blank=True)
    billing_city = models.CharField(max_length=100, blank=True)
    billing_region = models.CharField(max_length=100, blank=True)
    billing_postal_code = models.CharField(max_length=20, blank=True)
    billing_country = models.CharField(max_length=2, blank=True)

    class Meta:
        abstract = True


class Totals(models.Model):
    """Computed by invoices.totals from the lines and stored with them."""

    subtotal = _money()
    discount_total = _money()
    tax_total = _money()
    total = _money()
    # [{"name": "VAT", "rate": "20.000", "amount": "12.34"}] per (name, rate), summed from the lines' taxes.
    tax_summary = models.JSONField(default=list, blank=True)

    class Meta:
        abstract = True


class Rendered(models.Model):
    """The document's PDF, drawn by a worker after it is issued, in the default storage."""

    pdf = models.FileField(upload_to="invoices/", blank=True, max_length=300)
    pdf_rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


def _customer_at_most_one(prefix: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=~Q(company__isnull=False, contact__isnull=False), name=f"{prefix}_one_customer"
    )


def _not_negative(prefix: str, *names: str) -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(condition=Q(**{f"{name}__gte": 0}), name=f"{prefix}_{name}_not_negative")
        for name in names
    ]


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    VOID = "void", "Void"
    UNCOLLECTIBLE = "uncollectible", "Uncollectible"


# Issued invoices that still expect money: what aging, reminders and payments look at.
COLLECTIBLE = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.UNCOLLECTIBLE)
OVERDUE_STATUSES = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID)


class Invoice(RecordModel, Customer, BillingSnapshot, Totals, Rendered):
    number = models.CharField(max_length=40, blank=True, help_text="Given at finalization.")
    status = models.CharField(max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT)
    currency = models.CharField(max_length=3)
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True)
    billing_emails = ArrayField(models.EmailField(), default=list, blank=True)
    deal = models.ForeignKey("deals.Deal", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    listing = models.ForeignKey(
        "properties.Property", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    schedule = models.ForeignKey(
        "invoices.RecurringSchedule", on_delete=models.SET_NULL, null=True, blank=True, related_name="invoices"
    )
    amount_paid = _money()
    amount_credited = _money()
    balance_due = _money()
    finalized_at = models.DateTimeField(null=True, blank=True)
    finalized_by = models.ForeignKey(
        Profile, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=300, blank=True)
    marked_uncollectible_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The public link: `public_nonce` is inside the signed token, so a new nonce retires every old link.
    public_nonce = models.CharField(max_length=32, blank=True)
    public_link_revoked_at = models.DateTimeField(null=True, blank=True)

    assignment_notification_kind: ClassVar[str] = "assigned"

    class Meta(RecordModel.Meta):
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "number"], condition=~Q(number=""), name="invoice_number_unique_per_org"
            ),
            models.CheckConstraint(condition=Q(status__in=InvoiceStatus.values), name="invoice_status_valid"),
            models.CheckConstraint(
                condition=Q(status=InvoiceStatus.DRAFT) | ~Q(number=""), name="invoice_issued_has_number"
            ),
            # Drafts are the only documents that may be archived (and so deleted).
            models.CheckConstraint(
                condition=Q(status=InvoiceStatus.DRAFT) | Q(archived_at__isnull=True),
                name="invoice_only_drafts_archived",
            ),
            _customer_at_most_one("invoice"),
            *_not_negative(
                "invoice",
                "subtotal",
                "discount_total",
                "tax_total",
                "total",
                "amount_paid",
                "amount_credited",
                "balance_due",
            ),
        ]
        indexes = [
            *RecordModel.Meta.indexes,
            # Aging and reminders: the issued invoices that still expect money, by due date.
            models.Index(
                fields=["org", "due_date"],
                name="invoice_receivable",
                condition=Q(status__in=["open", "partially_paid", "uncollectible"]),
            ),
            models.Index(fields=["org", "issue_date"], name="invoice_issue_date"),
            # The aging report reads only this (an index-only scan): what is owed, by customer and due date.
            models.Index(
                fields=["org", "currency", "company", "contact", "due_date"],
                include=["balance_due"],
                name="invoice_aging",
                condition=Q(status__in=["open", "partially_paid"], archived_at__isnull=True, balance_due__gt=0),
            ),
            GinIndex(OpClass(Upper("number"), name="gin_trgm_ops"), name="invoice_number_trgm"),
            accent_free_trigram_index("billing_name", "invoice_billing_name_trgm"),
        ]

    def __str__(self) -> str:
        return self.number or f"Draft invoice {str(self.pk)[:8]}"

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"


class Quote(RecordModel, Customer, BillingSnapshot, Totals, Rendered):
    number = models.CharField(max_length=40, blank=True, help_text="Given when the quote is sent.")
    status = models.CharField(max_length=16, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT)
    currency = models.CharField(max_length=3)
    issue_date = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    billing_emails = ArrayField(models.EmailField(), default=list, blank=True)
    deal = models.ForeignKey("deals.Deal", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    listing = models.ForeignKey(
        "properties.Property", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    # Converted exactly once: the row lock orders concurrent calls and `converted_at` stays set even if the
    # draft invoice it became is deleted (SET_NULL), so a quote never turns into a second invoice.
    converted_invoice = models.ForeignKey(
        Invoice, on_delete=models.SET_NULL, null=True, blank=True, related_name="source_quotes"
    )
    converted_at = models.DateTimeField(null=True, blank=True)

    class Meta(RecordModel.Meta):
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "number"], condition=~Q(number=""), name="quote_number_unique_per_org"
            ),
            models.UniqueConstraint(
                fields=["org", "converted_invoice"],
                condition=Q(converted_invoice__isnull=False),
                name="quote_converts_to_its_own_invoice",
            ),
            models.CheckConstraint(condition=Q(status__in=QuoteStatus.values), name="quote_status_valid"),
            models.CheckConstraint(
                condition=Q(status=QuoteStatus.DRAFT) | ~Q(number=""), name="quote_sent_has_number"
            ),
            models.CheckConstraint(
                condition=Q(status=QuoteStatus.DRAFT) | Q(archived_at__isnull=True),
                name="quote_only_drafts_archived",
            ),
            models.CheckConstraint(
                condition=Q(converted_invoice__isnull=True) | Q(status=QuoteStatus.ACCEPTED),
                name="quote_converted_when_accepted",
            ),
            _customer_at_most_one("quote"),
            *_not_negative("quote", "subtotal", "discount_total", "tax_total", "total"),
        ]
        indexes = [
            *RecordModel.Meta.indexes,
            GinIndex(OpClass(Upper("number"), name="gin_trgm_ops"), name="quote_number_trgm"),
        ]

    def __str__(self) -> str:
        return self.number or f"Draft quote {str(self.pk)[:8]}"


class CreditNote(BaseModel, Customer, BillingSnapshot, Totals, Rendered):
    """A correction of an issued invoice: it lowers what the invoice asks for; what the customer already paid
    beyond the new balance becomes their credit. Issued (numbered) when made; never changed."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    number = models.CharField(max_length=40)
    currency = models.CharField(max_length=3)
    issue_date = models.DateField()
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-issue_date", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "number"], name="credit_note_number_unique_per_org"),
            _customer_at_most_one("credit_note"),
            *_not_negative("credit_note", "subtotal", "discount_total", "tax_total", "total"),
        ]
        indexes = [models.Index(fields=["org", "issue_date"], name="credit_note_issue_date")]

    def __str__(self) -> str:
        return self.number


class LineItem(BaseModel):
    """One line: what was sold, how many, at what price, less a discount, plus taxes; amounts computed."""

    position = models.PositiveIntegerField(default=0)
    description = models.CharField(max_length=500)
    quantity = models.DecimalField(max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(max_digits=14, decimal_places=4)
    discount_type = models.CharField(max_length=8, choices=DiscountType.choices, default=DiscountType.NONE)
    discount_value = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    # [{"name": "VAT", "rate": "20.000", "amount": "2.00"}]: several taxes per line, each rounded on its own.
    taxes = models.JSONField(default=list, blank=True)
    subtotal = _money()
    discount_amount = _money()
    net = _money()
    tax_amount = _money()
    total = _money()

    class Meta:
        abstract = True
        ordering = ["position", "id"]


class InvoiceLine(LineItem):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")

    class Meta(LineItem.Meta):
        indexes = [models.Index(fields=["invoice", "position"], name="invoice_line_order")]


class QuoteLine(LineItem):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")

    class Meta(LineItem.Meta):
        indexes = [models.Index(fields=["quote", "position"], name="quote_line_order")]


class CreditNoteLine(LineItem):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")

    class Meta(LineItem.Meta):
        indexes = [models.Index(fields=["credit_note", "position"], name="credit_note_line_order")]


# --- Payments -----------------------------------------------------------------------------------------------


class PaymentKind(models.TextChoices):
    PAYMENT = "payment", "Payment"
    REFUND = "refund", "Refund"


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    CARD = "card", "Card"
    CASH = "cash", "Cash"
    CHECK = "check", "Check"
    DIRECT_DEBIT = "direct_debit", "Direct debit"
    PROVIDER = "provider", "Payment provider"
    OTHER = "other", "Other"


class Payment(BaseModel, Customer):
    """Money received from a customer (or, as a refund, given back). Its allocations say which invoices it
    paid; what is left over is the customer's credit."""

    kind = models.CharField(max_length=8, choices=PaymentKind.choices, default=PaymentKind.PAYMENT)
    refund_of = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds")
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(**MONEY)  # type: ignore[arg-type]
    received_on = models.DateField()
    method = models.CharField(max_length=16, choices=PaymentMethod.choices, default=PaymentMethod.BANK_TRANSFER)
    reference = models.CharField(max_length=200, blank=True)
    payer = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_on", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(kind__in=PaymentKind.values), name="payment_kind_valid"),
            models.CheckConstraint(
                condition=Q(kind=PaymentKind.PAYMENT, refund_of__isnull=True)
                | Q(kind=PaymentKind.REFUND, refund_of__isnull=False),
                name="payment_refund_names_its_payment",
            ),
            _customer_at_most_one("payment"),
        ]
        indexes = [
            models.Index(fields=["org", "received_on"], name="payment_received_on"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.currency} {self.amount}"


class PaymentAllocation(BaseModel):
    """Part of a payment applied to one invoice (negative for a refund taking it back). An invoice's
    `amount_paid` is the sum of its allocations."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(**MONEY)  # type: ignore[arg-type]

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="allocation_amount_not_zero")]
        indexes = [models.Index(fields=["invoice", "created_at"], name="allocation_invoice")]


class CreditReason(models.TextChoices):
    OVERPAYMENT = "overpayment", "Overpayment"
    CREDIT_NOTE = "credit_note", "Credit note beyond the balance"
    APPLIED = "applied", "Applied to an invoice"
    REFUNDED = "refunded", "Refunded"


class CreditEntry(BaseModel, Customer):
    """The customer's credit ledger, per currency: money received or credited that no invoice asks for (+),
    and its uses (-). The balance is the sum, and never below zero."""

    currency = models.CharField(max_length=3)
    amount = models.DecimalField(**MONEY)  # type: ignore[arg-type]
    reason = models.CharField(max_length=16, choices=CreditReason.choices)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    credit_note = models.ForeignKey(CreditNote, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="credit_entry_not_zero"),
            _customer_at_most_one("credit_entry"),
        ]
        indexes = [
            models.Index(fields=["company", "currency"], name="credit_company"),
            models.Index(fields=["contact", "currency"], name="credit_contact"),
        ]

    def __str__(self) -> str:
        return f"{self.reason} {self.currency} {self.amount}"


class ProviderEvent(BaseModel):
    """A payment provider's callback, by the provider's event id: the same event twice is one row, so a
    replayed callback changes nothing."""

    event_id = models.CharField(max_length=200)
    event_type = models.CharField(max_length=60)
    payload = models.JSONField(default=dict)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "event_id"], name="provider_event_unique")]

    def __str__(self) -> str:
        return self.event_id


# --- Reminders and recurring invoices -----------------------------------------------------------------------


class ReminderSent(BaseModel):
    """One step of an overdue invoice's reminder schedule, done (at most once: the unique row)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="reminders")
    step = models.PositiveSmallIntegerField(help_text="Days after the due date.")
    emailed_to = ArrayField(models.EmailField(), default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "invoice", "step"], name="reminder_once_per_step")]


class Frequency(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    YEARLY = "yearly", "Yearly"


MONTHS_OF = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.YEARLY: 12}


class RecurringSchedule(BaseModel, Customer):
    """An invoice made again every period (a retainer): from `start_date`, until `end_date` or `max_count`
    invoices, whichever comes first. Beat issues each period once (RecurringRun)."""

    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    max_count = models.PositiveIntegerField(null=True, blank=True)
    # The lines each invoice gets, as the API takes them (description, quantity, unit_price, discount, taxes).
    lines = models.JSONField(default=list)
    notes = models.TextField(blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(null=True, blank=True)
    billing_emails = ArrayField(models.EmailField(), default=list, blank=True)
    auto_finalize = models.BooleanField(default=True)
    auto_send = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    # The start of the next period to issue; advanced by each run.
    next_period = models.DateField()
    issued_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(frequency__in=Frequency.values), name="schedule_frequency_valid"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="schedule_end_after_start",
            ),
            _customer_at_most_one("schedule"),
        ]
        indexes = [
            models.Index(fields=["org", "next_period"], name="schedule_due", condition=Q(is_active=True)),
        ]

    def __str__(self) -> str:
        return self.name


class RecurringRun(BaseModel):
    """One period of a schedule, issued: the unique (schedule, period) row makes a second beat a no-op."""

    schedule = models.ForeignKey(RecurringSchedule, on_delete=models.CASCADE, related_name="runs")
    period_start = models.DateField()
    # SET_NULL: a draft it made may be deleted; the run row still says the period was issued.
    invoice = models.ForeignKey(Invoice, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["org", "schedule", "period_start"], name="recurring_run_once")
        ]
