"""Clinic registries (``registry_patient``, one row per version; ``patient_id`` is the FHIR Patient.id,
stable across versions). Reads through ``service``; loading through ``service.merge_staged`` called by
ingest. Imports only db, ingest.records/staging and the units service.
"""
