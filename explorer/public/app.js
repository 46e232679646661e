// recsys explorer: the page. Plain modules, no build step. Every number it
// shows comes from one JSON endpoint, which is one SQL call; the SQL line
// under each set of controls is the call a user would type.

// ---------- small helpers ----------
function h(tag, attrs = {}, ...kids) {
  const el = document.createElementNS(tag.startsWith('svg:') ? 'http://www.w3.org/2000/svg' : 'http://www.w3.org/1999/xhtml',
    tag.replace(/^svg:/, ''));
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}
const $ = (sel, root = document) => root.querySelector(sel);
const fmt = (x, d = 4) => (x === null || x === undefined ? '–' : Number(x).toFixed(d));
const money = (x) => (x === null || x === undefined ? '–' : Number(x).toFixed(2));
const bytes = (n) => (n >= 1 << 20 ? (n / (1 << 20)).toFixed(1) + ' MB' : (n / 1024).toFixed(0) + ' kB');
const sqlText = (s) => (s === null ? 'NULL' : `'${String(s).replace(/'/g, "''")}'`);

class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.sqlstate = body ? body.sqlstate : null;
  }
}

async function api(path, init) {
  const r = await fetch(path, init);
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new ApiError(r.status, body);
  return body;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? '?' + s : '';
}

function errorBox(e) {
  return h('div', { class: 'error' }, e.sqlstate ? h('code', {}, e.sqlstate) : null, e.message,
    e.status ? h('span', { class: 'id' }, `HTTP ${e.status}`) : null);
}

function debounce(fn, ms = 250) {
  let t;
  return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
}

// ---------- shared state: catalogue, models, policies ----------
const state = { items: new Map(), categories: [], models: [], policies: [], users: [] };

async function ensureItems(ids) {
  const missing = [...new Set(ids)].filter((id) => !state.items.has(id));
  if (!missing.length) return;
  try {
    for (const it of await api('/api/items' + query({ ids: JSON.stringify(missing) }))) state.items.set(it.item_id, it);
  } catch { /* no catalogue table: ids only */ }
}

async function loadShared() {
  const safe = (p) => api(p).catch(() => []);
  const [health, models, items, categories, policies, users] = await Promise.all([
    api('/api/health').catch((e) => ({ status: 'error', message: e.message })),
    safe('/api/models'), safe('/api/items'), safe('/api/categories'), safe('/api/policies'), safe('/api/users'),
  ]);
  state.models = models;
  state.categories = categories;
  state.policies = policies;
  state.users = users;
  for (const it of items) state.items.set(it.item_id, it);
  $('#backend').textContent = health.status === 'ok'
    ? `${health.backend === 'pg' ? 'PostgreSQL' : 'SQLite'} · recsys ${health.recsys_version}` : `backend: ${health.message}`;
}

const itemName = (id) => (state.items.get(id) || {}).name || id;

