'use strict';
// The server as `make explorer` starts it: node test/server.test.js SHOP_DB.
// It prints its URL, answers there, serves the page, ends on SIGTERM; a
// table name that is not a plain identifier stops it before it serves.
const path = require('node:path');
const { spawn } = require('node:child_process');
const { check, exitCode } = require('./check');

const file = process.argv[2];
const SERVER = path.join(__dirname, '..', 'server.js');

function start(args, env = {}) {
  const child = spawn(process.execPath, [SERVER, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const url = new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), 15000);
    const onData = (d) => {
      out += d;
      const m = out.match(/(http:\/\/127\.0\.0\.1:\d+\/)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then(() => { clearTimeout(timer); resolve(null); });
  });
  return { child, url, exited, output: () => out };
}

async function main() {
  const s = start(['--db', file, '--port', '0']);
  const url = await s.url;
  check('server: prints the URL it serves', url !== null, s.output());
  if (url) {
    const health = await (await fetch(url + 'api/health')).json();
    check('server: health at the printed URL', health.status === 'ok' && health.backend === 'sqlite', health);
    const page = await (await fetch(url)).text();
    check('server: serves the page', page.includes('<title>recsys explorer</title>'));
  }
  s.child.kill('SIGTERM');
  check('server: ends cleanly on SIGTERM', (await s.exited) === 0);

  const bad = start(['--db', file, '--port', '0'], { EXPLORER_ITEMS: 'products"; DROP TABLE events; --' });
  // it must exit by itself: serving (or hanging) is a failure, and is ended here
  const served = await bad.url;
  const code = await Promise.race([bad.exited, new Promise((r) => setTimeout(() => r('running'), 5000))]);
  if (served || code === 'running') bad.child.kill('SIGKILL');
  check('server: a table name that is not an identifier stops it', code === 1 && /not a plain table name/.test(bad.output()), bad.output());
  process.exit(exitCode());
}

main().catch((e) => {
  console.log(`FAIL: server test crashed: ${e.message}`);
  process.exit(1);
});
