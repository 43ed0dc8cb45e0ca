"""The database backend: django-tenants' PostgreSQL backend, with a health check that skips fresh connections."""
