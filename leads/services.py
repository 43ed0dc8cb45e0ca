"""Leads: the status machine, conversion into contact/company/deal, bulk changes, web forms and web-to-lead."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from rest_framework import status

from common.context import org_context
from common.errors import ApiError, Conflict, NotFound
from common.models import Profile, Role
from contacts.models import Company, Contact
from deals.services import deal_create_from_lead
from leads.models import (
    CONVERTIBLE_STATUSES,
    OPEN_STATUSES,
    STATUS_TRANSITIONS,
    Lead,
    LeadSource,
    LeadStatus,
    WebForm,
)
from records import services as records
from records.fields import active_profiles_of
from records.visibility import may_write
from tenants.models import Org, OrgStatus
from tenants.pipeline.credentials import api_key_caller, api_key_find

# What may still change on a converted lead: how it is filed, not what it says.
EDITABLE_WHEN_CONVERTED = frozenset({"tags", "assigned_to", "custom_fields", "tags_add", "tags_remove"})
# A repeat web submission fills these on the open lead when they are blank there.
_FILLABLE_FROM_WEB = ("first_name", "last_name", "phone", "title", "company_name", "website", "industry",
                      "description")  # fmt: skip


# --- status machine -----------------------------------------------------------------------------------------


def _transition_error(old: str, new: str) -> ApiError:
    if new == LeadStatus.CONVERTED:
        detail = "A lead becomes converted only by converting it (POST /api/leads/<id>/convert/)."
    elif old == LeadStatus.CONVERTED:
        detail = "A converted lead keeps its status."
    else:
        allowed = ", ".join(sorted(STATUS_TRANSITIONS[old])) or "none"
        detail = f"A lead cannot move from {old} to {new}. From {old} it can move to: {allowed}."
    return ApiError(
        detail,
        code="status_transition_invalid",
        fields={"status": [{"code": "status_transition_invalid", "detail": detail}]},
    )


def _check_status_move(lead: Lead, new_status: str) -> None:
    if new_status != lead.status and new_status not in STATUS_TRANSITIONS[LeadStatus(lead.status)]:
        raise _transition_error(lead.status, new_status)


def _check_converted_edit(lead: Lead, data: dict[str, Any]) -> None:
    if lead.status != LeadStatus.CONVERTED:
        return
    changed = sorted(
        name
        for name, value in data.items()
        if name not in EDITABLE_WHEN_CONVERTED and getattr(lead, name) != value
    )
    if changed:
        detail = "A converted lead is read-only except its tags, assignees and custom fields."
        fields = {name: [{"code": "lead_converted", "detail": detail}] for name in changed}
        raise Conflict(detail, code="lead_converted", fields=fields)


# --- create, update, bulk -----------------------------------------------------------------------------------


def lead_create(*, org: Org, actor: Profile, data: dict[str, Any]) -> Lead:
    data = {"currency": org.currency, **data}
    if data.get("status") == LeadStatus.CONVERTED:
        raise _transition_error(LeadStatus.NEW, LeadStatus.CONVERTED)
    with transaction.atomic():
        return records.record_create(model=Lead, org=org, actor=actor, data=data)


def leads_create_many(*, org: Org, actor: Profile, datas: list[dict[str, Any]]) -> list[Lead]:
    """`lead_create` for many new leads at once (an import batch, which sets no status): the org's currency by
    default."""
    datas = [{"currency": org.currency, **data} for data in datas]
    return records.records_create_many(model=Lead, org=org, actor=actor, datas=datas)


def lead_change(*, org: Org, actor: Profile, record: Lead, data: dict[str, Any]) -> None:
    """The lead rules on a locked lead (a PATCH or one lead of a bulk): a status move must be allowed from the
    lead's status, and a converted lead takes only filing changes (tags, assignees, custom fields)."""
    _check_converted_edit(record, {name: value for name, value in data.items() if name != "status"})
    _check_status_move(record, data.get("status", record.status))
    records.apply_changes(record, actor, data)


def lead_bulk_changes_check(changes: dict[str, Any]) -> None:
    """`converted` is refused for a whole bulk request: only conversion makes a lead converted."""
    if changes.get("status") == LeadStatus.CONVERTED:
        raise _transition_error(LeadStatus.NEW, LeadStatus.CONVERTED)


def lead_update(
    *, org: Org, actor: Profile, record_id: Any, data: dict[str, Any], if_match: str | None = None
) -> Lead:
    return records.record_update(
        model=Lead, org=org, actor=actor, record_id=record_id, data=data, if_match=if_match, change=lead_change
    )


# --- conversion ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conversion:
    lead: Lead
    created_contact: bool = False
    created_company: bool = False
    created_deal: bool = False
    is_repeat: bool = False


