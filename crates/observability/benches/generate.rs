//! Generating all monitoring configuration: the reference platform, and
//! synthetic platforms of growing size (the targets: the reference under
//! 50 ms; 10,000 services under 2 s, growing linearly).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use landfall_testkit::{synthetic_spec, Size};

// The `landfall` binary's allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn reference(c: &mut Criterion) {
    let resolved = landfall_model::reference();
    let Some(model) = resolved.model.as_ref() else {
        panic!("the reference platform is invalid");
    };
    let mut group = c.benchmark_group("observability");
    group.sample_size(20);
    group.bench_function("reference platform: generate", |b| {
        b.iter(|| landfall_observability::generate(model))
    });
    group.bench_function("reference platform: generate and check", |b| {
        b.iter(|| {
            let bundle = landfall_observability::generate(model);
            bundle.map(|b| landfall_observability::checks::check(&b).len())
        })
    });
    group.finish();
}

/// The synthetic specs have no `observability` section; this one uses the
/// first domain's bus for logs, as the reference uses `platform-logs`.
const OBSERVABILITY: &str = "observability:
  logs: { kafka_cluster: d0-bus, topic: d0.events, s3_retention_days: 30, opensearch_retention_days: 7 }
  metrics:
    scrape_interval_seconds: 15
    retention_days: 400
    cloudwatch_namespaces: [AWS/ECS, AWS/ApplicationELB, AWS/RDS, AWS/ElastiCache, AWS/Kafka]
  tracing: { sample_percent: 5, retention_days: 7 }
  security: { siem: panther, retention_days: 365 }
  remediation:
    engine: automation-controller
    automatic: [EcsServiceBelowDesiredCount, TelegrafAgentDown, MskBrokerStorageHigh]
";

fn synthetic(c: &mut Criterion) {
    let mut group = c.benchmark_group("observability: synthetic platforms");
    group.sample_size(10);
    for (accounts, services) in [(500, 2_500), (1_000, 5_000), (2_000, 10_000)] {
        let mut files = synthetic_spec(Size::about(accounts, services));
        files.push(("observability.yaml".to_owned(), OBSERVABILITY.to_owned()));
        let (loaded, diagnostics) = landfall_spec::load_files(files);
        let resolved = landfall_model::resolve(loaded, diagnostics);
        let Some(model) = resolved.model.as_ref() else {
            panic!("synthetic spec is invalid");
        };
        group.throughput(Throughput::Elements(model.services.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("generate", format!("{} services", model.services.len())),
            model,
            |b, model| b.iter(|| landfall_observability::generate(model).map(|b| b.files.len())),
        );
        if let Some(bundle) = landfall_observability::generate(model) {
            group.bench_with_input(
                BenchmarkId::new("check", format!("{} services", model.services.len())),
                &bundle,
                |b, bundle| b.iter(|| landfall_observability::checks::check(bundle).len()),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, reference, synthetic);
criterion_main!(benches);
