'use strict';
// Errors as the API returns them: {sqlstate, message[, detail, hint]} with an
// HTTP status chosen by the SQLSTATE. PostgreSQL gives the SQLSTATE; SQLite
// has none, so its messages are classified by the fixed forms the extension
// words them in (core/messages.c, the options checks, the bindings).

class ApiError extends Error {
  constructor(status, sqlstate, message, extra = {}) {
    super(message);
    this.status = status;
    this.sqlstate = sqlstate;
    this.extra = extra;
  }
  toJSON() {
    return { sqlstate: this.sqlstate, message: this.message, ...this.extra };
  }
}

// SQLSTATE -> HTTP status. Unknown model / user / item / policy: 404; bad
// argument or option (class 22, syntax 42601): 400; privileges: 403;
// cancelled (statement_timeout): 503; anything else: 500.
function statusFor(sqlstate) {
  if (!sqlstate) return 500;
  if (sqlstate === '42704') return 404;
  if (sqlstate === '42501') return 403;
  if (sqlstate === '57014') return 503;
  if (sqlstate.startsWith('22') && sqlstate !== '22000') return 400;
  if (sqlstate === '42601') return 400;
  return 500;
}

// The extension's message forms in SQLite and the SQLSTATE PostgreSQL raises
// for the same error. First match wins; test/api.test.js checks both
// databases answer the same requests with the same status.
const SQLITE_FORMS = [
  [/^model ".*" does not exist/s, '42704'],
  [/^(user|item) ".*" is not in (the )?model/s, '42704'],
  [/^unknown user "/, '42704'],
  [/^policy ".*" does not exist/s, '42704'],
  [/^no model exists/, '42704'],
  [/^no model given/, '22023'],
  [/^(unknown option|option "|argument "|options must be|k must be|unknown algorithm|unknown measure)/, '22023'],
  [/ must (not )?be /, '22023'],
  [/^(permission denied|not authorized)/, '42501'],
  [/^interrupted$/, '57014'],
];

function sqliteState(message) {
  for (const [re, state] of SQLITE_FORMS) if (re.test(message)) return state;
  return 'XX000';
}

// A database error (pg's DatabaseError or a better-sqlite3 SqliteError) as an
// ApiError; anything else is a bug of ours: a 500 without its stack.
function fromDatabase(err) {
  if (err instanceof ApiError) return err;
  if (err && typeof err.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code) && err.severity) {
    const extra = {};
    if (err.detail) extra.detail = err.detail;
    if (err.hint) extra.hint = err.hint;
    return new ApiError(statusFor(err.code), err.code, err.message, extra);
  }
  if (err && typeof err.code === 'string' && err.code.startsWith('SQLITE_')) {
    if (err.code === 'SQLITE_INTERRUPT') return new ApiError(503, '57014', err.message);
    if (err.code === 'SQLITE_AUTH') return new ApiError(403, '42501', err.message);
    const state = sqliteState(err.message);
    return new ApiError(statusFor(state), state, err.message);
  }
  // no connection (pg: the server is down, the socket is missing)
  if (err && ['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(err.code)) {
    return new ApiError(503, '08006', `cannot reach the database (${err.code})`);
  }
  return new ApiError(500, 'XX000', 'internal error');
}

module.exports = { ApiError, fromDatabase, statusFor, sqliteState, SQLITE_FORMS };
