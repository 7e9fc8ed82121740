//! Synthetic specs of every size resolve and get an address plan: the
//! benchmarks of later stages can use them unpatched.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use landfall_testkit::{synthetic_spec, synthetic_workloads, Size};

#[test]
fn small_and_large_synthetic_specs_plan_cleanly() {
    for files in [
        synthetic_spec(Size {
            domains: 3,
            services_per_domain: 4,
        }),
        synthetic_spec(Size::about(2000, 10_000)),
        synthetic_workloads(2000, 10_000),
    ] {
        let (loaded, diagnostics) = landfall_spec::load_files(files);
        let resolved = landfall_model::resolve(loaded, diagnostics);
        let messages: Vec<&str> = resolved
            .diagnostics
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        assert!(!resolved.diagnostics.has_errors(), "{messages:#?}");
        let model = resolved.model.as_ref().unwrap();
        let planned = landfall_netplan::plan(model, &resolved.loaded, None, Default::default());
        let messages: Vec<&str> = planned
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.message.as_str())
            .collect();
        assert!(messages.is_empty(), "{messages:#?}");
        assert_eq!(
            planned.plan.unwrap().subnets.len(),
            model.network.subnets.len()
        );
    }
}
