//! Limits are enforced by splitting: no stack over AWS's resource, parameter
//! or output limits, no template over 1 MB, however large the platform.

#![allow(clippy::expect_used, reason = "tests fail loudly on broken fixtures")]

mod common;

use landfall_graph::Graph;
use landfall_model::Limits;

fn assert_within(graph: &Graph, limits: &Limits) {
    assert!(graph.check().is_empty(), "{:?}", graph.check());
    for stack in &graph.stacks {
        assert!(
            stack.resources.len() as u64 <= limits.stack_max_resources,
            "{}: {} resources",
            stack.name,
            stack.resources.len()
        );
        assert!(
            stack.outputs.len() as u64 <= limits.stack_max_outputs,
            "{}: {} outputs",
            stack.name,
            stack.outputs.len()
        );
        assert!(
            stack.parameters.len() as u64 <= limits.stack_max_parameters,
            "{}: {} parameters",
            stack.name,
            stack.parameters.len()
        );
    }
}

/// A synthetic platform of about 2,000 subnets: 164 domains, each with its
/// own application subnets in every VPC.
fn large_network_files() -> Vec<(String, String)> {
    let size = landfall_testkit::Size {
        domains: 164,
        services_per_domain: 1,
    };
    landfall_testkit::synthetic_spec(size)
        .into_iter()
        .map(|(name, text)| {
            let text = match name.as_str() {
                "network.yaml" => text
                    .replace("per_domain: false", "per_domain: true")
                    .replace("domains: 328 }", "domains: 170 }")
                    .replace(
                        "kind: application, prefix_length: 18",
                        "kind: application, prefix_length: 26",
                    ),
                // Raised quotas, as an organization with 2,000 subnets has
                // them (AWS allows up to 1,000 routes per table).
                "landfall.yaml" => {
                    format!("{text}  subnets_per_vpc: 1000\n  routes_per_route_table: 1000\n")
                }
                _ => text,
            };
            (name, text)
        })
        .collect()
}

#[test]
fn two_thousand_subnets_fit_every_limit() {
    let synthesized = common::synthesize_files(large_network_files(), None);
    let subnets = synthesized.model.network.subnets.len();
    assert!(subnets >= 2_000, "only {subnets} subnets");
    let limits = &synthesized.model.limits;
    assert_within(&synthesized.graph, limits);
    let emitted = common::emit(&synthesized);
    for file in emitted
        .files
        .iter()
        .filter(|f| f.path.starts_with("templates/"))
    {
        assert!(
            file.contents.len() as u64 <= limits.template_s3_max_bytes,
            "{}: {} bytes",
            file.path,
            file.contents.len()
        );
    }
    let subnet_resources: usize = synthesized
        .graph
        .stacks
        .iter()
        .flat_map(|s| &s.resources)
        .filter(|r| r.kind == "AWS::EC2::Subnet")
        .count();
    assert_eq!(subnet_resources, subnets);
}

#[test]
fn a_stack_over_a_limit_is_cut_along_its_keys() {
    let mut synthesized = common::synthesize_files(common::small_files(), None);
    let whole = synthesized.graph.clone();
    synthesized.model.limits.stack_max_resources = 12;
    synthesized.model.limits.stack_max_outputs = 12;
    let scps =
        landfall_rules::compile_scps(&synthesized.model).unwrap_or_else(|d| panic!("{d:#?}"));
    let graph = landfall_synth::synthesize(&synthesized.model, &synthesized.plan, &scps)
        .unwrap_or_else(|p| panic!("{p:#?}"));
    assert_within(&graph, &synthesized.model.limits);
    assert!(
        graph.stacks.len() > whole.stacks.len() + 5,
        "{} stacks",
        graph.stacks.len()
    );
    // Cut by tier first: the network core of prod has a stack per tier.
    assert!(
        graph
            .stacks
            .iter()
            .any(|s| s.name.ends_with("-core-app") || s.name.contains("-core-endpoints")),
        "{:?}",
        graph.stacks.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    // Same resources, same logical ids, only in more stacks.
    let ids = |g: &Graph| {
        let mut v: Vec<String> = g
            .stacks
            .iter()
            .flat_map(|s| s.resources.iter().map(|r| r.logical_id.clone()))
            .collect();
        v.sort();
        v
    };
    let (mut a, mut b) = (ids(&whole), ids(&graph));
    a.dedup();
    b.dedup();
    assert_eq!(a, b);
    // Still valid templates: every import has its export.
    let exports: std::collections::BTreeSet<String> = graph
        .stacks
        .iter()
        .flat_map(|s| s.outputs.iter().filter_map(|o| o.export.clone()))
        .collect();
    for stack in &graph.stacks {
        let text = serde_json::to_string(&landfall_synth::cloudformation::template(stack, None))
            .unwrap_or_default();
        for piece in text.split("\"Fn::ImportValue\":\"").skip(1) {
            let name = piece.split('"').next().unwrap_or_default();
            assert!(
                exports.contains(name),
                "{}: import of `{name}` has no export",
                stack.name
            );
        }
    }
}

#[test]
fn limits_hold_for_a_two_thousand_account_org() {
    let files = common::synthetic_files(2_000, 2_000);
    let synthesized = common::synthesize_files(files, None);
    assert_within(&synthesized.graph, &synthesized.model.limits);
    let emitted = common::emit(&synthesized);
    for file in emitted
        .files
        .iter()
        .filter(|f| f.path.starts_with("templates/"))
    {
        assert!(
            file.contents.len() as u64 <= synthesized.model.limits.template_s3_max_bytes,
            "{}",
            file.path
        );
    }
}
