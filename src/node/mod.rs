//! Node.js binding (cargo feature `node`), built with napi-rs into the
//! addon `node/eligo.node` that `node/index.js` loads.
//!
//! This layer only converts values and maps errors; every decision is made
//! by the library, and the rules shared with the Python binding (limits,
//! request attributes, requests) are those of `crate::bindings`. JavaScript
//! objects become targets through the same strict JSON reader as catalogs,
//! and results go back as plain objects. A library error is thrown as the
//! `PolicyError` subclass for its kind, which `index.js` defines and
//! registers, with `diagnostics`. `Policy` and `Catalog` are immutable.

#![allow(missing_docs)] // documented in node/index.d.ts

mod convert;
mod results;

use napi::JsValue;
use napi::bindgen_prelude::{
    Array, ClassInstance, Either, Function, JsObjectValue, ObjectRef, Unknown,
};
use napi::{Env, Status};
use napi_derive::napi;
use serde_json::Value as J;

use convert::{Options, Reader};

thread_local! {
    /// The error classes `index.js` registers (`PolicyError` and its
    /// subclasses, by name), for the thread whose environment loaded it.
    static ERROR_CLASSES: std::cell::RefCell<Option<ObjectRef<false>>> =
        const { std::cell::RefCell::new(None) };
}

/// Registers the error classes library errors are thrown as: an object
/// with `PolicyError`, `PolicySyntaxError`, `PolicyCompileError`,
/// `CatalogError`, `RequestError` and `PolicyImportError`, each called as
/// `new C(message)`. `index.js` calls it once when it loads the addon.
#[napi]
pub fn set_error_classes(classes: ObjectRef<false>) {
    ERROR_CLASSES.with(|c| *c.borrow_mut() = Some(classes));
}

/// Throws a library error as the registered class for its kind (a plain
/// `Error` with `kind` before any is registered), with `code` (the first
/// diagnostic's code, or `ENOENT` for a file that does not exist, with
/// `path`) and `diagnostics` (`crate::Error::to_json`); the message is the
/// rendered text. Returns the error that tells napi an exception is
/// pending.
pub(crate) fn throw(env: &Env, e: &crate::Error) -> napi::Error {
    throw_at(env, e, None)
}

/// As `throw`, for an error from reading the file `path`.
fn throw_at(env: &Env, e: &crate::Error, path: Option<&std::path::Path>) -> napi::Error {
    let made = (|| -> napi::Result<()> {
        let text = e.render(false).trim_end().to_string();
        let class = match e.kind() {
            crate::ErrorKind::Syntax => "PolicySyntaxError",
            crate::ErrorKind::Compile => "PolicyCompileError",
            crate::ErrorKind::Catalog => "CatalogError",
            crate::ErrorKind::Request => "RequestError",
            crate::ErrorKind::Import => "PolicyImportError",
            _ => "PolicyError",
        };
        let classes = ERROR_CLASSES.with(|c| c.borrow().as_ref().map(|r| r.get_value(env)));
        let mut err = match classes.transpose()? {
            Some(classes) => {
                let make: Function<'_, String, Unknown<'_>> = classes.get_named_property(class)?;
                make.new_instance(text)?.coerce_to_object()?
            }
            None => {
                let mut err = env.create_error(napi::Error::from_reason(text))?;
                err.set_named_property("kind", class)?;
                err
            }
        };
        err.set_named_property("diagnostics", e.to_json())?;
        let first = e.diagnostics().first().map(crate::Diagnostic::code);
        match (first, path) {
            (Some("io/not-found"), Some(p)) => {
                err.set_named_property("code", "ENOENT")?;
                err.set_named_property("errno", -2)?;
                err.set_named_property("path", p.to_string_lossy().as_ref())?;
            }
            (Some(code), _) => err.set_named_property("code", code)?,
            (None, _) => {}
        }
        env.throw(err)
    })();
    match made {
        Ok(()) => napi::Error::from_status(Status::PendingException),
        Err(err) => err,
    }
}

/// Throws a `TypeError` with a Node-style `code` for an argument of the
/// wrong type or value.
pub(crate) fn type_error(env: &Env, code: &str, message: &str) -> napi::Error {
    match env.throw_type_error(message, Some(code)) {
        Ok(()) => napi::Error::from_status(Status::PendingException),
        Err(err) => err,
    }
}

