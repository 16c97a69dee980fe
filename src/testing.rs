//! Policy unit tests: a TOML file pins the verdict each target must get, so
//! a policy's behaviour can be checked in CI (`eligo test FILE...`).
//!
//! ```toml
//! # tests for policies/regulated-routing.pol
//! policy = "../regulated-routing.pol"   # relative to this file
//! catalog = "../catalog.json"           # optional: lets cases name targets by id
//! date = "2026-11-21"                   # optional: read expiring evidence as of this day
//!
//! [[case]]
//! name = "on-prem models keep prompts in memory"   # optional
//! targets = ["onprem/llama-3.3-70b", "onprem/deepseek-v3.2"]
//! expect = "allow"
//!
//! [[case]]
//! target = { provider = "acme", model = "m1", attributes = { zero_data_retention = true } }
//! expect = "block"
//! failing = ["require !trains_on_prompts", "max_retention_days 0"]   # optional
//! unknown = ["trains_on_prompts", "retention_days"]                  # optional
//!
//! [[case]]
//! target = "onprem/llama-3.3-70b"
//! request = { data_class = "phi", team = "research" }   # optional: the request's attributes
//! expect = "allow"
//! ```
//!
//! A case names its targets with `target` (one) or `targets` (a list); each
//! is a catalog id or an inline target in the JSON shape of the catalog
//! format. `request` gives the attributes of the request the targets are
//! judged for (see [`Policy::evaluate_for`]): request attributes of the
//! policy's schema, by name with or without their `request.` prefix,
//! valued by a TOML string (text), integer (number) or boolean (flag). An
//! attribute not given is unknown, so the `when` blocks that read it apply;
//! a case without `request` is judged for a request that gives none.
//! `expect` is `"allow"` or `"block"`. A blocking case may pin why:
//! `failing` lists exactly the requirements that must fail (written as in
//! the policy; they are compared in canonical form, so spacing and `not`
//! versus `!` do not matter) and `unknown` exactly the undeclared attributes
//! behind the failures. Unknown keys are errors, so a misspelt `expect`
//! cannot silently pass.
//!
//! ```
//! let dir = std::path::Path::new("policies/tests");
//! let suite = eligo::testing::Suite::from_file(dir.join("regulated-routing.toml"))?;
//! let report = suite.run();
//! assert!(report.passed(), "{:?}", report.failures().collect::<Vec<_>>());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value as J};

use crate::catalog::{Catalog, describe, parse_toml_as, target_from_json};
use crate::diagnostic::{Diagnostic, Error, SourceText};
use crate::eval::Verdict;
use crate::files::read_text;
use crate::policy::Policy;
use crate::request::RequestAttrs;
use crate::schema::{AttrKind, REQUEST_PREFIX, Schema, is_request_attribute, suggest};
use crate::syntax;
use crate::target::{Target, Value};
use crate::time::Date;

/// Largest test file accepted, in bytes (4 MiB). A test file is TOML, read
/// whole into a value tree at up to 70 times its size in memory, as TOML
/// catalogs are ([`crate::catalog::MAX_TREE_CATALOG_BYTES`]).
pub const MAX_TEST_FILE_BYTES: usize = 4 << 20;

/// The verdict a case expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// The policy must allow the target.
    Allow,
    /// The policy must block it.
    Block,
}

impl Expect {
    /// `allow` or `block`.
    ///
    /// ```
    /// assert_eq!(eligo::testing::Expect::Block.as_str(), "block");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Expect::Allow => "allow",
            Expect::Block => "block",
        }
    }
}

/// One case: targets and what the policy must decide for each.
#[derive(Clone, Debug)]
pub struct Case {
    /// The case's name (`case #N` when the file gives none).
    pub name: String,
    /// The targets the case checks.
    pub targets: Vec<Target>,
    /// The attributes of the request the targets are judged for (none
    /// given: every `when` block that reads one applies).
    pub request: RequestAttrs,
    /// The verdict each must get.
    pub expect: Expect,
    /// Exactly the requirements that must fail (canonical text), if pinned.
    pub failing: Option<BTreeSet<String>>,
    /// Exactly the undeclared attributes behind the failures, if pinned.
    pub unknown: Option<BTreeSet<String>>,
}

