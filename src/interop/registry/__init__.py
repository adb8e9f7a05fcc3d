"""Clinic registries (``registry_patient``, one row per version; ``patient_id`` is the FHIR Patient.id,
stable across versions). Reads through ``service``; loading through ``service.merge_staged`` called by
ingest. Imports only db (the shared identity-record columns and staging table live in ``interop.db``);
it reads the units catalogue (``unit``) in SQL to resolve a patient's current CLUES.
"""
