"""Who may do what: clients, tokens (OAuth2 client credentials, SMART v2 system scopes), roles, policies.

Builds the ``interop.context.Actor`` of each request. May import audit (to record logins and denials).
"""