/// A loaded test file: a policy, its cases and the evaluation date.
#[derive(Clone, Debug)]
pub struct Suite {
    /// The test file's path (or name).
    pub file: String,
    /// The policy under test.
    pub policy: Policy,
    /// The cases, in file order.
    pub cases: Vec<Case>,
    /// The day expiring evidence is read as of (`None`: today).
    pub date: Option<Date>,
}

/// The outcome of one target in one case.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Outcome {
    /// The case's name.
    pub case: String,
    /// The target's id.
    pub target: String,
    /// The attributes of the request it was judged for.
    pub request: RequestAttrs,
    /// The expected verdict.
    pub expected: Expect,
    /// The policy's verdict, with its reasons.
    pub verdict: Verdict,
    /// What did not match; empty when the case passed for this target.
    pub mismatches: Vec<String>,
}

impl Outcome {
    /// Whether the target got what the case expects.
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty()
    }
}

/// Every outcome of a suite.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Report {
    /// The test file.
    pub file: String,
    /// The policy's display name.
    pub policy: String,
    /// One outcome a target a case, in file order.
    pub outcomes: Vec<Outcome>,
}

impl Report {
    /// Whether every outcome passed.
    pub fn passed(&self) -> bool {
        self.outcomes.iter().all(Outcome::passed)
    }

    /// The outcomes that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| !o.passed())
    }
}

