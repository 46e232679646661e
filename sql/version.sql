-- One version string everywhere: core (recsys_version), control file, install.
SELECT recsys_version() = extversion AS matches_installed
FROM pg_extension WHERE extname = 'pg_recsys';
SELECT recsys_version() = default_version AS matches_control
FROM pg_available_extensions WHERE name = 'pg_recsys';
-- Internal objects live in schema recsys; the API in the extension's schema.
SELECT n.nspname, c.relname, c.relpersistence
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname IN ('model_store', 'recsys_models') ORDER BY 2;
SELECT attname, attstorage FROM pg_attribute
WHERE attrelid = 'recsys.model_store'::regclass AND attname = 'blob';
-- pg_dump keeps the models.
SELECT extconfig::regclass[] FROM pg_extension WHERE extname = 'pg_recsys';
-- Every function has a comment and honest labels.
SELECT p.proname, p.provolatile, p.proparallel, p.proisstrict, p.prosecdef,
       obj_description(p.oid, 'pg_proc') IS NOT NULL AS commented
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_recsys'
ORDER BY p.proname;
-- The GUCs exist with their defaults.
SELECT name, setting, min_val, max_val, context FROM pg_settings
WHERE name LIKE 'recsys.%' ORDER BY name;
