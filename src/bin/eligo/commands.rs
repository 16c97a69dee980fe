//! One function a subcommand; each returns the command's exit [`Status`].

use std::path::Path;

use eligo::testing::{Report, Suite};
use eligo::{
    Catalog, Decision, Diagnostic, Error, Failure, Mode, Outcome, Policy, Presence, RequestAttrs,
    Severity, SourceText, Tri, Value, Verdict,
};

use crate::output::{Ctx, Status, esc, json, json_for_terminal, paint};
use crate::{
    CheckArgs, DiffArgs, ExpiringArgs, FmtArgs, Format, ImpactArgs, ImportArgs, ImportFrom,
    LintArgs, PolicySources, PreviewArgs, RouteArgs, TestArgs,
};

/// `eligo lint`: errors, then warnings, for every file.
pub fn lint(cx: &mut Ctx, a: &LintArgs) -> Status {
    let catalog = match &a.catalog {
        Some(path) => match cx.catalog(path) {
            Ok(c) => Some((c, path.as_str())),
            Err(s) => return s,
        },
        None => None,
    };
    let mut status = Status::Success;
    let mut all_json = Vec::new();
    let (mut errors, mut warnings, mut read) = (0usize, 0usize, 0usize);
    for file in &a.files {
        let (text, name) = match cx.policy_text(file) {
            Ok(x) => x,
            Err(s) => {
                status = status.max(s);
                continue;
            }
        };
        read += 1;
        let source = SourceText::new(name.as_str(), text.as_str());
        let diags: Vec<Diagnostic> =
            match Policy::compile_named(&text, &name, &eligo::Schema::standard()) {
                Ok(policy) => {
                    let mut d = eligo::lint::lint(&policy);
                    if let Some((c, cname)) = &catalog {
                        d.extend(eligo::lint::lint_catalog(&policy, c, cname, a.opts.date));
                    }
                    d
                }
                Err(e) => e.diagnostics().to_vec(),
            };
        for d in &diags {
            match d.severity() {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
                _ => {}
            }
        }
        match a.opts.format {
            Format::Human if diags.is_empty() => {}
            Format::Human => cx
                .out
                .push_str(&eligo::render_human(&diags, Some(&source), cx.color)),
            Format::Json => {
                if let serde_json::Value::Array(items) = eligo::render_json(&diags, Some(&source)) {
                    all_json.extend(items);
                }
            }
        }
    }
    if errors > 0 || (a.deny_warnings && warnings > 0) {
        status = status.max(Status::Failure);
    }
    match a.opts.format {
        Format::Json => cx.out.push_str(&json(&all_json)),
        Format::Human => {
            let unread = a.files.len() - read;
            let mut head = format!("{} checked", plural(read, "file"));
            if unread > 0 {
                head.push_str(&format!(", {unread} could not be read"));
            }
            let summary = if errors + warnings == 0 && unread == 0 {
                format!("{head}: no problems")
            } else if errors + warnings == 0 {
                head
            } else {
                format!(
                    "{head}: {}, {}",
                    plural(errors, "error"),
                    plural(warnings, "warning")
                )
            };
            cx.out.push_str(&summary);
            cx.out.push('\n');
        }
    }
    status
}

/// `eligo fmt`: rewrite files canonically, or with `--check` list those that
/// would change.
pub fn fmt(cx: &mut Ctx, a: &FmtArgs) -> Status {
    let mut status = Status::Success;
    let (mut changed, mut unchanged) = (0usize, 0usize);
    for file in &a.files {
        let (text, name) = match cx.policy_text(file) {
            Ok(x) => x,
            Err(s) => {
                status = status.max(s);
                continue;
            }
        };
        let formatted = match eligo::format::format_named(&text, &name) {
            Ok(f) => f,
            Err(e) => {
                status = status.max(cx.error(&e));
                continue;
            }
        };
        let same = formatted == text;
        if same {
            unchanged += 1;
        } else {
            changed += 1;
        }
        if a.check {
            if !same {
                cx.out.push_str(&format!(
                    "would reformat {}{}\n",
                    esc(&name),
                    first_difference(&text, &formatted)
                ));
                status = status.max(Status::Failure);
            }
        } else if file == "-" {
            cx.out.push_str(&formatted);
        } else if !same {
            if let Err(e) = write_atomically(file, &formatted) {
                status = status.max(cx.usage(&format!("cannot write `{file}`: {e}")));
            }
        }
    }
    if a.files.iter().all(|f| f != "-") {
        let verb = if a.check {
            "would reformat"
        } else {
            "reformatted"
        };
        cx.note(&format!(
            "{verb} {}, {unchanged} unchanged",
            plural(changed, "file")
        ));
    }
    status
}

