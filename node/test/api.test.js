// The Node.js API: policies, verdicts, catalogs, filter, route, preview,
// diff, lint, errors, and the strict reading of JavaScript values.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const eligo = require('..');

const ROOT = path.resolve(__dirname, '..', '..');
const at = (...p) => path.join(ROOT, ...p);

const ONPREM = {
  provider: 'onprem',
  model: 'llama-3',
  attributes: { iso27001: true, trains_on_prompts: false, retention_days: 0 },
};
const VAGUE = { provider: 'vague', model: 'm', attributes: { trains_on_prompts: false } };
const POLICY = 'policy "strict"; version "3"; require soc2 or iso27001; require !trains_on_prompts; max_retention_days 0;';

test('policy properties', () => {
  const p = eligo.compile(POLICY);
  assert.deepEqual([p.name, p.version, p.mode], ['strict', '3', 'block']);
  assert.match(p.fingerprint, /^sha256:[0-9a-f]{64}$/);
  assert.equal(p.source, POLICY);
  assert.ok(p.canonicalText.includes('require soc2 or iso27001;'));
  assert.equal(eligo.compile('require   soc2').fingerprint, eligo.compile('require soc2').fingerprint);
  const loaded = eligo.load(at('policies', 'eu-residency.pol'));
  assert.deepEqual([loaded.name, loaded.mode], ['eu-residency', 'warn']);
  assert.equal(eligo.compile('require soc2').name, null);
  assert.equal(String(p), 'Policy("strict", mode=block)');
  assert.throws(() => new eligo.Policy(), Error);
});

test('evaluate explains false and unknown', () => {
  const p = eligo.compile(POLICY);
  assert.equal(p.evaluate(ONPREM).allowed, true);
  const v = p.evaluate(VAGUE);
  assert.equal(v.allowed, false);
  assert.equal(v.target, 'vague/m');
  assert.deepEqual(v.reasons.map((r) => [r.requirement, r.value, r.attributes]), [
    ['require soc2 or iso27001', 'unknown', ['soc2', 'iso27001']],
    ['max_retention_days 0', 'unknown', ['retention_days']],
  ]);
  const trains = { ...VAGUE, attributes: { trains_on_prompts: true, soc2: true, retention_days: 0 } };
  const [r] = p.evaluate(trains).reasons;
  assert.deepEqual(r, {
    requirement: 'require !trains_on_prompts',
    kind: 'require',
    value: 'false',
    unknown: false,
    attributes: ['trains_on_prompts'],
    index: 1,
    condition: null,
  });
});

test('expiring evidence is read as of a date; a Date is refused', () => {
  const p = eligo.compile('require soc2');
  const t = { provider: 'a', model: 'm', attributes: { soc2: { value: true, expires: '2026-12-31' } } };
  assert.equal(p.evaluate(t, { date: '2026-12-31' }).allowed, true);
  assert.equal(p.evaluate(t, { date: '2027-01-01' }).allowed, false);
  assert.throws(() => p.evaluate(t, { date: new Date() }), (e) => e instanceof TypeError
    && e.code === 'ERR_INVALID_ARG_TYPE' && /time zone/.test(e.message));
  assert.throws(() => p.evaluate(t, { date: '2026-13-01' }), (e) => e instanceof TypeError
    && e.code === 'ERR_INVALID_ARG_VALUE');
  assert.throws(() => p.evaluate(t, { date: 20261231 }), TypeError);
});

test('filter returns the objects themselves, or a catalog\'s ids', () => {
  const p = eligo.compile(POLICY);
  const a = { ...ONPREM };
  const b = { ...VAGUE };
  const c = { ...ONPREM, model: 'other' };
  const out = p.filter([a, b, c]);
  assert.equal(out.length, 2);
  assert.equal(out[0], a);
  assert.equal(out[1], c);
  const regulated = eligo.load(at('policies', 'regulated-routing.pol'));
  const catalog = eligo.Catalog.fromFile(at('policies', 'catalog.json'));
  assert.deepEqual(regulated.filter(catalog), ['onprem/deepseek-v3.2', 'onprem/llama-3.3-70b']);
});

