'use strict';
// The browser test: node test/browser.test.js sqlite SHOP_DB SHOTS_DIR (or
// pg CONNSTRING SHOTS_DIR). Serves the demo shop, opens the page in Debian's
// chromium (headless, driven by playwright-core), changes the model and a
// price filter, and checks the rows shown are what recommend() returns for
// the same arguments, read directly from the database; then visits every
// page, runs an evaluation from the Models page, and writes a screenshot of
// each page to SHOTS_DIR.
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { buildApp } = require('../src/app');
const { check, same, exitCode } = require('./check');

const [kind, target, shots] = process.argv.slice(2);
const T = `browser [${kind}]:`;
const tables = { items: 'products', events: 'events' };
const EXT = path.join(__dirname, '..', '..', 'sqlite_recsys', 'recsys.so');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

async function main() {
  fs.mkdirSync(shots, { recursive: true });
  let backend, db;
  if (kind === 'pg') {
    const { PgBackend } = require('../src/postgres');
    backend = await new PgBackend({ connectionString: target, tables }).init();
    const pg = require('pg');
    const c = new pg.Client({ connectionString: target });
    await c.connect();
    // SQLite's ? as $1, $2, ...
    const all = async (sql, p) => { let n = 0; return (await c.query(sql.replace(/\?/g, () => `$${++n}`), p)).rows; };
    db = { all, get: async (sql, p) => (await all(sql, p))[0], close: () => c.end() };
  } else {
    const { SqliteBackend } = require('../src/sqlite');
    backend = new SqliteBackend({ file: target, extension: EXT, tables });
    const Database = require('better-sqlite3');
    const d = new Database(target, { readonly: true });
    d.loadExtension(EXT);
    db = { all: async (sql, p) => d.prepare(sql).all(...p), get: async (sql, p) => d.prepare(sql).get(...p), close: async () => d.close() };
  }
  const app = buildApp(backend);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${app.server.address().port}/`;

  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.setDefaultTimeout(15000);
  const shot = (name) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  const shownRows = () => page.$$eval('#results tr.row', (trs) => trs.map((tr) => ({
    item_id: tr.dataset.item, rank: Number(tr.dataset.rank), score: Number(tr.dataset.score),
    name: tr.querySelector('a.item').textContent, price: tr.children[3].textContent })));

  try {
    // the first page: recommendations of the first user, shop_als by default
    await page.goto(url + '#/recommend');
    await page.waitForSelector('#results[data-kind="recommend"] tr.row');
    const user = await page.inputValue('input[name=user]');
    let rows = await shownRows();
    let want = await db.all('SELECT item_id, score, rank FROM recommend(?, ?, ?, ?)', [user, 10, 'shop_als', '{}']);
    check(`${T} the first page shows recommend(user, 10, shop_als)`, same(rows.map((r) => [r.item_id, r.rank, r.score]),
      want.map((r) => [r.item_id, r.rank, r.score])), rows.slice(0, 2));

    // another model and a price filter
    await page.selectOption('select[name=model]', 'shop_ease');
    await page.fill('input[name=price_max]', '25');
    const options = JSON.stringify({ price_max: 25 });
    await page.waitForSelector(`#results[data-model="shop_ease"][data-options='${options}'] tr.row`);
    rows = await shownRows();
    want = await db.all('SELECT r.item_id, r.score, r.rank, p.name, p.price FROM recommend(?, ?, ?, ?) r JOIN products p USING (item_id) ORDER BY r.rank', [user, 10, 'shop_ease', options]);
    check(`${T} model shop_ease and price max 25 show what recommend() returns`, want.length === 10 &&
      same(rows.map((r) => [r.item_id, r.rank, r.score]), want.map((r) => [r.item_id, r.rank, r.score])),
      { shown: rows.map((r) => r.item_id), want: want.map((r) => r.item_id) });
    check(`${T} rows show the products' names and prices`, same(rows.map((r) => [r.name, r.price]),
      want.map((r) => [r.name, r.price.toFixed(2)])) && rows.every((r) => Number(r.price) <= 25));
    check(`${T} the SQL line is the call made`, (await page.textContent('#sql')) ===
      `SELECT * FROM recommend('${user}', 10, 'shop_ease', '${options}');`, await page.textContent('#sql'));

    // recsys_explain on demand
    await page.click('#results tr.row button');
    await page.waitForSelector('tr.explain table tr, tr.explain .error');
    const ex = await db.all('SELECT item_id FROM recsys_explain(?, ?, ?)', [user, rows[0].item_id, 'shop_ease']);
    const exShown = await page.$$eval('tr.explain table tr', (trs) => trs.map((tr) => tr.querySelector('.id').textContent));
    check(`${T} "why?" shows recsys_explain()`, exShown.length > 0 && same(exShown, ex.slice(0, 8).map((r) => r.item_id)), exShown);
    await shot('recommend');

    await page.goto(url + '#/similar?item=p001');
    await page.waitForSelector('#results[data-kind="similar"] tr.row');
    rows = await shownRows();
    want = await db.all('SELECT item_id FROM similar_items(?, ?, ?, ?)', ['p001', 10, 'shop_als', '{}']);
    check(`${T} similar items of p001`, same(rows.map((r) => r.item_id), want.map((r) => r.item_id)));
    await shot('similar');

    await page.goto(url + `#/user?user=${user}`);
    await page.waitForSelector('#history table tr td');
    const kvs = await page.$$eval('#profile .kv b', (bs) => bs.map((b) => b.textContent));
    const prof = await db.get("SELECT customer_type FROM recsys_user_profile(?, 'shop_als', '{}')", [user]);
    check(`${T} the user page shows recsys_user_profile()`, kvs[0] === prof.customer_type, kvs);
    await shot('user');

    await page.goto(url + '#/popular');
    await page.waitForSelector('#results[data-kind="popular"] tr.row');
    check(`${T} popular items`, (await shownRows()).length === 10);
    await shot('popular');

    await page.goto(url + '#/models');
    await page.click('#evaluate-all');
    await page.waitForSelector('#eval-progress.busy', { timeout: 5000 }).catch(() => {});
    await page.waitForSelector('#eval-status[data-done="4"]', { timeout: 60000 });
    const bars = await page.$$eval('#eval-chart rect', (r) => r.length);
    check(`${T} the evaluation chart compares the four models`, bars === 4 * 5, bars);
    const evals = Number((await db.get('SELECT count(*) AS n FROM recsys_models WHERE last_evaluation IS NOT NULL', [])).n);
    check(`${T} each evaluation is recorded on its model`, evals === 4, evals);
    await shot('models');

    await page.goto(url + '#/policies');
    await page.waitForSelector('#ctr-chart polyline');
    const lines = await page.$$eval('#ctr-chart polyline', (p) => p.length);
    check(`${T} the CTR chart has a line per arm`, lines === 2, lines);
    await shot('policies');

    check(`${T} no script error on any page`, pageErrors.length === 0, pageErrors);
  } catch (e) {
    check(`${T} the scenario ran to its end`, false, e.message.split('\n')[0]);
    await shot('failure').catch(() => {});
  }
  await browser.close();
  await app.close();
  await backend.close();
  await db.close();
  process.exit(exitCode());
}

main().catch((e) => {
  console.log(`FAIL: ${T} the test crashed: ${e.message}`);
  process.exit(1);
});