impl Suite {
    /// Reads a test file; `policy` and `catalog` paths in it are relative to
    /// the file's directory.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Suite, Error> {
        let path = path.as_ref();
        let text = read_text(path, MAX_TEST_FILE_BYTES)?;
        let base = path.parent().unwrap_or(Path::new("."));
        Suite::from_str_in(&text, &path.display().to_string(), base)
    }

    /// Reads test-file text named `name`, resolving relative paths against
    /// `base`.
    ///
    /// ```
    /// use eligo::testing::Suite;
    /// let suite = Suite::from_str_in(r#"
    /// policy = "soc2.pol"
    /// [[case]]
    /// target = { provider = "a", model = "m", attributes = { soc2 = false } }
    /// expect = "allow"
    /// "#, "t.toml", std::path::Path::new("policies"))?;
    /// let report = suite.run();
    /// let failed: Vec<_> = report.failures().collect();
    /// assert_eq!(failed[0].mismatches, ["expected allow, got block"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// A case's `request` gives the request's attributes, typed by TOML and
    /// checked against the policy's schema:
    ///
    /// ```
    /// use eligo::testing::Suite;
    /// let dir = std::path::Path::new("tests/data/request");
    /// let suite = Suite::from_str_in(r#"
    /// policy = "request-aware.pol"
    /// catalog = "catalog.json"
    /// [[case]]
    /// target = "zdr/chat"
    /// request = { data_class = "pii", team = "research", tier = 1 }
    /// expect = "allow"
    /// [[case]]
    /// target = "zdr/chat"
    /// request.data_class = "phi"
    /// expect = "block"
    /// "#, "t.toml", dir)?;
    /// assert!(suite.run().passed());
    ///
    /// let err = Suite::from_str_in(r#"
    /// policy = "request-aware.pol"
    /// [[case]]
    /// target = { provider = "a", model = "m" }
    /// request = { data_clas = "phi", tier = "3" }
    /// expect = "block"
    /// "#, "t.toml", dir).unwrap_err();
    /// let messages: Vec<&str> = err.diagnostics().iter().map(|d| d.message()).collect();
    /// assert_eq!(messages, [
    ///     "`t.toml`, case #1: `request`: unknown request attribute `request.data_clas`; did you mean `request.data_class`?",
    ///     "`t.toml`, case #1: `request`: `request.tier` is a number request attribute and must be a whole number, found the string \"3\"",
    /// ]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_str_in(text: &str, name: &str, base: &Path) -> Result<Suite, Error> {
        let doc = parse_toml_as(text, name, "test/invalid-toml")?;
        let mut problems = Vec::new();
        let fail = |problems: Vec<String>| {
            let diags = problems
                .into_iter()
                .map(|m| Diagnostic::error("test/invalid-file", m))
                .collect();
            Error::new(diags, Some(SourceText::new(name, "")))
        };
        let Some(top) = doc.as_object() else {
            return Err(fail(vec![format!("`{name}` must be a table")]));
        };
        for key in top.keys() {
            if !["policy", "catalog", "date", "case"].contains(&key.as_str()) {
                problems.push(format!(
                    "`{name}`: unknown key `{key}` (expected `policy`, `catalog`, `date` or `case`)"
                ));
            }
        }
        let policy = match top.get("policy") {
            Some(J::String(p)) => Some(Policy::from_file(resolve(base, p))),
            Some(other) => {
                problems.push(format!(
                    "`{name}`: `policy` must be a path, found {}",
                    describe(other)
                ));
                None
            }
            None => {
                problems.push(format!(
                    "`{name}`: `policy` is missing (the path of the policy under test)"
                ));
                None
            }
        };
        let catalog = match top.get("catalog") {
            Some(J::String(p)) => Some(Catalog::from_file(resolve(base, p))),
            Some(other) => {
                problems.push(format!(
                    "`{name}`: `catalog` must be a path, found {}",
                    describe(other)
                ));
                None
            }
            None => None,
        };
        let date = match top.get("date") {
            Some(v) => match v.as_str().map(str::parse::<Date>) {
                Some(Ok(d)) => Some(d),
                Some(Err(e)) => {
                    problems.push(format!("`{name}`: `date`: {e}"));
                    None
                }
                None => {
                    problems.push(format!(
                        "`{name}`: `date` must be a date such as 2026-11-21, found {}",
                        describe(v)
                    ));
                    None
                }
            },
            None => None,
        };
        // The policy and catalog must load before cases can be read.
        let policy = match policy {
            Some(Ok(p)) => Some(p),
            Some(Err(e)) => return Err(e),
            None => None,
        };
        let catalog = match catalog {
            Some(Ok(c)) => Some(c),
            Some(Err(e)) => return Err(e),
            None => None,
        };
        let cases = match top.get("case") {
            Some(J::Array(cases)) if !cases.is_empty() => cases,
            Some(J::Array(_)) | None => {
                problems.push(format!("`{name}` has no `[[case]]`"));
                &Vec::new()
            }
            Some(other) => {
                problems.push(format!(
                    "`{name}`: `case` must be a list of tables (`[[case]]`), found {}",
                    describe(other)
                ));
                &Vec::new()
            }
        };
        let mut read = Vec::with_capacity(cases.len());
        let schema = policy.as_ref().map(Policy::schema);
        for (i, c) in cases.iter().enumerate() {
            if let Some(case) = read_case(c, i, name, catalog.as_ref(), schema, &mut problems) {
                read.push(case);
            }
        }
        match policy {
            Some(policy) if problems.is_empty() => Ok(Suite {
                file: name.to_string(),
                policy,
                cases: read,
                date,
            }),
            _ => Err(fail(problems)),
        }
    }

    /// Runs every case: one [`Outcome`] for each target of each case.
    ///
    /// ```
    /// use eligo::testing::Suite;
    /// let suite = Suite::from_str_in(r#"
    /// policy = "soc2.pol"
    /// [[case]]
    /// targets = [{ provider = "a", model = "m", attributes = { soc2 = true } },
    ///            { provider = "b", model = "m" }]
    /// expect = "allow"
    /// "#, "t.toml", std::path::Path::new("policies"))?;
    /// let report = suite.run();
    /// assert_eq!(report.outcomes.len(), 2);
    /// assert!(report.outcomes[0].passed());
    /// assert!(!report.passed());
    /// assert_eq!(report.failures().next().map(|o| o.target.as_str()), Some("b/m"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run(&self) -> Report {
        let mut outcomes = Vec::new();
        for case in &self.cases {
            for t in &case.targets {
                let verdict = self.policy.evaluate_for(t, &case.request, self.date);
                let mismatches = check(case, &verdict);
                outcomes.push(Outcome {
                    case: case.name.clone(),
                    target: t.id().to_string(),
                    request: case.request.clone(),
                    expected: case.expect,
                    verdict,
                    mismatches,
                });
            }
        }
        Report {
            file: self.file.clone(),
            policy: self.policy.display_name().to_string(),
            outcomes,
        }
    }
}