/// Replaces `path` by `text` through a temporary file in the same directory,
/// so an interrupted write never leaves a half-written policy.
fn write_atomically(path: &str, text: &str) -> std::io::Result<()> {
    let path = Path::new(path);
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("policy");
    let tmp = path.with_file_name(format!(".{name}.eligo-fmt.tmp"));
    std::fs::write(&tmp, text)?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(&tmp, meta.permissions());
    }
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Where two texts first differ, for `fmt --check`: ` (first difference
/// at line N)`, or what differs when the lines are the same.
fn first_difference(old: &str, new: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (old.split('\n').collect(), new.split('\n').collect());
    let same_lines = a.len() == b.len()
        && a.iter()
            .zip(&b)
            .all(|(x, y)| x.strip_suffix('\r').unwrap_or(x) == y.strip_suffix('\r').unwrap_or(y));
    if same_lines {
        return " (line endings)".to_string();
    }
    if old.strip_suffix('\n').is_none() && format!("{old}\n") == new {
        return " (missing final newline)".to_string();
    }
    let line = a
        .iter()
        .zip(&b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    format!(" (first difference at line {})", line + 1)
}

/// `eligo test`: run test files; directories contribute their `.toml` files.
pub fn test(cx: &mut Ctx, a: &TestArgs) -> Status {
    let mut files = Vec::new();
    for arg in &a.files {
        let path = Path::new(arg);
        if path.is_dir() {
            match std::fs::read_dir(path) {
                Ok(entries) => {
                    let mut found: Vec<String> = entries
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                        .map(|p| p.display().to_string())
                        .collect();
                    found.sort();
                    if found.is_empty() {
                        return cx.usage(&format!("no `.toml` test files in `{arg}`"));
                    }
                    files.extend(found);
                }
                Err(e) => return cx.usage(&format!("cannot read the directory `{arg}`: {e}")),
            }
        } else {
            files.push(arg.clone());
        }
    }
    let mut status = Status::Success;
    let mut reports: Vec<Report> = Vec::new();
    let mut invalid = 0usize;
    for file in &files {
        let suite = if file == "-" {
            match cx.stdin(eligo::testing::MAX_TEST_FILE_BYTES) {
                Ok(text) => Suite::from_str_in(&text, "<stdin>", Path::new(".")),
                Err(s) => {
                    status = status.max(s);
                    invalid += 1;
                    continue;
                }
            }
        } else {
            Suite::from_file(file)
        };
        match suite {
            Ok(suite) => reports.push(suite.run()),
            Err(e) => {
                status = status.max(cx.error(&e));
                invalid += 1;
            }
        }
    }
    let (passed, failed): (usize, usize) = reports.iter().fold((0, 0), |(p, f), r| {
        let bad = r.failures().count();
        (p + r.outcomes.len() - bad, f + bad)
    });
    if failed > 0 {
        status = status.max(Status::Failure);
    }
    match a.format {
        Format::Json => cx.out.push_str(&json(&reports)),
        Format::Human => {
            for r in &reports {
                let bad = r.failures().count();
                let mark = if bad == 0 {
                    paint(cx.color, "1;32", "ok")
                } else {
                    paint(cx.color, "1;31", "FAILED")
                };
                cx.out.push_str(&format!(
                    "{mark}  {} (policy `{}`): {} passed, {} failed\n",
                    esc(&r.file),
                    esc(&r.policy),
                    r.outcomes.len() - bad,
                    bad
                ));
                for o in r.failures() {
                    let request = if o.request.is_empty() {
                        String::new()
                    } else {
                        let given: Vec<String> =
                            o.request.iter().map(|(n, v)| format!("{n}={v}")).collect();
                        format!(", request {}", esc(&given.join(", ")))
                    };
                    cx.out.push_str(&format!(
                        "  {} {}: target `{}`{request}\n",
                        paint(cx.color, "1;31", "✗"),
                        esc(&o.case),
                        esc(&o.target)
                    ));
                    for m in &o.mismatches {
                        cx.out.push_str(&format!("      {}\n", esc(m)));
                    }
                    if o.verdict.is_blocked() {
                        cx.out.push_str("      blocked by:\n");
                        failure_table(cx, o.verdict.failures(), "        ");
                    }
                }
            }
            let result = if invalid > 0 {
                paint(cx.color, "1;31", "ERROR")
            } else if failed == 0 {
                paint(cx.color, "1;32", "ok")
            } else {
                paint(cx.color, "1;31", "FAILED")
            };
            let unread = if invalid > 0 {
                format!(", {} could not be run", plural(invalid, "file"))
            } else {
                String::new()
            };
            cx.out.push_str(&format!(
                "\ntest result: {result}. {passed} passed, {failed} failed ({}{unread})\n",
                plural(reports.len(), "file")
            ));
        }
    }
    status
}

/// `eligo check`: one target's verdict with its reasons.
pub fn check(cx: &mut Ctx, a: &CheckArgs) -> Status {
    let policy = match cx.policy(&a.policy) {
        Ok(p) => p,
        Err(s) => return s,
    };
    let catalog = match &a.catalog {
        Some(path) => match cx.catalog(path) {
            Ok(c) => Some(c),
            Err(s) => return s,
        },
        None => None,
    };
    let target = match cx.target(&a.target, catalog.as_ref()) {
        Ok(t) => t,
        Err(s) => return s,
    };
    let attrs = match request_attrs(cx, &[&policy], &a.request.attrs) {
        Ok(x) => x,
        Err(s) => return s,
    };
    let v = policy.evaluate_for(&target, &attrs, a.opts.date);
    match a.opts.format {
        Format::Json => cx.out.push_str(&json(&serde_json::json!({
            "policy": policy.display_name(),
            "target": target.id(),
            "request": request_json(&[&policy], &attrs),
            "allowed": v.is_allowed(),
            "failures": v.failures(),
        }))),
        Format::Human => {
            cx.out.push_str(&format!(
                "{}  {}  (policy `{}`)\n",
                verdict_word(cx, &v),
                esc(target.id()),
                esc(policy.display_name())
            ));
            if let Some(line) = request_line(&[&policy], &attrs) {
                cx.out.push_str(&format!("  {line}\n"));
            }
            if v.is_blocked() {
                failure_table(cx, v.failures(), "  ");
            }
        }
    }
    if v.is_allowed() {
        Status::Success
    } else {
        Status::Failure
    }
}

fn verdict_word(cx: &Ctx, v: &Verdict) -> String {
    if v.is_allowed() {
        paint(cx.color, "1;32", "allow")
    } else {
        paint(cx.color, "1;31", "block")
    }
}

/// Writes one line a failure: requirement, value (false or unknown) and
/// the attributes that decide it, aligned, each line after `indent`.
fn failure_table(cx: &mut Ctx, failures: &[Failure], indent: &str) {
    let width = failures
        .iter()
        .map(|f| shorten(f.text()).chars().count())
        .max()
        .unwrap_or(0);
    for f in failures {
        let line = failure_line(cx.color, f, width);
        cx.out.push_str(&format!("{indent}{line}\n"));
    }
}

/// `require soc2     unknown  undeclared: soc2`, padded to `width`. A
/// requirement under a `when` block adds `applies because CONDITION`, and
/// names the request attributes not given when that is why it applied.
fn failure_line(color: bool, f: &Failure, width: usize) -> String {
    let text = shorten(f.text());
    let pad = width.saturating_sub(text.chars().count());
    let unknown = f.value() == Tri::Unknown;
    let value = if unknown {
        paint(color, "33", "unknown")
    } else {
        paint(color, "31", "false  ")
    };
    // Under a condition, the request attributes among `attributes` are
    // those the request did not give (the failure is unknown), or those
    // whose values made the condition hold (it is false): the condition
    // says the second, so they are not repeated.
    let (request, target): (Vec<&str>, Vec<&str>) = f
        .attributes()
        .iter()
        .map(String::as_str)
        .partition(|a| f.condition().is_some() && a.starts_with(eligo::schema::REQUEST_PREFIX));
    let attrs = if target.is_empty() {
        String::new()
    } else if unknown {
        format!("  undeclared: {}", esc(&target.join(", ")))
    } else {
        format!("  because of: {}", esc(&target.join(", ")))
    };
    let condition = match f.condition() {
        None => String::new(),
        Some(c) if request.is_empty() || !unknown => format!("  applies because {}", esc(c)),
        Some(c) => format!(
            "  applies because {} may hold ({} not given)",
            esc(c),
            esc(&request.join(", "))
        ),
    };
    format!("{text}{}  {value}{attrs}{condition}", " ".repeat(pad))
}

/// Requirement text, escaped for the terminal and cut to 60 characters
/// for tables.
fn shorten(text: &str) -> String {
    let text = esc(text);
    if text.chars().count() <= 60 {
        text.into_owned()
    } else {
        let mut s: String = text.chars().take(59).collect();
        s.push('…');
        s
    }
}

/// `eligo preview`: every target (or those serving `--model`) with its
/// verdict and reasons.
pub fn preview(cx: &mut Ctx, a: &PreviewArgs) -> Status {
    let (policy, catalog) = match load_pair(cx, &a.policy, &a.catalog) {
        Ok(x) => x,
        Err(s) => return s,
    };
    if let Some(model) = &a.model {
        if catalog.serving(model).next().is_none() {
            let hint = catalog
                .suggest_model(model)
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            return cx.usage(&format!(
                "no target in `{}` serves the model `{model}`{hint}",
                shown(&a.catalog)
            ));
        }
    }
    let attrs = match request_attrs(cx, &[&policy], &a.request.attrs) {
        Ok(x) => x,
        Err(s) => return s,
    };
    if let Some(spec) = &a.request_matrix {
        let (name, values) = match request_matrix(cx, &[&policy], spec, &attrs) {
            Ok(x) => x,
            Err(s) => return s,
        };
        return preview_matrix(cx, a, &policy, &catalog, &attrs, &name, &values);
    }
    let p = eligo::preview_for(&policy, &catalog, a.model.as_deref(), &attrs, a.opts.date);
    match a.opts.format {
        Format::Json => cx.out.push_str(&json(&preview_json(&p, &policy, &attrs))),
        Format::Human => {
            let scope = match &a.model {
                Some(m) => format!(" for model `{}`", esc(m)),
                None => String::new(),
            };
            cx.out.push_str(&format!(
                "policy `{}` on `{}`{scope}: {} allowed, {} blocked\n",
                esc(&p.policy),
                esc(&a.catalog),
                p.allowed,
                p.blocked
            ));
            if let Some(line) = request_line(&[&policy], &attrs) {
                cx.out.push_str(&format!("{line}\n"));
            }
            cx.out.push('\n');
            let id_width = p
                .rows
                .iter()
                .map(|r| esc(&r.id).chars().count())
                .max()
                .unwrap_or(0)
                .max(6);
            let req_width = p
                .rows
                .iter()
                .flat_map(|r| r.failures.iter())
                .map(|f| shorten(f.text()).chars().count())
                .max()
                .unwrap_or(0);
            cx.out.push_str(&format!(
                "{}\n",
                paint(
                    cx.color,
                    "1",
                    &format!("VERDICT  {:<id_width$}  WHY", "TARGET")
                )
                .trim_end()
            ));
            for row in &p.rows {
                let word = if row.allowed {
                    paint(cx.color, "1;32", "allow")
                } else {
                    paint(cx.color, "1;31", "block")
                };
                let id = esc(&row.id);
                let id_pad = " ".repeat(id_width.saturating_sub(id.chars().count()));
                match row.failures.split_first() {
                    None => cx.out.push_str(&format!("{word}    {id}\n")),
                    Some((first, rest)) => {
                        cx.out.push_str(&format!(
                            "{word}    {id}{id_pad}  {}\n",
                            failure_line(cx.color, first, req_width)
                        ));
                        let blank = " ".repeat(9 + id_width + 2);
                        for f in rest {
                            cx.out.push_str(&format!(
                                "{blank}{}\n",
                                failure_line(cx.color, f, req_width)
                            ));
                        }
                    }
                }
            }
        }
    }
    if p.allowed > 0 {
        Status::Success
    } else {
        Status::Failure
    }
}

/// The preview as JSON, with the request it was made for.
fn preview_json(p: &eligo::Preview, policy: &Policy, attrs: &RequestAttrs) -> serde_json::Value {
    let mut value = serde_json::to_value(p).unwrap_or(serde_json::Value::Null);
    if let serde_json::Value::Object(map) = &mut value {
        map.insert("request".to_string(), request_json(&[policy], attrs));
    }
    value
}

/// `--request-matrix NAME=VALUE,VALUE,...`: the attribute's bare name and
/// its values, each typed as `--request NAME=VALUE` would be. An empty or
/// repeated value, or NAME also given with `--request`, is a usage error.
fn request_matrix(
    cx: &mut Ctx,
    policies: &[&Policy],
    spec: &str,
    attrs: &RequestAttrs,
) -> Result<(String, Vec<Value>), Status> {
    let Some((name, list)) = spec.split_once('=') else {
        return Err(cx.usage(&format!(
            "--request-matrix `{spec}` is not NAME=VALUE,VALUE,... (e.g. data_class=public,pii,phi)"
        )));
    };
    let mut bare = None;
    let mut values: Vec<Value> = Vec::new();
    for item in list.split(',') {
        if item.trim().is_empty() {
            return Err(cx.usage(&format!("--request-matrix `{spec}` has an empty value")));
        }
        let (n, value) =
            request_attr(policies, &format!("{name}={item}")).map_err(|e| cx.error(&e))?;
        if values.contains(&value) {
            return Err(cx.usage(&format!(
                "--request-matrix gives the value {value} of `request.{n}` twice"
            )));
        }
        bare = Some(n);
        values.push(value);
    }
    let Some(name) = bare else {
        return Err(cx.usage(&format!("--request-matrix `{spec}` gives no value")));
    };
    if attrs.get(&name).is_some() {
        return Err(cx.usage(&format!(
            "`request.{name}` is given with both --request and --request-matrix"
        )));
    }
    Ok((name, values))
}

/// `eligo preview --request-matrix`: a column a value of one request
/// attribute, each target allowed or blocked for a request with that value
/// and `attrs`. Exit status 1 when some value's request can reach no
/// target shown.
fn preview_matrix(
    cx: &mut Ctx,
    a: &PreviewArgs,
    policy: &Policy,
    catalog: &Catalog,
    attrs: &RequestAttrs,
    name: &str,
    values: &[Value],
) -> Status {
    let columns: Vec<(&Value, RequestAttrs, eligo::Preview)> = values
        .iter()
        .map(|v| {
            let with = attrs.clone().with(name, v.clone());
            let p = eligo::preview_for(policy, catalog, a.model.as_deref(), &with, a.opts.date);
            (v, with, p)
        })
        .collect();
    match a.opts.format {
        Format::Json => {
            let columns: Vec<serde_json::Value> = columns
                .iter()
                .map(|(v, with, p)| {
                    serde_json::json!({
                        "value": v,
                        "preview": preview_json(p, policy, with),
                    })
                })
                .collect();
            cx.out.push_str(&json(&serde_json::json!({
                "policy": policy.display_name(),
                "attribute": name,
                "columns": columns,
            })));
        }
        Format::Human => matrix_human(cx, a, policy, attrs, name, &columns),
    }
    if columns.iter().all(|(_, _, p)| p.allowed > 0) {
        Status::Success
    } else {
        Status::Failure
    }
}

fn matrix_human(
    cx: &mut Ctx,
    a: &PreviewArgs,
    policy: &Policy,
    attrs: &RequestAttrs,
    name: &str,
    columns: &[(&Value, RequestAttrs, eligo::Preview)],
) {
    let scope = match &a.model {
        Some(m) => format!(" for model `{}`", esc(m)),
        None => String::new(),
    };
    cx.out.push_str(&format!(
        "policy `{}` on `{}`{scope}, a column for each value of request.{}\n",
        esc(policy.display_name()),
        esc(&a.catalog),
        esc(name)
    ));
    if let Some(line) = request_line_for(&[policy], attrs, Some(name)) {
        cx.out.push_str(&format!("{line}\n"));
    }
    cx.out.push('\n');
    // Every column lists the same targets, in catalog order.
    let rows: &[eligo::PreviewRow] = columns.first().map_or(&[], |(_, _, p)| &p.rows);
    let label = "allowed";
    let id_width = rows
        .iter()
        .map(|r| esc(&r.id).chars().count())
        .chain([6, label.len()])
        .max()
        .unwrap_or(6);
    let heads: Vec<String> = columns
        .iter()
        .map(|(v, _, _)| match v {
            Value::Text(t) => esc(t).into_owned(),
            other => other.to_string(),
        })
        .collect();
    let counts: Vec<String> = columns
        .iter()
        .map(|(_, _, p)| format!("{} of {}", p.allowed, p.rows.len()))
        .collect();
    let widths: Vec<usize> = heads
        .iter()
        .zip(&counts)
        .map(|(h, c)| h.chars().count().max(c.len()).max(label.len()))
        .collect();
    let cell = |text: &str, width: usize| {
        format!(
            "{text}{}",
            " ".repeat(width.saturating_sub(text.chars().count()))
        )
    };
    let mut head = cell("TARGET", id_width);
    for (h, w) in heads.iter().zip(&widths) {
        head.push_str("  ");
        head.push_str(&cell(h, *w));
    }
    cx.out
        .push_str(&format!("{}\n", paint(cx.color, "1", head.trim_end())));
    for (i, row) in rows.iter().enumerate() {
        let mut line = cell(&esc(&row.id), id_width);
        for ((_, _, p), w) in columns.iter().zip(&widths) {
            let allowed = p.rows.get(i).is_some_and(|r| r.allowed);
            let (word, code) = if allowed {
                ("allowed", "1;32")
            } else {
                ("blocked", "1;31")
            };
            line.push_str("  ");
            line.push_str(&paint(cx.color, code, word));
            line.push_str(&" ".repeat(w.saturating_sub(word.len())));
        }
        cx.out.push_str(line.trim_end());
        cx.out.push('\n');
    }
    let mut line = cell(label, id_width);
    for (c, w) in counts.iter().zip(&widths) {
        line.push_str("  ");
        line.push_str(&cell(c, *w));
    }
    cx.out.push_str(&format!("\n{}\n", line.trim_end()));
}

fn load_pair(cx: &mut Ctx, policy: &str, catalog: &str) -> Result<(Policy, Catalog), Status> {
    let policy = cx.policy(policy)?;
    let catalog = cx.catalog(catalog)?;
    Ok((policy, catalog))
}

/// `eligo route`: the decision for one request, with its 403 body and
/// security event when there is one.
pub fn route(cx: &mut Ctx, a: &RouteArgs) -> Status {
    let (policy, catalog) = match load_pair(cx, &a.policy, &a.catalog) {
        Ok(x) => x,
        Err(s) => return s,
    };
    let mut request = match (&a.pin, &a.model) {
        (Some(pin), Some(model)) => eligo::Request::pin(pin.as_str()).for_model(model.as_str()),
        (Some(pin), None) => eligo::Request::pin(pin.as_str()),
        (None, Some(model)) if a.auto => eligo::Request::model(model.as_str()),
        (None, Some(model)) => eligo::Request::from_model_field(model),
        (None, None) => return cx.usage("give --model or --pin"),
    };
    if let Some(id) = &a.request_id {
        request = request.with_id(id.as_str());
    }
    if let Some(d) = a.opts.date {
        request = request.on(d);
    }
    let attrs = match request_attrs(cx, &[&policy], &a.request.attrs) {
        Ok(x) => x,
        Err(s) => return s,
    };
    let request = request.with_attrs(attrs);
    let d = match eligo::route(&policy, &catalog, &request) {
        Ok(d) => d,
        Err(e) => return cx.error(&e),
    };
    match a.opts.format {
        Format::Json => cx.out.push_str(&json(&serde_json::json!({
            "outcome": d.outcome(),
            "status": d.status(),
            "request": request_json(&[&policy], request.attrs()),
            "targets": d.targets(),
            "candidates": d.candidates(),
            "error": d.error_body(),
            "event": d.event().map(|e| e.to_json()),
        }))),
        Format::Human => route_human(cx, &policy, &request, &d),
    }
    if d.is_blocked() {
        Status::Failure
    } else {
        Status::Success
    }
}

fn route_human(cx: &mut Ctx, policy: &Policy, request: &eligo::Request, d: &Decision) {
    let what = match request.pinned() {
        Some(pin) => format!("pinned target `{}`", esc(pin)),
        None => format!("model `{}`", esc(request.requested_model())),
    };
    let head = match d.outcome() {
        Outcome::Routed => paint(cx.color, "1;32", "routed"),
        Outcome::Warned => paint(cx.color, "1;33", "warned"),
        Outcome::Blocked => paint(cx.color, "1;31", "blocked"),
    };
    cx.out.push_str(&format!(
        "{head}  {what} under policy `{}` ({} mode): HTTP {}\n",
        esc(policy.display_name()),
        policy.mode().as_str(),
        d.status()
    ));
    if let Some(line) = request_line(&[policy], request.attrs()) {
        cx.out.push_str(&format!("{line}\n"));
    }
    if !d.targets().is_empty() {
        cx.out.push_str("\nroute to, in order:\n");
        for (i, t) in d.targets().iter().enumerate() {
            cx.out.push_str(&format!("  {}. {}\n", i + 1, esc(t)));
        }
    }
    let failing: Vec<&eligo::Candidate> = d.candidates().iter().filter(|c| !c.compliant).collect();
    if !failing.is_empty() {
        cx.out.push_str("\nnon-compliant candidates:\n");
        for c in failing {
            let kept = if c.routed {
                " (kept: its failures are in warn mode)"
            } else {
                " (removed)"
            };
            cx.out.push_str(&format!("  {}{kept}\n", esc(&c.id)));
            let failures: Vec<Failure> = c.failures.iter().map(|f| f.failure.clone()).collect();
            failure_table(cx, &failures, "    ");
        }
    }
    if let Some(body) = d.error_body() {
        cx.out.push_str("\nresponse body (HTTP 403):\n");
        cx.out.push_str(&json_for_terminal(&body));
    }
    if let Some(e) = d.event() {
        cx.out.push_str("\nsecurity event:\n");
        cx.out.push_str(&json_for_terminal(&e.to_json()));
    }
}

/// `eligo diff`: targets whose verdict changes from OLD to NEW.
pub fn diff(cx: &mut Ctx, a: &DiffArgs) -> Status {
    let old = match cx.policy(&a.old) {
        Ok(p) => p,
        Err(s) => return s,
    };
    let (new, catalog) = match load_pair(cx, &a.new, &a.catalog) {
        Ok(x) => x,
        Err(s) => return s,
    };
    let d = eligo::diff(&old, &new, &catalog, a.opts.date);
    match a.opts.format {
        Format::Json => cx.out.push_str(&json(&d)),
        Format::Human => {
            cx.out.push_str(&format!(
                "`{}` → `{}` on `{}`: {} newly allowed, {} newly blocked\n",
                esc(shown(&a.old)),
                esc(shown(&a.new)),
                esc(shown(&a.catalog)),
                d.newly_allowed.len(),
                d.newly_blocked.len()
            ));
            let allowed: Vec<_> = d.newly_allowed.iter().map(|r| (&r.id, &r.before)).collect();
            diff_section(cx, "newly allowed:", "+", "was blocked by", &allowed);
            let blocked: Vec<_> = d.newly_blocked.iter().map(|r| (&r.id, &r.after)).collect();
            diff_section(cx, "newly blocked:", "-", "now blocked by", &blocked);
            cx.out.push_str(&format!(
                "\nunchanged: {} allowed, {} blocked\n",
                d.still_allowed.len(),
                d.still_blocked.len()
            ));
        }
    }
    if d.is_empty() {
        Status::Success
    } else {
        Status::Failure
    }
}

/// One part of the diff: each target with the failures that explain it.
fn diff_section(
    cx: &mut Ctx,
    title: &str,
    sign: &str,
    why: &str,
    rows: &[(&String, &Vec<Failure>)],
) {
    if rows.is_empty() {
        return;
    }
    cx.out
        .push_str(&format!("\n{}\n", paint(cx.color, "1;33", title)));
    for (id, failures) in rows {
        cx.out.push_str(&format!("  {sign} {}  ({why})\n", esc(id)));
        failure_table(cx, failures, "      ");
    }
}

/// The policy sets of `--policy FILE...` (in the order given) or
/// `--policies DIR` (its `.pol` files, sorted by name), each one policy
/// named after its file (`soc2` for `policies/soc2.pol`), with the file
/// arguments. Every file is read and compiled, each error reported, before
/// failing.
fn policy_sets(
    cx: &mut Ctx,
    sources: &PolicySources,
) -> Result<(Vec<eligo::PolicySet>, Vec<String>), Status> {
    let files = match &sources.policies {
        Some(dir) => {
            let entries = std::fs::read_dir(dir)
                .map_err(|e| cx.usage(&format!("cannot read directory `{dir}`: {e}")))?;
            let mut found: Vec<String> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "pol"))
                .filter_map(|p| p.to_str().map(str::to_string))
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(cx.usage(&format!("no `.pol` files in `{dir}`")));
            }
            found
        }
        None => sources.policy.clone(),
    };
    let mut sets = Vec::with_capacity(files.len());
    let mut status = Status::Success;
    for file in &files {
        match cx.policy(file) {
            Ok(policy) => sets.push(eligo::PolicySet {
                name: set_name(file),
                layers: vec![policy],
            }),
            Err(s) => status = status.max(s),
        }
    }
    if status == Status::Success {
        Ok((sets, files))
    } else {
        Err(status)
    }
}