// ids in a reason ("because you viewed p033") shown as product names
function reasonText(reason) {
  if (!reason) return '';
  return reason.replace(/[^\s"()]+/g, (w) => (state.items.has(w) ? state.items.get(w).name || w : w));
}

function itemCell(id) {
  return h('td', {}, h('a', { class: 'item', href: '#/similar' + query({ item: id }) }, itemName(id)), h('span', { class: 'id' }, id));
}

function catCell(id) {
  const it = state.items.get(id);
  return h('td', {}, it && it.category ? h('span', { class: 'cat' }, it.category) : '–');
}

function bar(value, max) {
  const w = max > 0 ? Math.max(0, Math.min(1, value / max)) * 100 : 0;
  return h('div', { class: 'bar' }, h('div', { class: 'track' }, h('div', { class: 'fill', style: `width:${w.toFixed(1)}%` })),
    h('span', { class: 'val' }, fmt(value)));
}

// ---------- controls ----------
function field(label, input) {
  return h('label', { class: 'field' }, h('span', {}, label), input);
}

function modelSelect(value, { policies = false, onchange } = {}) {
  const sel = h('select', { class: 'wide', name: 'model', onchange },
    h('optgroup', { label: 'Models' }, state.models.map((m) => h('option', { value: m.name }, `${m.name} (${m.algorithm})`))),
    policies && state.policies.length
      ? h('optgroup', { label: 'Policies' }, state.policies.map((p) => h('option', { value: p.name }, `${p.name} (policy)`)))
      : null);
  if (value) sel.value = value;
  return sel;
}

function usersList() {
  return h('datalist', { id: 'users' }, state.users.map((u) => h('option', { value: u.user_id })));
}

function categoryChips(selected, onchange) {
  return h('div', { class: 'cats', id: 'categories' }, state.categories.map((c) => {
    const input = h('input', { type: 'checkbox', value: c.category, checked: selected.includes(c.category) });
    const chip = h('label', { class: 'chip' + (input.checked ? ' on' : ''), dataset: { category: c.category } }, input, c.category);
    input.addEventListener('change', () => { chip.classList.toggle('on', input.checked); onchange(); });
    return chip;
  }));
}
const checkedCategories = (root) => [...root.querySelectorAll('#categories input:checked')].map((i) => i.value);

function numberOrNull(input) {
  const v = input.value.trim();
  return v === '' ? null : Number(v);
}

// ---------- result tables ----------
function resultsTable(rows, { user, model, k, options, kind, explain }) {
  const max = Math.max(0, ...rows.map((r) => r.score));
  const hasReason = rows.some((r) => 'reason' in r);
  const hasSource = rows.some((r) => 'source' in r);
  const body = h('tbody');
  for (const r of rows) {
    const tr = h('tr', { class: 'row', dataset: { item: r.item_id, rank: r.rank, score: r.score } },
      h('td', { class: 'num' }, r.rank), itemCell(r.item_id), catCell(r.item_id),
      h('td', { class: 'num' }, money((state.items.get(r.item_id) || {}).price)),
      h('td', {}, bar(r.score, max)),
      hasSource ? h('td', { class: 'source' }, r.source) : null,
      hasReason ? h('td', {}, reasonText(r.reason)) : null,
      explain ? h('td', {}, h('button', { class: 'ghost small', onclick: () => toggleExplain(tr, r.item_id) }, 'why?')) : null);
    body.append(tr);
  }
  async function toggleExplain(tr, item) {
    const next = tr.nextElementSibling;
    if (next && next.classList.contains('explain')) { next.remove(); return; }
    const cell = h('td', { colspan: 9 }, h('div', { class: 'status' }, 'recsys_explain …'));
    tr.after(h('tr', { class: 'explain' }, cell));
    try {
      const ex = await api(`/api/explain/${encodeURIComponent(user)}/${encodeURIComponent(item)}` + query({ model }));
      await ensureItems(ex.map((e) => e.item_id));
      const m = Math.max(0, ...ex.map((e) => e.contribution));
      cell.replaceChildren(h('div', { class: 'sql' }, `SELECT * FROM recsys_explain(${sqlText(user)}, ${sqlText(item)}, ${sqlText(model)})`),
        ex.length ? h('table', {}, h('tbody', {}, ex.slice(0, 8).map((e) => h('tr', {}, h('td', { class: 'num' }, e.rank), itemCell(e.item_id),
          h('td', {}, bar(e.contribution, m)))))) : h('div', { class: 'empty' }, 'no contributions (this model has no split of its score)'));
    } catch (e) {
      cell.replaceChildren(errorBox(e));
    }
  }
  return h('table', { id: 'results', dataset: { kind, user: user ?? '', model: model ?? '', k, options } },
    h('thead', {}, h('tr', {}, h('th', { class: 'num' }, '#'), h('th', {}, 'Product'), h('th', {}, 'Category'),
      h('th', { class: 'num' }, 'Price'), h('th', {}, 'Score'), hasSource ? h('th', {}, 'Source') : null,
      hasReason ? h('th', {}, 'Reason') : null, explain ? h('th', {}, '') : null)),
    body);
}

// Run a request for a results card: spinner state, error box, table.
async function fillResults(card, path, meta) {
  card.dataset.state = 'loading';
  try {
    const rows = await api(path);
    await ensureItems(rows.map((r) => r.item_id));
    card.replaceChildren(rows.length ? resultsTable(rows, meta) : h('div', { class: 'empty', id: 'results', dataset: { ...meta, kind: meta.kind } }, 'no rows'));
  } catch (e) {
    card.replaceChildren(errorBox(e));
  }
  card.dataset.state = 'ready';
}

// ---------- pages ----------
const pages = {};

pages.recommend = (root, params) => {
  const user = h('input', { type: 'text', class: 'wide', name: 'user', list: 'users', value: params.get('user') || (state.users[0] || {}).user_id || '' });
  const model = modelSelect(params.get('model') || (state.models[0] || {}).name, { policies: true });
  const k = h('input', { type: 'number', name: 'k', min: 1, max: 100, value: params.get('k') || 10 });
  const pmin = h('input', { type: 'number', name: 'price_min', step: 'any', min: 0, placeholder: 'any' });
  const pmax = h('input', { type: 'number', name: 'price_max', step: 'any', min: 0, placeholder: 'any' });
  const div = h('input', { type: 'range', name: 'diversity', min: 0, max: 1, step: 0.05, value: 0 });
  const divVal = h('span', { class: 'id' }, '0');
  const up = h('input', { type: 'range', name: 'upsell', min: 0, max: 1, step: 0.05, value: 0 });
  const upVal = h('span', { class: 'id' }, '0');
  const seen = h('input', { type: 'checkbox', name: 'exclude_seen', checked: true });
  const fresh = h('input', { type: 'checkbox', name: 'fresh' });
  const sql = h('div', { class: 'sql', id: 'sql' });
  const results = h('div', { class: 'card', id: 'results-card' });
  const update = debounce(() => load(), 200);
  const controlsCard = h('div', { class: 'card' });
  const cats = categoryChips([], update);

  function options() {
    const o = {};
    if (numberOrNull(pmin) !== null) o.price_min = numberOrNull(pmin);
    if (numberOrNull(pmax) !== null) o.price_max = numberOrNull(pmax);
    const c = checkedCategories(controlsCard);
    if (c.length) o.categories = c;
    if (Number(div.value) > 0) o.diversity = Number(div.value);
    if (Number(up.value) > 0) o.upsell = Number(up.value);
    if (!seen.checked) o.exclude_seen = false;
    if (fresh.checked) o.fresh = true;
    return JSON.stringify(o);
  }
  function load() {
    divVal.textContent = div.value;
    upVal.textContent = up.value;
    const o = options();
    sql.textContent = `SELECT * FROM recommend(${sqlText(user.value)}, ${k.value}, ${sqlText(model.value)}, '${o}');`;
    const isPolicy = state.policies.some((p) => p.name === model.value);
    fillResults(results, `/api/recommendations/${encodeURIComponent(user.value)}` + query({ k: k.value, model: model.value, options: o }),
      { kind: 'recommend', user: user.value, model: model.value, k: k.value, options: o, explain: !isPolicy });
  }
  for (const el of [user, model, k, pmin, pmax, div, up, seen, fresh]) el.addEventListener(el.type === 'range' || el.type === 'text' || el.type === 'number' ? 'input' : 'change', update);
  controlsCard.append(h('div', { class: 'controls' },
    field('User', user), field('Model or policy', model), field('k', k), field('Price min', pmin), field('Price max', pmax),
    field('Diversity', h('div', {}, div, divVal)), field('Upsell', h('div', {}, up, upVal)),
    field('History', h('label', { class: 'check' }, seen, 'exclude seen')), field('Fresh', h('label', { class: 'check' }, fresh, 'read rows now'))),
  state.categories.length ? h('div', { class: 'controls', style: 'margin-top:12px' }, field('Categories', cats)) : null, sql);
  root.append(h('h1', {}, 'Recommendations'), usersList(), controlsCard, results);
  load();
};

pages.similar = (root, params) => {
  const byCat = new Map();
  for (const it of state.items.values()) {
    const c = it.category || 'other';
    if (!byCat.has(c)) byCat.set(c, []);
    byCat.get(c).push(it);
  }
  const item = h('select', { class: 'wide', name: 'item' }, [...byCat.entries()].map(([c, its]) =>
    h('optgroup', { label: c }, its.map((it) => h('option', { value: it.item_id }, `${it.name || it.item_id} · ${it.item_id}`)))));
  const first = params.get('item') || (state.items.keys().next().value || '');
  if (!state.items.has(first)) item.append(h('option', { value: first }, first));
  item.value = first;
  const model = modelSelect(params.get('model') || (state.models[0] || {}).name);
  const k = h('input', { type: 'number', name: 'k', min: 1, max: 100, value: 10 });
  const div = h('input', { type: 'range', name: 'diversity', min: 0, max: 1, step: 0.05, value: 0 });
  const sql = h('div', { class: 'sql' });
  const head = h('div', { class: 'card' });
  const results = h('div', { class: 'card', id: 'results-card' });
  function load() {
    const o = Number(div.value) > 0 ? JSON.stringify({ diversity: Number(div.value) }) : '{}';
    const it = state.items.get(item.value) || {};
    head.replaceChildren(h('div', { class: 'grid' }, h('div', { class: 'kv' }, h('span', {}, 'Product'), h('b', {}, it.name || item.value)),
      h('div', { class: 'kv' }, h('span', {}, 'Category'), h('b', {}, it.category || '–')),
      h('div', { class: 'kv' }, h('span', {}, 'Price'), h('b', {}, money(it.price)))));
    sql.textContent = `SELECT * FROM similar_items(${sqlText(item.value)}, ${k.value}, ${sqlText(model.value)}, '${o}');`;
    fillResults(results, `/api/similar/${encodeURIComponent(item.value)}` + query({ k: k.value, model: model.value, options: o }),
      { kind: 'similar', model: model.value, k: k.value, options: o });
  }
  const update = debounce(load, 200);
  for (const el of [item, model, k, div]) el.addEventListener(el.tagName === 'SELECT' ? 'change' : 'input', update);
  root.append(h('h1', {}, 'Similar items'),
    h('div', { class: 'card' }, h('div', { class: 'controls' }, field('Product', item), field('Model', model), field('k', k), field('Diversity', div)), sql),
    head, results);
  load();
};

pages.user = (root, params) => {
  const user = h('input', { type: 'text', class: 'wide', name: 'user', list: 'users', value: params.get('user') || (state.users[0] || {}).user_id || '' });
  const model = modelSelect(params.get('model') || (state.models[0] || {}).name);
  const profile = h('div', { class: 'card', id: 'profile' });
  const history = h('div', { class: 'card', id: 'history' });
  const kv = (label, value) => h('div', { class: 'kv' }, h('span', {}, label), h('b', {}, value ?? '–'));
  async function load() {
    const u = encodeURIComponent(user.value);
    try {
      const p = await api(`/api/users/${u}/profile` + query({ model: model.value }));
      profile.replaceChildren(h('h2', {}, 'Profile ', h('span', { class: 'id' }, `recsys_user_profile(${sqlText(user.value)}, ${sqlText(model.value)})`)),
        h('div', { class: 'grid' }, kv('Customer type', p.customer_type), kv('Spend segment', p.spend_segment),
          kv('Spending segment', p.spending_segment), kv('Interactions', p.interactions), kv('Distinct items', p.distinct_items),
          kv('Purchases', p.purchases), kv('Total spend', money(p.total_spend)), kv('Avg item price', money(p.avg_item_price)),
          kv('Last interaction', p.last_interaction), kv('Last purchase', p.last_purchase)),
        p.event_counts ? h('div', { class: 'legend', style: 'margin-top:12px' },
          Object.entries(p.event_counts).map(([e, n]) => h('span', { class: 'cat' }, `${e}: ${n}`))) : null,
        h('div', { style: 'margin-top:12px' }, h('a', { href: '#/recommend' + query({ user: user.value, model: model.value }) }, 'Recommendations for this user →')));
    } catch (e) {
      profile.replaceChildren(errorBox(e));
    }
    try {
      const rows = await api(`/api/users/${u}/history?limit=30`);
      await ensureItems(rows.map((r) => r.item_id));
      history.replaceChildren(h('h2', {}, 'History ', h('span', { class: 'id' }, 'latest 30 rows of the events table')),
        rows.length ? h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'Event'), h('th', {}, 'Product'), h('th', {}, 'Category'), h('th', { class: 'num' }, 'Price'))),
          h('tbody', {}, rows.map((r) => h('tr', {}, h('td', {}, r.ts ?? '–'), h('td', {}, h('span', { class: 'cat' }, r.event ?? '–')),
            itemCell(r.item_id), catCell(r.item_id), h('td', { class: 'num' }, money((state.items.get(r.item_id) || {}).price))))))
          : h('div', { class: 'empty' }, 'no rows'));
    } catch (e) {
      history.replaceChildren(errorBox(e));
    }
  }
  const update = debounce(load, 300);
  user.addEventListener('input', update);
  model.addEventListener('change', update);
  root.append(h('h1', {}, 'User'), usersList(), h('div', { class: 'card' }, h('div', { class: 'controls' }, field('User', user), field('Model', model))),
    profile, history);
  load();
};

