"""The only place that knows FHIR: resource mapping, search parameters, OperationOutcome,
CapabilityStatement and the ``/fhir`` routes. Domains are reached through their services.
"""
