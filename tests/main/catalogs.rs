//! Catalog readers: eligo JSON/TOML, gateway YAML, provider `dataPolicy`
//! JSON; strict validation with file, target and field in every error.

use eligo::{Catalog, Date, ErrorKind, ValueRef};

fn data(name: &str) -> String {
    format!("{}/tests/data/catalogs/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Every diagnostic message of a failed read, one a line.
fn errors(path: &str) -> String {
    let err = Catalog::from_file(data(path)).expect_err(path);
    assert_eq!(err.kind(), ErrorKind::Catalog, "{err}");
    assert!(err.to_string().contains(path), "the file is named: {err}");
    err.diagnostics()
        .iter()
        .map(|d| format!("{}: {}\n", d.code(), d.message()))
        .collect()
}

#[test]
fn gateway_yaml_maps_every_field() {
    let c = Catalog::from_file(data("gateway.yaml")).unwrap();
    let ids: Vec<&str> = c.targets().iter().map(|t| t.id()).collect();
    assert_eq!(
        ids,
        [
            "onprem/deepseek-v3.2",
            "cloud/deepseek-v3.2",
            "partial/deepseek-v3.2"
        ]
    );
    let local = c.get("onprem/deepseek-v3.2").unwrap();
    assert_eq!(local.endpoint(), Some("http://10.0.0.5:8000/v1"));
    assert_eq!(local.get("zero_data_retention"), Some(ValueRef::Flag(true)));
    assert_eq!(local.get("trains_on_prompts"), Some(ValueRef::Flag(false)));
    assert_eq!(local.get("internet_egress"), Some(ValueRef::Flag(false)));
    assert_eq!(local.get("retention_days"), Some(ValueRef::Number(0)));
    assert_eq!(local.get("region"), Some(ValueRef::Text("eu")));
    let cloud = c.get("cloud/deepseek-v3.2").unwrap();
    // training_opt_out: false means the provider may train on prompts.
    assert_eq!(cloud.get("trains_on_prompts"), Some(ValueRef::Flag(true)));
    assert_eq!(cloud.get("internet_egress"), Some(ValueRef::Flag(true)));
    // Absent fields stay unknown: no format default turns into a value.
    let partial = c.get("partial/deepseek-v3.2").unwrap();
    for absent in [
        "retention_days",
        "zero_data_retention",
        "in_memory_only",
        "internet_egress",
    ] {
        assert_eq!(partial.get(absent), None, "{absent}");
    }
}

#[test]
fn gateway_yaml_errors_name_target_and_field() {
    let text = errors("bad-gateway.yaml");
    // `yes` is not a YAML 1.2 boolean: it is the string "yes".
    assert!(text.contains("target #1 `a/m`, field `data_policy.zdr`: must be true or false, found the string \"yes\""), "{text}");
    assert!(text.contains("field `data_policy.trainin_opt_out`: is not a data-policy field eligo knows; did you mean `training_opt_out`?"), "{text}");
    assert!(
        text.contains("field `data_policy.retention_days`: must be 0 or more"),
        "{text}"
    );
    assert!(
        text.contains("target #2, field `provider`: is required"),
        "{text}"
    );
    assert!(
        text.contains("`zdr` and `zero_data_retention` say the same thing"),
        "{text}"
    );
}

#[test]
fn duplicate_keys_are_errors_in_every_format() {
    for file in ["dup-key.yaml", "dup-key.json"] {
        let err = Catalog::from_file(data(file)).expect_err(file);
        let text = err.to_string();
        assert!(
            text.contains("given twice") || text.contains("duplicate"),
            "{file}: {text}"
        );
    }
}

#[test]
fn eligo_json_errors_are_all_reported() {
    let text = errors("bad.json");
    assert!(text.contains("target #1 `a/m`, field `attributes.soc2`: must be true or false, found the string \"yes\""), "{text}");
    assert!(
        text.contains("field `attributes.retention_days`: must be a whole number without a decimal point, in 64-bit range; found the number 1.5"),
        "{text}"
    );
    assert!(
        text.contains("field `attributes.region`: `region` is given both"),
        "{text}"
    );
    assert!(
        text.contains(
            "field `attributes.iso27001`: `expires`: `2026-02-30` is not a date that exists"
        ),
        "{text}"
    );
    assert!(
        text.contains("target #3, field `model`: is required"),
        "{text}"
    );
    assert!(
        text.contains("field `modle`: is not a target field (did you mean `model`?)"),
        "{text}"
    );
    assert!(
        text.contains("catalog/duplicate-target: target #5 has the id `d/m` of target #4 already"),
        "{text}"
    );
}

#[test]
fn json_syntax_errors_point_at_the_place() {
    let err = Catalog::from_file(data("syntax.json")).unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!(d.code(), "catalog/invalid-json");
    let text = err.to_string();
    assert!(text.contains("syntax.json:3:1"), "{text}");
}

#[test]
fn provider_data_policies() {
    let c = Catalog::from_file(data("providers.json")).unwrap();
    let ids: Vec<&str> = c.targets().iter().map(|t| t.id()).collect();
    assert_eq!(
        ids,
        [
            "anthropic/claude-sonnet-4",
            "canopywave",
            "xai",
            "vague",
            "glacier"
        ]
    );
    let a = c.get("anthropic/claude-sonnet-4").unwrap();
    assert_eq!(a.get("soc2"), Some(ValueRef::Flag(true)));
    assert_eq!(a.get("soc2_type1"), Some(ValueRef::Flag(false)));
    assert_eq!(a.get("retention_days"), Some(ValueRef::Number(30)));
    assert_eq!(a.get("logs_prompts"), Some(ValueRef::Flag(true)));
    assert_eq!(a.get("trains_on_prompts"), Some(ValueRef::Flag(false)));
    assert_eq!(a.get("headquarters"), Some(ValueRef::Text("US")));
    let cw = c.get("canopywave").unwrap();
    assert_eq!(cw.model(), "*");
    assert_eq!(cw.get("soc2"), Some(ValueRef::Flag(false)));
    assert_eq!(cw.get("soc2_type1"), Some(ValueRef::Flag(true)));
    // "24 hours" must not round down to 0 days.
    assert_eq!(
        c.get("xai").unwrap().get("retention_days"),
        Some(ValueRef::Number(1))
    );
    assert_eq!(c.get("xai").unwrap().get("soc2"), None);
    // Text that states no period is unknown, never a guess.
    let vague = c.get("vague").unwrap();
    assert_eq!(vague.get("retention_days"), None);
    assert_eq!(vague.get("trains_on_prompts"), None);
    // A catalogue entry that publishes nothing declares only that it is a
    // catalogue entry (`attested`); whether it is stealth is not stated.
    let glacier = c.get("glacier").unwrap();
    let declared: Vec<&String> = glacier.attributes().keys().collect();
    assert_eq!(declared, ["attested"]);
    assert_eq!(glacier.get("stealth"), None);
    // "any SOC 2 report": soc2 or soc2_type1.
    let any = eligo::compile("require soc2 or soc2_type1").unwrap();
    assert!(any.evaluate(cw).is_allowed());
    assert!(any.evaluate(a).is_allowed());
    assert!(any.evaluate(c.get("xai").unwrap()).is_blocked());
}

#[test]
fn the_shared_provider_file_reads_as_declared() {
    let path = format!(
        "{}/../shared/data/llmgateway-providers.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let Ok(text) = std::fs::read_to_string(&path) else {
        // The shared data sits beside the checkout; without it there is
        // nothing to check here.
        return;
    };
    let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
    let c = Catalog::from_provider_policies(&text, "llmgateway-providers.json").unwrap();
    let providers = raw["providers"].as_array().unwrap();
    assert_eq!(c.len(), providers.len());
    for p in providers {
        let t = c.get(p["id"].as_str().unwrap()).unwrap();
        let dp = &p["dataPolicy"];
        let flag = |v: &serde_json::Value| v.as_bool().map(ValueRef::Flag);
        assert_eq!(
            t.get("trains_on_prompts"),
            flag(&dp["apiTraining"]),
            "{}",
            t.id()
        );
        assert_eq!(
            t.get("logs_prompts"),
            flag(&dp["promptLogging"]),
            "{}",
            t.id()
        );
        assert_eq!(t.get("gdpr"), flag(&dp["gdpr"]), "{}", t.id());
        // The shared file records no `env`: stealth is not stated there.
        assert_eq!(t.get("stealth"), None, "{}", t.id());
        let retention = t.get("retention_days");
        match dp["retentionPeriod"].as_str() {
            Some("0 days") => assert_eq!(retention, Some(ValueRef::Number(0))),
            Some("30 days") => assert_eq!(retention, Some(ValueRef::Number(30))),
            Some("55 days") => assert_eq!(retention, Some(ValueRef::Number(55))),
            Some("24 hours") => assert_eq!(retention, Some(ValueRef::Number(1))),
            _ => assert_eq!(retention, None, "{}: {}", t.id(), dp["retentionPeriod"]),
        }
    }
}

#[test]
fn provider_stealth_and_attestation() {
    let text = r#"{"providers": [
      {"id": "plain", "env": {"required": {"apiKey": "K"}}},
      {"id": "hidden", "env": {"required": {"apiKey": "K", "baseUrl": "B"}}},
      {"id": "empty-base", "env": {"required": {"baseUrl": ""}}},
      {"id": "optional-base", "env": {"required": {}, "optional": {"baseUrl": "B"}}},
      {"id": "no-required", "env": {"optional": {"baseUrl": "B"}}},
      {"id": "stated", "stealth": true},
      {"id": "agreeing", "stealth": false, "env": {"required": {"apiKey": "K"}}},
      {"id": "custom", "env": {"required": {}}},
      {"id": "custom:acme", "stealth": false},
      {"id": "custom:attested", "attested": true, "env": {"required": {}}, "dataPolicy": {"soc2": 2}},
      {"id": "withdrawn", "attested": false},
      {"id": "nulls", "stealth": null, "attested": null, "env": null}
    ]}"#;
    let c = Catalog::from_provider_policies(text, "stealth.json").unwrap();
    let stealth = |id: &str| c.get(id).unwrap().get("stealth");
    let attested = |id: &str| c.get(id).unwrap().get("attested");
    let (yes, no) = (Some(ValueRef::Flag(true)), Some(ValueRef::Flag(false)));
    // LLM Gateway's marker: a base URL the operator must supply.
    assert_eq!(stealth("plain"), no);
    assert_eq!(stealth("hidden"), yes);
    assert_eq!(stealth("empty-base"), no);
    assert_eq!(stealth("optional-base"), no);
    // Without `env.required` or a statement, never guessed.
    assert_eq!(stealth("no-required"), None);
    assert_eq!(stealth("nulls"), None);
    assert_eq!(stealth("stated"), yes);
    assert_eq!(stealth("agreeing"), no);
    assert_eq!(stealth("custom"), no);
    // Catalogue entries are on file; custom providers only when attested.
    for id in ["plain", "hidden", "stated", "nulls"] {
        assert_eq!(attested(id), yes, "{id}");
    }
    assert_eq!(attested("custom"), None);
    assert_eq!(attested("custom:acme"), None);
    assert_eq!(attested("custom:attested"), yes);
    assert_eq!(attested("withdrawn"), no);
    let policy = eligo::compile("require attested and !stealth").unwrap();
    let allowed: Vec<&str> = c
        .targets()
        .iter()
        .filter(|t| policy.evaluate(t).is_allowed())
        .map(|t| t.id())
        .collect();
    assert_eq!(
        allowed,
        [
            "plain",
            "empty-base",
            "optional-base",
            "agreeing",
            "custom:attested"
        ]
    );
}

