//! The workload layer's speed: model to both forms (resource graph stacks,
//! CloudFormation templates and Terraform JSON modules, in memory).
//! Targets: the reference platform (111 services × 3 environments) under
//! 300 ms; 10,000 services (the testkit's 2,000-account organization)
//! under 5 s.

use criterion::{criterion_group, criterion_main, Criterion};
use landfall_graph::Graph;
use landfall_model::Model;
use landfall_netplan::AddressPlan;

struct Input {
    model: Model,
    plan: AddressPlan,
    base: Graph,
}

fn prepare(files: Vec<(String, String)>) -> Option<Input> {
    let (loaded, diagnostics) = landfall_spec::load_files(files);
    let resolved = landfall_model::resolve(loaded, diagnostics);
    let model = resolved.model?;
    let plan = landfall_netplan::plan(&model, &resolved.loaded, None, Default::default()).plan?;
    let scps = landfall_rules::compile_scps(&model).ok()?;
    let base = landfall_synth::synthesize(&model, &plan, &scps).ok()?;
    Some(Input { model, plan, base })
}

/// Model to both forms; returns the bytes written.
fn both_forms(input: &Input) -> usize {
    let Ok(stacks) =
        landfall_workloads::build(&input.model, &input.plan, &input.base, &Default::default())
    else {
        return 0;
    };
    let graph = Graph {
        organization: input.base.organization.clone(),
        home_region: input.base.home_region.clone(),
        stacks,
        organization_actions: Vec::new(),
    };
    let cfn = landfall_synth::cloudformation::emit(&graph, &input.model.limits, None)
        .map(|e| e.files.iter().map(|f| f.contents.len()).sum::<usize>())
        .unwrap_or(0);
    let tf = landfall_terraform::emit(&graph, &Default::default())
        .map(|e| e.files.iter().map(|f| f.contents.len()).sum::<usize>())
        .unwrap_or(0);
    cfn + tf
}

fn reference_files() -> Vec<(String, String)> {
    landfall_spec::REFERENCE_FILES
        .iter()
        .filter(|(name, _)| name.ends_with(".yaml"))
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
        .collect()
}

/// The testkit's synthetic org, sized so its address plan fits (as the
/// synth benchmark does).
fn synthetic_files(accounts: usize, services: usize) -> Vec<(String, String)> {
    landfall_testkit::synthetic_spec(landfall_testkit::Size::about(accounts, services))
        .into_iter()
        .map(|(name, text)| {
            let text = if name == "network.yaml" && text.contains("per_domain: false") {
                text.replace(
                    "kind: application, prefix_length: 22",
                    "kind: application, prefix_length: 18",
                )
            } else {
                text.replace("max_tasks: 20", "max_tasks: 6")
                    .replace("peak_rps: 2000", "peak_rps: 600")
            };
            (name, text)
        })
        .collect()
}

fn reference(c: &mut Criterion) {
    let Some(input) = prepare(reference_files()) else {
        eprintln!("the reference platform does not compile");
        return;
    };
    eprintln!(
        "reference: {} services, {} data stores, {} bytes in both forms",
        input.model.services.len(),
        input.model.data_stores.len(),
        both_forms(&input)
    );
    c.bench_function("workloads/reference/both-forms", |b| {
        b.iter(|| both_forms(&input))
    });
}

fn ten_thousand(c: &mut Criterion) {
    let Some(input) = prepare(synthetic_files(2000, 10_000)) else {
        eprintln!("the synthetic organization does not compile");
        return;
    };
    eprintln!(
        "synthetic: {} services, {} data stores, {} bytes in both forms",
        input.model.services.len(),
        input.model.data_stores.len(),
        both_forms(&input)
    );
    let mut group = c.benchmark_group("workloads/10k-services");
    group.sample_size(10);
    group.bench_function("both-forms", |b| b.iter(|| both_forms(&input)));
    group.finish();
}

criterion_group!(benches, reference, ten_thousand);
criterion_main!(benches);
