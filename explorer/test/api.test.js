'use strict';
// Endpoint tests against a real database: node test/api.test.js sqlite FILE
// or node test/api.test.js pg CONNSTRING VIEWER_CONNSTRING (a role without
// USAGE on shop_ease). Each endpoint's rows are compared with the same call
// made directly in SQL; each error with its expected status and SQLSTATE.
// Both databases answer every error case with the same status.
const path = require('node:path');
const { buildApp } = require('../src/app');
const { sqliteState, fromDatabase } = require('../src/errors');
const { check, same, exitCode } = require('./check');

const [kind, target, viewer] = process.argv.slice(2);
const tables = { items: 'products', events: 'events' };
const EXT = path.join(__dirname, '..', '..', 'sqlite_recsys', 'recsys.so');

async function openDirect() {
  if (kind === 'sqlite') {
    const Database = require('better-sqlite3');
    const db = new Database(target);
    db.loadExtension(EXT);
    // $n -> ?: each parameter appears once, in order
    return { all: async (sql, p) => db.prepare(sql.replace(/\$\d+(::\w+)?/g, '?')).all(...p), close: async () => db.close() };
  }
  const pg = require('pg');
  const c = new pg.Client({ connectionString: target });
  await c.connect();
  return { all: async (sql, p) => (await c.query(sql, p)).rows, close: () => c.end() };
}

async function openBackend(conn) {
  if (kind === 'sqlite') {
    const { SqliteBackend } = require('../src/sqlite');
    return new SqliteBackend({ file: target, extension: EXT, tables });
  }
  const { PgBackend } = require('../src/postgres');
  return new PgBackend({ connectionString: conn, tables }).init();
}

const T = `[${kind}]`;
const rowsOf = (rs, keys) => rs.map((r) => keys.map((k) => (typeof r[k] === 'number' ? Number(r[k].toPrecision(6)) : r[k])));

