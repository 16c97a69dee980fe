// LLM Gateway's own compliance tests through the Node.js binding: every
// case of tests/data/llmgateway/compliance-cases.json (its conventions say
// how a case is run) is imported with importLlmgateway, compiled, and its
// provider previewed, from the shipped catalogue
// (policies/llmgateway-providers.json) or as a provider entry of its own.
// eligo must reach LLM Gateway's verdict with the same reasons in the same
// order; the cases eligo cannot express are listed, each with why. The
// policies of catalogue-matrix.json must allow the same providers.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const eligo = require('..');

const ROOT = path.resolve(__dirname, '..', '..');
const DATA = path.join(ROOT, 'tests', 'data', 'llmgateway');
const read = (file) => JSON.parse(fs.readFileSync(path.join(DATA, file), 'utf8'));

// The cases eligo cannot express (tests/main/import.rs holds the same list;
// each case's `inexpressible` field in the data file says why):
// - spec-020: a newer spec than the shipped catalogue says canopywave holds
//   SOC 2 Type 2; the catalogue eligo ships (commit 005f2cb) says Type 1, and
//   the case of that era (spec-021) is run instead.
// - gateway-029, -030, -031: which stored policy is active depends on the
//   organisation's plan and kind (enterprise, DevPass narrowing), outside the
//   policy object; the importer translates the policy that is active.
// - gateway-035, -036, -037: the retention of the gateway's own request logs,
//   not a decision about which providers a request may reach.
const INEXPRESSIBLE = ['spec-020', 'gateway-029', 'gateway-030', 'gateway-031', 'gateway-035', 'gateway-036', 'gateway-037'];

/** Imports an LLM Gateway policy; the text must compile and be formatted. */
function imported(policy, name) {
  const text = eligo.importLlmgateway(JSON.stringify(policy), `${name}.json`);
  assert.equal(eligo.format(text), text, `${name}: not formatted`);
  return { text, policy: eligo.compile(text) };
}

/** The LLM Gateway fields a failed statement comes from: its trailing
 * comment up to the first `:` (`# requireSoc2, requireIso27001: …`). */
function fields(text, span) {
  const rest = Buffer.from(text, 'utf8').subarray(span.end).toString('utf8');
  const line = rest.split('\n')[0];
  const comment = line.slice(line.indexOf('#') + 1).trim();
  assert.ok(line.includes('#'), `statement without a comment at ${span.end}`);
  return comment.split(':')[0].split(', ');
}

test('LLM Gateway compliance cases decide as LLM Gateway does', (t) => {
  const { cases } = read('compliance-cases.json');
  const catalogue = eligo.Catalog.fromFile(path.join(ROOT, 'policies', 'llmgateway-providers.json'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eligo-llmgateway-'));
  const inexpressible = [];
  let run = 0;
  try {
    for (const c of cases) {
      if (c.inexpressible !== undefined) {
        assert.ok(c.inexpressible.length > 0, c.id);
        inexpressible.push(c.id);
        t.diagnostic(`${c.id} inexpressible: ${c.inexpressible}`);
        continue;
      }
      const { text, policy } = imported(c.policy, c.id);
      let catalog = catalogue;
      let target = c.subject.catalogue;
      if (target === undefined) {
        // One provider entry, read by the provider dataPolicy reader.
        const file = path.join(dir, `${c.id}.json`);
        fs.writeFileSync(file, JSON.stringify({ providers: [c.subject.provider] }));
        catalog = eligo.Catalog.fromFile(file);
        target = c.subject.provider.id;
      }
      const preview = policy.preview(catalog, { model: c.model ?? null });
      const row = preview.rows.find((r) => r.id === target);
      assert.ok(row, `${c.id}: no row ${target}`);
      const where = `${c.id} ${c.name}: ${JSON.stringify(c.policy)}\n${text}`;
      assert.equal(row.allowed, c.expect === 'allowed', where);
      const reasons = [];
      for (const f of row.failures) {
        for (const field of fields(text, f.span)) {
          const reason = field === 'enabled' ? 'noAttestation' : field;
          if (!reasons.includes(reason)) reasons.push(reason);
        }
      }
      // LLM Gateway names only a custom provider's missing attestation.
      const at = reasons.indexOf('noAttestation');
      if (at >= 0) reasons.length = at + 1;
      assert.deepEqual(reasons, c.reasons, where);
      run += 1;
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(inexpressible, INEXPRESSIBLE);
  assert.equal(run + inexpressible.length, cases.length);
  assert.equal(run, 159);
});

test('LLM Gateway policies allow what LLM Gateway allows on its catalogue', () => {
  const catalogue = eligo.Catalog.fromFile(path.join(ROOT, 'policies', 'llmgateway-providers.json'));
  const { policies } = read('catalogue-matrix.json');
  assert.equal(policies.length, 10);
  for (const p of policies) {
    const { policy } = imported(p.policy, 'matrix');
    assert.deepEqual(policy.filter(catalogue), p.allowed, p.name);
    assert.deepEqual(policy.preview(catalogue).rows.filter((r) => r.allowed).map((r) => r.id), p.allowed, p.name);
  }
});

test('import errors are PolicyImportErrors', () => {
  assert.throws(() => eligo.importLlmgateway('{"enabled": true, "dataResidency": "eu"}'),
    (e) => e instanceof eligo.PolicyImportError && e.diagnostics[0].code === 'import/unsupported');
  assert.throws(() => eligo.importLlmgateway('{"enabled": true, "requireSoc": true}'), /did you mean/);
  assert.throws(() => eligo.importPolicy('openrouter', '{}'), TypeError);
  const yaml = fs.readFileSync(path.join(ROOT, 'tests', 'data', 'keeptrusts', 'zero-data-retention.yaml'), 'utf8');
  assert.match(eligo.importPolicy('keeptrusts', yaml, 'zero-data-retention.yaml'), /require zero_data_retention;/);
});