#[test]
fn provider_stealth_and_attestation_errors() {
    let text = r#"{"providers": [
      {"id": "a", "stealth": "yes", "attested": 1},
      {"id": "b", "env": []},
      {"id": "c", "env": {"required": "K"}},
      {"id": "d", "env": {"required": {"baseUrl": 3}}},
      {"id": "e", "stealth": false, "env": {"required": {"baseUrl": "B"}}},
      {"id": "f", "stealth": true, "env": {"required": {}}}
    ]}"#;
    let err = Catalog::from_provider_policies(text, "bad.json").unwrap_err();
    let text: String = err
        .diagnostics()
        .iter()
        .map(|d| format!("{}: {}\n", d.code(), d.message()))
        .collect();
    for want in [
        "catalog/bad-attribute: target #1 `a`, field `stealth`: must be true, false or null, found the string \"yes\"",
        "catalog/bad-attribute: target #1 `a`, field `attested`: must be true, false or null, found the number 1",
        "catalog/wrong-type: target #2 `b`, field `env`: must be an object, found a list",
        "catalog/wrong-type: target #3 `c`, field `env.required`: must be an object, found the string \"K\"",
        "catalog/wrong-type: target #4 `d`, field `env.required.baseUrl`: must be text or null, found the number 3",
        "catalog/conflict: target #5 `e`, field `stealth`: says false, but `env.required` has `baseUrl`",
        "catalog/conflict: target #6 `f`, field `stealth`: says true, but `env.required` has no `baseUrl`",
    ] {
        assert!(text.contains(want), "{want:?} not in:\n{text}");
    }
}

