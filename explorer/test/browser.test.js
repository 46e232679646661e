'use strict';
// The browser test: node test/browser.test.js SHOP_DB SHOTS_DIR. Serves the
// demo shop, opens the page in Debian's chromium (headless, driven by
// playwright-core), changes the model and a price filter, and checks the
// rows shown are what recommend() returns for the same arguments, read
// directly from the database; then visits every page, runs an evaluation
// from the Models page, and writes a screenshot of each page to SHOTS_DIR.
const fs = require('node:fs');
const path = require('node:path');
const Database = require('better-sqlite3');
const { chromium } = require('playwright-core');
const { buildApp } = require('../src/app');
const { SqliteBackend } = require('../src/sqlite');
const { check, same, exitCode } = require('./check');

const [file, shots] = process.argv.slice(2);
const EXT = path.join(__dirname, '..', '..', 'sqlite_recsys', 'recsys.so');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

async function main() {
  fs.mkdirSync(shots, { recursive: true });
  const backend = new SqliteBackend({ file, extension: EXT, tables: { items: 'products', events: 'events' } });
  const app = buildApp(backend);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${app.server.address().port}/`;
  const db = new Database(file, { readonly: true });
  db.loadExtension(EXT);

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
    let want = db.prepare('SELECT item_id, score, rank FROM recommend(?, ?, ?, ?)').all(user, 10, 'shop_als', '{}');
    check('browser: the first page shows recommend(user, 10, shop_als)', same(rows.map((r) => [r.item_id, r.rank, r.score]),
      want.map((r) => [r.item_id, r.rank, r.score])), rows.slice(0, 2));

    // another model and a price filter
    await page.selectOption('select[name=model]', 'shop_ease');
    await page.fill('input[name=price_max]', '25');
    const options = JSON.stringify({ price_max: 25 });
    await page.waitForSelector(`#results[data-model="shop_ease"][data-options='${options}'] tr.row`);
    rows = await shownRows();
    want = db.prepare('SELECT r.item_id, r.score, r.rank, p.name, p.price FROM recommend(?, ?, ?, ?) r JOIN products p USING (item_id) ORDER BY r.rank')
      .all(user, 10, 'shop_ease', options);
    check('browser: model shop_ease and price max 25 show what recommend() returns', want.length === 10 &&
      same(rows.map((r) => [r.item_id, r.rank, r.score]), want.map((r) => [r.item_id, r.rank, r.score])),
      { shown: rows.map((r) => r.item_id), want: want.map((r) => r.item_id) });
    check('browser: rows show the products\' names and prices', same(rows.map((r) => [r.name, r.price]),
      want.map((r) => [r.name, r.price.toFixed(2)])) && rows.every((r) => Number(r.price) <= 25));
    check('browser: the SQL line is the call made', (await page.textContent('#sql')) ===
      `SELECT * FROM recommend('${user}', 10, 'shop_ease', '${options}');`, await page.textContent('#sql'));

    // recsys_explain on demand
    await page.click('#results tr.row button');
    await page.waitForSelector('tr.explain table tr, tr.explain .error');
    const ex = db.prepare('SELECT item_id FROM recsys_explain(?, ?, ?)').all(user, rows[0].item_id, 'shop_ease');
    const exShown = await page.$$eval('tr.explain table tr', (trs) => trs.map((tr) => tr.querySelector('.id').textContent));
    check('browser: "why?" shows recsys_explain()', exShown.length > 0 && same(exShown, ex.slice(0, 8).map((r) => r.item_id)), exShown);
    await shot('recommend');

    await page.goto(url + '#/similar?item=p001');
    await page.waitForSelector('#results[data-kind="similar"] tr.row');
    rows = await shownRows();
    want = db.prepare('SELECT item_id FROM similar_items(?, ?, ?, ?)').all('p001', 10, 'shop_als', '{}');
    check('browser: similar items of p001', same(rows.map((r) => r.item_id), want.map((r) => r.item_id)));
    await shot('similar');

    await page.goto(url + `#/user?user=${user}`);
    await page.waitForSelector('#history table tr td');
    const kvs = await page.$$eval('#profile .kv b', (bs) => bs.map((b) => b.textContent));
    const prof = db.prepare("SELECT customer_type FROM recsys_user_profile(?, 'shop_als', '{}')").get(user);
    check('browser: the user page shows recsys_user_profile()', kvs[0] === prof.customer_type, kvs);
    await shot('user');

    await page.goto(url + '#/popular');
    await page.waitForSelector('#results[data-kind="popular"] tr.row');
    check('browser: popular items', (await shownRows()).length === 10);
    await shot('popular');

    await page.goto(url + '#/models');
    await page.click('#evaluate-all');
    await page.waitForSelector('#eval-progress.busy', { timeout: 5000 }).catch(() => {});
    await page.waitForSelector('#eval-status[data-done="4"]', { timeout: 60000 });
    const bars = await page.$$eval('#eval-chart rect', (r) => r.length);
    check('browser: the evaluation chart compares the four models', bars === 4 * 5, bars);
    const evals = db.prepare('SELECT count(*) AS n FROM recsys_models WHERE last_evaluation IS NOT NULL').get().n;
    check('browser: each evaluation is recorded on its model', evals === 4, evals);
    await shot('models');

    await page.goto(url + '#/policies');
    await page.waitForSelector('#ctr-chart polyline');
    const lines = await page.$$eval('#ctr-chart polyline', (p) => p.length);
    check('browser: the CTR chart has a line per arm', lines === 2, lines);
    await shot('policies');

    check('browser: no script error on any page', pageErrors.length === 0, pageErrors);
  } catch (e) {
    check('browser: the scenario ran to its end', false, e.message.split('\n')[0]);
    await shot('failure').catch(() => {});
  }
  await browser.close();
  await app.close();
  await backend.close();
  db.close();
  process.exit(exitCode());
}

main().catch((e) => {
  console.log(`FAIL: browser test crashed: ${e.message}`);
  process.exit(1);
});
