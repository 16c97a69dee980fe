//! The `eligo` command line: lint, format, test, check, preview, route and
//! diff policies, report what catalog changes and expiring evidence do to
//! them, and import policies written for other gateways. It is glue over the library's public API; each subcommand
//! is a function in [`commands`] that returns an exit [`output::Status`].

mod commands;
mod output;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use output::Ctx;

const EXIT_CODES: &str = "\
Exit status:
  0  allowed, routed, clean or tests passed
  1  blocked, lint errors, test failures, unformatted files or a policy change
  2  the command could not do its job (usage, unreadable or invalid input)

A FILE of `-` reads standard input (once per command).
Documentation: docs/CLI.md";

/// Decide which LLM providers a request may be routed to, and check the
/// policies that decide it.
#[derive(Parser, Debug)]
#[command(name = "eligo", version, after_help = EXIT_CODES)]
struct Cli {
    /// When to colour the output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Report errors and suspicious requirements in policies
    #[command(after_help = "\
Examples:
  eligo lint policies/*.pol
  eligo lint policies/eu-residency.pol --catalog policies/catalog.json
  eligo lint --format json --deny-warnings policies/hipaa.pol")]
    Lint(LintArgs),
    /// Format policies canonically, keeping comments
    #[command(after_help = "\
Examples:
  eligo fmt policies/*.pol          rewrite files in place
  eligo fmt --check policies/*.pol  only report files that would change
  cat a.pol | eligo fmt -           format standard input to standard output")]
    Fmt(FmtArgs),
    /// Run policy test files (see docs/CLI.md for the format)
    #[command(after_help = "\
Examples:
  eligo test policies/tests/regulated-routing.toml
  eligo test policies/tests          every .toml file in the directory")]
    Test(TestArgs),
    /// Decide one target and explain the verdict
    #[command(after_help = r#"Examples:
  eligo check policies/soc2.pol --target '{"provider": "acme", "model": "m1", "attributes": {"soc2": true}}'
  eligo check policies/hipaa.pol --catalog policies/catalog.json --target azure/gpt-4o
  echo '{"provider": "a", "model": "m"}' | eligo check policies/gdpr.pol --target -
  eligo check POLICY --catalog CATALOG --target clinic/chat --request data_class=phi --request team=research"#)]
    Check(CheckArgs),
    /// Show which targets of a catalog a policy allows and blocks, and why
    #[command(after_help = "\
Examples:
  eligo preview policies/regulated-routing.pol --catalog policies/catalog.json
  eligo preview policies/hipaa.pol --catalog policies/catalog.json --model gpt-4o --format json
  eligo preview policies/eu-residency.pol --catalog policies/litellm-config.yaml
  eligo preview POLICY --catalog CATALOG --request data_class=phi
  eligo preview POLICY --catalog CATALOG --request team=research --request-matrix data_class=public,pii,phi")]
    Preview(PreviewArgs),
    /// Route one request: the targets it may go to, or the 403 answer and security event
    #[command(after_help = "\
Examples:
  eligo route policies/regulated-routing.pol --catalog policies/catalog.json --model deepseek-v3.2
  eligo route policies/regulated-routing.pol --catalog policies/catalog.json --pin deepseek/deepseek-v3.2
  eligo route POLICY --catalog CATALOG --model gpt-4o --request data_class=pii --request team=research")]
    Route(RouteArgs),
    /// Show what a policy change newly allows and newly blocks
    #[command(after_help = "\
Examples:
  eligo diff policies/soc2.pol policies/soc2-or-iso27001.pol --catalog policies/catalog.json

Exit status 0 when no target changes verdict, 1 when some do, 2 on bad input.")]
    Diff(DiffArgs),
    /// Show what a catalog change does to every policy: targets newly
    /// blocked or allowed, and models left with no compliant target
    #[command(after_help = "\
Examples:
  eligo impact old.json new.json --policies policies
  eligo impact old.json new.json --policy policies/soc2.pol --policy policies/hipaa.pol --format json

Exit status 0 when no policy changes, 1 when some policy does, 2 on bad input.")]
    Impact(ImpactArgs),
    /// Show the targets each policy will lose as a catalog's expiring evidence runs out
    #[command(after_help = "\
Examples:
  eligo expiring policies/catalog.json --policies policies --until 2027-12-31
  eligo expiring CATALOG --policy policies/soc2.pol --from 2027-01-01 --until 2027-06-30 --format json

Exit status 0 when nothing expires in the window, 1 when some policy loses a
target, 2 on bad input.")]
    Expiring(ExpiringArgs),
    /// Translate another gateway's policy into eligo policy text, printed
    /// on standard output
    #[command(after_help = "\
Examples:
  eligo import llmgateway org-policy.json > org.pol
  eligo import keeptrusts policy-config.yaml
  cat org-policy.json | eligo import llmgateway -

Exit status 0 when the policy was imported, 2 when it cannot be read or
holds a field eligo cannot express (each such field is named).")]
    Import(ImportArgs),
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    /// Colour when writing to a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Text for people.
    #[default]
    Human,
    /// One JSON document on standard output.
    Json,
}

/// The request the commands that evaluate targets judge them for.
#[derive(Args, Debug)]
struct RequestOpts {
    /// A request attribute the policy's `when` conditions read, as
    /// NAME=VALUE (`data_class=phi`, `request.tier=3`); repeatable. The
    /// policy's schema types the value: a flag is `true` or `false`, a
    /// number a whole number. An attribute not given is unknown, and the
    /// blocks that read it apply.
    #[arg(long = "request", value_name = "NAME=VALUE")]
    attrs: Vec<String>,
}

/// Options shared by the commands that evaluate targets.
#[derive(Args, Debug)]
struct EvalOpts {
    /// Read expiring evidence as of this day (YYYY-MM-DD) instead of today.
    #[arg(long, value_name = "DATE")]
    date: Option<eligo::Date>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Args, Debug)]
struct LintArgs {
    /// Policy files (`-` for standard input).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    /// Also report the catalog's targets that are blocked only for
    /// undeclared metadata, and listed names no target has.
    #[arg(long, value_name = "FILE")]
    catalog: Option<String>,
    /// Exit with status 1 on warnings too.
    #[arg(long)]
    deny_warnings: bool,
    #[command(flatten)]
    opts: EvalOpts,
}

#[derive(Args, Debug)]
struct FmtArgs {
    /// Policy files (`-`: format standard input to standard output).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    /// Do not write; list the files that would change and exit 1 if any.
    #[arg(long)]
    check: bool,
}

#[derive(Args, Debug)]
struct TestArgs {
    /// Test files, or directories whose `.toml` files are test files.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// The policy file (`-` for standard input).
    policy: String,
    /// The target: inline JSON, `-` for JSON on standard input, a catalog
    /// id (with --catalog) or the path of a JSON file.
    #[arg(long, value_name = "TARGET")]
    target: String,
    /// A catalog to look the target id up in.
    #[arg(long, value_name = "FILE")]
    catalog: Option<String>,
    #[command(flatten)]
    request: RequestOpts,
    #[command(flatten)]
    opts: EvalOpts,
}

#[derive(Args, Debug)]
struct PreviewArgs {
    /// The policy file (`-` for standard input).
    policy: String,
    /// The catalog of targets: eligo JSON or TOML, gateway YAML, provider
    /// `dataPolicy` JSON, or a LiteLLM proxy config (YAML or JSON); the
    /// format is chosen by extension and content (docs/CATALOG.md).
    #[arg(long, value_name = "FILE")]
    catalog: String,
    /// Only the targets serving this model.
    #[arg(long, value_name = "MODEL")]
    model: Option<String>,
    #[command(flatten)]
    request: RequestOpts,
    /// One request attribute and several values, NAME=VALUE,VALUE,...: a
    /// column a value, each target allowed or blocked for a request with
    /// that value (and the --request attributes).
    #[arg(long, value_name = "NAME=VALUES")]
    request_matrix: Option<String>,
    #[command(flatten)]
    opts: EvalOpts,
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("request").required(true).multiple(true).args(["model", "pin"])))]
struct RouteArgs {
    /// The policy file (`-` for standard input).
    policy: String,
    /// The catalog of targets.
    #[arg(long, value_name = "FILE")]
    catalog: String,
    /// The requested model; `provider/model` pins that target, as an
    /// OpenAI-style `model` field does.
    #[arg(long, value_name = "MODEL")]
    model: Option<String>,
    /// Pin the request to one target id (`provider/model`): it is blocked if
    /// that target fails, never re-routed.
    #[arg(long, value_name = "ID")]
    pin: Option<String>,
    /// Route `--model` automatically among the targets serving it even when
    /// it contains `/` (a model group named `openai/gpt-4o`).
    #[arg(long, conflicts_with = "pin", requires = "model")]
    auto: bool,
    /// The host's id for the client request, carried by the security event.
    #[arg(long, value_name = "ID")]
    request_id: Option<String>,
    #[command(flatten)]
    request: RequestOpts,
    #[command(flatten)]
    opts: EvalOpts,
}

#[derive(Args, Debug)]
struct DiffArgs {
    /// The current policy.
    old: String,
    /// The proposed policy.
    new: String,
    /// The catalog to compare them on.
    #[arg(long, value_name = "FILE")]
    catalog: String,
    #[command(flatten)]
    opts: EvalOpts,
}

/// The policies `impact` and `expiring` judge: each file is one policy set,
/// named after the file.
#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("policy_sources").required(true).args(["policy", "policies"])))]
struct PolicySources {
    /// A policy file (`-` for standard input); repeatable.
    #[arg(long, value_name = "FILE")]
    policy: Vec<String>,
    /// A directory: every `.pol` file in it, sorted by name.
    #[arg(long, value_name = "DIR")]
    policies: Option<String>,
}

#[derive(Args, Debug)]
struct ImpactArgs {
    /// The current catalog.
    old: String,
    /// The proposed catalog.
    new: String,
    #[command(flatten)]
    sources: PolicySources,
    #[command(flatten)]
    opts: EvalOpts,
}

#[derive(Args, Debug)]
struct ExpiringArgs {
    /// The catalog whose expiring evidence to follow.
    catalog: String,
    #[command(flatten)]
    sources: PolicySources,
    /// The first day of the window (YYYY-MM-DD); today by default.
    #[arg(long = "from", value_name = "DATE")]
    from: Option<eligo::Date>,
    /// The last day of the window (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    until: eligo::Date,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// The formats `eligo import` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ImportFrom {
    /// LLM Gateway's provider compliance policy (JSON).
    #[value(name = "llmgateway")]
    LlmGateway,
    /// The data-routing policy of a Keeptrusts policy-config.yaml.
    Keeptrusts,
}

#[derive(Args, Debug)]
struct ImportArgs {
    /// The format of FILE.
    #[arg(value_enum)]
    from: ImportFrom,
    /// The file to import (`-` for standard input).
    file: String,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut cx = Ctx::new(match cli.color {
        ColorChoice::Auto => None,
        ColorChoice::Always => Some(true),
        ColorChoice::Never => Some(false),
    });
    let status = match cli.command {
        Command::Lint(a) => commands::lint(&mut cx, &a),
        Command::Fmt(a) => commands::fmt(&mut cx, &a),
        Command::Test(a) => commands::test(&mut cx, &a),
        Command::Check(a) => commands::check(&mut cx, &a),
        Command::Preview(a) => commands::preview(&mut cx, &a),
        Command::Route(a) => commands::route(&mut cx, &a),
        Command::Diff(a) => commands::diff(&mut cx, &a),
        Command::Impact(a) => commands::impact(&mut cx, &a),
        Command::Expiring(a) => commands::expiring(&mut cx, &a),
        Command::Import(a) => commands::import(&mut cx, &a),
    };
    let status = cx.flush(status);
    ExitCode::from(status.code())
}
