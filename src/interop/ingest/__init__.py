"""Imports of the CLUES catalogue, the pension roll and clinic registries (CSV, and FHIR Patient NDJSON).

Owns the ``ingest_import`` and ``ingest_reject`` tables, the file checks (encoding, header, line and field
limits), the per-chunk normalisation (identity rules, vectorised with caches) and the resumable job that
COPYs each chunk into staging and merges it set-based through the roll, registry and units services.
May import identity, job, db, command, api, audit (service), the roll, registry and units services, and
fhir's Patient readers (``fhir.patient_identity``, ``fhir.patient_ndjson``) for NDJSON.
"""
