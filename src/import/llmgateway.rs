//! LLM Gateway's provider compliance policy (`ProviderCompliancePolicy`),
//! as eligo policy text.

use serde_json::{Map, Value as J};

use super::{Problems, Writer, check_size, flag, names, policy_name, sorted, string_list};
use crate::catalog::describe;
use crate::diagnostic::{Error, is_escaped_for_terminal};

/// The policy's fields, in the order LLM Gateway reports failures (the
/// lists, then the requirements), which is the order the statements are
/// written in.
const FIELDS: &[&str] = &[
    "enabled",
    "blockedProviders",
    "allowedProviders",
    "blockedModels",
    "allowedModels",
    "requireSoc2",
    "requireSoc2Type2",
    "requireIso27001",
    "requireSoc2OrIso27001",
    "requireGdpr",
    "blockApiTraining",
    "blockPromptLogging",
    "zeroDataRetention",
    "allowedCountries",
    "blockStealthProviders",
];

/// The fields that are lists; the others, but `enabled`, are `true` or
/// `false`.
const LISTS: &[&str] = &[
    "blockedProviders",
    "allowedProviders",
    "blockedModels",
    "allowedModels",
    "allowedCountries",
];

/// Fields LLM Gateway has that eligo cannot express with the same meaning,
/// and why.
const REFUSED: &[(&str, &str)] = &[(
    "dataResidency",
    "residency is matched against the regional endpoint each request is routed to, and a request can add it with a header or a regional host name; a policy over provider targets cannot say that with the same meaning",
)];

/// The key under which an exported organisation carries its policy.
const WRAPPER: &str = "providerCompliancePolicy";

/// Translates an LLM Gateway provider compliance policy (the
/// `ProviderCompliancePolicy` JSON object, bare or as
/// `{"providerCompliancePolicy": {...}}`) into eligo policy text, named
/// after `name` (the file it was read from, for messages).
///
/// The text compiles, is formatted canonically and decides LLM Gateway's
/// way on its provider definitions read with
/// [`Catalog::from_provider_policies`](crate::Catalog::from_provider_policies):
/// each toggle becomes a requirement, the provider and model lists become
/// allow and deny lists, and an enabled policy requires `attested`, so a
/// custom provider without an attestation on file is blocked. A disabled
/// policy (`"enabled": false`) imports as a policy that restricts nothing,
/// and says so in its comments. `docs/IMPORT.md` has the mapping.
///
/// # Errors
///
/// Invalid JSON or a key given twice (`import/invalid-json`), a field of
/// the wrong type (`import/wrong-type`), an unknown field
/// (`import/unknown-field`, with a suggestion), a missing `enabled`
/// (`import/missing-field`), a value policy text cannot hold or a
/// malformed country code (`import/bad-value`), and `dataResidency`,
/// which eligo cannot express (`import/unsupported`). Every problem is
/// reported.
///
/// ```
/// let pol = eligo::import::llmgateway(
///     r#"{"enabled": true, "requireSoc2": true, "allowedCountries": ["US", "FR"]}"#,
///     "org-policy.json",
/// )?;
/// assert!(pol.contains("require soc2 or soc2_type1; # requireSoc2: a SOC 2 report of either type\n"));
/// assert!(pol.contains("require headquarters in [\"FR\", \"US\"]; # allowedCountries\n"));
/// let policy = eligo::compile(&pol)?;
/// assert_eq!(policy.name(), Some("org-policy"));
/// assert_eq!(eligo::format::format(&pol)?, pol);
///
/// let err = eligo::import::llmgateway(r#"{"enabled": true, "requireSoc3": true}"#, "p.json")
///     .unwrap_err();
/// assert_eq!(err.diagnostics()[0].code(), "import/unknown-field");
/// assert!(err.to_string().contains("did you mean `requireSoc2`?"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn llmgateway(text: &str, name: &str) -> Result<String, Error> {
    check_size(text, name, "a policy")?;
    let value = crate::catalog::parse_json_as(text, name, "import/invalid-json")?;
    let mut p = Problems::new();
    let policy = match &value {
        J::Object(obj) if obj.contains_key(WRAPPER) => unwrap(obj, &mut p),
        J::Object(obj) => Some((obj, "")),
        other => {
            p.file(
                "import/wrong-type",
                format!(
                    "an LLM Gateway compliance policy is a JSON object, found {}",
                    describe(other)
                ),
                "",
            );
            None
        }
    };
    let read = policy.map(|(obj, prefix)| read(obj, prefix, &mut p));
    p.finish(name)?;
    let mut w = Writer::new();
    w.comment("Imported from an LLM Gateway provider compliance policy.");
    w.comment("Each statement's comment names the policy field it comes from (docs/IMPORT.md).");
    match read {
        Some(policy) if policy.enabled => enabled(&mut w, &policy, name),
        Some(policy) => disabled(&mut w, &policy.set, name),
        None => {
            w.comment("");
            w.comment(&format!(
                "NO POLICY: `{WRAPPER}` is null, so LLM Gateway enforces nothing."
            ));
            w.comment("This policy restricts nothing: every target is allowed.");
            name_statement(&mut w, name);
        }
    }
    w.finish(name)
}

