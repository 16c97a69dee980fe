//! Catalogs: ordered lists of provider targets, and readers for the formats
//! they come in.
//!
//! | format | reader | what it is |
//! |---|---|---|
//! | eligo JSON / TOML | [`Catalog::from_json`], [`Catalog::from_toml`] | eligo's own format (`docs/CATALOG.md`) |
//! | gateway YAML | [`Catalog::from_gateway_yaml`] | `providers.targets[].data_policy`, as policy-as-config gateways write it |
//! | LiteLLM `config.yaml` (YAML or JSON) | [`Catalog::from_litellm_config`] | a LiteLLM proxy's `model_list`, one target a deployment, declarations under `model_info.data_policy` |
//! | provider `dataPolicy` JSON | [`Catalog::from_provider_policies`] | provider definitions with a `dataPolicy` object, as the open-source LLM Gateway publishes them |
//!
//! Every reader validates strictly and reports *every* problem with the file,
//! the target and the field; none panics, and none turns "not declared" into a
//! known value: where a source format would default a missing field, eligo
//! keeps it unknown. Duplicate keys are errors in every format.

mod data_policy;
mod eligo;
pub(crate) mod facts;
mod gateway;
mod litellm;
mod provider_policies;
mod strict;
mod yaml;

use std::collections::HashMap;
use std::path::Path;

use crate::diagnostic::{Diagnostic, Error, SourceText};
use crate::target::Target;

#[cfg(feature = "python")]
pub(crate) use eligo::TARGET_FIELDS;
pub(crate) use eligo::target_from_json;
pub(crate) use facts::Facts;
pub(crate) use strict::{StrictJson, parse_json, parse_json_as, parse_toml_as, parse_yaml_as};

pub use provider_policies::parse_retention;

/// Largest catalog file accepted, in bytes (64 MiB).
///
/// JSON catalogs are read one target at a time, so memory holds the
/// targets, never the document's value tree: about 15 times the file for a
/// catalog of minimal targets (a 30 MB file of 500,000 one-attribute targets
/// takes 460 MB), less for realistic ones. 64 MiB, twenty times a catalog of
/// 10,000 realistic targets, keeps that under about 1 GiB.
pub const MAX_CATALOG_BYTES: usize = 64 << 20;

/// Largest TOML or gateway YAML catalog accepted, in bytes (4 MiB), from a
/// file or from text.
///
/// These formats are read whole into a value tree before their targets are
/// read, at up to 70 times the text in memory; 4 MiB keeps that under about
/// 300 MB. Hand-written configuration is far smaller; use JSON for larger
/// catalogs.
pub const MAX_TREE_CATALOG_BYTES: usize = 4 << 20;

/// The formats [`Catalog::from_file`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CatalogFormat {
    /// eligo's own JSON format.
    Json,
    /// eligo's own format written in TOML.
    Toml,
    /// Gateway YAML (`providers.targets[].data_policy`).
    GatewayYaml,
    /// Provider definitions with `dataPolicy` objects (JSON).
    ProviderPolicies,
    /// A LiteLLM proxy configuration (`model_list`), in YAML or JSON.
    LiteLlm,
}

/// An ordered list of provider targets with unique ids.
///
/// The first [`encode_catalog`](crate::Policy::encode_catalog) builds the
/// catalog's facts as columns (one an attribute, text dictionary-encoded),
/// once; every policy's encoding then reads them instead of the targets. A
/// catalog used only to route one request at a time never builds them.
///
/// ```
/// let catalog = eligo::Catalog::from_json(r#"{"targets": [
///     {"provider": "openai", "model": "gpt-4o", "attributes": {"soc2": true}},
///     {"provider": "onprem", "model": "llama-3", "attributes": {"retention_days": {"value": 0, "expires": "2099-01-01"}}}
/// ]}"#, "catalog.json")?;
/// assert_eq!(catalog.len(), 2);
/// assert_eq!(catalog.get("onprem/llama-3").unwrap().model(), "llama-3");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    name: Option<String>,
    targets: Vec<Target>,
    index: HashMap<String, usize>,
    /// The targets' values as columns, shared by every policy's encoding;
    /// built on first use.
    facts: std::sync::OnceLock<Facts>,
    /// Which targets serve which model; built on first use.
    models: std::sync::OnceLock<Models>,
    /// A number no other catalog built by this process has (a clone keeps
    /// it: it holds the same targets, and a catalog never changes).
    identity: u64,
}

