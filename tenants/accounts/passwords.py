"""The password rules (Django's validators), in the error shape of the API's `fields`."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError

from common.models import User


def password_errors(password: str, user: User) -> list[dict[str, str]]:
    """Every rule `password` breaks for `user` (empty when it is acceptable), one `{"code", "detail"}` each."""
    try:
        validate_password(password, user)
    except DjangoValidationError as error:
        return [{"code": e.code or "password_invalid", "detail": " ".join(e.messages)} for e in error.error_list]
    return []