/// A policy set's name: its file's name without the extension
/// (`<stdin>` for `-`).
fn set_name(file: &str) -> String {
    if file == "-" {
        return shown(file).to_string();
    }
    Path::new(file)
        .file_stem()
        .map_or_else(|| file.to_string(), |s| s.to_string_lossy().into_owned())
}

/// ` [warn]` after the name of a set with a layer in warn mode (which logs
/// instead of blocking).
fn warn_tag(modes: &[Mode]) -> &'static str {
    if modes.contains(&Mode::Warn) {
        " [warn: logged, not blocked]"
    } else {
        ""
    }
}

/// `eligo impact`: what replacing catalog OLD by NEW does to each policy.
pub fn impact(cx: &mut Ctx, a: &ImpactArgs) -> Status {
    let sets = policy_sets(cx, &a.sources);
    let old = cx.catalog(&a.old);
    let new = cx.catalog(&a.new);
    let ((sets, files), old, new) = match (sets, old, new) {
        (Ok(s), Ok(o), Ok(n)) => (s, o, n),
        (s, o, n) => {
            return [s.err(), o.err(), n.err()]
                .into_iter()
                .flatten()
                .fold(Status::Error, Status::max);
        }
    };
    let date = a.opts.date.unwrap_or_else(eligo::Date::today);
    let report = eligo::impact(&sets, &old, &new, Some(date));
    let changed = report.iter().filter(|p| !p.is_empty()).count();
    match a.opts.format {
        Format::Json => {
            let policies: Vec<serde_json::Value> = report
                .iter()
                .zip(&files)
                .map(|(p, file)| {
                    serde_json::json!({
                        "policy": p.policy,
                        "file": shown(file),
                        "modes": p.modes,
                        "newly_allowed": p.newly_allowed,
                        "newly_blocked": p.newly_blocked,
                        "models_losing_all_targets": p.models_losing_all_targets,
                        "models_gaining_targets": p.models_gaining_targets,
                    })
                })
                .collect();
            cx.out.push_str(&json(&serde_json::json!({
                "date": date,
                "policies": policies,
            })));
        }
        Format::Human => impact_human(cx, a, &report, &files, date, changed),
    }
    if changed == 0 {
        Status::Success
    } else {
        Status::Failure
    }
}

