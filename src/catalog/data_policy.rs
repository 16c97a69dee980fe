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
/// the entry at `i` named `name` in messages (as [`Problems::at`] takes it);
/// `path` is where the block stands in the entry (`data_policy`,
/// `model_info.data_policy`).
pub(super) fn read(
    v: Option<&J>,
    path: &str,
    t: &mut Target,
    i: usize,
    name: &str,
    p: &mut Problems,
) {
    match v {
        None | Some(J::Null) => {}
        Some(J::Object(policy)) => {
            for (key, value) in policy {
                let field = format!("{path}.{key}");
                let read = attribute_of(key, policy, t).and_then(|(attr, invert)| {
                    let declared =
                        attribute(attr, value).map_err(|msg| ("catalog/bad-attribute", msg))?;
                    if let Some((v, expires)) = declared {
                        let v = match (invert, v) {
                            (true, Value::Flag(b)) => Value::Flag(!b),
                            (_, v) => v,
                        };
                        declare(t, attr, v, expires);
                    }
                    Ok(())
                });
                if let Err((code, msg)) = read {
                    p.at(code, i, name, &field, msg);
                }
            }
        }
        Some(other) => p.at(
            "catalog/wrong-type",
            i,
            name,
            path,
            format!("must be a mapping, found {}", describe(other)),
        ),
    }
}

/// The attribute `key` of `policy` declares and whether its value is
/// inverted, or why it declares none (a code and a message).
fn attribute_of<'a>(
    key: &'a str,
    policy: &Map<String, J>,
    t: &Target,
) -> Result<(&'a str, bool), (&'static str, String)> {
    let name = rename_of(key);
    let standard = |n: &str| {
        crate::schema::STANDARD_ATTRIBUTES
            .iter()
            .any(|(s, _, _)| *s == n)
    };
    let problem = if key == "provider" || key == "model" {
        (
            "catalog/unknown-field",
            "is not a data-policy field: a target's provider and model are given outside `data_policy`".to_string(),
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
        return Ok((name, key == "training_opt_out"));
    };
    Err(problem)
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