def _active_assignees(org: Org, lead: Lead) -> list[Any]:
    if not lead.assigned_to:
        return []
    active = set(active_profiles_of(org).filter(pk__in=lead.assigned_to).values_list("pk", flat=True))
    return [pk for pk in lead.assigned_to if pk in active]


def _company_for(org: Org, actor: Profile, lead: Lead) -> tuple[Company | None, bool]:
    name = lead.company_name.strip()
    if not name:
        return None, False
    # Matched across the whole org, not only what the actor sees: a second "Acme" is what nobody wants.
    existing = (
        Company.objects.for_org(org)
        .filter(archived_at__isnull=True, name__iexact=name)
        .order_by("created_at")
        .first()
    )
    if existing is not None:
        return existing, False
    data = {"name": name, "website": lead.website, "industry": lead.industry,
            "assigned_to": _active_assignees(org, lead)}  # fmt: skip
    return records.record_create(model=Company, org=org, actor=actor, data=data), True


def _contact_for(org: Org, actor: Profile, lead: Lead, company: Company | None) -> tuple[Contact, bool]:
    from contacts.services import contact_create

    email = lead.email.strip()
    if email:
        # Emails are unique per org among contacts, archived ones included.
        existing = Contact.objects.for_org(org).filter(email__iexact=email).first()
        if existing is not None and existing.archived_at is not None:
            detail = "An archived contact has this email. Restore it, or pass contact_id to link another contact."
            raise Conflict(
                detail,
                code="contact_archived",
                fields={
                    "contact_id": [{"code": "contact_archived", "detail": detail, "existing_id": str(existing.pk)}]
                },
            )
        if existing is not None:
            return existing, False
    if not (lead.first_name or lead.last_name or email):
        detail = "The lead has no name or email to make a contact from. Add one, or pass contact_id."
        raise ApiError(detail, code="required", fields={"contact_id": [{"code": "required", "detail": detail}]})
    data = {
        "first_name": lead.first_name, "last_name": lead.last_name, "email": email, "phone": lead.phone,
        "title": lead.title, "company": company, "source": lead.source, "tags": list(lead.tags),
        "assigned_to": _active_assignees(org, lead),
    }  # fmt: skip
    return contact_create(org=org, actor=actor, data=data), True


def lead_convert(
    *,
    org: Org,
    actor: Profile,
    lead_id: Any,
    contact: Contact | None = None,
    company: Company | None = None,
    create_deal: bool = False,
    deal_name: str = "",
    deal_amount: Any = None,
) -> Conversion:
    """One transaction: link or create the contact and company (and a deal if asked), store the links, mark
    the lead converted. Converting a converted lead changes nothing and answers with the same links."""
    with transaction.atomic():
        lead = records.lock_record(Lead, org=org, actor=actor, record_id=lead_id)
        if lead.status == LeadStatus.CONVERTED:
            return Conversion(lead=lead, is_repeat=True)
        if not may_write(actor, lead):
            raise ApiError("Your role does not allow this action.", code="permission_denied", status_code=403)
        records.record_preconditions(lead, if_match=None, actor=actor)
        if lead.status not in CONVERTIBLE_STATUSES:
            detail = f"A {lead.status} lead cannot be converted. Move it back to contacted or qualified first."
            raise ApiError(
                detail,
                code="status_transition_invalid",
                fields={"status": [{"code": "status_transition_invalid", "detail": detail}]},
            )

        created_company = created_contact = False
        if company is None:
            company, created_company = _company_for(org, actor, lead)
        if contact is None:
            contact, created_contact = _contact_for(org, actor, lead, company)
        deal = None
        if create_deal:
            deal = deal_create_from_lead(
                org=org, actor=actor, lead=lead, contact=contact, company=company,
                name=deal_name.strip() or f"{company or contact or lead}",
                amount=deal_amount if deal_amount is not None else lead.estimated_value, currency=lead.currency,
            )  # fmt: skip

        old_status = lead.status
        lead.converted_contact, lead.converted_company = contact, company
        lead.converted_deal_id = deal.pk if deal is not None else None
        lead.converted_at, lead.converted_by = timezone.now(), actor
        lead.status, lead.updated_by = LeadStatus.CONVERTED, actor
        lead.save()
        links = {
            "contact_id": str(contact.pk),
            "company_id": str(company.pk) if company is not None else None,
            "deal_id": str(deal.pk) if deal is not None else None,
        }
        records.log_activity(lead, actor, "converted", {"status": [old_status, LeadStatus.CONVERTED], **links})
        _carry_consent(org, actor, lead, contact)
        for record, created in ((contact, created_contact), (company, created_company), (deal, True)):
            if record is not None:
                verb = "created_from_lead" if created else "linked_from_lead"
                records.log_activity(record, actor, verb, {"lead_id": str(lead.pk)})
    return Conversion(
        lead=lead, created_contact=created_contact, created_company=created_company, created_deal=deal is not None
    )


