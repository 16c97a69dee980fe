// The shared semantic suite (tests/data/semantics.toml, as the JSON copy
// tests/data/semantics.json that a Rust test keeps up to date) through the
// Node.js binding: every verdict, and every failure's text, value and
// attributes, must come out as in the Rust and Python runs.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const eligo = require('..');

const SUITE = path.resolve(__dirname, '..', '..', 'tests', 'data', 'semantics.json');
const CASES = JSON.parse(fs.readFileSync(SUITE, 'utf8')).case;

function asTarget(table) {
  const { provider = 'p', model = 'm', ...attributes } = table || {};
  return { provider, model, attributes };
}

// The verdict, or null when the strict target reader refuses the case's
// hand-built target (a flag given as text, a negative retention): the
// binding never evaluates a target it cannot read faithfully, and says
// which field is at fault.
function run(c) {
  const policy = eligo.compile(c.policy);
  try {
    return policy.evaluate(asTarget(c.target));
  } catch (e) {
    assert.ok(e instanceof eligo.CatalogError, String(e));
    const field = e.message.split('attributes.')[1].split('`')[0];
    assert.ok(field in c.target, e.message);
    assert.match(e.message, /must be/);
    return null;
  }
}

test('the suite is there and mostly runs', () => {
  assert.ok(CASES.length >= 200);
  assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length);
  const refused = CASES.filter((c) => run(c) === null).map((c) => c.name);
  assert.ok(CASES.length - refused.length >= 200, refused.join(', '));
});

for (const c of CASES) {
  test(c.name, () => {
    const verdict = run(c);
    if (verdict === null) return;
    assert.equal(verdict.allowed, c.allowed, verdict.reasons.map((r) => r.requirement).join('; '));
    if (c.failures) {
      const got = verdict.reasons.map((r) => ({ text: r.requirement, value: r.value, attributes: r.attributes }));
      const want = c.failures.map((f) => ({ text: f.text, value: f.value, attributes: f.attributes ?? null }));
      got.forEach((g, i) => {
        if (want[i] && want[i].attributes === null) g.attributes = null;
      });
      assert.deepEqual(got, want);
    }
    for (const r of verdict.reasons) {
      assert.ok(r.value === 'false' || r.value === 'unknown');
      assert.equal(r.unknown, r.value === 'unknown');
    }
  });
}
