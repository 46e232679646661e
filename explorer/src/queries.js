'use strict';
// Every statement the explorer runs, in SQLite's and PostgreSQL's spelling.
// Request values are always bound parameters (k, model names and options
// included). The only names in the text are the catalogue and event tables
// of the configuration (EXPLORER_ITEMS, EXPLORER_EVENTS), checked to be plain
// identifiers and quoted when the server starts, and their columns, read from
// the database's own catalogue.

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function quoteIdent(name) {
  if (!IDENT.test(name)) throw new Error(`not a plain table name: ${JSON.stringify(name)}`);
  return `"${name}"`;
}

// The serving functions: one call each, rows passed through.
const SERVING = {
  health: {
    sqlite: `SELECT recsys_version() AS recsys_version, 'SQLite ' || sqlite_version() AS database`,
    pg: `SELECT recsys_version() AS recsys_version, version() AS database`,
  },
  models: {
    sqlite: `SELECT name, version, algorithm, trained_at, users, items, interactions, bytes,
                    options, summary, source, versions_stored, last_evaluation
             FROM recsys_models ORDER BY name`,
    pg: `SELECT name, version, algorithm, trained_at, users, items, interactions, bytes,
                options, summary, source, versions_stored, last_evaluation, owner::text AS owner
         FROM recsys_models ORDER BY name`,
    json: ['options', 'summary', 'last_evaluation'],
  },
  recommend: {
    sqlite: `SELECT item_id, score, rank, reason, source FROM recommend(?, ?, ?, ?)`,
    pg: `SELECT item_id, score, rank, reason, source FROM recommend($1, $2::int, $3, $4::jsonb)`,
  },
  similar: {
    sqlite: `SELECT item_id, score, rank, reason FROM similar_items(?, ?, ?, ?)`,
    pg: `SELECT item_id, score, rank, reason FROM similar_items($1, $2::int, $3, $4::jsonb)`,
  },
  popular: {
    sqlite: `SELECT item_id, score, rank FROM popular_items(?, ?, ?)`,
    pg: `SELECT item_id, score, rank FROM popular_items($1::int, $2, $3::jsonb)`,
  },
  // items: a JSON array text in both (SQLite's own type; PostgreSQL unpacks it)
  sessionItems: {
    sqlite: `SELECT item_id, score, rank, reason, source FROM recommend_for_items(?, ?, ?, ?)`,
    pg: `SELECT item_id, score, rank, reason, source
         FROM recommend_for_items(ARRAY(SELECT jsonb_array_elements_text($1::jsonb)), $2::int, $3, $4::jsonb)`,
  },
  session: {
    sqlite: `SELECT item_id, score, rank, reason, source FROM recommend_for_session(?, ?, ?, ?)`,
    pg: `SELECT item_id, score, rank, reason, source FROM recommend_for_session($1, $2::int, $3, $4::jsonb)`,
  },
  explain: {
    sqlite: `SELECT item_id, contribution, rank FROM recsys_explain(?, ?, ?)`,
    pg: `SELECT item_id, contribution, rank FROM recsys_explain($1, $2, $3)`,
  },
  profile: {
    sqlite: `SELECT * FROM recsys_user_profile(?, ?, ?)`,
    pg: `SELECT * FROM recsys_user_profile($1, $2, $3::jsonb)`,
    json: ['event_counts'],
  },
  // a stored model evaluated by name on its own source (recorded as its
  // last_evaluation); no row: no such model
  evaluate: {
    sqlite: `SELECT e.* FROM recsys_models m, recsys_evaluate(m.source, m.name, '{}', ?) e WHERE m.name = ?`,
    pg: `SELECT e.* FROM recsys_models m, recsys_evaluate(m.source, m.name, '{}', $1::int) e WHERE m.name = $2`,
  },
  // the line a running recsys_evaluate of the model puts in front of its
  // pg_stat_activity.query (PostgreSQL; SQLite has no such place)
  evaluateProgress: {
    pg: `SELECT substr(split_part(query, E'\\n', 1), 4) AS line FROM pg_stat_activity
         WHERE query LIKE '-- recsys: evaluate %' AND strpos(split_part(query, E'\\n', 1), $1) > 0
         ORDER BY state_change DESC LIMIT 1`,
  },
  policies: {
    sqlite: `SELECT policy AS name, sum(requests) AS requests, count(*) AS arms
             FROM recsys_arm_distribution WHERE policy IS NOT NULL GROUP BY policy ORDER BY policy`,
    pg: `SELECT policy AS name, sum(requests)::bigint AS requests, count(*)::int AS arms
         FROM recsys_arm_distribution WHERE policy IS NOT NULL GROUP BY policy ORDER BY policy`,
  },
  policyReport: {
    sqlite: `SELECT * FROM recsys_policy_report(?)`,
    pg: `SELECT * FROM recsys_policy_report($1)`,
  },
  policyCtr: {
    sqlite: `SELECT day, arm, sum(requests) AS requests, sum(impressions) AS impressions,
                    sum(clicks) AS clicks, sum(clicks) * 1.0 / sum(impressions) AS ctr
             FROM recsys_ctr WHERE policy = ? GROUP BY day, arm ORDER BY day, arm`,
    pg: `SELECT day::text AS day, arm, sum(requests)::bigint AS requests,
                sum(impressions)::bigint AS impressions, sum(clicks)::bigint AS clicks,
                (sum(clicks)::float8 / nullif(sum(impressions), 0)) AS ctr
         FROM recsys_ctr WHERE policy = $1 GROUP BY day, arm ORDER BY day, arm`,
  },
};