/// A library result, its error thrown.
fn or_throw<T>(env: &Env, r: Result<T, crate::Error>) -> napi::Result<T> {
    r.map_err(|e| throw(env, &e))
}

/// A compiled policy.
#[napi(js_name = "Policy")]
pub struct JsPolicy {
    inner: crate::Policy,
}

/// An ordered list of provider targets with unique ids.
#[napi(js_name = "Catalog")]
pub struct JsCatalog {
    inner: crate::Catalog,
}

/// Compiles policy text; `name` names it in diagnostics.
#[napi]
pub fn compile(env: &Env, text: String, name: Option<String>) -> napi::Result<JsPolicy> {
    let name = name.as_deref().unwrap_or("<input>");
    let r = crate::Policy::compile_named(&text, name, &crate::Schema::standard());
    or_throw(env, r).map(|inner| JsPolicy { inner })
}

/// Reads and compiles a `.pol` file.
#[napi]
pub fn load(env: &Env, path: String) -> napi::Result<JsPolicy> {
    let path = std::path::PathBuf::from(path);
    crate::Policy::from_file(&path)
        .map(|inner| JsPolicy { inner })
        .map_err(|e| throw_at(env, &e, Some(&path)))
}

/// Canonical formatting that keeps comments.
#[napi]
pub fn format(env: &Env, text: String) -> napi::Result<String> {
    or_throw(env, crate::format::format(&text))
}

/// What replacing `old` by `new` changes over a catalog.
#[napi]
pub fn diff<'e>(
    env: &'e Env,
    old: &JsPolicy,
    new: &JsPolicy,
    catalog: &JsCatalog,
    options: Option<Unknown<'e>>,
) -> napi::Result<J> {
    let opts = Options::read(env, "diff", options, &["date"])?;
    let date = opts.date(env, "diff")?;
    results::json(crate::diff(&old.inner, &new.inner, &catalog.inner, date))
}

/// Translates a policy of another gateway into `.pol` text, each statement
/// commented with the field it came from: `source` is `"llmgateway"` (a
/// provider compliance policy, JSON) or `"keeptrusts"` (a data-routing
/// policy, YAML).
#[napi]
pub fn import_policy(
    env: &Env,
    source: String,
    text: String,
    name: Option<String>,
) -> napi::Result<String> {
    type Translate = fn(&str, &str) -> Result<String, crate::Error>;
    let (translate, fallback): (Translate, _) = match source.as_str() {
        "llmgateway" => (crate::import::llmgateway, "<json>"),
        "keeptrusts" => (crate::import::keeptrusts, "<yaml>"),
        other => {
            return Err(type_error(
                env,
                "ERR_INVALID_ARG_VALUE",
                &format!(
                    "importPolicy: `source` must be \"llmgateway\" or \"keeptrusts\", not {:?}",
                    crate::escape_for_terminal(other)
                ),
            ));
        }
    };
    or_throw(env, translate(&text, name.as_deref().unwrap_or(fallback)))
}

/// An LLM Gateway provider compliance policy (JSON text) as `.pol` text:
/// `importPolicy("llmgateway", text, name)`.
#[napi]
pub fn import_llmgateway(env: &Env, text: String, name: Option<String>) -> napi::Result<String> {
    import_policy(env, "llmgateway".into(), text, name)
}

/// Routes a request under several policy layers, applied together.
#[napi]
pub fn route_layered<'e>(
    env: &'e Env,
    layers: Array<'e>,
    catalog: &JsCatalog,
    model: String,
    options: Option<Unknown<'e>>,
) -> napi::Result<J> {
    let mut policies = Vec::new();
    for i in 0..layers.len() {
        let layer: Option<ClassInstance<'e, JsPolicy>> = layers.get(i).map_err(|_| {
            type_error(
                env,
                "ERR_INVALID_ARG_TYPE",
                &format!("routeLayered: `layers[{i}]` must be a Policy"),
            )
        })?;
        match layer {
            Some(p) => policies.push(p.inner.clone()),
            None => {
                return Err(type_error(
                    env,
                    "ERR_INVALID_ARG_TYPE",
                    &format!("routeLayered: `layers[{i}]` must be a Policy"),
                ));
            }
        }
    }
    route(env, "routeLayered", &policies, catalog, &model, options)
}