pages.popular = (root, params) => {
  const model = modelSelect(params.get('model') || (state.models[0] || {}).name);
  const k = h('input', { type: 'number', name: 'k', min: 1, max: 100, value: 10 });
  const measure = h('select', { name: 'measure' }, h('option', { value: '' }, "model's own"), h('option', { value: 'users' }, 'users'),
    h('option', { value: 'purchases' }, 'purchases'), h('option', { value: 'weight' }, 'weight'));
  const pmax = h('input', { type: 'number', name: 'price_max', step: 'any', min: 0, placeholder: 'any' });
  const sql = h('div', { class: 'sql' });
  const results = h('div', { class: 'card', id: 'results-card' });
  const controls = h('div', { class: 'card' });
  const update = debounce(load, 200);
  const cats = categoryChips([], update);
  function load() {
    const o = {};
    if (measure.value) o.measure = measure.value;
    if (numberOrNull(pmax) !== null) o.price_max = numberOrNull(pmax);
    const c = checkedCategories(controls);
    if (c.length) o.categories = c;
    const os = JSON.stringify(o);
    sql.textContent = `SELECT * FROM popular_items(${k.value}, ${sqlText(model.value)}, '${os}');`;
    fillResults(results, '/api/popular' + query({ k: k.value, model: model.value, options: os }), { kind: 'popular', model: model.value, k: k.value, options: os });
  }
  for (const el of [model, k, measure, pmax]) el.addEventListener(el.tagName === 'SELECT' ? 'change' : 'input', update);
  controls.append(h('div', { class: 'controls' }, field('Model', model), field('k', k), field('Measure', measure), field('Price max', pmax)),
    state.categories.length ? h('div', { class: 'controls', style: 'margin-top:12px' }, field('Categories', cats)) : null, sql);
  root.append(h('h1', {}, 'Popular items'), controls, results);
  load();
};

