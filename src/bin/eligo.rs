//! The `eligo` command line (a first cut: `preview` and `route`).
//!
//! Exit codes: 0 allowed / routed, 1 blocked, 2 the command could not do its
//! job (usage, unreadable or invalid input).

use std::process::ExitCode;

const USAGE: &str = "usage:
  eligo preview POLICY --catalog FILE
  eligo route POLICY --catalog FILE --model MODEL [--pin PROVIDER/MODEL]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprint!("{message}");
            ExitCode::from(2)
        }
    }
}

fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn run(args: &[String]) -> Result<u8, String> {
    let (Some(cmd), Some(policy)) = (args.first(), args.get(1)) else {
        return Err(format!("{USAGE}\n"));
    };
    let catalog = flag(args, "--catalog").ok_or_else(|| format!("{USAGE}\n"))?;
    let policy = eligo::Policy::from_file(policy).map_err(|e| e.render(false))?;
    let catalog = eligo::Catalog::from_file(catalog).map_err(|e| e.render(false))?;
    match cmd.as_str() {
        "preview" => {
            let p = eligo::preview(&policy, &catalog, None);
            println!(
                "policy {}: {} allowed, {} blocked",
                p.policy, p.allowed, p.blocked
            );
            for row in &p.rows {
                let why: Vec<String> = row.failures.iter().map(|f| f.describe()).collect();
                let verdict = if row.allowed { "allow" } else { "block" };
                println!("{verdict}  {:<32} {}", row.id, why.join("; "));
            }
            Ok(u8::from(p.allowed == 0))
        }
        "route" => {
            let model = flag(args, "--model").ok_or_else(|| format!("{USAGE}\n"))?;
            let request = match flag(args, "--pin") {
                Some(pin) => eligo::Request::pin(pin),
                None => eligo::Request::model(model),
            };
            let d = eligo::route(&policy, &catalog, &request).map_err(|e| e.render(false))?;
            let out = serde_json::json!({
                "outcome": d.outcome(),
                "status": d.status(),
                "targets": d.targets(),
                "error": d.error_body(),
                "event": d.event().map(|e| e.to_json()),
            });
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
            Ok(u8::from(d.is_blocked()))
        }
        _ => Err(format!("{USAGE}\n")),
    }
}
