//! Gateway decisions: automatic vs pinned routing, block vs warn, the 403
//! body, security events, layering, preview and diff.

use eligo::{Catalog, Outcome, Policy, Request, Target, Timestamp};

const REGULATED: &str = r#"policy "regulated-routing"; version "3";
    require zero_data_retention; require !trains_on_prompts; max_retention_days 0;
    require in_memory_only; require !internet_egress; require local_only_processing"#;

fn local(provider: &str, model: &str) -> Target {
    Target::builder(provider, model)
        .attr("zero_data_retention", true)
        .attr("trains_on_prompts", false)
        .attr("retention_days", 0)
        .attr("in_memory_only", true)
        .attr("internet_egress", false)
        .attr("local_only_processing", true)
        .build()
}

fn cloud(provider: &str, model: &str) -> Target {
    Target::builder(provider, model)
        .attr("zero_data_retention", false)
        .attr("trains_on_prompts", false)
        .attr("retention_days", 30)
        .attr("internet_egress", true)
        .build()
}

fn at() -> Timestamp {
    Timestamp::from_unix(1_795_000_000)
}

#[test]
fn regulated_routing_keeps_local_removes_cloud() {
    let policy = Policy::compile(REGULATED).unwrap();
    let catalog = Catalog::new(vec![
        cloud("cloud", "deepseek-v3.2"),
        local("local", "deepseek-v3.2"),
    ])
    .unwrap();
    let d = eligo::route(&policy, &catalog, &Request::model("deepseek-v3.2").at(at())).unwrap();
    assert_eq!(d.outcome(), Outcome::Routed);
    assert_eq!(d.status(), 200);
    assert_eq!(d.targets(), ["local/deepseek-v3.2"]);
    assert!(d.event().is_none());
    let removed = &d.candidates()[0];
    assert!(!removed.routed);
    let texts: Vec<&str> = removed.failures.iter().map(|f| f.failure.text()).collect();
    assert_eq!(
        texts,
        [
            "require zero_data_retention",
            "max_retention_days 0",
            "require in_memory_only",
            "require !internet_egress",
            "require local_only_processing"
        ]
    );
}

#[test]
fn nothing_compliant_is_a_403_with_a_clear_body_and_an_event() {
    let policy = Policy::compile(REGULATED).unwrap();
    let catalog = Catalog::new(vec![
        cloud("cloud", "deepseek-v3.2"),
        cloud("other", "deepseek-v3.2"),
    ])
    .unwrap();
    let d = eligo::route(&policy, &catalog, &Request::model("deepseek-v3.2").at(at())).unwrap();
    assert!(d.is_blocked());
    assert_eq!(d.status(), 403);
    assert_eq!(d.code(), Some("no_compliant_provider"));
    assert!(d.targets().is_empty());
    let message = "This request was blocked by the provider compliance policy `regulated-routing`. \
                   No available provider for deepseek-v3.2 meets its requirements.";
    assert_eq!(d.message(), Some(message));
    let body = d.error_body().unwrap();
    assert_eq!(body["error"]["message"], message);
    assert_eq!(body["error"]["code"], "no_compliant_provider");
    assert!(body["error"]["type"].is_string());

    let event = d.event().unwrap().to_json();
    assert_eq!(event["action"], "block");
    assert_eq!(event["status"], 403);
    assert_eq!(event["time"], "2026-11-18T11:06:40Z");
    assert_eq!(event["policies"][0]["name"], "regulated-routing");
    assert_eq!(event["policies"][0]["version"], "3");
    assert_eq!(event["policies"][0]["mode"], "block");
    assert_eq!(event["policies"][0]["fingerprint"], policy.fingerprint());
    assert_eq!(event["request"]["model"], "deepseek-v3.2");
    assert!(event["request"]["pinned"].is_null());
    // Every candidate with all of its failures, not just the first. The
    // two candidates declare the same, so they are listed together under
    // one copy of the failures.
    assert_eq!(event["schema"], "eligo.security_event/2");
    assert_eq!(event["candidate_count"], 2);
    let groups = event["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(
        groups[0]["candidates"],
        serde_json::json!(["cloud/deepseek-v3.2", "other/deepseek-v3.2"])
    );
    assert_eq!(groups[0]["compliant"], false);
    assert_eq!(groups[0]["routed"], false);
    let failures = &groups[0]["failures"];
    assert_eq!(failures.as_array().unwrap().len(), 5);
    let f = &failures[1];
    assert_eq!(f["text"], "max_retention_days 0");
    assert_eq!(f["value"], "false");
    assert_eq!(f["attributes"][0], "retention_days");
    let unknown = &failures[2];
    assert_eq!(unknown["value"], "unknown");
    assert_eq!(unknown["attributes"][0], "in_memory_only");
}

