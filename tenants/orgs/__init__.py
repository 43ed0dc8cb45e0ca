"""Orgs: provisioning with the schema pool, org settings and logo, the org audit log, and deletion."""
