// Types of eligo for Node.js (node/index.js over the native addon).
//
// Naming: what the binding shapes itself (a verdict, a decision, the
// failures in them, options) has camelCase fields. What is a documented
// JSON format of eligo keeps its own field names, so that it is stored and
// compared as every other tool writes it: the security event
// (docs/EVENTS.md §7, e.g. `candidate_count`), the 403 body, diagnostics
// (`end_line`), preview and diff (`newly_allowed`), lint results, and
// targets in the catalog format (docs/CATALOG.md).

/** `YYYY-MM-DD` text. A JavaScript `Date` is refused (a `TypeError`): it is
 * an instant, whose day depends on a time zone; for its UTC day give
 * `d.toISOString().slice(0, 10)`. Left out: today's UTC date. */
export type DateText = string;

/** The attributes of one request, by name with or without `request.`:
 * `{ data_class: "phi", team: "research" }`. Each value is typed by the
 * policy: a string for text, a whole number for a number, a boolean for a
 * flag. `null` or `undefined`, or leaving a name out, means the request
 * does not say: a `when` block whose condition depends on it applies, the
 * strictest treatment. An unknown name, a value of another type, or the
 * same name with and without `request.` is a `RequestError`. */
export type RequestAttributes = Record<string, string | number | boolean | null | undefined>;

/** An attribute value in the catalog format: a flag, a whole number, text,
 * or expiring evidence. */
export type AttributeValue =
  | boolean
  | number
  | string
  | { value: boolean | number | string; expires: DateText };

/** A target in the catalog format (docs/CATALOG.md): `provider` and `model`
 * (`"*"` for every model) are required; `id` defaults to
 * `provider/model`. Read strictly: a key that is not a field, a fractional
 * number, an array or an object that is not a plain object is a
 * `CatalogError` naming its path; a key whose value is `undefined` is left
 * out. At most 32 levels deep, 100,000 keys an object, 65,536 values a
 * target and 16,777,216 a call. */
export interface TargetInput {
  provider: string;
  model: string;
  id?: string;
  endpoint?: string;
  region?: string;
  headquarters?: string;
  attributes?: Record<string, AttributeValue | null | undefined>;
}

/** A target as a catalog gives it back: the catalog format. */
export interface Target {
  id: string;
  provider: string;
  model: string;
  endpoint?: string;
  attributes?: Record<string, AttributeValue>;
  [field: string]: unknown;
}

/** One diagnostic of a `PolicyError`, or a lint warning
 * (`crate::Error::to_json`). */
export interface Diagnostic {
  code: string;
  severity: string;
  message: string;
  file: string | null;
  line: number | null;
  column: number | null;
  end_line: number | null;
  end_column: number | null;
  label: string | null;
  help: string | null;
  related: unknown[];
  [field: string]: unknown;
}

/** One failed requirement of a blocked target. */
export interface Reason {
  /** The requirement in canonical form, e.g. `require soc2`. */
  requirement: string;
  /** `require`, `max_retention_days`, `allow_provider`, `allow_model`,
   * `deny_provider` or `deny_model`. */
  kind: string;
  /** `"false"`: the declarations contradict it; `"unknown"`: it failed
   * for want of declarations. */
  value: 'false' | 'unknown';
  unknown: boolean;
  /** The attributes the failure is about. */
  attributes: string[];
  /** The requirement's index in the policy, from 0. */
  index: number;
  /** The `when` condition it stands under, in canonical form, or null. */
  condition: string | null;
}

/** The verdict on one target. */
export interface Verdict {
  allowed: boolean;
  /** The target's id. */
  target: string;
  /** Every failed requirement, in policy order; empty when allowed. */
  reasons: Reason[];
}

/** A failed requirement of one policy layer, in a decision's candidates. */
export interface Failure extends Reason {
  /** The display name of the layer. */
  policy: string;
  mode: 'block' | 'warn';
}

/** A candidate target of a routing decision and how it fared. */
export interface Candidate {
  id: string;
  provider: string;
  /** The target's model, `"*"` for a target serving every model. */
  model: string;
  compliant: boolean;
  routed: boolean;
  failures: Failure[];
}

/** The security event of docs/EVENTS.md §7 (`eligo.security_event/2`),
 * with its documented field names: a stored record. */
