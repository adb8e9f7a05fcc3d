BEGIN;
INSERT INTO bench_work (payload) VALUES ('t' || :client_id);
SELECT 1;
COMMIT;
