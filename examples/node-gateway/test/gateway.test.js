// The Node.js gateway end to end: mock upstreams and the gateway on
// loopback ports (plain node:http), driven with fetch. The catalog serves
// `m-chat` from `cloud`, `primary` and `secondary`, `cloud` first; `cloud`
// trains on prompts and keeps them, so the strict policy removes it.
// `m-open` is served by `cloud` alone.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const { createGateway } = require('../gateway');

const STRICT = 'policy "strict";\nversion "1";\nrequire !trains_on_prompts;\nrequire zero_data_retention;\n';
const WARN = 'policy "strict-warn";\nversion "1";\nmode warn;\nrequire !trains_on_prompts;\nrequire zero_data_retention;\n';
const COMPLIANT = { trains_on_prompts: false, zero_data_retention: true };
const NON_COMPLIANT = { trains_on_prompts: true, zero_data_retention: false };
const MESSAGES = [{ role: 'user', content: 'hello' }];

/** A mock OpenAI-compatible upstream that records what it receives and
 * answers with `status` (a completion naming it when 200). */
function mockUpstream(name) {
  const upstream = { name, status: 200, received: [] };
  upstream.server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      upstream.received.push({ path: req.url, headers: req.headers, body });
      res.writeHead(upstream.status, { 'content-type': 'application/json' });
      if (upstream.status >= 400) {
        res.end(JSON.stringify({ error: { message: `${name} failed`, type: 'server_error' } }));
        return;
      }
      res.end(JSON.stringify({
        id: `chatcmpl-${name}`,
        object: 'chat.completion',
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: `Hello from ${name}` }, finish_reason: 'stop' }],
      }));
    });
  });
  return new Promise((resolve) => {
    upstream.server.listen(0, '127.0.0.1', () => {
      upstream.url = `http://127.0.0.1:${upstream.server.address().port}/v1`;
      resolve(upstream);
    });
  });
}

/** Starts three upstreams and a gateway under `policyText`; runs `body`
 * with them, then stops everything. */
