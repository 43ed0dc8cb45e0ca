"""How the role matrix calls the widget routes (every route the registry gave the module)."""

from tenants.testing.matrix import record_specs

MATRIX_SPECS = record_specs("widgets", "tests.widgets.models.Widget", {"name": "Sprocket"})
