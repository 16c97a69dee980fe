//! The `eligo` command line, run as a process on shipped and broken inputs:
//! output and exit status of every subcommand. Human output of `lint` and
//! `preview` is compared with snapshots in `tests/snapshots/cli_*.txt`
//! (`ELIGO_BLESS=1` rewrites them).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::common::repo_path;
use crate::diagnostics::snapshot;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `eligo ARGS` in the package root with `stdin` on standard input.
fn eligo_with(args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eligo"))
        .args(args)
        .current_dir(repo_path(""))
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("eligo runs");
    if let Some(mut input) = child.stdin.take() {
        // The command may exit before reading everything.
        let _ = input.write_all(stdin.as_bytes());
    }
    let out = child.wait_with_output().expect("eligo finishes");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

fn eligo(args: &[&str]) -> Run {
    eligo_with(args, "")
}

/// Asserts that `text` contains `needle`, showing `text` when not.
#[track_caller]
fn has(text: &str, needle: &str) {
    assert!(text.contains(needle), "{needle:?} not in:\n{text}");
}

#[track_caller]
fn expect_code(r: &Run, code: i32) {
    assert_eq!(
        r.code, code,
        "exit status\n--- stdout\n{}\n--- stderr\n{}",
        r.stdout, r.stderr
    );
}

/// A scratch file holding `text`, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str, text: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("eligo-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        Scratch(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }

    fn read(&self) -> String {
        std::fs::read_to_string(&self.0).unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn shipped_policies() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(repo_path("policies"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pol"))
        .map(|p| format!("policies/{}", p.file_name().unwrap().to_str().unwrap()))
        .collect();
    out.sort();
    assert!(out.len() >= 9, "{out:?}");
    out
}

// ------------------------------------------------------------------ help

#[test]
fn every_subcommand_has_help_with_an_example() {
    for cmd in ["lint", "fmt", "test", "check", "preview", "route", "diff"] {
        let r = eligo(&[cmd, "--help"]);
        expect_code(&r, 0);
        assert!(
            r.stdout.contains("Examples:"),
            "{cmd} --help:\n{}",
            r.stdout
        );
        assert!(
            r.stdout.contains(&format!("eligo {cmd}")),
            "{cmd} --help:\n{}",
            r.stdout
        );
    }
    let r = eligo(&["--help"]);
    expect_code(&r, 0);
    has(&r.stdout, "Exit status:");
}

#[test]
fn usage_errors_exit_2() {
    expect_code(&eligo(&[]), 2);
    let r = eligo(&["lnit", "policies/soc2.pol"]);
    expect_code(&r, 2);
    assert!(
        r.stderr.contains("lint"),
        "suggests the subcommand: {}",
        r.stderr
    );
    expect_code(&eligo(&["preview", "policies/soc2.pol"]), 2); // no --catalog
    expect_code(&eligo(&["check", "policies/soc2.pol"]), 2); // no --target
    let r = eligo(&[
        "preview",
        "policies/soc2.pol",
        "--catalog",
        "policies/catalog.json",
        "--date",
        "2026-13-01",
    ]);
    expect_code(&r, 2);
}

// ------------------------------------------------------------------ lint

#[test]
fn lint_shipped_policies_are_clean() {
    let files = shipped_policies();
    let mut args = vec!["lint", "--deny-warnings"];
    args.extend(files.iter().map(String::as_str));
    let r = eligo(&args);
    expect_code(&r, 0);
    assert_eq!(
        r.stdout,
        format!("{} files checked: no problems\n", files.len())
    );
}

const DRAFT: &str = "\
# A draft with every kind of author mistake lint knows.
policy \"draft\";
require soc2 or !soc2;
require gdpr;
require gdpr and iso27001;
require retention_days < 3 and retention_days > 5;
require !trains_on_prompts;
require trains_on_prompts or logs_prompts;
require !logs_prompts;
require in_memory_only;
require !in_memory_only;
allow provider [\"azure\", \"onprem\", \"azure\"];
deny provider [\"onprem\", \"openai\"];
allow model [];
attribute fedramp: flag;
";

#[test]
fn lint_warnings_snapshot() {
    let draft = Scratch::new("draft.pol", DRAFT);
    let r = eligo(&["lint", draft.path()]);
    expect_code(&r, 0); // warnings only
    let out = r.stdout.replace(draft.path(), "draft.pol");
    snapshot("cli_lint_draft.txt", &out);
    for code in [
        "lint/fails-when-undeclared",
        "lint/redundant-requirement",
        "lint/never-passes",
        "lint/conflicting-requirements",
        "lint/duplicate-entry",
        "lint/shadowed-entry",
        "lint/redundant-deny",
        "lint/empty-allow-list",
        "lint/unused-attribute",
    ] {
        assert!(
            out.contains(&format!("warning[{code}]")),
            "{code} missing:\n{out}"
        );
    }
    // --deny-warnings turns them into a failure.
    expect_code(&eligo(&["lint", "--deny-warnings", draft.path()]), 1);
}

#[test]
fn lint_json_lists_every_diagnostic_with_its_file() {
    let draft = Scratch::new("draft-json.pol", DRAFT);
    let r = eligo(&[
        "lint",
        "--format",
        "json",
        draft.path(),
        "policies/soc2.pol",
    ]);
    expect_code(&r, 0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON output");
    let items = v.as_array().expect("an array");
    assert_eq!(items.len(), 10, "{}", r.stdout);
    for d in items {
        assert_eq!(d["file"], draft.path());
        assert_eq!(d["severity"], "warning");
        assert!(d["code"].as_str().unwrap().starts_with("lint/"));
        assert!(d["line"].as_u64().unwrap() >= 3);
    }
}

#[test]
fn lint_errors_exit_1_with_rendered_diagnostics() {
    let bad = Scratch::new(
        "bad.pol",
        "policy \"x\";\nrequire gdpr and soc3;\nrequire soc2 or;\n",
    );
    let r = eligo(&["lint", bad.path(), "policies/soc2.pol"]);
    expect_code(&r, 1);
    has(&r.stdout, "error[syntax/");
    assert!(
        r.stdout.contains(&format!("{}:3:", bad.path())),
        "{}",
        r.stdout
    );
    has(&r.stdout, "2 files checked: 1 error, 0 warnings");
    let fixed = Scratch::new("typo.pol", "require gdpr and soc3;\n");
    let r = eligo(&["lint", fixed.path()]);
    expect_code(&r, 1);
    has(&r.stdout, "error[compile/unknown-attribute]");
    has(&r.stdout, "did you mean `soc2`?");
}

/// What broke: a vertical tab ended a comment for a reader but not for
/// eligo, and look-alike strings passed lint silently. Both through the
/// command line, without a catalog.
#[test]
fn lint_refuses_hidden_line_breaks_and_warns_about_lookalike_strings() {
    let hidden = Scratch::new(
        "hidden.pol",
        "require soc2; # note\u{0B}require !trains_on_prompts;\n",
    );
    let r = eligo(&["lint", "--color", "never", hidden.path()]);
    expect_code(&r, 1);
    has(&r.stdout, "error[syntax/control-character]");
    has(&r.stdout, "U+000B (vertical tab)");
    has(&r.stdout, &format!("{}:1:21", hidden.path()));
    let lookalike = Scratch::new(
        "lookalike.pol",
        "require soc2;\ndeny provider [\"d\u{0435}epseek\", \"open\u{200B}ai\"];\n",
    );
    let r = eligo(&["lint", "--color", "never", lookalike.path()]);
    has(&r.stdout, "warning[lint/confusable-string]");
    has(&r.stdout, "looks like `deepseek`");
    has(&r.stdout, "warning[lint/invisible-character]");
    has(&r.stdout, "`open\\u{200b}ai`");
}

/// What broke: `deny model [...]` did not stop a request for a denied model
/// from reaching targets that serve every model (provider definitions).
#[test]
fn route_and_preview_judge_wildcard_targets_as_serving_the_model() {
    let deny = Scratch::new("deny.pol", "deny model [\"gpt-3.5-turbo\"];\n");
    // `eligo COMMAND deny.pol --catalog providers.json ARGS…`
    let run = |command: &str, args: &[&str]| {
        let mut all = vec![
            command,
            deny.path(),
            "--catalog",
            "tests/data/catalogs/providers.json",
        ];
        all.extend_from_slice(args);
        eligo(&all)
    };
    let r = run("route", &["--model", "gpt-3.5-turbo"]);
    expect_code(&r, 1);
    has(&r.stdout, "no_compliant_provider");
    let r = run("route", &["--model", "gpt-4o"]);
    expect_code(&r, 0);
    has(&r.stdout, "canopywave");
    let r = run(
        "route",
        &["--pin", "canopywave", "--model", "gpt-3.5-turbo"],
    );
    expect_code(&r, 1);
    let r = run("preview", &["--color", "never", "--model", "gpt-3.5-turbo"]);
    has(&r.stdout, "0 allowed");
}

#[test]
fn lint_unreadable_input_exits_2() {
    let r = eligo(&["lint", "policies/missing.pol"]);
    expect_code(&r, 2);
    has(&r.stderr, "error[io/not-found]");
    has(&r.stderr, "policies/missing.pol");
    let r = eligo(&[
        "lint",
        "policies/soc2.pol",
        "--catalog",
        "policies/missing.json",
    ]);
    expect_code(&r, 2);
}

#[test]
fn lint_reads_stdin() {
    let r = eligo_with(&["lint", "-"], "require soc2 and !soc2\n");
    expect_code(&r, 0);
    has(&r.stdout, "warning[lint/never-passes]");
    has(&r.stdout, "--> <stdin>:1:1");
}

#[test]
fn lint_with_a_catalog_reports_metadata_gaps() {
    let r = eligo(&[
        "lint",
        "policies/eu-residency.pol",
        "--catalog",
        "policies/catalog.json",
        "--date",
        "2026-11-21",
    ]);
    expect_code(&r, 0);
    snapshot("cli_lint_catalog.txt", &r.stdout);
    has(&r.stdout, "warning[lint/metadata-gap]");
    let typo = Scratch::new("typo-list.pol", "allow provider [\"azur\", \"onprem\"];\n");
    let r = eligo(&["lint", typo.path(), "--catalog", "policies/catalog.json"]);
    has(&r.stdout, "warning[lint/unmatched-entry]");
    has(&r.stdout, "did you mean `azure`?");
}

// What broke: a policy with no requirements (an empty file, or only a
// header and empty allow lists) allows every target, and lint called it
// clean.
#[test]
fn lint_warns_that_a_policy_without_requirements_allows_everything() {
    for text in [
        "",
        "# nothing yet\n",
        "policy \"draft\";\nmode block;\nattribute fedramp: flag;\n",
    ] {
        let r = eligo_with(&["lint", "-"], text);
        expect_code(&r, 0);
        has(
            &r.stdout,
            "warning[lint/no-requirements]: the policy has no requirements: it allows every target\n  --> <stdin>\n",
        );
        has(&r.stdout, "1 file checked: 0 errors, ");
        expect_code(&eligo_with(&["lint", "--deny-warnings", "-"], text), 1);
    }
    let r = eligo_with(&["lint", "-"], "allow provider [];\n");
    has(&r.stdout, "warning[lint/empty-allow-list]");
    has(&r.stdout, "warning[lint/no-requirements]");
    let r = eligo_with(&["lint", "-"], "deny provider [\"evil\"];\n");
    assert!(!r.stdout.contains("lint/no-requirements"), "{}", r.stdout);
}

// ------------------------------------------------------------------ fmt

#[test]
fn fmt_check_passes_on_shipped_policies() {
    let files = shipped_policies();
    let mut args = vec!["fmt", "--check"];
    args.extend(files.iter().map(String::as_str));
    let r = eligo(&args);
    expect_code(&r, 0);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
}

#[test]
fn fmt_keeps_comments_and_is_idempotent_on_shipped_policies() {
    for file in shipped_policies() {
        let text = std::fs::read_to_string(repo_path(&file)).unwrap();
        // Mangle the layout: statements run together, comments kept.
        let mangled = text
            .replace(";\n", " ;  ")
            .replace("require ", "require   ");
        let formatted = eligo::format::format(&mangled).unwrap();
        let again = eligo::format::format(&formatted).unwrap();
        assert_eq!(again, formatted, "{file}: not idempotent");
        let comments = |s: &str| -> Vec<String> {
            eligo::syntax::parse(s)
                .unwrap()
                .comments
                .iter()
                .map(|c| c.text.trim_end().to_string())
                .collect()
        };
        assert_eq!(
            comments(&formatted),
            comments(&text),
            "{file}: comments changed"
        );
        assert_eq!(
            eligo::syntax::parse(&formatted)
                .unwrap()
                .without_spans()
                .statements,
            eligo::syntax::parse(&text)
                .unwrap()
                .without_spans()
                .statements,
            "{file}: statements changed"
        );
        // The shipped text is already canonical.
        assert_eq!(eligo::format::format(&text).unwrap(), text, "{file}");
    }
}

#[test]
fn fmt_rewrites_files_and_check_reports_them() {
    let messy = "# keep me\nrequire  soc2 or(iso27001) ; # and me\n\n\n\nmax_retention_days 0";
    let tidy = "# keep me\nrequire soc2 or (iso27001); # and me\n\nmax_retention_days 0;\n";
    let f = Scratch::new("messy.pol", messy);
    let r = eligo(&["fmt", "--check", f.path()]);
    expect_code(&r, 1);
    assert_eq!(
        r.stdout,
        format!("would reformat {} (first difference at line 2)\n", f.path())
    );
    assert_eq!(f.read(), messy, "--check must not write");
    let r = eligo(&["fmt", f.path()]);
    expect_code(&r, 0);
    assert_eq!(f.read(), tidy);
    expect_code(&eligo(&["fmt", "--check", f.path()]), 0);
}

#[test]
fn fmt_check_says_what_differs() {
    let f = Scratch::new("no-newline.pol", "require soc2;");
    let r = eligo(&["fmt", "--check", f.path()]);
    expect_code(&r, 1);
    assert!(
        r.stdout.ends_with("(missing final newline)\n"),
        "{}",
        r.stdout
    );
    let f = Scratch::new("crlf.pol", "require soc2;\r\n");
    let r = eligo(&["fmt", "--check", f.path()]);
    assert!(r.stdout.ends_with("(line endings)\n"), "{}", r.stdout);
    // Trailing comments stay on their line, also after a last statement
    // without `;` and before a statement's `;`.
    let r = eligo_with(&["fmt", "-"], "require soc2 # why\n;\nrequire gdpr # last");
    assert_eq!(r.stdout, "require soc2; # why\nrequire gdpr; # last\n");
}

#[test]
fn fmt_stdin_to_stdout_and_syntax_errors() {
    let r = eligo_with(&["fmt", "-"], "deny model [\"a\",\"b\",]");
    expect_code(&r, 0);
    assert_eq!(r.stdout, "deny model [\"a\", \"b\"];\n");
    let r = eligo_with(&["fmt", "-"], "require soc2 or;");
    expect_code(&r, 2);
    has(&r.stderr, "error[syntax/");
    has(&r.stderr, "<stdin>:1:16");
}

// ------------------------------------------------------------------ test

#[test]
fn test_runs_the_shipped_test_files() {
    let r = eligo(&["test", "policies/tests"]);
    expect_code(&r, 0);
    has(&r.stdout, "policies/tests/regulated-routing.toml");
    has(&r.stdout, "policies/tests/sensitivity-routing.toml");
    has(&r.stdout, "test result: ok. 18 passed, 0 failed (2 files)");
}

#[test]
fn test_failures_name_target_expected_actual_and_reasons() {
    let policy = repo_path("policies/regulated-routing.pol");
    let catalog = repo_path("policies/catalog.json");
    let file = Scratch::new(
        "failing.toml",
        &format!(
            r#"policy = {policy:?}
catalog = {catalog:?}

[[case]]
name = "openai passes (it does not)"
target = "openai/gpt-4o"
expect = "allow"

[[case]]
name = "wrong reasons"
target = "deepseek/deepseek-v3.2"
expect = "block"
failing = ["require !trains_on_prompts"]

[[case]]
target = "onprem/llama-3.3-70b"
expect = "allow"
"#
        ),
    );
    let r = eligo(&["test", file.path()]);
    expect_code(&r, 1);
    let out = &r.stdout;
    assert!(
        out.contains("openai passes (it does not): target `openai/gpt-4o`"),
        "{out}"
    );
    assert!(out.contains("expected allow, got block"), "{out}");
    assert!(out.contains("      blocked by:\n        require zero_data_retention    unknown  undeclared: zero_data_retention\n"), "{out}");
    assert!(
        out.contains("wrong reasons: target `deepseek/deepseek-v3.2`"),
        "{out}"
    );
    assert!(
        out.contains("expected failing [`require !trains_on_prompts`], got ["),
        "{out}"
    );
    assert!(
        out.contains("test result: FAILED. 1 passed, 2 failed"),
        "{out}"
    );

    let r = eligo(&["test", "--format", "json", file.path()]);
    expect_code(&r, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let outcomes = v[0]["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 3);
    assert_eq!(outcomes[0]["expected"], "allow");
    assert_eq!(outcomes[0]["verdict"]["allowed"], false);
}

#[test]
fn test_reads_a_test_file_from_stdin_with_a_bare_toml_date() {
    let text = "policy = \"policies/soc2.pol\"\ndate = 2026-11-21\n[[case]]\n\
        target = { provider = \"a\", model = \"m\", attributes = { soc2 = { value = true, expires = 2026-11-20 } } }\n\
        expect = \"block\"\nunknown = [\"soc2\"]\n";
    let r = eligo_with(&["test", "-"], text);
    expect_code(&r, 0);
    assert!(
        r.stdout
            .contains("<stdin> (policy `soc2`): 1 passed, 0 failed"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_test_file_that_cannot_run_is_not_reported_as_ok() {
    let r = eligo(&[
        "test",
        "policies/tests/regulated-routing.toml",
        "policies/tests/missing.toml",
    ]);
    expect_code(&r, 2);
    assert!(
        r.stdout
            .contains("test result: ERROR. 5 passed, 0 failed (1 file, 1 file could not be run)"),
        "{}",
        r.stdout
    );
    has(&r.stderr, "policies/tests/missing.toml");
}

#[test]
fn invalid_test_files_exit_2_naming_the_problem() {
    let file = Scratch::new(
        "invalid.toml",
        "policy = \"nowhere.pol\"\n[[case]]\ntarget = \"x\"\nexpect = \"alow\"\n",
    );
    let r = eligo(&["test", file.path()]);
    expect_code(&r, 2);
    has(&r.stderr, "nowhere.pol");

    let policy = repo_path("policies/soc2.pol");
    let file = Scratch::new(
        "invalid2.toml",
        &format!("policy = {policy:?}\n[[case]]\ntarget = \"x/y\"\nexpect = \"alow\"\nexpct = 1\n"),
    );
    let r = eligo(&["test", file.path()]);
    expect_code(&r, 2);
    has(&r.stderr, "unknown key `expct`");
    has(&r.stderr, "`expect` must be \"allow\" or \"block\"");
    has(&r.stderr, "the file gives no `catalog`");
    let file = Scratch::new(
        "invalid3.toml",
        &format!(
            "policy = {policy:?}\n[[case]]\ntarget = {{ provider = \"a\", model = \"m\" }}\nexpect = \"block\"\nfailing = [\"require soc2 or\"]\n"
        ),
    );
    let r = eligo(&["test", file.path()]);
    expect_code(&r, 2);
    assert!(
        r.stderr
            .contains("`failing` entry `require soc2 or` is not one statement"),
        "{}",
        r.stderr
    );
}

// ------------------------------------------------------------------ check

#[test]
fn check_inline_json_target() {
    let ok = r#"{"provider": "acme", "model": "m1", "attributes": {"soc2": true}}"#;
    let r = eligo(&["check", "policies/soc2.pol", "--target", ok]);
    expect_code(&r, 0);
    assert_eq!(r.stdout, "allow  acme/m1  (policy `soc2`)\n");
    let bad = r#"{"provider": "acme", "model": "m1", "attributes": {"soc2": false}}"#;
    let r = eligo(&["check", "policies/soc2.pol", "--target", bad]);
    expect_code(&r, 1);
    assert_eq!(
        r.stdout,
        "block  acme/m1  (policy `soc2`)\n  require soc2  false    because of: soc2\n"
    );
}

#[test]
fn check_target_from_stdin_catalog_and_json_output() {
    let r = eligo_with(
        &[
            "check",
            "policies/gdpr.pol",
            "--target",
            "-",
            "--format",
            "json",
        ],
        r#"{"provider": "a", "model": "m"}"#,
    );
    expect_code(&r, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["allowed"], false);
    assert_eq!(v["failures"][0]["value"], "unknown");
    assert_eq!(v["failures"][0]["attributes"][0], "gdpr");

    let r = eligo(&[
        "check",
        "policies/regulated-routing.pol",
        "--catalog",
        "policies/catalog.json",
        "--target",
        "onprem/llama-3.3-70b",
    ]);
    expect_code(&r, 0);
    let r = eligo(&[
        "check",
        "policies/soc2.pol",
        "--catalog",
        "policies/catalog.json",
        "--target",
        "azure/gpt-4",
    ]);
    expect_code(&r, 2);
    has(&r.stderr, "did you mean `azure/gpt-4o`?");
}

#[test]
fn check_bad_target_json_is_a_diagnostic() {
    let r = eligo(&[
        "check",
        "policies/soc2.pol",
        "--target",
        r#"{"provider": "a", "model": "m", "attributes": {"soc2": "yes"}}"#,
    ]);
    expect_code(&r, 2);
    has(&r.stderr, "error[catalog/invalid-target]");
    has(&r.stderr, "`--target`");
    assert!(
        r.stderr
            .contains("field `attributes.soc2`: must be true or false"),
        "{}",
        r.stderr
    );
    let r = eligo(&["check", "policies/soc2.pol", "--target", "{\"provider\": "]);
    expect_code(&r, 2);
    has(&r.stderr, "catalog/invalid-json");
}

// ------------------------------------------------------------------ preview

#[test]
fn preview_snapshot() {
    let r = eligo(&[
        "preview",
        "policies/regulated-routing.pol",
        "--catalog",
        "policies/catalog.json",
        "--date",
        "2026-11-21",
    ]);
    expect_code(&r, 0);
    assert!(!r.stdout.contains('\x1b'), "no colours off a terminal");
    snapshot("cli_preview_regulated_routing.txt", &r.stdout);
}

/// A LiteLLM proxy config.yaml is a catalog like any other: chosen by
/// content, each deployment a target, and its problems named by deployment.
#[test]
fn preview_on_a_litellm_config() {
    let r = eligo(&[
        "preview",
        "policies/eu-residency.pol",
        "--catalog",
        "policies/litellm-config.yaml",
        "--date",
        "2026-11-21",
    ]);
    expect_code(&r, 0);
    snapshot("cli_preview_litellm.txt", &r.stdout);
    let r = eligo(&[
        "route",
        "policies/hipaa.pol",
        "--catalog",
        "policies/litellm-config.yaml",
        "--model",
        "gpt-4o",
        "--format",
        "json",
    ]);
    expect_code(&r, 0);
    let decision: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        decision["targets"],
        serde_json::json!(["azure-eu/gpt-4o", "azure-us/gpt-4o"]),
        "{}",
        r.stdout
    );
    // JSON on standard input is recognised by its `model_list`.
    let json = std::fs::read_to_string(repo_path("tests/data/litellm/proxy.json")).unwrap();
    let r = eligo_with(&["preview", "policies/soc2.pol", "--catalog", "-"], &json);
    expect_code(&r, 0);
    has(&r.stdout, "2 allowed, 0 blocked");
    let r = eligo(&[
        "preview",
        "policies/soc2.pol",
        "--catalog",
        "tests/data/litellm/bad.yaml",
    ]);
    expect_code(&r, 2);
    has(
        &r.stderr,
        "error[catalog/missing-field]: deployment #1 `gpt-4o`, field `litellm_params.model`: `gpt-4o` names no provider",
    );
    has(&r.stderr, "--> tests/data/litellm/bad.yaml");
    has(
        &r.stderr,
        "= help: write the provider before the model (`openai/gpt-4o`), or set `litellm_params.custom_llm_provider`",
    );
}

#[test]
fn preview_model_filter_json_and_colours() {
    let r = eligo(&[
        "preview",
        "policies/regulated-routing.pol",
        "--catalog",
        "policies/catalog.json",
        "--model",
        "deepseek-v3.2",
        "--format",
        "json",
    ]);
    expect_code(&r, 0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let ids: Vec<&str> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "deepseek/deepseek-v3.2",
            "onprem/deepseek-v3.2",
            "together-ai/deepseek-v3.2",
            "nebius/deepseek-v3.2"
        ]
    );
    assert_eq!(v["allowed"], 1);
    assert_eq!(v["blocked"], 3);

    let r = eligo(&[
        "preview",
        "policies/soc2.pol",
        "--catalog",
        "policies/catalog.json",
        "--color",
        "always",
    ]);
    has(&r.stdout, "\x1b[1;32mallow\x1b[0m");

    let r = eligo(&[
        "preview",
        "policies/soc2.pol",
        "--catalog",
        "policies/catalog.json",
        "--model",
        "gpt-4",
    ]);
    expect_code(&r, 2);
    has(&r.stderr, "did you mean `gpt-4o`?");
}

#[test]
fn preview_exits_1_when_nothing_is_allowed() {
    let r = eligo_with(
        &["preview", "-", "--catalog", "policies/catalog.json"],
        "require soc2 and !soc2",
    );
    expect_code(&r, 1);
    has(&r.stdout, ": 0 allowed, 14 blocked");
}

#[test]
fn preview_reports_bad_inputs_with_their_file() {
    let r = eligo(&[
        "preview",
        "policies/soc2.pol",
        "--catalog",
        "tests/data/catalogs/bad.json",
    ]);
    expect_code(&r, 2);
    has(&r.stderr, "tests/data/catalogs/bad.json");
    let r = eligo(&["preview", "-", "--catalog", "-"]);
    expect_code(&r, 2);
    has(&r.stderr, "only once");
}

// ------------------------------------------------------------------ route

#[test]
fn route_automatic_keeps_the_compliant_targets_in_order() {
    let r = eligo(&[
        "route",
        "policies/soc2.pol",
        "--catalog",
        "policies/catalog.json",
        "--model",
        "deepseek-v3.2",
    ]);
    expect_code(&r, 0);
    assert!(
        r.stdout.starts_with(
            "routed  model `deepseek-v3.2` under policy `soc2` (block mode): HTTP 200"
        ),
        "{}",
        r.stdout
    );
    has(
        &r.stdout,
        "route to, in order:\n  1. together-ai/deepseek-v3.2\n  2. nebius/deepseek-v3.2\n",
    );
    has(
        &r.stdout,
        "non-compliant candidates:\n  deepseek/deepseek-v3.2 (removed)\n    require soc2  unknown  undeclared: soc2\n",
    );
    assert!(!r.stdout.contains("security event"), "{}", r.stdout);
}

#[test]
fn route_pinned_non_compliant_target_is_blocked_with_the_403_body_and_event() {
    let r = eligo(&[
        "route",
        "policies/regulated-routing.pol",
        "--catalog",
        "policies/catalog.json",
        "--model",
        "deepseek/deepseek-v3.2",
        "--format",
        "json",
    ]);
    expect_code(&r, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["outcome"], "blocked");
    assert_eq!(v["status"], 403);
    assert_eq!(v["targets"].as_array().unwrap().len(), 0);
    assert_eq!(v["error"]["error"]["code"], "no_compliant_provider");
    assert_eq!(v["error"]["error"]["type"], "permission_denied");
    assert_eq!(v["event"]["schema"], "eligo.security_event/2");
    assert_eq!(v["event"]["request"]["pinned"], "deepseek/deepseek-v3.2");

    let r = eligo(&[
        "route",
        "policies/regulated-routing.pol",
        "--catalog",
        "policies/catalog.json",
        "--pin",
        "deepseek/deepseek-v3.2",
    ]);
    expect_code(&r, 1);
    has(&r.stdout, "response body (HTTP 403):");
    has(&r.stdout, "\"code\": \"no_compliant_provider\"");
    has(&r.stdout, "security event:");

    // The request id reaches the event.
    let r = eligo(&[
        "route",
        "policies/regulated-routing.pol",
        "--catalog",
        "policies/catalog.json",
        "--pin",
        "deepseek/deepseek-v3.2",
        "--request-id",
        "req-7",
        "--format",
        "json",
    ]);
    expect_code(&r, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["event"]["request"]["id"], "req-7");
}

#[test]
fn route_auto_reads_a_model_with_a_slash_as_a_model_group() {
    let dir = std::env::temp_dir().join(format!("eligo-auto-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let catalog = dir.join("groups.json");
    std::fs::write(
        &catalog,
        r#"{"targets": [
            {"id": "azure-eu", "provider": "azure", "model": "openai/gpt-4o", "attributes": {"soc2": true}},
            {"id": "openai/gpt-4o", "provider": "openai", "model": "gpt-4o"}
        ]}"#,
    )
    .unwrap();
    let catalog = catalog.to_str().unwrap();
    let args = |auto: bool| {
        let mut a = vec![
            "route",
            "policies/soc2.pol",
            "--catalog",
            catalog,
            "--model",
            "openai/gpt-4o",
            "--format",
            "json",
        ];
        if auto {
            a.push("--auto");
        }
        eligo(&a)
    };
    // As a model field, `openai/gpt-4o` pins the target of that id.
    let r = args(false);
    expect_code(&r, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["event"]["request"]["pinned"], "openai/gpt-4o");
    // With --auto, the model group: routed to its compliant target.
    let r = args(true);
    expect_code(&r, 0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["targets"], serde_json::json!(["azure-eu"]));
    let r = eligo(&[
        "route",
        "policies/soc2.pol",
        "--catalog",
        catalog,
        "--pin",
        "x",
        "--auto",
    ]);
    expect_code(&r, 2);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn route_warn_mode_passes_and_shows_the_event() {
    let r = eligo(&[
        "route",
        "policies/eu-residency.pol",
        "--catalog",
        "policies/catalog.json",
        "--model",
        "gpt-4o",
    ]);
    expect_code(&r, 0);
    has(&r.stdout, "(warn mode)");
    has(&r.stdout, "(kept: its failures are in warn mode)");
    has(&r.stdout, "security event:");
}

#[test]
fn route_request_errors_exit_2() {
    let r = eligo(&[
        "route",
        "policies/soc2.pol",
        "--catalog",
        "policies/catalog.json",
        "--model",
        "gpt-4",
    ]);
    expect_code(&r, 2);
    has(&r.stderr, "gpt-4o");
    let r = eligo(&[
        "route",
        "policies/soc2.pol",
        "--catalog",
        "policies/catalog.json",
        "--model",
        "gpt-4o",
        "--pin",
        "deepseek/deepseek-v3.2",
    ]);
    expect_code(&r, 2);
    assert!(
        r.stderr
            .contains("serves the model `deepseek-v3.2`, not `gpt-4o`"),
        "{}",
        r.stderr
    );
    expect_code(
        &eligo(&[
            "route",
            "policies/soc2.pol",
            "--catalog",
            "policies/catalog.json",
        ]),
        2,
    );
}

// ------------------------------------------------------------------ request attributes

/// A policy with `when` blocks over `request.data_class`, `request.team`
/// and the custom number `request.tier`, and a catalog whose chat targets
/// pass for fewer data classes one after the other.
const REQUEST_POLICY: &str = "tests/data/request/request-aware.pol";
const REQUEST_CATALOG: &str = "tests/data/request/catalog.json";

fn json_of(r: &Run) -> serde_json::Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

/// The ids of the allowed rows of a preview's JSON.
fn allowed_rows(preview: &serde_json::Value) -> Vec<String> {
    preview["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["allowed"] == true)
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn request_attributes_change_what_check_preview_and_route_decide() {
    let check = |class: &str| {
        eligo(&[
            "check",
            REQUEST_POLICY,
            "--catalog",
            REQUEST_CATALOG,
            "--target",
            "zdr/chat",
            "--request",
            &format!("data_class={class}"),
        ])
    };
    let r = check("pii");
    expect_code(&r, 0);
    has(&r.stdout, "allow  zdr/chat  (policy `request-aware`)\n");
    let r = check("phi");
    expect_code(&r, 1);
    has(
        &r.stdout,
        "  require hipaa  unknown  undeclared: hipaa  applies because request.data_class in [\"phi\"]\n",
    );
    let r = eligo(&[
        "check",
        REQUEST_POLICY,
        "--catalog",
        REQUEST_CATALOG,
        "--target",
        "zdr/chat",
        "--request",
        "data_class=phi",
        "--format",
        "json",
    ]);
    expect_code(&r, 1);
    let v = json_of(&r);
    assert_eq!(v["allowed"], false);
    assert_eq!(
        v["request"],
        serde_json::json!({"attributes": {"data_class": "phi"}, "missing": ["team", "tier"]})
    );
    assert_eq!(v["failures"][0]["text"], "require hipaa");
    assert_eq!(
        v["failures"][0]["condition"],
        r#"request.data_class in ["phi"]"#
    );
    assert_eq!(v["failures"][0]["attributes"], serde_json::json!(["hipaa"]));

    let preview = |class: &str| {
        let r = eligo(&[
            "preview",
            REQUEST_POLICY,
            "--catalog",
            REQUEST_CATALOG,
            "--request",
            &format!("request.data_class={class}"),
            "--request",
            "team=research",
            "--request",
            "tier=1",
            "--format",
            "json",
        ]);
        (r.code, json_of(&r))
    };
    let (code, v) = preview("public");
    assert_eq!(code, 0);
    assert_eq!(
        allowed_rows(&v),
        ["cloud/chat", "zdr/chat", "clinic/chat", "lab/experimental"]
    );
    assert_eq!(
        v["request"],
        serde_json::json!({
            "attributes": {"data_class": "public", "team": "research", "tier": 1},
            "missing": [],
        })
    );
    let (_, v) = preview("phi");
    assert_eq!(allowed_rows(&v), ["clinic/chat", "lab/experimental"]);
    let cloud = &v["rows"][0];
    assert_eq!(cloud["id"], "cloud/chat");
    assert_eq!(cloud["failures"][0]["text"], "require hipaa");
    assert_eq!(
        cloud["failures"][0]["condition"],
        r#"request.data_class in ["phi"]"#
    );

    let route = |class: &str| {
        eligo(&[
            "route",
            REQUEST_POLICY,
            "--catalog",
            REQUEST_CATALOG,
            "--model",
            "chat",
            "--request",
            &format!("data_class={class}"),
        ])
    };
    let r = route("public");
    expect_code(&r, 0);
    has(
        &r.stdout,
        "route to, in order:\n  1. cloud/chat\n  2. zdr/chat\n  3. clinic/chat\n",
    );
    let r = route("phi");
    expect_code(&r, 0);
    has(&r.stdout, "route to, in order:\n  1. clinic/chat\n\n");
    has(
        &r.stdout,
        "request: data_class=\"phi\"; not given: team, tier (the `when` blocks that read them apply)\n",
    );
    has(
        &r.stdout,
        "    require zero_data_retention  false    because of: zero_data_retention  applies because request.data_class in [\"pii\", \"phi\"]\n",
    );
}

#[test]
fn a_request_that_does_not_say_gets_the_strictest_verdict() {
    // Without `request.data_class` every block that reads it applies: the
    // PHI requirements too.
    let r = eligo(&[
        "check",
        REQUEST_POLICY,
        "--catalog",
        REQUEST_CATALOG,
        "--target",
        "zdr/chat",
        "--request",
        "team=research",
    ]);
    expect_code(&r, 1);
    has(
        &r.stdout,
        "  request: team=\"research\"; not given: data_class, tier (the `when` blocks that read them apply)\n",
    );
    has(
        &r.stdout,
        "  require hipaa  unknown  undeclared: hipaa  applies because request.data_class in [\"phi\"] may hold (request.data_class not given)\n",
    );

    let r = eligo(&[
        "preview",
        REQUEST_POLICY,
        "--catalog",
        REQUEST_CATALOG,
        "--format",
        "json",
    ]);
    expect_code(&r, 0);
    let v = json_of(&r);
    assert_eq!(allowed_rows(&v), ["clinic/chat"]);
    assert_eq!(
        v["request"]["missing"],
        serde_json::json!(["data_class", "team", "tier"])
    );
    let lab = &v["rows"][3];
    assert_eq!(
        lab["failures"][0]["condition"],
        r#"request.team != "research""#
    );
    assert_eq!(lab["failures"][0]["value"], "unknown");

    let r = eligo(&[
        "route",
        REQUEST_POLICY,
        "--catalog",
        REQUEST_CATALOG,
        "--pin",
        "zdr/chat",
        "--request",
        "kind=chat",
    ]);
    expect_code(&r, 1);
    has(
        &r.stdout,
        "request: not read by the policy: kind=\"chat\"; not given: data_class, team, tier (the `when` blocks that read them apply)\n",
    );
    let r = eligo(&[
        "route",
        REQUEST_POLICY,
        "--catalog",
        REQUEST_CATALOG,
        "--pin",
        "zdr/chat",
        "--format",
        "json",
    ]);
    expect_code(&r, 1);
    let v = json_of(&r);
    assert_eq!(v["outcome"], "blocked");
    assert_eq!(
        v["event"]["request"]["missing"],
        serde_json::json!(["data_class", "team", "tier"])
    );
    assert_eq!(
        v["candidates"][0]["failures"][0]["condition"],
        r#"request.data_class in ["phi"]"#
    );
}

#[test]
fn bad_request_attributes_exit_2_with_a_diagnostic() {
    let base = |cmd: &str| -> Vec<String> {
        let mut args = vec![cmd, REQUEST_POLICY, "--catalog", REQUEST_CATALOG];
        match cmd {
            "check" => args.extend(["--target", "zdr/chat"]),
            "route" => args.extend(["--model", "chat"]),
            _ => {}
        }
        args.into_iter().map(str::to_string).collect()
    };
    for cmd in ["check", "preview", "route"] {
        let run = |extra: &[&str]| {
            let mut args = base(cmd);
            args.extend(extra.iter().map(|s| s.to_string()));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            eligo(&args)
        };
        let r = run(&["--request", "data_clas=phi"]);
        expect_code(&r, 2);
        assert_eq!(r.stdout, "", "{cmd}");
        has(
            &r.stderr,
            "error[request/unknown-attribute]: unknown request attribute `request.data_clas`\n  = help: did you mean `request.data_class`?\n",
        );
        let r = run(&["--request", "tier=high"]);
        expect_code(&r, 2);
        has(
            &r.stderr,
            "error[request/invalid-value]: `request.tier` is a number request attribute; `high` is not a whole number",
        );
        let r = run(&["--request", "tier"]);
        expect_code(&r, 2);
        has(&r.stderr, "error[request/invalid-attribute]");
        let r = run(&["--request", "tier=1", "--request", "request.tier=2"]);
        expect_code(&r, 2);
        has(&r.stderr, "`request.tier` is given twice with --request");
    }
    // A policy's own request attribute is not known to another policy.
    let r = eligo(&[
        "check",
        "policies/soc2.pol",
        "--target",
        r#"{"provider": "a", "model": "m", "attributes": {"soc2": true}}"#,
        "--request",
        "tier=1",
    ]);
    expect_code(&r, 2);
    has(&r.stderr, "unknown request attribute `request.tier`");
}

#[test]
fn preview_request_matrix_shows_a_column_for_each_value() {
    let r = eligo(&[
        "preview",
        REQUEST_POLICY,
        "--catalog",
        REQUEST_CATALOG,
        "--request",
        "team=research",
        "--request-matrix",
        "data_class=public,pii,phi",
    ]);
    expect_code(&r, 0);
    assert_eq!(
        r.stdout,
        "policy `request-aware` on `tests/data/request/catalog.json`, a column for each value of request.data_class
request: data_class=<column>, team=\"research\"; not given: tier (the `when` blocks that read it apply)

TARGET            public   pii      phi
cloud/chat        allowed  blocked  blocked
zdr/chat          allowed  allowed  blocked
clinic/chat       allowed  allowed  allowed
lab/experimental  allowed  allowed  allowed

allowed           4 of 4   3 of 4   2 of 4
"
    );

    // JSON: one preview a value, the value typed by the schema.
    let r = eligo(&[
        "preview",
        REQUEST_POLICY,
        "--catalog",
        REQUEST_CATALOG,
        "--request",
        "data_class=phi",
        "--request-matrix",
        "team=research,ops",
        "--format",
        "json",
    ]);
    expect_code(&r, 0);
    let v = json_of(&r);
    assert_eq!(v["attribute"], "team");
    let columns = v["columns"].as_array().unwrap();
    assert_eq!(columns.len(), 2);
    assert_eq!(columns[0]["value"], "research");
    assert_eq!(
        allowed_rows(&columns[0]["preview"]),
        ["clinic/chat", "lab/experimental"]
    );
    assert_eq!(columns[1]["value"], "ops");
    assert_eq!(allowed_rows(&columns[1]["preview"]), ["clinic/chat"]);
    assert_eq!(
        columns[1]["preview"]["request"]["attributes"],
        serde_json::json!({"data_class": "phi", "team": "ops"})
    );
    let r = eligo(&[
        "preview",
        REQUEST_POLICY,
        "--catalog",
        REQUEST_CATALOG,
        "--request-matrix",
        "tier=1,3",
        "--format",
        "json",
    ]);
    let v = json_of(&r);
    assert_eq!(v["columns"][1]["value"], 3);

    // Exit status 1: a value whose request can reach no target shown.
    let r = eligo(&[
        "preview",
        REQUEST_POLICY,
        "--catalog",
        REQUEST_CATALOG,
        "--model",
        "experimental",
        "--request-matrix",
        "team=research,ops",
    ]);
    expect_code(&r, 1);
    has(&r.stdout, "lab/experimental  allowed   blocked\n");
    has(&r.stdout, "allowed           1 of 1    0 of 1\n");
}

#[test]
fn preview_request_matrix_errors_exit_2() {
    let run = |extra: &[&str]| {
        let mut args = vec!["preview", REQUEST_POLICY, "--catalog", REQUEST_CATALOG];
        args.extend(extra);
        eligo(&args)
    };
    for (extra, message) in [
        (
            &["--request-matrix", "data_class"][..],
            "error: --request-matrix `data_class` is not NAME=VALUE,VALUE,...",
        ),
        (
            &["--request-matrix", "data_class=phi,phi"],
            "error: --request-matrix gives the value \"phi\" of `request.data_class` twice",
        ),
        (
            &["--request-matrix", "data_class=phi,"],
            "error: --request-matrix `data_class=phi,` has an empty value",
        ),
        (
            &["--request-matrix", "tier=1,high"],
            "error[request/invalid-value]: `request.tier` is a number request attribute; `high` is not a whole number",
        ),
        (
            &["--request-matrix", "data_clas=pii,phi"],
            "error[request/unknown-attribute]: unknown request attribute `request.data_clas`\n  = help: did you mean `request.data_class`?",
        ),
        (
            &[
                "--request",
                "data_class=pii",
                "--request-matrix",
                "request.data_class=pii,phi",
            ],
            "error: `request.data_class` is given with both --request and --request-matrix",
        ),
    ] {
        let r = run(extra);
        expect_code(&r, 2);
        assert_eq!(r.stdout, "", "{extra:?}");
        has(&r.stderr, message);
    }
}

#[test]
fn test_files_give_request_attributes_per_case() {
    let r = eligo(&["test", "tests/data/request/request-aware.toml"]);
    expect_code(&r, 0);
    has(
        &r.stdout,
        "ok  tests/data/request/request-aware.toml (policy `request-aware`): 8 passed, 0 failed\n",
    );

    // The same target passes for one request and fails for another.
    let policy = repo_path(REQUEST_POLICY);
    let tests = Scratch::new(
        "request-cases.toml",
        &format!(
            r#"policy = {:?}

[[case]]
name = "pii"
target = {{ provider = "zdr", model = "chat", attributes = {{ soc2 = true, zero_data_retention = true }} }}
request = {{ data_class = "pii", team = "research", tier = 1 }}
expect = "allow"

[[case]]
name = "phi"
target = {{ provider = "zdr", model = "chat", attributes = {{ soc2 = true, zero_data_retention = true }} }}
request = {{ data_class = "phi", team = "research", tier = 1 }}
expect = "allow"
"#,
            policy.to_str().unwrap()
        ),
    );
    let r = eligo(&["test", tests.path()]);
    expect_code(&r, 1);
    has(&r.stdout, "1 passed, 1 failed\n");
    has(
        &r.stdout,
        "  ✗ phi: target `zdr/chat`, request data_class=\"phi\", team=\"research\", tier=1\n      expected allow, got block\n      blocked by:\n        require hipaa  unknown  undeclared: hipaa  applies because request.data_class in [\"phi\"]\n",
    );
    let r = eligo(&["test", tests.path(), "--format", "json"]);
    expect_code(&r, 1);
    let v = json_of(&r);
    let phi = &v[0]["outcomes"][1];
    assert_eq!(
        phi["request"],
        serde_json::json!({"data_class": "phi", "team": "research", "tier": 1})
    );
    assert_eq!(
        phi["verdict"]["failures"][0]["condition"],
        r#"request.data_class in ["phi"]"#
    );
}

#[test]
fn test_files_with_bad_request_attributes_cannot_run() {
    let policy = repo_path(REQUEST_POLICY);
    let case = |request: &str| {
        Scratch::new(
            "bad-request.toml",
            &format!(
                "policy = {:?}\n\n[[case]]\nname = \"phi\"\ntarget = {{ provider = \"a\", model = \"m\" }}\n{request}\nexpect = \"block\"\n",
                policy.to_str().unwrap()
            ),
        )
    };
    for (request, message) in [
        (
            r#"request = { data_clas = "phi" }"#,
            "case #1 (\"phi\"): `request`: unknown request attribute `request.data_clas`; did you mean `request.data_class`?",
        ),
        (
            r#"request = { tier = "3" }"#,
            "case #1 (\"phi\"): `request`: `request.tier` is a number request attribute and must be a whole number, found the string \"3\"",
        ),
        (
            r#"request = { data_class = 3 }"#,
            "case #1 (\"phi\"): `request`: `request.data_class` is a text request attribute and must be a string, found the number 3",
        ),
        (
            r#"request = { team = "a", "request.team" = "b" }"#,
            "case #1 (\"phi\"): `request` gives `request.team` twice",
        ),
        (
            r#"request = "phi""#,
            "case #1 (\"phi\"): `request` must be a table of request attributes",
        ),
    ] {
        let file = case(request);
        let r = eligo(&["test", file.path()]);
        expect_code(&r, 2);
        has(&r.stderr, "error[test/invalid-file]");
        has(&r.stderr, &format!("`{}`, {message}", file.path()));
    }
}

#[test]
fn request_attribute_values_are_escaped_in_human_output() {
    let r = eligo(&[
        "check",
        REQUEST_POLICY,
        "--catalog",
        REQUEST_CATALOG,
        "--target",
        "clinic/chat",
        "--request",
        "team=x\r\x1b[2Kresearch\u{202e}",
    ]);
    expect_code(&r, 0);
    shows_safely(&r);
    has(
        &r.stdout,
        r#"request: team="x\r\u{1b}[2Kresearch\u{202e}"; not given"#,
    );
}

// ------------------------------------------------------------------ diff

#[test]
fn diff_lists_newly_allowed_and_blocked() {
    let r = eligo(&[
        "diff",
        "policies/soc2.pol",
        "policies/soc2-or-iso27001.pol",
        "--catalog",
        "policies/catalog.json",
    ]);
    expect_code(&r, 1);
    has(&r.stdout, ": 2 newly allowed, 0 newly blocked");
    has(
        &r.stdout,
        "  + onprem/deepseek-v3.2  (was blocked by)\n      require soc2  unknown  undeclared: soc2\n",
    );

    let r = eligo(&[
        "diff",
        "policies/soc2-or-iso27001.pol",
        "policies/soc2.pol",
        "--catalog",
        "policies/catalog.json",
        "--format",
        "json",
    ]);
    expect_code(&r, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["newly_blocked"].as_array().unwrap().len(), 2);
    assert_eq!(v["newly_allowed"].as_array().unwrap().len(), 0);

    let r = eligo(&[
        "diff",
        "policies/soc2.pol",
        "policies/soc2.pol",
        "--catalog",
        "policies/catalog.json",
    ]);
    expect_code(&r, 0);
    has(&r.stdout, ": 0 newly allowed, 0 newly blocked");
}

// ------------------------------------------------------------------ hostile text

/// Characters a terminal acts on: C0 controls but the newline, DEL, C1
/// controls, line separators and bidirectional controls.
fn acts_on_terminal(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[track_caller]
fn shows_safely(r: &Run) {
    for (stream, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
        if let Some(c) = text.chars().find(|&c| acts_on_terminal(c)) {
            panic!("{stream} writes {c:?} raw:\n{text:?}");
        }
    }
}

// What broke: the human output printed target ids, models, policy names and
// test case names raw, so a catalog entry `evil/m\r\x1b[2Kallow good` made a
// terminal show "allow good" where the line said "block evil/m…".
#[test]
fn human_output_escapes_control_characters_from_catalogs_and_policies() {
    const MODEL: &str = "m\r\x1b[2Kallow good";
    const SHOWN: &str = r"m\r\u{1b}[2Kallow good";
    let catalog = Scratch::new(
        "hostile-catalog.json",
        r#"{"targets": [
            {"provider": "evil", "model": "m\r\u001b[2Kallow good", "attributes": {"soc2": false}},
            {"provider": "good", "model": "m\r\u001b[2Kallow good", "attributes": {"soc2": true}},
            {"provider": "gap\u202e", "model": "m\r\u001b[2Kallow good", "attributes": {}}
        ]}"#,
    );
    // Policy text cannot carry these characters at all (it is refused with
    // `syntax/control-character`), so the policy name here is plain.
    let old = Scratch::new("hostile-old.pol", "policy \"org\";\nrequire soc2;\n");
    let new = Scratch::new("hostile-new.pol", "require !soc2;\n");
    let evil = format!("evil/{MODEL}");
    let c = catalog.path();

    let r = eligo(&["preview", old.path(), "--catalog", c]);
    expect_code(&r, 0);
    shows_safely(&r);
    has(&r.stdout, &format!("block    evil/{SHOWN}"));
    has(&r.stdout, "policy `org`");

    let r = eligo(&["route", old.path(), "--catalog", c, "--model", MODEL]);
    expect_code(&r, 0);
    shows_safely(&r);
    has(&r.stdout, &format!("  1. good/{SHOWN}\n"));
    has(&r.stdout, &format!("  evil/{SHOWN} (removed)"));
    let r = eligo(&["route", old.path(), "--catalog", c, "--pin", &evil]);
    expect_code(&r, 1);
    shows_safely(&r);
    has(&r.stdout, &format!("pinned target `evil/{SHOWN}`"));
    // The 403 body and the event stay JSON, with JSON's own escapes.
    has(&r.stdout, r#""pinned": "evil/m\r\u001b[2Kallow good""#);
    has(&r.stdout, r#""name": "org""#);

    let r = eligo(&["check", old.path(), "--catalog", c, "--target", &evil]);
    expect_code(&r, 1);
    shows_safely(&r);
    has(&r.stdout, &format!("block  evil/{SHOWN}  (policy `org`)"));

    let r = eligo(&["diff", old.path(), new.path(), "--catalog", c]);
    expect_code(&r, 1);
    shows_safely(&r);
    has(&r.stdout, &format!("  + evil/{SHOWN}  (was blocked by)"));
    has(&r.stdout, &format!("  - good/{SHOWN}  (now blocked by)"));

    let r = eligo(&["lint", old.path(), "--catalog", c]);
    shows_safely(&r);
    has(
        &r.stdout,
        &format!("target `gap\\u{{202e}}/{SHOWN}` is blocked only"),
    );

    let tests = Scratch::new(
        "hostile.toml",
        &format!(
            "policy = {:?}\ncatalog = {:?}\n\n[[case]]\nname = \"evil\\r\\u001b[2Kpasses\"\ntarget = \"evil/m\\r\\u001b[2Kallow good\"\nexpect = \"allow\"\n",
            old.path(),
            c
        ),
    );
    let r = eligo(&["test", tests.path()]);
    expect_code(&r, 1);
    shows_safely(&r);
    has(
        &r.stdout,
        &format!("evil\\r\\u{{1b}}[2Kpasses: target `evil/{SHOWN}`"),
    );

    // JSON output keeps the values as they are.
    let r = eligo(&[
        "check",
        old.path(),
        "--catalog",
        c,
        "--target",
        &evil,
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["target"], evil.as_str());
}

// ------------------------------------------------------- impact, expiring

/// Before: three targets every shipped policy of the test passes.
const IMPACT_OLD: &str = r#"{"targets": [
    {"provider": "acme", "model": "m1", "attributes": {"soc2": true, "logs_prompts": false}},
    {"provider": "beta", "model": "m2", "attributes": {"soc2": true, "logs_prompts": false}},
    {"provider": "gone", "model": "m3", "attributes": {"soc2": true, "logs_prompts": false}}
]}"#;

/// After: acme loses its SOC 2 report, beta starts logging prompts, gone is
/// removed, and fresh is added with a SOC 2 report that expires.
const IMPACT_NEW: &str = r#"{"targets": [
    {"provider": "acme", "model": "m1", "attributes": {"soc2": false, "logs_prompts": false}},
    {"provider": "beta", "model": "m2", "attributes": {"soc2": true, "logs_prompts": true}},
    {"provider": "fresh", "model": "m1",
     "attributes": {"soc2": {"value": true, "expires": "2027-03-31"}, "logs_prompts": false}}
]}"#;

const TWO_POLICIES: [&str; 4] = [
    "--policy",
    "policies/soc2.pol",
    "--policy",
    "policies/no-prompt-logging.pol",
];

fn impact_run(old: &Scratch, new: &Scratch, extra: &[&str]) -> Run {
    let mut args = vec!["impact", old.path(), new.path()];
    args.extend(TWO_POLICIES);
    args.extend(["--date", "2027-01-01"]);
    args.extend(extra);
    eligo(&args)
}

#[test]
fn impact_json_lists_each_policys_changes() {
    let old = Scratch::new("impact-old.json", IMPACT_OLD);
    let new = Scratch::new("impact-new.json", IMPACT_NEW);
    let r = impact_run(&old, &new, &["--format", "json"]);
    expect_code(&r, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["date"], "2027-01-01");
    let p = v["policies"].as_array().unwrap();
    assert_eq!(p.len(), 2);
    let keys: Vec<&str> = p[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for k in [
        "policy",
        "file",
        "newly_allowed",
        "newly_blocked",
        "models_losing_all_targets",
        "models_gaining_targets",
    ] {
        assert!(keys.contains(&k), "{k} not in {keys:?}");
    }
    let (soc2, logging) = (&p[0], &p[1]);
    assert_eq!(soc2["policy"], "soc2");
    assert_eq!(soc2["file"], "policies/soc2.pol");
    assert_eq!(logging["policy"], "no-prompt-logging");

    // acme fails soc2 now (with the reason), gone is removed.
    let blocked = soc2["newly_blocked"].as_array().unwrap();
    assert_eq!(blocked.len(), 2, "{blocked:?}");
    assert_eq!(blocked[0]["id"], "acme/m1");
    assert_eq!(blocked[0]["change"], "changed");
    assert_eq!(blocked[0]["reasons"][0]["text"], "require soc2");
    assert_eq!(blocked[0]["reasons"][0]["value"], "false");
    assert_eq!(blocked[1]["id"], "gone/m3");
    assert_eq!(blocked[1]["change"], "removed");
    assert_eq!(blocked[1]["reasons"].as_array().unwrap().len(), 0);
    // fresh is added and passes; m1 keeps a target through it.
    let allowed = soc2["newly_allowed"].as_array().unwrap();
    assert_eq!(allowed.len(), 1);
    assert_eq!(allowed[0]["id"], "fresh/m1");
    assert_eq!(allowed[0]["change"], "added");
    assert_eq!(soc2["models_losing_all_targets"], serde_json::json!(["m3"]));
    assert_eq!(soc2["models_gaining_targets"], serde_json::json!([]));

    // beta logs prompts now: m2 has no compliant target left.
    let blocked = logging["newly_blocked"].as_array().unwrap();
    assert_eq!(blocked[0]["id"], "beta/m2");
    assert_eq!(blocked[0]["reasons"][0]["text"], "require !logs_prompts");
    assert_eq!(
        logging["models_losing_all_targets"],
        serde_json::json!(["m2", "m3"])
    );

    // The other way round, m3 is gained and acme newly allowed, with the
    // reason it was blocked before.
    let r = impact_run(&new, &old, &["--format", "json"]);
    expect_code(&r, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let soc2 = &v["policies"][0];
    assert_eq!(soc2["newly_allowed"][0]["id"], "acme/m1");
    assert_eq!(soc2["newly_allowed"][0]["change"], "changed");
    assert_eq!(
        soc2["newly_allowed"][0]["reasons"][0]["text"],
        "require soc2"
    );
    assert_eq!(soc2["newly_blocked"][0]["id"], "fresh/m1");
    assert_eq!(soc2["newly_blocked"][0]["change"], "removed");
    assert_eq!(soc2["models_gaining_targets"], serde_json::json!(["m3"]));
}

#[test]
fn impact_human_output_puts_403_models_first() {
    let old = Scratch::new("impact-h-old.json", IMPACT_OLD);
    let new = Scratch::new("impact-h-new.json", IMPACT_NEW);
    let r = impact_run(&old, &new, &["--policy", "policies/hipaa.pol"]);
    expect_code(&r, 1);
    let out = &r.stdout;
    has(out, "(evidence as of 2027-01-01): 2 of 3 policies change\n");
    has(out, "  soc2: m3\n  no-prompt-logging: m2, m3\n");
    has(
        out,
        "    - acme/m1  (now blocked by)\n        require soc2  false    because of: soc2\n",
    );
    has(out, "    - gone/m3  (removed from the catalog)\n");
    has(out, "    + fresh/m1  (added to the catalog)\n");
    has(out, "\nunchanged (1): hipaa\n");
    let at = |needle: &str| {
        out.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in:\n{out}"))
    };
    assert!(at("models that will answer 403") < at("newly blocked:"));
    assert!(at("newly blocked:") < at("newly allowed:"));
    assert!(at("newly allowed:") < at("unchanged (1)"));

    let r = impact_run(&new, &old, &[]);
    assert!(
        r.stdout.find("newly allowed:").unwrap()
            < r.stdout.find("models gaining a compliant target:").unwrap(),
        "{}",
        r.stdout
    );
    has(&r.stdout, "  soc2: m3\n");
}

#[test]
fn impact_without_changes_exits_0() {
    let old = Scratch::new("impact-same.json", IMPACT_OLD);
    let r = impact_run(&old, &old, &[]);
    expect_code(&r, 0);
    has(&r.stdout, ": 0 of 2 policies change\n");
    has(&r.stdout, "unchanged (2): soc2, no-prompt-logging\n");
    assert!(!r.stdout.contains("newly"), "{}", r.stdout);
}

/// A fresh directory under the temporary directory holding `files`,
/// removed when dropped.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new(name: &str, files: &[(&str, &str)]) -> ScratchDir {
        let dir = std::env::temp_dir().join(format!("eligo-cli-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (file, text) in files {
            std::fs::write(dir.join(file), text).unwrap();
        }
        ScratchDir(dir)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn impact_reads_every_pol_file_of_a_directory_sorted() {
    let soc2 = std::fs::read_to_string(repo_path("policies/soc2.pol")).unwrap();
    let logging = std::fs::read_to_string(repo_path("policies/no-prompt-logging.pol")).unwrap();
    let dir = ScratchDir::new(
        "impact-dir",
        &[
            ("z-soc2.pol", soc2.as_str()),
            ("a-logging.pol", logging.as_str()),
            ("notes.txt", "not a policy"),
        ],
    );
    let old = Scratch::new("impact-d-old.json", IMPACT_OLD);
    let new = Scratch::new("impact-d-new.json", IMPACT_NEW);
    let r = eligo(&[
        "impact",
        old.path(),
        new.path(),
        "--policies",
        dir.path(),
        "--format",
        "json",
    ]);
    expect_code(&r, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let names: Vec<&str> = v["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["policy"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a-logging", "z-soc2"]);

    let empty = ScratchDir::new("impact-empty", &[("notes.txt", "")]);
    let r = eligo(&["impact", old.path(), new.path(), "--policies", empty.path()]);
    expect_code(&r, 2);
    has(&r.stderr, "no `.pol` files in");
}

#[test]
fn impact_and_expiring_exit_2_on_bad_input() {
    let old = Scratch::new("impact-e-old.json", IMPACT_OLD);
    let bad = Scratch::new("impact-e-bad.json", r#"{"targets": [{"provider": 1}]}"#);
    let broken = Scratch::new("impact-e-broken.pol", "require soc2 and");
    for args in [
        vec![
            "impact",
            old.path(),
            "no-such.json",
            "--policy",
            "policies/soc2.pol",
        ],
        vec![
            "impact",
            old.path(),
            bad.path(),
            "--policy",
            "policies/soc2.pol",
        ],
        vec!["impact", old.path(), old.path(), "--policy", "no-such.pol"],
        vec!["impact", old.path(), old.path(), "--policy", broken.path()],
        vec!["impact", old.path(), old.path()],
        vec![
            "impact",
            old.path(),
            old.path(),
            "--policy",
            "policies/soc2.pol",
            "--policies",
            "policies",
        ],
        vec![
            "impact",
            old.path(),
            old.path(),
            "--policies",
            "no-such-dir",
        ],
        vec!["expiring", old.path(), "--policy", "policies/soc2.pol"],
        vec![
            "expiring",
            "no-such.json",
            "--policy",
            "policies/soc2.pol",
            "--until",
            "2027-12-31",
        ],
        vec![
            "expiring",
            old.path(),
            "--policy",
            "policies/soc2.pol",
            "--until",
            "2027-02-30",
        ],
        vec![
            "expiring",
            old.path(),
            "--policy",
            "policies/soc2.pol",
            "--from",
            "2027-06-01",
            "--until",
            "2027-01-01",
        ],
    ] {
        let r = eligo(&args);
        expect_code(&r, 2);
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
        assert!(!r.stderr.is_empty(), "{args:?}");
    }
    // Both inputs' errors are reported.
    let r = eligo(&[
        "impact",
        old.path(),
        "no-such.json",
        "--policy",
        broken.path(),
    ]);
    has(&r.stderr, "no-such.json");
    has(&r.stderr, "impact-e-broken.pol");
}

#[test]
fn expiring_lists_the_targets_lost_by_date() {
    let cat = Scratch::new("expiring.json", IMPACT_NEW);
    let base = ["expiring", cat.path()];
    let window = ["--from", "2027-01-01", "--until", "2027-12-31"];
    let mut args: Vec<&str> = base.to_vec();
    args.extend(TWO_POLICIES);
    args.extend(window);
    args.extend(["--format", "json"]);
    let r = eligo(&args);
    expect_code(&r, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (&v["from"], &v["until"]),
        (&"2027-01-01".into(), &"2027-12-31".into())
    );
    let items = v["expiring"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    let e = &items[0];
    assert_eq!(e["date"], "2027-04-01");
    assert_eq!(e["policy"], "soc2");
    assert_eq!(e["file"], "policies/soc2.pol");
    assert_eq!(e["newly_blocked"][0]["id"], "fresh/m1");
    assert_eq!(e["newly_blocked"][0]["reasons"][0]["text"], "require soc2");
    // acme/m1 fails soc2 already: m1 is left with nothing.
    assert_eq!(e["models_losing_all_targets"], serde_json::json!(["m1"]));

    let mut args: Vec<&str> = base.to_vec();
    args.extend(TWO_POLICIES);
    args.extend(window);
    let r = eligo(&args);
    expect_code(&r, 1);
    has(&r.stdout, ": 1 of 2 policies lose targets, on 1 day\n");
    has(
        &r.stdout,
        "from 2027-04-01 (evidence expired the day before):\n  soc2  (policies/soc2.pol)\n    \
         models that will answer 403: m1\n    - fresh/m1  (now blocked by)\n",
    );

    // Through the expiry date itself the evidence still holds.
    let mut args: Vec<&str> = base.to_vec();
    args.extend(TWO_POLICIES);
    args.extend(["--from", "2027-01-01", "--until", "2027-03-31"]);
    let r = eligo(&args);
    expect_code(&r, 0);
    has(&r.stdout, "no policy loses a target (2 policies checked)");
}

#[test]
fn impact_and_expiring_escape_catalog_text() {
    let old = Scratch::new(
        "impact-esc-old.json",
        r#"{"targets": [{"provider": "evil", "model": "m\r\u001b[2Kok", "attributes": {"soc2": true}}]}"#,
    );
    let new = Scratch::new(
        "impact-esc-new.json",
        r#"{"targets": [{"provider": "evil", "model": "m\r\u001b[2Kok",
            "attributes": {"soc2": {"value": true, "expires": "2027-03-31"}}}]}"#,
    );
    let r = eligo(&[
        "impact",
        old.path(),
        new.path(),
        "--policy",
        "policies/soc2.pol",
        "--date",
        "2027-06-01",
    ]);
    expect_code(&r, 1);
    assert!(
        !r.stdout.contains('\x1b') && !r.stdout.contains('\r'),
        "{:?}",
        r.stdout
    );
    has(&r.stdout, "- evil/m");
    let r = eligo(&[
        "expiring",
        new.path(),
        "--policy",
        "policies/soc2.pol",
        "--from",
        "2027-01-01",
        "--until",
        "2027-12-31",
    ]);
    expect_code(&r, 1);
    assert!(
        !r.stdout.contains('\x1b') && !r.stdout.contains('\r'),
        "{:?}",
        r.stdout
    );
}

#[test]
fn import_prints_policy_text_that_compiles() {
    let r = eligo(&[
        "import",
        "llmgateway",
        "tests/data/llmgateway/soc2-no-training.json",
    ]);
    expect_code(&r, 0);
    assert_eq!(r.stderr, "");
    has(&r.stdout, "policy \"soc2-no-training\"; # the file name\n");
    has(
        &r.stdout,
        "require !trains_on_prompts; # blockApiTraining\n",
    );
    // What it prints is a policy like any other: it formats and previews.
    let pol = Scratch::new("imported.pol", &r.stdout);
    expect_code(&eligo(&["fmt", "--check", pol.path()]), 0);
    let preview = eligo(&[
        "preview",
        pol.path(),
        "--catalog",
        "policies/llmgateway-providers.json",
    ]);
    expect_code(&preview, 0);
    has(&preview.stdout, "21 allowed, 25 blocked");
    has(&preview.stdout, "require attested");

    let r = eligo(&[
        "import",
        "keeptrusts",
        "tests/data/keeptrusts/zero-data-retention.yaml",
    ]);
    expect_code(&r, 0);
    has(
        &r.stdout,
        "require zero_data_retention; # require_zero_data_retention\n",
    );
}

#[test]
fn import_reads_standard_input_and_notes_a_policy_that_restricts_nothing() {
    let r = eligo_with(
        &["import", "llmgateway", "-"],
        r#"{"providerCompliancePolicy": {"enabled": false, "requireSoc2": true}}"#,
    );
    expect_code(&r, 0);
    has(&r.stdout, "# DISABLED: the policy says `enabled: false`");
    has(&r.stdout, "policy \"llmgateway\"; # the file name\n");
    has(
        &r.stderr,
        "note: the policy imported from `<stdin>` restricts nothing: every target is allowed",
    );
}

#[test]
fn import_refusals_exit_2_naming_the_field() {
    let bad = Scratch::new(
        "bad-llmgateway.json",
        r#"{"enabled": true, "requireSoc3": true, "dataResidency": "eu"}"#,
    );
    let r = eligo(&["--color", "never", "import", "llmgateway", bad.path()]);
    expect_code(&r, 2);
    assert_eq!(r.stdout, "");
    has(
        &r.stderr,
        "error[import/unknown-field]: field `requireSoc3`: is not a field of LLM Gateway's compliance policy (did you mean `requireSoc2`?)",
    );
    has(
        &r.stderr,
        "error[import/unsupported]: field `dataResidency`",
    );
    has(&r.stderr, bad.path());

    let r = eligo_with(
        &["--color", "never", "import", "keeptrusts", "-"],
        "policy:\n  data-routing-policy: {require_no_training: true}\npolicy: {}\n",
    );
    expect_code(&r, 2);
    has(
        &r.stderr,
        "error[import/invalid-yaml]: `<stdin>` is not valid YAML",
    );

    let r = eligo(&["import", "llmgateway", "no-such-file.json"]);
    expect_code(&r, 2);
    has(&r.stderr, "io/not-found");
    let r = eligo(&["import", "openrouter", "x.json"]);
    expect_code(&r, 2);
    has(&r.stderr, "invalid value 'openrouter'");
}