/// The catalog's targets by the model they serve, positions ascending.
#[derive(Clone, Debug, Default)]
struct Models {
    /// Targets of each named model.
    named: HashMap<Box<str>, Vec<usize>>,
    /// Targets serving every model (`*`).
    wildcards: Vec<usize>,
}

impl Models {
    fn new(targets: &[Target]) -> Models {
        let mut models = Models::default();
        for (i, t) in targets.iter().enumerate() {
            if t.is_wildcard() {
                models.wildcards.push(i);
            } else if let Some(rows) = models.named.get_mut(t.model()) {
                rows.push(i);
            } else {
                models.named.insert(t.model().into(), vec![i]);
            }
        }
        models
    }
}

/// Two catalogs are equal when their names and targets are (the facts are
/// derived from the targets).
impl PartialEq for Catalog {
    fn eq(&self, other: &Catalog) -> bool {
        self.name == other.name && self.targets == other.targets
    }
}

impl Eq for Catalog {}

impl Catalog {
    /// A catalog of `targets`, in order. Fails if two share an id.
    ///
    /// ```
    /// use eligo::{Catalog, Target};
    /// let c = Catalog::new(vec![Target::new("a", "m"), Target::new("b", "m")])?;
    /// assert_eq!(c.serving("m").count(), 2);
    /// assert!(Catalog::new(vec![Target::new("a", "m"), Target::new("a", "m")]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(targets: Vec<Target>) -> Result<Catalog, Error> {
        let mut p = Problems::new();
        let positions: Vec<usize> = (0..targets.len()).collect();
        let catalog = Catalog::build(None, targets, &positions, &mut p);
        if p.diags.is_empty() {
            Ok(catalog)
        } else {
            Err(Error::new(p.diags, None))
        }
    }

    /// Indexes `targets`; `positions` are their places in the source (for
    /// messages), which differ from their indices when some were invalid.
    fn build(
        name: Option<String>,
        targets: Vec<Target>,
        positions: &[usize],
        p: &mut Problems,
    ) -> Catalog {
        let mut index = HashMap::with_capacity(targets.len());
        for (i, t) in targets.iter().enumerate() {
            if let Some(first) = index.insert(t.id().to_string(), i) {
                let at = |k: usize| positions.get(k).copied().unwrap_or(k) + 1;
                let entry = p.entry;
                p.diags.push(
                    Diagnostic::error(
                        "catalog/duplicate-target",
                        format!(
                            "{entry} #{} has the id `{}` of {entry} #{} already",
                            at(i),
                            t.id(),
                            at(first)
                        ),
                    )
                    .with_help(p.duplicate_help),
                );
                index.insert(t.id().to_string(), first);
            }
        }
        Catalog {
            name,
            targets,
            index,
            facts: std::sync::OnceLock::new(),
            models: std::sync::OnceLock::new(),
            identity: {
                static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            },
        }
    }

    /// Reads a catalog file, choosing the reader by extension and content:
    /// `.yaml`/`.yml` is a LiteLLM config when it has a top-level
    /// `model_list`, else gateway YAML (`providers`); `.toml` is eligo TOML;
    /// anything else is JSON: provider `dataPolicy` definitions (a
    /// `providers` list), a LiteLLM config (`model_list`), or eligo's
    /// `targets`.
    ///
    /// ```
    /// let catalog = eligo::Catalog::from_file("policies/catalog.json")?;
    /// assert!(catalog.get("onprem/deepseek-v3.2").is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_file(path: impl AsRef<Path>) -> Result<Catalog, Error> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let text = crate::files::read_text(path, MAX_CATALOG_BYTES)?;
        Catalog::from_text(&text, &name)
    }

    /// Reads catalog text named `name`, choosing the reader as
    /// [`Catalog::from_file`] does: by the extension of `name`, else (JSON)
    /// by content. Use it for text from stdin or a network.
    ///
    /// ```
    /// let c = eligo::Catalog::from_text("[[targets]]\nprovider = \"a\"\nmodel = \"m\"\n", "c.toml")?;
    /// assert_eq!(c.targets()[0].id(), "a/m");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_text(text: &str, name: &str) -> Result<Catalog, Error> {
        let ext = Path::new(name)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let format = match ext.as_str() {
            "yaml" | "yml" => return Catalog::from_yaml(text, name),
            "toml" => CatalogFormat::Toml,
            _ => sniff_json(text),
        };
        Catalog::from_str_as(text, name, format)
    }

    /// Reads YAML, parsed once, as a LiteLLM config when it has a top-level
    /// `model_list` and as gateway YAML otherwise; a file with both
    /// `model_list` and `providers` is refused rather than read half.
    fn from_yaml(text: &str, name: &str) -> Result<Catalog, Error> {
        tree_size(text, name, "YAML")?;
        let value = strict::parse_yaml(text, name)?;
        let has = |key: &str| value.get(key).is_some();
        match (has("model_list"), has("providers")) {
            (true, true) => Err(Error::new(
                vec![
                    Diagnostic::error(
                        "catalog/ambiguous-format",
                        format!(
                            "`{name}` has both `model_list` (a LiteLLM config) and `providers` (gateway YAML)"
                        ),
                    )
                    .with_help("keep the targets of one format in the file, or read it with `Catalog::from_str_as` naming its format"),
                ],
                Some(SourceText::new(name, "")),
            )),
            (true, false) => litellm::read(&value, name),
            (false, _) => gateway::read(&value, name),
        }
    }

    /// Reads catalog text in the given format; `name` names it in errors.
    pub fn from_str_as(text: &str, name: &str, format: CatalogFormat) -> Result<Catalog, Error> {
        match format {
            CatalogFormat::Json => Catalog::from_json(text, name),
            CatalogFormat::Toml => Catalog::from_toml(text, name),
            CatalogFormat::GatewayYaml => Catalog::from_gateway_yaml(text, name),
            CatalogFormat::ProviderPolicies => Catalog::from_provider_policies(text, name),
            CatalogFormat::LiteLlm => Catalog::from_litellm_config(text, name),
        }
    }

    /// Reads eligo's JSON catalog format.
    pub fn from_json(text: &str, name: &str) -> Result<Catalog, Error> {
        eligo::read_json(text, name)
    }

    /// Reads eligo's catalog format written in TOML (`[[targets]]` tables).
    ///
    /// ```
    /// let c = eligo::Catalog::from_toml(r#"
    /// catalog = "t"
    /// [[targets]]
    /// provider = "onprem"
    /// model = "llama-3"
    /// attributes = { retention_days = 0, zero_data_retention = true }
    /// "#, "c.toml")?;
    /// assert_eq!(c.targets()[0].id(), "onprem/llama-3");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_toml(text: &str, name: &str) -> Result<Catalog, Error> {
        tree_size(text, name, "TOML")?;
        let value = strict::parse_toml(text, name)?;
        eligo::read(&value, name)
    }

    /// Reads gateway YAML: `providers.targets[]` with `data_policy` blocks.
    pub fn from_gateway_yaml(text: &str, name: &str) -> Result<Catalog, Error> {
        tree_size(text, name, "YAML")?;
        let value = strict::parse_yaml(text, name)?;
        gateway::read(&value, name)
    }

    /// Reads provider definitions with `dataPolicy` objects (JSON).
    pub fn from_provider_policies(text: &str, name: &str) -> Result<Catalog, Error> {
        provider_policies::read_json(text, name)
    }

    /// Reads a LiteLLM proxy configuration: one target for each deployment
    /// of its `model_list`, in order, with the data-policy declarations of
    /// its `model_info.data_policy` (`docs/CATALOG.md` §5).
    ///
    /// A deployment's `model_name` is the target's model (`*`: every
    /// model), its provider is `litellm_params.custom_llm_provider` or what
    /// `litellm_params.model` names before its first `/`, its id is
    /// `model_info.id` or else `litellm_params.model`, and its endpoint is
    /// `litellm_params.api_base`. Other settings are ignored. A model-name
    /// pattern other than `*`, and a bare `litellm_params.model` without a
    /// provider, are errors: eligo does not guess which targets they mean.
    ///
    /// The text is YAML (at most [`MAX_TREE_CATALOG_BYTES`], read by the
    /// strict reader of gateway YAML), or JSON when it starts with `{`.
    ///
    /// ```
    /// let config = r#"
    /// model_list:
    ///   - model_name: gpt-4o
    ///     litellm_params:
    ///       model: azure/gpt-4o-eu
    ///       api_base: https://eu.example.openai.azure.com
    ///       api_key: os.environ/AZURE_API_KEY
    ///     model_info:
    ///       id: azure-eu-gpt-4o
    ///       data_policy: {soc2: true, zdr: true, region: eu}
    ///   - model_name: gpt-4o
    ///     litellm_params: {model: openai/gpt-4o}
    /// router_settings: {routing_strategy: simple-shuffle}
    /// "#;
    /// let catalog = eligo::Catalog::from_litellm_config(config, "config.yaml")?;
    /// let eu = catalog.get("azure-eu-gpt-4o").unwrap();
    /// assert_eq!((eu.provider(), eu.model()), ("azure", "gpt-4o"));
    /// assert_eq!(eu.get("zero_data_retention"), Some(eligo::ValueRef::Flag(true)));
    /// // Without a data_policy, every attribute is unknown.
    /// assert!(catalog.get("openai/gpt-4o").unwrap().attributes().is_empty());
    ///
    /// let policy = eligo::compile("require soc2 and region in [\"eu\"];")?;
    /// let preview = eligo::preview(&policy, &catalog, None);
    /// let allowed: Vec<&str> = preview.rows.iter().filter(|r| r.allowed).map(|r| r.id.as_str()).collect();
    /// assert_eq!(allowed, ["azure-eu-gpt-4o"]);
    ///
    /// let err = eligo::Catalog::from_litellm_config(
    ///     "model_list: [{model_name: gpt-4o, litellm_params: {model: gpt-4o}}]",
    ///     "config.yaml",
    /// ).unwrap_err();
    /// assert!(err.to_string().contains("`gpt-4o` names no provider"), "{err}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_litellm_config(text: &str, name: &str) -> Result<Catalog, Error> {
        let body = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        if body.trim_start().starts_with('{') {
            return litellm::read_json(text, name);
        }
        tree_size(text, name, "YAML")?;
        let value = strict::parse_yaml(text, name)?;
        Catalog::from_litellm_value(&value, name)
    }

    /// Reads a LiteLLM configuration already parsed into a value tree: a
    /// mapping with a `model_list`, or the list of deployments itself (as a
    /// LiteLLM `Router` holds it). For bindings, which build the tree from
    /// their own values.
    pub(crate) fn from_litellm_value(
        value: &serde_json::Value,
        name: &str,
    ) -> Result<Catalog, Error> {
        litellm::read(value, name)
    }

    /// The catalog's name, if the file gives one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Every target, in catalog order.
    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    /// This catalog's number: equal only for a catalog and its clones,
    /// which hold the same targets (a catalog never changes once built).
    pub(crate) fn identity(&self) -> u64 {
        self.identity
    }

    /// The targets' values as columns.
    pub(crate) fn facts(&self) -> &Facts {
        self.facts.get_or_init(|| Facts::new(&self.targets))
    }

    /// Number of targets.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether there are no targets.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The target with id `id`.
    pub fn get(&self, id: &str) -> Option<&Target> {
        self.index.get(id).and_then(|&i| self.targets.get(i))
    }

    /// The position of the target with id `id`.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// A new catalog with `target` in it: in place of the target with the
    /// same id (keeping its position), else appended at the end. This
    /// catalog is left as it was; the new one is a catalog of its own
    /// (policies bind to it afresh), as for a deployment added to or
    /// updated in a running gateway.
    ///
    /// ```
    /// use eligo::{Catalog, Target};
    /// let c = Catalog::new(vec![Target::new("a", "m"), Target::new("b", "m")])?;
    /// let c2 = c.with_target(Target::builder("a", "m").attr("soc2", true).build());
    /// assert_eq!(c2.position("a/m"), Some(0));
    /// assert!(c2.get("a/m").unwrap().get("soc2").is_some());
    /// assert!(c.get("a/m").unwrap().get("soc2").is_none());
    /// let c3 = c2.with_target(Target::new("c", "m"));
    /// assert_eq!(c3.position("c/m"), Some(2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_target(&self, target: Target) -> Catalog {
        let mut targets = self.targets.clone();
        match self.position(target.id()) {
            Some(i) => {
                if let Some(slot) = targets.get_mut(i) {
                    *slot = target;
                }
            }
            None => targets.push(target),
        }
        self.rebuilt(targets)
    }

    /// A new catalog without the target with id `id`, the others in their
    /// order; `None` if there is no such target. This catalog is left as it
    /// was.
    ///
    /// ```
    /// use eligo::{Catalog, Target};
    /// let c = Catalog::new(vec![Target::new("a", "m"), Target::new("b", "m")])?;
    /// let c2 = c.without("a/m").unwrap();
    /// assert_eq!(c2.targets()[0].id(), "b/m");
    /// assert!(c2.without("a/m").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn without(&self, id: &str) -> Option<Catalog> {
        let i = self.position(id)?;
        let mut targets = self.targets.clone();
        targets.remove(i);
        Some(self.rebuilt(targets))
    }

    /// A catalog of the same name over `targets`, whose ids are unique.
    fn rebuilt(&self, targets: Vec<Target>) -> Catalog {
        let positions: Vec<usize> = (0..targets.len()).collect();
        let mut p = Problems::new();
        let catalog = Catalog::build(self.name.clone(), targets, &positions, &mut p);
        debug_assert!(p.diags.is_empty(), "ids stay unique");
        catalog
    }

    /// The targets serving `model`, in catalog order, with their positions.
    /// A target whose model is `*` serves every model. An index of the
    /// targets by model, built on the first call, makes this cost the
    /// targets found, not the catalog's size.
    pub fn serving<'a>(&'a self, model: &'a str) -> impl Iterator<Item = (usize, &'a Target)> + 'a {
        self.serving_rows(model)
            .into_iter()
            .filter_map(|i| Some((i, self.targets.get(i)?)))
    }

    /// The positions of the targets serving `model`, ascending: those of
    /// that model merged with those serving every model.
    pub(crate) fn serving_rows(&self, model: &str) -> Vec<usize> {
        let models = self.models.get_or_init(|| Models::new(&self.targets));
        let named = models.named.get(model).map_or(&[][..], Vec::as_slice);
        let (mut a, mut b) = (named.iter().peekable(), models.wildcards.iter().peekable());
        let mut rows = Vec::with_capacity(named.len() + models.wildcards.len());
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(&&x), Some(&&y)) if x < y => a.next(),
                (Some(_), Some(_)) => b.next(),
                (Some(_), None) => a.next(),
                (None, Some(_)) => b.next(),
                (None, None) => break,
            };
            rows.extend(next.copied());
        }
        rows
    }

    /// The targets serving `model`, its own first, then those serving every
    /// model; with no allocation, for a search that stops early.
    pub(crate) fn serving_any_order<'a>(
        &'a self,
        model: &str,
    ) -> impl Iterator<Item = &'a Target> + 'a {
        let models = self.models.get_or_init(|| Models::new(&self.targets));
        let named = models.named.get(model).map_or(&[][..], Vec::as_slice);
        named
            .iter()
            .chain(&models.wildcards)
            .filter_map(|&i| self.targets.get(i))
    }

    /// Whether some target's model is named `model` (targets serving every
    /// model do not count).
    pub(crate) fn has_model(&self, model: &str) -> bool {
        let models = self.models.get_or_init(|| Models::new(&self.targets));
        models.named.contains_key(model)
    }

    /// The known id closest to `id`, for "did you mean" help.
    ///
    /// The work is bounded whatever the size of the catalog: only the first
    /// 10,000 targets are looked at, at most 64 edit distances are
    /// computed, and an `id` over 64 characters gets no suggestion. A
    /// suggestion names a target of the catalog: show it to administrators,
    /// not to the client that sent the request.
    ///
    /// ```
    /// use eligo::{Catalog, Target};
    /// let c = Catalog::new(vec![Target::new("openai", "gpt-4o"), Target::new("azure", "gpt-4o")])?;
    /// assert_eq!(c.suggest_id("azure/gpt-4"), Some("azure/gpt-4o"));
    /// assert_eq!(c.suggest_id("nothing/like-it"), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn suggest_id(&self, id: &str) -> Option<&str> {
        crate::schema::suggest(id, self.targets.iter().map(Target::id))
    }

    /// The known model name closest to `model`, with the bounds of
    /// [`Catalog::suggest_id`].
    ///
    /// ```
    /// use eligo::{Catalog, Target};
    /// let c = Catalog::new(vec![Target::new("openai", "gpt-4o"), Target::new("azure", "gpt-4o")])?;
    /// assert_eq!(c.suggest_model("GPT-4o"), Some("gpt-4o"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn suggest_model(&self, model: &str) -> Option<&str> {
        crate::schema::suggest(model, self.targets.iter().map(Target::model))
    }
}

