//! The `eligo` command line.
fn main() {
    std::process::exit(eligo_cli_min());
}

fn eligo_cli_min() -> i32 {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [cmd, policy, catalog] = args.as_slice() else {
        eprintln!("usage: eligo preview POLICY CATALOG.json");
        return 2;
    };
    if cmd != "preview" {
        eprintln!("usage: eligo preview POLICY CATALOG.json");
        return 2;
    }
    let policy = match eligo::Policy::from_file(policy) {
        Ok(p) => p,
        Err(e) => {
            eprint!("{}", e.render(false));
            return 2;
        }
    };
    #[derive(serde::Deserialize)]
    struct Cat {
        targets: Vec<eligo::Target>,
    }
    let text = std::fs::read_to_string(catalog).unwrap_or_default();
    let cat: Cat = match serde_json::from_str(&text) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {catalog}: {e}");
            return 2;
        }
    };
    for t in &cat.targets {
        let v = policy.evaluate(t);
        if v.is_allowed() {
            println!("allow  {}", t.id());
        } else {
            let why: Vec<String> = v.failures().iter().map(|f| f.describe()).collect();
            println!("block  {}  {}", t.id(), why.join("; "));
        }
    }
    0
}
