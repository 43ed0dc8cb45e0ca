"""Members of an org: memberships and roles, the last-owner rule, invitations and API keys."""
