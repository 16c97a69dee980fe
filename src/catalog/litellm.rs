//! LiteLLM proxy configuration (`config.yaml`): one target for each
//! deployment of its `model_list`, in order.
//!
//! ```yaml
//! model_list:
//!   - model_name: gpt-4o                 # model: what requests route on
//!     litellm_params:
//!       model: azure/gpt-4o-eu           # provider `azure`; the id without model_info.id
//!       api_base: https://eu.example.openai.azure.com   # endpoint
//!       api_key: os.environ/AZURE_API_KEY               # ignored
//!     model_info:
//!       id: azure-eu-gpt-4o              # id
//!       data_policy: {soc2: true, zdr: true, region: eu}
//! router_settings: {routing_strategy: simple-shuffle}   # ignored
//! ```
//!
//! | LiteLLM | target |
//! |---|---|
//! | `model_name` | `model`; `*` serves every model, any other pattern is refused |
//! | `litellm_params.custom_llm_provider`, else `litellm_params.model` up to its first `/` | `provider`; a bare model name is refused (LiteLLM infers its provider, eligo does not guess) |
//! | `model_info.id`, else `litellm_params.model` | `id` |
//! | `litellm_params.api_base` | `endpoint` |
//! | `model_info.data_policy` | attributes, read as gateway YAML's `data_policy` block |
//!
//! Everything else configures LiteLLM's routing and is ignored, except a
//! key that looks like a misspelt `data_policy`, `model_info` or
//! `litellm_params`: ignoring it would drop every declaration without a
//! word, so it is an error. Nothing absent is defaulted.

use serde_json::{Map, Value as J};

use super::eligo::{MAX_NAME_BYTES, given, object, string_value};
use super::strict::Top;
use super::{Catalog, Problems, data_policy, describe};
use crate::diagnostic::Error;
use crate::target::{Target, WILDCARD_MODEL};

/// The fields of a deployment.
const DEPLOYMENT_FIELDS: &[&str] = &["model_name", "litellm_params", "model_info"];

/// How LiteLLM writes a value it reads from the environment.
const FROM_ENV: &str = "os.environ/";

/// Reads a configuration already parsed: a mapping with a `model_list`, or
/// the list of deployments itself (as a LiteLLM `Router` holds it).
pub(crate) fn read(v: &J, file: &str) -> Result<Catalog, Error> {
    let mut p = problems();
    let items = match v {
        J::Array(items) => items.as_slice(),
        J::Object(top) => match top.get("model_list") {
            Some(J::Array(items)) => items.as_slice(),
            other => {
                list_problem(other, &mut p);
                &[]
            }
        },
        other => {
            not_a_config(other, &mut p);
            &[]
        }
    };
    let targets = p.read_all(items, deployment);
    p.finish(None, targets, file)
}

/// Reads a configuration written in JSON, one deployment at a time (its
/// value tree is dropped once its target is read); the other top-level
/// sections are skipped without being built.
pub(crate) fn read_json(text: &str, file: &str) -> Result<Catalog, Error> {
    let mut p = problems();
    let mut targets = Vec::new();
    let top = super::strict::stream_json(text, file, "model_list", true, |i, item| {
        p.read_next(&item, i, deployment, &mut targets)
    })?;
    match top {
        Top::Object {
            list: Some(Err(found)),
            ..
        } => list_problem(Some(&found), &mut p),
        Top::Object { list: None, .. } => list_problem(None, &mut p),
        Top::Other(found) => not_a_config(&found, &mut p),
        Top::List | Top::Object { .. } => {}
    }
    p.finish(None, targets, file)
}

/// A configuration's problems: its entries are deployments.
fn problems() -> Problems {
    Problems::naming(
        "deployment",
        "give each deployment its own `model_info.id`; without one, its id is its `litellm_params.model`",
    )
}

/// `model_list` absent, null or not a list.
fn list_problem(found: Option<&J>, p: &mut Problems) {
    match found {
        None | Some(J::Null) => p.file(
            "catalog/missing-field",
            "the file has no `model_list` list".to_string(),
            "a LiteLLM config lists its deployments under `model_list:`; deployments kept only in LiteLLM's database are not in the file",
        ),
        Some(other) => p.file(
            "catalog/wrong-type",
            format!("`model_list` must be a list, found {}", describe(other)),
            "",
        ),
    }
}

