"""Web forms (admin CRUD, tokens shown once) and the public web-to-lead endpoint (form token or API key)."""

from __future__ import annotations

import pytest

from common.context import org_context
from leads.models import Lead, WebForm
from leads.services import web_form_create
from tenants.members.api_keys import api_key_create, api_key_revoke
from tenants.members.services import open_records_reassign
from tenants.models import Org
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.queries import assert_flat_query_count
from timeline.models import ActivityEntry, Notification

pytestmark = pytest.mark.django_db

FORMS = "/api/leads/forms/"
PUBLIC = "/api/public/leads/"
INVALID_TOKEN = {
    "code": "form_token_invalid",
    "detail": "The form token is invalid, or the form is no longer active.",
    "fields": {},
}


def _form(cast: Cast, **data) -> tuple[WebForm, str]:
    with org_context(cast.org_a):
        issued = web_form_create(org=cast.org_a, actor=cast.admin, data={"name": "Website", **data})
    return issued.form, issued.token


def _leads(cast: Cast, org=None) -> list[Lead]:
    with org_context(org or cast.org_a):
        return list(Lead.objects.order_by("created_at"))


def _verbs(cast: Cast, lead: Lead) -> list[tuple[str, dict]]:
    with org_context(cast.org_a):
        rows = ActivityEntry.objects.filter(target_type="leads.lead", target_id=lead.pk).order_by("created_at")
        return [(row.verb, row.changes) for row in rows]


# --- admin CRUD ---------------------------------------------------------------------------------------------


def test_admin_creates_a_form_and_sees_its_token_only_once(cast: Cast) -> None:
    client = client_for(cast.admin)

    created = client.post(
        FORMS,
        {"name": "Listing page", "default_assignee": str(cast.member.pk), "source": "website", "tags": ["Web"]},
        format="json",
    )

    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["token"].startswith(f"{cast.org_a.pk}.")
    assert (body["name"], body["default_assignee"], body["source"], body["tags"], body["is_active"]) == (
        "Listing page", str(cast.member.pk), "website", ["web"], True,
    )  # fmt: skip
    shown_again = client.get(f"{FORMS}{body['id']}/").json()
    assert "token" not in shown_again
    assert [row["id"] for row in client.get(FORMS).json()["results"]] == [body["id"]]
    with org_context(cast.org_a):
        stored = WebForm.objects.get()
    assert body["token"] not in stored.token_hash and len(stored.token_hash) == 64


def test_only_admins_manage_forms_and_other_orgs_get_404(cast: Cast) -> None:
    form, _ = _form(cast)

    assert client_for(cast.manager).get(FORMS).status_code == 403
    assert client_for(cast.manager).post(FORMS, {"name": "X"}, format="json").status_code == 403
    assert client_for(cast.member).patch(f"{FORMS}{form.pk}/", {"name": "X"}, format="json").status_code == 403
    assert client_for(cast.other_owner).get(f"{FORMS}{form.pk}/").status_code == 404
    assert client_for(cast.other_owner).delete(f"{FORMS}{form.pk}/").status_code == 404
    assert client_for(cast.other_owner).get(FORMS).json()["count"] == 0
    with org_context(cast.org_a):
        assert list(WebForm.objects.values_list("name", flat=True)) == ["Website"]


def test_a_default_assignee_from_another_org_is_a_field_error(cast: Cast) -> None:
    response = client_for(cast.admin).post(
        FORMS, {"name": "X", "default_assignee": str(cast.other_owner.pk)}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "default_assignee": [
            {"code": "does_not_exist", "detail": f'Invalid pk "{cast.other_owner.pk}" - object does not exist.'}
        ]
    }
    with org_context(cast.org_a):
        assert WebForm.objects.count() == 0


def test_a_forged_org_or_token_in_a_form_body_is_refused_and_a_forged_author_ignored(cast: Cast) -> None:
    forged = client_for(cast.admin).post(
        FORMS, {"name": "X", "org": str(cast.org_b.pk), "token_hash": "0" * 64}, format="json"
    )
    body = {"name": "Y", "created_by": str(cast.other_owner.pk)}
    authored = client_for(cast.admin).post(FORMS, body, format="json")

    assert (forged.status_code, forged.json()["code"]) == (400, "unknown_field")
    assert set(forged.json()["fields"]) == {"org", "token_hash"}
    with org_context(cast.org_a):
        form = WebForm.objects.get()
    assert (form.name, form.org_id, form.created_by_id) == ("Y", cast.org_a.pk, cast.admin.pk)
    assert authored.json()["id"] == str(form.pk)


