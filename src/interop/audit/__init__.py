"""The audit trail: who did what to whose record, append-only, hash-chained, with signed checkpoints.

Owns the tables ``audit_event`` and ``audit_checkpoint`` (migration ``0002_audit``: append-only trigger,
UPDATE/DELETE/TRUNCATE revoked, the non-owner role ``interop_app``). A leaf: it imports no other domain
(its router alone uses ``interop.auth.dependencies.require`` for route policies).

    service       record() in the caller's transaction (written at commit under the chain lock),
                  record_denied(), checkpoints, search, trace
    chain         pure: canonical form, hashing, walking rows or a COPY stream
    signing       the Ed25519 checkpoint key (settings, else data_dir/keys/audit-ed25519.pem)
    verification  walk the chain and checkpoints (one snapshot, or parallel seq ranges)
    export        NDJSON of a date range with the checkpoint that covers it
    router, cli   /v1/trace, /v1/audit/{verification,export,checkpoints}; ``interop audit …``

The FHIR view (``/fhir/AuditEvent``, shaped per IHE BALP) lives in ``interop.fhir.auditevent``.

Production: connect the app as a role that does not own these tables (e.g. a login role granted
``interop_app``), so it cannot disable the trigger; run migrations as the owner.
"""