def _carry_consent(org: Org, actor: Profile, lead: Lead, contact: Contact) -> None:
    """Consent the person gave on the lead's form reaches the contact, unless the contact's own consent is
    newer (an unsubscribe after the form was sent wins)."""
    from contacts.consent import contact_consent_set
    from contacts.models import EmailConsent

    given = lead.email_consent_at
    if given is None or (contact.email_consent_at is not None and contact.email_consent_at > given):
        return
    contact_consent_set(
        org=org, actor=actor, contact=contact, state=EmailConsent.SUBSCRIBED,
        source=lead.email_consent_source or "lead", at=given, details={"lead_id": str(lead.pk)},
    )  # fmt: skip


# --- web forms ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedWebForm:
    form: WebForm
    token: str  # shown once


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token(org: Org) -> tuple[str, str]:
    # Self-describing: public routes run in the public schema, so the token has to say which org it is for.
    token = f"{org.pk}.{secrets.token_urlsafe(32)}"
    return token, _token_hash(token)


def web_form_create(*, org: Org, actor: Profile, data: dict[str, Any]) -> IssuedWebForm:
    token, token_hash = _new_token(org)
    with transaction.atomic():
        form = WebForm.objects.create(org=org, created_by=actor, updated_by=actor, token_hash=token_hash, **data)
    return IssuedWebForm(form=form, token=token)


def _lock_form(org: Org, form_id: Any) -> WebForm:
    form = WebForm.objects.for_org(org).select_for_update().filter(pk=form_id).first()
    if form is None:
        raise NotFound()
    return form


def web_form_update(*, org: Org, actor: Profile, form_id: Any, data: dict[str, Any]) -> WebForm:
    with transaction.atomic():
        form = _lock_form(org, form_id)
        for name, value in data.items():
            setattr(form, name, value)
        form.updated_by = actor
        form.save()
    return form


def web_form_rotate_token(*, org: Org, actor: Profile, form_id: Any) -> IssuedWebForm:
    """A new token at once; the old one stops working (for a token that leaked or was pasted somewhere)."""
    token, token_hash = _new_token(org)
    with transaction.atomic():
        form = _lock_form(org, form_id)
        form.token_hash, form.updated_by = token_hash, actor
        form.save(update_fields=["token_hash", "updated_by", "updated_at"])
    return IssuedWebForm(form=form, token=token)


def web_form_delete(*, org: Org, actor: Profile, form_id: Any) -> None:
    """Leads that came in through the form stay; only the form (and its token) goes."""
    with transaction.atomic():
        _lock_form(org, form_id).delete()


# --- web-to-lead --------------------------------------------------------------------------------------------


class SubmissionRejected(ApiError):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "form_token_invalid"
    default_detail = "The form token is invalid, or the form is no longer active."


@dataclass(frozen=True)
class Intake:
    """Who a public submission is for: the org, and the form, the API key's acting member or the listing asked
    about (an inquiry from the public listing API)."""

    org: Org
    throttle_key: str
    form: WebForm | None = None
    actor: Profile | None = None
    listing: Any = None


def web_form_authenticate(token: str) -> Intake:
    """The org and active form of a `<org id>.<secret>` token; any failure is the same 401."""
    org_part, _, _ = token.partition(".")
    try:
        org_id = uuid.UUID(org_part)
    except ValueError:
        raise SubmissionRejected() from None
    org = Org.objects.filter(pk=org_id, status=OrgStatus.ACTIVE).first()
    if org is None:
        raise SubmissionRejected()
    expected = _token_hash(token)
    with org_context(org):
        form = WebForm.objects.for_org(org).filter(token_hash=expected, is_active=True).first()
    if form is None or not hmac.compare_digest(form.token_hash, expected):
        raise SubmissionRejected()
    return Intake(org=org, throttle_key=f"form:{form.pk}", form=form)


def api_key_intake(raw_key: str) -> Intake:
    """An org API key acting as its creator (role capped by the key's role), which must be member or above.
    The key and its org are checked by the same resolver as on the API, with the same answers."""
    caller = api_key_caller(api_key_find(raw_key))
    if Role(caller.profile.role).rank < Role.MEMBER.rank:
        raise ApiError(
            "This API key's role cannot create leads; it needs member or above.",
            code="permission_denied",
            status_code=status.HTTP_403_FORBIDDEN,
        )
    return Intake(org=caller.org, throttle_key=f"key:{caller.api_key.pk}", actor=caller.profile)


def _lock_email(org: Org, email: str) -> None:
    """Two submissions of one new email at the same moment must not make two leads."""
    digest = hashlib.sha256(f"lead-email:{org.pk}:{email.lower()}".encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)])


