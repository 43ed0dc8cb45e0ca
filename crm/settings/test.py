"""The test suite: its own Redis db, a fast password hasher and in-memory mail."""

from crm.settings.base import *  # noqa: F403
from crm.settings.base import CACHES, CHANNEL_LAYERS, DATABASES, REDIS_URL, SHARED_APPS, TENANT_APPS
from crm.settings.env import env_int, env_str
from crm.settings.services import celery_url_from_redis, redis_with_db

# Two suites can share one server (say, two checkouts): each names its own test database and Redis db.
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", "test_crm")}
# Tests may run beside `make run` on the same embedded Redis; they keep to their own logical database.
assert REDIS_URL is not None  # base settles it (the environment's or the embedded server's)
REDIS_URL = redis_with_db(REDIS_URL, env_int("TEST_REDIS_DB", 15))
CACHES["default"]["LOCATION"] = REDIS_URL
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": CHANNEL_LAYERS["default"]["BACKEND"],
        # Pub/sub channels are server-wide (not per Redis db): a prefix of its own keeps suites apart.
        "CONFIG": {"hosts": [REDIS_URL], "prefix": f"crm-live-test-{env_int('TEST_REDIS_DB', 15)}"},
    }
}
CELERY_BROKER_URL = celery_url_from_redis(REDIS_URL)
CELERY_RESULT_BACKEND = CELERY_BROKER_URL

# Django's PBKDF2 default costs ~250 ms a hash; production keeps it, tests do not need it.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Uploads (logos, attachments) land in a throwaway folder, never in the developer's .data/media.
import os  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

# A server the suite starts (tests/test_schemathesis.py) shares the suite's folder: its workers are processes
# of their own, and an upload one of them stores must be there for the next.
MEDIA_ROOT = Path(os.environ.get("TEST_MEDIA_ROOT") or tempfile.mkdtemp(prefix="keystone-test-media-"))

# A tiny module that exists only here: the registry alone must give it routes, access rows, export, bulk and
# reassignment (tests/test_registry.py). Adding a module is its folder and this one line.
TENANT_APPS = [*TENANT_APPS, "tests.widgets"]
INSTALLED_APPS = SHARED_APPS + TENANT_APPS

# WhiteNoise warns on every process start while `collectstatic` (run by `make run`) has not made the folder yet;
# servers the suite starts must log JSON lines only.
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