/// Refuses TOML or YAML text over [`MAX_TREE_CATALOG_BYTES`].
fn tree_size(text: &str, name: &str, format: &str) -> Result<(), Error> {
    if text.len() <= MAX_TREE_CATALOG_BYTES {
        return Ok(());
    }
    Err(Error::new(
        vec![
            Diagnostic::error(
                "catalog/too-large",
                format!(
                    "`{name}` is {} bytes; a {format} catalog may be at most {} bytes",
                    text.len(),
                    MAX_TREE_CATALOG_BYTES
                ),
            )
            .with_help("write large catalogs as JSON, which is read one target at a time"),
        ],
        Some(SourceText::new(name, "")),
    ))
}

/// Chooses the JSON reader from the keys in the first 4096 characters:
/// `"providers"` without `"targets"` is provider definitions; a
/// `"model_list"` key (followed by `:`) without either is a LiteLLM config;
/// anything else is eligo's format.
fn sniff_json(text: &str) -> CatalogFormat {
    let head: String = text.chars().take(4096).collect();
    let targets = head.contains("\"targets\"");
    if head.contains("\"providers\"") && !targets {
        CatalogFormat::ProviderPolicies
    } else if !targets && has_key(&head, "\"model_list\"") {
        CatalogFormat::LiteLlm
    } else {
        CatalogFormat::Json
    }
}

