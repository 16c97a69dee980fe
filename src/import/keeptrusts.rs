//! The `data-routing-policy` of a Keeptrusts `policy-config.yaml`, as eligo
//! policy text.

use serde_json::{Map, Value as J};

use super::{Problems, Writer, check_size, flag, policy_name, quote};
use crate::catalog::describe;
use crate::diagnostic::{Error, is_escaped_for_terminal};

/// The policy kind imported, in `policies.chain` and under `policy`.
const KIND: &str = "data-routing-policy";

/// The fields of `policy.data-routing-policy`.
const FIELDS: &[&str] = &[
    "require_zero_data_retention",
    "require_no_training",
    "max_retention_days",
    "on_no_compliant_provider",
    "log_provider_selection",
];

/// `on_no_compliant_provider` values and the mode each maps to.
const MODES: &[&str] = &["block", "warn"];

/// Translates the data-routing policy of a Keeptrusts `policy-config.yaml`
/// (`policy.data-routing-policy`, run when `policies.chain` lists it) into
/// eligo policy text, named after `pack.name` or else `name` (the file it
/// was read from, for messages).
///
/// `require_zero_data_retention`, `require_no_training` and
/// `max_retention_days` become requirements and `on_no_compliant_provider`
/// the policy's mode. The targets the policy judges are the same file's
/// `providers.targets`, read by
/// [`Catalog::from_gateway_yaml`](crate::Catalog::from_gateway_yaml). A
/// policy that does not run (`pack.enabled: false`, or a chain without
/// `data-routing-policy`) imports as a policy that restricts nothing, and
/// says so. The other policies of the chain are content checks, not
/// routing rules, and are not imported; the text names them.
///
/// # Errors
///
/// Invalid YAML, a key given twice, a tag, anchor or merge key
/// (`import/invalid-yaml`), no `policy.data-routing-policy` or no
/// `policies.chain` (`import/missing-field`), a field of the wrong type
/// (`import/wrong-type`), an unknown field of the data-routing policy
/// (`import/unknown-field`, with a suggestion), and a value eligo cannot
/// express: an `on_no_compliant_provider` other than `block` or `warn`,
/// or a negative `max_retention_days` (`import/bad-value`).
///
/// ```
/// let yaml = "
/// pack: {name: zero-data-retention, version: 0.1.0, enabled: true}
/// policies:
///   chain: [data-routing-policy, audit-logger]
/// policy:
///   data-routing-policy:
///     require_zero_data_retention: true
///     require_no_training: true
///     on_no_compliant_provider: block
/// ";
/// let pol = eligo::import::keeptrusts(yaml, "policy-config.yaml")?;
/// assert!(pol.contains("require zero_data_retention; # require_zero_data_retention\n"));
/// assert!(pol.contains("mode block; # on_no_compliant_provider: block\n"));
/// let policy = eligo::compile(&pol)?;
/// assert_eq!(policy.name(), Some("zero-data-retention"));
/// assert_eq!(eligo::format::format(&pol)?, pol);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn keeptrusts(text: &str, name: &str) -> Result<String, Error> {
    check_size(text, name, "a configuration")?;
    let value = crate::catalog::parse_yaml_as(text, name, "import/invalid-yaml")?;
    let mut p = Problems::new();
    let Some(top) = value.as_object() else {
        p.file(
            "import/wrong-type",
            format!(
                "a Keeptrusts configuration is a mapping, found {}",
                describe(&value)
            ),
            "",
        );
        return p.finish(name).map(|()| String::new());
    };
    let pack = read_pack(top.get("pack"), &mut p);
    let chain = read_chain(top.get("policies"), &mut p);
    let config = read_config(top.get("policy"), &mut p);
    p.finish(name)?;
    let (Some(chain), Some(config)) = (chain, config) else {
        // Unreachable: a missing chain or block is a problem reported above.
        return Ok(String::new());
    };
    let mut w = Writer::new();
    w.comment(&format!(
        "Imported from a Keeptrusts data-routing policy (`policy.{KIND}`)."
    ));
    w.comment("Each statement's comment names the field it comes from (docs/IMPORT.md).");
    let others: Vec<&str> = chain
        .iter()
        .map(String::as_str)
        .filter(|k| *k != KIND)
        .collect();
    if !others.is_empty() {
        w.comment(&format!(
            "Not imported, as they check content rather than choose providers: {}.",
            others.join(", ")
        ));
    }
    let runs = pack.enabled && chain.iter().any(|k| k == KIND);
    if !runs {
        w.comment("");
        if pack.enabled {
            w.comment(&format!(
                "DISABLED: `policies.chain` does not list `{KIND}`, so Keeptrusts does not run it."
            ));
        } else {
            w.comment("DISABLED: the pack says `enabled: false`, so Keeptrusts runs none of it.");
        }
        w.comment("This policy restricts nothing: every target is allowed.");
    }
    let name_from = if pack.name.is_some() {
        "pack.name"
    } else {
        "the file name"
    };
    let policy = pack.name.unwrap_or_else(|| policy_name(name, "keeptrusts"));
    w.statement(&format!("policy {}", quote(&policy)), name_from);
    if let Some(version) = pack.version {
        w.statement(&format!("version {}", quote(&version)), "pack.version");
    }
    if runs {
        requirements(&mut w, &config);
    }
    w.finish(name)
}

