// The Node.js examples of the documentation, run: every ```js block of
// docs/INTEGRATIONS.md and of README.md, from the repository root, with
// `require('./node')` the binding and `console.assert` throwing.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const eligo = require('..');

function blocks(file) {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  return [...text.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
}

function run(code) {
  const console = {
    log() {},
    assert(ok, ...what) {
      if (!ok) throw new assert.AssertionError({ message: `console.assert failed ${what.join(' ')}` });
    },
  };
  const load = (name) => (name === './node' ? eligo : require(name));
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    new Function('require', 'console', code)(load, console); // eslint-disable-line no-new-func
  } finally {
    process.chdir(cwd);
  }
}

for (const file of ['docs/INTEGRATIONS.md', 'README.md']) {
  test(`the examples of ${file} run`, () => {
    const found = blocks(file);
    assert.ok(found.length >= 1, `no js example in ${file}`);
    found.forEach(run);
  });
}

test('a failing example would be caught', () => {
  assert.throws(() => run("console.assert(require('./node').compile('require soc2').mode === 'warn')"));
});

test('the addon loads in a worker thread too', async () => {
  const { Worker } = require('node:worker_threads');
  const code = `
    const { parentPort } = require('node:worker_threads');
    const eligo = require(${JSON.stringify(path.join(ROOT, 'node'))});
    let kind = null;
    try { eligo.compile('require soc3'); } catch (e) { kind = e instanceof eligo.PolicyCompileError; }
    parentPort.postMessage([eligo.compile('require soc2').evaluate({ provider: 'a', model: 'm', attributes: { soc2: true } }).allowed, kind]);`;
  const result = await new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true });
    w.once('message', resolve);
    w.once('error', reject);
  });
  assert.deepEqual(result, [true, true]);
});
