-- The model privilege functions: every bad input on its own line.
CREATE TABLE pv_events AS SELECT 'u' || (g % 10) AS user_id, 'i' || (g % 7) AS item_id
FROM generate_series(1, 60) g;
SELECT recsys_train('pv', 'pv_events', 'popularity')->>'version' AS version;
CREATE ROLE pv_reader;
-- NULL arguments.
SELECT recsys_grant(NULL, 'pv_reader');
SELECT recsys_grant('pv', NULL);
SELECT recsys_revoke(NULL, 'pv_reader');
SELECT recsys_revoke('pv', NULL);
SELECT recsys_set_owner(NULL, 'pv_reader');
SELECT recsys_set_owner('pv', NULL);
SELECT recsys_has_model_privilege(NULL, 'USAGE') IS NULL AS null_model;
SELECT recsys_has_model_privilege('pv', NULL) IS NULL AS null_privilege;
-- Unknown models, roles and privileges; names that are too long.
\set VERBOSITY terse
SELECT recsys_grant('nope', 'pv_reader');
SELECT recsys_grant('pv', 'no_such_role');
SELECT recsys_set_owner('pv', 'no_such_role');
SELECT recsys_revoke('nope', 'pv_reader');
\set VERBOSITY default
SELECT recsys_grant(repeat('m', 100), 'pv_reader');
SELECT recsys_has_model_privilege('pv', 'SELECT');
SELECT recsys_has_model_privilege('nope', 'USAGE') IS NULL AS unknown_model;
-- Grants are idempotent, PUBLIC in any case; revoking what was never
-- granted is no error; the grant list shows what holds.
SELECT recsys_grant('pv', 'pv_reader');
SELECT recsys_grant('pv', 'pv_reader');
SELECT recsys_grant('pv', 'PUBLIC');
SELECT granted_to FROM recsys_models WHERE name = 'pv';
SELECT recsys_revoke('pv', 'Public');
SELECT recsys_revoke('pv', 'postgres');
SELECT granted_to FROM recsys_models WHERE name = 'pv';
SET ROLE pv_reader;
SELECT recsys_has_model_privilege('pv', 'usage') AS usage, recsys_has_model_privilege('pv', 'OWNER') AS owner;
SELECT recsys_revoke('pv', 'pv_reader');
RESET ROLE;
-- Writing refused in a read-only transaction.
BEGIN READ ONLY;
SELECT recsys_grant('pv', 'pv_reader');
ROLLBACK;
SELECT recsys_revoke('pv', 'pv_reader');
SELECT recsys_drop_model('pv');
DROP ROLE pv_reader;