#[test]
fn warn_mode_proceeds_unfiltered_and_reports() {
    let src = REGULATED.replace("version \"3\";", "version \"3\"; mode warn;");
    let policy = Policy::compile(&src).unwrap();
    let catalog = Catalog::new(vec![
        cloud("cloud", "deepseek-v3.2"),
        cloud("other", "deepseek-v3.2"),
    ])
    .unwrap();
    let d = eligo::route(&policy, &catalog, &Request::model("deepseek-v3.2").at(at())).unwrap();
    assert_eq!(d.outcome(), Outcome::Warned);
    assert!(d.would_block());
    assert_eq!(d.status(), 200);
    assert_eq!(d.targets(), ["cloud/deepseek-v3.2", "other/deepseek-v3.2"]);
    assert!(d.error_body().is_none());
    let event = d.event().unwrap().to_json();
    assert_eq!(event["action"], "warn");
    assert_eq!(event["status"], 200);
    assert!(d.message().unwrap().contains("would have been blocked"));
}

#[test]
fn pinned_non_compliant_target_is_blocked_not_rerouted() {
    let policy = Policy::compile(REGULATED).unwrap();
    let catalog = Catalog::new(vec![
        cloud("deepseek", "deepseek-v3.2"),
        local("local", "deepseek-v3.2"),
    ])
    .unwrap();
    let d = eligo::route(
        &policy,
        &catalog,
        &Request::from_model_field("deepseek/deepseek-v3.2").at(at()),
    )
    .unwrap();
    assert!(d.is_blocked());
    assert!(d.targets().is_empty());
    assert_eq!(d.candidates().len(), 1);
    assert!(
        d.message()
            .unwrap()
            .contains("The pinned provider deepseek/deepseek-v3.2 does not meet its requirements.")
    );
    assert_eq!(
        d.event().unwrap().to_json()["request"]["pinned"],
        "deepseek/deepseek-v3.2"
    );
    // The compliant target for the same model is still reachable unpinned.
    let auto = eligo::route(&policy, &catalog, &Request::model("deepseek-v3.2")).unwrap();
    assert_eq!(auto.targets(), ["local/deepseek-v3.2"]);
    // And pinned to it.
    let pinned_ok = eligo::route(&policy, &catalog, &Request::pin("local/deepseek-v3.2")).unwrap();
    assert_eq!(pinned_ok.targets(), ["local/deepseek-v3.2"]);
}

#[test]
fn order_of_compliant_targets_is_kept() {
    let policy = Policy::compile("require !trains_on_prompts").unwrap();
    let mut targets = Vec::new();
    for i in 0..20 {
        targets.push(
            Target::builder(format!("p{i}"), "m")
                .attr("trains_on_prompts", i % 3 == 0)
                .build(),
        );
    }
    // A target for another model is never a candidate.
    targets.push(
        Target::builder("x", "other")
            .attr("trains_on_prompts", false)
            .build(),
    );
    let catalog = Catalog::new(targets).unwrap();
    let d = eligo::route(&policy, &catalog, &Request::model("m")).unwrap();
    let want: Vec<String> = (0..20)
        .filter(|i| i % 3 != 0)
        .map(|i| format!("p{i}/m"))
        .collect();
    assert_eq!(d.targets(), want.as_slice());
}

#[test]
fn unknown_model_or_target_is_its_own_error() {
    let policy = Policy::compile("require soc2").unwrap();
    let catalog = Catalog::new(vec![Target::new("openai", "gpt-4o")]).unwrap();
    let err = eligo::route(&policy, &catalog, &Request::model("gpt-4")).unwrap_err();
    assert_eq!(err.kind(), eligo::ErrorKind::Request);
    assert_eq!(err.diagnostics()[0].code(), "request/unknown-model");
    assert_eq!(err.diagnostics()[0].help(), Some("did you mean `gpt-4o`?"));
    let err = eligo::route(&policy, &catalog, &Request::pin("openai/gpt-4")).unwrap_err();
    assert_eq!(err.diagnostics()[0].code(), "request/unknown-target");
}

