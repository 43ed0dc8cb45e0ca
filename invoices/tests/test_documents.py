"""Documents and delivery: the PDF (read back as text) with the number, total, customer, taxes and the org's
details; drawn after commit and emailed with the PDF attached; the signed public link, revoked or voided (410);
and a real Celery worker drawing and emailing it."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from django.core import mail
from pypdf import PdfReader

from common.context import org_context
from invoices import services
from invoices.models import Invoice
from invoices.org_settings import invoice_settings_update
from invoices.public_links import public_token
from invoices.tests.helpers import INVOICES, company, contact, draft, issued, line, stored
from tenants.testing.fixtures import Cast, celery_worker_started, client_for
from timeline.models import ActivityEntry

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _org_details(cast: Cast) -> None:
    with org_context(cast.org_a):
        invoice_settings_update(
            org=cast.org_a,
            actor=cast.owner,
            data={
                "address": "Alpha Realty Ltd\n2 Canal Side\nLeeds LS1 4AP",
                "tax_ids": [{"name": "VAT", "value": "GB987654321"}],
                "payment_instructions": "Pay by bank transfer to IBAN GB29 NWBK 6016 1331 9268 19.",
            },
        )


def test_the_pdf_holds_the_number_total_customer_lines_taxes_and_the_orgs_details(cast: Cast) -> None:
    _org_details(cast)
    invoice = issued(
        cast,
        customer=company(cast, name="Quayside Café Ltd"),
        lines=[line("Drone video tour", 2, "480", taxes=[("VAT", "20")])],
    )

    response = client_for(cast.viewer).get(f"{INVOICES}{invoice.pk}/pdf/")

    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    text = pdf_text(response.content)
    for expected in (
        invoice.number,
        "USD 1,152.00",
        "Quayside Café Ltd",
        "Drone video tour",
        "VAT 20%",
        "USD 192.00",
        "GB987654321",
        "2 Canal Side",
        "IBAN GB29 NWBK",
        "Balance due",
    ):
        assert expected in text, expected


def test_a_draft_has_no_pdf(cast: Cast) -> None:
    response = client_for(cast.owner).get(f"{INVOICES}{draft(cast).pk}/pdf/")

    assert (response.status_code, response.json()["code"]) == (409, "not_issued")


def test_finalizing_with_send_draws_the_pdf_after_commit_and_emails_it_to_the_billing_contact(
    cast: Cast, run_tasks_inline: None, django_capture_on_commit_callbacks: Any
) -> None:
    customer = contact(cast, email="ada@harbour.test")
    invoice = draft(cast, customer=customer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast.manager).post(
            f"{INVOICES}{invoice.pk}/finalize/", {"send": True}, format="json"
        )

    number = response.json()["number"]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@harbour.test"]
    assert message.subject == f"Alpha Realty: Invoice {number} for USD 100.00"
    assert response.json()["public_url"] in message.body
    ((name, content, kind),) = message.attachments
    assert (name, kind) == (f"{number}.pdf", "application/pdf")
    assert number in pdf_text(content)
    fresh = stored(invoice)
    assert fresh.pdf and fresh.pdf_rendered_at is not None and fresh.sent_at is not None
    with org_context(cast.org_a):
        emailed = ActivityEntry.objects.get(target_id=invoice.pk, verb="emailed")
    assert emailed.changes == {"number": number, "to": ["ada@harbour.test"], "purpose": "document"}


def test_a_customer_without_a_billing_email_is_not_emailed_and_the_timeline_says_so(
    cast: Cast, run_tasks_inline: None, django_capture_on_commit_callbacks: Any
) -> None:
    invoice = draft(cast)  # a company with no contact tagged `billing`

    with django_capture_on_commit_callbacks(execute=True):
        client_for(cast.manager).post(f"{INVOICES}{invoice.pk}/finalize/", {"send": True}, format="json")

    assert mail.outbox == []
    with org_context(cast.org_a):
        skipped = ActivityEntry.objects.get(target_id=invoice.pk, verb="email_skipped")
    assert skipped.changes["reason"] == "no_billing_email"


def test_the_public_link_shows_the_invoice_and_its_pdf_without_signing_in(cast: Cast) -> None:
    invoice = issued(cast, customer=company(cast, name="Quayside Holdings"))
    url = client_for(cast.owner).get(f"{INVOICES}{invoice.pk}/").json()["public_url"]
    path = url.split("testserver")[-1].replace("http://127.0.0.1:8000", "")

    page = client_for(None).get(path)
    pdf = client_for(None).get(f"{path}pdf/")

    assert page.status_code == 200, page.json()
    data = page.json()
    assert (data["number"], data["org_name"], data["billing_name"], data["balance_due"]) == (
        invoice.number,
        "Alpha Realty",
        "Quayside Holdings",
        "100.00",
    )
    assert [row["description"] for row in data["lines"]] == ["Photography"]
    assert "assigned_to" not in data and "tags" not in data
    assert invoice.number in pdf_text(pdf.content)


def test_a_revoked_renewed_or_voided_link_says_so_with_a_410(cast: Cast) -> None:
    revoked, voided = issued(cast), issued(cast)
    old_token = _token(revoked)
    client = client_for(cast.manager)

    client.delete(f"{INVOICES}{revoked.pk}/public-link/")
    after_revoke = client_for(None).get(f"/api/public/invoices/{old_token}/")
    renewed = client.post(f"{INVOICES}{revoked.pk}/public-link/", {}, format="json").json()["public_url"]
    old_after_renew = client_for(None).get(f"/api/public/invoices/{old_token}/pdf/")
    new_after_renew = client_for(None).get(renewed.replace("http://127.0.0.1:8000", ""))
    client.post(f"{INVOICES}{voided.pk}/void/", {}, format="json")
    after_void = client_for(None).get(f"/api/public/invoices/{_token(voided)}/")

    assert (after_revoke.status_code, after_revoke.json()["code"]) == (410, "link_revoked")
    assert (old_after_renew.status_code, old_after_renew.json()["code"]) == (410, "link_revoked")
    assert new_after_renew.status_code == 200
    assert (after_void.status_code, after_void.json()) == (
        410,
        {"code": "invoice_void", "detail": "This invoice was voided: nothing is owed on it.", "fields": {}},
    )


def test_a_forged_token_or_another_orgs_invoice_behind_it_is_a_404(cast: Cast) -> None:
    ours, theirs = issued(cast), issued(cast, org=cast.org_b)
    token = _token(ours)
    # Their invoice id in our signed token: the signature no longer matches.
    forged = token.replace(ours.pk.hex, theirs.pk.hex)

    answers = [
        client_for(None).get(f"/api/public/invoices/{value}/") for value in (forged, "nonsense", token[:-3])
    ]

    assert [(answer.status_code, answer.json()["code"]) for answer in answers] == [(404, "not_found")] * 3
    assert (
        client_for(None).get(f"/api/public/invoices/{_token(theirs)}/").json()["billing_name"]
        == "Harbour Holdings"
    )


def _token(invoice: Invoice) -> str:
    with org_context(invoice.org):
        return public_token(Invoice.objects.get(pk=invoice.pk))


@pytest.fixture
def worker(_cast_ids: Any) -> Any:
    """A real worker sharing this session's media folder, so the test reads the PDF it draws."""
    from django.conf import settings

    extra_env = {
        "DJANGO_SETTINGS_MODULE": "invoices.tests.worker_settings",
        "KEYSTONE_TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    with celery_worker_started(extra_env) as process:
        yield process


def test_a_real_worker_draws_the_pdf_after_commit(cast: Cast, worker: Any) -> None:
    """The finalization commits for real (its own connection), so the worker sees it; removed afterwards."""
    from invoices.tests.test_numbering import _in_thread, _remove_committed

    def finalize() -> Invoice:
        invoice = draft(
            cast,
            customer=company(cast, name="Concurrent Holdings"),
            lines=[line("Valuation report", 1, "750", taxes=[("VAT", "20")])],
        )
        with org_context(cast.org_a):
            return services.invoice_finalize(org=cast.org_a, actor=cast.owner, invoice_id=invoice.pk)

    try:
        invoice = _in_thread(finalize)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not stored(invoice).pdf:
            time.sleep(0.3)
        fresh = stored(invoice)
        assert fresh.pdf, "the worker did not draw the PDF"
        with fresh.pdf.open("rb") as handle:
            text = pdf_text(handle.read())
        assert invoice.number in text and "USD 900.00" in text and "Concurrent Holdings" in text
        assert worker.poll() is None
    finally:
        _remove_committed([cast.org_a])


def test_a_real_worker_draws_and_emails_an_invoice_finalized_with_send(
    cast: Cast, celery_worker_process: Any
) -> None:
    from invoices.tests.test_numbering import _in_thread, _remove_committed

    def finalize() -> Invoice:
        customer = contact(cast, email="worker-billing@harbour.test", first_name="Concurrent")
        invoice = draft(cast, customer=customer)
        with org_context(cast.org_a):
            return services.invoice_finalize(org=cast.org_a, actor=cast.owner, invoice_id=invoice.pk, send=True)

    try:
        invoice = _in_thread(finalize)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and stored(invoice).sent_at is None:
            time.sleep(0.3)
        fresh = stored(invoice)
        assert fresh.pdf.name.endswith(f"{invoice.number}.pdf") and fresh.pdf_rendered_at is not None
        assert fresh.sent_at is not None, "the worker did not email the invoice"
        with org_context(cast.org_a):
            emailed = ActivityEntry.objects.get(target_id=invoice.pk, verb="emailed")
        assert emailed.changes["to"] == ["worker-billing@harbour.test"]
    finally:
        _remove_committed([cast.org_a])

        def remove_contact() -> None:
            from contacts.models import Contact

            with org_context(cast.org_a):
                Contact.objects.filter(email="worker-billing@harbour.test").delete()

        _in_thread(remove_contact)


def test_the_orgs_logo_is_drawn_on_the_pdf(cast: Cast) -> None:
    from django.core.files.base import ContentFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGBA", (400, 120), (20, 80, 160, 255)).save(buffer, format="PNG")
    cast.org_a.logo.save("logo.png", ContentFile(buffer.getvalue()), save=True)
    invoice = issued(cast)

    response = client_for(cast.owner).get(f"{INVOICES}{invoice.pk}/pdf/")

    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages[0].images) == 1
    assert invoice.number in pdf_text(response.content)


def test_the_demo_makes_invoices_payments_quotes_and_a_retainer(cast: Cast) -> None:
    from django.core.management import call_command

    from invoices.models import Payment, Quote, RecurringSchedule

    call_command("seed_demo", "--org", "alpha", stdout=io.StringIO())

    with org_context(cast.org_a):
        assert (
            Invoice.objects.exclude(status="draft").count() >= 5
            and Invoice.objects.filter(status="draft").exists()
        )
        assert Invoice.objects.filter(status="paid").exists() and Payment.objects.count() >= 3
        assert set(Quote.objects.values_list("status", flat=True)) == {"draft", "sent", "accepted", "declined"}
        retainer = RecurringSchedule.objects.get()
        assert retainer.issued_count == 1 and Invoice.objects.filter(schedule=retainer, status="open").exists()
