//! Runs the shared semantic suite `tests/data/semantics.toml` (its format is
//! described at the top of that file) against the compiled evaluator
//! (`Policy::evaluate`, `Policy::is_allowed`) and the reference evaluator.
//! Every failing case is collected and reported at once.

use std::collections::HashSet;

use eligo::eval::reference;
use eligo::{Policy, Schema, Target, Tri};
use serde::Deserialize;

use crate::common::repo_path;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Suite {
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    policy: String,
    #[serde(default)]
    target: toml::Table,
    allowed: bool,
    failures: Option<Vec<ExpectedFailure>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedFailure {
    text: String,
    value: String,
    attributes: Option<Vec<String>>,
}

impl ExpectedFailure {
    fn tri(&self) -> Result<Tri, String> {
        match self.value.as_str() {
            "false" => Ok(Tri::False),
            "unknown" => Ok(Tri::Unknown),
            other => Err(format!(
                "bad failure value {other:?} (expected \"false\" or \"unknown\")"
            )),
        }
    }

    /// Whether the failure is of a merged allow/deny list rather than of a
    /// `require`/`max_retention_days` statement.
    fn is_list(&self) -> bool {
        self.text.starts_with("allow ") || self.text.starts_with("deny ")
    }
}

fn load() -> Vec<Case> {
    let path = repo_path("tests/data/semantics.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let suite: Suite =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{} is malformed: {e}", path.display()));
    suite.case
}

/// The target a case describes.
fn build_target(table: &toml::Table) -> Result<Target, String> {
    let text_of = |key: &str, default: &str| match table.get(key) {
        None => Ok(default.to_string()),
        Some(toml::Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!("`{key}` must be a string, found {other}")),
    };
    let mut builder = Target::builder(text_of("provider", "p")?, text_of("model", "m")?);
    for (key, value) in table {
        if key == "provider" || key == "model" {
            continue;
        }
        builder = match value {
            toml::Value::Boolean(b) => builder.attr(key.as_str(), *b),
            toml::Value::Integer(n) => builder.attr(key.as_str(), *n),
            toml::Value::String(s) => builder.attr(key.as_str(), s.as_str()),
            other => return Err(format!("attribute `{key}`: unsupported value {other}")),
        };
    }
    Ok(builder.build())
}

