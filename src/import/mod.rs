//! Importers: policies written for other gateways, as eligo policy text.
//!
//! ```text
//! JSON / YAML ──strict reader──▶ value tree ──fields checked──▶ .pol text ──compile──▶ Policy
//! ```
//!
//! An importer is a front end. It reads another gateway's policy with the
//! strict readers that catalogs use (a key given twice, a YAML tag, anchor
//! or merge key is an error, never resolved silently), checks every field
//! and writes policy text, which the caller compiles like any other
//! ([`crate::compile`]). It knows nothing of the stages after the text, and
//! none of them knows it.
//!
//! The text it writes is canonical: [`crate::format::format`] leaves it as
//! it is. Each statement carries a comment naming the field it comes from,
//! so a reviewer can check the translation line by line.
//!
//! **Nothing is guessed.** A field eligo cannot express with the same
//! meaning is an error naming it, and so is an unknown field (with a
//! suggestion), a value of the wrong type or a key given twice: every
//! problem is reported, not only the first. `docs/IMPORT.md` has the
//! mapping tables, and what is refused and why.
//!
//! - [`llmgateway`]: LLM Gateway's provider compliance policy (JSON);
//! - [`keeptrusts`]: the `data-routing-policy` of a Keeptrusts
//!   `policy-config.yaml`.
//!
//! The targets the imported policies judge come from the catalog readers:
//! LLM Gateway's provider definitions through
//! [`Catalog::from_provider_policies`](crate::Catalog::from_provider_policies),
//! Keeptrusts' `providers.targets` through
//! [`Catalog::from_gateway_yaml`](crate::Catalog::from_gateway_yaml).

mod keeptrusts;
mod llmgateway;

use std::path::Path;

use serde_json::Value as J;

use crate::catalog::describe;
use crate::diagnostic::{Diagnostic, Error, SourceText, is_escaped_for_terminal};

pub use keeptrusts::keeptrusts;
pub use llmgateway::llmgateway;

/// Largest text an importer reads, in bytes (4 MiB): the text is read whole
/// into a value tree first, as TOML and YAML catalogs are.
pub const MAX_IMPORT_BYTES: usize = 4 << 20;

/// Largest policy text an importer writes: the limit of policy text
/// (`syntax::MAX_SOURCE_BYTES`, 1 MiB), so that the text compiles.
const MAX_OUTPUT_BYTES: usize = 1 << 20;

/// A list printed on one line longer than this goes one entry a line, as
/// [`crate::format`] prints it (`format::MAX_WIDTH`).
const MAX_WIDTH: usize = 100;

/// Reads the text of a file to import: at most [`MAX_IMPORT_BYTES`], UTF-8.
///
/// ```
/// let text = eligo::import::read_file("tests/data/llmgateway/soc2-no-training.json")?;
/// let pol = eligo::import::llmgateway(&text, "soc2-no-training.json")?;
/// assert!(pol.contains("require !trains_on_prompts; # blockApiTraining\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_file(path: impl AsRef<Path>) -> Result<String, Error> {
    crate::files::read_text(path.as_ref(), MAX_IMPORT_BYTES)
}

/// Refuses input over [`MAX_IMPORT_BYTES`].
fn check_size(text: &str, name: &str, what: &str) -> Result<(), Error> {
    if text.len() <= MAX_IMPORT_BYTES {
        return Ok(());
    }
    Err(Error::new(
        vec![Diagnostic::error(
            "import/too-large",
            format!(
                "`{name}` is larger than the limit of {MAX_IMPORT_BYTES} bytes for {what} to import"
            ),
        )],
        Some(SourceText::new(name, "")),
    ))
}

/// The problems found in the input, each naming the field.
struct Problems {
    diags: Vec<Diagnostic>,
}

impl Problems {
    fn new() -> Problems {
        Problems { diags: Vec::new() }
    }

    /// A problem with `field` (a dotted path, `allowedCountries[1]`).
    fn field(&mut self, code: &'static str, field: &str, msg: impl Into<String>) {
        self.push(code, field, msg.into(), None);
    }

