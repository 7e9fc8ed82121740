//! Every deployability check over the reference platform, workloads
//! included (about 800 stacks over 40 accounts).

use criterion::{criterion_group, criterion_main, Criterion};
use landfall_deployability::{check, constraints, existence, permissions, Input};

fn reference(c: &mut Criterion) {
    let mut resolved = landfall_model::reference();
    let lockfile = landfall_synth::platform::lockfile_text(None).unwrap_or_default();
    let Some(compiled) =
        landfall_synth::platform::compile(&mut resolved, lockfile, Default::default())
    else {
        panic!("the reference platform does not compile");
    };
    let Some(model) = resolved.model.as_ref() else {
        panic!("the reference platform is invalid");
    };
    let mut graph = compiled.graph;
    match landfall_workloads::build(
        model,
        &compiled.plan,
        &graph,
        &landfall_workloads::Options {
            services: None,
            environments: None,
            log_agents: landfall_telemetry::generate(model)
                .map(|b| std::sync::Arc::new(landfall_telemetry::agent_configs(&b))),
            metric_agents: landfall_observability::sidecar_configs(model).map(std::sync::Arc::new),
            host_agents: landfall_observability::host_agent_configs(model).map(std::sync::Arc::new),
            log_aggregator: landfall_telemetry::generate(model)
                .and_then(|b| landfall_telemetry::aggregator_config(&b))
                .map(std::sync::Arc::new),
            jaeger: landfall_telemetry::generate(model)
                .and_then(|b| landfall_telemetry::jaeger_config(&b))
                .map(std::sync::Arc::new),
        },
    ) {
        Ok(stacks) => graph.stacks.extend(stacks),
        Err(_) => panic!("the workload layer does not build"),
    }
    let input = Input {
        model,
        plan: &compiled.plan,
        scps: &compiled.scps,
        graph: &graph,
    };
    let mut group = c.benchmark_group("deployability");
    group.sample_size(10);
    group.bench_function("reference platform with workloads: every check", |b| {
        b.iter(|| check(&input))
    });
    group.bench_function("permissions", |b| b.iter(|| permissions::check(&input)));
    group.bench_function("existence", |b| b.iter(|| existence::check(&input)));
    group.bench_function("constraints", |b| b.iter(|| constraints::check(&input)));
    group.finish();
}

criterion_group!(benches, reference);
criterion_main!(benches);
