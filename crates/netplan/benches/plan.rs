//! Planning benchmarks (filled in below).
use criterion::{criterion_group, criterion_main, Criterion};

fn reference(c: &mut Criterion) {
    let resolved = landfall_model::reference();
    let Some(model) = resolved.model.as_ref() else {
        return;
    };
    c.bench_function("netplan: reference platform", |b| {
        b.iter(|| landfall_netplan::plan(model, &resolved.loaded, None, Default::default()))
    });
}

criterion_group!(benches, reference);
criterion_main!(benches);
