"""Marketing campaigns: plans, budgets, assets and collaboration."""
