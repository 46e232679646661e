'use strict';
// The PostgreSQL backend: a pool of connections (pg_recsys installed in the
// database), each request one statement with bound parameters.
const pg = require('pg');
const { SERVING, tableQueries, COLUMNS, quoteIdent } = require('./queries');

// counts as numbers, dates and times as the server's text
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));
for (const oid of [1082, 1114, 1184]) pg.types.setTypeParser(oid, (v) => v);

class PgBackend {
  constructor({ connectionString, tables }) {
    this.kind = 'pg';
    this.connectionString = connectionString;
    this.pool = new pg.Pool({ connectionString, max: 4 });
    // an idle connection that breaks (a server restart) is dropped by the
    // pool; unhandled, its 'error' event would end the process
    this.pool.on('error', (e) => console.error(`explorer: idle PostgreSQL connection: ${e.message}`));
    this.tableNames = tables;
  }

  async init() {
    for (const side of ['items', 'events']) quoteIdent(this.tableNames[side]);
    const cols = {};
    for (const side of ['items', 'events']) {
      const r = await this.pool.query(COLUMNS.pg, [this.tableNames[side]]);
      cols[side] = r.rows.length ? new Set(r.rows.map((x) => x.name)) : null;
    }
    this.tables = tableQueries('pg', this.tableNames, cols);
    return this;
  }

  describe() {
    try {
      const u = new URL(this.connectionString);
      return `PostgreSQL ${decodeURIComponent(u.hostname) || 'local socket'}${u.port ? ':' + u.port : ''}${u.pathname}`;
    } catch {
      return 'PostgreSQL';
    }
  }

  async run(name, params) {
    const q = SERVING[name] || this.tables[name];
    if (!q) throw new Error(`no statement ${name}`);
    const r = await this.pool.query(q.pg || q.sql, params);
    return r.rows;
  }

  evaluate(params) {
    return this.run('evaluate', params);
  }

  async close() {
    await this.pool.end();
  }
}

module.exports = { PgBackend };