export interface SecurityEvent {
  schema: string;
  time: string;
  date: string;
  action: 'block' | 'warn';
  status: number;
  code: string;
  message: string;
  policies: { name: string; version: string | null; fingerprint: string; mode: string }[];
  request: {
    id: string | null;
    model: string;
    pinned: string | null;
    attributes: Record<string, string | number | boolean>;
    missing: string[];
  };
  candidate_count: number;
  groups: {
    compliant: boolean;
    routed: boolean;
    failures: Record<string, unknown>[];
    candidates: string[];
  }[];
}

/** The OpenAI-compatible 403 body of docs/EVENTS.md §5. */
export interface ErrorBody {
  error: { message: string; type: string; code: string; param: string };
}

/** A routing decision (docs/EVENTS.md §3). */
export interface Decision {
  outcome: 'routed' | 'blocked' | 'warned';
  blocked: boolean;
  /** The requested model (for a pinned request, the model it names). */
  model: string;
  /** The pinned target id, or null for automatic routing. */
  pinned: string | null;
  /** The host's id for the client request (`requestId`), or null. */
  requestId: string | null;
  /** The targets to try, in order; empty when blocked. */
  targets: string[];
  /** 403 when blocked, else 200. */
  status: number;
  /** `"no_compliant_provider"` when blocked, else null. */
  code: string | null;
  /** The message for people when blocked or warned, else null. */
  message: string | null;
  /** The 403 body when blocked, else null. */
  errorBody: ErrorBody | null;
  /** The security event when blocked or warned, else null. */
  event: SecurityEvent | null;
  /** Every candidate, in catalog order. */
  candidates: Candidate[];
}

export interface EvaluateOptions {
  date?: DateText | null;
  request?: RequestAttributes | null;
}

export type FilterOptions = EvaluateOptions;

export interface RouteOptions {
  /** Pins the target `pin` for the requested model. */
  pin?: string | null;
  /** Unset: `model` is an OpenAI-style `model` field (`provider/model`
   * pins that target). `false`: automatic routing among the targets
   * serving `model`, `/` or not. `true`: pins the target whose id is
   * `model`. `pin` with `pinned: false` is a `TypeError`. */
  pinned?: boolean | null;
  date?: DateText | null;
  request?: RequestAttributes | null;
  /** The host's id for the client request, carried by the decision and its
   * event. */
  requestId?: string | null;
}

export interface PreviewOptions {
  date?: DateText | null;
  /** Only the targets serving this model, as a request for it sees them. */
  model?: string | null;
  request?: RequestAttributes | null;
}

export interface LintOptions {
  /** Also what the policy and this catalog show together (metadata gaps,
   * unmatched list entries, misspelt attributes). */
  catalog?: Catalog | null;
  date?: DateText | null;
}

/** `eligo preview --format json`: every target, allowed or blocked, with
 * its failures in the event's failure shape. */
export interface Preview {
  policy: string;
  allowed: number;
  blocked: number;
  rows: {
    id: string;
    provider: string;
    model: string;
    allowed: boolean;
    failures: Record<string, unknown>[];
  }[];
}

/** `eligo diff --format json`: what replacing a policy changes. */
export interface Diff {
  newly_allowed: { id: string; before: Record<string, unknown>[]; after: Record<string, unknown>[] }[];
  newly_blocked: { id: string; before: Record<string, unknown>[]; after: Record<string, unknown>[] }[];
  still_allowed: string[];
  still_blocked: string[];
}

/** A compiled policy; immutable. Made by `compile` and `load`. */
export class Policy {
  private constructor();
  /** The `policy "…"` name, or null. */
  readonly name: string | null;
  /** The `version "…"` text, or null. */
  readonly version: string | null;
  readonly mode: 'block' | 'warn';
  /** `sha256:` and the hex digest of the canonical text. */
  readonly fingerprint: string;
  /** The text it was compiled from. */
  readonly source: string;
  /** One statement a line, comments dropped (docs/EVENTS.md §7.2). */
  readonly canonicalText: string;
  /** The verdict on one target. */
  evaluate(target: TargetInput, options?: EvaluateOptions): Verdict;
  /** The allowed targets of a catalog, as ids in catalog order (the bulk
   * filter; the policy keeps its binding to the catalog for that day). */
  filter(targets: Catalog, options?: FilterOptions): string[];
  /** The allowed target objects themselves, in order. */
  filter<T extends TargetInput>(targets: T[], options?: FilterOptions): T[];
  /** Routes a request for `model` (a `RequestError` for a model or target
   * the catalog does not have). */
  route(catalog: Catalog, model: string, options?: RouteOptions): Decision;
  /** Every target of the catalog, allowed or blocked, with reasons. */
  preview(catalog: Catalog, options?: PreviewOptions): Preview;
  /** Warnings for the policy's author (`lint/…` diagnostics). */
  lint(options?: LintOptions): Diagnostic[];
  toString(): string;
}