    /// A problem with `field`, with a help line.
    fn field_help(&mut self, code: &'static str, field: &str, msg: String, help: String) {
        self.push(code, field, msg, Some(help));
    }

    fn push(&mut self, code: &'static str, field: &str, msg: String, help: Option<String>) {
        let mut d = Diagnostic::error(code, format!("field `{field}`: {msg}"));
        if let Some(help) = help {
            d = d.with_help(help);
        }
        self.diags.push(d);
    }

    /// A problem with the input as a whole.
    fn file(&mut self, code: &'static str, msg: String, help: &str) {
        let mut d = Diagnostic::error(code, msg);
        if !help.is_empty() {
            d = d.with_help(help);
        }
        self.diags.push(d);
    }

    /// A value of the wrong type.
    fn wrong_type(&mut self, field: &str, want: &str, found: &J) {
        self.field(
            "import/wrong-type",
            field,
            format!("must be {want}, found {}", describe(found)),
        );
    }

    /// A key the format does not have, with the closest known one.
    fn unknown(&mut self, field: &str, key: &str, known: &[&str], what: &str) {
        match crate::schema::suggest(key, known.iter().copied()) {
            Some(near) => self.field(
                "import/unknown-field",
                field,
                format!("is not {what} (did you mean `{near}`?)"),
            ),
            None => self.field_help(
                "import/unknown-field",
                field,
                format!("is not {what}"),
                format!("known fields: {}", known.join(", ")),
            ),
        }
    }

    /// `Ok(())`, or every problem found.
    fn finish(self, name: &str) -> Result<(), Error> {
        if self.diags.is_empty() {
            Ok(())
        } else {
            Err(Error::new(self.diags, Some(SourceText::new(name, ""))))
        }
    }
}

/// A `true`/`false` field, `null` or absent meaning not set.
fn flag(obj: &serde_json::Map<String, J>, key: &str, field: &str, p: &mut Problems) -> bool {
    match obj.get(key) {
        None | Some(J::Null) => false,
        Some(J::Bool(b)) => *b,
        Some(other) => {
            p.wrong_type(field, "true or false", other);
            false
        }
    }
}

/// The strings of a list field (`null` or absent: empty), each checked to
/// be a name policy text can hold.
fn names(v: Option<&J>, field: &str, p: &mut Problems) -> Vec<String> {
    let items = match v {
        None | Some(J::Null) => return Vec::new(),
        Some(J::Array(items)) => items,
        Some(other) => {
            p.wrong_type(field, "a list of names", other);
            return Vec::new();
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("{field}[{i}]");
        match item {
            J::String(s) if s.is_empty() => p.field("import/bad-value", &at, "is empty"),
            J::String(s) if s.chars().any(is_escaped_for_terminal) => p.field(
                "import/bad-value",
                &at,
                format!(
                    "{} holds a control or bidirectional character, which policy text cannot hold",
                    describe(item)
                ),
            ),
            J::String(s) => out.push(s.clone()),
            other => p.wrong_type(&at, "a string", other),
        }
    }
    out
}

/// `names` sorted, each once: the order eligo's explanations show a list in.
fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names.dedup();
    names
}

/// The policy's name: the file name without directories and extension,
/// when that is printable text, else `fallback`.
fn policy_name(source: &str, fallback: &str) -> String {
    let stem = Path::new(source)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("");
    let printable =
        !stem.is_empty() && !stem.starts_with('<') && !stem.chars().any(is_escaped_for_terminal);
    if printable {
        stem.to_string()
    } else {
        fallback.to_string()
    }
}

/// `s` as a policy string literal, escaped as the formatter prints it.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    // Writing into a String cannot fail.
    let _ = crate::ast::write_string(&mut out, s);
    out
}

/// `["a", "b"]`.
fn string_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| quote(n)).collect();
    format!("[{}]", quoted.join(", "))
}

/// Policy text being written, canonical as [`crate::format`] prints it.
struct Writer {
    out: String,
    /// Whether an empty line goes before the next line written.
    blank: bool,
}

impl Writer {
    fn new() -> Writer {
        Writer {
            out: String::new(),
            blank: false,
        }
    }

