//! eligo decides which LLM providers a request may be routed to.
//!
//! A *policy* (a small `.pol` file) lists data-policy requirements; every
//! provider *target* declares data-policy attributes; a target qualifies only
//! when its declarations *explicitly* satisfy every requirement. An attribute
//! a target does not declare is unknown, and unknown never passes: eligo is
//! fail-closed.
//!
//! The pipeline, one module a stage:
//!
//! ```text
//! &str ──syntax::parse──▶ ast::Policy ──ir::lower──▶ ir::Ir ──compile::compile──▶ Program
//!                                                                   │
//!                      Target ──Program::encode──▶ literal bits ──▶ Verdict
//! ```
//!
//! - [`syntax`] parses text with a pest grammar into an [`ast`] with spans;
//! - [`ir`] resolves names against the [`Schema`], checks types and pushes
//!   negations down to literals (negation normal form);
//! - [`compile`] turns each requirement into clauses over literal bits (two
//!   bits a predicate: definitely true, definitely false), or into a small mask
//!   program where clauses would blow up;
//! - [`eval`] decides with a few mask operations and explains blocked targets;
//!   [`eval::reference`] is a plain tree walk used as the oracle in tests.
//!
//! Beside the pipeline, [`import`] translates policies written for other
//! gateways (LLM Gateway, Keeptrusts) into policy text for it to read.
//!
//! # Example
//!
//! ```
//! use eligo::{Target, Tri};
//!
//! let policy = eligo::compile("require soc2 or iso27001; require !trains_on_prompts; max_retention_days 0")?;
//!
//! let local = Target::builder("local", "llama-3")
//!     .attr("iso27001", true)
//!     .attr("trains_on_prompts", false)
//!     .attr("retention_days", 0)
//!     .build();
//! assert!(policy.evaluate(&local).is_allowed());
//!
//! // soc2 and iso27001 undeclared: unknown, so blocked.
//! let vague = Target::builder("vague", "m")
//!     .attr("trains_on_prompts", false)
//!     .attr("retention_days", 0)
//!     .build();
//! let verdict = policy.evaluate(&vague);
//! assert!(verdict.is_blocked());
//! assert_eq!(verdict.failures()[0].value(), Tri::Unknown);
//! assert_eq!(verdict.failures()[0].attributes(), ["soc2", "iso27001"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Untrusted input
//!
//! Policies, catalogs and targets may come from people who should not be
//! able to take a gateway down. Bad input gives an [`Error`] with
//! diagnostics, never a panic. Limits (`SECURITY.md` has the full table,
//! and what is left to the caller):
//!
//! - policy text: at most [`syntax::MAX_SOURCE_BYTES`] (1 MiB;
//!   `syntax/too-large`, `io/too-large` for a file); integers are 64-bit
//!   signed (`syntax/integer-out-of-range`); at most 20 grammar errors are
//!   reported;
//! - nesting: parentheses and brackets at most [`syntax::MAX_DEPTH`] (64)
//!   levels together, checked before the recursive parser runs, and
//!   parentheses and negations at most 64 levels together, checked while the
//!   syntax tree is built (`syntax/too-deep`);
//! - compile time and program size grow linearly with the policy: a
//!   requirement whose clause form would exceed [`compile::MAX_CLAUSES`] (64)
//!   clauses is compiled to a mask program instead;
//! - catalog and target files: at most [`catalog::MAX_CATALOG_BYTES`]
//!   (64 MiB; `io/too-large`); TOML and YAML catalogs at most
//!   [`catalog::MAX_TREE_CATALOG_BYTES`] (4 MiB, from files and text alike;
//!   `catalog/too-large`). Other text already in memory is not limited: the
//!   caller decides how much to accept;
//! - catalogs and target JSON, in every format: lists and objects nested at
//!   most 32 levels below the top-level value; `id`, `provider`, `model`,
//!   `endpoint`, top-level `region` and `headquarters` at most 1024 bytes
//!   (`catalog/too-long`; entries of a provider definition's `models` list
//!   are not checked); whole numbers in 64-bit range; YAML without tags,
//!   anchors, aliases or merge keys (nothing is expanded); reading stops
//!   once 100 problems are found. Duplicate keys, floats, lists and objects
//!   as values (other than expiring evidence) and unknown fields are errors,
//!   never silently resolved;
//! - policy test files: at most [`testing::MAX_TEST_FILE_BYTES`] (4 MiB);
//! - policies to import: at most [`import::MAX_IMPORT_BYTES`] (4 MiB;
//!   `import/too-large`), read with the catalogs' nesting limit and YAML
//!   restrictions;
//! - [`lint`](lint::lint): at most [`lint::MAX_ANALYSIS_STEPS`] (2^22)
//!   predicate evaluations comparing requirements, and no check over more
//!   than 12 attributes at once (skipped checks get a `lint/analysis-limit`
//!   note); at most [`lint::MAX_PER_CODE`] (100) diagnostics of one code;
//! - the Python binding: a target mapping nested at most 32 levels, at most
//!   100,000 keys a mapping, at most 65,536 values converted a target and
//!   16,777,216 a call (a shared inner mapping counts once for each
//!   reference), at most 10,000,000 targets a call, and `Catalog.from_json`
//!   text at most 64 MiB.
//!
//! The number of statements, targets and attributes is bounded only by these
//! sizes. Values built in code ([`Target::builder`], [`Catalog::new`]) are
//! not checked against the name limits.
//!
//! The library has no `unsafe` code.
//!
//! # Crate features
//!
//! - `cli` (default): the `eligo` command line (`src/bin/eligo/`, adds clap).
//!   The library itself never uses it.
//! - `python`: the Python extension module `eligo._eligo` (pyo3, abi3 for
//!   CPython >= 3.9), built with maturin from `pyproject.toml`. It converts
//!   types and maps errors only; see `python/eligo/_eligo.pyi`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Library code never panics on input: no unwrap, expect, panic or indexing
// that could go out of bounds (tests may use them).
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

