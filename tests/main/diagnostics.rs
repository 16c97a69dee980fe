//! Snapshot tests of rendered diagnostics: `Error::render(false)` (and one
//! `Error::to_json()`) compared with `tests/snapshots/NAME.txt`.
//!
//! `ELIGO_BLESS=1 cargo test --test main diagnostics` writes the snapshots
//! instead of comparing; read every blessed file before committing it.

use std::path::Path;

use eligo::{Error, ErrorKind, Policy};

use crate::common::repo_path;

/// Compares `actual` with the snapshot `file`, or writes it when
/// `ELIGO_BLESS=1`.
pub fn snapshot(file: &str, actual: &str) {
    let path = repo_path("tests/snapshots").join(file);
    if std::env::var("ELIGO_BLESS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap_or(Path::new("."))).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = match std::fs::read_to_string(&path) {
        Ok(text) => text.replace("\r\n", "\n"),
        Err(_) => panic!(
            "snapshot {} is missing; create it with `ELIGO_BLESS=1 cargo test --test main diagnostics` \
             and review it. The output was:\n{actual}",
            path.display()
        ),
    };
    if expected != actual {
        panic!(
            "snapshot {} differs (rerun with ELIGO_BLESS=1 to accept the new output, after reading it)\n\
             --- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        );
    }
}

/// Compiles `src` (named `name` in the output), expecting an error of `kind`.
fn error(name: &str, src: &str, kind: ErrorKind) -> Error {
    let err = match Policy::compile_named(src, name, &eligo::Schema::standard()) {
        Ok(_) => panic!("{src:?} should not compile"),
        Err(e) => e,
    };
    assert_eq!(err.kind(), kind, "{err}");
    assert!(!err.diagnostics().is_empty());
    err
}

/// Snapshots the human rendering of compiling `src`.
fn check(snap: &str, src: &str, kind: ErrorKind) -> Error {
    let err = error(&format!("{snap}.pol"), src, kind);
    let rendered = err.render(false);
    assert!(!rendered.contains('\x1b'), "colour codes without colour");
    snapshot(&format!("{snap}.txt"), &rendered);
    err
}

#[test]
fn syntax_error_with_caret() {
    let err = check("syntax_error", "require soc2 or;\n", ErrorKind::Syntax);
    assert_eq!(err.diagnostics().len(), 1);
}

#[test]
fn syntax_error_at_end_of_input() {
    check("syntax_end_of_input", "require soc2 or", ErrorKind::Syntax);
}

#[test]
fn several_syntax_errors_in_one_file() {
    let err = check(
        "syntax_several",
        "require soc2 or;\nrequire gdpr;\nmode maybe;\nmax_retention_days x;\nrequir hipaa\n",
        ErrorKind::Syntax,
    );
    assert_eq!(err.diagnostics().len(), 4);
}

#[test]
fn misspelt_keyword() {
    check(
        "syntax_misspelt_keyword",
        "require soc2;\nmax_retention 30;\n",
        ErrorKind::Syntax,
    );
}

#[test]
fn single_quoted_string() {
    check(
        "syntax_single_quotes",
        "require region == 'eu';\n",
        ErrorKind::Syntax,
    );
}

#[test]
fn error_on_a_late_line_widens_the_gutter() {
    let src = format!("{}require soc2 and;\n", "require gdpr;\n".repeat(11));
    check("syntax_line_12", &src, ErrorKind::Syntax);
}

#[test]
fn unknown_attribute_with_did_you_mean() {
    check(
        "unknown_attribute",
        "require soc3 or iso27001;\n",
        ErrorKind::Compile,
    );
}

#[test]
fn unknown_attribute_without_suggestion() {
    check(
        "unknown_attribute_no_suggestion",
        "require fedramp_high;\n",
        ErrorKind::Compile,
    );
}

#[test]
fn type_error_flag_compared() {
    check(
        "type_flag_compared",
        "require soc2 <= 3;\n",
        ErrorKind::Compile,
    );
}

#[test]
fn type_error_number_as_condition() {
    check(
        "type_number_as_condition",
        "require retention_days;\n",
        ErrorKind::Compile,
    );
}

#[test]
fn type_error_text_ordered() {
    check(
        "type_text_ordered",
        "require region < \"eu\";\n",
        ErrorKind::Compile,
    );
}

#[test]
fn type_error_text_with_number() {
    check(
        "type_text_with_number",
        "require region == 3;\n",
        ErrorKind::Compile,
    );
}

#[test]
fn type_error_mixed_list() {
    check(
        "type_mixed_list",
        "require region in [\"eu\", 3];\n",
        ErrorKind::Compile,
    );
}

#[test]
fn type_error_flag_in_list() {
    check(
        "type_flag_in_list",
        "require soc2 in [];\n",
        ErrorKind::Compile,
    );
}

#[test]
fn every_compile_error_is_reported() {
    let err = check(
        "compile_several",
        "require soc3;\nrequire retention_days;\nrequire region < \"eu\";\nrequire soc2 == 1;\n",
        ErrorKind::Compile,
    );
    assert_eq!(err.diagnostics().len(), 4);
}

#[test]
fn duplicate_max_retention_days() {
    let err = check(
        "duplicate_max_retention",
        "max_retention_days 30;\nrequire soc2;\nmax_retention_days 7;\n",
        ErrorKind::Compile,
    );
    let d = &err.diagnostics()[0];
    assert_eq!(
        d.related().len(),
        1,
        "the first statement is pointed at too"
    );
    let json = serde_json::to_string_pretty(&err.to_json()).unwrap() + "\n";
    snapshot("duplicate_max_retention.json", &json);
}

#[test]
fn duplicate_policy_name() {
    check(
        "duplicate_policy_name",
        "policy \"a\";\nrequire soc2;\npolicy \"b\";\n",
        ErrorKind::Compile,
    );
}

#[test]
fn negative_retention() {
    check(
        "negative_retention",
        "max_retention_days -1;\n",
        ErrorKind::Compile,
    );
}

#[test]
fn custom_attribute_redeclaring_a_standard_one() {
    check(
        "redeclared_standard_attribute",
        "attribute soc2: number;\nrequire soc2 > 1;\n",
        ErrorKind::Compile,
    );
}

#[test]
fn custom_attribute_declared_twice() {
    check(
        "attribute_declared_twice",
        "attribute fedramp: flag;\nattribute fedramp: text;\nrequire fedramp;\n",
        ErrorKind::Compile,
    );
}

#[test]
fn nesting_too_deep() {
    let src = format!("require {}soc2{};\n", "(".repeat(70), ")".repeat(70));
    check("nesting_too_deep", &src, ErrorKind::Syntax);
}

#[test]
fn integer_out_of_range() {
    check(
        "integer_out_of_range",
        "max_retention_days 99999999999999999999;\n",
        ErrorKind::Syntax,
    );
}

#[test]
fn lookalike_unicode() {
    // Cyrillic `с` (U+0441) in `soс2`.
    check(
        "lookalike_unicode",
        "require so\u{0441}2 or iso27001;\n",
        ErrorKind::Syntax,
    );
}

#[test]
fn number_in_provider_list() {
    check(
        "number_in_provider_list",
        "allow provider [\"openai\", 42];\n",
        ErrorKind::Syntax,
    );
}

#[test]
fn invalid_utf8_file() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("eligo-diagnostics");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("latin1.pol");
    // `région` in Latin-1: 0xE9 is not UTF-8.
    std::fs::write(&path, b"require soc2;\n# r\xe9gion\nrequire gdpr;\n").unwrap();
    let err = match Policy::from_file(&path) {
        Ok(_) => panic!("a Latin-1 file should not load"),
        Err(e) => e,
    };
    assert_eq!(err.kind(), ErrorKind::Syntax);
    // The message names the file by its (machine-dependent) path.
    let rendered = err
        .with_source_name("latin1.pol")
        .render(false)
        .replace(&path.display().to_string(), "<tmp>/latin1.pol");
    snapshot("invalid_utf8.txt", &rendered);
}

#[test]
fn missing_file() {
    let err = match Policy::from_file("tests/snapshots/no-such-policy.pol") {
        Ok(_) => panic!("a missing file should not load"),
        Err(e) => e,
    };
    assert_eq!(err.kind(), ErrorKind::Io);
    // The OS error text varies, so only its start is pinned.
    let rendered = err.render(false);
    assert!(
        rendered
            .starts_with("error[io/not-found]: cannot read `tests/snapshots/no-such-policy.pol`: "),
        "{rendered}"
    );
}

#[test]
fn colour_is_only_added_on_request() {
    let err = error("x.pol", "require soc3", ErrorKind::Compile);
    assert!(err.render(true).contains("\x1b["));
    assert_eq!(err.to_string(), err.render(false).trim_end());
}