test('request attributes are typed by the policy', () => {
  const p = eligo.compile('when request.data_class in ["phi"] { require hipaa; }');
  const t = { provider: 'acme', model: 'm1', attributes: {} };
  assert.equal(p.evaluate(t, { request: { data_class: 'public' } }).allowed, true);
  assert.equal(p.evaluate(t, { request: { 'request.data_class': 'public' } }).allowed, true);
  assert.equal(p.evaluate(t, { request: { data_class: 'phi' } }).allowed, false);
  assert.equal(p.evaluate(t).allowed, false);
  assert.equal(p.evaluate(t, { request: { data_class: null } }).allowed, false);
  const [reason] = p.evaluate(t).reasons;
  assert.equal(reason.condition, 'request.data_class in ["phi"]');
  assert.throws(() => p.evaluate(t, { request: { data_clas: 'phi' } }), (e) => e instanceof eligo.RequestError
    && e.diagnostics[0].code === 'request/unknown-attribute'
    && e.diagnostics[0].help === 'did you mean `request.data_class`?');
  assert.throws(() => p.evaluate(t, { request: { data_class: 3 } }), (e) => e instanceof eligo.RequestError
    && e.code === 'request/invalid-value' && /give a string or null, found `number`/.test(e.message));
  assert.throws(() => p.evaluate(t, { request: { data_class: 'a', 'request.data_class': 'b' } }),
    (e) => e instanceof eligo.RequestError && /given twice/.test(e.message));
  assert.throws(() => p.evaluate(t, { request: ['phi'] }), eligo.RequestError);
  assert.throws(() => p.evaluate(t, { request: new Map([['data_class', 'phi']]) }), eligo.RequestError);
  const n = eligo.compile('attribute request.tier: number; attribute request.vip: flag; when request.tier > 2 or request.vip { require soc2; }');
  assert.equal(n.evaluate(t, { request: { tier: 1, vip: false } }).allowed, true);
  assert.throws(() => n.evaluate(t, { request: { tier: 1.5 } }), eligo.RequestError);
  assert.throws(() => n.evaluate(t, { request: { vip: 1 } }), eligo.RequestError);
});

test('unknown options are refused, with a suggestion', () => {
  const p = eligo.compile('require soc2');
  assert.throws(() => p.evaluate(ONPREM, { requst: {} }), (e) => e instanceof TypeError
    && e.code === 'ERR_INVALID_ARG_VALUE' && /did you mean `request`/.test(e.message));
  assert.throws(() => p.evaluate(ONPREM, 'today'), TypeError);
  assert.equal(p.evaluate(ONPREM, { date: undefined, request: undefined }).allowed, false);
});

test('route: automatic, pinned, blocked with its event', () => {
  const p = eligo.load(at('policies', 'regulated-routing.pol'));
  const catalog = eligo.Catalog.fromFile(at('policies', 'catalog.json'));
  const routed = p.route(catalog, 'deepseek-v3.2');
  assert.equal(routed.outcome, 'routed');
  assert.deepEqual(routed.targets, ['onprem/deepseek-v3.2']);
  assert.equal(routed.status, 200);
  assert.equal(routed.event, null);
  assert.equal(routed.errorBody, null);
  const d = p.route(catalog, 'deepseek/deepseek-v3.2', { requestId: 'req-1', date: '2026-11-21' });
  assert.equal(d.outcome, 'blocked');
  assert.equal(d.blocked, true);
  assert.equal(d.status, 403);
  assert.equal(d.code, 'no_compliant_provider');
  assert.equal(d.pinned, 'deepseek/deepseek-v3.2');
  assert.equal(d.model, 'deepseek-v3.2');
  assert.equal(d.requestId, 'req-1');
  assert.deepEqual(d.targets, []);
  assert.equal(d.errorBody.error.code, 'no_compliant_provider');
  assert.equal(d.errorBody.error.message, d.message);
  // The event keeps the field names of docs/EVENTS.md.
  assert.equal(d.event.schema, 'eligo.security_event/2');
  assert.equal(d.event.candidate_count, 1);
  assert.equal(d.event.date, '2026-11-21');
  assert.equal(d.event.request.id, 'req-1');
  assert.equal(d.event.groups[0].failures[0].text, 'require zero_data_retention');
  assert.deepEqual(Object.keys(d.candidates[0]), ['id', 'provider', 'model', 'compliant', 'routed', 'failures']);
  assert.equal(d.candidates[0].failures[0].requirement, 'require zero_data_retention');
  assert.equal(d.candidates[0].failures[0].policy, 'regulated-routing');
  // pinned: false routes among the targets serving a model named with a slash.
  assert.throws(() => p.route(catalog, 'deepseek/deepseek-v3.2', { pinned: false }), eligo.RequestError);
  assert.equal(p.route(catalog, 'onprem/deepseek-v3.2', { pinned: true }).outcome, 'routed');
  assert.equal(p.route(catalog, 'deepseek-v3.2', { pin: 'onprem/deepseek-v3.2' }).outcome, 'routed');
  assert.throws(() => p.route(catalog, 'x', { pin: 'a/b', pinned: false }), TypeError);
  assert.throws(() => p.route(catalog, 'gpt-5'), (e) => e instanceof eligo.RequestError
    && e.code === 'request/unknown-model');
});

