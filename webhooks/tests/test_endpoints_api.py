"""Endpoints over the API (admins): SSRF-safe URLs, known event types, strict bodies, rotation and the test
event; the outbox written in the change's own transaction; another org's endpoints and deliveries are 404."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import override_settings

from common.context import org_context
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.queries import assert_flat_query_count
from webhooks import network, signing
from webhooks.delivery import live_secrets, request_for
from webhooks.models import Delivery, Endpoint, Event
from webhooks.tests import helpers as h

pytestmark = pytest.mark.django_db
URL = "/api/webhooks/endpoints/"
NOT_FOUND = {"code": "not_found", "detail": "Not found.", "fields": {}}


def test_standard_webhooks_reference_signature() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    assert (
        signing.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def _inside(host: str, address: str) -> str:
    return f"The host {host} points at an address that cannot receive webhooks ({address})."


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("http://example.com/hook", "Only https URLs can receive webhooks."),
        ("https://10.1.2.3/hook", _inside("10.1.2.3", "10.1.2.3")),
        ("https://192.168.0.7/", _inside("192.168.0.7", "192.168.0.7")),
        ("https://169.254.169.254/latest/meta-data", _inside("169.254.169.254", "169.254.169.254")),
        ("https://100.64.0.1/", _inside("100.64.0.1", "100.64.0.1")),
        ("https://127.0.0.1/", _inside("127.0.0.1", "127.0.0.1")),
        ("https://[::1]/", _inside("::1", "::1")),
        ("https://[::ffff:10.0.0.1]/", _inside("::ffff:10.0.0.1", "::ffff:a00:1")),
        ("https://user:pw@example.com/", "A webhook URL cannot carry a user name or password."),
        ("https://does-not-exist.invalid/", "The host does-not-exist.invalid does not resolve."),
    ],
)
def test_urls_pointing_inside_are_refused(cast: Cast, url: str, detail: str) -> None:
    response = client_for(cast.admin).post(URL, {"url": url, "event_types": ["contact.created"]}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "url_not_allowed",
        "detail": detail,
        "fields": {"url": [{"code": "url_not_allowed", "detail": detail}]},
    }
    with org_context(cast.org_a):
        assert not Endpoint.objects.exists()


def test_loopback_hostname_is_refused_again_at_connect_time() -> None:
    # The name is resolved when the socket connects, and that address is the one checked.
    with override_settings(WEBHOOKS_ALLOW_LOOPBACK=False):
        outcome = network.post("https://localhost:9/hook", b"{}", {}, timeout=1)
    assert outcome.status_code is None
    assert outcome.error.startswith("refused: The host localhost points at an address that cannot receive")


def test_unknown_event_types_and_unknown_fields_are_400(cast: Cast) -> None:
    admin = client_for(cast.admin)
    unknown = admin.post(URL, {"url": "https://93.184.215.14/h", "event_types": ["contact.eaten"]}, format="json")
    extra = admin.post(
        URL, {"url": "https://93.184.215.14/h", "event_types": ["contact.created"], "org": "x"}, format="json"
    )
    assert unknown.json() == {
        "code": "invalid_choice",
        "detail": "Unknown event types: contact.eaten.",
        "fields": {"event_types": [{"code": "invalid_choice", "detail": "Unknown event types: contact.eaten."}]},
    }
    assert extra.status_code == 400 and extra.json()["code"] == "unknown_field"
    assert extra.json()["fields"] == {"org": [{"code": "unknown_field", "detail": "This field is not known."}]}


@override_settings(WEBHOOKS_ALLOW_LOOPBACK=True)
def test_create_rotate_and_change_an_endpoint(cast: Cast) -> None:
    admin = client_for(cast.admin)
    created = admin.post(
        URL,
        {"url": "http://127.0.0.1:9/hook", "event_types": ["deal.won", "contact.created"], "description": "Zap"},
        format="json",
    )
    assert created.status_code == 201
    body = created.json()
    assert body["event_types"] == ["contact.created", "deal.won"]
    assert body["secret"].startswith("whsec_") and body["is_active"] is True
    rotated = admin.post(f"{URL}{body['id']}/rotate-secret/").json()
    assert rotated["secret"] != body["secret"] and rotated["previous_secret_expires_at"] is not None
    with org_context(cast.org_a):
        endpoint = Endpoint.objects.get(pk=body["id"])
        assert live_secrets(endpoint) == [rotated["secret"], body["secret"]]
    paused = admin.patch(f"{URL}{body['id']}/", {"is_active": False}, format="json").json()
    assert (paused["is_active"], paused["disabled_reason"]) == (False, "Disabled by an admin.")
    assert admin.get("/api/webhooks/event-types/").json()["event_types"][:6] == [
        "contact.created", "contact.updated", "contact.status_changed", "contact.archived", "contact.restored",
        "contact.deleted",
    ]  # fmt: skip


def test_a_change_writes_its_events_in_its_own_transaction(cast: Cast) -> None:
    wanted = ["contact.created", "contact.deleted", "contact.updated"]
    hook = h.endpoint(cast.org_a, "https://93.184.215.14/a", wanted)
    other = h.endpoint(cast.org_a, "https://93.184.215.14/b", ["deal.won"])
    with pytest.raises(RuntimeError), transaction.atomic():
        h.contact_create(cast.org_a, cast.owner, "rolled@example.test")
        raise RuntimeError("the change fails")
    with org_context(cast.org_a):
        assert not Event.objects.exists()
    contact = h.contact_create(cast.org_a, cast.owner, "kept@example.test")
    client_for(cast.owner).patch(f"/api/contacts/{contact.pk}/", {"title": "CEO"}, format="json")
    client_for(cast.owner).delete(f"/api/contacts/{contact.pk}/")
    client_for(cast.owner).post(f"/api/contacts/{contact.pk}/purge/")
    with org_context(cast.org_a):
        rows = list(Delivery.objects.order_by("id").select_related("event"))
        assert [(d.endpoint_id, d.event.event_type) for d in rows] == [
            (hook.pk, "contact.created"),
            (hook.pk, "contact.updated"),
            (hook.pk, "contact.deleted"),
        ]
        created = rows[0].event.payload
        assert created["data"]["record"]["email"] == "kept@example.test"
        assert created["data"]["id"] == str(contact.pk) and created["data"]["actor_id"] == str(cast.owner.pk)
        assert rows[1].event.payload["data"]["changes"] == {"title": ["", "CEO"]}
        assert not Delivery.objects.filter(endpoint=other).exists()
        body, headers = request_for(hook, rows[0])
        assert signing.verify(hook.secret, headers, body)
        assert headers["webhook-id"] == f"msg_{rows[0].event_id.hex}"


def test_another_orgs_change_never_reaches_this_orgs_endpoint(cast: Cast) -> None:
    mine = h.endpoint(cast.org_a, "https://93.184.215.14/a", ["contact.created"])
    h.endpoint(cast.org_b, "https://93.184.215.14/b", ["contact.created"])
    h.contact_create(cast.org_b, cast.other_owner, "theirs@example.test")
    with org_context(cast.org_a):
        assert not Delivery.objects.filter(endpoint=mine).exists()
    with org_context(cast.org_b):
        assert Delivery.objects.count() == 1


def test_another_orgs_endpoint_and_delivery_are_the_same_404_as_random_ids(cast: Cast) -> None:
    theirs = h.endpoint(cast.org_b, "https://93.184.215.14/b", ["contact.created"])
    h.contact_create(cast.org_b, cast.other_owner, "theirs@example.test")
    with org_context(cast.org_b):
        delivery = Delivery.objects.get()
    admin = client_for(cast.owner)
    for method, path in [
        ("get", f"{URL}{theirs.pk}/"),
        ("patch", f"{URL}{theirs.pk}/"),
        ("delete", f"{URL}{theirs.pk}/"),
        ("post", f"{URL}{theirs.pk}/rotate-secret/"),
        ("post", f"{URL}{theirs.pk}/test/"),
        ("get", f"{URL}{theirs.pk}/deliveries/"),
        ("get", f"/api/webhooks/deliveries/{delivery.pk}/"),
        ("post", f"/api/webhooks/deliveries/{delivery.pk}/redeliver/"),
    ]:
        response = getattr(admin, method)(path, {}, format="json")
        assert (response.status_code, response.json()) == (404, NOT_FOUND), path
    assert admin.get(URL).json()["count"] == 0
    with org_context(cast.org_b):
        assert Endpoint.objects.get(pk=theirs.pk).secret == theirs.secret


def test_lists_cost_the_same_queries_for_one_row_and_many(cast: Cast) -> None:
    hook = h.endpoint(cast.org_a, "https://93.184.215.14/a", ["contact.created"])
    h.contact_create(cast.org_a, cast.owner, "one@example.test")
    admin = client_for(cast.admin)

    rounds = iter(range(2))

    def grow() -> None:
        round_ = next(rounds)
        for n in range(5):
            h.endpoint(cast.org_a, f"https://93.184.215.14/{round_}-{n}", ["contact.created"])
        for n in range(5):
            h.contact_create(cast.org_a, cast.owner, f"more-{round_}-{n}@example.test")

    assert_flat_query_count(lambda: admin.get(URL), grow)
    assert_flat_query_count(lambda: admin.get(f"{URL}{hook.pk}/deliveries/"), grow)


def test_a_completed_send_raises_its_event(cast: Cast) -> None:
    from emailing.sending import send_complete_if_done
    from emailing.tests import helpers as emailing

    hook = h.endpoint(cast.org_a, "https://93.184.215.14/sends", ["email_send.completed"])
    segment = emailing.segment_everyone(cast.org_a)
    send = emailing.draft(cast.org_a, cast.owner, [segment], status="sending")
    with org_context(cast.org_a):
        assert send_complete_if_done(org=cast.org_a, send_id=send.pk) is True
        delivery = Delivery.objects.select_related("event").get(endpoint=hook)
    assert delivery.event.event_type == "email_send.completed"
    assert delivery.event.payload["data"]["id"] == str(send.pk)
    assert delivery.event.payload["data"]["record"]["status"] == "completed"