/// The impact for people, most severe first: models that will answer 403,
/// targets newly blocked, targets newly allowed, models gaining targets,
/// then the policies that do not change in one line.
fn impact_human(
    cx: &mut Ctx,
    a: &ImpactArgs,
    report: &[eligo::PolicyImpact],
    files: &[String],
    date: eligo::Date,
    changed: usize,
) {
    cx.out.push_str(&format!(
        "`{}` → `{}` (evidence as of {date}): {} of {} change\n",
        esc(shown(&a.old)),
        esc(shown(&a.new)),
        changed,
        policies(report.len()),
    ));
    let rows: Vec<(&eligo::PolicyImpact, &String)> = report.iter().zip(files).collect();
    let losing: Vec<_> = rows
        .iter()
        .filter(|(p, _)| !p.models_losing_all_targets.is_empty())
        .collect();
    if !losing.is_empty() {
        let title = "models that will answer 403 (no compliant target left):";
        cx.out
            .push_str(&format!("\n{}\n", paint(cx.color, "1;31", title)));
        for (p, _) in losing {
            cx.out.push_str(&format!(
                "  {}{}: {}\n",
                esc(&p.policy),
                warn_tag(&p.modes),
                esc(&p.models_losing_all_targets.join(", "))
            ));
        }
    }
    impact_section(cx, &rows, "newly blocked:", "-", |p| &p.newly_blocked);
    impact_section(cx, &rows, "newly allowed:", "+", |p| &p.newly_allowed);
    let gaining: Vec<_> = rows
        .iter()
        .filter(|(p, _)| !p.models_gaining_targets.is_empty())
        .collect();
    if !gaining.is_empty() {
        let title = "models gaining a compliant target:";
        cx.out
            .push_str(&format!("\n{}\n", paint(cx.color, "1;32", title)));
        for (p, _) in gaining {
            cx.out.push_str(&format!(
                "  {}: {}\n",
                esc(&p.policy),
                esc(&p.models_gaining_targets.join(", "))
            ));
        }
    }
    let unchanged: Vec<&str> = report
        .iter()
        .filter(|p| p.is_empty())
        .map(|p| p.policy.as_str())
        .collect();
    if !unchanged.is_empty() {
        cx.out.push_str(&format!(
            "\nunchanged ({}): {}\n",
            unchanged.len(),
            esc(&unchanged.join(", "))
        ));
    }
}

