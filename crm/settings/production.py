"""Production: real services from the environment, secure cookies and headers, JSON logs, no debug.

`manage.py check --deploy` passes with no warning on these settings (tests/test_ops_deploy.py); docs/operations.md
lists every environment variable.
"""

import os

from django.core.exceptions import ImproperlyConfigured

# Checked before base.py runs: without them it would start the embedded development servers.
for _required in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS"):
    if not os.environ.get(_required):
        raise ImproperlyConfigured(f"Set the {_required} environment variable (see docs/operations.md).")

# Defaults that differ from development; the environment still decides.
os.environ.setdefault("LOG_FORMAT", "json")
os.environ.setdefault("SENTRY_ENVIRONMENT", "production")

from crm.settings.base import *  # noqa: E402, F403
from crm.settings.env import env_bool, env_int, env_str  # noqa: E402
from crm.settings.services import email_backend  # noqa: E402

SECRET_KEY = env_str("SECRET_KEY")
DEBUG = False
PLATFORM_ADMIN_REQUIRES_2FA = env_bool("PLATFORM_ADMIN_REQUIRES_2FA", True)
# Real delivery unless told otherwise: `smtp` (EMAIL_HOST...) or `ses` (AWS credentials, AWS_SES_REGION_NAME).
EMAIL_BACKEND = email_backend(env_str("EMAIL_BACKEND", "smtp"))

# HTTPS: the proxy terminates TLS and says so in X-Forwarded-Proto, which is believed only from TRUSTED_PROXIES
# (common.middleware drops it from anyone else).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Probes and Prometheus call the process directly over plain HTTP; a redirect would fail them.
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics/?$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