def test_rotating_the_token_stops_the_old_one(cast: Cast) -> None:
    form, old = _form(cast)

    rotated = client_for(cast.admin).post(f"{FORMS}{form.pk}/rotate-token/")
    new = rotated.json()["token"]

    assert rotated.status_code == 200 and new != old
    anonymous = client_for(None)
    assert (
        anonymous.post(PUBLIC, {"form_token": old, "email": "a@example.test", "first_name": "A"}).status_code
        == 401
    )
    assert (
        anonymous.post(PUBLIC, {"form_token": new, "email": "a@example.test", "first_name": "A"}).status_code
        == 201
    )


def test_deactivated_or_deleted_forms_stop_taking_submissions_and_keep_their_leads(cast: Cast) -> None:
    form, token = _form(cast)
    admin = client_for(cast.admin)
    anonymous = client_for(None)
    body = {"form_token": token, "email": "a@example.test", "first_name": "A"}
    assert anonymous.post(PUBLIC, body, format="json").status_code == 201

    admin.patch(f"{FORMS}{form.pk}/", {"is_active": False}, format="json")
    inactive = anonymous.post(PUBLIC, body, format="json")
    admin.delete(f"{FORMS}{form.pk}/")
    deleted = anonymous.post(PUBLIC, body, format="json")

    assert (inactive.status_code, inactive.json()) == (401, INVALID_TOKEN)
    assert (deleted.status_code, deleted.json()) == (401, INVALID_TOKEN)
    assert len(_leads(cast)) == 1


# --- public submissions -------------------------------------------------------------------------------------


def test_a_well_formed_submission_creates_a_lead_for_the_forms_assignee(cast: Cast) -> None:
    """A web-to-lead form works end to end, with no user and no org header."""
    _, token = _form(cast, default_assignee_id=cast.member.pk, source="website", tags=["web"])
    body = {"form_token": token, "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.test",
            "phone": "+1 555 0100", "company_name": "Engines", "description": "Looking for a 2-bed flat.",
            "website_url": ""}  # fmt: skip

    response = client_for(None).post(PUBLIC, body, format="json")

    assert response.status_code == 201, response.json()
    [lead] = _leads(cast)
    assert response.json() == {"id": str(lead.pk)}
    assert (lead.first_name, lead.last_name, lead.email, lead.phone, lead.company_name, lead.description) == (
        "Ada", "Lovelace", "ada@example.test", "+1 555 0100", "Engines", "Looking for a 2-bed flat.",
    )  # fmt: skip
    assert (lead.created_by_id, lead.assigned_to, lead.source, lead.tags, lead.status, lead.currency) == (
        cast.member.pk, [cast.member.pk], "website", ["web"], "new", cast.org_a.currency,
    )  # fmt: skip
    with org_context(cast.org_a):
        form = WebForm.objects.get()
    assert _verbs(cast, lead) == [("created", {"via": "web_form", "form_id": str(form.pk), "form": "Website"})]
    with org_context(cast.org_a):
        assert list(Notification.objects.values_list("recipient_id", "kind")) == [(cast.member.pk, "assigned")]
    assert client_for(cast.member).get(f"/api/leads/{lead.pk}/").status_code == 200


def test_a_plain_html_form_post_works_too(cast: Cast) -> None:
    _, token = _form(cast)

    response = client_for(None).post(PUBLIC, {"form_token": token, "first_name": "Ada", "phone": "555 0100"})

    assert response.status_code == 201
    [lead] = _leads(cast)
    assert (lead.first_name, lead.phone, lead.created_by_id, lead.assigned_to, lead.source) == (
        "Ada", "555 0100", None, [], "web_form",
    )  # fmt: skip


