"""How the role matrix calls the cases routes."""

from tenants.testing.matrix import record_specs

MATRIX_SPECS = {**record_specs("cases", "cases.models.Case", {"subject": "Matrix"})}
