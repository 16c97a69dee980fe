//! eligo's integration tests, one binary (`cargo test --test main`), one
//! module per kind of check:
//!
//! - `semantics`: the shared semantic suite in `tests/data/semantics.toml`,
//!   run against the compiled and the reference evaluator;
//! - `properties`: property tests over random policies and targets
//!   (`ELIGO_PROPTEST_CASES` sets the number of cases, 2000 by default);
//! - `shipped`: the policies and the example catalog under `policies/`;
//! - `catalogs`: the catalog readers and their errors;
//! - `litellm`: LiteLLM proxy configurations read as catalogs, decided as
//!   the same catalog in eligo's format is;
//! - `routing`: gateway decisions, events, layering, preview and diff;
//! - `cli`: the `eligo` command run as a process, every subcommand;
//! - `concurrency`: one policy and catalog shared by many threads;
//! - `fuzz_regressions`: minimized fuzz inputs (`tests/data/fuzz/`) and the
//!   fuzz seed corpus, through the fuzz targets' checks;
//! - `hostile`: hostile inputs, each with its documented outcome;
//! - `import`: the importers against the gateways they import from: LLM
//!   Gateway's compliance cases (`tests/data/llmgateway/`) and Keeptrusts'
//!   examples (`tests/data/keeptrusts/`);
//! - `layout`: the library's modules depend on each other in one
//!   direction, parse → IR → compile → evaluate;
//! - `diagnostics`: snapshots of rendered diagnostics in `tests/snapshots/`
//!   (`ELIGO_BLESS=1` rewrites them).

#[path = "main/catalogs.rs"]
mod catalogs;
#[path = "main/cli.rs"]
mod cli;
#[path = "main/common.rs"]
mod common;
#[path = "main/concurrency.rs"]
mod concurrency;
#[path = "main/diagnostics.rs"]
mod diagnostics;
#[path = "main/fuzz_regressions.rs"]
mod fuzz_regressions;
#[path = "main/hostile.rs"]
mod hostile;
#[path = "main/import.rs"]
mod import;
#[path = "main/layout.rs"]
mod layout;
#[path = "main/litellm.rs"]
mod litellm;
#[path = "main/properties.rs"]
mod properties;
#[path = "main/routing.rs"]
mod routing;
#[path = "main/semantics.rs"]
mod semantics;
#[path = "main/shipped.rs"]
mod shipped;