/// What `pack` says: the name and version, and whether it is enabled.
struct Pack {
    name: Option<String>,
    version: Option<String>,
    enabled: bool,
}

fn read_pack(v: Option<&J>, p: &mut Problems) -> Pack {
    let mut pack = Pack {
        name: None,
        version: None,
        enabled: true,
    };
    let obj = match v {
        None | Some(J::Null) => return pack,
        Some(J::Object(obj)) => obj,
        Some(other) => {
            p.wrong_type("pack", "a mapping", other);
            return pack;
        }
    };
    pack.name = text(obj, "name", "pack.name", false, p);
    pack.version = text(obj, "version", "pack.version", true, p);
    pack.enabled = match obj.get("enabled") {
        None | Some(J::Null) => true,
        Some(J::Bool(b)) => *b,
        Some(other) => {
            p.wrong_type("pack.enabled", "true or false", other);
            true
        }
    };
    pack
}

/// A text field policy text can hold (with `numbers`, a whole number is
/// read as its digits: `version: 2`).
fn text(
    obj: &Map<String, J>,
    key: &str,
    field: &str,
    numbers: bool,
    p: &mut Problems,
) -> Option<String> {
    let s = match obj.get(key) {
        None | Some(J::Null) => return None,
        Some(J::String(s)) => s.clone(),
        Some(J::Number(n)) if numbers && (n.is_i64() || n.is_u64()) => n.to_string(),
        Some(other) => {
            let want = if numbers {
                "text or a whole number"
            } else {
                "text"
            };
            p.wrong_type(field, want, other);
            return None;
        }
    };
    if s.is_empty() || s.chars().any(is_escaped_for_terminal) {
        p.field(
            "import/bad-value",
            field,
            format!(
                "{} cannot be written in policy text: it is empty or holds a control or bidirectional character",
                describe(&J::String(s))
            ),
        );
        return None;
    }
    Some(s)
}

/// The policy kinds `policies.chain` runs.
fn read_chain(v: Option<&J>, p: &mut Problems) -> Option<Vec<String>> {
    let chain = match v {
        Some(J::Object(policies)) => policies.get("chain"),
        Some(J::Null) | None => None,
        Some(other) => {
            p.wrong_type("policies", "a mapping", other);
            return None;
        }
    };
    let items = match chain {
        Some(J::Array(items)) => items,
        None | Some(J::Null) => {
            p.field(
                "import/missing-field",
                "policies.chain",
                format!(
                    "is required: Keeptrusts runs the policies its chain lists, so without it whether `{KIND}` runs is not known"
                ),
            );
            return None;
        }
        Some(other) => {
            p.wrong_type("policies.chain", "a list of policy kinds", other);
            return None;
        }
    };
    let mut kinds = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item {
            J::String(s) if !s.is_empty() && !s.chars().any(is_escaped_for_terminal) => {
                kinds.push(s.clone());
            }
            other => p.wrong_type(
                &format!("policies.chain[{i}]"),
                "the name of a policy kind",
                other,
            ),
        }
    }
    Some(kinds)
}

/// `policy.data-routing-policy`, checked.
struct Config {
    zero_data_retention: bool,
    no_training: bool,
    max_retention_days: Option<u64>,
    mode: Option<&'static str>,
    log_provider_selection: Option<bool>,
}

