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
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const exitCode = () => (failed ? 1 : 0);
module.exports = { check, same, exitCode };
