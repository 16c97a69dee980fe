//! Provider definitions with a `dataPolicy` object, in the shape the
//! open-source LLM Gateway project publishes for its providers:
//!
//! ```json
//! {"providers": [
//!   {"id": "anthropic", "name": "Anthropic", "headquarters": "US",
//!    "models": ["claude-sonnet-4"],
//!    "dataPolicy": {"apiTraining": false, "promptLogging": true,
//!                   "retentionPeriod": "30 days", "soc2": 2,
//!                   "iso27001": true, "gdpr": true}}
//! ]}
//! ```
//!
//! | field | attribute |
//! |---|---|
//! | `apiTraining` | `trains_on_prompts` |
//! | `promptLogging` | `logs_prompts` |
//! | `retentionPeriod` | `retention_days`, read by [`parse_retention`]; text that states no period is unknown |
//! | `soc2` | `2` → `soc2` true, `soc2_type1` false; `1` → `soc2_type1` true, `soc2` false |
//! | `iso27001`, `gdpr` | same name |
//! | `headquarters` | `headquarters` (ISO 3166 alpha-2) |
//! | `consumerTraining` | not read: it concerns consumer apps, not the API |
//! | `env.required.baseUrl` | `stealth`: set → `true`; an `env.required` without it → `false` |
//! | `stealth` (an eligo extension) | `stealth`, stated outright |
//! | `attested` (an eligo extension) | `attested`; without it, `true` for a catalogue entry, unknown for a custom one |
//!
//! `null` or absent means unknown. The definitions name providers, not
//! models: each provider becomes one target per name in its optional `models`
//! list, or one target with model `*` (serving every model) without one.
//!
//! A *custom* provider is one an organisation defines itself: the generic
//! `custom` entry, or an entry whose id is `custom:NAME` (the name LLM
//! Gateway's policy lists give it). Its declarations count only once the
//! organisation attests them, so it is `attested` only when it says
//! `"attested": true`; every other entry is published in the catalogue it
//! comes from and is `attested` unless it says `"attested": false`.

use serde_json::{Map, Value as J};

use super::eligo::{MAX_NAME_BYTES, object, string_field};
use super::strict::Top;
use super::{Catalog, Problems, describe};
use crate::diagnostic::Error;
use crate::target::Target;

const POLICY_FIELDS: &[&str] = &[
    "apiTraining",
    "consumerTraining",
    "promptLogging",
    "retentionPeriod",
    "soc2",
    "iso27001",
    "gdpr",
];

/// Reads provider definitions from JSON text, one definition at a time (its
/// value tree is dropped once its targets are read).
pub(crate) fn read_json(text: &str, file: &str) -> Result<Catalog, Error> {
    let mut p = Problems::new();
    let mut targets = Vec::new();
    let top = super::strict::stream_json(text, file, "providers", true, |i, item| {
        if p.full() {
            return false;
        }
        provider(&item, i, &mut p, &mut targets);
        true
    })?;
    match top {
        Top::List
        | Top::Object {
            list: Some(Ok(_)), ..
        } => {}
        Top::Object { .. } => p.file(
            "catalog/missing-field",
            "the file has no `providers` list".to_string(),
            "provider definitions are a list, or an object with a `providers` list",
        ),
        Top::Other(other) => p.file(
            "catalog/wrong-type",
            format!("expected a `providers` list, found {}", describe(&other)),
            "",
        ),
    }
    p.finish(None, targets, file)
}

