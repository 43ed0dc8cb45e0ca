"""The test suite: its own Redis db, a fast password hasher and in-memory mail."""

from crm.settings.base import *  # noqa: F403
from crm.settings.base import CACHES, REDIS_URL
from crm.settings.services import celery_url_from_redis, redis_with_db

# Tests may run beside `make run` on the same embedded Redis; they keep to their own logical database.
REDIS_URL = redis_with_db(REDIS_URL, 15)
CACHES["default"]["LOCATION"] = REDIS_URL
CELERY_BROKER_URL = celery_url_from_redis(REDIS_URL)
CELERY_RESULT_BACKEND = CELERY_BROKER_URL

# Django's PBKDF2 default costs ~250 ms a hash; production keeps it, tests do not need it.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