/// The options of `route` and `routeLayered`.
const ROUTE_OPTIONS: &[&str] = &["pin", "pinned", "date", "request", "requestId"];

/// Routes `model` over `catalog` under `layers`.
fn route<'e>(
    env: &'e Env,
    call: &str,
    layers: &[crate::Policy],
    catalog: &JsCatalog,
    model: &str,
    options: Option<Unknown<'e>>,
) -> napi::Result<J> {
    let opts = Options::read(env, call, options, ROUTE_OPTIONS)?;
    let schemas: Vec<&crate::Schema> = layers.iter().map(crate::Policy::schema).collect();
    let pin = opts.string(env, call, "pin")?;
    let pinned = opts.boolean(env, call, "pinned")?;
    let date = opts.date(env, call)?;
    let request_id = opts.string(env, call, "requestId")?;
    // With no layers there is nothing to type request attributes by:
    // `route_layered` answers `request/no-policy` itself.
    let attrs = if layers.is_empty() {
        crate::RequestAttrs::new()
    } else {
        opts.request(env, &schemas)?
    };
    let request = crate::bindings::build_request(
        model,
        pin.as_deref(),
        pinned,
        date,
        attrs,
        request_id,
    )
    .map_err(|_| {
        type_error(
            env,
            "ERR_INVALID_ARG_VALUE",
            &format!(
                "{call}: `pin` names a target to pin, so `pinned: false` (automatic routing) cannot go with it"
            ),
        )
    })?;
    let decision = or_throw(env, crate::route_layered(layers, &catalog.inner, &request))?;
    results::decision(&decision)
}

#[napi]
impl JsPolicy {
    /// The `policy "…"` name, or null.
    #[napi(getter)]
    pub fn name(&self) -> Option<String> {
        self.inner.name().map(str::to_string)
    }

    /// The `version "…"` text, or null.
    #[napi(getter)]
    pub fn version(&self) -> Option<String> {
        self.inner.version().map(str::to_string)
    }

