"""How the role matrix calls the invoice routes: the invoice and quote record APIs with their lifecycle actions,
payments, credit notes, schedules, settings, reports, and the public link and payment callback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tenants.testing.fixtures import Cast
from tenants.testing.matrix import Call, made_pk

LINE = {"description": "Matrix work", "quantity": "1", "unit_price": "100.00"}


def _customer(cast: Cast) -> Any:
    """A company of org A every role sees (members through assignment)."""
    from common.context import org_context
    from contacts.models import Company

    with org_context(cast.org_a):
        return Company.objects.create(
            org=cast.org_a, name="Matrix Holdings", created_by=cast.owner, assigned_to=[cast.member.pk]
        )


def invoices(*, state: str = "draft", archived: bool = False) -> Callable[[Cast], dict[str, Any]]:
    """Two invoices of org A for a customer every role sees, assigned to the member: drafts, issued (`open`),
    or the first archived (a draft)."""

    def make(cast: Cast) -> dict[str, Any]:
        from decimal import Decimal

        from django.utils import timezone

        from common.context import org_context
        from invoices import services
        from invoices.models import Invoice

        customer = _customer(cast)
        line = {"description": "Matrix work", "quantity": Decimal(1), "unit_price": Decimal(100), "taxes": []}
        made = []
        with org_context(cast.org_a):
            for _ in range(2):
                invoice = services.invoice_create(
                    org=cast.org_a,
                    actor=cast.owner,
                    data={"company": customer, "lines": [line], "assigned_to": [cast.member.pk]},
                )
                if state == "open":
                    services.invoice_finalize(org=cast.org_a, actor=cast.owner, invoice_id=invoice.pk)
                made.append(invoice)
            if archived:
                Invoice.objects.filter(pk=made[0].pk).update(archived_at=timezone.now())
        return {"pk": made[0].pk, "other": str(made[1].pk), "company_id": str(customer.pk)}

    return make


def _issued_with_credit(cast: Cast) -> dict[str, Any]:
    from decimal import Decimal

    from common.context import org_context
    from invoices.models import CreditEntry

    made = invoices(state="open")(cast)
    with org_context(cast.org_a):
        CreditEntry.objects.create(
            org=cast.org_a,
            company_id=made["company_id"],
            currency="USD",
            amount=Decimal("30.00"),
            reason="overpayment",
        )
    return made


def _with_payment(cast: Cast) -> dict[str, Any]:
    import datetime
    from decimal import Decimal

    from common.context import org_context
    from invoices import payments
    from invoices.models import Invoice

    made = invoices(state="open")(cast)
    with org_context(cast.org_a):
        invoice = Invoice.objects.get(pk=made["pk"])
        payment = payments.payment_record(
            org=cast.org_a,
            actor=cast.owner,
            data={
                "amount": Decimal("60.00"),
                "received_on": datetime.date(2026, 3, 1),
                "allocations": [{"invoice": invoice, "amount": Decimal("60.00")}],
            },
        )
    return {**made, "payment_id": payment.pk}


def _with_credit_note(cast: Cast) -> dict[str, Any]:
    from common.context import org_context
    from invoices import services

    made = invoices(state="open")(cast)
    with org_context(cast.org_a):
        note = services.credit_note_create(org=cast.org_a, actor=cast.owner, invoice_id=made["pk"], data={})
    return {**made, "credit_note_id": note.pk}


def _with_schedule(cast: Cast) -> dict[str, Any]:
    import datetime

    from common.context import org_context
    from invoices import recurring

    customer = _customer(cast)
    with org_context(cast.org_a):
        schedule = recurring.schedule_create(
            org=cast.org_a,
            actor=cast.owner,
            data={
                "company": customer,
                "name": "Matrix retainer",
                "frequency": "monthly",
                "start_date": datetime.date(2030, 1, 1),
                "lines": [{**LINE, "taxes": []}],
            },
        )
    return {"schedule_id": schedule.pk, "company_id": str(customer.pk)}


def quotes(state: str = "draft") -> Callable[[Cast], dict[str, Any]]:
    def make(cast: Cast) -> dict[str, Any]:
        from decimal import Decimal

        from common.context import org_context
        from invoices import quotes as quote_services

        customer = _customer(cast)
        line = {"description": "Matrix offer", "quantity": Decimal(1), "unit_price": Decimal(100), "taxes": []}
        made = []
        with org_context(cast.org_a):
            for _ in range(2):
                quote = quote_services.quote_create(
                    org=cast.org_a,
                    actor=cast.owner,
                    data={"company": customer, "lines": [line], "assigned_to": [cast.member.pk]},
                )
                if state in ("sent", "accepted"):
                    quote_services.quote_send(org=cast.org_a, actor=cast.owner, quote_id=quote.pk)
                if state == "accepted":
                    quote_services.quote_accept(org=cast.org_a, actor=cast.owner, quote_id=quote.pk)
                made.append(quote)
        return {"pk": made[0].pk, "other": str(made[1].pk), "company_id": str(customer.pk)}

    return make


def _archived_quote(cast: Cast) -> dict[str, Any]:
    from django.utils import timezone

    from common.context import org_context
    from invoices.models import Quote

    made = quotes()(cast)
    with org_context(cast.org_a):
        Quote.objects.filter(pk=made["pk"]).update(archived_at=timezone.now())
    return made


def _token(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    from common.context import org_context
    from invoices.models import Invoice
    from invoices.public_links import public_token

    with org_context(cast.org_a):
        return {"token": public_token(Invoice.objects.get(pk=made["pk"]))}


def _document_body(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"company": made["company_id"], "lines": [LINE]}


def _new_customer_body(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"company": str(_customer(cast).pk), "lines": [LINE]}


def _record_specs(
    prefix: str, setup: Callable[[Cast], dict[str, Any]], archived: Callable[[Cast], dict[str, Any]]
) -> dict[str, dict[str, Call]]:
    return {
        f"api:{prefix}-list": {"GET": Call(setup=setup), "POST": Call(status=201, body=_new_customer_body)},
        f"api:{prefix}-detail": {
            "GET": Call(setup=setup, kwargs=made_pk),
            "PATCH": Call(setup=setup, kwargs=made_pk, body={"notes": "Matrix notes"}),
            "PUT": Call(setup=setup, kwargs=made_pk, body=_document_body),
            "DELETE": Call(status=204, setup=setup, kwargs=made_pk),
        },
        f"api:{prefix}-bulk": {
            "POST": Call(setup=setup, body=lambda cast, made: {"action": "archive", "ids": [str(made["pk"])]})
        },
        f"api:{prefix}-export": {"GET": Call(setup=setup, overrides={"member": 403, "viewer": 403})},
        f"api:{prefix}-timeline": {"GET": Call(setup=setup, kwargs=made_pk)},
        f"api:{prefix}-restore": {"POST": Call(setup=archived, kwargs=made_pk)},
        f"api:{prefix}-purge": {"POST": Call(status=204, setup=archived, kwargs=made_pk)},
    }


def _unsigned_event(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_id": "evt_matrix",
        "type": "payment.succeeded",
        "invoice_id": str(made["pk"]),
        "amount": "10.00",
        "currency": "USD",
    }


ISSUED = invoices(state="open")

MATRIX_SPECS = {
    **_record_specs("invoices", invoices(), invoices(archived=True)),
    "api:invoices-finalize": {"POST": Call(setup=invoices(), kwargs=made_pk)},
    "api:invoices-void": {"POST": Call(setup=ISSUED, kwargs=made_pk, body={"reason": "Matrix"})},
    "api:invoices-mark-uncollectible": {"POST": Call(setup=ISSUED, kwargs=made_pk)},
    "api:invoices-send": {"POST": Call(status=202, setup=ISSUED, kwargs=made_pk)},
    "api:invoices-apply-credit": {"POST": Call(setup=_issued_with_credit, kwargs=made_pk)},
    "api:invoices-credit-notes": {
        "GET": Call(setup=_with_credit_note, kwargs=made_pk),
        "POST": Call(status=201, setup=ISSUED, kwargs=made_pk, body={"reason": "Matrix"}),
    },
    "api:invoices-payments": {"GET": Call(setup=_with_payment, kwargs=made_pk)},
    "api:invoices-pdf": {"GET": Call(setup=ISSUED, kwargs=made_pk)},
    "api:invoices-public-link": {
        "POST": Call(setup=ISSUED, kwargs=made_pk),
        "DELETE": Call(setup=ISSUED, kwargs=made_pk),
    },
    "api:invoices-aging": {"GET": Call(setup=ISSUED)},
    "api:invoices-revenue": {"GET": Call(setup=_with_payment)},
    "api:invoices-outstanding": {"GET": Call(setup=_issued_with_credit)},
    **_record_specs("quotes", quotes(), _archived_quote),
    "api:quotes-send": {"POST": Call(setup=quotes(), kwargs=made_pk)},
    "api:quotes-accept": {"POST": Call(setup=quotes("sent"), kwargs=made_pk)},
    "api:quotes-decline": {"POST": Call(setup=quotes("sent"), kwargs=made_pk)},
    "api:quotes-convert": {"POST": Call(status=201, setup=quotes("accepted"), kwargs=made_pk)},
    "api:quotes-pdf": {"GET": Call(setup=quotes("sent"), kwargs=made_pk)},
    "api:payments": {
        "GET": Call(setup=_with_payment),
        "POST": Call(
            status=201,
            setup=ISSUED,
            body=lambda cast, made: {
                "amount": "40.00",
                "received_on": "2026-03-02",
                "allocations": [{"invoice": str(made["pk"]), "amount": "40.00"}],
            },
        ),
    },
    "api:payment-detail": {
        "GET": Call(setup=_with_payment, kwargs=lambda cast, made: {"payment_id": made["payment_id"]})
    },
    "api:payment-refund": {
        "POST": Call(
            status=201,
            setup=_with_payment,
            kwargs=lambda cast, made: {"payment_id": made["payment_id"]},
            body={"amount": "10.00"},
        )
    },
    "api:credit-notes": {"GET": Call(setup=_with_credit_note)},
    "api:credit-note-detail": {
        "GET": Call(setup=_with_credit_note, kwargs=lambda cast, made: {"credit_note_id": made["credit_note_id"]})
    },
    "api:credit-note-pdf": {
        "GET": Call(setup=_with_credit_note, kwargs=lambda cast, made: {"credit_note_id": made["credit_note_id"]})
    },
    "api:invoice-schedules": {
        "GET": Call(setup=_with_schedule),
        "POST": Call(
            status=201,
            setup=_with_schedule,
            body=lambda cast, made: {
                "company": made["company_id"],
                "name": "Matrix retainer 2",
                "frequency": "quarterly",
                "start_date": "2030-02-01",
                "lines": [LINE],
            },
        ),
    },
    "api:invoice-schedule-detail": {
        "GET": Call(setup=_with_schedule, kwargs=lambda cast, made: {"schedule_id": made["schedule_id"]}),
        "PATCH": Call(
            setup=_with_schedule,
            kwargs=lambda cast, made: {"schedule_id": made["schedule_id"]},
            body={"name": "Renamed retainer"},
        ),
        "DELETE": Call(
            status=204, setup=_with_schedule, kwargs=lambda cast, made: {"schedule_id": made["schedule_id"]}
        ),
    },
    "api:invoice-settings": {"GET": Call(), "PATCH": Call(body={"payment_terms_days": 14})},
    "api:invoice-webhook-secret": {"POST": Call()},
    # Public: the answer does not depend on who calls.
    "api:public-invoice": {"GET": Call(setup=ISSUED, kwargs=_token)},
    "api:public-invoice-pdf": {"GET": Call(setup=ISSUED, kwargs=_token)},
    # Unsigned, the callback is refused for everyone.
    "api:invoice-payment-webhook": {
        "POST": Call(
            status=401, setup=ISSUED, kwargs=lambda cast, made: {"org_id": cast.org_a.pk}, body=_unsigned_event
        )
    },
}