test('routeLayered applies every layer', () => {
  const catalog = eligo.Catalog.fromFile(at('policies', 'catalog.json'));
  const org = eligo.compile('policy "org"; require !trains_on_prompts;');
  const proj = eligo.compile('policy "proj"; mode warn; require hipaa;');
  const d = eligo.routeLayered([org, proj], catalog, 'gpt-4o');
  assert.deepEqual(d.event.policies.map((x) => [x.name, x.mode]), [['org', 'block'], ['proj', 'warn']]);
  assert.throws(() => eligo.routeLayered([], catalog, 'gpt-4o'), (e) => e instanceof eligo.RequestError
    && e.code === 'request/no-policy');
  assert.throws(() => eligo.routeLayered([org, 'proj'], catalog, 'gpt-4o'), TypeError);
});

test('preview, diff and lint give the documented JSON', () => {
  const catalog = eligo.Catalog.fromFile(at('policies', 'catalog.json'));
  const soc2 = eligo.load(at('policies', 'soc2.pol'));
  const either = eligo.load(at('policies', 'soc2-or-iso27001.pol'));
  const preview = soc2.preview(catalog, { model: 'gpt-4o' });
  assert.deepEqual(preview.rows.map((r) => r.id), ['openai/gpt-4o', 'azure/gpt-4o']);
  assert.equal(preview.allowed + preview.blocked, 2);
  const diff = eligo.diff(soc2, either, catalog);
  assert.ok(Array.isArray(diff.newly_allowed) && Array.isArray(diff.still_blocked));
  const regulated = eligo.load(at('policies', 'regulated-routing.pol'));
  const lint = regulated.lint({ catalog });
  assert.ok(lint.some((d) => d.code === 'lint/metadata-gap'));
  assert.deepEqual(regulated.lint(), []);
  assert.throws(() => regulated.lint({ catalog: {} }), TypeError);
  assert.equal(eligo.format('require   soc2 ;'), 'require soc2;\n');
});

test('catalogs: files, JSON, targets, LiteLLM, lookups, updates', () => {
  const catalog = eligo.Catalog.fromFile(at('policies', 'catalog.json'));
  assert.equal(catalog.length, catalog.ids.length);
  assert.equal(catalog.size, catalog.length);
  assert.ok(catalog.has('onprem/llama-3.3-70b'));
  assert.equal(catalog.get('nope/nope'), undefined);
  assert.deepEqual(catalog.get('deepseek/deepseek-v3.2').attributes,
    { trains_on_prompts: true, logs_prompts: true, headquarters: 'CN' });
  assert.deepEqual([...catalog].map((t) => t.id), catalog.ids);
  const again = eligo.Catalog.fromTargets([...catalog]);
  assert.deepEqual(again.ids, catalog.ids);
  const json = eligo.Catalog.fromJSON(JSON.stringify({ targets: [ONPREM] }), 'inline');
  assert.deepEqual(json.ids, ['onprem/llama-3']);
  const added = json.withTarget(VAGUE);
  assert.deepEqual(added.ids, ['onprem/llama-3', 'vague/m']);
  assert.deepEqual(json.ids, ['onprem/llama-3']);
  const replaced = added.withTarget({ ...ONPREM, attributes: {} });
  assert.deepEqual(replaced.get('onprem/llama-3').attributes ?? {}, {});
  assert.deepEqual(added.without('vague/m').ids, ['onprem/llama-3']);
  assert.throws(() => added.without('zz'), (e) => e instanceof RangeError && e.code === 'ERR_ELIGO_NO_TARGET');
  assert.throws(() => eligo.Catalog.fromJSON('{"targets": [}'), eligo.CatalogError);
  const litellm = eligo.Catalog.fromLitellm([
    {
      model_name: 'gpt-4o',
      litellm_params: { model: 'azure/gpt-4o', api_base: 'https://example.invalid' },
      model_info: { id: 'azure-eu', data_policy: { soc2: true } },
    },
  ]);
  assert.deepEqual(litellm.ids, ['azure-eu']);
  assert.equal(eligo.compile('require soc2').filter(litellm).length, 1);
  assert.equal(eligo.Catalog.fromLitellm({ model_list: [] }).length, 0);
  // A setting that is not data is ignored where eligo reads nothing, and
  // refused where it reads a field: never read as missing there.
  class Client {}
  const with_ = (extra) => [{ model_name: 'm', litellm_params: { model: 'openai/m', ...extra.params }, model_info: extra.info }];
  assert.equal(eligo.Catalog.fromLitellm(with_({ params: { client: new Client() } })).length, 1);
  for (const bad of [
    { params: { custom_llm_provider: new Client() } },
    { info: { id: new Client() } },
    { info: { data_policy: { soc2: () => true } } },
    { info: { id: 7n } },
  ]) {
    assert.throws(() => eligo.Catalog.fromLitellm(with_(bad)), eligo.CatalogError);
  }
  assert.deepEqual(eligo.Catalog.fromTargets([{ provider: 'a', model: 'm', attributes: { gdrp: true } }]).lint()
    .map((d) => d.code), ['lint/misspelled-attribute']);
});