// pest is built without its `std` feature (see Cargo.toml), and the parser
// it generates names `::alloc`.
extern crate alloc;

pub mod ast;
pub mod catalog;
pub mod compile;
mod diagnostic;
pub mod eval;
mod files;
pub mod format;
mod impact;
pub mod import;
pub mod ir;
pub mod lint;
mod policy;
mod preview;
#[cfg(feature = "python")]
mod python;
mod request;
mod route;
pub mod schema;
mod span;
pub mod syntax;
mod target;
pub mod testing;
mod time;

pub use catalog::{Catalog, CatalogFormat};
pub use compile::{Program, Tri};
pub use diagnostic::{
    Diagnostic, Error, ErrorKind, Label, Severity, SourceText, escape_for_terminal, render_human,
    render_json,
};
pub use eval::{AllowedSet, EncodedCatalog, Failure, Verdict};
pub use impact::{
    ExpiryImpact, PolicyImpact, PolicySet, Presence, TargetChange, allowed_by_each, expiring,
    impact,
};
pub use policy::{Mode, Policy, compile};
pub use preview::{Diff, DiffRow, Preview, PreviewRow, diff, preview, preview_for, preview_model};
pub use request::{RequestAttrs, parse_request_attr, resolve_request_attr};
pub use route::{
    Candidate, Decision, EVENT_SCHEMA, EventGroup, LayerFailure, NO_COMPLIANT_PROVIDER, Outcome,
    PolicyRef, Request, RequestRef, SecurityEvent, route, route_layered,
};
pub use schema::{AttrDef, AttrKind, REQUEST_ATTRIBUTES, Schema};
pub use span::{Position, Span};
pub use target::{Target, TargetBuilder, Value, ValueRef, WILDCARD_MODEL};
pub use time::{Date, DateError, Timestamp};

/// `Policy` and `Catalog` are shared across threads by gateways.
#[cfg(test)]
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Policy>();
    send_sync::<Catalog>();
    send_sync::<EncodedCatalog>();
};

/// The README's examples, run as doc-tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
