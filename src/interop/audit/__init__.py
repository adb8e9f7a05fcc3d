"""The audit trail: who did what to whose record, append-only, the leaves of a Merkle tree log (RFC 9162
hashing) with signed tree heads; events from before the tree also form a hash chain with signed checkpoints.

Owns the tables ``audit_event`` and ``audit_checkpoint`` (migration ``0002_audit``: append-only trigger,
UPDATE/DELETE/TRUNCATE revoked, the non-owner role ``interop_app``) and ``audit_leaf``, ``audit_node``,
``audit_head`` (migration ``0010_audit_merkle``), ``audit_event_patient`` (``0012_audit_compact``:
one row per patient of a record, for search by patient), all with the same protections. Since
``0018_audit_partitions`` the records and their patients are partitioned by month of
``recorded_at`` (partitions in the schema ``audit_partition``, made ahead by the sequencer loop through
``audit_partitions_ensure``; each append-only like its parent). A leaf: it
imports no other domain (only ``identity`` to screen for CURPs; its router declares policies through
``interop.api.policy``).

    service       record() in the caller's transaction (one record per call, written at commit with no
                  lock), record_denied(), on-demand heads; re-exports queries
    queries       reads (BALP: one event per patient of a record): one event, search, a case's trace,
                  the log's length
    leaf          pure: the bytes of a tree leaf (a record's canonical form, its patients included)
    merkle        pure: RFC 9162 §2.1 roots, inclusion and consistency proofs over perfect subtrees
    checkpoint    pure: C2SP tlog-checkpoint bodies of the signed tree heads
    sequencer     committed events → leaves in commit order, nodes, a signed head per step (job worker)
    proofs        keys, heads, leaves, inclusion and consistency proofs from the stored nodes
    verify_proof  standalone verifier for auditors (standard library + cryptography only)
    tree_verification  the whole tree and every signed head, naming the first bad leaf (aligned leaf
                  ranges, one process or several in one exported snapshot)
    chain         pure: canonical form, hashing, walking rows or a COPY stream
    signing       the Ed25519 audit key (settings, else data_dir/audit/audit-ed25519.pem)
    verification  walk the chain and checkpoints (one snapshot, or parallel seq ranges)
    export        NDJSON of a date range: its leaves and the consistency proof to a signed head
    router, cli   /v1/trace, /v1/audit/{verification,export,checkpoints,keys,heads,entries,proofs};
                  ``interop audit verify|export|checkpoint|prove|check-consistency``

The FHIR view (``/fhir/AuditEvent``, shaped per IHE BALP) lives in ``interop.fhir.auditevent``.

Production: connect the app as a role that does not own these tables (e.g. a login role granted
``interop_app``), so it cannot disable the trigger; run migrations as the owner.
"""
