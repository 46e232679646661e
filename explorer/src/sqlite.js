'use strict';
// The SQLite backend: one better-sqlite3 connection with sqlite_recsys
// loaded serves the requests (each a short synchronous call); evaluations,
// which may run for minutes, go to a worker thread with its own connection
// so the server keeps answering meanwhile.
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const Database = require('better-sqlite3');
const { SERVING, tableQueries, COLUMNS, quoteIdent } = require('./queries');

function open(file, extension, readonly) {
  const db = new Database(file, { fileMustExist: true, readonly, timeout: 10000 });
  db.loadExtension(extension);
  return db;
}

class SqliteBackend {
  constructor({ file, extension, tables }) {
    this.kind = 'sqlite';
    this.file = path.resolve(file);
    this.extension = path.resolve(extension);
    this.db = open(this.file, this.extension, false);
    this.statements = new Map();
    for (const side of ['items', 'events']) quoteIdent(tables[side]);
    const cols = {};
    for (const side of ['items', 'events']) {
      const names = this.db.prepare(COLUMNS.sqlite).pluck().all(tables[side]);
      cols[side] = names.length ? new Set(names) : null;
    }
    this.tables = tableQueries('sqlite', tables, cols);
    this.busy = null;
  }

  describe() {
    return `SQLite ${this.file}`;
  }

  statement(sql) {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  // Run a named statement with its parameters; JSON text columns parsed.
  async run(name, params) {
    const q = SERVING[name] || this.tables[name];
    if (!q) throw new Error(`no statement ${name}`);
    const rows = this.statement(q.sqlite || q.sql).all(...params);
    if (q.json) for (const r of rows) for (const c of q.json) if (typeof r[c] === 'string') r[c] = JSON.parse(r[c]);
    return rows;
  }

  // recsys_evaluate on a connection of its own, in a worker thread.
  evaluate(params) {
    return new Promise((resolve, reject) => {
      const w = new Worker(path.join(__dirname, 'sqlite_worker.js'), {
        workerData: { file: this.file, extension: this.extension, sql: SERVING.evaluate.sqlite, params },
      });
      w.once('message', (m) => {
        if (m.ok) resolve(m.rows);
        else reject(Object.assign(new Error(m.message), { code: m.code }));
      });
      w.once('error', reject);
      w.once('exit', (code) => reject(new Error(`evaluation worker exited with code ${code}`)));
    });
  }

  async close() {
    this.db.close();
  }
}

module.exports = { SqliteBackend, open };