def test_a_malformed_submission_gets_field_errors_and_stores_nothing(cast: Cast) -> None:
    _, token = _form(cast)

    bad_email = client_for(None).post(
        PUBLIC, {"form_token": token, "first_name": "Ada", "email": "not-an-email"}, format="json"
    )
    no_way_back = client_for(None).post(PUBLIC, {"form_token": token, "first_name": "Ada"}, format="json")
    nameless = client_for(None).post(PUBLIC, {"form_token": token, "email": "a@example.test"}, format="json")

    assert bad_email.status_code == 400
    assert bad_email.json() == {
        "code": "invalid",
        "detail": "Enter a valid email address.",
        "fields": {"email": [{"code": "invalid", "detail": "Enter a valid email address."}]},
    }
    detail = "Give an email or a phone number so we can get back to you."
    assert no_way_back.json() == {
        "code": "required",
        "detail": "The request has invalid fields.",
        "fields": {
            "email": [{"code": "required", "detail": detail}],
            "phone": [{"code": "required", "detail": detail}],
        },
    }
    assert nameless.json()["fields"] == {
        "last_name": [{"code": "required", "detail": "Give your name or your company's name."}]
    }
    assert _leads(cast) == []


def test_the_honeypot_answers_like_a_success_and_stores_nothing(cast: Cast) -> None:
    _, token = _form(cast)

    response = client_for(None).post(
        PUBLIC,
        {"form_token": token, "first_name": "Bot", "email": "bot@spam.test", "website_url": "http://spam.test"},
        format="json",
    )

    assert response.status_code == 201
    assert set(response.json()) == {"id"}
    assert _leads(cast) == []
    with org_context(cast.org_a):
        assert ActivityEntry.objects.count() == 0


def test_a_repeat_email_fills_the_open_lead_instead_of_duplicating_it(cast: Cast) -> None:
    form, token = _form(cast, tags=["web"])
    with org_context(cast.org_a):
        existing = Lead.objects.create(org=cast.org_a, first_name="Ada", email="ada@example.test", phone="",
                                       status="contacted", created_by=cast.owner)  # fmt: skip
    body = {"form_token": token, "first_name": "Eve", "email": "ADA@example.test", "phone": "555 0100",
            "description": "Still interested?"}  # fmt: skip

    response = client_for(None).post(PUBLIC, body, format="json")

    assert response.json() == {"id": str(existing.pk)}
    [lead] = _leads(cast)
    assert (lead.first_name, lead.phone, lead.description, lead.tags, lead.status) == (
        "Ada", "555 0100", "Still interested?", ["web"], "contacted",
    )  # fmt: skip
    assert _verbs(cast, lead)[-1] == (
        "web_form_repeat",
        {"via": "web_form", "form_id": str(form.pk), "form": "Website", "filled": ["description", "phone", "tags"],
         "submitted": {"first_name": "Eve", "email": "ADA@example.test", "phone": "555 0100",
                       "description": "Still interested?"}},
    )  # fmt: skip


@pytest.mark.parametrize("status", ["converted", "lost"])
def test_a_repeat_email_of_a_closed_lead_makes_a_new_lead(cast: Cast, status: str) -> None:
    _, token = _form(cast)
    with org_context(cast.org_a):
        Lead.objects.create(org=cast.org_a, first_name="Ada", email="ada@example.test", status=status,
                            converted_at=cast.org_a.created_at if status == "converted" else None)  # fmt: skip

    response = client_for(None).post(
        PUBLIC, {"form_token": token, "first_name": "Ada", "email": "ada@example.test"}
    )

    assert response.status_code == 201
    assert [lead.status for lead in _leads(cast)] == [status, "new"]


