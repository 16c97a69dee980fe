// An OpenAI-compatible gateway in plain Node.js (node:http, no packages)
// that routes requests under an eligo policy, as examples/gateway does in
// Python. For every `POST /v1/chat/completions` it asks eligo where the
// request may go, with `policy.route(catalog, model)`: a bare model name is
// routed automatically among the catalog's targets for it, a
// `provider/model` name pins one target. The gateway applies no policy
// logic of its own. It then
//
// - answers a blocked request with eligo's 403 body (`decision.errorBody`,
//   code `no_compliant_provider`) before any byte leaves for an upstream;
//   a pinned target that fails the policy is blocked, never replaced;
// - forwards an allowed request to the first target of `decision.targets`
//   and, when that upstream fails (connection error, timeout, 5xx), to the
//   next one, never outside that list;
// - appends every security event (`decision.event`) to a JSON-lines file,
//   and refuses to forward a request whose warn event could not be written.
//
//   node examples/node-gateway/gateway.js --policy P.pol --catalog C.json \
//       [--events events.jsonl] [--host 127.0.0.1] [--port 8080]
'use strict';

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const eligo = require(process.env.ELIGO_NODE || path.join(__dirname, '..', '..', 'node'));

// Body fields with which an aggregator upstream lets a client choose other
// providers than the one eligo decided on: a body with one is refused.
const ROUTING_FIELDS = new Set([
  'provider', 'providers', 'models', 'route', 'fallbacks', 'preset', 'plugins', 'transforms',
  'context_window_fallbacks', 'content_policy_fallbacks', 'model_list', 'user_config',
  'api_base', 'base_url', 'api_key', 'api_version', 'custom_llm_provider', 'extra_body',
]);

const MAX_BODY_BYTES = 16 * 1024 * 1024;
const MAX_ECHO = 128;

/** An error in the shape of the OpenAI API. */
function errorBody(message, type, code, param = null) {
  return { error: { message, type, code, param } };
}

/** `text` in backticks, cut and with controls escaped, safe to echo. */
function quote(text) {
  const escaped = JSON.stringify(String(text)).slice(1, -1)
    .replace(/[\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `\`${escaped.length > MAX_ECHO ? `${escaped.slice(0, MAX_ECHO)}…` : escaped}\``;
}

/** A JSON line in ASCII: other characters as \u escapes, so that no
 * reader splits it at U+2028 or U+0085. */
function jsonLine(value) {
  return `${JSON.stringify(value).replace(/[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

/** The catalog: eligo's strict reading of the file, and each target's
 * upstream (its `endpoint`) taken from the same text once eligo accepted
 * it. */
function loadCatalog(file) {
  const text = fs.readFileSync(file, 'utf8');
  const catalog = eligo.Catalog.fromJSON(text, file);
  const upstreams = new Map();
  for (const target of catalog) {
    let url;
    try {
      url = new URL(target.endpoint);
    } catch {
      url = null;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol)) {
      throw new Error(`${file}: target \`${target.id}\` needs an http(s) \`endpoint\``);
    }
    const key = process.env[`ELIGO_GATEWAY_KEY_${target.provider.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`];
    upstreams.set(target.id, {
      id: target.id,
      model: target.model,
      url: `${target.endpoint.replace(/\/+$/, '')}/chat/completions`,
      key,
    });
  }
  return { catalog, upstreams };
}

/** Reads a request body, at most `MAX_BODY_BYTES`. */
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Sends `payload` to one upstream; its answer, or null when it failed
 * (connection error, timeout, 5xx) and the next target should be tried. */