/// `policies/llmgateway-providers.json`: the shared provider data with each
/// provider's `stealth` transcribed, read as declared.
#[test]
fn the_shipped_provider_file_records_stealth() {
    let path = format!(
        "{}/policies/llmgateway-providers.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let c = Catalog::from_file(&path).unwrap();
    assert_eq!(c.len(), 46);
    let stealth: Vec<&str> = c
        .targets()
        .iter()
        .filter(|t| t.get("stealth") == Some(ValueRef::Flag(true)))
        .map(|t| t.id())
        .collect();
    assert_eq!(
        stealth,
        [
            "glacier",
            "iceberg",
            "granite",
            "quartz",
            "avalanche",
            "tundra"
        ]
    );
    for t in c.targets() {
        assert!(t.get("stealth").is_some(), "{}: stealth undeclared", t.id());
        let on_file = (t.id() != "custom").then_some(ValueRef::Flag(true));
        assert_eq!(t.get("attested"), on_file, "{}", t.id());
    }
    // The rest of the file is the shared data, unchanged.
    let shared = format!(
        "{}/../shared/data/llmgateway-providers.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let Ok(shared) = std::fs::read_to_string(&shared) else {
        return;
    };
    let mut shipped: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let shared: serde_json::Value = serde_json::from_str(&shared).unwrap();
    for p in shipped["providers"].as_array_mut().unwrap() {
        p.as_object_mut().unwrap().remove("stealth");
    }
    assert_eq!(shipped["providers"], shared["providers"]);
    assert_eq!(shipped["source"]["commit"], shared["source"]["commit"]);
}

#[test]
fn provider_policy_errors() {
    let text = errors("bad-providers.json");
    assert!(
        text.contains("field `headquarters`: must be an ISO 3166 alpha-2 country code"),
        "{text}"
    );
    assert!(text.contains("field `dataPolicy.soc2`: must be the SOC 2 report type 1 or 2, or null, found the number 3"), "{text}");
    assert!(
        text.contains("field `dataPolicy.apiTraining`: must be true, false or null"),
        "{text}"
    );
    assert!(
        text.contains("field `dataPolicy.promptLoging`: is not a `dataPolicy` field"),
        "{text}"
    );
    assert!(
        text.contains("target #2, field `id`: is required"),
        "{text}"
    );
}

#[test]
fn expiring_evidence_reads_as_unknown_after_its_date() {
    let c = Catalog::from_file(data("expiring.toml")).unwrap();
    assert_eq!(c.name(), Some("expiring"));
    let t = c.get("auditco/m").unwrap();
    let on = |s: &str| s.parse::<Date>().unwrap();
    assert_eq!(t.expires("soc2"), Some(on("2026-12-31")));
    let policy = eligo::compile("require soc2 and gdpr").unwrap();
    assert!(policy.evaluate_on(t, on("2026-06-01")).is_allowed());
    assert!(policy.evaluate_on(t, on("2026-12-31")).is_allowed());
    let after = policy.evaluate_on(t, on("2027-01-01"));
    assert!(after.is_blocked());
    assert!(after.failures()[0].is_unknown());
    assert_eq!(after.failures()[0].attributes(), ["soc2"]);
}

#[test]
fn bare_toml_dates_are_read_as_dates_and_datetimes_are_errors() {
    let text = |expires: &str| {
        format!(
            "[[targets]]\nprovider = \"a\"\nmodel = \"m\"\nattributes = {{ soc2 = {{ value = true, expires = {expires} }} }}\n"
        )
    };
    let c = Catalog::from_toml(&text("2026-12-31"), "bare.toml").unwrap();
    assert_eq!(c.targets()[0].expires("soc2"), "2026-12-31".parse().ok());
    let err = Catalog::from_toml(&text("2026-12-31T12:00:00Z"), "time.toml").unwrap_err();
    assert!(
        err.to_string()
            .contains("field `attributes.soc2`: `expires`"),
        "{err}"
    );
    // A bare date elsewhere reads as its text, as a person reads it: never
    // as a flag or a number.
    let c = Catalog::from_toml(
        "[[targets]]\nprovider = \"a\"\nmodel = \"m\"\nattributes = { region = 2026-12-31 }\n",
        "region.toml",
    )
    .unwrap();
    assert_eq!(
        c.targets()[0].get("region"),
        Some(ValueRef::Text("2026-12-31"))
    );
    let err = Catalog::from_toml(
        "[[targets]]\nprovider = \"a\"\nmodel = \"m\"\nattributes = { soc2 = 2026-12-31 }\n",
        "soc2.toml",
    )
    .unwrap_err();
    assert!(err.to_string().contains("field `attributes.soc2`"), "{err}");
}

/// What broke: TOML dates reached the readers as a map with the toml
/// crate's private key, and the readers honoured that map from any format,
/// so a JSON catalog could declare `{"$__toml_private_datetime": "…"}` as an
/// expiry date. Only text is a date now.
#[test]
fn the_toml_private_date_key_is_not_a_date_in_json() {
    let json = r#"{"targets": [{"provider": "a", "model": "m", "attributes":
        {"soc2": {"value": true, "expires": {"$__toml_private_datetime": "2999-01-01"}}}}]}"#;
    let err = Catalog::from_json(json, "c.json").unwrap_err();
    assert!(
        err.to_string().contains("`expires` must be a date"),
        "{err}"
    );
}