/// `policy "NAME";`, named after the file.
fn name_statement(w: &mut Writer, name: &str) {
    w.statement(
        &format!("policy {}", super::quote(&policy_name(name, "llmgateway"))),
        "the file name",
    );
}

/// The policy inside `{"providerCompliancePolicy": ...}`, with the prefix
/// its fields are named with; `None` for a null policy or a problem.
fn unwrap<'a>(
    obj: &'a Map<String, J>,
    p: &mut Problems,
) -> Option<(&'a Map<String, J>, &'static str)> {
    for key in obj.keys().filter(|k| *k != WRAPPER) {
        p.field_help(
            "import/unknown-field",
            key,
            format!("is not read: the object holds `{WRAPPER}` and nothing else"),
            format!("give the policy object, or {{\"{WRAPPER}\": {{...}}}} with nothing beside it"),
        );
    }
    match obj.get(WRAPPER) {
        Some(J::Object(policy)) => Some((policy, "providerCompliancePolicy.")),
        Some(J::Null) | None => None,
        Some(other) => {
            p.wrong_type(WRAPPER, "an object or null", other);
            None
        }
    }
}

/// The policy's fields, checked.
struct Policy {
    enabled: bool,
    /// The fields set, in [`FIELDS`] order: what a disabled policy lists.
    set: Vec<&'static str>,
    toggles: Vec<&'static str>,
    blocked_providers: Vec<String>,
    allowed_providers: Vec<String>,
    blocked_models: Vec<String>,
    allowed_models: Vec<String>,
    countries: Vec<String>,
}

impl Policy {
    fn has(&self, toggle: &str) -> bool {
        self.toggles.contains(&toggle)
    }
}

fn read(obj: &Map<String, J>, prefix: &str, p: &mut Problems) -> Policy {
    let field = |key: &str| format!("{prefix}{key}");
    for key in obj.keys() {
        if FIELDS.contains(&key.as_str()) {
            continue;
        }
        match REFUSED.iter().find(|(k, _)| k == key) {
            Some(_) if obj.get(key) == Some(&J::Null) => {}
            Some((_, why)) => p.field_help(
                "import/unsupported",
                &field(key),
                "cannot be imported: eligo has no statement with its meaning".to_string(),
                (*why).to_string(),
            ),
            None => p.unknown(
                &field(key),
                key,
                FIELDS,
                "a field of LLM Gateway's compliance policy",
            ),
        }
    }
    let enabled = match obj.get("enabled") {
        Some(J::Bool(b)) => *b,
        None | Some(J::Null) => {
            p.field(
                "import/missing-field",
                &field("enabled"),
                "is required: it says whether the policy is enforced",
            );
            false
        }
        Some(other) => {
            p.wrong_type(&field("enabled"), "true or false", other);
            false
        }
    };
    let list = |key: &str, p: &mut Problems| sorted(names(obj.get(key), &field(key), p));
    let blocked_providers = list("blockedProviders", p);
    let allowed_providers = list("allowedProviders", p);
    let blocked_models = list("blockedModels", p);
    let allowed_models = list("allowedModels", p);
    let countries = list("allowedCountries", p);
    if let Some(J::Array(codes)) = obj.get("allowedCountries") {
        for (i, code) in codes.iter().enumerate() {
            // Empty and unprintable codes are reported by `names` already.
            match code {
                J::String(c) if !c.is_empty() && !c.chars().any(is_escaped_for_terminal) => {
                    check_country(c, &field(&format!("allowedCountries[{i}]")), p);
                }
                _ => {}
            }
        }
    }
    for (key, refs) in [
        ("blockedProviders", &blocked_providers),
        ("allowedProviders", &allowed_providers),
    ] {
        for r in refs.iter().filter(|r| r.as_str() == "custom:") {
            p.field(
                "import/bad-value",
                &field(key),
                format!("`{r}` names no custom provider: write `custom:NAME`"),
            );
        }
    }
    for (key, refs) in [
        ("blockedModels", &blocked_models),
        ("allowedModels", &allowed_models),
    ] {
        for r in refs {
            if let Some((provider, model)) = r.split_once('/') {
                if provider.is_empty() || model.is_empty() {
                    p.field(
                        "import/bad-value",
                        &field(key),
                        format!("`{r}` is neither a model id nor `CUSTOM-PROVIDER/MODEL`"),
                    );
                }
            }
        }
    }
    let toggles: Vec<&'static str> = FIELDS
        .iter()
        .copied()
        .filter(|k| *k != "enabled" && !LISTS.contains(k))
        .filter(|k| flag(obj, k, &field(k), p))
        .collect();
    let set = FIELDS
        .iter()
        .copied()
        .filter(|k| match *k {
            "enabled" => false,
            "blockedProviders" => !blocked_providers.is_empty(),
            "allowedProviders" => !allowed_providers.is_empty(),
            "blockedModels" => !blocked_models.is_empty(),
            "allowedModels" => !allowed_models.is_empty(),
            "allowedCountries" => !countries.is_empty(),
            k => toggles.contains(&k),
        })
        .collect();
    Policy {
        enabled,
        set,
        toggles,
        blocked_providers,
        allowed_providers,
        blocked_models,
        allowed_models,
        countries,
    }
}

