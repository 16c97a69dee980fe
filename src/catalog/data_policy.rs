//! The `data_policy` block: a target's data-policy declarations as gateway
//! YAML writes them under each target, and LiteLLM configurations under each
//! deployment's `model_info`.
//!
//! ```yaml
//! data_policy:
//!   zdr: true                    # zero_data_retention
//!   training_opt_out: true       # trains_on_prompts = false (inverted)
//!   allow_internet_egress: false # internet_egress
//!   retention_days: 0            # any standard attribute by its own name
//!   soc2: {value: true, expires: "2027-06-30"}
//! ```
//!
//! Every key must be known: one of the three renamed keys above or a
//! standard attribute name. A key given with its alias is a conflict, even
//! when both agree. Nothing absent is defaulted.

use serde_json::{Map, Value as J};

use super::eligo::{attribute, declare};
use super::{Problems, describe};
use crate::target::{Target, Value};

/// `data_policy` keys that are renamed or inverted on the way in.
const RENAMED: &[&str] = &["zdr", "training_opt_out", "allow_internet_egress"];

/// Reads the `data_policy` block `v` (absent or null: nothing) into `t`,
/// the target at `i`; `path` is where the block stands in the target
/// (`data_policy`, `model_info.data_policy`), for messages.
pub(super) fn read(v: Option<&J>, path: &str, t: &mut Target, i: usize, p: &mut Problems) {
    let id = t.id().to_string();
    match v {
        None | Some(J::Null) => {}
        Some(J::Object(policy)) => {
            for (key, value) in policy {
                let field = format!("{path}.{key}");
                if let Some((name, invert)) = name_of(key, policy, t, &field, i, &id, p) {
                    match attribute(name, value) {
                        Ok(None) => {}
                        Ok(Some((v, expires))) => {
                            let v = match (invert, v) {
                                (true, Value::Flag(b)) => Value::Flag(!b),
                                (_, v) => v,
                            };
                            declare(t, name, v, expires);
                        }
                        Err(msg) => p.target("catalog/bad-attribute", i, Some(&id), &field, msg),
                    }
                }
            }
        }
        Some(other) => p.target(
            "catalog/wrong-type",
            i,
            Some(&id),
            path,
            format!("must be a mapping, found {}", describe(other)),
        ),
    }
}

/// The attribute `key` of `policy` declares, and whether its value is
/// inverted; `None`, with the problem reported, for a key that declares
/// nothing.
fn name_of<'a>(
    key: &'a str,
    policy: &Map<String, J>,
    t: &Target,
    field: &str,
    i: usize,
    id: &str,
    p: &mut Problems,
) -> Option<(&'a str, bool)> {
    let name = rename_of(key);
    let standard = |n: &str| {
        crate::schema::STANDARD_ATTRIBUTES
            .iter()
            .any(|(s, _, _)| *s == n)
    };
    let problem = if key == "provider" || key == "model" {
        (
            "catalog/unknown-field",
            "belongs at the top of the target".to_string(),
        )
    } else if !standard(name) {
        let known = crate::schema::STANDARD_ATTRIBUTES
            .iter()
            .map(|(n, _, _)| *n)
            .chain(RENAMED.iter().copied());
        let help = crate::schema::suggest(key, known)
            .map_or(String::new(), |s| format!("; did you mean `{s}`?"));
        (
            "catalog/unknown-field",
            format!("is not a data-policy field eligo knows{help}"),
        )
    } else if key == "region" && t.get("region").is_some() {
        ("catalog/conflict", "`region` is given twice".to_string())
    } else if name != key && policy.keys().any(|k| k != key && rename_of(k) == name) {
        // `zdr` and `zero_data_retention` (and the other renamed pairs)
        // must not both be given.
        (
            "catalog/conflict",
            format!("`{key}` and `{name}` say the same thing; give one of them"),
        )
    } else {
        return Some((name, key == "training_opt_out"));
    };
    p.target(problem.0, i, Some(id), field, problem.1);
    None
}

/// The attribute a `data_policy` key sets.
fn rename_of(key: &str) -> &str {
    match key {
        "zdr" => "zero_data_retention",
        "training_opt_out" => "trains_on_prompts",
        "allow_internet_egress" => "internet_egress",
        other => other,
    }
}