// Statements over the configured catalogue and event tables; a column the
// table lacks reads as NULL. cols: {items: Set|null, events: Set|null}.
function tableQueries(kind, tables, cols) {
  const pg = kind === 'pg';
  const p = (n) => (pg ? `$${n}` : '?');
  const txt = (c) => (pg ? `${c}::text` : c);
  const col = (set, c, t = txt) => (set && set.has(c) ? `${t(c)} AS ${c}` : `NULL AS ${c}`);
  const out = {};
  const it = quoteIdent(tables.items);
  const ev = quoteIdent(tables.events);
  if (cols.items && cols.items.has('item_id')) {
    const c = cols.items;
    const num = (x) => (pg ? `${x}::float8` : x);
    const fields = `${txt('item_id')} AS item_id, ${col(c, 'name')}, ${col(c, 'category')}, ${col(c, 'price', num)}`;
    const ids = pg ? `item_id::text IN (SELECT jsonb_array_elements_text($1::jsonb))`
                   : `item_id IN (SELECT value FROM json_each(?))`;
    out.itemsById = { sql: `SELECT ${fields} FROM ${it} WHERE ${ids} ORDER BY item_id` };
    out.items = { sql: `SELECT ${fields} FROM ${it} ORDER BY item_id LIMIT ${p(1)}` };
    out.categories = c.has('category') ? {
      sql: `SELECT ${txt('category')} AS category, count(*) AS items` +
           (c.has('price') ? `, min(${num('price')}) AS price_min, max(${num('price')}) AS price_max` : '') +
           ` FROM ${it} WHERE category IS NOT NULL GROUP BY category ORDER BY category`,
    } : null;
  }
  if (cols.events && cols.events.has('user_id') && cols.events.has('item_id')) {
    const c = cols.events;
    const order = c.has('ts') ? 'ts DESC' : '1';
    out.users = {
      sql: `SELECT ${txt('user_id')} AS user_id, count(*) AS events FROM ${ev}
            GROUP BY user_id ORDER BY user_id LIMIT ${p(1)}`,
    };
    out.history = {
      sql: `SELECT ${txt('item_id')} AS item_id, ${col(c, 'event')}, ${col(c, 'ts')} FROM ${ev}
            WHERE ${txt('user_id')} = ${p(1)} ORDER BY ${order} LIMIT ${p(2)}`,
    };
  }
  return out;
}

// The columns of a table or view, as a query with one parameter (its name).
const COLUMNS = {
  sqlite: `SELECT name FROM pragma_table_info(?)`,
  pg: `SELECT attname AS name FROM pg_attribute
       WHERE attrelid = to_regclass(quote_ident($1)) AND attnum > 0 AND NOT attisdropped`,
};

module.exports = { SERVING, tableQueries, COLUMNS, quoteIdent, IDENT };
