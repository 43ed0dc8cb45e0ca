"""The Django admin's sign-in asks for the second factor as the API does: a platform admin with 2FA gives a code
(or a recovery code), and where platform admins must have 2FA (PLATFORM_ADMIN_REQUIRES_2FA) one without it is
told to enrol first. A password alone never opens the admin of an account that has a second factor."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from rest_framework.exceptions import Throttled

from common.throttling import client_ip
from tenants.accounts import two_factor


class AdminLoginForm(AdminAuthenticationForm):
    code = forms.CharField(
        label="Two-factor code", required=False, max_length=64, strip=True,
        help_text="From your authenticator app, or a recovery code.",
    )  # fmt: skip

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if two_factor.platform_two_factor_blocks(user):
            raise forms.ValidationError(two_factor.PLATFORM_TWO_FACTOR_REQUIRED, code="two_factor_required")
        if user.has_two_factor:
            code = self.cleaned_data.get("code") or ""
            if not code:
                raise forms.ValidationError("Enter the code from your authenticator app.", code="code_required")
            try:
                two_factor.throttle_verify(email=user.email, ip=client_ip(self.request) if self.request else "")
            except Throttled:
                raise forms.ValidationError("Too many attempts. Try again later.", code="throttled") from None
            if not two_factor.second_factor_accepts(user=user, code=code):
                raise forms.ValidationError("This code is not valid.", code="code_invalid")
