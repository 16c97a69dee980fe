//! The library's layout, checked: which of its modules uses which, read
//! from the `crate::…` paths in `src/` (tests left out). The modules must
//! form no cycle, and the pipeline's stages must not reach forward:
//! compiling never reads targets, dates or catalogs, a target knows
//! nothing of catalogs or policies, and an importer writes policy text
//! without reaching the stages that read it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::repo_path;

/// The items `src/lib.rs` re-exports at the crate root, each with the
/// module it comes from (`pub use module::{A, B};`), so that
/// `crate::Policy` counts as a use of `policy`.
fn root_items() -> BTreeMap<String, String> {
    let lib = std::fs::read_to_string(repo_path("src/lib.rs")).unwrap();
    let mut items = BTreeMap::new();
    for stmt in lib.split(';') {
        let Some(rest) = stmt.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, names)) = rest.split_once("::") else {
            continue;
        };
        let names = names.trim_start_matches('{').trim_end_matches('}');
        for name in names.split(',') {
            let name = name.trim().rsplit("::").next().unwrap_or("").trim();
            if !name.is_empty() {
                items.insert(name.to_string(), module.trim().to_string());
            }
        }
    }
    items
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Each top-level module with the modules its non-test code names.
fn uses() -> BTreeMap<String, BTreeSet<String>> {
    let src = repo_path("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let root = root_items();
    assert!(
        root.contains_key("Policy") && root.contains_key("Catalog"),
        "{root:?}"
    );
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel.iter().next().unwrap().to_str().unwrap();
        if first == "bin" || first == "lib.rs" {
            continue;
        }
        let module = first.trim_end_matches(".rs").to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let entry = uses.entry(module.clone()).or_default();
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for (i, _) in line.match_indices("crate::") {
                let rest = &line[i + 7..];
                // `crate::{a, b::C}` names each of its paths.
                let paths: Vec<&str> = match rest.strip_prefix('{') {
                    Some(group) => group.split('}').next().unwrap_or("").split(',').collect(),
                    None => vec![rest],
                };
                for path in paths {
                    let path = path.trim_start();
                    let name: String = path
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    // `crate::x::…` is module `x`; a lone `crate::x` may be
                    // an item re-exported at the root (`crate::compile`, the
                    // function, comes from `policy`).
                    let is_module = path[name.len()..].starts_with("::");
                    let used = match root.get(&name) {
                        Some(m) if !is_module => m.as_str(),
                        _ => name.as_str(),
                    };
                    if used != module && used.chars().next().is_some_and(|c| c.is_lowercase()) {
                        entry.insert(used.to_string());
                    }
                }
            }
        }
    }
    uses
}

fn reaches(uses: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_string()];
    while let Some(m) = stack.pop() {
        for next in uses.get(&m).into_iter().flatten() {
            if next == to {
                return true;
            }
            if seen.insert(next.clone()) {
                stack.push(next.clone());
            }
        }
    }
    false
}

#[test]
fn only_bindings_use_the_importers() {
    let uses = uses();
    assert!(uses.contains_key("import"), "{uses:?}");
    for (module, used) in &uses {
        assert!(
            module == "python" || !used.contains("import"),
            "`{module}` uses `import`: only the command line and the bindings call the importers"
        );
    }
}

#[test]
fn modules_form_no_cycle_and_stages_do_not_reach_forward() {
    let uses = uses();
    assert!(uses.len() > 10, "too few modules found: {uses:?}");
    for (module, used) in &uses {
        for other in used {
            assert!(
                !reaches(&uses, other, module),
                "`{module}` uses `{other}`, which leads back to `{module}`"
            );
        }
    }
    for (stage, never) in [
        (
            "syntax",
            &["ir", "compile", "eval", "policy", "target", "catalog"][..],
        ),
        (
            "ir",
            &["compile", "eval", "policy", "target", "catalog"][..],
        ),
        (
            "compile",
            &["eval", "policy", "target", "catalog", "time"][..],
        ),
        ("target", &["catalog", "policy", "eval", "compile"][..]),
        ("eval", &["policy", "route"][..]),
        // An importer is a front end that writes policy text: it reads
        // with the catalog's strict readers and never reaches the stages
        // that read the text. (It reaches `ast` only through the catalog's
        // fact table, which names the comparison operators.)
        (
            "import",
            &[
                "syntax", "format", "ir", "compile", "eval", "policy", "route", "preview", "lint",
            ][..],
        ),
    ] {
        for later in never {
            assert!(
                !reaches(&uses, stage, later),
                "`{stage}` reaches `{later}`: {uses:?}"
            );
        }
    }
}
