"""The payment provider's callback, signed in the test with the org's secret (HMAC-SHA256 over "<t>.<body>") and
posted to the public route: it records a payment once per event id; a forged, stale or replayed callback, or one
naming another org's invoice, changes nothing."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from common.context import org_context
from invoices.models import Payment, ProviderEvent
from invoices.org_settings import invoice_settings_of
from invoices.tests.helpers import issued, stored
from properties.media.signatures import signature_header
from tenants.models import AuditEvent, Org
from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db


def _url(org: Org) -> str:
    return f"/api/public/orgs/{org.pk}/payment-events/"


def _secret(org: Org) -> str:
    with org_context(org):
        return invoice_settings_of(org).webhook_secret


def _post(org: Org, event: dict[str, Any], *, secret: str | None = None, timestamp: int | None = None) -> Any:
    body = json.dumps(event).encode()
    header = signature_header(secret if secret is not None else _secret(org), body, timestamp=timestamp)
    return client_for(None).post(
        _url(org), body, content_type="application/json", HTTP_X_KEYSTONE_SIGNATURE=header
    )


def _event(invoice: Any, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": "evt_1001",
        "type": "payment.succeeded",
        "invoice_id": str(invoice.pk),
        "amount": "100.00",
        "currency": "USD",
        "reference": "ch_3Pq",
        "payer": "Harbour Holdings",
        **fields,
    }


def _payments(org: Org) -> int:
    with org_context(org):
        return Payment.objects.count()


def test_a_signed_event_records_a_payment_against_the_invoice_it_names(cast: Cast) -> None:
    invoice = issued(cast)

    response = _post(cast.org_a, _event(invoice, amount="40.00"))

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "recorded"
    fresh = stored(invoice)
    assert (fresh.status, str(fresh.amount_paid), str(fresh.balance_due)) == ("partially_paid", "40.00", "60.00")
    with org_context(cast.org_a):
        payment = Payment.objects.get()
        assert (payment.method, payment.reference, payment.payer) == ("provider", "ch_3Pq", "Harbour Holdings")
        assert ProviderEvent.objects.get().payment_id == payment.pk
    audit = AuditEvent.objects.get(action="payment_recorded")
    assert (audit.details["source"], audit.actor_email) == ("provider", "")


def test_the_same_event_again_changes_nothing(cast: Cast) -> None:
    invoice = issued(cast)
    _post(cast.org_a, _event(invoice, amount="40.00"))

    again = _post(cast.org_a, _event(invoice, amount="40.00"))

    assert (again.status_code, again.json()) == (200, {"status": "duplicate", "payment_id": None})
    assert _payments(cast.org_a) == 1
    assert str(stored(invoice).amount_paid) == "40.00"


def test_a_forged_or_stale_or_unsigned_callback_is_refused_and_changes_nothing(cast: Cast) -> None:
    invoice = issued(cast)
    body = json.dumps(_event(invoice)).encode()

    forged = _post(cast.org_a, _event(invoice), secret="whsec_guessed")
    stale = _post(cast.org_a, _event(invoice), timestamp=int(time.time()) - 3600)
    unsigned = client_for(None).post(_url(cast.org_a), body, content_type="application/json")
    tampered_header = signature_header(_secret(cast.org_a), body)
    tampered = client_for(None).post(
        _url(cast.org_a),
        body.replace(b"100.00", b"999.00"),
        content_type="application/json",
        HTTP_X_KEYSTONE_SIGNATURE=tampered_header,
    )

    assert (forged.status_code, forged.json()["code"]) == (401, "signature_invalid")
    assert (stale.status_code, stale.json()["code"]) == (401, "signature_expired")
    assert (unsigned.status_code, unsigned.json()["code"]) == (401, "signature_missing")
    assert (tampered.status_code, tampered.json()["code"]) == (401, "signature_invalid")
    assert _payments(cast.org_a) == 0
    with org_context(cast.org_a):
        assert not ProviderEvent.objects.exists()


def test_another_orgs_secret_or_invoice_changes_nothing(cast: Cast) -> None:
    ours, theirs = issued(cast), issued(cast, org=cast.org_b)

    with_their_secret = _post(cast.org_a, _event(ours), secret=_secret(cast.org_b))
    their_invoice = _post(cast.org_a, _event(theirs, event_id="evt_2"))

    assert with_their_secret.status_code == 401
    assert (their_invoice.status_code, their_invoice.json()["fields"]) == (
        400,
        {
            "invoice_id": [
                {"code": "does_not_exist", "detail": f'Invalid pk "{theirs.pk}" - object does not exist.'}
            ]
        },
    )
    assert _payments(cast.org_a) == _payments(cast.org_b) == 0
    with org_context(cast.org_a):
        assert not ProviderEvent.objects.exists()  # the refused event is not kept, so a fixed retry still counts


def test_a_payment_beyond_the_balance_is_the_customers_credit(cast: Cast) -> None:
    invoice = issued(cast)

    response = _post(cast.org_a, _event(invoice, amount="150.00"))

    assert response.json()["status"] == "recorded"
    fresh = stored(invoice)
    assert (fresh.status, str(fresh.amount_paid), str(fresh.balance_due)) == ("paid", "100.00", "0.00")
    with org_context(cast.org_a):
        from invoices.models import CreditEntry

        assert [str(row.amount) for row in CreditEntry.objects.all()] == ["50.00"]


def test_a_rotated_secret_retires_the_old_one(cast: Cast) -> None:
    invoice = issued(cast)
    old = _secret(cast.org_a)

    rotated = client_for(cast.admin).post("/api/invoice-settings/webhook-secret/", {}, format="json")
    refused = _post(cast.org_a, _event(invoice), secret=old)
    accepted = _post(cast.org_a, _event(invoice), secret=rotated.json()["webhook_secret"])

    assert rotated.json()["webhook_url"].endswith(_url(cast.org_a))
    assert (refused.status_code, accepted.status_code) == (401, 200)


def test_other_event_types_are_kept_and_ignored(cast: Cast) -> None:
    invoice = issued(cast)

    response = _post(cast.org_a, {"event_id": "evt_9", "type": "payment.pending", "invoice_id": str(invoice.pk)})

    assert response.json() == {"status": "ignored", "payment_id": None}
    assert _payments(cast.org_a) == 0
