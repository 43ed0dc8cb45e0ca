"""Production: real services from the environment, secure cookies, no debug."""

from crm.settings.base import *  # noqa: F403
from crm.settings.env import env_bool, env_int, env_str
from crm.settings.services import email_backend

SECRET_KEY = env_str("SECRET_KEY")
DEBUG = False
# Real delivery unless told otherwise: `smtp` (EMAIL_HOST...) or `ses` (AWS credentials, AWS_SES_REGION_NAME).
EMAIL_BACKEND = email_backend(env_str("EMAIL_BACKEND", "smtp"))
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
