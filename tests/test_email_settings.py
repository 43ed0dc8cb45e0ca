"""Which email backend runs is chosen by EMAIL_BACKEND: file in development, SMTP or Amazon SES in production."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from common.embedded import BASE_DIR
from crm.settings.services import email_backend


@pytest.mark.parametrize(
    ("name", "backend"),
    [
        ("file", "django.core.mail.backends.filebased.EmailBackend"),
        ("console", "django.core.mail.backends.console.EmailBackend"),
        ("smtp", "django.core.mail.backends.smtp.EmailBackend"),
        (" SES ", "django_ses.SESBackend"),
    ],
)
def test_each_short_name_picks_its_backend(name: str, backend: str) -> None:
    assert email_backend(name) == backend


def test_an_unknown_name_stops_the_process_with_the_choices() -> None:
    with pytest.raises(ImproperlyConfigured) as refused:
        email_backend("sendgrid")

    assert str(refused.value) == "EMAIL_BACKEND must be one of console, file, locmem, ses, smtp, not 'sendgrid'."


def _backend_in(settings_module: str, **env: str) -> str:
    inherited = {key: value for key, value in os.environ.items() if key != "EMAIL_BACKEND"}
    environment = {**inherited, "DJANGO_SETTINGS_MODULE": settings_module, "SECRET_KEY": "x" * 50, **env}
    script = "import django; django.setup(); from django.conf import settings; print(settings.EMAIL_BACKEND)"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


# Production refuses to start without real services; settings are read here, nothing is connected to.
PRODUCTION_ENV = {
    "DATABASE_URL": "postgresql://crm@127.0.0.1:1/crm",
    "REDIS_URL": "redis://127.0.0.1:1/0",
    "ALLOWED_HOSTS": "crm.example.com",
}


def test_production_sends_through_smtp_by_default_and_ses_when_asked() -> None:
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    assert _backend_in("crm.settings.production", **PRODUCTION_ENV) == smtp
    assert _backend_in("crm.settings.production", **PRODUCTION_ENV, EMAIL_BACKEND="ses") == "django_ses.SESBackend"
    assert _backend_in("crm.settings.local") == "django.core.mail.backends.filebased.EmailBackend"