/// Every disagreement between a case and the two evaluators.
fn run_case(case: &Case) -> Vec<String> {
    let mut problems = Vec::new();
    let target = match build_target(&case.target) {
        Ok(t) => t,
        Err(e) => return vec![e],
    };
    let policy = match Policy::compile(&case.policy) {
        Ok(p) => p,
        Err(e) => return vec![format!("does not compile:\n{e}")],
    };

    // The compiled evaluator.
    let verdict = policy.evaluate(&target);
    if verdict.is_allowed() != case.allowed {
        problems.push(format!(
            "compiled: allowed={}, expected {}; failures: {:?}",
            verdict.is_allowed(),
            case.allowed,
            verdict
                .failures()
                .iter()
                .map(|f| f.describe())
                .collect::<Vec<_>>()
        ));
    }
    if policy.is_allowed(&target) != case.allowed {
        problems.push(format!(
            "Policy::is_allowed says {}, expected {}",
            policy.is_allowed(&target),
            case.allowed
        ));
    }
    if case.allowed && !verdict.failures().is_empty() {
        problems.push("an allowed case lists failures".to_string());
    }

    // The reference evaluator.
    let reference = reference::evaluate(policy.ast(), &Schema::standard(), &target);
    if reference.allowed != case.allowed {
        problems.push(format!(
            "reference: allowed={}, expected {}; requirement values {:?}, lists pass: {}",
            reference.allowed, case.allowed, reference.requirements, reference.lists_pass
        ));
    }

    let Some(expected) = &case.failures else {
        return problems;
    };

    // Explanations, in policy order.
    let got: Vec<String> = verdict
        .failures()
        .iter()
        .map(|f| format!("{} = {:?} {:?}", f.text(), f.value(), f.attributes()))
        .collect();
    if verdict.failures().len() != expected.len() {
        problems.push(format!(
            "expected {} failures, got {}: {got:#?}",
            expected.len(),
            verdict.failures().len()
        ));
    }
    for (i, (want, have)) in expected.iter().zip(verdict.failures()).enumerate() {
        let want_value = match want.tri() {
            Ok(v) => v,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        if have.text() != want.text {
            problems.push(format!(
                "failure {i}: text {:?}, expected {:?}",
                have.text(),
                want.text
            ));
        }
        if have.value() != want_value || have.is_unknown() != (want_value == Tri::Unknown) {
            problems.push(format!(
                "failure {i} ({}): value {:?}, expected {want_value:?}",
                want.text,
                have.value()
            ));
        }
        if let Some(attrs) = &want.attributes {
            if have.attributes() != attrs.as_slice() {
                problems.push(format!(
                    "failure {i} ({}): attributes {:?}, expected {attrs:?}",
                    want.text,
                    have.attributes()
                ));
            }
        }
    }

    // The reference lists the value of every require/max_retention_days
    // statement: the ones that are not true must be exactly the expected
    // non-list failures, in order.
    let reference_failed: Vec<Tri> = reference
        .requirements
        .iter()
        .copied()
        .filter(|v| *v != Tri::True)
        .collect();
    let expected_failed: Vec<Tri> = expected
        .iter()
        .filter(|f| !f.is_list())
        .filter_map(|f| f.tri().ok())
        .collect();
    if reference_failed != expected_failed {
        problems.push(format!(
            "reference statement failures {reference_failed:?}, expected {expected_failed:?}"
        ));
    }
    let expected_lists_pass = !expected.iter().any(ExpectedFailure::is_list);
    if reference.lists_pass != expected_lists_pass {
        problems.push(format!(
            "reference lists pass={}, expected {expected_lists_pass}",
            reference.lists_pass
        ));
    }
    problems
}

#[test]
fn shared_semantic_suite() {
    let cases = load();
    assert!(
        cases.len() >= 120,
        "the suite has only {} cases",
        cases.len()
    );
    let mut names = HashSet::new();
    let mut report = Vec::new();
    for case in &cases {
        if !names.insert(case.name.as_str()) {
            report.push(format!("duplicate case name {:?}", case.name));
        }
        let problems = run_case(case);
        if !problems.is_empty() {
            report.push(format!(
                "case {:?}\n  policy: {:?}\n  target: {}\n  - {}",
                case.name,
                case.policy,
                toml::Value::Table(case.target.clone()),
                problems.join("\n  - ")
            ));
        }
    }
    assert!(
        report.is_empty(),
        "{} of {} semantic cases failed:\n\n{}",
        report.len(),
        cases.len(),
        report.join("\n\n")
    );
}

#[test]
fn suite_covers_what_it_promises() {
    // Guards against the data file losing whole groups of cases.
    let cases = load();
    let count = |pred: &dyn Fn(&Case) -> bool| cases.iter().filter(|c| pred(c)).count();
    assert_eq!(count(&|c| c.name.starts_with("and: ")), 9);
    assert_eq!(count(&|c| c.name.starts_with("or: ")), 9);
    assert_eq!(count(&|c| c.name.starts_with("!: ")), 3);
    assert_eq!(count(&|c| c.name.starts_with("not: ")), 3);
    assert!(count(&|c| c.name.starts_with("required: ")) >= 10);
    for op in ["<", "<=", ">", ">=", "==", "!="] {
        let needle = format!("retention_days {op} ");
        assert!(
            count(&|c| c.policy.contains(&needle)) >= 4,
            "operator {op} is under-tested"
        );
    }
    for stmt in [
        "policy ",
        "version ",
        "mode ",
        "attribute ",
        "require ",
        "max_retention_days ",
        "allow provider",
        "deny provider",
        "allow model",
        "deny model",
    ] {
        assert!(
            count(&|c| c.policy.contains(stmt)) >= 1,
            "no case uses `{stmt}`"
        );
    }
    let unknowns = count(&|c| {
        c.failures
            .as_ref()
            .is_some_and(|fs| fs.iter().any(|f| f.value == "unknown"))
    });
    assert!(unknowns >= 30, "only {unknowns} cases fail as unknown");
}

#[test]
fn wrong_kind_values_read_as_undeclared() {
    // Beside the suite: a wrong-kind value must behave exactly like no value
    // at all, for every kind of test on every kind of attribute.
    let policy = Policy::compile(
        r#"require soc2 or !soc2;
           require retention_days <= 3 or !(retention_days <= 3);
           require region in ["eu"] or !(region in ["eu"]);
           require !known(soc2) and !known(retention_days) and !known(region)"#,
    )
    .unwrap();
    let undeclared = policy.evaluate(&Target::new("p", "m"));
    let wrong = policy.evaluate(
        &Target::builder("p", "m")
            .attr("soc2", "true")
            .attr("retention_days", false)
            .attr("region", 7)
            .build(),
    );
    assert!(undeclared.is_blocked());
    assert_eq!(undeclared.failures().len(), 3);
    assert_eq!(wrong, undeclared);
}

/// Regression: explanations named every literal that had the requirement's
/// value, including ones that could not change it (a false `gdpr` inside a
/// true `gdpr or hipaa`; an undeclared `hipaa` inside a false `gdpr and
/// hipaa`). They must name only the attributes that decide the value.
#[test]
fn explanations_name_only_deciding_attributes() {
    // `gdpr or hipaa` is true, so gdpr being false did not make the
    // requirement false: only soc2 did.
    let policy = Policy::compile("require soc2 and (gdpr or hipaa)").unwrap();
    let t = Target::builder("p", "m")
        .attr("soc2", false)
        .attr("gdpr", false)
        .attr("hipaa", true)
        .build();
    assert_eq!(policy.evaluate(&t).failures()[0].attributes(), ["soc2"]);

    // `gdpr and hipaa` is false whatever hipaa is, so declaring hipaa cannot
    // help: only soc2 is worth declaring.
    let policy = Policy::compile("require soc2 or (gdpr and hipaa)").unwrap();
    let t = Target::builder("p", "m").attr("gdpr", false).build();
    assert_eq!(policy.evaluate(&t).failures()[0].attributes(), ["soc2"]);
}

/// `tests/data/semantics.json` is the suite as JSON, for the Node.js
/// binding's tests (`node/test/semantics.test.js`), which read no TOML.
/// It must say what the TOML says: `ELIGO_BLESS=1 cargo test --test main
/// semantics` writes it again after the TOML changes.
#[test]
fn the_json_copy_of_the_suite_is_up_to_date() {
    let toml_path = repo_path("tests/data/semantics.toml");
    let json_path = repo_path("tests/data/semantics.json");
    let text = std::fs::read_to_string(&toml_path).unwrap();
    let suite: serde_json::Value = toml::from_str(&text).unwrap();
    let want = serde_json::to_string_pretty(&suite).unwrap() + "\n";
    if std::env::var("ELIGO_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&json_path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&json_path)
        .unwrap_or_default()
        .replace("\r\n", "\n");
    assert!(
        have == want,
        "{} is not the JSON of {}: write it again with \
         `ELIGO_BLESS=1 cargo test --test main semantics` and commit it",
        json_path.display(),
        toml_path.display()
    );
}
