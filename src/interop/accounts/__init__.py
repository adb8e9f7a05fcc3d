"""People who sign in to the web pages (``account_user``): local accounts (argon2 password, TOTP second
factor, lockout) and accounts reached through OpenID Connect. Owns the roles people hold and what each
may do. Imports ``audit`` (sign-ins are audited) and ``auth.scopes`` (a person's role maps to the same
scopes an API client of that kind gets, so pages and API share one authorisation rule); no other domain.
"""
