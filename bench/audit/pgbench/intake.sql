\set r random(1, 1000000000)
BEGIN;
INSERT INTO bench_work (payload) VALUES ('t' || :client_id);
INSERT INTO audit_intake (recorded_at, type, subtype, action, outcome, outcome_desc, client_id, role, user_id, network_address, request_id, trace_id, entities, query, patients) VALUES (now(), 'rest', 'update', 'U', '0', NULL, 'clinic-001', 'clinic', NULL, '10.0.0.7', 'bench-' || :r, lpad(to_hex(:r::bigint), 32, '0'), '[{"id":"task-' || :r || '","role":"domain-resource","type":"Task"}]', NULL, '["Patient/p-' || :r || '"]');
COMMIT;