/// One part of the impact: for each policy with such targets, each target
/// with how it changed and the failures that explain it.
fn impact_section(
    cx: &mut Ctx,
    rows: &[(&eligo::PolicyImpact, &String)],
    title: &str,
    sign: &str,
    targets: impl Fn(&eligo::PolicyImpact) -> &Vec<eligo::TargetChange>,
) {
    if rows.iter().all(|(p, _)| targets(p).is_empty()) {
        return;
    }
    cx.out
        .push_str(&format!("\n{}\n", paint(cx.color, "1;33", title)));
    for (p, file) in rows {
        let changes = targets(p);
        if changes.is_empty() {
            continue;
        }
        cx.out.push_str(&format!(
            "  {}{}  ({})\n",
            esc(&p.policy),
            warn_tag(&p.modes),
            esc(shown(file))
        ));
        target_changes(cx, sign, changes);
    }
}

/// Each target of `changes` on a line after `sign`, its failures below.
fn target_changes(cx: &mut Ctx, sign: &str, changes: &[eligo::TargetChange]) {
    for t in changes {
        let how = match (t.change, sign) {
            (Presence::Added, _) => "added to the catalog",
            (Presence::Removed, _) => "removed from the catalog",
            (Presence::Changed, "+") => "was blocked by",
            (Presence::Changed, _) => "now blocked by",
        };
        cx.out
            .push_str(&format!("    {sign} {}  ({how})\n", esc(&t.id)));
        let failures: Vec<Failure> = t.reasons.iter().map(|r| r.failure.clone()).collect();
        failure_table(cx, &failures, "        ");
    }
}

