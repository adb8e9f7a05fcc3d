"""Referrals: visit findings become a ServiceRequest and its Task, routed to a unit (routing, states,
placement), followed by clinics and by Bienestar, with rest-hook notifications.

Owns the ``referral*`` tables. Imports other domains only through their services (matching, registry,
units, audit, auth, job) and never imports ``interop.fhir`` or fhir.resources: the FHIR mapping lives in
``interop.fhir``, which registers the renderer of notification Bundles (``notification_body``) that the
delivery job in ``tasks`` posts.
"""
