//! Records the compiler and the engines' versions (from Cargo.lock) so the
//! program can print them beside its figures.

use std::process::Command;

fn main() {
    println!("cargo::rerun-if-changed=Cargo.lock");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "rustc (unknown version)".to_string());
    println!("cargo::rustc-env=PEERS_RUSTC={version}");

    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    for (krate, var) in [
        ("cedar-policy", "PEERS_CEDAR"),
        ("regorus", "PEERS_REGORUS"),
        ("cel", "PEERS_CEL"),
        ("eligo", "PEERS_ELIGO"),
    ] {
        println!("cargo::rustc-env={var}={}", locked_version(&lock, krate));
    }
}

/// The version Cargo.lock records for package `name` ("?" if none).
fn locked_version(lock: &str, name: &str) -> String {
    let wanted = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted
            && let Some(v) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = "))
        {
            return v.trim_matches('"').to_string();
        }
    }
    "?".to_string()
}
