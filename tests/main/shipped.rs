//! The policies and the example catalog shipped under `policies/`.

use std::path::PathBuf;

use eligo::eval::reference;
use eligo::{Policy, Schema, Target, Tri};
use serde::Deserialize;

use crate::common::{check_against_reference, repo_path, summary};

/// `policies/catalog.json`: only `targets` matters here.
#[derive(Deserialize)]
struct Catalog {
    targets: Vec<Target>,
}

fn catalog() -> Vec<Target> {
    let path = repo_path("policies/catalog.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let catalog: Catalog = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} does not load: {e}", path.display()));
    catalog.targets
}

fn policy_files() -> Vec<PathBuf> {
    let dir = repo_path("policies");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pol"))
        .collect();
    files.sort();
    files
}

fn shipped(name: &str) -> Policy {
    let path = repo_path(&format!("policies/{name}.pol"));
    Policy::from_file(&path).unwrap_or_else(|e| panic!("{}:\n{e}", path.display()))
}

fn find<'a>(targets: &'a [Target], id: &str) -> &'a Target {
    targets
        .iter()
        .find(|t| t.id() == id)
        .unwrap_or_else(|| panic!("no target `{id}` in policies/catalog.json"))
}

#[test]
fn every_shipped_policy_compiles() {
    let files = policy_files();
    assert!(
        files.len() >= 9,
        "expected at least 9 shipped policies, found {files:?}"
    );
    for path in &files {
        let policy = Policy::from_file(path).unwrap_or_else(|e| panic!("{}:\n{e}", path.display()));
        // Each names itself after its file and states at least one requirement.
        let stem = path.file_stem().and_then(|s| s.to_str());
        assert_eq!(policy.name(), stem, "{}", path.display());
        assert!(policy.requirement_count() > 0, "{}", path.display());
        assert_eq!(policy.source_name(), path.display().to_string());
    }
}

#[test]
fn catalog_loads() {
    let targets = catalog();
    assert!(targets.len() >= 10, "only {} targets", targets.len());
    let mut ids: Vec<&str> = targets.iter().map(Target::id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), targets.len(), "duplicate target ids");
    for t in &targets {
        assert_eq!(t.id(), format!("{}/{}", t.provider(), t.model()));
    }
    // `"soc2": null` in the file means undeclared.
    assert_eq!(find(&targets, "onprem/llama-3.3-70b").get("soc2"), None);
}

#[test]
fn regulated_routing_allows_exactly_the_onprem_targets() {
    let policy = shipped("regulated-routing");
    let targets = catalog();
    let allowed: Vec<&str> = policy.filter(&targets).map(Target::id).collect();
    let onprem: Vec<&str> = targets
        .iter()
        .filter(|t| t.provider() == "onprem")
        .map(Target::id)
        .collect();
    assert!(!onprem.is_empty() && onprem.len() < targets.len());
    assert_eq!(allowed, onprem);
}

#[test]
fn soc2_or_iso27001_blocks_unknown_and_false_differently() {
    let policy = shipped("soc2-or-iso27001");
    let targets = catalog();

    let deepseek = policy.evaluate(find(&targets, "deepseek/deepseek-v3.2"));
    assert!(deepseek.is_blocked());
    assert_eq!(deepseek.failures().len(), 1);
    assert_eq!(deepseek.failures()[0].value(), Tri::Unknown);
    assert_eq!(deepseek.failures()[0].attributes(), ["soc2", "iso27001"]);

    let canopywave = policy.evaluate(find(&targets, "canopywave/llama-3.3-70b"));
    assert!(canopywave.is_blocked());
    assert_eq!(canopywave.failures().len(), 1);
    assert_eq!(canopywave.failures()[0].value(), Tri::False);
    assert_eq!(canopywave.failures()[0].attributes(), ["soc2", "iso27001"]);

    // onprem declares iso27001 but leaves soc2 undeclared: still allowed.
    assert!(policy.is_allowed(find(&targets, "onprem/llama-3.3-70b")));
}