fn not_a_config(found: &J, p: &mut Problems) {
    p.file(
        "catalog/wrong-type",
        format!(
            "a LiteLLM config is a mapping with a `model_list` list, or that list; found {}",
            describe(found)
        ),
        "",
    );
}

fn deployment(v: &J, i: usize, p: &mut Problems) -> Option<Target> {
    let obj = object(v, i, "a mapping", p)?;
    let before = p.diags.len();
    let name = name(obj);
    misspelt(obj, "", DEPLOYMENT_FIELDS, i, &name, p);
    let model = string_value(obj.get("model_name"), "model_name", true, i, &name, p)
        .filter(|m| !is_pattern(m, i, &name, p));
    let params = mapping(
        obj.get("litellm_params"),
        "litellm_params",
        true,
        i,
        &name,
        p,
    );
    let info = mapping(obj.get("model_info"), "model_info", false, i, &name, p);
    let route = params.and_then(|params| route(params, i, &name, p));
    if let Some(info) = info {
        misspelt(info, "model_info", &["id", "data_policy"], i, &name, p);
    }
    let given_id = info.and_then(|info| id(info.get("id"), i, &name, p));
    let policy = info.and_then(|info| info.get("data_policy"));
    let path = "model_info.data_policy";
    let Some((model, route)) = model.zip(route) else {
        // The declarations are still checked, into a target of no use.
        data_policy::read(policy, path, &mut Target::new("-", "-"), i, &name, p);
        return None;
    };
    let mut t = Target::new(route.provider, model);
    t.set_id(given_id.unwrap_or(route.model));
    if let Some(endpoint) = route.endpoint {
        t.set_endpoint(endpoint);
    }
    data_policy::read(policy, path, &mut t, i, &name, p);
    (p.diags.len() == before).then_some(t)
}

/// How messages name a deployment: by the id it will have (`` `id` ``),
/// else by its model group (`of model `gpt-4o``), else not at all.
fn name(obj: &Map<String, J>) -> String {
    fn text(v: Option<&J>) -> Option<&str> {
        v.and_then(J::as_str)
            .filter(|s| !s.is_empty() && s.len() <= MAX_NAME_BYTES)
    }
    let id = text(obj.get("model_info").and_then(|m| m.get("id")))
        .or_else(|| text(obj.get("litellm_params").and_then(|m| m.get("model"))));
    match (id, text(obj.get("model_name"))) {
        (Some(id), _) => format!(" `{id}`"),
        (None, Some(model)) => format!(" of model `{model}`"),
        (None, None) => String::new(),
    }
}

/// A mapping at `field` of the deployment (absent or null: `None`, a problem
/// when `required`).
fn mapping<'a>(
    v: Option<&'a J>,
    field: &str,
    required: bool,
    i: usize,
    name: &str,
    p: &mut Problems,
) -> Option<&'a Map<String, J>> {
    match given(v, field, required, i, name, p)? {
        J::Object(obj) => Some(obj),
        other => {
            p.at(
                "catalog/wrong-type",
                i,
                name,
                field,
                format!("must be a mapping, found {}", describe(other)),
            );
            None
        }
    }
}

/// Whether `model_name` is a pattern eligo cannot serve (reported): LiteLLM
/// routes `openai/*` or `gpt-*` to every model the pattern matches, and
/// eligo knows only `*`, every model.
fn is_pattern(model: &str, i: usize, name: &str, p: &mut Problems) -> bool {
    let pattern = model != WILDCARD_MODEL && model.contains('*');
    if pattern {
        p.at(
            "catalog/unsupported",
            i,
            name,
            "model_name",
            format!(
                "`{model}` is a pattern; eligo reads `*` (every model) but no other pattern, and does not guess which models one serves"
            ),
        );
        p.help(
            "give each model the pattern should serve a deployment of its own, or use `*` for every model"
                .into(),
        );
    }
    pattern
}

/// Where a deployment's requests go, from its `litellm_params`.
struct Route {
    provider: String,
    /// `litellm_params.model`: the id unless `model_info.id` gives one.
    model: String,
    endpoint: Option<String>,
}

