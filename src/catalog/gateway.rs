//! Gateway YAML: `providers.targets[]`, each with a `data_policy` block.
//!
//! ```yaml
//! providers:
//!   targets:
//!     - provider: onprem
//!       model: llama-3.3-70b
//!       endpoint: http://10.0.0.5:8000/v1
//!       region: eu
//!       data_policy:
//!         zdr: true                    # shorthand for zero_data_retention
//!         training_opt_out: true       # → trains_on_prompts = false
//!         retention_days: 0            # absent = unknown
//!         in_memory_only: true
//!         accepts_tokenized_input: true
//!         allow_internet_egress: false # → internet_egress
//!         local_only_processing: true
//! ```
//!
//! Other sections of a gateway configuration, and other fields of a target
//! (keys, weights, timeouts), are routing settings and are ignored. Inside
//! `data_policy` every key must be known: the fields above, or any standard
//! attribute name (`soc2`, `gdpr`, `hipaa`, …). Nothing absent is defaulted.

use serde_json::Value as J;

use super::eligo::{object, target_head};
use super::{Catalog, Problems, data_policy, describe};
use crate::diagnostic::Error;
use crate::target::Target;

pub(crate) fn read(v: &J, file: &str) -> Result<Catalog, Error> {
    let mut p = Problems::new();
    let items = match v.get("providers").map(|pr| pr.get("targets")) {
        Some(Some(J::Array(items))) => items.as_slice(),
        Some(Some(other)) => {
            p.file(
                "catalog/wrong-type",
                format!(
                    "`providers.targets` must be a list, found {}",
                    describe(other)
                ),
                "",
            );
            &[]
        }
        _ => {
            p.file(
                "catalog/missing-field",
                "the file has no `providers.targets` list".to_string(),
                "gateway YAML lists targets under `providers:` → `targets:`; a LiteLLM config lists deployments under `model_list:`",
            );
            &[]
        }
    };
    let targets = p.read_all(items, target);
    p.finish(None, targets, file)
}

fn target(v: &J, i: usize, p: &mut Problems) -> Option<Target> {
    let obj = object(v, i, "a mapping", p)?;
    let before = p.diags.len();
    let mut t = target_head(obj, i, p)?;
    let name = format!(" `{}`", t.id());
    data_policy::read(obj.get("data_policy"), "data_policy", &mut t, i, &name, p);
    (p.diags.len() == before).then_some(t)
}