/// `eligo expiring`: by date, the targets each policy loses as the
/// catalog's expiring evidence runs out, and the models left with none.
pub fn expiring(cx: &mut Ctx, a: &ExpiringArgs) -> Status {
    let from = a.from.unwrap_or_else(eligo::Date::today);
    if from > a.until {
        return cx.usage(&format!("--from {from} is after --until {}", a.until));
    }
    let sets = policy_sets(cx, &a.sources);
    let catalog = cx.catalog(&a.catalog);
    let ((sets, files), catalog) = match (sets, catalog) {
        (Ok(s), Ok(c)) => (s, c),
        (s, c) => {
            return [s.err(), c.err()]
                .into_iter()
                .flatten()
                .fold(Status::Error, Status::max);
        }
    };
    // One set at a time, so each alert keeps its file even when two files
    // share a name; the stable sort keeps the sets' order within a day.
    let mut alerts: Vec<(eligo::ExpiryImpact, &String)> = sets
        .iter()
        .zip(&files)
        .flat_map(|(set, file)| {
            eligo::expiring(std::slice::from_ref(set), &catalog, from, a.until)
                .into_iter()
                .map(move |e| (e, file))
        })
        .collect();
    alerts.sort_by_key(|(e, _)| e.date);
    match a.format {
        Format::Json => {
            let items: Vec<serde_json::Value> = alerts
                .iter()
                .map(|(e, file)| {
                    serde_json::json!({
                        "date": e.date,
                        "policy": e.policy,
                        "file": shown(file),
                        "newly_blocked": e.newly_blocked,
                        "models_losing_all_targets": e.models_losing_all_targets,
                    })
                })
                .collect();
            cx.out.push_str(&json(&serde_json::json!({
                "from": from,
                "until": a.until,
                "expiring": items,
            })));
        }
        Format::Human => {
            let mut days: Vec<eligo::Date> = alerts.iter().map(|(e, _)| e.date).collect();
            days.dedup();
            let mut losing: Vec<&str> = alerts.iter().map(|(_, f)| f.as_str()).collect();
            losing.sort_unstable();
            losing.dedup();
            let head = format!(
                "`{}` from {from} through {}",
                esc(shown(&a.catalog)),
                a.until
            );
            if alerts.is_empty() {
                cx.out.push_str(&format!(
                    "{head}: no policy loses a target ({} checked)\n",
                    policies(sets.len())
                ));
            } else {
                cx.out.push_str(&format!(
                    "{head}: {} of {} lose targets, on {}\n",
                    losing.len(),
                    policies(sets.len()),
                    plural(days.len(), "day")
                ));
            }
            let mut last = None;
            for (e, file) in &alerts {
                if last != Some(e.date) {
                    let title = format!("from {} (evidence expired the day before):", e.date);
                    cx.out
                        .push_str(&format!("\n{}\n", paint(cx.color, "1;33", &title)));
                    last = Some(e.date);
                }
                cx.out
                    .push_str(&format!("  {}  ({})\n", esc(&e.policy), esc(shown(file))));
                if !e.models_losing_all_targets.is_empty() {
                    cx.out.push_str(&format!(
                        "    {} {}\n",
                        paint(cx.color, "1;31", "models that will answer 403:"),
                        esc(&e.models_losing_all_targets.join(", "))
                    ));
                }
                target_changes(cx, "-", &e.newly_blocked);
            }
        }
    }
    if alerts.is_empty() {
        Status::Success
    } else {
        Status::Failure
    }
}

