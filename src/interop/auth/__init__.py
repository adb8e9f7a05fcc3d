"""Who may do what: clients, tokens (OAuth2 client credentials, SMART v2 system scopes), roles, policies.

Builds the ``interop.context.Actor`` of each request; ``dependencies.guard`` is the check behind every
route's ``interop.api.policy.require`` (installed by the app factory). May import audit (to record logins
and denials), command, api and db.
"""
