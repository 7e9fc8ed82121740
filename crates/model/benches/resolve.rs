//! Parse + resolve + validate: the reference platform and synthetic orgs of
//! growing size (to show the cost grows linearly).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use landfall_testkit::{synthetic_spec, Size};

fn reference(c: &mut Criterion) {
    c.bench_function("reference platform: load + resolve", |b| {
        b.iter(|| {
            let resolved = landfall_model::reference();
            assert!(resolved.model.is_some());
            resolved
        })
    });
}

fn synthetic(c: &mut Criterion) {
    let mut group = c.benchmark_group("synthetic org: load + resolve");
    group.sample_size(10);
    for (accounts, services) in [(500, 2_500), (1_000, 5_000), (2_000, 10_000)] {
        let files = synthetic_spec(Size::about(accounts, services));
        let bytes: usize = files.iter().map(|(_, text)| text.len()).sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{accounts} accounts, {services} services")),
            &files,
            |b, files| {
                b.iter(|| {
                    let (loaded, diagnostics) = landfall_spec::load_files(files.iter().cloned());
                    let resolved = landfall_model::resolve(loaded, diagnostics);
                    assert!(resolved.model.is_some(), "synthetic spec is invalid");
                    resolved
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, reference, synthetic);
criterion_main!(benches);
