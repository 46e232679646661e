#!/usr/bin/env node
'use strict';
// recsys explorer: node server.js [--db FILE | --pg CONNSTRING] [--port N] [--host H]
//   SQLite (default): EXPLORER_DB, default build/explorer/shop.db of the checkout (make explorer
//                     creates it), with EXPLORER_EXTENSION (default sqlite_recsys/recsys.so) loaded.
//   PostgreSQL:       EXPLORER_PG=postgresql://user@host/db (pg_recsys installed there).
//   EXPLORER_PORT (default 8080; 0: any free port), EXPLORER_HOST (default 127.0.0.1),
//   EXPLORER_ITEMS (catalogue table, default products), EXPLORER_EVENTS (default events).
const path = require('node:path');
const fs = require('node:fs');
const { buildApp } = require('./src/app');

// the comment above, as the usage text
const USAGE = fs.readFileSync(__filename, 'utf8').split('\n').filter((l) => l.startsWith('//')).slice(0, 6)
  .map((l) => l.replace(/^\/\/ ?/, '')).join('\n');

function options(argv, env) {
  const o = {
    db: env.EXPLORER_DB || path.join(__dirname, '..', 'build', 'explorer', 'shop.db'),
    pg: env.EXPLORER_PG || null,
    extension: env.EXPLORER_EXTENSION || path.join(__dirname, '..', 'sqlite_recsys', 'recsys.so'),
    port: Number(env.EXPLORER_PORT ?? 8080),
    host: env.EXPLORER_HOST || '127.0.0.1',
    tables: { items: env.EXPLORER_ITEMS || 'products', events: env.EXPLORER_EVENTS || 'events' },
  };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    if (a === '--db') { o.db = v; o.pg = null; i++; }
    else if (a === '--pg') { o.pg = v; i++; }
    else if (a === '--port') { o.port = Number(v); i++; }
    else if (a === '--host') { o.host = v; i++; }
    else if (a === '--help' || a === '-h') { console.log(USAGE); process.exit(0); }
    else { console.error(`explorer: unknown argument ${a}\n${USAGE}`); process.exit(2); }
  }
  return o;
}

async function openBackend(o) {
  if (o.pg) {
    const { PgBackend } = require('./src/postgres');
    return new PgBackend({ connectionString: o.pg, tables: o.tables }).init();
  }
  const { SqliteBackend } = require('./src/sqlite');
  if (!fs.existsSync(o.db)) throw new Error(`${o.db} does not exist (make explorer creates the demo shop there)`);
  return new SqliteBackend({ file: o.db, extension: o.extension, tables: o.tables });
}

async function main() {
  const o = options(process.argv, process.env);
  const backend = await openBackend(o);
  const app = buildApp(backend, { logger: { level: 'warn' } });
  await app.listen({ port: o.port, host: o.host });
  const { port } = app.server.address();
  console.log(`recsys explorer on ${backend.describe()}: http://${o.host}:${port}/`);
  const stop = async () => { await app.close(); await backend.close(); process.exit(0); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e) => {
  console.error(`explorer: ${e.message}`);
  process.exit(1);
});
