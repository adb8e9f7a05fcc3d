"""Clinic registries (``registry_patient``, one row per version; ``patient_id`` is the FHIR Patient.id,
stable across versions). Reads through ``service``; loading through ``service.merge_staged`` called by
ingest, which passes the current CLUES of each staged code as the units service answers them. Imports
only db (the shared identity-record columns and staging table live in ``interop.db``); never queries
another domain's tables.
"""