test('errors are PolicyError subclasses with diagnostics', () => {
  assert.throws(() => eligo.compile('require soc3'), (e) => {
    assert.ok(e instanceof eligo.PolicyCompileError);
    assert.ok(e instanceof eligo.PolicyError);
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'PolicyCompileError');
    assert.equal(e.code, 'compile/unknown-attribute');
    assert.equal(e.diagnostics[0].help, 'did you mean `soc2`?');
    assert.equal(e.diagnostics[0].end_column, 13);
    assert.match(e.message, /^error\[compile\/unknown-attribute\]: unknown attribute `soc3`/);
    assert.match(e.stack, /^PolicyCompileError: /);
    return true;
  });
  assert.throws(() => eligo.compile('require ('), eligo.PolicySyntaxError);
  assert.throws(() => eligo.load(at('nope.pol')), (e) => e instanceof eligo.PolicyError
    && e.code === 'ENOENT' && e.path === at('nope.pol') && e.diagnostics[0].code === 'io/not-found');
  assert.throws(() => eligo.Catalog.fromFile(at('nope.json')), (e) => e.code === 'ENOENT');
  assert.throws(() => eligo.Catalog.fromFile(at('tests', 'data', 'catalogs', 'bad.json')), eligo.CatalogError);
});

test('targets are read strictly, with the path of a bad value', () => {
  const p = eligo.compile('require soc2');
  const bad = (target, pattern) => assert.throws(() => p.evaluate(target), (e) => {
    assert.ok(e instanceof eligo.CatalogError, String(e));
    assert.match(e.message, pattern);
    return true;
  });
  bad({ provider: 'a', model: 'm', attribute: {} }, /`target.attribute`: is not a target field \(did you mean `attributes`\?\)/);
  bad({ provider: 'a', model: 'm', attributes: { soc2: 1.5 } }, /`target.attributes.soc2`: .*not whole/);
  bad({ provider: 'a', model: 'm', attributes: { soc2: 2 ** 60 } }, /too large to be exact/);
  bad({ provider: 'a', model: 'm', attributes: { soc2: [true] } }, /arrays are not accepted/);
  bad({ provider: 'a', model: 'm', attributes: new Map() }, /not a plain object/);
  bad({ provider: 'a', model: 'm', attributes: { soc2: 1n } }, /found a bigint/);
  bad({ provider: 'a', model: 'm', attributes: { soc2: 'yes' } }, /soc2/);
  bad({ provider: 'a\ud800', model: 'm' }, /lone surrogate/);
  bad(null, /target/);
  let deep = { value: true };
  for (let i = 0; i < 40; i += 1) deep = { nested: deep };
  bad({ provider: 'a', model: 'm', attributes: { soc2: deep } }, /nested more than 32 levels/);
  // A shared inner object counts each time it is reached.
  let wide = { x: 1 };
  for (let i = 0; i < 20; i += 1) wide = { a: wide, b: wide };
  bad({ provider: 'a', model: 'm', attributes: wide }, /more than 65536 values in one target/);
  assert.throws(() => eligo.Catalog.fromTargets([ONPREM, 7]), (e) => e instanceof eligo.CatalogError
    && /`targets\[1\]`/.test(e.message));
  // Undefined is left out, as JSON.stringify leaves it out; symbols too.
  assert.equal(p.evaluate({ provider: 'a', model: 'm', endpoint: undefined, [Symbol('x')]: 1,
    attributes: { soc2: true, gdpr: undefined } }).allowed, true);
  // An object without a prototype is a plain object.
  const bare = Object.assign(Object.create(null), { soc2: true });
  assert.equal(p.evaluate({ provider: 'a', model: 'm', attributes: bare }).allowed, true);
});

test('Object.prototype pollution does not declare attributes', () => {
  const p = eligo.compile('require soc2');
  Object.prototype.soc2 = true; // eslint-disable-line no-extend-native
  try {
    assert.equal(p.evaluate({ provider: 'a', model: 'm', attributes: {} }).allowed, false);
  } finally {
    delete Object.prototype.soc2;
  }
});

test('the README example runs', () => {
  const policy = eligo.load(at('policies', 'regulated-routing.pol'));
  const catalog = eligo.Catalog.fromFile(at('policies', 'catalog.json'));
  const verdict = policy.evaluate({ provider: 'acme', model: 'm1',
    attributes: { zero_data_retention: true, trains_on_prompts: false } });
  assert.equal(verdict.allowed, false);
  assert.deepEqual(policy.filter(catalog), ['onprem/deepseek-v3.2', 'onprem/llama-3.3-70b']);
});
