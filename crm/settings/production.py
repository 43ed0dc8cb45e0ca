"""Production: real services from the environment, secure cookies, no debug."""

from crm.settings.base import *  # noqa: F403
from crm.settings.env import env_bool, env_int, env_str

SECRET_KEY = env_str("SECRET_KEY")
DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