fn route(params: &Map<String, J>, i: usize, name: &str, p: &mut Problems) -> Option<Route> {
    misspelt(params, "litellm_params", &[], i, name, p);
    let field = "litellm_params.model";
    let model = string_value(params.get("model"), field, true, i, name, p)
        .filter(|m| !from_env(m, field, i, name, p));
    let custom = "litellm_params.custom_llm_provider";
    let given = params.get("custom_llm_provider").filter(|v| !v.is_null());
    let custom_provider =
        string_value(given, custom, false, i, name, p).filter(|c| !from_env(c, custom, i, name, p));
    // An endpoint read from the environment is not known here: none is kept.
    let endpoint = string_value(
        params.get("api_base"),
        "litellm_params.api_base",
        false,
        i,
        name,
        p,
    )
    .filter(|e| !e.starts_with(FROM_ENV));
    let model = model?;
    let provider = match (given, custom_provider) {
        (Some(_), provider) => provider?,
        (None, _) => provider_of(&model, i, name, p)?,
    };
    Some(Route {
        provider,
        model,
        endpoint,
    })
}

/// The provider `litellm_params.model` names before its first `/`.
fn provider_of(model: &str, i: usize, name: &str, p: &mut Problems) -> Option<String> {
    let field = "litellm_params.model";
    match model.split_once('/') {
        Some((provider, rest)) if !provider.is_empty() && !rest.is_empty() => {
            Some(provider.to_string())
        }
        Some(_) => {
            p.at(
                "catalog/wrong-type",
                i,
                name,
                field,
                format!("`{model}` must be `provider/model`, with neither part empty"),
            );
            None
        }
        None => {
            p.at(
                "catalog/missing-field",
                i,
                name,
                field,
                format!("`{model}` names no provider; LiteLLM infers one from a bare model name, and eligo does not guess"),
            );
            p.help(format!(
                "write the provider before the model (`openai/{model}`), or set `litellm_params.custom_llm_provider`"
            ));
            None
        }
    }
}

/// `model_info.id`, which must be a string.
fn id(v: Option<&J>, i: usize, name: &str, p: &mut Problems) -> Option<String> {
    let number = matches!(v, Some(J::Number(_)));
    let id = string_value(v, "model_info.id", false, i, name, p);
    if number {
        p.help(
            "quote it (`id: \"7\"`): LiteLLM turns a number into text, and YAML readers disagree on numbers such as `017`"
                .into(),
        );
    }
    id
}

/// Whether `value` is read from the environment (reported): what decides a
/// target's provider must be in the file.
fn from_env(value: &str, field: &str, i: usize, name: &str, p: &mut Problems) -> bool {
    let env = value.starts_with(FROM_ENV);
    if env {
        p.at(
            "catalog/unsupported",
            i,
            name,
            field,
            format!("`{value}` is read from the environment when LiteLLM starts; eligo reads only the file"),
        );
        p.help("write the value out in the file".into());
    }
    env
}

