//! Synthesis speed: the model (with its address plan and SCPs) to templates
//! and manifest written on disk. Targets: the reference platform under
//! 100 ms; a 2,000-account synthetic organization under 3 s, linear in size.
//! `scripts/bench-synth.sh` runs this and times cfn-lint over the same output.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use landfall_model::Model;
use landfall_netplan::AddressPlan;
use landfall_rules::ScpSet;

struct Input {
    loaded: landfall_spec::LoadedSpec,
    model: Model,
    plan: AddressPlan,
    scps: ScpSet,
}

fn prepare(files: Vec<(String, String)>) -> Option<Input> {
    let (loaded, diagnostics) = landfall_spec::load_files(files);
    let resolved = landfall_model::resolve(loaded, diagnostics);
    let model = resolved.model?;
    let plan = landfall_netplan::plan(&model, &resolved.loaded, None, Default::default()).plan?;
    let scps = landfall_rules::compile_scps(&model).ok()?;
    Some(Input {
        loaded: resolved.loaded,
        model,
        plan,
        scps,
    })
}

/// Model to written files.
fn synth_and_write(input: &Input, dir: &std::path::Path) -> usize {
    let graph =
        landfall_synth::synthesize(&input.model, &input.plan, &input.scps).unwrap_or_default();
    let Ok(emitted) = landfall_synth::cloudformation::emit(
        &graph,
        &input.model.limits,
        Some(&input.loaded.sources),
    ) else {
        return 0;
    };
    let _ = landfall_synth::cloudformation::write(&emitted, dir);
    emitted.files.len()
}

fn reference_files() -> Vec<(String, String)> {
    landfall_spec::REFERENCE_FILES
        .iter()
        .filter(|(name, _)| name.ends_with(".yaml"))
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
        .collect()
}

/// The testkit's synthetic org of about `accounts` accounts.
fn synthetic_files(accounts: usize, services: usize) -> Vec<(String, String)> {
    landfall_testkit::synthetic_spec(landfall_testkit::Size::about(accounts, services))
}

fn out_dir(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("landfall-bench-synth-{name}"))
}

fn reference(c: &mut Criterion) {
    let Some(input) = prepare(reference_files()) else {
        return;
    };
    let dir = out_dir("reference");
    c.bench_function("synth: reference platform, model to written files", |b| {
        b.iter(|| synth_and_write(&input, &dir))
    });
}

fn synthetic(c: &mut Criterion) {
    let mut group = c.benchmark_group("synth: synthetic org, model to written files");
    group.sample_size(10);
    for accounts in [500, 1_000, 2_000] {
        let Some(input) = prepare(synthetic_files(accounts, accounts)) else {
            continue;
        };
        let dir = out_dir(&format!("{accounts}"));
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{accounts} accounts")),
            &input,
            |b, input| b.iter(|| synth_and_write(input, &dir)),
        );
    }
    group.finish();
}

criterion_group!(benches, reference, synthetic);
criterion_main!(benches);
