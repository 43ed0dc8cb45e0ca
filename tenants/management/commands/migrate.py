"""`migrate` is `migrate_schemas` (as django-tenants makes it), with the same skipping of current schemas."""

from tenants.management.commands.migrate_schemas import Command

__all__ = ["Command"]