/// `eligo import`: another gateway's policy as eligo policy text on
/// standard output.
pub fn import(cx: &mut Ctx, a: &ImportArgs) -> Status {
    let text = if a.file == "-" {
        cx.stdin(eligo::import::MAX_IMPORT_BYTES)
    } else {
        eligo::import::read_file(&a.file).map_err(|e| cx.error(&e))
    };
    let text = match text {
        Ok(t) => t,
        Err(s) => return s,
    };
    let name = shown(&a.file);
    let imported = match a.from {
        ImportFrom::LlmGateway => eligo::import::llmgateway(&text, name),
        ImportFrom::Keeptrusts => eligo::import::keeptrusts(&text, name),
    };
    let pol = match imported {
        Ok(p) => p,
        Err(e) => return cx.error(&e),
    };
    // The importers write text that compiles; a policy that does not is
    // reported rather than printed.
    match Policy::compile_named(&pol, "<imported>", &eligo::Schema::standard()) {
        Ok(policy) if policy.requirement_count() == 0 => cx.note(&format!(
            "note: the policy imported from `{name}` restricts nothing: every target is allowed (see its comments)"
        )),
        Ok(_) => {}
        Err(e) => return cx.error(&e),
    }
    cx.out.push_str(&pol);
    Status::Success
}

