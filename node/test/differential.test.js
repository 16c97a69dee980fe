// The differential corpus (written by the Rust test
// `write_differential_corpus` to $ELIGO_DIFF_CORPUS): random policies over
// random targets and requests, decided by the library. The binding must
// give the same verdicts, the same reasons and, over a catalog, the same
// allowed ids. Python runs the same corpus (tests/python/test_differential.py).
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');

const eligo = require('..');

const CORPUS = process.env.ELIGO_DIFF_CORPUS;

test('random policies, targets and requests decide as in Rust', { skip: !CORPUS && 'ELIGO_DIFF_CORPUS is not set (.ci/test writes the corpus)' }, () => {
  const { cases } = JSON.parse(fs.readFileSync(CORPUS, 'utf8'));
  assert.ok(cases.length > 0);
  let targets = 0;
  cases.forEach((c, n) => {
    const where = `case ${n}: ${JSON.stringify(c.policy)}`;
    const policy = eligo.compile(c.policy);
    const options = { date: c.date, request: c.request };
    c.targets.forEach((t, i) => {
      const v = policy.evaluate(t, options);
      const want = c.verdicts[i];
      assert.equal(v.allowed, want.allowed, `${where}, target ${t.id}`);
      const reasons = v.reasons.map(({ unknown, ...r }) => {
        assert.equal(unknown, r.value === 'unknown');
        return r;
      });
      assert.deepEqual(reasons, want.reasons, `${where}, target ${t.id}`);
      targets += 1;
    });
    const catalog = eligo.Catalog.fromTargets(c.targets);
    assert.deepEqual(policy.filter(catalog, options), c.allowed, where);
    const objects = policy.filter(c.targets, options);
    assert.deepEqual(objects.map((t) => t.id), c.allowed, where);
  });
  assert.ok(targets >= cases.length);
});