def test_the_submitter_cannot_choose_the_org_owner_status_or_assignees(cast: Cast) -> None:
    _, token = _form(cast)
    forged = {"form_token": token, "first_name": "Ada", "email": "ada@example.test", "org": str(cast.org_b.pk),
              "created_by": str(cast.owner.pk), "assigned_to": [str(cast.owner.pk)], "status": "qualified",
              "id": "00000000-0000-7000-8000-000000000009", "tags": ["x"]}  # fmt: skip

    client_for(None).post(PUBLIC, forged, format="json")

    [lead] = _leads(cast)
    assert (lead.org_id, lead.created_by_id, lead.assigned_to, lead.status, lead.tags) == (
        cast.org_a.pk, None, [], "new", [],
    )  # fmt: skip
    assert _leads(cast, cast.org_b) == []


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "00000000-0000-7000-8000-000000000009.secret", "{org}.wrong-secret", "{other_org}.{secret}"],
)
def test_a_bad_token_is_401_with_one_answer_for_every_kind_of_bad(cast: Cast, token: str) -> None:
    _, good = _form(cast)
    token = token.format(org=cast.org_a.pk, other_org=cast.org_b.pk, secret=good.partition(".")[2])

    response = client_for(None).post(PUBLIC, {"form_token": token, "first_name": "A", "email": "a@example.test"})

    assert response.status_code == 401
    if token:
        assert response.json() == INVALID_TOKEN
    else:
        assert response.json() == {
            "code": "credentials_required",
            "detail": "Send the form's `form_token`, or an `Authorization: Api-Key ...` header.",
            "fields": {},
        }
    assert _leads(cast) == [] and _leads(cast, cast.org_b) == []


def test_a_suspended_org_takes_no_submissions(cast: Cast) -> None:
    _, token = _form(cast)
    Org.objects.filter(pk=cast.org_a.pk).update(status="suspended")

    response = client_for(None).post(PUBLIC, {"form_token": token, "first_name": "A", "email": "a@example.test"})

    assert (response.status_code, response.json()) == (401, INVALID_TOKEN)
    assert _leads(cast) == []


def test_submissions_are_throttled_per_ip(cast: Cast, settings) -> None:
    settings.WEB_TO_LEAD_PER_IP_PER_MINUTE = 2
    _, token = _form(cast)
    client = client_for(None)

    answers = [
        client.post(PUBLIC, {"form_token": token, "first_name": "A", "email": f"a{i}@example.test"})
        for i in range(3)
    ]

    assert [answer.status_code for answer in answers] == [201, 201, 429]
    assert answers[2].json()["code"] == "throttled"
    assert int(answers[2]["Retry-After"]) >= 1
    assert len(_leads(cast)) == 2
    other_ip = client_for(None).post(
        PUBLIC, {"form_token": token, "first_name": "A", "email": "z@example.test"}, REMOTE_ADDR="10.0.0.9"
    )
    assert other_ip.status_code == 201


def test_submissions_are_throttled_per_form(cast: Cast, settings) -> None:
    settings.WEB_TO_LEAD_PER_FORM_PER_HOUR = 1
    _, token = _form(cast)
    _, other_token = _form(cast)

    first = client_for(None).post(PUBLIC, {"form_token": token, "first_name": "A", "email": "a@example.test"})
    second = client_for(None).post(
        PUBLIC, {"form_token": token, "first_name": "B", "email": "b@example.test"}, REMOTE_ADDR="10.0.0.2"
    )
    other_form = client_for(None).post(
        PUBLIC, {"form_token": other_token, "first_name": "C", "email": "c@example.test"}, REMOTE_ADDR="10.0.0.3"
    )

    assert [first.status_code, second.status_code, other_form.status_code] == [201, 429, 201]
    assert [lead.first_name for lead in _leads(cast)] == ["A", "C"]


def test_a_body_that_is_not_an_object_is_a_400(cast: Cast) -> None:
    response = client_for(None).post(PUBLIC, [{"first_name": "A"}], format="json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "Send the fields as a JSON object or as form fields.",
        "fields": {},
    }


# --- API keys -----------------------------------------------------------------------------------------------


def test_an_api_key_of_a_member_or_above_creates_leads_as_its_creator(cast: Cast) -> None:
    issued = api_key_create(org=cast.org_a, actor=cast.manager, name="Zapier", role="member")
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {issued.secret}")

    response = client.post(PUBLIC, {"first_name": "Ada", "email": "ada@example.test"}, format="json")

    assert response.status_code == 201, response.json()
    [lead] = _leads(cast)
    assert (lead.created_by_id, lead.updated_by_id, lead.source, lead.assigned_to) == (
        cast.manager.pk, cast.manager.pk, "api", [],
    )  # fmt: skip
    assert _verbs(cast, lead) == [("created", {"via": "api_key"})]