#[test]
fn a_project_layer_cannot_widen_the_baseline() {
    let baseline =
        Policy::compile(r#"policy "org"; require !trains_on_prompts; deny provider ["deepseek"]"#)
            .unwrap();
    let catalog = Catalog::new(vec![
        Target::builder("deepseek", "m")
            .attr("trains_on_prompts", false)
            .build(),
        Target::builder("trainer", "m")
            .attr("trains_on_prompts", true)
            .build(),
        Target::builder("good", "m")
            .attr("trains_on_prompts", false)
            .attr("gdpr", true)
            .build(),
        Target::builder("nogdpr", "m")
            .attr("trains_on_prompts", false)
            .build(),
    ])
    .unwrap();
    let base_only = eligo::route(&baseline, &catalog, &Request::model("m")).unwrap();
    assert_eq!(base_only.targets(), ["good/m", "nogdpr/m"]);
    // Projects that try to widen: an empty policy, an allow list naming the
    // denied provider, a tautology-looking requirement, warn mode.
    for project in [
        "",
        r#"allow provider ["deepseek", "trainer", "good", "nogdpr"]"#,
        "require trains_on_prompts or !trains_on_prompts",
        r#"mode warn; allow provider ["deepseek"]"#,
    ] {
        let project = Policy::compile(project).unwrap();
        let d = eligo::route_layered(&[baseline.clone(), project], &catalog, &Request::model("m"))
            .unwrap();
        for id in d.targets() {
            assert!(base_only.targets().contains(id), "{id} widened");
        }
    }
    // A project can narrow.
    let project = Policy::compile(r#"policy "proj"; require gdpr"#).unwrap();
    let d =
        eligo::route_layered(&[baseline.clone(), project], &catalog, &Request::model("m")).unwrap();
    assert_eq!(d.targets(), ["good/m"]);
    // A blocking project names itself in the message.
    let project = Policy::compile(r#"policy "proj"; require hipaa"#).unwrap();
    let d = eligo::route_layered(&[baseline, project], &catalog, &Request::model("m")).unwrap();
    assert!(d.is_blocked());
    assert!(d.message().unwrap().contains("`proj`"), "{:?}", d.message());
}

#[test]
fn preview_and_diff_over_the_shipped_catalog() {
    let root = env!("CARGO_MANIFEST_DIR");
    let catalog = Catalog::from_file(format!("{root}/policies/catalog.json")).unwrap();
    let old = Policy::from_file(format!("{root}/policies/soc2.pol")).unwrap();
    let new = Policy::from_file(format!("{root}/policies/soc2-or-iso27001.pol")).unwrap();
    let p = eligo::preview(&new, &catalog, None);
    assert_eq!(p.allowed + p.blocked, catalog.len());
    let ds = p
        .rows
        .iter()
        .find(|r| r.id == "deepseek/deepseek-v3.2")
        .unwrap();
    assert!(!ds.allowed);
    assert!(ds.failures[0].is_unknown());
    let d = eligo::diff(&old, &new, &catalog, None);
    assert!(
        d.newly_blocked.is_empty(),
        "widening a requirement blocks nothing new"
    );
    let newly: Vec<&str> = d.newly_allowed.iter().map(|r| r.id.as_str()).collect();
    assert!(newly.contains(&"onprem/deepseek-v3.2"), "{newly:?}");
    for row in &d.newly_allowed {
        assert!(!row.before.is_empty() && row.after.is_empty());
    }
    let back = eligo::diff(&new, &old, &catalog, None);
    assert_eq!(back.newly_blocked.len(), d.newly_allowed.len());
}

#[test]
fn expired_evidence_blocks_routing_on_the_request_date() {
    let policy = Policy::compile("require soc2").unwrap();
    let t = Target::builder("a", "m")
        .expiring("soc2", true, "2026-12-31".parse().unwrap())
        .build();
    let catalog = Catalog::new(vec![t]).unwrap();
    let before = eligo::route(
        &policy,
        &catalog,
        &Request::model("m").on("2026-12-01".parse().unwrap()),
    )
    .unwrap();
    assert_eq!(before.targets(), ["a/m"]);
    let after = eligo::route(
        &policy,
        &catalog,
        &Request::model("m").on("2027-01-01".parse().unwrap()),
    )
    .unwrap();
    assert!(after.is_blocked());
}

#[test]
fn an_encoded_catalog_agrees_with_evaluate() {
    let root = env!("CARGO_MANIFEST_DIR");
    let catalog = Catalog::from_file(format!("{root}/policies/catalog.json")).unwrap();
    for entry in std::fs::read_dir(format!("{root}/policies")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "pol") {
            continue;
        }
        let policy = Policy::from_file(&path).unwrap();
        let encoded = policy.encode_catalog(&catalog, None);
        let allowed = encoded.filter();
        let want: Vec<usize> = (0..catalog.len())
            .filter(|&i| policy.evaluate(&catalog.targets()[i]).is_allowed())
            .collect();
        assert_eq!(
            allowed.indices().collect::<Vec<_>>(),
            want,
            "{}",
            path.display()
        );
        assert_eq!(allowed.count(), want.len());
        for i in 0..catalog.len() {
            assert_eq!(encoded.is_allowed(i), want.contains(&i));
        }
        assert!(!allowed.contains(catalog.len()));
        assert!(
            !encoded.is_allowed(catalog.len()),
            "past the end is never allowed"
        );
    }
}

#[test]
fn warn_mode_keeping_non_compliant_targets_is_recorded() {
    let policy = Policy::compile(r#"policy "rollout"; mode warn; require gdpr"#).unwrap();
    let catalog = Catalog::new(vec![
        Target::builder("a", "m").build(),
        Target::builder("b", "m").attr("gdpr", true).build(),
    ])
    .unwrap();
    let d = eligo::route(&policy, &catalog, &Request::model("m")).unwrap();
    assert_eq!(d.outcome(), Outcome::Routed);
    assert_eq!(d.targets(), ["a/m", "b/m"]);
    let event = d
        .event()
        .expect("kept non-compliant targets are recorded")
        .to_json();
    assert_eq!(event["action"], "warn");
    assert!(
        event["message"]
            .as_str()
            .unwrap()
            .contains("kept 1 provider(s) for m")
    );
}

#[test]
fn a_json_catalog_may_start_with_a_byte_order_mark() {
    let c = Catalog::from_json("\u{FEFF}{\"targets\": []}", "bom.json").unwrap();
    assert!(c.is_empty());
}

// What broke: the error for an unknown pinned id or model repeated the
// requested name whole and raw, so a client could put a megabyte, or `\r`
// and escape sequences that rewrite an administrator's terminal, into it.
#[test]
fn an_unknown_name_is_echoed_escaped_and_cut_with_the_suggestion_in_help() {
    let policy = Policy::compile("require soc2").unwrap();
    let catalog = Catalog::new(vec![local("local", "deepseek-v3.2")]).unwrap();

    let err = eligo::route(
        &policy,
        &catalog,
        &Request::pin("local/deepseek-v3.2\r\x1b[2K"),
    )
    .unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!(d.code(), "request/unknown-target");
    assert_eq!(
        d.message(),
        r"no target `local/deepseek-v3.2\r\u{1b}[2K` in the catalog"
    );
    // The closest catalog id is for administrators: in the help only.
    assert_eq!(d.help(), Some("did you mean `local/deepseek-v3.2`?"));

    let long = format!("local/{}", "x\u{202e}".repeat(500_000));
    let err = eligo::route(&policy, &catalog, &Request::pin(long.as_str())).unwrap_err();
    let message = err.diagnostics()[0].message();
    assert!(message.len() < 400, "{} bytes", message.len());
    assert!(
        message.starts_with(r"no target `local/x\u{202e}x"),
        "{message}"
    );
    assert!(message.ends_with("…` in the catalog"), "{message}");

    let err = eligo::route(&policy, &catalog, &Request::model("deepseek\u{7f}")).unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!(d.message(), r"no model `deepseek\u{7f}` in the catalog");
    assert!(!d.message().contains("v3.2"), "{}", d.message());
}

// What broke: `route_layered` with no layers applied no policy and routed
// the request to every candidate, the one way to get an allow without a
// single requirement being checked.
#[test]
fn routing_under_no_layers_is_an_error_not_an_allow() {
    let catalog = Catalog::new(vec![cloud("cloud", "m"), local("local", "m")]).unwrap();
    for request in [Request::model("m"), Request::pin("cloud/m")] {
        let err = eligo::route_layered(&[], &catalog, &request).unwrap_err();
        assert_eq!(err.kind(), eligo::ErrorKind::Request);
        let d = &err.diagnostics()[0];
        assert_eq!(d.code(), "request/no-policy");
        assert_eq!(
            d.message(),
            "no policy to route under: routing needs at least one policy layer"
        );
    }
}

/// What broke: a target serving every model (`*`, every target read from
/// provider definitions) was seen by policies with the literal model `"*"`:
/// `deny model ["gpt-3.5-turbo"]` still routed a `gpt-3.5-turbo` request to
/// it, `allow model ["gpt-4o"]` answered 403 for `gpt-4o`, and `require
/// model != "x"` let requests for `x` through. A wildcard target is now
/// judged as serving the requested model, and its model is unknown where no
/// request names one.
#[test]
fn wildcard_targets_are_judged_as_serving_the_requested_model() {
    let catalog = Catalog::from_file(format!(
        "{}/tests/data/catalogs/providers.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let canopywave = catalog.get("canopywave").unwrap();
    assert!(canopywave.is_wildcard());
    let route = |src: &str, model: &str| {
        let policy = eligo::compile(src).unwrap();
        eligo::route(&policy, &catalog, &Request::model(model).at(at())).unwrap()
    };

    let deny = r#"deny model ["gpt-3.5-turbo"]"#;
    let d = route(deny, "gpt-3.5-turbo");
    assert!(d.is_blocked(), "{:?}", d.targets());
    assert!(d.candidates().iter().all(|c| !c.compliant));
    let d = route(deny, "gpt-4o");
    assert!(
        d.targets().contains(&"canopywave".to_string()),
        "{:?}",
        d.targets()
    );

    let allow = r#"allow model ["gpt-4o"]"#;
    let d = route(allow, "gpt-4o");
    assert!(!d.is_blocked());
    assert!(d.targets().contains(&"canopywave".to_string()));
    assert!(route(allow, "gpt-3.5-turbo").is_blocked());

    let not_x = r#"require model != "x""#;
    assert!(route(not_x, "x").is_blocked());
    assert!(!route(not_x, "y").is_blocked());

    // Pinned to a wildcard target, for a named model.
    let policy = eligo::compile(deny).unwrap();
    let pin = |model: &str| {
        eligo::route(
            &policy,
            &catalog,
            &Request::pin("canopywave").for_model(model).at(at()),
        )
        .unwrap()
    };
    assert!(pin("gpt-3.5-turbo").is_blocked());
    assert!(!pin("gpt-4o").is_blocked());
    // With no model named, the model is unknown: a model list cannot pass.
    assert!(policy.evaluate(canopywave).is_blocked());
    assert!(
        eligo::route(&policy, &catalog, &Request::pin("canopywave").at(at()))
            .unwrap()
            .is_blocked()
    );

    // Preview for one model judges wildcard targets the same way.
    let p = eligo::preview_model(&policy, &catalog, "gpt-3.5-turbo", None);
    assert_eq!(p.allowed, 0);
    let p = eligo::preview_model(&policy, &catalog, "gpt-4o", None);
    assert_eq!(p.allowed, p.rows.len());
    assert!(p.rows.iter().any(|r| r.id == "canopywave"));
}

/// What broke: `route` stamped the event with the time but read expiring
/// evidence with no date, once per attribute lookup, so one decision could
/// straddle midnight and the event did not say which day was used. One
/// date now serves the whole decision, and the event records it.
#[test]
fn one_date_serves_a_whole_decision_and_is_recorded() {
    let expiry = eligo::Date::new(2026, 12, 31).unwrap();
    let catalog = Catalog::new(vec![
        Target::builder("a", "m")
            .expiring("soc2", true, expiry)
            .build(),
    ])
    .unwrap();
    let policy = eligo::compile("require soc2").unwrap();
    // 2026-12-31T23:59:59Z: the last second the evidence holds.
    let last = Timestamp::from_unix(1_798_761_599);
    let d = eligo::route(&policy, &catalog, &Request::model("m").at(last)).unwrap();
    assert!(!d.is_blocked());
    let next = Timestamp::from_unix(1_798_761_600);
    let d = eligo::route(&policy, &catalog, &Request::model("m").at(next)).unwrap();
    assert!(d.is_blocked());
    let event = d.event().unwrap().to_json();
    assert_eq!(event["date"], "2027-01-01");
    assert_eq!(event["time"], "2027-01-01T00:00:00Z");
    // An explicit date wins over the time's date, and is recorded.
    let d = eligo::route(
        &policy,
        &catalog,
        &Request::model("m")
            .at(next)
            .on(eligo::Date::new(2027, 3, 1).unwrap()),
    )
    .unwrap();
    assert_eq!(d.event().unwrap().to_json()["date"], "2027-03-01");
}

/// What broke: an encoding made without a date kept the verdicts of the day
/// it was made, so a long-lived one kept honouring evidence that had since
/// expired. Asked about a later day, it leaves such targets out.
#[test]
fn an_encoding_does_not_outlive_its_date() {
    let day = eligo::Date::new(2026, 12, 1).unwrap();
    let next_day = eligo::Date::new(2026, 12, 2).unwrap();
    let later = eligo::Date::new(2026, 12, 3).unwrap();
    let catalog = Catalog::new(vec![
        Target::builder("a", "m")
            .expiring("soc2", true, next_day)
            .build(),
        Target::builder("b", "m").attr("soc2", true).build(),
        Target::builder("c", "m")
            .expiring("soc2", true, day)
            .build(),
    ])
    .unwrap();
    let policy = eligo::compile("require soc2").unwrap();
    let encoded = policy.encode_catalog(&catalog, Some(day));
    assert_eq!(encoded.date(), day);
    let on = |d| encoded.filter_on(d).indices().collect::<Vec<_>>();
    assert_eq!(on(day), [0, 1, 2]);
    assert_eq!(on(next_day), [0, 1]);
    assert_eq!(on(later), [1]);
    assert!(!encoded.is_allowed_on(0, later) && encoded.is_allowed_on(1, later));
    // The row path agrees on each day.
    for d in [day, next_day, later] {
        let want: Vec<usize> = (0..3)
            .filter(|&i| policy.is_allowed_on(&catalog.targets()[i], d))
            .collect();
        assert_eq!(on(d), want, "{d}");
    }
}

/// What broke: a model field containing `/` was always read as a pin, so
/// `meta-llama/Llama-3.3-70B` could not be routed automatically, and
/// `openai/gpt-4o` could not name the wildcard target of provider `openai`.
#[test]
fn model_fields_with_a_slash_name_a_target_or_a_model() {
    let policy = eligo::compile(r#"require soc2; deny model ["gpt-3.5-turbo"]"#).unwrap();
    let catalog = Catalog::new(vec![
        Target::builder("together", "meta-llama/Llama-3.3-70B")
            .attr("soc2", true)
            .build(),
        Target::builder("deepinfra", "meta-llama/Llama-3.3-70B")
            .attr("soc2", false)
            .build(),
        Target::builder("openai", "*")
            .id("openai")
            .attr("soc2", true)
            .build(),
        Target::builder("azure", "gpt-4o")
            .attr("soc2", true)
            .build(),
    ])
    .unwrap();
    let route = |field: &str| {
        eligo::route(
            &policy,
            &catalog,
            &Request::from_model_field(field).at(at()),
        )
    };

    // A model name with a slash: automatic routing among its servers.
    let d = route("meta-llama/Llama-3.3-70B").unwrap();
    assert_eq!(d.targets(), ["together/meta-llama/Llama-3.3-70B", "openai"]);
    assert_eq!(d.candidates().len(), 3);
    // `provider/model` naming one target: pinned, never re-routed.
    let d = route("openai/gpt-3.5-turbo").unwrap();
    assert!(d.is_blocked(), "{:?}", d.targets());
    assert_eq!(d.candidates().len(), 1);
    assert_eq!(route("openai/gpt-4o").unwrap().targets(), ["openai"]);
    // A target id still pins exactly.
    assert_eq!(route("azure/gpt-4o").unwrap().targets(), ["azure/gpt-4o"]);
    let d = route("deepinfra/meta-llama/Llama-3.3-70B").unwrap();
    assert!(d.is_blocked());
    // Nothing of that name: an unknown target, not a guess.
    let err = route("nobody/gpt-4o").unwrap_err();
    assert_eq!(err.diagnostics()[0].code(), "request/unknown-target");
    // An explicit pin is exact: no reading as a model name.
    let err =
        eligo::route(&policy, &catalog, &Request::pin("meta-llama/Llama-3.3-70B")).unwrap_err();
    assert_eq!(err.diagnostics()[0].code(), "request/unknown-target");
}

/// What broke (found in review): an encoding asked about a day before its
/// date could allow a target whose evidence had expired by the encoding's
/// date but was valid on that day (`!known(x)` turns on it); and evidence
/// for attributes the policy never reads made a late encoding drop targets
/// the row path allows.
#[test]
fn an_encoding_answers_only_for_its_date_and_later_and_only_for_what_it_reads() {
    let d = |day| eligo::Date::new(2026, 6, day).unwrap();
    let catalog = Catalog::new(vec![
        Target::builder("a", "m")
            .expiring("gdpr", true, d(10))
            .build(),
        Target::builder("b", "m")
            .attr("soc2", true)
            .expiring("gdpr", true, d(10))
            .build(),
    ])
    .unwrap();
    let not_known = eligo::compile("require !known(gdpr)").unwrap();
    let encoded = not_known.encode_catalog(&catalog, Some(d(20)));
    assert_eq!(encoded.filter().indices().collect::<Vec<_>>(), [0, 1]);
    assert!(!not_known.is_allowed_on(&catalog.targets()[0], d(5)));
    assert_eq!(encoded.filter_on(d(5)).count(), 0);
    assert!(!encoded.is_allowed_on(0, d(5)));

    let soc2 = eligo::compile("require soc2").unwrap();
    let encoded = soc2.encode_catalog(&catalog, Some(d(1)));
    assert!(soc2.is_allowed_on(&catalog.targets()[1], d(15)));
    assert_eq!(encoded.filter_on(d(15)).indices().collect::<Vec<_>>(), [1]);
    assert!(encoded.is_allowed_on(1, d(15)));
}

// Route judges each distinct reading of a candidate once and shares the
// judgement; the event lists candidates that fared alike together. Over a
// catalog where many candidates read alike and many do not (wildcard
// targets among them, a `model` list, two layers of which one warns),
// every candidate's failures must be exactly those of evaluating it on its
// own, and the event's groups must hold every candidate once, with the
// failures of each.
#[test]
fn shared_judgements_and_event_groups_match_each_candidate_judged_alone() {
    let baseline = Policy::compile(
        r#"policy "org"; require soc2 or iso27001; max_retention_days 30; deny model ["m-bad"]"#,
    )
    .unwrap();
    let project = Policy::compile(r#"policy "proj"; mode warn; require gdpr"#).unwrap();
    let layers = [baseline, project];
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let flag = |v: u64| match v {
        0 => None,
        1 => Some(false),
        _ => Some(true),
    };
    let mut targets = Vec::new();
    for i in 0..400 {
        let model = ["m-good", "m-bad", "*"][next(3) as usize];
        let mut t = Target::new(format!("p{i}"), model);
        for name in ["soc2", "iso27001", "gdpr"] {
            if let Some(b) = flag(next(3)) {
                t.set(name, b);
            }
        }
        if next(4) > 0 {
            t.set("retention_days", [0, 30, 31][next(3) as usize] as i64);
        }
        targets.push(t);
    }
    let catalog = Catalog::new(targets).unwrap();
    let day = "2026-12-01".parse().unwrap();
    for model in ["m-good", "m-bad"] {
        let d = eligo::route_layered(&layers, &catalog, &Request::model(model).on(day)).unwrap();
        let mut seen = Vec::new();
        for c in d.candidates() {
            let t = catalog.get(&c.id).unwrap();
            let serving = t.serving_as(model);
            let mut want = Vec::new();
            let mut blocked = false;
            for layer in &layers {
                let v = layer.evaluate_on(&serving, day);
                blocked |= v.is_blocked() && layer.mode() == eligo::Mode::Block;
                want.extend(
                    v.failures()
                        .iter()
                        .map(|f| (layer.display_name().to_string(), f.clone())),
                );
            }
            let have: Vec<_> = c
                .failures
                .iter()
                .map(|f| (f.policy.to_string(), f.failure.clone()))
                .collect();
            assert_eq!(have, want, "{}", c.id);
            assert_eq!(c.compliant, want.is_empty(), "{}", c.id);
            assert_eq!(c.routed, !blocked, "{}", c.id);
            seen.push(c.id.clone());
        }
        let expect: Vec<String> = catalog
            .serving(model)
            .map(|(_, t)| t.id().to_string())
            .collect();
        assert_eq!(seen, expect);
        let event = d.event().expect("some candidates fail the warn layer");
        assert_eq!(event.candidate_count, seen.len());
        assert!(
            event.groups.len() > 1 && event.groups.len() < seen.len() / 4,
            "{}",
            event.groups.len()
        );
        let mut grouped: Vec<&String> = event.groups.iter().flat_map(|g| &g.candidates).collect();
        grouped.sort();
        let mut all: Vec<&String> = seen.iter().collect();
        all.sort();
        assert_eq!(grouped, all);
        for g in &event.groups {
            for id in &g.candidates {
                let c = d.candidates().iter().find(|c| &c.id == id).unwrap();
                assert_eq!(
                    (g.compliant, g.routed, &*g.failures),
                    (c.compliant, c.routed, &*c.failures)
                );
            }
        }
        let firsts: Vec<usize> = event
            .groups
            .iter()
            .map(|g| seen.iter().position(|id| *id == g.candidates[0]).unwrap())
            .collect();
        assert!(
            firsts.windows(2).all(|w| w[0] < w[1]),
            "groups in order of first candidate"
        );
        // Candidates that fail alike are in one group, even when they were
        // judged apart (their attributes differ where it does not matter).
        for (i, g) in event.groups.iter().enumerate() {
            for h in event.groups.iter().skip(i + 1) {
                assert!(
                    (g.compliant, g.routed, &*g.failures) != (h.compliant, h.routed, &*h.failures),
                    "two groups fail alike: {:?} and {:?}",
                    g.candidates,
                    h.candidates
                );
            }
        }
    }
}

// What broke: a target built in code may declare an attribute named like a
// request attribute (`request.data_class`), and the bulk path read it from
// the catalog's columns, so such a target could switch a `when` block off
// for itself: a wrong allow. Conditions read only the request, on every
// path.
#[test]
fn a_target_cannot_answer_for_the_request() {
    let policy = Policy::compile(r#"when request.data_class == "phi" { require hipaa; }"#).unwrap();
    let sly = Target::builder("sly", "m")
        .attr("request.data_class", "public")
        .attr("request.team", "research")
        .build();
    let catalog = Catalog::new(vec![sly.clone()]).unwrap();
    let phi = eligo::RequestAttrs::new().with("data_class", "phi");
    let day = "2026-12-01".parse().unwrap();
    assert!(!policy.is_allowed(&sly));
    assert!(!policy.is_allowed_for(&sly, &phi, None));
    assert_eq!(
        policy
            .encode_catalog(&catalog, Some(day))
            .filter_on(day)
            .count(),
        0
    );
    assert_eq!(policy.allowed_in_for(&catalog, &phi, Some(day)).count(), 0);
    assert_eq!(
        eligo::EncodedCatalog::encode_by_rows_for_testing(policy.program(), &catalog, Some(day))
            .filter_on(day)
            .count(),
        0
    );
    let d = eligo::route(&policy, &catalog, &Request::model("m").with_attrs(phi)).unwrap();
    assert!(d.is_blocked());
    // The request saying `public` is what lets it through.
    let public = eligo::RequestAttrs::new().with("data_class", "public");
    assert_eq!(
        policy.allowed_in_for(&catalog, &public, Some(day)).count(),
        1
    );
}
