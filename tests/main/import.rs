//! The importers, checked against the gateways they import from.
//!
//! LLM Gateway: every case of its compliance tests
//! (`tests/data/llmgateway/compliance-cases.json`) is imported, compiled and
//! run on its provider, read with the provider `dataPolicy` reader; eligo
//! must reach LLM Gateway's verdict, with the same failure reasons in the
//! same order. The policies of `tests/data/llmgateway/catalogue-matrix.json`
//! must allow the same providers of the shipped catalogue as LLM Gateway.
//! Keeptrusts: the example configurations in `tests/data/keeptrusts/`,
//! their policy imported and their targets read from the same file.

use std::collections::BTreeMap;

use eligo::{Catalog, Policy, ValueRef};
use serde_json::{Value, json};

use crate::common::repo_path;

fn read_json(rel: &str) -> Value {
    let text = std::fs::read_to_string(repo_path(rel)).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The strings of a JSON list.
fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

fn shipped_catalogue() -> Catalog {
    Catalog::from_file(repo_path("policies/llmgateway-providers.json")).unwrap()
}

/// Imports an LLM Gateway policy object; the text must compile and be
/// formatted canonically.
fn import(policy: &Value, name: &str) -> (String, Policy) {
    let text = eligo::import::llmgateway(&policy.to_string(), &format!("{name}.json"))
        .unwrap_or_else(|e| panic!("{name}: {policy}\n{e}"));
    let compiled = eligo::compile(&text).unwrap_or_else(|e| panic!("{name}:\n{text}\n{e}"));
    assert_eq!(
        eligo::format::format(&text).unwrap(),
        text,
        "{name}: not formatted"
    );
    (text, compiled)
}

/// The LLM Gateway fields each statement of an imported policy comes from,
/// read from its comments, by the statement's canonical text (the text a
/// failure names).
fn fields_by_statement(text: &str) -> BTreeMap<String, Vec<String>> {
    let ast = eligo::syntax::parse(text).unwrap();
    let mut out = BTreeMap::new();
    for stmt in &ast.statements {
        let trailing = ast.comments.iter().find(|c| {
            c.span.start >= stmt.span.end && !text[stmt.span.end..c.span.start].contains('\n')
        });
        let Some(comment) = trailing else {
            panic!("statement without a comment: {stmt}\n{text}")
        };
        let fields = comment.text.trim().split(':').next().unwrap();
        out.insert(
            stmt.to_string(),
            fields.split(", ").map(str::to_string).collect(),
        );
    }
    out
}

/// LLM Gateway's reason for a failure of the statements made from
/// `field`: the field's own name, except that `enabled` (the requirement
/// that a custom provider's attestation is on file) fails as
/// `noAttestation`.
fn reason(field: &str) -> &str {
    if field == "enabled" {
        "noAttestation"
    } else {
        field
    }
}

/// The preview row of `id`, as a request for `model` sees it if given.
fn row(policy: &Policy, catalog: &Catalog, id: &str, model: Option<&str>) -> eligo::PreviewRow {
    let preview = match model {
        Some(m) => eligo::preview_model(policy, catalog, m, None),
        None => eligo::preview(policy, catalog, None),
    };
    preview
        .rows
        .into_iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no row `{id}`"))
}

/// The cases eligo cannot express, each with why in the data file. The
/// list is fixed: a case that stops being expressible fails here.
const INEXPRESSIBLE: &[&str] = &[
    "spec-020",
    "gateway-029",
    "gateway-030",
    "gateway-031",
    "gateway-035",
    "gateway-036",
    "gateway-037",
];

#[test]
fn llmgateway_compliance_cases() {
    let data = read_json("tests/data/llmgateway/compliance-cases.json");
    let catalogue = shipped_catalogue();
    let cases = data["cases"].as_array().unwrap();
    let mut run = 0;
    let mut inexpressible = Vec::new();
    for case in cases {
        let id = case["id"].as_str().unwrap();
        if let Some(why) = case.get("inexpressible") {
            assert!(!why.as_str().unwrap().is_empty(), "{id}");
            inexpressible.push(id);
            continue;
        }
        let (text, policy) = import(&case["policy"], id);
        let own;
        let (catalog, target) = match &case["subject"] {
            Value::Object(s) if s.contains_key("catalogue") => {
                (&catalogue, s["catalogue"].as_str().unwrap().to_string())
            }
            Value::Object(s) => {
                let entry = &s["provider"];
                own = Catalog::from_provider_policies(
                    &json!({ "providers": [entry] }).to_string(),
                    id,
                )
                .unwrap_or_else(|e| panic!("{id}: {e}"));
                (&own, entry["id"].as_str().unwrap().to_string())
            }
            other => panic!("{id}: subject {other}"),
        };
        let row = row(&policy, catalog, &target, case["model"].as_str());
        let want_allowed = case["expect"] == "allowed";
        assert_eq!(
            row.allowed, want_allowed,
            "{id} {}: {}\n{text}\nfailures: {:?}",
            case["name"], case["policy"], row.failures
        );
        // The reasons, in order: each failure by the fields of its
        // statement, each reason once.
        let fields = fields_by_statement(&text);
        let mut reasons: Vec<&str> = Vec::new();
        for f in &row.failures {
            for field in &fields[f.text()] {
                if !reasons.contains(&reason(field)) {
                    reasons.push(reason(field));
                }
            }
        }
        // LLM Gateway names only the missing attestation of a custom
        // provider; eligo also lists the requirements it then fails.
        if let Some(at) = reasons.iter().position(|r| *r == "noAttestation") {
            reasons.truncate(at + 1);
        }
        assert_eq!(
            reasons,
            strings(&case["reasons"]),
            "{id} {}\n{text}",
            case["name"]
        );
        run += 1;
    }
    assert_eq!(inexpressible, INEXPRESSIBLE);
    assert_eq!(run + inexpressible.len(), cases.len());
    assert_eq!(run, 159);
}

#[test]
fn llmgateway_catalogue_matrix() {
    let data = read_json("tests/data/llmgateway/catalogue-matrix.json");
    let catalogue = shipped_catalogue();
    let policies = data["policies"].as_array().unwrap();
    assert_eq!(policies.len(), 10);
    for p in policies {
        let name = p["name"].as_str().unwrap();
        let (text, policy) = import(&p["policy"], "matrix");
        let want = strings(&p["allowed"]);
        assert_eq!(allowed(&policy, &catalogue), want, "{name}\n{text}");
        // The bulk path agrees with the preview's row path.
        let set = policy.allowed_in(&catalogue, None);
        assert_eq!(set.count(), want.len(), "{name}");
    }
}

/// LLM Gateway's zero data retention compares `retentionPeriod` with
/// `"0 days"` exactly; the imported `max_retention_days 0` reads the
/// provider reader's `retention_days`. On the shipped catalogue the two
/// agree provider by provider.
#[test]
fn zero_retention_reads_as_llmgateway_compares_it() {
    let raw = read_json("policies/llmgateway-providers.json");
    let catalogue = shipped_catalogue();
    let mut zero = 0;
    for p in raw["providers"].as_array().unwrap() {
        let id = p["id"].as_str().unwrap();
        let exact = p["dataPolicy"]["retentionPeriod"] == "0 days";
        let read = catalogue.get(id).unwrap().get("retention_days") == Some(ValueRef::Number(0));
        assert_eq!(read, exact, "{id}: {}", p["dataPolicy"]["retentionPeriod"]);
        zero += usize::from(exact);
    }
    assert_eq!(zero, 19);
}

fn keeptrusts(file: &str) -> (String, Policy, Catalog) {
    let path = repo_path(&format!("tests/data/keeptrusts/{file}"));
    let text = eligo::import::read_file(&path).unwrap();
    let pol = eligo::import::keeptrusts(&text, file).unwrap_or_else(|e| panic!("{file}: {e}"));
    let policy = eligo::compile(&pol).unwrap_or_else(|e| panic!("{file}:\n{pol}\n{e}"));
    assert_eq!(eligo::format::format(&pol).unwrap(), pol, "{file}");
    let catalog = Catalog::from_gateway_yaml(&text, file).unwrap_or_else(|e| panic!("{e}"));
    (pol, policy, catalog)
}

fn allowed(policy: &Policy, catalog: &Catalog) -> Vec<String> {
    eligo::preview(policy, catalog, None)
        .rows
        .into_iter()
        .filter(|r| r.allowed)
        .map(|r| r.id)
        .collect()
}

#[test]
fn keeptrusts_zero_data_retention_template() {
    let (pol, policy, catalog) = keeptrusts("zero-data-retention.yaml");
    assert_eq!(policy.name(), Some("zero-data-retention"));
    assert_eq!(policy.version(), Some("0.1.0"));
    assert_eq!(policy.mode(), eligo::Mode::Block);
    assert!(pol.contains("require zero_data_retention; # require_zero_data_retention\n"));
    assert!(pol.contains("require !trains_on_prompts; # require_no_training\n"));
    // The targets' `data_policy` blocks are read by the gateway YAML reader.
    let zdr = catalog.get("openai-zdr").unwrap();
    assert_eq!(zdr.get("zero_data_retention"), Some(ValueRef::Flag(true)));
    assert_eq!(zdr.get("trains_on_prompts"), Some(ValueRef::Flag(false)));
    assert_eq!(zdr.get("retention_days"), Some(ValueRef::Number(0)));
    // As the template says: only the ZDR target qualifies.
    assert_eq!(allowed(&policy, &catalog), ["openai-zdr"]);
}

#[test]
fn keeptrusts_data_routing_reference() {
    let (pol, policy, catalog) = keeptrusts("data-routing.yaml");
    assert!(pol.contains("max_retention_days 30; # max_retention_days"));
    assert!(!pol.contains("require zero_data_retention"));
    // Retention of at most 30 days, declared: a target that does not say
    // is blocked, as every eligo requirement fails closed.
    assert_eq!(
        allowed(&policy, &catalog),
        ["openai-zdr", "anthropic-standard"]
    );
    let undeclared = eligo::preview(&policy, &catalog, None)
        .rows
        .into_iter()
        .find(|r| r.id == "local-undeclared")
        .unwrap();
    assert!(undeclared.failures[0].is_unknown());
}

#[test]
fn keeptrusts_refusals_name_the_field() {
    for (yaml, code, needle) in [
        (
            "policies: {chain: [data-routing-policy]}\npolicy:\n  data-routing-policy:\n    require_local_processing: true\n",
            "import/unknown-field",
            "field `policy.data-routing-policy.require_local_processing`",
        ),
        (
            "policies: {chain: [data-routing-policy]}\npolicy:\n  data-routing-policy:\n    on_no_compliant_provider: fallback\n",
            "import/bad-value",
            "`fallback` has no eligo mode",
        ),
        (
            "policies: {chain: [data-routing-policy]}\npolicy:\n  data-routing-policy:\n    require_no_training: yes\n",
            "import/wrong-type",
            "found the string \"yes\"",
        ),
        (
            "policies: {chain: [data-routing-policy]}\n",
            "import/missing-field",
            "field `policy.data-routing-policy`: is required",
        ),
        (
            "policies: &c {chain: [data-routing-policy]}\npolicy: {data-routing-policy: {}}\n",
            "import/invalid-yaml",
            "anchors",
        ),
    ] {
        let err = eligo::import::keeptrusts(yaml, "k.yaml").unwrap_err();
        assert_eq!(err.kind(), eligo::ErrorKind::Import, "{err}");
        assert_eq!(err.diagnostics()[0].code(), code, "{err}");
        assert!(
            err.to_string().contains(needle),
            "{needle:?} not in:\n{err}"
        );
    }
}