/// What broke: JSON `-0` arrives as a float and was refused as "a number
/// with a decimal point". It is the whole number zero.
#[test]
fn json_minus_zero_is_zero() {
    let json =
        r#"{"targets": [{"provider": "a", "model": "m", "attributes": {"retention_days": -0}}]}"#;
    let c = Catalog::from_json(json, "c.json").unwrap();
    assert_eq!(
        c.targets()[0].get("retention_days"),
        Some(ValueRef::Number(0))
    );
    let t = eligo::Target::from_json(
        r#"{"provider": "a", "model": "m", "attributes": {"retention_days": -0}}"#,
        "t.json",
    )
    .unwrap();
    assert_eq!(t.get("retention_days"), Some(ValueRef::Number(0)));
    // A fraction is still refused.
    let json =
        r#"{"targets": [{"provider": "a", "model": "m", "attributes": {"retention_days": 0.5}}]}"#;
    assert!(Catalog::from_json(json, "c.json").is_err());
}

#[test]
fn hostile_catalog_values() {
    let huge_id = format!(
        r#"{{"targets":[{{"id":"{}","provider":"a","model":"m"}}]}}"#,
        "x".repeat(1 << 20)
    );
    let err = Catalog::from_json(&huge_id, "huge.json").unwrap_err();
    assert!(err.to_string().contains("more than the limit"), "{err}");
    let big_int = r#"{"targets":[{"provider":"a","model":"m","attributes":{"retention_days":123456789012345678901234567890}}]}"#;
    let err = Catalog::from_json(big_int, "int.json").unwrap_err();
    assert!(
        err.to_string()
            .contains("must be a whole number without a decimal point"),
        "{err}"
    );
    let deep = format!(
        r#"{{"targets":{}1{}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert!(Catalog::from_json(&deep, "deep.json").is_err());
    let not_object = Catalog::from_json("[1, 2]", "list.json").unwrap_err();
    assert!(
        not_object.to_string().contains("a catalog is an object"),
        "{not_object}"
    );
}

#[test]
fn shipped_catalog_reads_strictly() {
    let c = Catalog::from_file(format!(
        "{}/policies/catalog.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    assert!(c.len() >= 10);
    // Some attributes are deliberately undeclared.
    assert!(c.targets().iter().any(|t| t.get("soc2").is_none()));
}

/// What broke: the YAML reader honoured merge keys with the later mapping
/// winning (`<<: [*b, *a]` read `retention_days: 0` where the YAML
/// specification lets the earlier `30` win), read `!!str true` and `!!str 0`
/// as a bool and a number, accepted unknown tags silently and turned
/// `!!binary` into text. Each of these is now refused, with the position.
#[test]
fn yaml_constructs_a_reader_could_mistake_are_refused() {
    let head = "providers:\n  targets:\n    - provider: a\n      model: m\n      data_policy:\n";
    let cases = [
        (
            "base: &a {retention_days: 0}\nother: &b {retention_days: 30}\nproviders:\n  targets:\n    - provider: a\n      model: m\n      data_policy:\n        <<: [*b, *a]\n".to_string(),
            "anchors",
        ),
        (format!("{head}        <<: {{retention_days: 0}}\n"), "merge keys"),
        (format!("{head}        hipaa: !!str true\n"), "tags"),
        (format!("{head}        retention_days: !!str 0\n"), "tags"),
        (format!("{head}        hipaa: !foo true\n"), "tags"),
        (format!("{head}        region: !!binary ZXU=\n"), "tags"),
        (format!("{head}        soc2: &x true\n        gdpr: *x\n"), "anchors"),
    ];
    for (text, what) in cases {
        let err = Catalog::from_gateway_yaml(&text, "gw.yaml").expect_err(&text);
        assert_eq!(err.kind(), ErrorKind::Catalog, "{err}");
        let d = &err.diagnostics()[0];
        assert_eq!(d.code(), "catalog/invalid-yaml", "{text}");
        assert!(d.message().contains(what), "{text}: {}", d.message());
        assert!(err.to_string().contains("gw.yaml"), "{err}");
    }
    // The same values written out plainly are read as written.
    let plain =
        format!("{head}        retention_days: 30\n        hipaa: true\n        region: '0'\n");
    let c = Catalog::from_gateway_yaml(&plain, "gw.yaml").unwrap();
    let t = c.get("a/m").unwrap();
    assert_eq!(t.get("retention_days"), Some(ValueRef::Number(30)));
    assert_eq!(t.get("region"), Some(ValueRef::Text("0")));
}
