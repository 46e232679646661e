'use strict';
// PASS:/FAIL: lines, as every suite of the project prints them.
let failed = 0;
function check(name, ok, detail) {
  if (ok) console.log(`PASS: ${name}`);
  else {
    failed++;
    console.log(`FAIL: ${name}${detail !== undefined ? ` (${typeof detail === 'string' ? detail : JSON.stringify(detail)})` : ''}`);
  }
  return ok;
}
// a promise nobody handled ends the process with status 1 and no result
// line; say which test it was
process.on('unhandledRejection', (e) => {
  console.log(`FAIL: ${process.argv[1].split('/').pop()}: unhandled rejection: ${e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : e}`);
  process.exit(1);
});
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const exitCode = () => (failed ? 1 : 0);
module.exports = { check, same, exitCode };