/// Checks that `code` is an ISO 3166-1 alpha-2 code as LLM Gateway writes
/// them: two uppercase letters (it compares codes exactly).
fn check_country(code: &str, field: &str, p: &mut Problems) {
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        return;
    }
    let help = if code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
        format!(
            "LLM Gateway compares codes exactly: write `{}`",
            code.to_ascii_uppercase()
        )
    } else {
        "write an ISO 3166-1 alpha-2 code such as `US`".to_string()
    };
    p.field_help(
        "import/bad-value",
        field,
        format!("`{code}` is not an ISO 3166-1 alpha-2 country code"),
        help,
    );
}

/// A disabled policy: a `policy` statement and nothing that restricts.
fn disabled(w: &mut Writer, set: &[&str], name: &str) {
    w.comment("");
    w.comment("DISABLED: the policy says `enabled: false`, so LLM Gateway enforces none of it.");
    w.comment("This policy restricts nothing: every target is allowed.");
    if !set.is_empty() {
        w.comment(&format!("Set but not enforced: {}.", set.join(", ")));
    }
    name_statement(w, name);
}

/// An enabled policy: the lists, then the requirements, in the order LLM
/// Gateway reports failures.
fn enabled(w: &mut Writer, policy: &Policy, name: &str) {
    name_statement(w, name);
    w.blank();
    if !policy.blocked_providers.is_empty() {
        w.list(
            "deny",
            "provider",
            &policy.blocked_providers,
            "blockedProviders",
        );
    }
    if !policy.allowed_providers.is_empty() {
        w.list(
            "allow",
            "provider",
            &policy.allowed_providers,
            "allowedProviders",
        );
    }
    blocked_models(w, &policy.blocked_models);
    allowed_models(w, &policy.allowed_models);
    w.statement(
        "require attested",
        "enabled: a custom provider needs an attestation on file",
    );
    let requirements: &[(&str, &str, &str)] = &[
        (
            "requireSoc2",
            "require soc2 or soc2_type1",
            "requireSoc2: a SOC 2 report of either type",
        ),
        ("requireSoc2Type2", "require soc2", "requireSoc2Type2"),
        ("requireIso27001", "require iso27001", "requireIso27001"),
        (
            "requireSoc2OrIso27001",
            "require soc2 or iso27001",
            "requireSoc2OrIso27001: SOC 2 Type 2 or ISO 27001; Type 1 does not count",
        ),
        ("requireGdpr", "require gdpr", "requireGdpr"),
        (
            "blockApiTraining",
            "require !trains_on_prompts",
            "blockApiTraining",
        ),
    ];
    for (toggle, stmt, from) in requirements {
        if policy.has(toggle) {
            w.statement(stmt, from);
        }
    }
    match (
        policy.has("blockPromptLogging"),
        policy.has("zeroDataRetention"),
    ) {
        (true, true) => w.statement(
            "require !logs_prompts",
            "blockPromptLogging, zeroDataRetention",
        ),
        (true, false) => w.statement("require !logs_prompts", "blockPromptLogging"),
        (false, true) => w.statement("require !logs_prompts", "zeroDataRetention"),
        (false, false) => {}
    }
    if policy.has("zeroDataRetention") {
        // LLM Gateway compares `retentionPeriod` with "0 days" exactly; the
        // provider reader declares `retention_days: 0` only for text stating
        // a period of zero, so the two agree on every provider whose period
        // is "0 days", and on LLM Gateway's whole catalogue (tested).
        w.statement(
            "max_retention_days 0",
            "zeroDataRetention: retentionPeriod \"0 days\"",
        );
    }
    if !policy.countries.is_empty() {
        w.statement(
            &format!("require headquarters in {}", string_list(&policy.countries)),
            "allowedCountries",
        );
    }
    if policy.has("blockStealthProviders") {
        w.statement("require !stealth", "blockStealthProviders");
    }
}

