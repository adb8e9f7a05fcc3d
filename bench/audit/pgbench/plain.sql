BEGIN;
INSERT INTO bench_work (payload) VALUES ('t' || :client_id);
COMMIT;
