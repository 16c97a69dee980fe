//! Gateway YAML: `providers.targets[]`, each with a `data_policy` block.
//!
//! ```yaml
//! providers:
//!   targets:
//!     - provider: onprem
//!       model: llama-3.3-70b
//!       endpoint: http://10.0.0.5:8000/v1
//!       region: eu
//!       data_policy:
//!         zdr: true                    # shorthand for zero_data_retention
//!         training_opt_out: true       # → trains_on_prompts = false
//!         retention_days: 0            # absent = unknown
//!         in_memory_only: true
//!         accepts_tokenized_input: true
//!         allow_internet_egress: false # → internet_egress
//!         local_only_processing: true
//! ```
//!
//! Other sections of a gateway configuration, and other fields of a target
//! (keys, weights, timeouts), are routing settings and are ignored. Inside
//! `data_policy` every key must be known: the fields above, or any standard
//! attribute name (`soc2`, `gdpr`, `hipaa`, …). Nothing absent is defaulted.

use serde_json::Value as J;

use super::eligo::{attribute, declare, object, target_head};
use super::{Catalog, Problems, describe};
use crate::diagnostic::Error;
use crate::target::{Target, Value};

/// `data_policy` keys that are renamed or inverted on the way in.
const RENAMED: &[&str] = &["zdr", "training_opt_out", "allow_internet_egress"];

pub(crate) fn read(v: &J, file: &str) -> Result<Catalog, Error> {
    let mut p = Problems::new();
    let items = match v.get("providers").map(|pr| pr.get("targets")) {
        Some(Some(J::Array(items))) => items.as_slice(),
        Some(Some(other)) => {
            p.file(
                "catalog/wrong-type",
                format!(
                    "`providers.targets` must be a list, found {}",
                    describe(other)
                ),
                "",
            );
            &[]
        }
        _ => {
            p.file(
                "catalog/missing-field",
                "the file has no `providers.targets` list".to_string(),
                "gateway YAML lists targets under `providers:` → `targets:`",
            );
            &[]
        }
    };
    let mut targets = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if p.full() {
            break;
        }
        if let Some(t) = target(item, i, &mut p) {
            targets.push((i, t));
        }
    }
    p.finish(None, targets, file)
}

fn target(v: &J, i: usize, p: &mut Problems) -> Option<Target> {
    let obj = object(v, i, "a mapping", p)?;
    let before = p.diags.len();
    let mut t = target_head(obj, i, p)?;
    let id = t.id().to_string();
    match obj.get("data_policy") {
        None | Some(J::Null) => {}
        Some(J::Object(policy)) => {
            for (key, value) in policy {
                let field = format!("data_policy.{key}");
                let (name, invert) = match key.as_str() {
                    "zdr" => ("zero_data_retention", false),
                    "training_opt_out" => ("trains_on_prompts", true),
                    "allow_internet_egress" => ("internet_egress", false),
                    "provider" | "model" => {
                        p.target(
                            "catalog/unknown-field",
                            i,
                            Some(&id),
                            &field,
                            "belongs at the top of the target".into(),
                        );
                        continue;
                    }
                    other
                        if crate::schema::STANDARD_ATTRIBUTES
                            .iter()
                            .any(|(n, _, _)| *n == other) =>
                    {
                        (other, false)
                    }
                    other => {
                        let known = crate::schema::STANDARD_ATTRIBUTES
                            .iter()
                            .map(|(n, _, _)| *n)
                            .chain(RENAMED.iter().copied());
                        let help = crate::schema::suggest(other, known)
                            .map_or(String::new(), |s| format!("; did you mean `{s}`?"));
                        p.target(
                            "catalog/unknown-field",
                            i,
                            Some(&id),
                            &field,
                            format!("is not a data-policy field eligo knows{help}"),
                        );
                        continue;
                    }
                };
                if key == "region" && t.get("region").is_some() {
                    p.target(
                        "catalog/conflict",
                        i,
                        Some(&id),
                        &field,
                        "`region` is given twice".to_string(),
                    );
                    continue;
                }
                // `zdr` and `zero_data_retention` (and the other renamed
                // pairs) must not both be given.
                let clash = policy.keys().any(|k| k != key && rename_of(k) == name)
                    && rename_of(key) != key;
                if clash {
                    p.target(
                        "catalog/conflict",
                        i,
                        Some(&id),
                        &field,
                        format!("`{key}` and `{name}` say the same thing; give one of them"),
                    );
                    continue;
                }
                match attribute(name, value) {
                    Ok(None) => {}
                    Ok(Some((v, expires))) => {
                        let v = match (invert, v) {
                            (true, Value::Flag(b)) => Value::Flag(!b),
                            (_, v) => v,
                        };
                        declare(&mut t, name, v, expires);
                    }
                    Err(msg) => p.target("catalog/bad-attribute", i, Some(&id), &field, msg),
                }
            }
        }
        Some(other) => p.target(
            "catalog/wrong-type",
            i,
            Some(&id),
            "data_policy",
            format!("must be a mapping, found {}", describe(other)),
        ),
    }
    (p.diags.len() == before).then_some(t)
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
