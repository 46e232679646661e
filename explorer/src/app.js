'use strict';
// The HTTP side: JSON endpoints (each one SQL call through the backend) and
// the static page. Errors leave as {sqlstate, message} with a fitting status.
const path = require('node:path');
const Fastify = require('fastify');
const { ApiError, fromDatabase } = require('./errors');

const bad = (message) => new ApiError(400, '22023', message);

// k and limits: integers as the client wrote them; the range is the
// extension's to check (its error names it), limits ours.
function intParam(value, name, dflt) {
  if (value === undefined || value === '') return dflt;
  if (!/^-?[0-9]{1,9}$/.test(String(value))) throw bad(`${name} must be an integer, got ${JSON.stringify(String(value))}`);
  return Number(value);
}

function limitParam(value, dflt, max) {
  const n = intParam(value, 'limit', dflt);
  if (n < 1 || n > max) throw bad(`limit must be between 1 and ${max} (got ${n})`);
  return n;
}

// model: NULL (the default model) when absent; options passed on as text for
// the extension to parse and check.
const modelParam = (q) => (q.model === undefined || q.model === '' ? null : String(q.model));
const optionsParam = (q) => (q.options === undefined || q.options === '' ? '{}' : String(q.options));

// a list of ids: a JSON array text, or ids separated by commas
function idList(value, name) {
  if (value === undefined || value === '') return '[]';
  const s = String(value);
  if (s.trimStart().startsWith('[')) {
    let a;
    try { a = JSON.parse(s); } catch { throw bad(`${name} is not valid JSON`); }
    if (!Array.isArray(a)) throw bad(`${name} must be an array`);
    return JSON.stringify(a.map((x) => (x === null ? null : String(x))));
  }
  return JSON.stringify(s.split(',').map((x) => x.trim()).filter((x) => x !== ''));
}

function buildApp(backend, { logger = false } = {}) {
  const app = Fastify({ logger });

  const run = async (name, params) => {
    try {
      return await backend.run(name, params);
    } catch (e) {
      throw fromDatabase(e);
    }
  };
  const needTable = (name, what) => {
    if (!backend.tables[name]) throw new ApiError(404, '42P01', `no ${what} table configured (see EXPLORER_ITEMS / EXPLORER_EVENTS)`);
  };

  app.setErrorHandler((err, req, reply) => {
    let e = err instanceof ApiError ? err : null;
    if (!e && err.statusCode && err.statusCode < 500) e = new ApiError(err.statusCode, '22023', err.message);
    if (!e) e = fromDatabase(err);
    if (e.status >= 500 && e.sqlstate === 'XX000') req.log.error(err);
    reply.code(e.status).type('application/json').send(e.toJSON());
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ sqlstate: null, message: `no endpoint ${req.method} ${req.url.split('?')[0]}` });
  });

  app.get('/api/health', async () => {
    const [row] = await run('health', []);
    return { status: 'ok', backend: backend.kind, ...row };
  });

  app.get('/api/models', async () => run('models', []));

  app.get('/api/recommendations/:user', async (req) => {
    const q = req.query;
    return run('recommend', [req.params.user, intParam(q.k, 'k', 10), modelParam(q), optionsParam(q)]);
  });

  app.get('/api/similar/:item', async (req) => {
    const q = req.query;
    return run('similar', [req.params.item, intParam(q.k, 'k', 10), modelParam(q), optionsParam(q)]);
  });

  app.get('/api/popular', async (req) => {
    const q = req.query;
    return run('popular', [intParam(q.k, 'k', 10), modelParam(q), optionsParam(q)]);
  });

  // an anonymous session from the items it touched ...
  app.get('/api/session', async (req) => {
    const q = req.query;
    return run('sessionItems', [idList(q.items, 'items'), intParam(q.k, 'k', 10), modelParam(q), optionsParam(q)]);
  });
  // ... or from the rows of one session of the model's source
  app.get('/api/session/:session', async (req) => {
    const q = req.query;
    return run('session', [req.params.session, intParam(q.k, 'k', 10), modelParam(q), optionsParam(q)]);
  });

  app.get('/api/explain/:user/:item', async (req) =>
    run('explain', [req.params.user, req.params.item, modelParam(req.query)]));

  app.get('/api/users/:user/profile', async (req) => {
    const rows = await run('profile', [req.params.user, modelParam(req.query), optionsParam(req.query)]);
    return rows[0] || null;
  });

  app.get('/api/users/:user/history', async (req) => {
    needTable('history', 'events');
    return run('history', [req.params.user, limitParam(req.query.limit, 50, 1000)]);
  });

  app.get('/api/users', async (req) => {
    needTable('users', 'events');
    return run('users', [limitParam(req.query.limit, 1000, 100000)]);
  });

  app.get('/api/items', async (req) => {
    needTable('items', 'items');
    if (req.query.ids !== undefined) return run('itemsById', [idList(req.query.ids, 'ids')]);
    return run('items', [limitParam(req.query.limit, 5000, 100000)]);
  });

  app.get('/api/categories', async () => {
    needTable('categories', 'items (with a category column)');
    return run('categories', []);
  });

  // a stored model evaluated on its source, recorded as its last_evaluation
  app.post('/api/models/:model/evaluate', async (req) => {
    const k = intParam(req.query.k, 'k', 10);
    let rows;
    try {
      rows = await backend.evaluate([k, req.params.model]);
    } catch (e) {
      throw fromDatabase(e);
    }
    if (!rows.length) throw new ApiError(404, '42704', `model "${req.params.model}" does not exist`);
    return rows[0];
  });

  // how far a running evaluation of the model is: {line}, null when none is
  // seen (always in SQLite, whose progress goes to sqlite3_log only)
  app.get('/api/models/:model/progress', async (req) => {
    if (backend.kind !== 'pg') return { line: null };
    const rows = await run('evaluateProgress', [`-- recsys: evaluate "${req.params.model}":`]);
    return { line: rows.length ? rows[0].line : null };
  });

  app.get('/api/policies', async () => run('policies', []));
  app.get('/api/policies/:policy/report', async (req) => run('policyReport', [req.params.policy]));
  app.get('/api/policies/:policy/ctr', async (req) => run('policyCtr', [req.params.policy]));

  app.register(require('@fastify/static'), { root: path.join(__dirname, '..', 'public') });
  return app;
}

module.exports = { buildApp, intParam, idList };