fn read_config(v: Option<&J>, p: &mut Problems) -> Option<Config> {
    let field = |key: &str| format!("policy.{KIND}.{key}");
    let block = match v {
        Some(J::Object(kinds)) => kinds.get(KIND),
        Some(J::Null) | None => None,
        Some(other) => {
            p.wrong_type("policy", "a mapping of policy kinds", other);
            return None;
        }
    };
    let empty = Map::new();
    let obj = match block {
        None => {
            p.field(
                "import/missing-field",
                &format!("policy.{KIND}"),
                "is required: it is the data-routing policy to import",
            );
            return None;
        }
        // `data-routing-policy:` with nothing under it sets no field.
        Some(J::Null) => &empty,
        Some(J::Object(obj)) => obj,
        Some(other) => {
            p.wrong_type(&format!("policy.{KIND}"), "a mapping", other);
            return None;
        }
    };
    for key in obj.keys() {
        if !FIELDS.contains(&key.as_str()) {
            p.unknown(&field(key), key, FIELDS, "a data-routing policy field");
        }
    }
    let max_retention_days = match obj.get("max_retention_days") {
        None | Some(J::Null) => None,
        Some(J::Number(n)) if n.is_u64() => n.as_u64(),
        Some(J::Number(n)) if n.is_i64() => {
            p.field(
                "import/bad-value",
                &field("max_retention_days"),
                format!("must be 0 or more, found {n}"),
            );
            None
        }
        Some(other) => {
            p.wrong_type(
                &field("max_retention_days"),
                "a whole number of days",
                other,
            );
            None
        }
    };
    let mode = match obj.get("on_no_compliant_provider") {
        None | Some(J::Null) => None,
        Some(J::String(s)) => {
            let found = MODES.iter().copied().find(|m| m == s);
            if found.is_none() {
                p.field_help(
                    "import/bad-value",
                    &field("on_no_compliant_provider"),
                    format!("`{s}` has no eligo mode"),
                    "eligo reads `block` (mode block) and `warn` (mode warn)".to_string(),
                );
            }
            found
        }
        Some(other) => {
            p.wrong_type(
                &field("on_no_compliant_provider"),
                "`block` or `warn`",
                other,
            );
            None
        }
    };
    let log_provider_selection = match obj.get("log_provider_selection") {
        None | Some(J::Null) => None,
        _ => Some(flag(
            obj,
            "log_provider_selection",
            &field("log_provider_selection"),
            p,
        )),
    };
    Some(Config {
        zero_data_retention: flag(
            obj,
            "require_zero_data_retention",
            &field("require_zero_data_retention"),
            p,
        ),
        no_training: flag(obj, "require_no_training", &field("require_no_training"), p),
        max_retention_days,
        mode,
        log_provider_selection,
    })
}