/// Reports the keys of `obj` (at `path` in the deployment, `""` for the
/// deployment itself) that are not among `known` but look like a misspelt
/// deployment field or a misspelt or misplaced `data_policy`: LiteLLM
/// ignores such a key, and eligo would read no attribute from it.
fn misspelt(
    obj: &Map<String, J>,
    path: &str,
    known: &[&str],
    i: usize,
    name: &str,
    p: &mut Problems,
) {
    let candidates: &[&str] = match path {
        "" => &["model_name", "litellm_params", "model_info", "data_policy"],
        _ => &["data_policy"],
    };
    for key in obj.keys().filter(|k| !known.contains(&k.as_str())) {
        let Some(meant) = crate::schema::suggest(key, candidates.iter().copied()) else {
            continue;
        };
        let msg = match (meant, path) {
            ("data_policy", "model_info") => "is not read (did you mean `data_policy`?); without `data_policy` the deployment declares no attribute".to_string(),
            ("data_policy", _) => {
                "is not read here; data-policy declarations go under `model_info.data_policy`"
                    .to_string()
            }
            _ => format!("is not a deployment field (did you mean `{meant}`?)"),
        };
        let field = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        p.at("catalog/unknown-field", i, name, &field, msg);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::ValueRef;

    fn yaml(text: &str) -> Result<Catalog, Error> {
        let value = crate::catalog::strict::parse_yaml(text, "config.yaml")?;
        read(&value, "config.yaml")
    }

    /// Checks that the problems of `text`, `code: message [help: …]` a
    /// line, are `lines` and no more: each line of `lines` is found in one
    /// of them, in order.
    #[track_caller]
    fn refused(text: &str, lines: &[&str]) {
        let err = yaml(text).expect_err(text);
        let found: Vec<String> = err
            .diagnostics()
            .iter()
            .map(|d| {
                let help = d.help().map_or(String::new(), |h| format!(" [help: {h}]"));
                format!("{}: {}{help}", d.code(), d.message())
            })
            .collect();
        let all = found.join("\n");
        assert_eq!(found.len(), lines.len(), "{all}");
        for (line, expected) in found.iter().zip(lines) {
            assert!(line.contains(expected), "{expected:?} not in:\n{all}");
        }
    }

    #[test]
    fn a_deployment_maps_to_a_target() {
        let c = yaml(
            "model_list:
  - model_name: gpt-4o
    litellm_params:
      model: azure/gpt-4o-eu
      api_base: https://eu.example.openai.azure.com
      api_key: os.environ/AZURE_API_KEY
      rpm: 600
    model_info:
      id: azure-eu-gpt-4o
      mode: chat
      data_policy: {soc2: true, zdr: true, training_opt_out: true, region: eu}
  - model_name: gpt-4o
    litellm_params: {model: openai/gpt-4o}
litellm_settings: {drop_params: true}
",
        )
        .unwrap();
        let ids: Vec<&str> = c.targets().iter().map(Target::id).collect();
        assert_eq!(ids, ["azure-eu-gpt-4o", "openai/gpt-4o"]);
        let eu = c.get("azure-eu-gpt-4o").unwrap();
        assert_eq!(
            (eu.provider(), eu.model()),
            ("azure", "gpt-4o"),
            "provider from litellm_params.model, model from model_name"
        );
        assert_eq!(eu.endpoint(), Some("https://eu.example.openai.azure.com"));
        assert_eq!(eu.get("zero_data_retention"), Some(ValueRef::Flag(true)));
        assert_eq!(eu.get("trains_on_prompts"), Some(ValueRef::Flag(false)));
        assert_eq!(eu.get("region"), Some(ValueRef::Text("eu")));
        let openai = c.get("openai/gpt-4o").unwrap();
        assert_eq!(openai.provider(), "openai");
        assert_eq!(openai.endpoint(), None);
        // No data_policy: every attribute unknown.
        assert_eq!(openai.attributes().len(), 0);
    }

    #[test]
    fn custom_llm_provider_wins_and_a_wildcard_serves_every_model() {
        let c = yaml(
            "model_list:
  - model_name: llama-3.1-8b
    litellm_params:
      model: meta-llama/Llama-3.1-8B-Instruct
      custom_llm_provider: hosted_vllm
      api_base: os.environ/VLLM_BASE
  - model_name: '*'
    litellm_params: {model: 'openai/*'}
",
        )
        .unwrap();
        let vllm = c.get("meta-llama/Llama-3.1-8B-Instruct").unwrap();
        assert_eq!(vllm.provider(), "hosted_vllm");
        // An endpoint read from the environment is not known.
        assert_eq!(vllm.endpoint(), None);
        let any = c.get("openai/*").unwrap();
        assert!(any.is_wildcard());
        assert_eq!(any.provider(), "openai");
        assert_eq!(c.serving("o3-mini").count(), 1);
    }

    #[test]
    fn a_bare_list_of_deployments_is_read() {
        let list = serde_json::json!([
            {"model_name": "m", "litellm_params": {"model": "bedrock/anthropic.claude-3"}}
        ]);
        let c = read(&list, "router").unwrap();
        assert_eq!(c.targets()[0].id(), "bedrock/anthropic.claude-3");
        assert_eq!(c.targets()[0].provider(), "bedrock");
    }

    #[test]
    fn the_top_level_must_hold_a_model_list() {
        let missing = "catalog/missing-field: the file has no `model_list` list [help: a LiteLLM config lists its deployments under `model_list:`; deployments kept only in LiteLLM's database are not in the file]";
        refused("general_settings: {master_key: sk-1}\n", &[missing]);
        refused("model_list:\n", &[missing]);
        refused(
            "model_list: {a: 1}\n",
            &["catalog/wrong-type: `model_list` must be a list, found an object"],
        );
        refused(
            "just text\n",
            &[
                "catalog/wrong-type: a LiteLLM config is a mapping with a `model_list` list, or that list; found the string \"just text\"",
            ],
        );
        assert_eq!(yaml("model_list: []\n").unwrap().len(), 0);
    }

    #[test]
    fn wrong_types_are_errors() {
        refused(
            "model_list:
  - [a]
  - model_name: 4
    litellm_params: {model: openai/m}
  - model_name: m
    litellm_params: openai/m
  - model_name: m
    litellm_params: {model: openai/x}
    model_info: [1]
  - model_name: m
    litellm_params: {model: openai/y, api_base: 3}
    model_info: {data_policy: [soc2]}
",
            &[
                "catalog/wrong-type: deployment #1: must be a mapping, found a list",
                "deployment #2 `openai/m`, field `model_name`: must be a string, found the number 4",
                "deployment #3 of model `m`, field `litellm_params`: must be a mapping, found the string \"openai/m\"",
                "deployment #4 `openai/x`, field `model_info`: must be a mapping, found a list",
                "deployment #5 `openai/y`, field `litellm_params.api_base`: must be a string, found the number 3",
                "deployment #5 `openai/y`, field `model_info.data_policy`: must be a mapping, found a list",
            ],
        );
    }

    #[test]
    fn required_fields() {
        refused(
            "model_list:
  - litellm_params: {model: openai/a}
  - model_name: b
  - model_name: c
    litellm_params: {api_key: k}
  - model_name: ''
    litellm_params: {model: openai/d}
",
            &[
                "catalog/missing-field: deployment #1 `openai/a`, field `model_name`: is required",
                "catalog/missing-field: deployment #2 of model `b`, field `litellm_params`: is required",
                "catalog/missing-field: deployment #3 of model `c`, field `litellm_params.model`: is required",
                "catalog/wrong-type: deployment #4 `openai/d`, field `model_name`: must not be empty",
            ],
        );
    }

    #[test]
    fn patterns_other_than_the_wildcard_are_refused() {
        for pattern in ["openai/*", "gpt-*", "*-mini", "**"] {
            let text = format!(
                "model_list:\n  - model_name: '{pattern}'\n    litellm_params: {{model: 'openai/*'}}\n"
            );
            let expected = format!(
                "catalog/unsupported: deployment #1 `openai/*`, field `model_name`: `{pattern}` is a pattern; eligo reads `*` (every model) but no other pattern, and does not guess which models one serves [help: give each model the pattern should serve a deployment of its own, or use `*` for every model]"
            );
            refused(&text, &[&expected]);
        }
    }

    #[test]
    fn the_provider_is_never_guessed() {
        refused(
            "model_list:
  - model_name: gpt-4o
    litellm_params: {model: gpt-4o}
  - model_name: x
    litellm_params: {model: /x}
  - model_name: y
    litellm_params: {model: openai/}
  - model_name: z
    litellm_params: {model: z, custom_llm_provider: 7}
  - model_name: e
    litellm_params: {model: os.environ/MODEL}
  - model_name: f
    litellm_params: {model: f, custom_llm_provider: os.environ/PROVIDER}
",
            &[
                "catalog/missing-field: deployment #1 `gpt-4o`, field `litellm_params.model`: `gpt-4o` names no provider; LiteLLM infers one from a bare model name, and eligo does not guess [help: write the provider before the model (`openai/gpt-4o`), or set `litellm_params.custom_llm_provider`]",
                "catalog/wrong-type: deployment #2 `/x`, field `litellm_params.model`: `/x` must be `provider/model`, with neither part empty",
                "catalog/wrong-type: deployment #3 `openai/`, field `litellm_params.model`: `openai/` must be `provider/model`",
                // A wrong custom_llm_provider is reported once, not also
                // as a bare model.
                "catalog/wrong-type: deployment #4 `z`, field `litellm_params.custom_llm_provider`: must be a string, found the number 7",
                "catalog/unsupported: deployment #5 `os.environ/MODEL`, field `litellm_params.model`: `os.environ/MODEL` is read from the environment when LiteLLM starts; eligo reads only the file [help: write the value out in the file]",
                "catalog/unsupported: deployment #6 `f`, field `litellm_params.custom_llm_provider`: `os.environ/PROVIDER` is read from the environment",
            ],
        );
    }

    #[test]
    fn ids_are_strings_and_unique() {
        refused(
            "model_list:
  - model_name: m
    litellm_params: {model: openai/m}
    model_info: {id: 17}
  - model_name: gpt-4o
    litellm_params: {model: azure/gpt-4o, api_base: https://eu.example.com}
  - model_name: gpt-4o
    litellm_params: {model: azure/gpt-4o, api_base: https://us.example.com}
",
            &[
                "catalog/wrong-type: deployment #1 `openai/m`, field `model_info.id`: must be a string, found the number 17 [help: quote it",
                "catalog/duplicate-target: deployment #3 has the id `azure/gpt-4o` of deployment #2 already [help: give each deployment its own `model_info.id`; without one, its id is its `litellm_params.model`]",
            ],
        );
    }

    #[test]
    fn data_policy_is_read_as_in_gateway_yaml() {
        refused(
            "model_list:
  - model_name: m
    litellm_params: {model: openai/m}
    model_info:
      id: a
      data_policy: {zdr: yes, trainin_opt_out: true, zdr_: 1, retention_days: -1}
  - model_name: m
    litellm_params: {model: openai/n}
    model_info:
      id: b
      data_policy: {zdr: true, zero_data_retention: true, provider: x}
  - model_name: m
    model_info:
      id: c
      data_policy: {soc2: maybe}
",
            &[
                "catalog/bad-attribute: deployment #1 `a`, field `model_info.data_policy.zdr`: must be true or false, found the string \"yes\"",
                "catalog/unknown-field: deployment #1 `a`, field `model_info.data_policy.trainin_opt_out`: is not a data-policy field eligo knows; did you mean `training_opt_out`?",
                "catalog/unknown-field: deployment #1 `a`, field `model_info.data_policy.zdr_`: is not a data-policy field eligo knows; did you mean `zdr`?",
                "catalog/bad-attribute: deployment #1 `a`, field `model_info.data_policy.retention_days`: must be 0 or more",
                "catalog/conflict: deployment #2 `b`, field `model_info.data_policy.zdr`: `zdr` and `zero_data_retention` say the same thing",
                "catalog/unknown-field: deployment #2 `b`, field `model_info.data_policy.provider`: is not a data-policy field: a target's provider and model are given outside `data_policy`",
                // Problems of a deployment that gives no target are still
                // reported.
                "catalog/missing-field: deployment #3 `c`, field `litellm_params`: is required",
                "catalog/bad-attribute: deployment #3 `c`, field `model_info.data_policy.soc2`: must be true or false",
            ],
        );
    }

    #[test]
    fn misplaced_and_misspelt_declarations_are_errors() {
        let not_read_here =
            "is not read here; data-policy declarations go under `model_info.data_policy`";
        refused(
            "model_list:
  - model_name: m
    litellm_params: {model: openai/a}
    model_info: {id: a, data_polcy: {soc2: true}}
  - model_name: m
    litellm_params: {model: openai/b}
    model_info: {id: b, datapolicy: {soc2: true}, dataPolicy: {}}
  - model_name: m
    data_policy: {soc2: true}
    litellm_params: {model: openai/c, data_policy: {soc2: true}}
  - model_name: m
    litellm_params: {model: openai/d}
    modelinfo: {id: d}
",
            &[
                "catalog/unknown-field: deployment #1 `a`, field `model_info.data_polcy`: is not read (did you mean `data_policy`?); without `data_policy` the deployment declares no attribute",
                "deployment #2 `b`, field `model_info.datapolicy`: is not read (did you mean `data_policy`?)",
                "deployment #2 `b`, field `model_info.dataPolicy`: is not read (did you mean `data_policy`?)",
                &format!("deployment #3 `openai/c`, field `data_policy`: {not_read_here}"),
                &format!(
                    "deployment #3 `openai/c`, field `litellm_params.data_policy`: {not_read_here}"
                ),
                "catalog/unknown-field: deployment #4 `openai/d`, field `modelinfo`: is not a deployment field (did you mean `model_info`?)",
            ],
        );
    }

    #[test]
    fn litellm_keys_are_not_mistaken_for_misspellings() {
        // Keys LiteLLM documents, beside the three eligo reads.
        let c = yaml(
            "model_list:
  - model_name: m
    tpm: 1000
    rpm: 10
    litellm_params:
      model: bedrock/anthropic.claude-3-5-sonnet
      aws_region_name: eu-central-1
      aws_access_key_id: os.environ/AWS_ACCESS_KEY_ID
      timeout: 30
      stream_timeout: 10
      max_retries: 2
      tags: [eu]
      weight: 2
      order: 1
      input_cost_per_token: 0.000003
      region_name: eu
      model_info: {x: 1}
    model_info:
      id: m-1
      mode: chat
      base_model: anthropic.claude-3-5-sonnet
      db_model: false
      team_id: t
      tier: paid
      access_groups: [a]
      description: data policy reviewed in May
      supports_vision: true
      max_tokens: 8192
",
        )
        .unwrap();
        assert_eq!(c.targets()[0].id(), "m-1");
    }
}
