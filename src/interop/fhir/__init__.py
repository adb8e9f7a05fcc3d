"""The only place that knows FHIR: resource mapping, search parameters, OperationOutcome,
CapabilityStatement and the ``/fhir`` routes. Domains are reached through their services.

Pure mappers (``referral_resources``, ``patient_identity``, ``auditevent_resource``,
``subscription_resources``, ``patch``, ``task_update``) sit apart from thin route modules; ``search`` is the
one search toolkit and ``instance`` writes read / vread / history once; ``version`` alone chooses the FHIR
version (R4 through fhir.resources' R4B models).
"""