fn provider(v: &J, i: usize, p: &mut Problems, out: &mut Vec<(usize, Target)>) {
    let Some(obj) = object(v, i, "an object", p) else {
        return;
    };
    let Some(id) = string_field(obj, "id", true, i, None, p) else {
        return;
    };
    let before = p.diags.len();
    let mut proto = Target::new(id.clone(), "*");
    proto.set_id(id.clone());
    if let Some(hq) = string_field(obj, "headquarters", false, i, Some(&id), p) {
        if hq.len() == 2 && hq.bytes().all(|b| b.is_ascii_uppercase()) {
            proto.set("headquarters", hq);
        } else {
            p.target(
                "catalog/bad-attribute",
                i,
                Some(&id),
                "headquarters",
                format!("must be an ISO 3166 alpha-2 country code such as \"US\", found {hq:?}"),
            );
        }
    }
    if let Some(stealth) = stealth(obj, i, &id, p) {
        proto.set("stealth", stealth);
    }
    match flag(obj, "", "attested", i, &id, p) {
        Some(attested) => proto.set("attested", attested),
        None if !is_custom(&id) => proto.set("attested", true),
        None => {}
    }
    match obj.get("dataPolicy") {
        None | Some(J::Null) => {}
        Some(J::Object(dp)) => data_policy(dp, &mut proto, i, &id, p),
        Some(other) => p.target(
            "catalog/wrong-type",
            i,
            Some(&id),
            "dataPolicy",
            format!("must be an object, found {}", describe(other)),
        ),
    }
    let models: Vec<String> = match obj.get("models") {
        None | Some(J::Null) => vec!["*".to_string()],
        Some(J::Array(ms)) => ms
            .iter()
            .filter_map(|m| match m {
                // The target id is `provider/model`: it must fit the name limit.
                J::String(s) if id.len() + 1 + s.len() > MAX_NAME_BYTES => {
                    p.target(
                        "catalog/too-long",
                        i,
                        Some(&id),
                        "models",
                        format!(
                            "model name of {} bytes makes the target id `{id}/…` longer than the limit of {MAX_NAME_BYTES} bytes",
                            s.len()
                        ),
                    );
                    None
                }
                J::String(s) if !s.is_empty() => Some(s.clone()),
                other => {
                    p.target(
                        "catalog/wrong-type",
                        i,
                        Some(&id),
                        "models",
                        format!("must list model names, found {}", describe(other)),
                    );
                    None
                }
            })
            .collect(),
        Some(other) => {
            p.target(
                "catalog/wrong-type",
                i,
                Some(&id),
                "models",
                format!("must be a list, found {}", describe(other)),
            );
            Vec::new()
        }
    };
    if p.diags.len() != before {
        return;
    }
    for model in models {
        let mut t = proto.clone();
        t.set("model", model.clone());
        t.set_id(if model == "*" {
            id.clone()
        } else {
            format!("{id}/{model}")
        });
        out.push((i, t));
    }
}

/// Whether `id` names a provider an organisation defines itself: LLM
/// Gateway's generic `custom` entry, or `custom:NAME`.
fn is_custom(id: &str) -> bool {
    id == "custom" || id.starts_with("custom:")
}

/// Whether the provider is stealth: stated outright (`"stealth"`), or read
/// from LLM Gateway's own marker, an `env.required.baseUrl` (the operator
/// must supply the base URL of an undisclosed platform). An `env.required`
/// without a `baseUrl` marks a provider that is not stealth; without
/// either, it is unknown. The two must agree when both are given.
fn stealth(obj: &Map<String, J>, i: usize, id: &str, p: &mut Problems) -> Option<bool> {
    let stated = flag(obj, "", "stealth", i, id, p);
    let mut wrong = |field: &str, what: &str, found: &J| {
        p.target(
            "catalog/wrong-type",
            i,
            Some(id),
            field,
            format!("must be {what}, found {}", describe(found)),
        );
    };
    let marked = match obj.get("env") {
        None | Some(J::Null) => None,
        Some(J::Object(env)) => match env.get("required") {
            None | Some(J::Null) => None,
            // JavaScript's truthiness, as LLM Gateway reads it: an empty
            // name is no base URL.
            Some(J::Object(required)) => match required.get("baseUrl") {
                None | Some(J::Null) => Some(false),
                Some(J::String(name)) => Some(!name.is_empty()),
                Some(other) => {
                    wrong("env.required.baseUrl", "text or null", other);
                    None
                }
            },
            Some(other) => {
                wrong("env.required", "an object", other);
                None
            }
        },
        Some(other) => {
            wrong("env", "an object", other);
            None
        }
    };
    match (stated, marked) {
        (Some(s), Some(m)) if s != m => {
            let base = if m { "has" } else { "has no" };
            p.target(
                "catalog/conflict",
                i,
                Some(id),
                "stealth",
                format!("says {s}, but `env.required` {base} `baseUrl`"),
            );
            None
        }
        (s, m) => s.or(m),
    }
}

/// A `true`/`false`/`null` field of `obj`, named `prefix` + `key` in
/// messages.
fn flag(
    obj: &Map<String, J>,
    prefix: &str,
    key: &str,
    i: usize,
    id: &str,
    p: &mut Problems,
) -> Option<bool> {
    match obj.get(key) {
        None | Some(J::Null) => None,
        Some(J::Bool(b)) => Some(*b),
        Some(other) => {
            p.target(
                "catalog/bad-attribute",
                i,
                Some(id),
                &format!("{prefix}{key}"),
                format!("must be true, false or null, found {}", describe(other)),
            );
            None
        }
    }
}