    /// `"block"` or `"warn"`.
    #[napi(getter)]
    pub fn mode(&self) -> &'static str {
        self.inner.mode().as_str()
    }

    /// `sha256:` and the digest of the canonical text.
    #[napi(getter)]
    pub fn fingerprint(&self) -> String {
        self.inner.fingerprint()
    }

    /// The text the policy was compiled from.
    #[napi(getter)]
    pub fn source(&self) -> String {
        self.inner.source().to_string()
    }

    /// The policy printed back one statement a line, comments dropped.
    #[napi(getter)]
    pub fn canonical_text(&self) -> String {
        self.inner.canonical_text()
    }

    /// The verdict on one target object.
    #[napi]
    pub fn evaluate<'e>(
        &self,
        env: &'e Env,
        target: Unknown<'e>,
        options: Option<Unknown<'e>>,
    ) -> napi::Result<J> {
        let opts = Options::read(env, "evaluate", options, &["date", "request"])?;
        let t = Reader::new(env)?.target(&target, "target".to_string())?;
        let date = opts.date(env, "evaluate")?;
        let attrs = opts.request(env, &[self.inner.schema()])?;
        let v = self.inner.evaluate_for(&t, &attrs, date);
        results::verdict(t.id(), &v)
    }

    /// The passing targets: of a Catalog, their ids (its bitmap filter);
    /// of an array of target objects, the objects themselves; in order.
    #[napi]
    pub fn filter<'e>(
        &self,
        env: &'e Env,
        targets: Either<ClassInstance<'e, JsCatalog>, Array<'e>>,
        options: Option<Unknown<'e>>,
    ) -> napi::Result<Array<'e>> {
        let opts = Options::read(env, "filter", options, &["date", "request"])?;
        let policy = &self.inner;
        let date = opts.date(env, "filter")?;
        let attrs = opts.request(env, &[policy.schema()])?;
        match targets {
            Either::A(catalog) => {
                let allowed = policy.allowed_in_for(&catalog.inner, &attrs, date);
                let all = catalog.inner.targets();
                let ids: Vec<&str> = allowed
                    .indices()
                    .filter_map(|i| all.get(i).map(crate::Target::id))
                    .collect();
                let mut out = env.create_array(0)?;
                for id in ids {
                    out.insert(id)?;
                }
                Ok(out)
            }
            Either::B(items) => {
                let converted = Reader::new(env)?.targets(&items)?;
                let date = date.unwrap_or_else(crate::Date::today);
                let request = policy.request_bits(&attrs);
                let mut out = env.create_array(0)?;
                for (i, t) in converted.iter().enumerate() {
                    if policy.passes_with(t, &request, Some(date)) {
                        let item: Option<Unknown<'e>> = items.get(u32::try_from(i).unwrap_or(0))?;
                        if let Some(item) = item {
                            out.insert(item)?;
                        }
                    }
                }
                Ok(out)
            }
        }
    }

    /// Routes a request for `model`.
    #[napi]
    pub fn route<'e>(
        &self,
        env: &'e Env,
        catalog: &JsCatalog,
        model: String,
        options: Option<Unknown<'e>>,
    ) -> napi::Result<J> {
        let layers = std::slice::from_ref(&self.inner);
        route(env, "route", layers, catalog, &model, options)
    }

    /// Every target of a catalog, allowed or blocked, with reasons.
    #[napi]
    pub fn preview<'e>(
        &self,
        env: &'e Env,
        catalog: &JsCatalog,
        options: Option<Unknown<'e>>,
    ) -> napi::Result<J> {
        let opts = Options::read(env, "preview", options, &["date", "model", "request"])?;
        let date = opts.date(env, "preview")?;
        let model = opts.string(env, "preview", "model")?;
        let attrs = opts.request(env, &[self.inner.schema()])?;
        let p = crate::preview_for(&self.inner, &catalog.inner, model.as_deref(), &attrs, date);
        results::json(p)
    }

    /// Warnings for the policy's author; with a `catalog`, also what the
    /// policy and the catalog show together.
    #[napi]
    pub fn lint<'e>(&self, env: &'e Env, options: Option<Unknown<'e>>) -> napi::Result<J> {
        let opts = Options::read(env, "lint", options, &["catalog", "date"])?;
        let date = opts.date(env, "lint")?;
        let catalog: Option<ClassInstance<'e, JsCatalog>> =
            opts.typed("catalog").map_err(|_| {
                type_error(
                    env,
                    "ERR_INVALID_ARG_TYPE",
                    "lint: `catalog` must be a Catalog",
                )
            })?;
        let mut diags = crate::lint::lint(&self.inner);
        if let Some(c) = catalog {
            let name = c.inner.name().unwrap_or("<catalog>");
            diags.extend(crate::lint::lint_catalog(&self.inner, &c.inner, name, date));
        }
        let src = crate::SourceText::new(self.inner.source_name(), self.inner.source());
        Ok(crate::render_json(&diags, Some(&src)))
    }

    #[napi(js_name = "toString")]
    pub fn to_string_js(&self) -> String {
        format!(
            "Policy({:?}, mode={})",
            self.inner.display_name(),
            self.inner.mode().as_str()
        )
    }
}

#[napi]
impl JsCatalog {
    /// Reads a catalog file (JSON, TOML, gateway YAML, LiteLLM config,
    /// provider definitions; chosen by content).
    #[napi(factory)]
    pub fn from_file(env: &Env, path: String) -> napi::Result<JsCatalog> {
        let path = std::path::PathBuf::from(path);
        crate::Catalog::from_file(&path)
            .map(|inner| JsCatalog { inner })
            .map_err(|e| throw_at(env, &e, Some(&path)))
    }

    /// A catalog in eligo's JSON format.
    #[napi(factory, js_name = "fromJSON")]
    pub fn from_json(env: &Env, text: String, name: Option<String>) -> napi::Result<JsCatalog> {
        let name = name.as_deref().unwrap_or("<json>");
        if text.len() > crate::catalog::MAX_CATALOG_BYTES {
            let e = crate::bindings::invalid_target(
                name,
                format_args!(
                    "larger than the limit of {} bytes",
                    crate::catalog::MAX_CATALOG_BYTES
                ),
            );
            return Err(throw(env, &e));
        }
        let r = crate::Catalog::from_str_as(&text, name, crate::CatalogFormat::Json);
        or_throw(env, r).map(|inner| JsCatalog { inner })
    }

