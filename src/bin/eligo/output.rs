//! Where the command line reads its inputs and writes its output.
//!
//! Output is collected and written once at the end, so a closed pipe
//! (`eligo preview … | head`) ends the command quietly instead of failing
//! half-way.
//!
//! Human output never writes text from a policy, a catalog, a request or a
//! file name raw: it goes through [`esc`] ([`eligo::escape_for_terminal`]),
//! so a `\r` or an escape sequence in a target id cannot rewrite what a
//! terminal shows. JSON output is left to serde_json, which escapes control
//! characters itself.

use std::borrow::Cow;
use std::io::{IsTerminal, Read, Write};

use eligo::{Catalog, Error, Policy, Schema, Target};

pub use eligo::escape_for_terminal as esc;

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Allowed, routed, clean, tests passed.
    Success,
    /// Blocked, lint errors, test failures, changes found.
    Failure,
    /// The command could not do its job.
    Error,
}

impl Status {
    pub fn code(self) -> u8 {
        match self {
            Status::Success => 0,
            Status::Failure => 1,
            Status::Error => 2,
        }
    }
}

/// The command's output buffers, colour settings and stdin guard.
pub struct Ctx {
    pub out: String,
    err: String,
    /// Colour on standard output / standard error.
    pub color: bool,
    err_color: bool,
    stdin_used: bool,
}

impl Ctx {
    /// `color`: forced on or off, or `None` to colour terminals only (and
    /// never when `NO_COLOR` is set).
    pub fn new(color: Option<bool>) -> Ctx {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let auto = |tty: bool| color.unwrap_or(tty && !no_color);
        Ctx {
            out: String::new(),
            err: String::new(),
            color: auto(std::io::stdout().is_terminal()),
            err_color: auto(std::io::stderr().is_terminal()),
            stdin_used: false,
        }
    }

    /// Writes the buffers; a failed write to stdout (other than a closed
    /// pipe) turns success into an error.
    pub fn flush(self, status: Status) -> Status {
        let mut status = status;
        if let Err(e) = std::io::stdout().lock().write_all(self.out.as_bytes()) {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                status = Status::Error;
            }
        }
        let _ = std::io::stderr().lock().write_all(self.err.as_bytes());
        status
    }

    /// Reports a library error (rendered diagnostics) on stderr.
    pub fn error(&mut self, e: &Error) -> Status {
        self.err.push_str(&e.render(self.err_color));
        if !self.err.ends_with('\n') {
            self.err.push('\n');
        }
        Status::Error
    }

    /// Reports a problem of the command line itself on stderr. The message
    /// is one line, so it is escaped whole: whatever it quotes is shown
    /// safely.
    pub fn usage(&mut self, message: &str) -> Status {
        let head = paint(self.err_color, "1;31", "error");
        self.err.push_str(&format!("{head}: {}\n", esc(message)));
        Status::Error
    }

    /// A line on stderr (progress and summaries that are not the result),
    /// escaped whole.
    pub fn note(&mut self, line: &str) {
        self.err.push_str(&esc(line));
        self.err.push('\n');
    }

    /// Reads standard input once; a second `-` is a usage error.
    pub fn stdin(&mut self, limit: usize) -> Result<String, Status> {
        if self.stdin_used {
            return Err(self.usage("standard input (`-`) can be read only once per command"));
        }
        self.stdin_used = true;
        let mut bytes = Vec::new();
        let read = std::io::stdin()
            .lock()
            .take(limit as u64 + 1)
            .read_to_end(&mut bytes);
        if let Err(e) = read {
            return Err(self.usage(&format!("cannot read standard input: {e}")));
        }
        if bytes.len() > limit {
            return Err(self.usage(&format!(
                "standard input is larger than the limit of {limit} bytes"
            )));
        }
        String::from_utf8(bytes).map_err(|e| {
            self.usage(&format!(
                "standard input is not valid UTF-8 (at byte {})",
                e.utf8_error().valid_up_to()
            ))
        })
    }

    /// The text of a policy file, or of stdin for `-`, with its display name.
    pub fn policy_text(&mut self, arg: &str) -> Result<(String, String), Status> {
        if arg == "-" {
            // Let the parser apply (and report) the size limit.
            let text = self.stdin(eligo::syntax::MAX_SOURCE_BYTES + 1)?;
            Ok((text, "<stdin>".to_string()))
        } else {
            eligo::syntax::read_source(arg)
                .map(|t| (t, arg.to_string()))
                .map_err(|e| self.error(&e))
        }
    }

    /// A compiled policy from a file or stdin.
    pub fn policy(&mut self, arg: &str) -> Result<Policy, Status> {
        let (text, name) = self.policy_text(arg)?;
        Policy::compile_named(&text, &name, &Schema::standard()).map_err(|e| self.error(&e))
    }

    /// A catalog from a file or stdin.
    pub fn catalog(&mut self, arg: &str) -> Result<Catalog, Status> {
        if arg == "-" {
            let text = self.stdin(eligo::catalog::MAX_CATALOG_BYTES)?;
            Catalog::from_text(&text, "<stdin>").map_err(|e| self.error(&e))
        } else {
            Catalog::from_file(arg).map_err(|e| self.error(&e))
        }
    }

    /// The target of `eligo check --target`: `-` (JSON on stdin), inline
    /// JSON, a catalog id, or a JSON file.
    pub fn target(&mut self, arg: &str, catalog: Option<&Catalog>) -> Result<Target, Status> {
        let (text, name) = if arg == "-" {
            (
                self.stdin(eligo::catalog::MAX_CATALOG_BYTES)?,
                "<stdin>".to_string(),
            )
        } else if arg.trim_start().starts_with('{') {
            (arg.to_string(), "--target".to_string())
        } else if let Some(c) = catalog {
            return match c.get(arg) {
                Some(t) => Ok(t.clone()),
                None => {
                    // `usage` escapes the whole message.
                    let hint = c
                        .suggest_id(arg)
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_default();
                    Err(self.usage(&format!("no target `{arg}` in the catalog{hint}")))
                }
            };
        } else {
            return Target::from_file(arg).map_err(|e| self.error(&e));
        };
        Target::from_json(&text, &name).map_err(|e| self.error(&e))
    }
}

/// `text` in ANSI colour `code` when `on`.
pub fn paint(on: bool, code: &str, text: &str) -> String {
    if on {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// Pretty JSON (serialising a `serde_json::Value` cannot fail).
pub fn json(value: &impl serde::Serialize) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".to_string());
    s.push('\n');
    s
}

/// Pretty JSON inside human output: the same JSON value as [`json`], with
/// the characters a terminal acts on that JSON leaves raw (DEL, C1
/// controls, line separators, bidirectional controls) written as `\uXXXX`
/// escapes.
pub fn json_for_terminal(value: &impl serde::Serialize) -> String {
    let text = json(value);
    let mut out = String::with_capacity(text.len());
    let mut buf = [0u8; 4];
    for c in text.chars() {
        // Raw newlines are the layout: JSON escapes those inside strings.
        let unsafe_char = c != '\n' && matches!(esc(c.encode_utf8(&mut buf)), Cow::Owned(_));
        if unsafe_char {
            // Every such character is in the Basic Multilingual Plane.
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}
