"""The pages that emailed links open: confirm an email address, choose a new password, accept an invitation.

Small server-rendered forms over the same services as the API routes (POST /api/auth/email/verify/,
/api/auth/password/reset/confirm/, /api/invitations/accept-new/ and /accept/), so an org without its own web app
still has working links. Opening a link changes nothing: mail scanners follow links, so each action waits for the
person to press the button (a POST with the token and Django's CSRF check).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from common.errors import ApiError
from common.throttling import client_ip, enforce, hashed_key
from common.validation import validated
from tenants.accounts import email_links, serializers
from tenants.accounts.services import auth_login
from tenants.accounts.two_factor import LoginChallenge, login_challenge_verify
from tenants.accounts.views import LOGIN_PER_EMAIL, LOGIN_PER_IP
from tenants.members import invitations
from tenants.members import serializers as member_serializers
from tenants.members.views import INVITATION_LIMIT, INVITATION_TOKEN_LIMIT

# The codes after which the form is of no use any more: the page says why and offers nothing to press.
SPENT = {"token_invalid", "token_used", "token_expired", "invitation_invalid", "invitation_used",
         "invitation_revoked", "invitation_expired", "already_member", "email_already_verified"}  # fmt: skip


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    page = {"product_name": "Keystone CRM", "field_errors": {}, **context}
    response = render(request, f"link_pages/{template}", page, status=status)
    response["Cache-Control"] = "no-store"  # the page carries a single-use token
    return response


def _refused(request: HttpRequest, template: str, error: ApiError, context: dict[str, Any]) -> HttpResponse:
    field_errors = {name: [item["detail"] for item in items] for name, items in error.fields.items()}
    detail = str(error.detail) if not field_errors else "Please check the form."
    context = {**context, "error": detail, "field_errors": field_errors, "spent": error.code in SPENT}
    return _page(request, template, context, status=error.status_code)


def _token(request: HttpRequest) -> str:
    return str((request.POST if request.method == "POST" else request.GET).get("token", "")).strip()


@require_http_methods(["GET", "POST"])
def verify_email_page(request: HttpRequest) -> HttpResponse:
    token = _token(request)
    if request.method == "GET":
        return _page(request, "verify_email.html", {"token": token})
    try:
        checked = validated(serializers.EmailVerifyRequestSerializer, {"token": token})
        user = email_links.email_verify(token=checked["token"])
    except ApiError as error:
        return _refused(request, "verify_email.html", error, {"token": token})
    return _page(request, "verify_email.html", {"done": True, "email": user.email})


@require_http_methods(["GET", "POST"])
def reset_password_page(request: HttpRequest) -> HttpResponse:
    token = _token(request)
    if request.method == "GET":
        return _page(request, "reset_password.html", {"token": token})
    body = {"token": token, "new_password": request.POST.get("new_password", "")}
    try:
        email_links.password_reset_confirm(**validated(serializers.PasswordResetConfirmSerializer, body))
    except ApiError as error:
        return _refused(request, "reset_password.html", error, {"token": token})
    return _page(request, "reset_password.html", {"done": True})


@require_http_methods(["GET", "POST"])
def accept_invite_page(request: HttpRequest) -> HttpResponse:
    token = _token(request)
    context: dict[str, Any] = {"token": token}
    try:
        ip = client_ip(request)
        enforce(INVITATION_LIMIT, ip)
        enforce(INVITATION_TOKEN_LIMIT, hashed_key(token))
        invitation, has_account = invitations.invitation_preview(token=token)
        context |= {"org_name": invitation.org.name, "role": invitation.role, "email": invitation.email}
        context["has_account"] = has_account
        if request.method == "GET":
            return _page(request, "accept_invite.html", context)
        if has_account:
            return _accept_as_existing_account(request, token, invitation.email, ip, context)
        body = {"token": token, "name": request.POST.get("name", ""), "password": request.POST.get("password", "")}
        checked = validated(member_serializers.InvitationAcceptNewSerializer, body)
        invitations.invitation_accept_new(ip=ip, **checked)
    except ApiError as error:
        return _refused(request, "accept_invite.html", error, context)
    return _page(request, "accept_invite.html", {**context, "done": True})


def _accept_as_existing_account(
    request: HttpRequest, token: str, email: str, ip: str, context: dict[str, Any]
) -> HttpResponse:
    """Signing in is the consent an existing account gives: its password, then its second factor if it has one.
    Either step refused raises ApiError for the caller to show."""
    challenge = request.POST.get("challenge", "")
    if challenge:
        code = request.POST.get("code", "")
        as_recovery = not "".join(code.split()).isdigit()
        user, _ = login_challenge_verify(
            challenge=challenge, ip=ip, **({"recovery_code": code} if as_recovery else {"code": code})
        )
    else:
        enforce(LOGIN_PER_IP, ip)
        enforce(LOGIN_PER_EMAIL, email.lower())
        user, signed_in = auth_login(email=email, password=request.POST.get("password", ""))
        if isinstance(signed_in, LoginChallenge):
            return _page(request, "accept_invite.html", {**context, "challenge": signed_in.token})
    invitations.invitation_accept(token=token, user=user, ip=ip)
    return _page(request, "accept_invite.html", {**context, "done": True})
