"""Accounts: sign-up, sign-in and tokens, emailed links (email verification, password reset) and 2FA."""
