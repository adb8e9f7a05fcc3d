"""Referrals: visit findings become a ServiceRequest and its Task, routed to a unit (routing, states,
placement), followed by clinics and by Bienestar, with rest-hook notifications.

Owns the ``referral*`` tables. Imports other domains only through their services (matching, registry,
units, audit, job); never imports fhir.resources (the FHIR mapping lives in ``interop.fhir``), except the
notification job in ``tasks``, which renders its Bundle through ``interop.fhir.subscription``.
"""
