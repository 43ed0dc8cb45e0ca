"""Platform administration: reads across every org and user, their lifecycle, and impersonation."""