/// The attributes of `--request NAME=VALUE` arguments; a name given twice
/// is a usage error.
fn request_attrs(
    cx: &mut Ctx,
    policies: &[&Policy],
    args: &[String],
) -> Result<RequestAttrs, Status> {
    let mut attrs = RequestAttrs::new();
    for arg in args {
        let (name, value) = request_attr(policies, arg).map_err(|e| cx.error(&e))?;
        if attrs.get(&name).is_some() {
            return Err(cx.usage(&format!("`request.{name}` is given twice with --request")));
        }
        attrs.set(name, value);
    }
    Ok(attrs)
}

/// `NAME=VALUE` typed by the schema of the first of `policies` (the layers
/// of one decision) that has the request attribute NAME. A name none of
/// them has is reported as the first one reports it, with its suggestion.
fn request_attr(policies: &[&Policy], arg: &str) -> Result<(String, Value), Error> {
    let mut unknown = None;
    for p in policies {
        match eligo::parse_request_attr(p.schema(), arg) {
            Err(e)
                if e.diagnostics()
                    .first()
                    .is_some_and(|d| d.code() == "request/unknown-attribute") =>
            {
                unknown.get_or_insert(e);
            }
            found => return found,
        }
    }
    match unknown {
        Some(e) => Err(e),
        None => eligo::parse_request_attr(&eligo::Schema::standard(), arg),
    }
}

/// The request attributes the conditions of `policies` read, by bare name,
/// sorted, each once.
fn read_request_attributes(policies: &[&Policy]) -> Vec<String> {
    let mut read: Vec<String> = policies
        .iter()
        .flat_map(|p| p.program().request_attributes())
        .map(|n| {
            n.strip_prefix(eligo::schema::REQUEST_PREFIX)
                .unwrap_or(n)
                .to_string()
        })
        .collect();
    read.sort_unstable();
    read.dedup();
    read
}

/// The request attributes the conditions of `policies` read and `attrs`
/// does not give, by bare name, sorted: the blocks that read them apply.
fn missing_request_attributes(policies: &[&Policy], attrs: &RequestAttrs) -> Vec<String> {
    read_request_attributes(policies)
        .into_iter()
        .filter(|n| attrs.get(n).is_none())
        .collect()
}

/// `{"attributes": {...}, "missing": [...]}`: the attributes given and those
/// the policies' conditions read but were not given.
fn request_json(policies: &[&Policy], attrs: &RequestAttrs) -> serde_json::Value {
    serde_json::json!({
        "attributes": attrs,
        "missing": missing_request_attributes(policies, attrs),
    })
}

/// One line for people on the request: the attributes given, those the
/// policies do not read, and those they read that were not given. `None`
/// when no attribute is given and the policies read none.
fn request_line(policies: &[&Policy], attrs: &RequestAttrs) -> Option<String> {
    request_line_for(policies, attrs, None)
}

/// [`request_line`] for a request whose attribute `column` (a bare name)
/// takes a column's value: `NAME=<column>`.
fn request_line_for(
    policies: &[&Policy],
    attrs: &RequestAttrs,
    column: Option<&str>,
) -> Option<String> {
    let read = read_request_attributes(policies);
    let missing: Vec<String> = missing_request_attributes(policies, attrs)
        .into_iter()
        .filter(|n| Some(n.as_str()) != column)
        .collect();
    if attrs.is_empty() && read.is_empty() && column.is_none() {
        return None;
    }
    let shown = |(n, v): (&str, &Value)| format!("{n}={v}");
    let used: Vec<String> = column
        .map(|n| format!("{n}=<column>"))
        .into_iter()
        .chain(
            attrs
                .iter()
                .filter(|(n, _)| read.iter().any(|r| r == n))
                .map(shown),
        )
        .collect();
    let unread: Vec<String> = attrs
        .iter()
        .filter(|(n, _)| !read.iter().any(|r| r == n))
        .map(shown)
        .collect();
    let mut parts = Vec::new();
    if !used.is_empty() {
        parts.push(used.join(", "));
    }
    if !unread.is_empty() {
        parts.push(format!("not read by the policy: {}", unread.join(", ")));
    }
    if !missing.is_empty() {
        let them = if missing.len() == 1 { "it" } else { "them" };
        parts.push(format!(
            "not given: {} (the `when` blocks that read {them} apply)",
            missing.join(", ")
        ));
    }
    Some(esc(&format!("request: {}", parts.join("; "))).into_owned())
}

/// A file argument as diagnostics name it (`-` is `<stdin>`).
fn shown(arg: &str) -> &str {
    if arg == "-" { "<stdin>" } else { arg }
}

/// `1 policy`, `3 policies`.
fn policies(n: usize) -> String {
    if n == 1 {
        "1 policy".to_string()
    } else {
        format!("{n} policies")
    }
}

/// `3 files`, `1 error`.
fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