/// Model refs split into catalogue model ids and, by custom provider,
/// the models of `NAME/MODEL` refs.
fn split_model_refs(refs: &[String]) -> (Vec<String>, Vec<(String, Vec<String>)>) {
    let mut bare = Vec::new();
    let mut scoped: Vec<(String, Vec<String>)> = Vec::new();
    for r in refs {
        match r.split_once('/') {
            Some((custom, model)) => {
                let provider = format!("custom:{custom}");
                match scoped.iter_mut().find(|(p, _)| *p == provider) {
                    Some((_, models)) => models.push(model.to_string()),
                    None => scoped.push((provider, vec![model.to_string()])),
                }
            }
            None => bare.push(r.clone()),
        }
    }
    (bare, scoped)
}

/// `(provider == "custom:NAME" and model in [...])`.
fn scoped_test(provider: &str, models: &[String]) -> String {
    format!(
        "(provider == {} and model in {})",
        super::quote(provider),
        string_list(models)
    )
}

/// `blockedModels`: a deny list of model ids, and for each custom
/// provider's `NAME/MODEL` refs a requirement that the target is not that
/// provider serving one of them.
fn blocked_models(w: &mut Writer, refs: &[String]) {
    let (bare, scoped) = split_model_refs(refs);
    if !bare.is_empty() {
        w.list("deny", "model", &bare, "blockedModels");
    }
    for (provider, models) in scoped {
        w.statement(
            &format!("require !{}", scoped_test(&provider, &models)),
            "blockedModels",
        );
    }
}

/// `allowedModels`: an allow list of model ids, or, with `NAME/MODEL`
/// refs, one requirement that some ref names the target's model.
fn allowed_models(w: &mut Writer, refs: &[String]) {
    let (bare, scoped) = split_model_refs(refs);
    if scoped.is_empty() {
        if !bare.is_empty() {
            w.list("allow", "model", &bare, "allowedModels");
        }
        return;
    }
    let mut any = Vec::new();
    if !bare.is_empty() {
        any.push(format!("model in {}", string_list(&bare)));
    }
    for (provider, models) in scoped {
        any.push(scoped_test(&provider, &models));
    }
    w.statement(&format!("require {}", any.join(" or ")), "allowedModels");
}

#[cfg(test)]
mod tests {
    use super::super::tests::compiles_and_is_formatted;
    use super::*;

    fn import(json: &str) -> String {
        llmgateway(json, "p.json").unwrap_or_else(|e| panic!("{e}"))
    }

    /// The statement lines of the policy imported from `json`, which must
    /// compile and be formatted.
    fn body(json: &str) -> Vec<String> {
        let text = import(json);
        compiles_and_is_formatted(&text);
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .map(str::to_string)
            .collect()
    }

    fn refused(json: &str) -> String {
        llmgateway(json, "p.json").unwrap_err().to_string()
    }