    /// Starts a line: after an empty one, if one was asked for.
    fn line(&mut self) {
        if std::mem::take(&mut self.blank) && !self.out.is_empty() {
            self.out.push('\n');
        }
    }

    /// A comment on a line of its own (`text` is one line).
    fn comment(&mut self, text: &str) {
        self.line();
        self.out.push('#');
        if !text.is_empty() {
            self.out.push(' ');
            self.out.push_str(text.trim_end());
        }
        self.out.push('\n');
    }

    /// An empty line before the next line, if there is one: never two in
    /// a row, nor one at the start or the end.
    fn blank(&mut self) {
        self.blank = true;
    }

    /// A statement (without its `;`) with the comment naming where it
    /// comes from.
    fn statement(&mut self, stmt: &str, from: &str) {
        self.line();
        self.out.push_str(stmt);
        self.out.push_str("; # ");
        self.out.push_str(from);
        self.out.push('\n');
    }

    /// `allow` or `deny` `provider` or `model` over `names` (sorted, each
    /// once), one entry a line when the statement is too wide.
    fn list(&mut self, action: &str, field: &str, names: &[String], from: &str) {
        let one_line = format!("{action} {field} {}", string_list(names));
        // With its `;`, at most `MAX_WIDTH` columns.
        if one_line.chars().count() < MAX_WIDTH {
            self.statement(&one_line, from);
            return;
        }
        self.line();
        self.out.push_str(&format!("{action} {field} ["));
        for name in names {
            self.out.push_str("\n    ");
            self.out.push_str(&quote(name));
            self.out.push(',');
        }
        self.out.push_str("\n]; # ");
        self.out.push_str(from);
        self.out.push('\n');
    }

    /// The text, or `import/too-large` when it would not compile.
    fn finish(self, name: &str) -> Result<String, Error> {
        if self.out.len() <= MAX_OUTPUT_BYTES {
            return Ok(self.out);
        }
        Err(Error::new(
            vec![Diagnostic::error(
                "import/too-large",
                format!(
                    "the policy imported from `{name}` would be {} bytes, over the limit of {MAX_OUTPUT_BYTES} bytes for policy text",
                    self.out.len()
                ),
            )],
            Some(SourceText::new(name, "")),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_match_the_stages_they_feed() {
        assert_eq!(MAX_OUTPUT_BYTES, crate::syntax::MAX_SOURCE_BYTES);
        assert_eq!(MAX_WIDTH, crate::format::MAX_WIDTH);
    }

    /// Checks that imported text compiles and is formatted canonically.
    #[track_caller]
    pub(super) fn compiles_and_is_formatted(text: &str) {
        crate::compile(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(crate::format::format(text).unwrap(), text);
    }

    #[test]
    fn strings_are_quoted() {
        assert_eq!(quote("a\"b\\c"), r#""a\"b\\c""#);
        compiles_and_is_formatted(&format!("deny provider [{}];\n", quote("a\"b\\c")));
    }

    #[test]
    fn policy_names() {
        assert_eq!(policy_name("dir/org-policy.json", "x"), "org-policy");
        assert_eq!(policy_name("<stdin>", "llmgateway"), "llmgateway");
        assert_eq!(policy_name("", "keeptrusts"), "keeptrusts");
        assert_eq!(policy_name("a\u{202e}b.json", "x"), "x");
    }

    #[test]
    fn long_lists_go_one_entry_a_line_as_the_formatter_prints_them() {
        let names: Vec<String> = (0..20).map(|i| format!("provider-{i}")).collect();
        let mut w = Writer::new();
        w.list("deny", "provider", &names, "blockedProviders");
        let text = w.out;
        assert_eq!(text.lines().count(), 22, "{text}");
        assert_eq!(crate::format::format(&text).unwrap(), text);
        let mut w = Writer::new();
        w.list("allow", "model", &names[..2], "allowedModels");
        assert_eq!(
            w.out,
            "allow model [\"provider-0\", \"provider-1\"]; # allowedModels\n"
        );
        assert_eq!(crate::format::format(&w.out).unwrap(), w.out);
    }
}
