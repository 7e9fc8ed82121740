//! The workload layer's speed: model to both forms (resource graph stacks,
//! CloudFormation templates and Terraform JSON modules, in memory).
//! Targets: the reference platform (111 services × 3 environments) under
//! 300 ms; 10,000 services (the testkit's 2,000-account organization)
//! under 5 s.

use criterion::{criterion_group, criterion_main, Criterion};
use landfall_graph::Graph;
use landfall_model::Model;
use landfall_netplan::AddressPlan;
use rayon::prelude::*;

// The allocator of the `landfall` binary, so the figures are the CLI's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

/// Model to both forms as `landfall synth` makes them, minus the disk:
/// the workload layer built one domain and environment at a time, each
/// stack emitted as a CloudFormation template and a Terraform module as
/// soon as it is built, the files dropped once counted, then both
/// manifests. Returns the bytes produced.
fn both_forms(input: &Input) -> usize {
    let base = &input.base;
    let limits = &input.model.limits;
    let tf_options = landfall_terraform::Options::default();
    let emit = |stack: &landfall_graph::Stack| {
        let mut t = landfall_synth::cloudformation::stack_template(stack, limits, None);
        let mut bytes = std::mem::take(&mut t.file).contents.len();
        let mut m = landfall_terraform::module_files(base, stack, &tf_options);
        bytes += m
            .take_files()
            .iter()
            .map(|f| f.contents.len())
            .sum::<usize>();
        (t, m, bytes)
    };
    let Ok(parts) = landfall_workloads::build_each(
        &input.model,
        &input.plan,
        base,
        &Default::default(),
        |stacks| stacks.par_iter().map(emit).collect::<Vec<_>>(),
    ) else {
        return 0;
    };
    let mut templates = landfall_synth::cloudformation::Manifest::default();
    let mut modules = landfall_terraform::Manifest::default();
    let mut bytes = 0;
    for (t, m, b) in parts.into_iter().flatten() {
        templates.add(t);
        modules.add(m);
        bytes += b;
    }
    let cfn = templates
        .finish(&base.organization, &base.home_region, &[], limits)
        .map(|(f, _)| f.contents.len())
        .unwrap_or(0);
    let tf = modules
        .finish(&base.organization)
        .map(|(f, _)| f.contents.len())
        .unwrap_or(0);
    bytes + cfn + tf
}

fn reference_files() -> Vec<(String, String)> {
    landfall_spec::REFERENCE_FILES
        .iter()
        .filter(|(name, _)| name.ends_with(".yaml"))
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
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
    let Some(input) = prepare(landfall_testkit::synthetic_workloads(2000, 10_000)) else {
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