/** An ordered list of provider targets with unique ids; immutable. */
export class Catalog implements Iterable<Target> {
  private constructor();
  /** A catalog file: eligo JSON or TOML, gateway YAML, a LiteLLM
   * `config.yaml`, provider definitions; chosen by content. A missing file
   * is a `PolicyError` with `code: 'ENOENT'`. */
  static fromFile(path: string): Catalog;
  /** eligo's JSON catalog format, as text (at most 64 MiB). */
  static fromJSON(text: string, name?: string | null): Catalog;
  /** Target objects, each read as `Policy.evaluate` reads one. */
  static fromTargets(targets: TargetInput[]): Catalog;
  /** A LiteLLM Router's `model_list`, or a proxy configuration with one:
   * a target a deployment, its attributes `model_info.data_policy`. Values
   * other than plain objects, arrays, text, numbers, booleans and null are
   * read as null. */
  static fromLitellm(config: unknown[] | Record<string, unknown>, name?: string | null): Catalog;
  /** The target ids, in catalog order. */
  readonly ids: string[];
  /** The catalog's name, if its file gives one. */
  readonly name: string | null;
  readonly length: number;
  readonly size: number;
  has(id: string): boolean;
  /** The target with id `id`, or undefined. */
  get(id: string): Target | undefined;
  /** Every target, in catalog order. */
  targets(): Target[];
  /** A new catalog with `target` in place of the target with the same id
   * (same position), else appended. */
  withTarget(target: TargetInput): Catalog;
  /** A new catalog without the target `id`; a `RangeError` (code
   * `ERR_ELIGO_NO_TARGET`) if there is none. */
  without(id: string): Catalog;
  /** Attribute names close to a standard one (`gdrp`). */
  lint(): Diagnostic[];
  [Symbol.iterator](): Iterator<Target>;
  toString(): string;
}

/** A policy, catalog, target or request could not be used. `message` is
 * the rendered diagnostic text; `code` the first diagnostic's code
 * (`ENOENT` for a file that does not exist, with `path`). */
export class PolicyError extends Error {
  constructor(message: string, diagnostics?: Diagnostic[]);
  diagnostics: Diagnostic[];
  code?: string;
  path?: string;
}
/** Policy text does not follow the grammar. */
export class PolicySyntaxError extends PolicyError {}
/** Policy text parses but is not a valid policy. */
export class PolicyCompileError extends PolicyError {}
/** A catalog or target could not be read. */
export class CatalogError extends PolicyError {}
/** A request names a model or target the catalog does not have, or gives
 * request attributes the policy does not know or of the wrong type. */
export class RequestError extends PolicyError {}

/** Another gateway's policy could not be translated: a field eligo cannot
 * express, or a value it does not expect, is refused rather than guessed
 * (`import/...` codes, docs/IMPORT.md). */
export class PolicyImportError extends PolicyError {}

/** Translates a policy of another gateway into `.pol` text, each statement
 * commented with the field it came from, as `eligo import` does: `source`
 * is `"llmgateway"` (a provider compliance policy, JSON) or `"keeptrusts"`
 * (a data-routing policy, YAML). Anything else is a `TypeError`. */
export function importPolicy(source: 'llmgateway' | 'keeptrusts', text: string, name?: string | null): string;
/** `importPolicy('llmgateway', text, name)`. */
export function importLlmgateway(text: string, name?: string | null): string;

/** Compiles policy text; `name` names it in diagnostics. */
export function compile(text: string, name?: string | null): Policy;
/** Reads and compiles a `.pol` file. */
export function load(path: string): Policy;
/** The canonical layout of policy text, comments kept. */
export function format(text: string): string;
/** What replacing `old` by `newPolicy` changes over a catalog. */
export function diff(old: Policy, newPolicy: Policy, catalog: Catalog, options?: { date?: DateText | null }): Diff;
/** Routes a request under several policy layers applied together (an
 * organisation baseline and a project policy): a target is compliant when
 * it passes every layer. No layers: a `RequestError`
 * (`request/no-policy`). */
export function routeLayered(layers: Policy[], catalog: Catalog, model: string, options?: RouteOptions): Decision;
/** The version of the eligo crate the addon was built from. */
export const version: string;