/// The statements of a data-routing policy that runs.
fn requirements(w: &mut Writer, c: &Config) {
    match c.mode {
        Some(mode) => w.statement(
            &format!("mode {mode}"),
            &format!("on_no_compliant_provider: {mode}"),
        ),
        None => w.comment(
            "on_no_compliant_provider is not given: the policy has eligo's default mode, block.",
        ),
    }
    w.blank();
    if c.zero_data_retention {
        w.statement("require zero_data_retention", "require_zero_data_retention");
    }
    if c.no_training {
        w.statement("require !trains_on_prompts", "require_no_training");
    }
    if let Some(days) = c.max_retention_days {
        w.statement(
            &format!("max_retention_days {days}"),
            "max_retention_days: a target that does not declare retention_days is blocked",
        );
    }
    if let Some(log) = c.log_provider_selection {
        w.comment(&format!(
            "log_provider_selection: {log} is about audit logs, not which targets qualify;"
        ));
        w.comment(
            "eligo's routing decisions name every candidate and its failures (docs/EVENTS.md).",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::compiles_and_is_formatted;
    use super::*;

    const TEMPLATE: &str = "
pack:
  name: zero-data-retention
  version: 0.1.0
  enabled: true
policies:
  chain:
    - data-routing-policy
    - prompt-injection
    - pii-detector
    - audit-logger
policy:
  data-routing-policy:
    require_zero_data_retention: true
    require_no_training: true
    on_no_compliant_provider: block
    log_provider_selection: true
";

    fn import(yaml: &str) -> String {
        keeptrusts(yaml, "policy-config.yaml").unwrap_or_else(|e| panic!("{e}"))
    }

    fn refused(yaml: &str) -> String {
        keeptrusts(yaml, "policy-config.yaml")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn the_zero_data_retention_template() {
        let text = import(TEMPLATE);
        compiles_and_is_formatted(&text);
        assert_eq!(
            text,
            "\
# Imported from a Keeptrusts data-routing policy (`policy.data-routing-policy`).
# Each statement's comment names the field it comes from (docs/IMPORT.md).
# Not imported, as they check content rather than choose providers: prompt-injection, pii-detector, audit-logger.
policy \"zero-data-retention\"; # pack.name
version \"0.1.0\"; # pack.version
mode block; # on_no_compliant_provider: block

require zero_data_retention; # require_zero_data_retention
require !trains_on_prompts; # require_no_training
# log_provider_selection: true is about audit logs, not which targets qualify;
# eligo's routing decisions name every candidate and its failures (docs/EVENTS.md).
"
        );
    }

    #[test]
    fn a_policy_that_does_not_run_restricts_nothing() {
        let off = TEMPLATE.replace("enabled: true", "enabled: false");
        let text = import(&off);
        compiles_and_is_formatted(&text);
        assert!(
            text.contains("# DISABLED: the pack says `enabled: false`"),
            "{text}"
        );
        assert_eq!(crate::compile(&text).unwrap().requirement_count(), 0);
        let unchained = TEMPLATE.replace("    - data-routing-policy\n", "");
        let text = import(&unchained);
        compiles_and_is_formatted(&text);
        assert!(
            text.contains("does not list `data-routing-policy`"),
            "{text}"
        );
        assert_eq!(crate::compile(&text).unwrap().requirement_count(), 0);
    }

    #[test]
    fn retention_warn_mode_and_defaults() {
        let text = import(
            "policies: {chain: [data-routing-policy]}\npolicy:\n  data-routing-policy:\n    max_retention_days: 30\n    on_no_compliant_provider: warn\n",
        );
        compiles_and_is_formatted(&text);
        assert!(
            text.contains("policy \"policy-config\"; # the file name\n"),
            "{text}"
        );
        assert!(text.contains("mode warn; # on_no_compliant_provider: warn\n"));
        assert!(text.contains("max_retention_days 30; # max_retention_days"));
        let text =
            import("policies: {chain: [data-routing-policy]}\npolicy: {data-routing-policy: }\n");
        compiles_and_is_formatted(&text);
        assert!(text.contains("eligo's default mode, block"), "{text}");
    }

    #[test]
    fn refusals_name_the_field() {
        let err = refused(
            "pack: {name: 3, version: [1]}\npolicies: {chain: [data-routing-policy, 7]}\npolicy:\n  data-routing-policy:\n    require_zero_data_retention: yes\n    require_local_processing: true\n    max_retention_days: -1\n    on_no_compliant_provider: fallback\n    require_no_trainin: true\n",
        );
        for want in [
            "field `pack.name`: must be text, found the number 3",
            "field `pack.version`: must be text or a whole number, found a list",
            "field `policies.chain[1]`: must be the name of a policy kind, found the number 7",
            "field `policy.data-routing-policy.require_zero_data_retention`: must be true or false, found the string \"yes\"",
            "error[import/unknown-field]: field `policy.data-routing-policy.require_local_processing`: is not a data-routing policy field",
            "field `policy.data-routing-policy.require_no_trainin`: is not a data-routing policy field (did you mean `require_no_training`?)",
            "field `policy.data-routing-policy.max_retention_days`: must be 0 or more, found -1",
            "field `policy.data-routing-policy.on_no_compliant_provider`: `fallback` has no eligo mode",
        ] {
            assert!(err.contains(want), "{want:?} not in:\n{err}");
        }
        assert!(refused("policies: {chain: []}\n").contains(
            "error[import/missing-field]: field `policy.data-routing-policy`: is required"
        ));
        assert!(
            refused("policy: {data-routing-policy: {}}\n")
                .contains("field `policies.chain`: is required")
        );
        assert!(
            refused("policy: {data-routing-policy: {}}\npolicy: {}\n")
                .contains("error[import/invalid-yaml]")
        );
        assert!(refused("- a\n").contains("is a mapping, found a list"));
        let err = refused(
            "policies: {chain: [data-routing-policy]}\npolicy:\n  data-routing-policy:\n    max_retention_days: 1.5\n",
        );
        assert!(
            err.contains("must be a whole number of days, found the number 1.5"),
            "{err}"
        );
    }
}
