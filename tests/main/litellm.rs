//! LiteLLM proxy configurations as catalogs (`tests/data/litellm/`): the
//! targets read from realistic `config.yaml` files, the reader chosen by
//! content, every refusal with its message, and decisions equal to those on
//! the same catalog written in eligo's own format.

use eligo::{Catalog, CatalogFormat, Date, ErrorKind, Policy, Request, ValueRef};

use crate::common::repo_path;

fn data(name: &str) -> String {
    repo_path(&format!("tests/data/litellm/{name}"))
        .display()
        .to_string()
}

fn read(name: &str) -> Catalog {
    Catalog::from_file(data(name)).unwrap_or_else(|e| panic!("{name}:\n{e}"))
}

fn ids(c: &Catalog) -> Vec<&str> {
    c.targets().iter().map(|t| t.id()).collect()
}

fn day(s: &str) -> Date {
    s.parse().unwrap()
}

/// The shipped policies, compiled.
fn shipped_policies() -> Vec<Policy> {
    let mut files: Vec<_> = std::fs::read_dir(repo_path("policies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pol"))
        .collect();
    files.sort();
    assert!(files.len() >= 9, "{files:?}");
    files
        .iter()
        .map(|p| Policy::from_file(p).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

#[test]
fn each_deployment_is_a_target() {
    let c = read("proxy.yaml");
    assert_eq!(
        ids(&c),
        [
            "azure-sweden-gpt-4o",
            "openai/gpt-4o",
            "azure/text-embedding-3-large",
            "bedrock-eu-claude",
            "vertex-us-claude",
            "onprem-llama",
            "openai-any",
        ]
    );
    let azure = c.get("azure-sweden-gpt-4o").unwrap();
    assert_eq!((azure.provider(), azure.model()), ("azure", "gpt-4o"));
    assert_eq!(
        azure.endpoint(),
        Some("https://acme-swedencentral.openai.azure.com/")
    );
    assert_eq!(azure.get("zero_data_retention"), Some(ValueRef::Flag(true)));
    assert_eq!(azure.get("trains_on_prompts"), Some(ValueRef::Flag(false)));
    // `base_model`, `api_key`, `rpm` and the rest are not read.
    assert_eq!(azure.attributes().len(), 9);

    // Without model_info.id, the id is litellm_params.model.
    let openai = c.get("openai/gpt-4o").unwrap();
    assert_eq!(openai.expires("soc2"), Some(day("2027-03-31")));
    assert_eq!(openai.get("retention_days"), Some(ValueRef::Number(30)));

    let bedrock = c.get("bedrock-eu-claude").unwrap();
    assert_eq!(bedrock.provider(), "bedrock");
    assert_eq!(
        bedrock.endpoint(),
        None,
        "aws_region_name is not an endpoint"
    );
    assert_eq!(c.get("vertex-us-claude").unwrap().provider(), "vertex_ai");

    // custom_llm_provider names the provider of a model id with a `/`.
    let vllm = c.get("onprem-llama").unwrap();
    assert_eq!(
        (vllm.provider(), vllm.model()),
        ("hosted_vllm", "llama-3.3-70b")
    );
    assert_eq!(vllm.get("internet_egress"), Some(ValueRef::Flag(false)));

    // `*` serves every model; the rest are served by their group and it.
    let any = c.get("openai-any").unwrap();
    assert!(any.is_wildcard());
    let serving = |m: &'static str| -> Vec<&str> { c.serving(m).map(|(_, t)| t.id()).collect() };
    assert_eq!(
        serving("claude-3-7-sonnet"),
        ["bedrock-eu-claude", "vertex-us-claude", "openai-any"]
    );
    assert_eq!(serving("o3-mini"), ["openai-any"]);
}

/// `proxy.catalog.json` is `proxy.yaml` written out by hand in eligo's
/// format: the two must be the same targets, and every shipped policy must
/// decide them alike, on both sides of the expiry of the evidence in it.
#[test]
fn decisions_equal_those_on_the_same_catalog_in_eligo_json() {
    let litellm = read("proxy.yaml");
    let eligo_json = read("proxy.catalog.json");
    assert_eq!(litellm.targets(), eligo_json.targets());
    let models = ["gpt-4o", "claude-3-7-sonnet", "llama-3.3-70b", "o3-mini"];
    for policy in shipped_policies() {
        for date in [day("2027-03-31"), day("2027-04-01")] {
            let name = policy.display_name();
            assert_eq!(
                eligo::preview(&policy, &litellm, Some(date)),
                eligo::preview(&policy, &eligo_json, Some(date)),
                "{name} on {date}"
            );
            for model in models {
                let request = Request::model(model).on(date);
                let a = eligo::route(&policy, &litellm, &request).unwrap();
                let b = eligo::route(&policy, &eligo_json, &request).unwrap();
                assert_eq!(a.targets(), b.targets(), "{name}, {model} on {date}");
                assert_eq!(a.is_blocked(), b.is_blocked(), "{name}, {model} on {date}");
            }
        }
    }
    // The expiry is read: `require soc2` loses the OpenAI deployment.
    let soc2 = eligo::compile("require soc2").unwrap();
    let on = |d: &str| {
        eligo::route(&soc2, &litellm, &Request::model("gpt-4o").on(day(d)))
            .unwrap()
            .targets()
            .to_vec()
    };
    assert_eq!(on("2027-03-31"), ["azure-sweden-gpt-4o", "openai/gpt-4o"]);
    assert_eq!(on("2027-04-01"), ["azure-sweden-gpt-4o"]);
}

#[test]
fn a_load_balanced_group_is_one_model_with_a_target_a_deployment() {
    let c = read("load-balanced.yaml");
    let chat: Vec<&str> = c.serving("chat").map(|(_, t)| t.id()).collect();
    assert_eq!(
        chat,
        [
            "chat-westeurope",
            "chat-francecentral",
            "chat-eastus",
            "chat-openai"
        ]
    );
    // Two deployments share litellm_params.model; their ids keep them apart.
    for id in ["chat-westeurope", "chat-francecentral"] {
        assert_eq!(c.get(id).unwrap().provider(), "azure");
    }
    // No data_policy: nothing declared, so any requirement blocks it.
    assert!(c.get("chat-openai").unwrap().attributes().is_empty());
    let eu = eligo::compile("require region in [\"eu\"];\nrequire zero_data_retention;").unwrap();
    let d = eligo::route(&eu, &c, &Request::model("chat")).unwrap();
    assert_eq!(d.targets(), ["chat-westeurope", "chat-francecentral"]);
    // A client pinning one deployment by its id.
    let d = eligo::route(&eu, &c, &Request::pin("chat-eastus")).unwrap();
    assert!(d.is_blocked());
}

#[test]
fn the_reader_is_chosen_by_content() {
    // .yaml: model_list is LiteLLM, providers gateway YAML.
    assert_eq!(read("proxy.yaml").len(), 7);
    let gateway = Catalog::from_file(repo_path("tests/data/catalogs/gateway.yaml")).unwrap();
    assert_eq!(gateway.targets()[0].id(), "onprem/deepseek-v3.2");
    // .json: a model_list key is LiteLLM; eligo's and provider files are
    // read as before.
    let json = read("proxy.json");
    assert_eq!(ids(&json), ["azure-eu-gpt-4o", "openai/gpt-4o"]);
    assert_eq!(
        json.get("openai/gpt-4o").unwrap().get("trains_on_prompts"),
        Some(ValueRef::Flag(true)),
        "training_opt_out: false"
    );
    assert!(
        Catalog::from_file(repo_path("policies/catalog.json"))
            .unwrap()
            .get("azure/gpt-4o")
            .is_some()
    );
    let providers = Catalog::from_file(repo_path("tests/data/catalogs/providers.json")).unwrap();
    assert!(providers.get("canopywave").is_some());
    // Text from standard input or a network: by the name's extension, else
    // by content.
    let text = std::fs::read_to_string(data("proxy.json")).unwrap();
    assert_eq!(
        ids(&Catalog::from_text(&text, "<stdin>").unwrap()),
        ids(&json)
    );
    let yaml = std::fs::read_to_string(data("load-balanced.yaml")).unwrap();
    assert_eq!(Catalog::from_text(&yaml, "config.YML").unwrap().len(), 4);
    // "model_list" inside a JSON string is not a key.
    let eligo_json = r#"{"description": "not a \"model_list\": at all", "catalog": "c",
        "targets": [{"provider": "a", "model": "m"}]}"#;
    assert_eq!(
        Catalog::from_text(eligo_json, "c.json").unwrap().name(),
        Some("c")
    );
}

/// The JSON reader (one deployment at a time) and the YAML reader (the
/// whole tree) give the same catalog from the same configuration.
#[test]
fn json_and_yaml_read_alike() {
    let text = std::fs::read_to_string(data("proxy.json")).unwrap();
    let json = Catalog::from_litellm_config(&text, "proxy.json").unwrap();
    // A comment first: the same text, read as YAML.
    let as_yaml = Catalog::from_litellm_config(&format!("# YAML\n{text}"), "proxy.yaml").unwrap();
    assert_eq!(json.targets(), as_yaml.targets());
    let via_format = Catalog::from_str_as(&text, "proxy.json", CatalogFormat::LiteLlm).unwrap();
    assert_eq!(json.targets(), via_format.targets());
    // The bare list of deployments, as a LiteLLM Router holds it.
    let list = r#"[{"model_name": "m", "litellm_params": {"model": "openai/m"}}]"#;
    let c = Catalog::from_litellm_config(list, "model_list.json").unwrap();
    assert_eq!(ids(&c), ["openai/m"]);
    // JSON refuses what YAML refuses.
    let err = Catalog::from_litellm_config(
        r#"{"model_list": [{"model_name": "gpt-*", "litellm_params": {"model": "openai/gpt-4o"}}]}"#,
        "c.json",
    )
    .unwrap_err();
    assert_eq!(err.diagnostics()[0].code(), "catalog/unsupported");
    let err = Catalog::from_litellm_config(r#"{"router_settings": {}}"#, "c.json").unwrap_err();
    assert!(err.to_string().contains("no `model_list` list"), "{err}");
    let err = Catalog::from_litellm_config(r#"{"model_list": 3}"#, "c.json").unwrap_err();
    assert!(
        err.to_string()
            .contains("must be a list, found the number 3"),
        "{err}"
    );
}

#[test]
fn a_file_that_is_both_formats_is_refused() {
    let text = "providers:\n  targets: []\nmodel_list: []\n";
    let err = Catalog::from_text(text, "both.yaml").unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!(d.code(), "catalog/ambiguous-format");
    assert_eq!(
        d.message(),
        "`both.yaml` has both `model_list` (a LiteLLM config) and `providers` (gateway YAML)"
    );
    // Named explicitly, each reader reads its part.
    assert!(Catalog::from_str_as(text, "both.yaml", CatalogFormat::LiteLlm).is_ok());
    assert!(Catalog::from_gateway_yaml(text, "both.yaml").is_ok());
    // Neither: the gateway reader's error, which names both formats.
    let err = Catalog::from_text("router_settings: {}\n", "c.yaml").unwrap_err();
    let help = err.diagnostics()[0].help().unwrap_or("");
    assert!(help.contains("`model_list:`"), "{help}");
}

#[test]
fn every_problem_names_the_file_the_deployment_and_the_field() {
    let err = Catalog::from_file(data("bad.yaml")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Catalog);
    assert!(
        err.to_string().contains("tests/data/litellm/bad.yaml"),
        "{err}"
    );
    let found: Vec<String> = err
        .diagnostics()
        .iter()
        .map(|d| format!("{}: {}", d.code(), d.message()))
        .collect();
    assert_eq!(
        found,
        [
            "catalog/missing-field: deployment #1 `gpt-4o`, field `litellm_params.model`: `gpt-4o` names no provider; LiteLLM infers one from a bare model name, and eligo does not guess",
            "catalog/unsupported: deployment #2 `openai/*`, field `model_name`: `openai/*` is a pattern; eligo reads `*` (every model) but no other pattern, and does not guess which models one serves",
            "catalog/unknown-field: deployment #3 `claude`, field `model_info.data_polcy`: is not read (did you mean `data_policy`?); without `data_policy` the deployment declares no attribute",
            "catalog/wrong-type: deployment #4 `mistral/mistral-large-latest`, field `model_info.id`: must be a string, found the number 7",
            "catalog/bad-attribute: deployment #5 `llama`, field `model_info.data_policy.zdr`: must be true or false, found the string \"yes\"",
            "catalog/unknown-field: deployment #5 `llama`, field `model_info.data_policy.trainin_opt_out`: is not a data-policy field eligo knows; did you mean `training_opt_out`?",
            "catalog/duplicate-target: deployment #7 has the id `azure/gpt-4o` of deployment #6 already",
        ]
    );
    let helps: Vec<Option<&str>> = err.diagnostics().iter().map(|d| d.help()).collect();
    assert_eq!(
        helps,
        [
            Some(
                "write the provider before the model (`openai/gpt-4o`), or set `litellm_params.custom_llm_provider`"
            ),
            Some(
                "give each model the pattern should serve a deployment of its own, or use `*` for every model"
            ),
            None,
            Some(
                "quote it (`id: \"7\"`): LiteLLM turns a number into text, and YAML readers disagree on numbers such as `017`"
            ),
            None,
            None,
            Some(
                "give each deployment its own `model_info.id`; without one, its id is its `litellm_params.model`"
            ),
        ]
    );
}

#[test]
fn yaml_configs_are_held_to_the_tree_limit() {
    let padding = "#".repeat(eligo::catalog::MAX_TREE_CATALOG_BYTES);
    let text = format!("{padding}\nmodel_list: []\n");
    for read in [Catalog::from_litellm_config, Catalog::from_text] {
        let err = read(&text, "big.yaml").unwrap_err();
        assert_eq!(err.diagnostics()[0].code(), "catalog/too-large");
    }
}

#[test]
fn the_shipped_example_reads() {
    let c = Catalog::from_file(repo_path("policies/litellm-config.yaml")).unwrap();
    assert_eq!(c.len(), 8);
    let eu = Policy::from_file(repo_path("policies/eu-residency.pol")).unwrap();
    let p = eligo::preview(&eu, &c, None);
    let allowed: Vec<&str> = p
        .rows
        .iter()
        .filter(|r| r.allowed)
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(
        allowed,
        [
            "azure-eu/gpt-4o",
            "bedrock-eu/claude-sonnet-4",
            "onprem/llama-3.3-70b"
        ]
    );
}