fn data_policy(dp: &Map<String, J>, t: &mut Target, i: usize, id: &str, p: &mut Problems) {
    for key in dp.keys() {
        if !POLICY_FIELDS.contains(&key.as_str()) {
            p.target(
                "catalog/unknown-field",
                i,
                Some(id),
                &format!("dataPolicy.{key}"),
                format!(
                    "is not a `dataPolicy` field eligo knows (known: {})",
                    POLICY_FIELDS.join(", ")
                ),
            );
        }
    }
    for (key, attr) in [
        ("apiTraining", "trains_on_prompts"),
        ("promptLogging", "logs_prompts"),
        ("iso27001", "iso27001"),
        ("gdpr", "gdpr"),
    ] {
        if let Some(b) = flag(dp, "dataPolicy.", key, i, id, p) {
            t.set(attr, b);
        }
    }
    // Checked for its type only.
    let _ = flag(dp, "dataPolicy.", "consumerTraining", i, id, p);
    match dp.get("soc2") {
        None | Some(J::Null) => {}
        Some(J::Number(n)) if n.as_i64() == Some(2) => {
            t.set("soc2", true);
            t.set("soc2_type1", false);
        }
        Some(J::Number(n)) if n.as_i64() == Some(1) => {
            t.set("soc2", false);
            t.set("soc2_type1", true);
        }
        Some(other) => p.target(
            "catalog/bad-attribute",
            i,
            Some(id),
            "dataPolicy.soc2",
            format!(
                "must be the SOC 2 report type 1 or 2, or null, found {}",
                describe(other)
            ),
        ),
    }
    match dp.get("retentionPeriod") {
        None | Some(J::Null) => {}
        Some(J::String(text)) => {
            if let Some(days) = parse_retention(text) {
                t.set("retention_days", days);
            }
        }
        Some(other) => p.target(
            "catalog/bad-attribute",
            i,
            Some(id),
            "dataPolicy.retentionPeriod",
            format!(
                "must be text such as \"30 days\", or null, found {}",
                describe(other)
            ),
        ),
    }
}

/// Reads a retention period stated as text, in whole days, rounding up: a
/// provider that keeps data for "24 hours" keeps it for more than 0 days.
/// Text that does not state one period (`"varies by service"`, `"up to 30
/// days"`) gives `None`: unknown, never a guess.
///
/// ```
/// use eligo::catalog::parse_retention;
/// assert_eq!(parse_retention("0 days"), Some(0));
/// assert_eq!(parse_retention("30 days"), Some(30));
/// assert_eq!(parse_retention("24 hours"), Some(1));
/// assert_eq!(parse_retention("25 hours"), Some(2));
/// assert_eq!(parse_retention("2 weeks"), Some(14));
/// assert_eq!(parse_retention("varies by service; Enterprise ZDR available"), None);
/// ```
pub fn parse_retention(text: &str) -> Option<i64> {
    let lower = text.trim().to_ascii_lowercase();
    let mut words = lower.split_whitespace();
    let (number, unit) = (words.next()?, words.next()?);
    if words.next().is_some() || number.starts_with(['+', '-']) {
        return None;
    }
    let n: i64 = number.parse().ok()?;
    match unit {
        "day" | "days" => Some(n),
        "hour" | "hours" => Some(n.checked_add(23)? / 24),
        "minute" | "minutes" => Some(n.checked_add(1439)? / 1440),
        "week" | "weeks" => n.checked_mul(7),
        // Months and years vary in length: count the longest.
        "month" | "months" => n.checked_mul(31),
        "year" | "years" => n.checked_mul(366),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_text() {
        for (text, want) in [
            ("0 days", Some(0)),
            ("1 day", Some(1)),
            (" 30 Days ", Some(30)),
            ("0 hours", Some(0)),
            ("1 hour", Some(1)),
            ("24 hours", Some(1)),
            ("48 hours", Some(2)),
            ("1 month", Some(31)),
            ("1 year", Some(366)),
            ("30", None),
            ("-1 days", None),
            ("30 days or less", None),
            ("varies by service; Enterprise ZDR available", None),
            ("99999999999999999999 days", None),
            ("", None),
        ] {
            assert_eq!(parse_retention(text), want, "{text:?}");
        }
    }
}