def test_a_valid_api_key_is_throttled_by_key_not_by_address(cast: Cast, settings) -> None:
    settings.WEB_TO_LEAD_PER_IP_PER_MINUTE = 1
    settings.WEB_TO_LEAD_PER_FORM_PER_HOUR = 2
    issued = api_key_create(org=cast.org_a, actor=cast.owner, name="Zapier", role="member")
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {issued.secret}")

    codes = [
        client.post(PUBLIC, {"first_name": "A", "email": f"a{i}@example.test"}, format="json").status_code
        for i in range(3)
    ]

    assert codes == [201, 201, 429]
    assert len(_leads(cast)) == 2


def test_failed_api_keys_count_against_the_address(cast: Cast, settings) -> None:
    settings.WEB_TO_LEAD_PER_IP_PER_MINUTE = 2
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION="Api-Key ksk_abc_guess")

    codes = [client.post(PUBLIC, {"first_name": "A"}, format="json").status_code for _ in range(3)]

    assert codes == [401, 401, 429]


def test_a_viewer_api_key_cannot_create_leads(cast: Cast) -> None:
    issued = api_key_create(org=cast.org_a, actor=cast.owner, name="Read only", role="viewer")
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {issued.secret}")

    response = client.post(PUBLIC, {"first_name": "Ada", "email": "ada@example.test"}, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "code": "permission_denied",
        "detail": "This API key's role cannot create leads; it needs member or above.",
        "fields": {},
    }
    assert _leads(cast) == []


def test_a_revoked_or_made_up_api_key_is_401(cast: Cast) -> None:
    issued = api_key_create(org=cast.org_a, actor=cast.owner, name="Old", role="member")
    api_key_revoke(org=cast.org_a, key_id=issued.api_key.pk)
    expected = {"code": "api_key_invalid", "detail": "The API key is invalid, revoked or expired.", "fields": {}}

    for secret in (issued.secret, "ksk_abc_def"):
        client = client_for(None)
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
        response = client.post(PUBLIC, {"first_name": "Ada", "email": "ada@example.test"}, format="json")
        assert (response.status_code, response.json()) == (401, expected)
    assert _leads(cast) == []


# --- member removal -----------------------------------------------------------------------------------------


def test_removing_a_member_hands_their_open_leads_and_forms_to_another(cast: Cast) -> None:
    form, _ = _form(cast, default_assignee_id=cast.member.pk)
    with org_context(cast.org_a):
        open_lead = Lead.objects.create(org=cast.org_a, first_name="Open", assigned_to=[cast.member.pk])
        lost = Lead.objects.create(org=cast.org_a, first_name="Lost", status="lost", assigned_to=[cast.member.pk])

        moved = open_records_reassign(org=cast.org_a, from_profile=cast.member, to_profile=cast.manager)

        assert moved["leads"] == 2
        assert Lead.objects.get(pk=open_lead.pk).assigned_to == [cast.manager.pk]
        assert Lead.objects.get(pk=lost.pk).assigned_to == [cast.member.pk]
        assert WebForm.objects.get(pk=form.pk).default_assignee_id == cast.manager.pk


def test_form_list_costs_the_same_queries_for_1_form_and_50(cast: Cast) -> None:
    _form(cast, name="Form 0", default_assignee_id=cast.member.pk, tags=["web"])
    client = client_for(cast.admin)

    def more() -> None:
        with org_context(cast.org_a):
            WebForm.objects.bulk_create(
                [
                    WebForm(org=cast.org_a, name=f"Form {i:02}", token_hash=f"{i:064}", created_by=cast.admin,
                            default_assignee_id=cast.member.pk, tags=["web"])
                    for i in range(1, 50)
                ]
            )  # fmt: skip

    queries = assert_flat_query_count(lambda: client.get(FORMS, {"page_size": 50}), more)

    assert queries <= 4
    body = client.get(FORMS, {"page_size": 50}).json()
    assert body["count"] == 50
    assert (body["results"][0]["name"], body["results"][0]["default_assignee"]) == ("Form 0", str(cast.member.pk))
