"""Turns DATABASE_URL, REDIS_URL (or their embedded defaults) and EMAIL_BACKEND into Django and Celery settings."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlencode, urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured


def database_from_url(url: str) -> dict[str, object]:
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(f"DATABASE_URL must be a postgresql:// URL, not {parts.scheme!r}.")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    host = query.pop("host", None) or unquote(parts.hostname or "")
    return {
        "ENGINE": "common.database",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(parts.port or ""),
        "OPTIONS": query,
    }


def redis_with_db(url: str, db: int) -> str:
    """The same Redis server, another logical database (tests keep to their own)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        query["db"] = str(db)
        return f"unix://{parts.path}?{urlencode(query)}"
    return urlunsplit(parts._replace(path=f"/{db}"))


def celery_url_from_redis(url: str) -> str:
    """Celery (kombu) spells a unix socket `redis+socket://<path>?virtual_host=<db>`."""
    parts = urlsplit(url)
    if parts.scheme != "unix":
        return url
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    db = query.pop("db", "0")
    return f"redis+socket://{parts.path}?virtual_host={db}"


EMAIL_BACKENDS = {
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "ses": "django_ses.SESBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}


def email_backend(name: str) -> str:
    """The Django backend for EMAIL_BACKEND's short name; a typo stops the process at start, not at first send."""
    try:
        return EMAIL_BACKENDS[name.strip().lower()]
    except KeyError:
        raise ImproperlyConfigured(
            f"EMAIL_BACKEND must be one of {', '.join(sorted(EMAIL_BACKENDS))}, not {name!r}."
        ) from None


def storages_setting(
    *,
    bucket: str | None,
    endpoint_url: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    region: str | None = None,
    signed_url_seconds: int = 300,
) -> dict[str, dict[str, object]]:
    """Django's STORAGES: local files under MEDIA_ROOT, or a private S3-compatible bucket when one is named.

    The bucket is never public: objects are written without an ACL (the bucket owner's), and every read goes
    through a route that checks who asks and then signs a URL for `signed_url_seconds`. Without keys boto3's own
    chain (an instance or task role, AWS_* variables) finds the credentials. A custom endpoint (MinIO, Ceph,
    Garage...) is addressed by path, which every one of them understands.
    """
    static: dict[str, object] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    if not bucket:
        return {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}, "staticfiles": static}
    options: dict[str, object] = {
        "bucket_name": bucket,
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": signed_url_seconds,
        "file_overwrite": False,
        "signature_version": "s3v4",
    }
    if endpoint_url:
        options["endpoint_url"] = endpoint_url
        options["addressing_style"] = "path"
    if access_key and secret_key:
        options["access_key"] = access_key
        options["secret_key"] = secret_key
    if region:
        options["region_name"] = region
    return {"default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}, "staticfiles": static}