async function main() {
  const backend = await openBackend(target);
  const app = buildApp(backend);
  const direct = await openDirect();
  const get = async (url, method = 'GET') => {
    const r = await app.inject({ method, url });
    return { status: r.statusCode, body: r.json(), type: r.headers['content-type'] };
  };
  const enc = encodeURIComponent;

  // --- rows: the endpoint against the same call in SQL
  let r = await get('/api/health');
  check(`${T} health`, r.status === 200 && r.body.status === 'ok' && r.body.recsys_version === '0.2.0', r.body);

  r = await get('/api/models');
  const names = r.status === 200 ? r.body.map((m) => m.name) : [];
  check(`${T} models lists the models`, ['shop_als', 'shop_ease', 'shop_pop'].every((n) => names.includes(n)), names);
  check(`${T} models: summary and options are JSON objects`, r.status === 200 && typeof r.body[0].summary === 'object' && typeof r.body[0].options === 'object');

  const opts = JSON.stringify({ price_max: 25, categories: ['books', 'pets'] });
  r = await get(`/api/recommendations/c001?k=7&model=shop_als&options=${enc(opts)}`);
  let want = await direct.all('SELECT item_id, score, rank, reason, source FROM recommend($1, $2::int, $3, $4::jsonb)', ['c001', 7, 'shop_als', opts]);
  check(`${T} recommendations equal recommend() with filters`, r.status === 200 && want.length === 7 &&
    same(rowsOf(r.body, ['item_id', 'score', 'rank', 'reason', 'source']), rowsOf(want, ['item_id', 'score', 'rank', 'reason', 'source'])), r.body);

  r = await get('/api/recommendations/c002?model=shop_ease');
  want = await direct.all('SELECT item_id, score, rank FROM recommend($1, $2::int, $3, $4::jsonb)', ['c002', 10, 'shop_ease', '{}']);
  check(`${T} recommendations: k 10 and options {} by default`, r.status === 200 && same(rowsOf(r.body, ['item_id', 'rank']), rowsOf(want, ['item_id', 'rank'])));

  r = await get(`/api/similar/p001?k=5&model=shop_als&options=${enc('{"diversity": 0.3}')}`);
  want = await direct.all('SELECT item_id, score, rank, reason FROM similar_items($1, $2::int, $3, $4::jsonb)', ['p001', 5, 'shop_als', '{"diversity": 0.3}']);
  check(`${T} similar items equal similar_items()`, r.status === 200 && want.length > 0 && same(rowsOf(r.body, ['item_id', 'score', 'rank', 'reason']), rowsOf(want, ['item_id', 'score', 'rank', 'reason'])));

  r = await get(`/api/popular?k=4&model=shop_pop&options=${enc('{"categories": ["coffee"]}')}`);
  want = await direct.all('SELECT item_id, score, rank FROM popular_items($1::int, $2, $3::jsonb)', [4, 'shop_pop', '{"categories": ["coffee"]}']);
  check(`${T} popular items equal popular_items()`, r.status === 200 && want.length === 4 && same(rowsOf(r.body, ['item_id', 'score', 'rank']), rowsOf(want, ['item_id', 'score', 'rank'])));

  r = await get('/api/session?items=p001,p002&k=5&model=shop_als');
  want = kind === 'sqlite'
    ? await direct.all('SELECT item_id, score, rank FROM recommend_for_items($1, $2, $3, $4)', ['["p001","p002"]', 5, 'shop_als', '{}'])
    : await direct.all("SELECT item_id, score, rank FROM recommend_for_items(ARRAY['p001','p002'], $1::int, $2, $3::jsonb)", [5, 'shop_als', '{}']);
  check(`${T} session recommendations equal recommend_for_items()`, r.status === 200 && want.length === 5 && same(rowsOf(r.body, ['item_id', 'score', 'rank']), rowsOf(want, ['item_id', 'score', 'rank'])));
  r = await get(`/api/session?items=${enc('["p001", "p002"]')}&k=5&model=shop_als`);
  check(`${T} session items as a JSON array`, r.status === 200 && same(rowsOf(r.body, ['item_id']), rowsOf(want, ['item_id'])));

  const top = (await direct.all('SELECT item_id FROM recommend($1, $2::int, $3, $4::jsonb)', ['c001', 1, 'shop_als', '{}']))[0].item_id;
  r = await get(`/api/explain/c001/${top}?model=shop_als`);
  want = await direct.all('SELECT item_id, contribution, rank FROM recsys_explain($1, $2, $3)', ['c001', top, 'shop_als']);
  check(`${T} explain equals recsys_explain()`, r.status === 200 && want.length > 0 && same(rowsOf(r.body, ['item_id', 'contribution', 'rank']), rowsOf(want, ['item_id', 'contribution', 'rank'])));

  r = await get('/api/users/c001/profile?model=shop_als');
  want = await direct.all("SELECT interactions, customer_type FROM recsys_user_profile($1, $2, '{}')", ['c001', 'shop_als']);
  check(`${T} profile equals recsys_user_profile()`, r.status === 200 && Number(r.body.interactions) === Number(want[0].interactions) &&
    r.body.customer_type === want[0].customer_type && typeof r.body.event_counts === 'object', r.body);

  r = await get('/api/users/c001/history?limit=5');
  want = await direct.all('SELECT item_id, event FROM events WHERE user_id = $1 ORDER BY ts DESC LIMIT 5', ['c001']);
  check(`${T} history: the user's latest events`, r.status === 200 && same(rowsOf(r.body, ['item_id', 'event']), rowsOf(want, ['item_id', 'event'])), r.body);

  r = await get('/api/items?ids=p002,p001');
  check(`${T} items by id`, r.status === 200 && same(r.body.map((x) => x.item_id), ['p001', 'p002']) && typeof r.body[0].price === 'number' && r.body[0].name);
  r = await get('/api/categories');
  check(`${T} categories with price ranges`, r.status === 200 && r.body.length === 8 && r.body.every((c) => c.price_min <= c.price_max));
  r = await get('/api/users?limit=3');
  check(`${T} users`, r.status === 200 && r.body.length === 3);

  r = await get('/api/models/shop_ease/evaluate?k=5', 'POST');
  check(`${T} evaluate a model by name`, r.status === 200 && r.body.k === 5 && r.body.ndcg > 0 && r.body.test_users > 0, r.body);
  r = await get('/api/models');
  const ease = r.body.find((m) => m.name === 'shop_ease');
  check(`${T} evaluation recorded as the model's last_evaluation`, ease && ease.last_evaluation && ease.last_evaluation.k === 5, ease && ease.last_evaluation);

  r = await get('/api/policies');
  check(`${T} policies`, r.status === 200 && r.body.some((p) => p.name === 'homepage'), r.body);
  r = await get('/api/policies/homepage/report');
  check(`${T} policy report`, r.status === 200 && same(r.body.map((a) => a.arm).sort(), ['als', 'popular']), r.body);
  r = await get('/api/policies/homepage/ctr');
  check(`${T} policy CTR per day and arm`, r.status === 200 && r.body.length > 0 && r.body.every((x) => /^\d{4}-\d\d-\d\d$/.test(x.day) && x.impressions > 0 && x.ctr >= 0 && x.ctr <= 1), r.body.slice(0, 2));

  // --- errors: status and SQLSTATE, the same in both databases
  const errors = [
    ['unknown model', '/api/recommendations/c001?model=nope', 404, '42704'],
    ['unknown item', '/api/similar/zz?model=shop_als', 404, '42704'],
    ['unknown user in explain', '/api/explain/nobody/p001?model=shop_als', 404, '42704'],
    ['unknown item in explain', '/api/explain/c001/zz?model=shop_als', 404, '42704'],
    ['unknown user profile', '/api/users/nobody/profile?model=shop_als', 404, '42704'],
    ['unknown policy', '/api/policies/nopol/report', 404, '42704'],
    ['unknown model to evaluate', '/api/models/nope/evaluate', 404, '42704', 'POST'],
    ['a quote in a model name is data', `/api/recommendations/c001?model=${enc("shop_als'; DROP TABLE products; --")}`, 404, '42704'],
    ['unknown option', `/api/recommendations/c001?model=shop_als&options=${enc('{"bogus": 1}')}`, 400, '22023'],
    ['price_min above price_max', `/api/recommendations/c001?model=shop_als&options=${enc('{"price_min": 5, "price_max": 1}')}`, 400, '22023'],
    ['options not an object', `/api/recommendations/c001?model=shop_als&options=${enc('[1]')}`, 400, '22023'],
    ['options not JSON', `/api/recommendations/c001?model=shop_als&options=${enc('{bad')}`, 400, null],
    ['k out of range', '/api/recommendations/c001?model=shop_als&k=0', 400, '22023'],
    ['k not a number', '/api/popular?model=shop_pop&k=ten', 400, '22023'],
    ['popular: unknown measure', `/api/popular?model=shop_pop&options=${enc('{"measure": "clicks"}')}`, 400, '22023'],
    ['no model given, several exist', '/api/recommendations/c001', 400, '22023'],
    ['history limit out of range', '/api/users/c001/history?limit=0', 400, '22023'],
    ['no such endpoint', '/api/nothing', 404, null],
  ];
  for (const [name, url, status, state, method] of errors) {
    r = await get(url, method);
    const okState = state === null || r.body.sqlstate === state;
    check(`${T} error: ${name} -> ${status}${state ? ' ' + state : ''}`, r.status === status && okState &&
      typeof r.body.message === 'string' && !/\n\s+at /.test(r.body.message) && !('stack' in r.body) && /json/.test(r.type),
      { status: r.status, body: r.body });
  }
  want = await direct.all('SELECT count(*) AS n FROM products', []);
  check(`${T} the catalogue is intact after the quoted name`, Number(want[0].n) === 200);

  r = await get('/api/models/shop_als/progress');
  check(`${T} evaluation progress: none while nothing runs`, r.status === 200 && r.body.line === null, r.body);

  if (kind === 'pg') {
    // a statement whose text leads with the line recsys_evaluate puts in
    // pg_stat_activity (pg_recsys/progress.c) stands for a running evaluation
    const pg = require('pg');
    const other = new pg.Client({ connectionString: target });
    await other.connect();
    const line = 'recsys: evaluate "shop_ease": evaluating user 3/10, 0.5 s';
    // its cancellation is expected: handled from the start, since the error
    // may arrive before pg_cancel_backend's own answer does
    const sleeping = other.query(`-- ${line}\nSELECT pg_sleep(3)`).catch((e) => e);
    for (let i = 0; i < 25; i++) {
      await new Promise((res) => setTimeout(res, 100));
      r = await get('/api/models/shop_ease/progress');
      if (r.body.line) break;
    }
    const r2 = await get('/api/models/shop_als/progress');
    check(`${T} evaluation progress: the running evaluation's line, for its model only`, r.body.line === line && r2.body.line === null, [r.body, r2.body]);
    await direct.all("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '-- recsys: evaluate \"shop_ease\"%'", []);
    const cancelled = await sleeping;
    check(`${T} the stand-in evaluation was cancelled (57014)`, cancelled instanceof Error && cancelled.code === '57014', String(cancelled));
    await other.end();

    const vb = await openBackend(viewer);
    const va = buildApp(vb);
    const v = await va.inject({ url: '/api/recommendations/c001?model=shop_ease' });
    check(`${T} error: model without USAGE -> 403 42501`, v.statusCode === 403 && v.json().sqlstate === '42501', v.json());
    const v2 = await va.inject({ url: '/api/recommendations/c001?model=shop_als&k=3' });
    check(`${T} a granted model serves the same role`, v2.statusCode === 200 && v2.json().length === 3);
    await va.close();
    await vb.close();
  } else {
    // the forms SQLite's messages are classified by, on messages the
    // end-to-end cases above do not reach
    const forms = [
      ['permission denied for model "m"', '42501'], ['interrupted', '57014'], ['no model exists', '42704'],
      ['unknown user "u"', '42704'], ['user "u" is not in the model', '42704'], ['no such table: t', 'XX000'],
    ];
    check(`${T} SQLite message forms -> SQLSTATE`, forms.every(([m, s]) => sqliteState(m) === s), forms.map(([m]) => sqliteState(m)));
    const down = fromDatabase(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    const bug = fromDatabase(new TypeError('x is undefined'));
    check(`${T} no database: 503 08006; a bug of ours: 500 without its text`, down.status === 503 && down.sqlstate === '08006' &&
      bug.status === 500 && bug.message === 'internal error', [down.toJSON(), bug.toJSON()]);
  }
  await app.close();
  await backend.close();
  await direct.close();
  process.exit(exitCode());
}

main().catch((e) => {
  console.log(`FAIL: ${T} api test crashed: ${e.stack}`);
  process.exit(1);
});
