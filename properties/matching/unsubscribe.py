"""The unsubscribe link of saved-search emails: a signed token naming one org and one search."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from common.errors import ApiError
from properties.matching.models import SavedSearch

_SALT = "property_matching.unsubscribe"


class InvalidUnsubscribeLink(ApiError):
    default_code = "invalid_token"
    default_detail = "This unsubscribe link is not valid. Use the link from the email as it is."


def unsubscribe_token(search: SavedSearch) -> str:
    """Signed, so it names only the search it was made for; it does not expire (an old email's link works)."""
    return signing.dumps({"org": str(search.org_id), "search": str(search.pk)}, salt=_SALT)


def unsubscribe_url(search: SavedSearch) -> str:
    path = reverse("api:saved-search-unsubscribe", kwargs={"token": unsubscribe_token(search)})
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


def unsubscribe_target(token: str) -> tuple[str, str]:
    """(org id, search id) of an untouched token; anything else is a 400 `invalid_token`."""
    try:
        target = signing.loads(token, salt=_SALT)
        return str(target["org"]), str(target["search"])
    except (signing.BadSignature, KeyError, TypeError):
        raise InvalidUnsubscribeLink() from None