fn resolve(base: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

fn check(case: &Case, v: &Verdict) -> Vec<String> {
    let mut out = Vec::new();
    let got = if v.is_allowed() {
        Expect::Allow
    } else {
        Expect::Block
    };
    if got != case.expect {
        out.push(format!(
            "expected {}, got {}",
            case.expect.as_str(),
            got.as_str()
        ));
        return out;
    }
    if let Some(want) = &case.failing {
        let have: BTreeSet<String> = v.failures().iter().map(|f| f.text().to_string()).collect();
        if &have != want {
            out.push(format!(
                "expected failing {}, got {}",
                list(want),
                list(&have)
            ));
        }
    }
    if let Some(want) = &case.unknown {
        let have: BTreeSet<String> = v
            .failures()
            .iter()
            .filter(|f| f.is_unknown())
            .flat_map(|f| f.attributes().iter().cloned())
            .collect();
        if &have != want {
            out.push(format!(
                "expected unknown {}, got {}",
                list(want),
                list(&have)
            ));
        }
    }
    out
}

fn list(items: &BTreeSet<String>) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("`{s}`")).collect();
    format!("[{}]", quoted.join(", "))
}

/// `schema`: the policy's, to read `request` against (`None` when the
/// file names no policy, an error reported already).
fn read_case(
    v: &J,
    i: usize,
    file: &str,
    catalog: Option<&Catalog>,
    schema: Option<&Schema>,
    problems: &mut Vec<String>,
) -> Option<Case> {
    let at = format!("`{file}`, case #{}", i + 1);
    let Some(obj) = v.as_object() else {
        problems.push(format!("{at}: must be a table"));
        return None;
    };
    let before = problems.len();
    let name = match obj.get("name") {
        Some(J::String(s)) => s.clone(),
        Some(other) => {
            problems.push(format!(
                "{at}: `name` must be a string, found {}",
                describe(other)
            ));
            String::new()
        }
        None => format!("case #{}", i + 1),
    };
    let at = match obj.get("name") {
        Some(J::String(s)) => format!("{at} ({s:?})"),
        _ => at,
    };
    for key in obj.keys() {
        if ![
            "name", "target", "targets", "request", "expect", "failing", "unknown",
        ]
        .contains(&key.as_str())
        {
            problems.push(format!(
                "{at}: unknown key `{key}` (expected `name`, `target`, `targets`, `request`, `expect`, `failing` or `unknown`)"
            ));
        }
    }
    let request = match (obj.get("request"), schema) {
        (None, _) | (Some(_), None) => RequestAttrs::new(),
        (Some(J::Object(given)), Some(schema)) => {
            let mut attrs = RequestAttrs::new();
            for (key, value) in given {
                match request_attr(schema, key, value) {
                    Ok((bare, _)) if attrs.get(&bare).is_some() => problems.push(format!(
                        "{at}: `request` gives `{REQUEST_PREFIX}{bare}` twice"
                    )),
                    Ok((bare, value)) => attrs.set(bare, value),
                    Err(m) => problems.push(format!("{at}: `request`: {m}")),
                }
            }
            attrs
        }
        (Some(other), Some(_)) => {
            problems.push(format!(
                "{at}: `request` must be a table of request attributes, such as {{ data_class = \"phi\" }}, found {}",
                describe(other)
            ));
            RequestAttrs::new()
        }
    };
    let specs: Vec<&J> = match (obj.get("target"), obj.get("targets")) {
        (Some(t), None) => vec![t],
        (None, Some(J::Array(ts))) if !ts.is_empty() => ts.iter().collect(),
        (None, Some(J::Array(_))) => {
            problems.push(format!("{at}: `targets` is empty"));
            Vec::new()
        }
        (None, Some(other)) => {
            problems.push(format!(
                "{at}: `targets` must be a list, found {}",
                describe(other)
            ));
            Vec::new()
        }
        (Some(_), Some(_)) => {
            problems.push(format!("{at}: give `target` or `targets`, not both"));
            Vec::new()
        }
        (None, None) => {
            problems.push(format!(
                "{at}: `target` is missing (a catalog id or an inline target)"
            ));
            Vec::new()
        }
    };
    let mut targets = Vec::with_capacity(specs.len());
    for spec in specs {
        match spec {
            J::String(id) => match catalog {
                Some(c) => match c.get(id) {
                    Some(t) => targets.push(t.clone()),
                    None => {
                        let hint = c
                            .suggest_id(id)
                            .map(|s| format!("; did you mean `{s}`?"))
                            .unwrap_or_default();
                        problems.push(format!("{at}: no target `{id}` in the catalog{hint}"));
                    }
                },
                None => problems.push(format!(
                    "{at}: target `{id}` names a catalog id but the file gives no `catalog`"
                )),
            },
            J::Object(_) => match target_from_json(spec) {
                Ok(t) => targets.push(t),
                Err(e) => problems.push(format!("{at}: invalid target: {e}")),
            },
            other => problems.push(format!(
                "{at}: a target must be a catalog id or a table, found {}",
                describe(other)
            )),
        }
    }
    let expect = match obj.get("expect") {
        Some(J::String(s)) if s == "allow" => Some(Expect::Allow),
        Some(J::String(s)) if s == "block" => Some(Expect::Block),
        Some(other) => {
            problems.push(format!(
                "{at}: `expect` must be \"allow\" or \"block\", found {}",
                describe(other)
            ));
            None
        }
        None => {
            problems.push(format!(
                "{at}: `expect` is missing (\"allow\" or \"block\")"
            ));
            None
        }
    };
    let failing = strings(obj, "failing", &at, problems).map(|xs| {
        xs.into_iter()
            .filter_map(|x| match canonical_statement(&x) {
                Some(c) => Some(c),
                None => {
                    problems.push(format!(
                        "{at}: `failing` entry `{x}` is not one statement of the policy language"
                    ));
                    None
                }
            })
            .collect()
    });
    let unknown = strings(obj, "unknown", &at, problems).map(|xs| xs.into_iter().collect());
    if expect == Some(Expect::Allow) && (failing.is_some() || unknown.is_some()) {
        problems.push(format!(
            "{at}: `failing` and `unknown` only apply to `expect = \"block\"`"
        ));
    }
    let expect = expect?;
    (problems.len() == before).then_some(Case {
        name,
        targets,
        request,
        expect,
        failing,
        unknown,
    })
}