#[test]
fn shipped_policies_agree_with_the_reference_on_the_catalog() {
    let targets = catalog();
    let mut decided = 0;
    for path in policy_files() {
        let policy = Policy::from_file(&path).unwrap();
        for t in &targets {
            check_against_reference(&policy, policy.program(), t)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let r = reference::evaluate(policy.ast(), &Schema::standard(), t);
            assert_eq!(policy.is_allowed(t), r.allowed);
            decided += usize::from(r.allowed);
        }
    }
    assert!(decided > 0, "no shipped policy allows any catalog target");
}

#[test]
fn canonical_text_of_shipped_policies_round_trips() {
    let targets = catalog();
    for path in policy_files() {
        let policy = Policy::from_file(&path).unwrap();
        let canonical = policy.canonical_text();
        let reparsed = eligo::syntax::parse(&canonical).unwrap_or_else(|e| {
            panic!(
                "{}: canonical text does not parse:\n{canonical}\n{e}",
                path.display()
            )
        });
        assert_eq!(
            reparsed.without_spans().statements,
            policy.ast().without_spans().statements,
            "{}",
            path.display()
        );
        assert_eq!(reparsed.to_string(), canonical, "{}", path.display());
        // And it means the same.
        let again = Policy::compile(&canonical).unwrap();
        assert_eq!(again.name(), policy.name());
        assert_eq!(again.mode(), policy.mode());
        for t in &targets {
            assert_eq!(
                summary(&again.evaluate(t)),
                summary(&policy.evaluate(t)),
                "{} on {}",
                path.display(),
                t.id()
            );
        }
    }
}

// `policies/sensitivity-routing.pol` over the shipped catalog: what each
// kind of request may reach, through route (the targets serving each
// model) and the reference, and the strictest treatment for a request that
// says nothing.
#[test]
fn sensitivity_routing_sends_each_class_where_it_may_go() {
    let policy = Policy::from_file(repo_path("policies/sensitivity-routing.pol")).unwrap();
    let catalog = eligo::Catalog::from_file(repo_path("policies/catalog.json")).unwrap();
    let allowed = |pairs: &[(&str, &str)]| -> Vec<String> {
        let mut attrs = eligo::RequestAttrs::new();
        for (k, v) in pairs {
            attrs.set(k, *v);
        }
        let mut ids = Vec::new();
        for t in catalog.targets() {
            let want =
                reference::evaluate_for(policy.ast(), &Schema::standard(), t, &attrs).allowed;
            assert_eq!(policy.is_allowed_for(t, &attrs, None), want, "{}", t.id());
            let request = eligo::Request::pin(t.id()).with_attrs(attrs.clone());
            let routed = !eligo::route(&policy, &catalog, &request)
                .unwrap()
                .is_blocked();
            assert_eq!(routed, want, "route {} for {pairs:?}", t.id());
            if want {
                ids.push(t.id().to_string());
            }
        }
        ids
    };
    let everything_but_training: Vec<String> = catalog
        .targets()
        .iter()
        .filter(|t| t.id() != "deepseek/deepseek-v3.2")
        .map(|t| t.id().to_string())
        .collect();
    assert_eq!(
        allowed(&[("data_class", "public"), ("team", "research")]),
        everything_but_training
    );
    let public_ops = allowed(&[("data_class", "public"), ("team", "ops")]);
    assert!(!public_ops.contains(&"google-vertex/gemini-2.5-pro".to_string()));
    assert_eq!(public_ops.len(), everything_but_training.len() - 1);
    assert_eq!(
        allowed(&[("data_class", "pii"), ("team", "research")]),
        [
            "azure/gpt-4o",
            "onprem/deepseek-v3.2",
            "onprem/llama-3.3-70b"
        ]
    );
    assert_eq!(
        allowed(&[("data_class", "phi"), ("team", "research")]),
        ["azure/gpt-4o"]
    );
    // Nothing said: every block applies.
    assert_eq!(allowed(&[]), ["azure/gpt-4o"]);
    // The block event says what was missing.
    let d = eligo::route(&policy, &catalog, &eligo::Request::model("claude-sonnet-4")).unwrap();
    assert!(d.is_blocked());
    let event = d.event().unwrap();
    assert_eq!(event.request.missing, ["data_class", "team"]);
    let conditions: Vec<Option<&str>> = event.groups[0]
        .failures
        .iter()
        .map(|f| f.failure.condition())
        .collect();
    assert!(
        conditions.contains(&Some(r#"request.data_class in ["phi"]"#)),
        "{conditions:?}"
    );
}