// grouped bars: one group per metric, one bar per model
const METRICS = ['precision', 'recall', 'ndcg', 'map', 'coverage'];
function evalChart(models) {
  const evald = models.filter((m) => m.last_evaluation);
  if (!evald.length) return h('div', { class: 'empty' }, 'No evaluation yet: run one above.');
  const W = 760, H = 260, L = 40, B = 28, T = 10;
  const gw = (W - L) / METRICS.length, bw = Math.min(28, (gw - 20) / evald.length);
  const y = (v) => T + (H - T - B) * (1 - Math.max(0, Math.min(1, v)));
  const svg = h('svg:svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img', id: 'eval-chart' });
  for (const g of [0, 0.25, 0.5, 0.75, 1]) {
    svg.append(h('svg:line', { x1: L, x2: W, y1: y(g), y2: y(g), stroke: '#e3e6ec' }),
      h('svg:text', { x: L - 6, y: y(g) + 4, 'text-anchor': 'end' }, g.toFixed(2)));
  }
  METRICS.forEach((metric, i) => {
    const x0 = L + i * gw + (gw - bw * evald.length) / 2;
    evald.forEach((m, j) => {
      const v = Number(m.last_evaluation[metric]) || 0;
      svg.append(h('svg:rect', { x: x0 + j * bw + 1, y: y(v), width: bw - 2, height: y(0) - y(v), rx: 2, fill: `var(--c${j % 6})` },
        h('svg:title', {}, `${m.name}: ${metric}@${m.last_evaluation.k} = ${v.toFixed(4)}`)));
    });
    svg.append(h('svg:text', { x: L + i * gw + gw / 2, y: H - 8, 'text-anchor': 'middle' }, metric));
  });
  return h('div', {}, svg, h('div', { class: 'legend' }, evald.map((m, j) => h('span', {}, h('i', { style: `background:var(--c${j % 6})` }),
    `${m.name} (${m.algorithm}, v${m.last_evaluation.version ?? m.version}, k=${m.last_evaluation.k})`))));
}

