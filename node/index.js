// eligo for Node.js: loads the native addon (node/eligo.node, built by
// node/build.sh) and defines the classes of its errors. Everything else is
// the addon's: this file holds no policy logic. The API is documented in
// index.d.ts.
'use strict';

const path = require('node:path');

const native = require(process.env.ELIGO_NODE_ADDON || path.join(__dirname, 'eligo.node'));

/** A policy, catalog, target or request could not be used. */
class PolicyError extends Error {
  constructor(message, diagnostics = []) {
    super(message);
    this.diagnostics = diagnostics;
  }
}
/** Policy text does not follow the grammar. */
class PolicySyntaxError extends PolicyError {}
/** Policy text parses but is not a valid policy. */
class PolicyCompileError extends PolicyError {}
/** A catalog or target could not be read. */
class CatalogError extends PolicyError {}
/** A request names a model or target the catalog does not have, or gives
 * request attributes the policy does not know or of the wrong type. */
class RequestError extends PolicyError {}
/** Another gateway's policy could not be translated (`importPolicy`): a
 * field eligo cannot express, or a value it does not expect, is refused
 * rather than guessed (`import/...` codes, docs/IMPORT.md). */
class PolicyImportError extends PolicyError {}

for (const [name, cls] of Object.entries({
  PolicyError, PolicySyntaxError, PolicyCompileError, CatalogError, RequestError, PolicyImportError,
})) {
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true });
}

// The addon throws every library error as one of these classes.
native.setErrorClasses({
  PolicyError, PolicySyntaxError, PolicyCompileError, CatalogError, RequestError, PolicyImportError,
});

// A catalog iterates over its targets (objects in the catalog format).
native.Catalog.prototype[Symbol.iterator] = function* targets() {
  yield* this.targets();
};

module.exports = {
  Policy: native.Policy,
  Catalog: native.Catalog,
  compile: native.compile,
  load: native.load,
  format: native.format,
  diff: native.diff,
  routeLayered: native.routeLayered,
  importPolicy: native.importPolicy,
  importLlmgateway: native.importLlmgateway,
  PolicyError,
  PolicySyntaxError,
  PolicyCompileError,
  CatalogError,
  RequestError,
  PolicyImportError,
  version: native.version(),
};