async function withGateway(policyText, body) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eligo-node-gateway-'));
  const up = {};
  for (const name of ['cloud', 'primary', 'secondary']) up[name] = await mockUpstream(name);
  const target = (provider, model, attributes) => ({ provider, model, endpoint: up[provider].url, attributes });
  const catalog = {
    catalog: 'test',
    targets: [
      target('cloud', 'm-chat', NON_COMPLIANT),
      target('primary', 'm-chat', COMPLIANT),
      target('secondary', 'm-chat', COMPLIANT),
      target('cloud', 'm-open', NON_COMPLIANT),
    ],
  };
  fs.writeFileSync(path.join(dir, 'catalog.json'), JSON.stringify(catalog));
  fs.writeFileSync(path.join(dir, 'policy.pol'), policyText);
  const eventsPath = path.join(dir, 'events.jsonl');
  const gateway = createGateway({
    policyPath: path.join(dir, 'policy.pol'),
    catalogPath: path.join(dir, 'catalog.json'),
    eventsPath,
    upstreamTimeoutMs: 5000,
  });
  const address = await gateway.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${address.port}/v1`;
  const h = {
    up,
    received: () => Object.fromEntries(Object.entries(up).map(([k, u]) => [k, u.received.length])),
    events: () => fs.readFileSync(eventsPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)),
    eventsText: () => fs.readFileSync(eventsPath, 'utf8'),
    async chat(model, extra = {}) {
      const r = await fetch(`${base}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: MESSAGES, ...extra }),
      });
      return { status: r.status, headers: r.headers, body: await r.json() };
    },
    async raw(text) {
      const r = await fetch(`${base}/chat/completions`, { method: 'POST', body: text });
      return { status: r.status, body: await r.json() };
    },
    async models() {
      return (await fetch(`${base}/models`)).json();
    },
  };
  try {
    await body(h);
  } finally {
    await gateway.close();
    for (const u of Object.values(up)) {
      await new Promise((resolve) => u.server.close(resolve));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('a compliant request goes to the first compliant upstream', () => withGateway(STRICT, async (h) => {
  const r = await h.chat('m-chat');
  assert.equal(r.status, 200);
  assert.equal(r.body.choices[0].message.content, 'Hello from primary');
  assert.equal(r.headers.get('x-eligo-target'), 'primary/m-chat');
  assert.match(r.headers.get('x-eligo-policy'), /^sha256:/);
  assert.deepEqual(h.received(), { cloud: 0, primary: 1, secondary: 0 });
  const [sent] = h.up.primary.received;
  assert.equal(sent.path, '/v1/chat/completions');
  assert.equal(sent.body.model, 'm-chat');
  assert.deepEqual(sent.body.messages, MESSAGES);
  // Removing a non-compliant candidate is routine: no event.
  assert.deepEqual(h.events(), []);
}));

test('a blocked request is refused before any upstream is contacted', () => withGateway(STRICT, async (h) => {
  const r = await h.chat('m-open');
  assert.equal(r.status, 403);
  assert.equal(r.body.error.code, 'no_compliant_provider');
  assert.equal(r.body.error.type, 'permission_denied');
  assert.match(r.body.error.message, /`strict`/);
  assert.deepEqual(h.received(), { cloud: 0, primary: 0, secondary: 0 });
  const [event] = h.events();
  assert.equal(event.schema, 'eligo.security_event/2');
  assert.equal(event.action, 'block');
  assert.equal(event.status, 403);
  assert.equal(event.message, r.body.error.message);
  assert.equal(event.request.model, 'm-open');
  assert.deepEqual(event.groups[0].candidates, ['cloud/m-open']);
  assert.deepEqual(event.groups[0].failures.map((f) => f.text),
    ['require !trains_on_prompts', 'require zero_data_retention']);
  assert.equal(h.eventsText().split('\n').length, 2); // one line, then the end
}));

test('a pinned non-compliant target is blocked, not re-routed', () => withGateway(STRICT, async (h) => {
  const r = await h.chat('cloud/m-chat');
  assert.equal(r.status, 403);
  assert.equal(r.body.error.code, 'no_compliant_provider');
  assert.match(r.body.error.message, /pinned provider cloud\/m-chat/);
  assert.deepEqual(h.received(), { cloud: 0, primary: 0, secondary: 0 });
  const [event] = h.events();
  assert.equal(event.request.pinned, 'cloud/m-chat');
  // A compliant pin goes there and nowhere else.
  const ok = await h.chat('secondary/m-chat');
  assert.equal(ok.status, 200);
  assert.deepEqual(h.received(), { cloud: 0, primary: 0, secondary: 1 });
}));

for (const failure of ['500', 'down']) {
  test(`fallback stays inside the compliant set (primary ${failure})`, () => withGateway(STRICT, async (h) => {
    if (failure === '500') {
      h.up.primary.status = 500;
    } else {
      await new Promise((resolve) => h.up.primary.server.close(resolve));
      h.up.primary.server = { close: (done) => done() };
    }
    const r = await h.chat('m-chat');
    assert.equal(r.status, 200);
    assert.equal(r.body.choices[0].message.content, 'Hello from secondary');
    assert.equal(r.headers.get('x-eligo-target'), 'secondary/m-chat');
    assert.equal(h.up.cloud.received.length, 0);
    assert.equal(h.up.primary.received.length, failure === '500' ? 1 : 0);
    // Every compliant upstream failing is a 502, still without `cloud`.
    h.up.secondary.status = 503;
    const all = await h.chat('m-chat');
    assert.equal(all.status, 502);
    assert.equal(all.body.error.code, 'upstream_unavailable');
    assert.equal(h.up.cloud.received.length, 0);
  }));
}

test('warn mode forwards and writes the warn event', () => withGateway(WARN, async (h) => {
  const r = await h.chat('m-open');
  assert.equal(r.status, 200);
  assert.deepEqual(h.received(), { cloud: 1, primary: 0, secondary: 0 });
  const [event] = h.events();
  assert.equal(event.action, 'warn');
  assert.equal(event.status, 200);
}));

test('unknown models, bad bodies, routing fields and streams are refused', () => withGateway(STRICT, async (h) => {
  const unknown = await h.chat('primary/m-chta');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, 'model_not_found');
  assert.doesNotMatch(unknown.body.error.message, /m-chat/);
  assert.equal((await h.raw('{"model": ')).status, 400);
  assert.equal((await h.raw('[1]')).status, 400);
  const routing = await h.chat('m-chat', { Provider: { order: ['cloud'] } });
  assert.equal(routing.status, 400);
  assert.equal(routing.body.error.code, 'routing_field_refused');
  const stream = await h.chat('m-chat', { stream: true });
  assert.equal(stream.body.error.code, 'stream_unsupported');
  assert.deepEqual(h.received(), { cloud: 0, primary: 0, secondary: 0 });
}));

test('event lines are ASCII', () => withGateway(STRICT, async (h) => {
  await h.chat('cloud/m-open');
  assert.ok(/^[\x20-\x7e\n]*$/.test(h.eventsText()));
}));

test('/v1/models lists what the policy routes', () => withGateway(STRICT, async (h) => {
  const ids = (await h.models()).data.map((m) => m.id);
  assert.deepEqual(ids, ['m-chat', 'primary/m-chat', 'secondary/m-chat']);
}));

test('the Python example\'s catalog and policy route as its README says', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eligo-node-gateway-'));
  try {
    const example = path.resolve(__dirname, '..', '..', 'gateway', 'example');
    const gateway = createGateway({
      policyPath: path.join(example, 'policy.pol'),
      catalogPath: path.join(example, 'catalog.json'),
      eventsPath: path.join(dir, 'events.jsonl'),
    });
    assert.deepEqual(gateway.policy.route(gateway.catalog, 'llama-3.3-70b').targets,
      ['onprem-a/llama-3.3-70b', 'onprem-b/llama-3.3-70b']);
    await gateway.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
