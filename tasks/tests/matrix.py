"""How the role matrix calls the tasks routes."""

from tenants.testing.matrix import record_specs

MATRIX_SPECS = {**record_specs("tasks", "tasks.models.Task", {"title": "Matrix"})}