async function forward(upstream, payload, timeoutMs) {
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  if (upstream.key) headers.authorization = `Bearer ${upstream.key}`;
  try {
    const r = await fetch(upstream.url, {
      method: 'POST',
      headers,
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    const body = Buffer.from(await r.arrayBuffer());
    if (r.status >= 500) return null;
    return { status: r.status, body, type: r.headers.get('content-type') || 'application/json' };
  } catch {
    return null;
  }
}

/**
 * A gateway over a policy file, a catalog file and an events file.
 * Returns `{ server, policy, catalog, listen(port, host), close() }`.
 */
function createGateway({ policyPath, catalogPath, eventsPath, upstreamTimeoutMs = 120_000 }) {
  const policy = eligo.load(policyPath);
  const { catalog, upstreams } = loadCatalog(catalogPath);
  const events = fs.openSync(eventsPath, 'a');

  function writeEvent(event) {
    fs.writeSync(events, jsonLine(event));
  }

  function send(res, status, body, headers = {}) {
    const data = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(data);
  }

  async function chat(req, res) {
    let payload;
    try {
      payload = JSON.parse((await readBody(req)).toString('utf8'));
    } catch {
      send(res, 400, errorBody('The body is not valid JSON.', 'invalid_request_error', null));
      return;
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)
        || typeof payload.model !== 'string') {
      send(res, 400, errorBody('The body must be a JSON object with a string `model`.', 'invalid_request_error', null));
      return;
    }
    const overrides = Object.keys(payload).filter((k) => ROUTING_FIELDS.has(k.toLowerCase())).sort();
    if (overrides.length > 0) {
      const msg = `The gateway routes by its policy; remove the routing fields from the body: ${overrides.map(quote).join(', ')}.`;
      send(res, 400, errorBody(msg, 'invalid_request_error', 'routing_field_refused', overrides[0].toLowerCase()));
      return;
    }
    if (payload.stream) {
      send(res, 400, errorBody('Streaming is not supported by this gateway; send `stream: false`.',
        'invalid_request_error', 'stream_unsupported', 'stream'));
      return;
    }
    const { model } = payload;
    let decision;
    try {
      decision = policy.route(catalog, model, { request: { kind: 'chat' } });
    } catch (e) {
      if (!(e instanceof eligo.RequestError)) throw e;
      // eligo's help may name a real catalog id: it stays out of the answer.
      send(res, 404, errorBody(`The model ${quote(model)} does not exist on this gateway.`,
        'invalid_request_error', 'model_not_found', 'model'));
      return;
    }
    const headers = { 'x-eligo-policy': policy.fingerprint };
    if (decision.event !== null) {
      try {
        writeEvent(decision.event);
      } catch {
        if (!decision.blocked) {
          send(res, 500, errorBody('The gateway could not record the request\'s security event.',
            'server_error', 'event_log_unavailable'), headers);
          return;
        }
      }
    }
    if (decision.blocked || decision.status !== 200 || decision.targets.length === 0) {
      const body = decision.errorBody || errorBody(decision.message || 'No compliant provider.',
        'permission_denied', 'no_compliant_provider', 'model');
      send(res, 403, body, headers);
      return;
    }
    for (const id of decision.targets) {
      const upstream = upstreams.get(id);
      const forwarded = { ...payload, model: upstream.model === '*' ? model : upstream.model };
      const answer = await forward(upstream, forwarded, upstreamTimeoutMs);
      if (answer !== null) {
        send(res, answer.status, answer.body, { ...headers, 'content-type': answer.type, 'x-eligo-target': id });
        return;
      }
    }
    send(res, 502, errorBody(`No upstream could serve the request: ${decision.targets.join(', ')} failed.`,
      'server_error', 'upstream_unavailable'), headers);
  }

  function models(res) {
    const names = new Set([...catalog].filter((t) => t.model !== '*').map((t) => t.model));
    const data = [];
    for (const name of [...names, ...catalog.ids]) {
      try {
        if (!policy.route(catalog, name, { request: { kind: 'chat' } }).blocked) {
          data.push({ id: name, object: 'model', created: 0, owned_by: 'eligo-gateway' });
        }
      } catch {
        // not routable
      }
    }
    send(res, 200, { object: 'list', data }, { 'x-eligo-policy': policy.fingerprint });
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://gateway');
    if (req.method === 'POST' && url.pathname === '/v1/chat/completions') {
      chat(req, res).catch(() => {
        if (!res.headersSent) send(res, 500, errorBody('Internal error.', 'server_error', null));
      });
    } else if (req.method === 'GET' && url.pathname === '/v1/models') {
      models(res);
    } else {
      send(res, 404, errorBody('Not found.', 'invalid_request_error', null));
    }
  });

  return {
    server,
    policy,
    catalog,
    listen(port = 0, host = '127.0.0.1') {
      return new Promise((resolve) => {
        server.listen(port, host, () => resolve(server.address()));
      });
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => {
          fs.closeSync(events);
          resolve();
        });
        server.closeAllConnections();
      });
    },
  };
}

function main(argv) {
  const args = { events: 'events.jsonl', host: '127.0.0.1', port: '8080' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!['policy', 'catalog', 'events', 'host', 'port'].includes(key) || argv[i + 1] === undefined) {
      process.stderr.write('usage: gateway.js --policy FILE --catalog FILE [--events FILE] [--host H] [--port N]\n');
      return 2;
    }
    args[key] = argv[i + 1];
  }
  if (!args.policy || !args.catalog) {
    process.stderr.write('error: --policy and --catalog are required\n');
    return 2;
  }
  let gateway;
  try {
    gateway = createGateway({ policyPath: args.policy, catalogPath: args.catalog, eventsPath: args.events });
  } catch (e) {
    process.stderr.write(`error: ${e.message}\n`);
    return 2;
  }
  gateway.listen(Number(args.port), args.host).then((a) => {
    process.stdout.write(`eligo gateway listening on http://${a.address}:${a.port}/v1\n`);
  });
  const stop = () => gateway.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return null;
}

module.exports = { createGateway, loadCatalog, errorBody };

if (require.main === module) {
  const code = main(process.argv.slice(2));
  if (code !== null) process.exitCode = code;
}