    #[test]
    fn every_toggle() {
        let body = body(
            r#"{"enabled": true, "requireSoc2": true, "requireSoc2Type2": true,
                "requireIso27001": true, "requireSoc2OrIso27001": true, "requireGdpr": true,
                "blockApiTraining": true, "blockPromptLogging": true, "zeroDataRetention": true,
                "blockStealthProviders": true, "allowedCountries": ["US", "FR", "US"],
                "blockedProviders": ["openai", "custom:acme"], "allowedProviders": ["anthropic"],
                "blockedModels": ["gpt-5.2", "acme/my-model"], "allowedModels": ["claude-sonnet-4-6", "acme/my-model", "acme/other"]}"#,
        );
        assert_eq!(
            body,
            [
                "policy \"p\"; # the file name",
                "",
                "deny provider [\"custom:acme\", \"openai\"]; # blockedProviders",
                "allow provider [\"anthropic\"]; # allowedProviders",
                "deny model [\"gpt-5.2\"]; # blockedModels",
                "require !(provider == \"custom:acme\" and model in [\"my-model\"]); # blockedModels",
                "require model in [\"claude-sonnet-4-6\"] or (provider == \"custom:acme\" and model in [\"my-model\", \"other\"]); # allowedModels",
                "require attested; # enabled: a custom provider needs an attestation on file",
                "require soc2 or soc2_type1; # requireSoc2: a SOC 2 report of either type",
                "require soc2; # requireSoc2Type2",
                "require iso27001; # requireIso27001",
                "require soc2 or iso27001; # requireSoc2OrIso27001: SOC 2 Type 2 or ISO 27001; Type 1 does not count",
                "require gdpr; # requireGdpr",
                "require !trains_on_prompts; # blockApiTraining",
                "require !logs_prompts; # blockPromptLogging, zeroDataRetention",
                "max_retention_days 0; # zeroDataRetention: retentionPeriod \"0 days\"",
                "require headquarters in [\"FR\", \"US\"]; # allowedCountries",
                "require !stealth; # blockStealthProviders",
            ]
        );
    }

    #[test]
    fn false_null_and_empty_restrict_nothing() {
        assert_eq!(
            body(
                r#"{"enabled": true, "requireSoc2": false, "requireGdpr": null,
                    "allowedCountries": [], "blockedProviders": null}"#
            ),
            [
                "policy \"p\"; # the file name",
                "",
                "require attested; # enabled: a custom provider needs an attestation on file"
            ]
        );
    }

    #[test]
    fn a_disabled_policy_restricts_nothing_and_says_so() {
        let text = import(
            r#"{"providerCompliancePolicy": {"enabled": false, "requireSoc2": true, "blockedProviders": ["openai"]}}"#,
        );
        compiles_and_is_formatted(&text);
        assert!(text.contains("# DISABLED:"), "{text}");
        assert!(
            text.contains("# Set but not enforced: blockedProviders, requireSoc2.\n"),
            "{text}"
        );
        assert_eq!(crate::compile(&text).unwrap().requirement_count(), 0);
        let text = import(r#"{"providerCompliancePolicy": null}"#);
        compiles_and_is_formatted(&text);
        assert!(text.contains("# NO POLICY:"), "{text}");
    }

    #[test]
    fn refusals_name_the_field() {
        let err = refused(
            r#"{"enabled": "yes", "requireSoc3": true, "dataResidency": "eu",
                "allowedCountries": ["us", "USA", 1], "blockedModels": ["/m"],
                "blockedProviders": ["", "custom:", "a\u202eb"], "blockApiTraining": 1}"#,
        );
        for want in [
            "error[import/wrong-type]: field `enabled`: must be true or false, found the string \"yes\"",
            "error[import/unknown-field]: field `requireSoc3`: is not a field of LLM Gateway's compliance policy (did you mean `requireSoc2`?)",
            "error[import/unsupported]: field `dataResidency`: cannot be imported",
            "field `allowedCountries[2]`: must be a string, found the number 1",
            "field `allowedCountries[0]`: `us` is not an ISO 3166-1 alpha-2 country code",
            "help: LLM Gateway compares codes exactly: write `US`",
            "field `allowedCountries[1]`: `USA` is not",
            "field `blockedModels`: `/m` is neither a model id nor `CUSTOM-PROVIDER/MODEL`",
            "field `blockedProviders[0]`: is empty",
            "field `blockedProviders`: `custom:` names no custom provider",
            "field `blockedProviders[2]`: the string \"a\\u{202e}b\" holds a control or bidirectional character",
            "field `blockApiTraining`: must be true or false, found the number 1",
        ] {
            assert!(err.contains(want), "{want:?} not in:\n{err}");
        }
        assert!(refused("{}").contains("field `enabled`: is required"));
        assert!(refused("[]").contains("is a JSON object, found a list"));
        assert!(refused(r#"{"enabled": true, "enabled": false}"#).contains(
            "error[import/invalid-json]: `p.json` is not valid JSON: the key `enabled` is given twice"
        ));
        let err = refused(r#"{"providerCompliancePolicy": {"enabled": true}, "plan": "pro"}"#);
        assert!(err.contains("field `plan`: is not read"), "{err}");
        let err = refused(r#"{"providerCompliancePolicy": {"requireGdpr": "no"}}"#);
        assert!(
            err.contains("field `providerCompliancePolicy.requireGdpr`: must be true or false"),
            "{err}"
        );
        assert!(err.contains("field `providerCompliancePolicy.enabled`: is required"));
    }

    #[test]
    fn errors_are_of_the_import_kind() {
        let err = llmgateway("{", "p.json").unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Import);
        assert_eq!(err.diagnostics()[0].code(), "import/invalid-json");
    }
}