pages.models = (root) => {
  const k = h('input', { type: 'number', name: 'k', min: 1, max: 100, value: 10 });
  const progress = h('div', { class: 'progress', id: 'eval-progress' }, h('div', { style: 'width:0%' }));
  const status = h('div', { class: 'status', id: 'eval-status' });
  const list = h('div', { class: 'card', id: 'models' });
  const chart = h('div', { class: 'card' });
  const all = h('button', { id: 'evaluate-all', onclick: () => evaluate(state.models.map((m) => m.name)) }, 'Evaluate all models');
  let running = false;

  function render() {
    list.replaceChildren(state.models.length ? h('table', {}, h('thead', {}, h('tr', {}, ['Model', 'Algorithm', 'Version', 'Users × items', 'Interactions', 'Size', 'Trained', 'Training', 'Last evaluation', ''].map((t) => h('th', {}, t)))),
      h('tbody', {}, state.models.map((m) => {
        const s = m.summary || {};
        const ev = m.last_evaluation;
        return h('tr', { dataset: { model: m.name } }, h('td', {}, h('b', {}, m.name)), h('td', {}, h('span', { class: 'cat' }, m.algorithm)),
          h('td', { class: 'num' }, m.version), h('td', {}, `${m.users} × ${m.items}`), h('td', { class: 'num' }, m.interactions),
          h('td', { class: 'num' }, bytes(m.bytes)), h('td', {}, String(m.trained_at).slice(0, 19)),
          h('td', {}, h('details', {}, h('summary', {}, s.seconds !== undefined ? `${s.seconds} s` : 'summary'), h('pre', {}, JSON.stringify(s.params || s, null, 1)))),
          h('td', { class: 'eval' }, ev ? `ndcg@${ev.k} ${fmt(ev.ndcg, 3)} · recall ${fmt(ev.recall, 3)} · precision ${fmt(ev.precision, 3)}` : '–'),
          h('td', {}, h('button', { class: 'ghost small', onclick: () => evaluate([m.name]) }, 'Evaluate')));
      }))) : h('div', { class: 'empty' }, 'No model yet: SELECT recsys_train(...)'));
    chart.replaceChildren(h('h2', {}, 'Evaluation: models compared ', h('span', { class: 'id' }, 'last recsys_evaluate of each model, on its own source')), evalChart(state.models));
  }

  async function evaluate(names) {
    if (running) return;
    running = true;
    all.disabled = true;
    const t0 = performance.now();
    const tick = setInterval(() => { status.dataset.elapsed = ((performance.now() - t0) / 1000).toFixed(1); }, 100);
    const errors = [];
    try {
      for (let i = 0; i < names.length; i++) {
        progress.classList.add('busy');
        const base = `Evaluating ${names[i]} (${i + 1} of ${names.length}): SELECT * FROM recsys_evaluate(source, ${sqlText(names[i])}, '{}', ${k.value}) …`;
        status.textContent = base;
        // PostgreSQL shows the evaluation's own progress line meanwhile
        const poll = setInterval(async () => {
          const p = await api(`/api/models/${encodeURIComponent(names[i])}/progress`).catch(() => ({ line: null }));
          if (p.line && running && status.textContent.startsWith(base)) status.textContent = `${base} ${p.line}`;
        }, 500);
        try {
          await api(`/api/models/${encodeURIComponent(names[i])}/evaluate` + query({ k: k.value }), { method: 'POST' });
        } catch (e) {
          errors.push(`${names[i]}: ${e.message}`);
        } finally {
          clearInterval(poll);
        }
        progress.classList.remove('busy');
        progress.firstChild.style.width = `${(100 * (i + 1)) / names.length}%`;
        state.models = await api('/api/models');
        render();
      }
      status.textContent = `Evaluated ${names.length} model${names.length > 1 ? 's' : ''} in ${((performance.now() - t0) / 1000).toFixed(1)} s` +
        (errors.length ? ` · errors: ${errors.join('; ')}` : '');
      status.dataset.done = String(names.length);
    } finally {
      clearInterval(tick);
      running = false;
      all.disabled = false;
    }
  }
  root.append(h('h1', {}, 'Models'),
    h('div', { class: 'card' }, h('div', { class: 'controls' }, field('k', k), all), progress, status), list, chart);
  render();
};