    /// A catalog of target objects, each read as `Policy.evaluate` reads
    /// one.
    #[napi(factory)]
    pub fn from_targets<'e>(env: &'e Env, targets: Array<'e>) -> napi::Result<JsCatalog> {
        let list = Reader::new(env)?.targets(&targets)?;
        or_throw(env, crate::Catalog::new(list)).map(|inner| JsCatalog { inner })
    }

    /// A catalog of LiteLLM deployments: a Router's `model_list`, or a
    /// whole proxy configuration with a `model_list`.
    #[napi(factory)]
    pub fn from_litellm<'e>(
        env: &'e Env,
        config: Unknown<'e>,
        name: Option<String>,
    ) -> napi::Result<JsCatalog> {
        let value = Reader::new(env)?.config(&config, 0)?;
        let name = name.as_deref().unwrap_or("<litellm>");
        let r = crate::Catalog::from_litellm_value(&value, name);
        or_throw(env, r).map(|inner| JsCatalog { inner })
    }

    /// The target ids, in catalog order.
    #[napi(getter)]
    pub fn ids(&self) -> Vec<String> {
        self.inner
            .targets()
            .iter()
            .map(|t| t.id().to_string())
            .collect()
    }

    /// The catalog's name, if its file gives one.
    #[napi(getter)]
    pub fn name(&self) -> Option<String> {
        self.inner.name().map(str::to_string)
    }

    /// The number of targets.
    #[napi(getter)]
    pub fn length(&self) -> u32 {
        u32::try_from(self.inner.len()).unwrap_or(u32::MAX)
    }

    /// The number of targets (as a `Map`'s `size`).
    #[napi(getter)]
    pub fn size(&self) -> u32 {
        self.length()
    }

    /// Whether a target has the id `id`.
    #[napi]
    pub fn has(&self, id: String) -> bool {
        self.inner.get(&id).is_some()
    }

    /// The target with id `id`, in the catalog format, or undefined.
    #[napi]
    pub fn get(&self, id: String) -> napi::Result<Either<J, ()>> {
        match self.inner.get(&id) {
            Some(t) => results::json(t).map(Either::A),
            None => Ok(Either::B(())),
        }
    }

    /// Every target in the catalog format, in catalog order.
    #[napi]
    pub fn targets(&self) -> napi::Result<Vec<J>> {
        self.inner.targets().iter().map(results::json).collect()
    }

    /// A new catalog with `target` (an object, as `fromTargets` reads one)
    /// in place of the target with the same id, else appended.
    #[napi]
    pub fn with_target<'e>(&self, env: &'e Env, target: Unknown<'e>) -> napi::Result<JsCatalog> {
        let t = Reader::new(env)?.target(&target, "target".to_string())?;
        Ok(JsCatalog {
            inner: self.inner.with_target(t),
        })
    }

    /// A new catalog without the target `id` (a `RangeError` if there is
    /// none).
    #[napi]
    pub fn without(&self, env: &Env, id: String) -> napi::Result<JsCatalog> {
        match self.inner.without(&id) {
            Some(inner) => Ok(JsCatalog { inner }),
            None => {
                let message = format!(
                    "no target `{}` in the catalog",
                    crate::escape_for_terminal(&id)
                );
                Err(
                    match env.throw_range_error(&message, Some("ERR_ELIGO_NO_TARGET")) {
                        Ok(()) => napi::Error::from_status(Status::PendingException),
                        Err(err) => err,
                    },
                )
            }
        }
    }

    /// Warnings about the catalog's attribute names (`gdrp` for `gdpr`).
    #[napi]
    pub fn lint(&self) -> J {
        let diags = crate::lint::lint_attribute_names(&self.inner, &crate::Schema::standard());
        crate::render_json(&diags, None)
    }

    #[napi(js_name = "toString")]
    pub fn to_string_js(&self) -> String {
        format!("Catalog({} targets)", self.inner.len())
    }
}

/// The crate's version.
#[napi]
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