/// One entry of a case's `request` table: the attribute's bare name and its
/// value, which must be a request attribute of `schema` valued by a TOML
/// value of its kind; else what is wrong.
fn request_attr(schema: &Schema, key: &str, value: &J) -> Result<(String, Value), String> {
    let bare = key.strip_prefix(REQUEST_PREFIX).unwrap_or(key);
    let full = format!("{REQUEST_PREFIX}{bare}");
    let Some(def) = schema.get(&full) else {
        let known = schema
            .attributes()
            .map(|a| a.name())
            .filter(|n| is_request_attribute(n));
        let hint = suggest(&full, known)
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        return Err(format!("unknown request attribute `{full}`{hint}"));
    };
    let typed = match (def.kind(), value) {
        (AttrKind::Text, J::String(s)) => Some(Value::from(s.as_str())),
        (AttrKind::Flag, J::Bool(b)) => Some(Value::Flag(*b)),
        (AttrKind::Number, J::Number(n)) => n.as_i64().map(Value::Number),
        _ => None,
    };
    let want = match def.kind() {
        AttrKind::Text => "a string",
        AttrKind::Flag => "true or false",
        AttrKind::Number => "a whole number",
    };
    match typed {
        Some(v) => Ok((bare.to_string(), v)),
        None => Err(format!(
            "`{full}` is a {} request attribute and must be {want}, found {}",
            def.kind(),
            describe(value)
        )),
    }
}

fn strings(
    obj: &Map<String, J>,
    key: &str,
    at: &str,
    problems: &mut Vec<String>,
) -> Option<Vec<String>> {
    let v = obj.get(key)?;
    let items = v.as_array().and_then(|xs| {
        xs.iter()
            .map(|x| x.as_str().map(str::to_string))
            .collect::<Option<Vec<String>>>()
    });
    if items.is_none() {
        problems.push(format!(
            "{at}: `{key}` must be a list of strings, found {}",
            describe(v)
        ));
    }
    items
}

/// A requirement as written in a test, in the canonical form verdicts use;
/// `None` when it is not one statement. A merged allow/deny list is written
/// as the verdict shows it (`allow provider ["a", "b"]`), which is also one
/// statement.
fn canonical_statement(s: &str) -> Option<String> {
    match syntax::parse(s) {
        Ok(p) if p.statements.len() == 1 => p.statements.first().map(|st| st.to_string()),
        _ => None,
    }
}
