"""The HTTP edge toolkit every router uses, below the domains: the session and settings dependencies
(``deps``), route policies (``policy``), middleware, request ids and traces, client addresses, metrics,
logs, telemetry and health. Imports no domain: route composition (``interop.composition``) and error
rendering (``interop.error_handlers``) sit above the domains, beside the app factory.
"""