def lead_receive(*, intake: Intake, data: dict[str, Any]) -> Lead:
    """A submission from a web form or an integration. A repeat email lands on its open lead (blanks filled,
    the message kept on the timeline) instead of making a duplicate. Call inside `org_context(intake.org)`."""
    org = intake.org
    data = dict(data)
    if data.pop("consent", False) and data.get("email"):
        # Consent given with an address; without one there is nobody to email.
        data["email_consent_at"] = timezone.now()
        data["email_consent_source"] = _via(intake)["via"]
    email = data.get("email", "")
    with transaction.atomic():
        if email:
            _lock_email(org, email)
            existing = (
                Lead.objects.for_org(org)
                .filter(email__iexact=email, status__in=OPEN_STATUSES, archived_at__isnull=True)
                .select_for_update()
                .order_by("-created_at")
                .first()
            )
            if existing is not None:
                return _receive_repeat(existing, intake, data)
        return _receive_new(intake, data)


def _via(intake: Intake) -> dict[str, Any]:
    if intake.listing is not None:
        return {"via": "listing_inquiry", "property_id": str(intake.listing.pk), "property": intake.listing.title}
    if intake.form is not None:
        return {"via": "web_form", "form_id": str(intake.form.pk), "form": intake.form.name}
    return {"via": "api_key"}


def _receive_repeat(lead: Lead, intake: Intake, data: dict[str, Any]) -> Lead:
    filled = {name: data[name] for name in _FILLABLE_FROM_WEB if data.get(name) and not getattr(lead, name)}
    if data.get("email_consent_at"):
        filled["email_consent_at"] = data["email_consent_at"]
        filled["email_consent_source"] = data["email_consent_source"]
    form_tags = intake.form.tags if intake.form is not None else []
    if set(form_tags) - set(lead.tags):
        filled["tags"] = sorted(set(lead.tags) | set(form_tags))
    if intake.listing is not None and lead.listing_id is None:
        filled["listing"] = intake.listing
    records.apply_changes(lead, intake.actor, filled)
    submitted = {k: v for k, v in data.items() if v and not k.startswith("email_consent")}
    entry = {**_via(intake), "filled": sorted(filled), "submitted": submitted}
    if data.get("email_consent_at"):
        entry["email_consent"] = True
    records.log_activity(lead, intake.actor, "web_form_repeat", entry)
    return lead


def _receive_new(intake: Intake, data: dict[str, Any]) -> Lead:
    org, form = intake.org, intake.form
    author_id = intake.actor.pk if intake.actor is not None else None
    assigned_to: list[Any] = []
    # A form's leads belong to its assignee, an inquiry's to the listing agent, while that person is still a
    # member; otherwise to nobody.
    assignee_id = form.default_assignee_id if form is not None else None
    if intake.listing is not None:
        assignee_id = intake.listing.listing_agent_id
    if assignee_id is not None and active_profiles_of(org).filter(pk=assignee_id).exists():
        author_id, assigned_to = assignee_id, [assignee_id]
    lead = Lead(
        org=org,
        created_by_id=author_id,
        updated_by=intake.actor,
        assigned_to=assigned_to,
        tags=list(form.tags) if form is not None else [],
        source=form.source if form is not None else (LeadSource.WEBSITE if intake.listing else LeadSource.API),
        currency=org.currency,
        listing=intake.listing,
        **data,
    )
    lead.save()
    entry = {**_via(intake), **({"email_consent": True} if lead.email_consent_at else {})}
    records.log_activity(lead, intake.actor, "created", entry)
    # A form's assignee hears about the new lead; nobody "did" it, so the notice comes from Keystone. The
    # listing agent hears of an inquiry through its own notice (leads.inquiries).
    if intake.listing is None:
        records.notify_new_assignees(lead, intake.actor, [])
    return lead


# --- member removal -----------------------------------------------------------------------------------------


def reassign_open_records(org: Org, from_profile: Profile, to_profile: Profile) -> int:
    """For member removal: hand the member's open leads (assigned to them, or theirs with nobody assigned), and
    the web forms that assign to them, to another."""
    moved = 0
    open_leads = Lead.objects.for_org(org).filter(
        records.held_by(from_profile), archived_at__isnull=True, status__in=OPEN_STATUSES
    )
    for lead in open_leads:
        assignees = records.assignees_handed_over(lead.assigned_to, from_profile, to_profile)
        records.apply_changes(lead, to_profile, {"assigned_to": assignees})
        moved += 1
    moved += (
        WebForm.objects.for_org(org)
        .filter(default_assignee_id=from_profile.pk)
        .update(default_assignee_id=to_profile.pk, updated_at=timezone.now())
    )
    return moved