/// Whether `quoted` (a key with its quotes) stands in `text` followed by a
/// `:`, as a key does (inside a JSON string its quotes would be escaped).
fn has_key(text: &str, quoted: &str) -> bool {
    text.match_indices(quoted).any(|(at, _)| {
        text.get(at + quoted.len()..)
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
    })
}

/// Reads entry `i` of a file's list into a target, or reports why not.
pub(crate) type ReadEntry = fn(&serde_json::Value, usize, &mut Problems) -> Option<Target>;

/// Collects catalog problems, each naming the target and the field.
pub(crate) struct Problems {
    diags: Vec<Diagnostic>,
    /// What the file calls its entries, in messages: `target`, `deployment`.
    entry: &'static str,
    /// The help given with a duplicate id.
    duplicate_help: &'static str,
}

impl Problems {
    pub(crate) fn new() -> Problems {
        Problems::naming("target", "give every target a unique `id`")
    }

    /// Problems with a file whose entries are called `entry`, where
    /// `duplicate_help` says how to give two entries different ids.
    pub(crate) fn naming(entry: &'static str, duplicate_help: &'static str) -> Problems {
        Problems {
            diags: Vec::new(),
            entry,
            duplicate_help,
        }
    }

    /// A problem with field `field` of the target at `index` (0-based) with
    /// id `id` (if known yet).
    pub(crate) fn target(
        &mut self,
        code: &'static str,
        index: usize,
        id: Option<&str>,
        field: &str,
        msg: String,
    ) {
        let name = id.map_or(String::new(), |id| format!(" `{id}`"));
        self.at(code, index, &name, field, msg);
    }

