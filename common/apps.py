import logging

from django.apps import AppConfig

logger = logging.getLogger("crm")


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "Identity"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from common import strict_fields
        from common.embedded import describe_url

        strict_fields.install()

        database = "embedded PostgreSQL" if settings.DATABASE_IS_EMBEDDED else "PostgreSQL"
        broker = "embedded Redis" if settings.REDIS_IS_EMBEDDED else "Redis"
        logger.info(
            "database: %s %s; broker and cache: %s %s",
            database,
            describe_url(str(settings.DATABASE_URL)),
            broker,
            describe_url(str(settings.REDIS_URL)),
        )
