//! `landfall iam prove` on the reference platform: every intent, every account.

use criterion::{criterion_group, criterion_main, Criterion};

fn prove_reference(c: &mut Criterion) {
    let resolved = landfall_model::reference();
    let Some(model) = resolved.model else {
        panic!("the reference platform is invalid");
    };
    let scps = landfall_rules::scp::compile_scps(&model).unwrap_or_default();
    let policies = match landfall_proofs::OrgPolicies::of(&model, &scps) {
        Ok(policies) => policies,
        Err(_) => panic!("SCPs do not parse"),
    };
    let mut group = c.benchmark_group("prove");
    group.sample_size(10);
    group.bench_function(
        "reference platform: every intent, every member account",
        |b| b.iter(|| landfall_proofs::prove_all(&model, &policies)),
    );
    group.bench_function("reference platform: compile SCPs + prove", |b| {
        b.iter(|| {
            let scps = landfall_rules::scp::compile_scps(&model).unwrap_or_default();
            let policies = landfall_proofs::OrgPolicies::of(&model, &scps).ok();
            policies.map(|p| landfall_proofs::prove_all(&model, &p))
        })
    });
    group.finish();
}

criterion_group!(benches, prove_reference);
criterion_main!(benches);