    /// A problem with field `field` of the entry at `index` (0-based), named
    /// by `name` after its number (`` `id` ``, `of model `m``, or nothing).
    pub(crate) fn at(
        &mut self,
        code: &'static str,
        index: usize,
        name: &str,
        field: &str,
        msg: String,
    ) {
        let who = format!("{} #{}{}", self.entry, index + 1, name);
        let message = if field.is_empty() {
            format!("{who}: {msg}")
        } else {
            format!("{who}, field `{field}`: {msg}")
        };
        self.diags.push(Diagnostic::error(code, message));
    }

    /// Gives the problem reported last a help line.
    pub(crate) fn help(&mut self, help: String) {
        if let Some(d) = self.diags.pop() {
            self.diags.push(d.with_help(help));
        }
    }

    /// A problem with the file as a whole.
    pub(crate) fn file(&mut self, code: &'static str, msg: String, help: &str) {
        let mut d = Diagnostic::error(code, msg);
        if !help.is_empty() {
            d = d.with_help(help);
        }
        self.diags.push(d);
    }

    /// Reads the file's list `items` with `read`, in order, until too many
    /// problems are found; returns the targets read, with their positions.
    pub(crate) fn read_all(
        &mut self,
        items: &[serde_json::Value],
        read: ReadEntry,
    ) -> Vec<(usize, Target)> {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            if !self.read_next(item, i, read, &mut out) {
                break;
            }
        }
        out
    }

    /// Reads entry `i` of the file's list with `read`, keeping its target,
    /// unless too many problems were found already; returns whether to go
    /// on.
    pub(crate) fn read_next(
        &mut self,
        item: &serde_json::Value,
        i: usize,
        read: ReadEntry,
        out: &mut Vec<(usize, Target)>,
    ) -> bool {
        if self.full() {
            return false;
        }
        if let Some(t) = read(item, i, self) {
            out.push((i, t));
        }
        true
    }

    /// Too many problems make a report unreadable; stop after this many.
    pub(crate) fn full(&self) -> bool {
        self.diags.len() >= 100
    }

    /// The catalog, or every problem found.
    pub(crate) fn finish(
        mut self,
        name: Option<String>,
        targets: Vec<(usize, Target)>,
        file: &str,
    ) -> Result<Catalog, Error> {
        // Split in place: no second copy of the targets at the peak.
        let mut positions = Vec::with_capacity(targets.len());
        let targets: Vec<Target> = targets
            .into_iter()
            .map(|(i, t)| {
                positions.push(i);
                t
            })
            .collect();
        let catalog = Catalog::build(name, targets, &positions, &mut self);
        if self.diags.is_empty() {
            Ok(catalog)
        } else {
            // The problems name targets and fields, not spans: no text needed.
            Err(Error::new(self.diags, Some(SourceText::new(file, ""))))
        }
    }
}

/// Describes a JSON value for messages: `the string "yes"`, `a list`, ….
pub(crate) fn describe(v: &serde_json::Value) -> String {
    use serde_json::Value as J;
    match v {
        J::Null => "null".to_string(),
        J::Bool(b) => format!("`{b}`"),
        J::Number(n) => format!("the number {n}"),
        J::String(s) if s.chars().count() > 40 => {
            format!("the string \"{}…\"", s.chars().take(40).collect::<String>())
        }
        J::String(s) => format!("the string {s:?}"),
        J::Array(_) => "a list".to_string(),
        J::Object(_) => "an object".to_string(),
    }
}