// CTR per arm over days: one line per arm
function ctrChart(rows) {
  const days = [...new Set(rows.map((r) => r.day))].sort();
  const arms = [...new Set(rows.map((r) => r.arm))].sort();
  if (!days.length) return h('div', { class: 'empty' }, 'No impressions logged through this policy yet.');
  const W = 760, H = 260, L = 44, R = 16, B = 28, T = 10;
  const ymax = Math.max(0.05, ...rows.map((r) => r.ctr || 0)) * 1.15;
  const x = (i) => L + (days.length === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (days.length - 1));
  const y = (v) => T + (H - T - B) * (1 - v / ymax);
  const svg = h('svg:svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img', id: 'ctr-chart' });
  for (let g = 0; g <= 4; g++) {
    const v = (ymax * g) / 4;
    svg.append(h('svg:line', { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: '#e3e6ec' }),
      h('svg:text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, (v * 100).toFixed(ymax < 0.2 ? 1 : 0) + '%'));
  }
  days.forEach((d, i) => svg.append(h('svg:text', { x: x(i), y: H - 8, 'text-anchor': 'middle' }, d.slice(5))));
  arms.forEach((arm, j) => {
    const pts = days.map((d, i) => [i, rows.find((r) => r.day === d && r.arm === arm)]).filter(([, r]) => r);
    svg.append(h('svg:polyline', { points: pts.map(([i, r]) => `${x(i)},${y(r.ctr || 0)}`).join(' '), fill: 'none',
      stroke: `var(--c${j % 6})`, 'stroke-width': 2.2 }));
    for (const [i, r] of pts) {
      svg.append(h('svg:circle', { cx: x(i), cy: y(r.ctr || 0), r: 3.5, fill: `var(--c${j % 6})` },
        h('svg:title', {}, `${arm} ${r.day}: ${r.clicks} clicks / ${r.impressions} shown = ${((r.ctr || 0) * 100).toFixed(1)}%`)));
    }
  });
  return h('div', {}, svg, h('div', { class: 'legend' }, arms.map((a, j) => h('span', {}, h('i', { style: `background:var(--c${j % 6})` }), `arm ${a}`))));
}

pages.policies = (root, params) => {
  if (!state.policies.length) {
    root.append(h('h1', {}, 'Policies'), h('div', { class: 'card empty' }, 'No policy has served yet: recsys_create_policy(...) and recommend_logged(...).'));
    return;
  }
  const sel = h('select', { class: 'wide', name: 'policy' }, state.policies.map((p) => h('option', { value: p.name }, p.name)));
  sel.value = params.get('policy') || state.policies[0].name;
  const report = h('div', { class: 'card', id: 'report' });
  const chart = h('div', { class: 'card', id: 'ctr' });
  async function load() {
    const p = encodeURIComponent(sel.value);
    try {
      const rows = await api(`/api/policies/${p}/report`);
      report.replaceChildren(h('h2', {}, 'Arms ', h('span', { class: 'id' }, `SELECT * FROM recsys_policy_report(${sqlText(sel.value)})`)),
        h('table', {}, h('thead', {}, h('tr', {}, ['Arm', 'Model', 'Impressions', 'Rewards', 'Rate', '95% interval', 'p-value', 'Chosen now', ''].map((t) => h('th', {}, t)))),
          h('tbody', {}, rows.map((r) => h('tr', {}, h('td', {}, h('b', {}, r.arm)), h('td', {}, r.model), h('td', { class: 'num' }, r.impressions),
            h('td', { class: 'num' }, r.rewards), h('td', { class: 'num' }, fmt(r.rate)), h('td', {}, `${fmt(r.lower)} – ${fmt(r.upper)}`),
            h('td', { class: 'num' }, r.p_value === null ? '–' : Number(r.p_value).toExponential(2)), h('td', {}, bar(r.probability, 1)),
            h('td', {}, r.winner ? h('span', { class: 'badge' }, 'winner') : ''))))));
    } catch (e) {
      report.replaceChildren(errorBox(e));
    }
    try {
      chart.replaceChildren(h('h2', {}, 'CTR per arm and day ', h('span', { class: 'id' }, 'recsys_ctr summed per day and arm')), ctrChart(await api(`/api/policies/${p}/ctr`)));
    } catch (e) {
      chart.replaceChildren(errorBox(e));
    }
  }
  sel.addEventListener('change', load);
  root.append(h('h1', {}, 'Policies'), h('div', { class: 'card' }, h('div', { class: 'controls' }, field('Policy', sel))), report, chart);
  load();
};

// ---------- router ----------
function route() {
  const [path, qs] = (location.hash.replace(/^#\/?/, '') || 'recommend').split('?');
  const name = pages[path] ? path : 'recommend';
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.page === name);
  const main = $('#main');
  main.replaceChildren();
  main.dataset.page = name;
  pages[name](main, new URLSearchParams(qs || ''));
}

loadShared().then(() => {
  window.addEventListener('hashchange', route);
  route();
});
