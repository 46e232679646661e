'use strict';
// One long statement (recsys_evaluate) on a connection of its own, so the
// server's connection keeps serving; the error's code and message go back
// to be mapped like any other.
const { parentPort, workerData } = require('node:worker_threads');
const { open } = require('./sqlite');

let db;
try {
  db = open(workerData.file, workerData.extension, false);
  const rows = db.prepare(workerData.sql).all(...workerData.params);
  parentPort.postMessage({ ok: true, rows });
} catch (e) {
  parentPort.postMessage({ ok: false, code: e.code, message: e.message });
} finally {
  if (db) db.close();
}
