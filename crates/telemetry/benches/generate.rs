//! All log and trace configuration of a platform generated (the targets:
//! the reference under 50 ms; 10,000 services under 2 s, growing
//! linearly), and the remap programs' redaction throughput through the VRL
//! runtime (the target: 50,000 records/s on one core).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use landfall_testkit::{synthetic_spec, Size};
use serde_json::json;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn reference(c: &mut Criterion) {
    let resolved = landfall_model::reference();
    let Some(model) = resolved.model.as_ref() else {
        panic!("the reference platform is invalid");
    };
    let mut group = c.benchmark_group("telemetry");
    group.sample_size(20);
    group.bench_function("reference platform: generate", |b| {
        b.iter(|| landfall_telemetry::generate(model))
    });
    group.bench_function("reference platform: generate and check", |b| {
        b.iter(|| {
            let bundle = landfall_telemetry::generate(model);
            bundle.map(|b| landfall_telemetry::checks::check(&b).len())
        })
    });
    group.finish();
}

/// The synthetic specs have no `observability` section; this one uses the
/// first domain's bus for logs, as the reference uses `platform-logs`.
const OBSERVABILITY: &str = "observability:
  logs: { kafka_cluster: d0-bus, topic: d0.events, s3_retention_days: 30, opensearch_retention_days: 7 }
  metrics: { scrape_interval_seconds: 15, retention_days: 400 }
  tracing: { sample_percent: 5, retention_days: 7 }
  security: { siem: panther, retention_days: 365 }
";

fn synthetic(c: &mut Criterion) {
    let mut group = c.benchmark_group("telemetry: synthetic platforms");
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
            |b, model| b.iter(|| landfall_telemetry::generate(model)),
        );
    }
    group.finish();
}

fn redaction(c: &mut Criterion) {
    let resolved = landfall_model::reference();
    let Some(model) = resolved.model.as_ref() else {
        panic!("the reference platform is invalid");
    };
    let Some(plan) = landfall_telemetry::plan::plan(model, Default::default()) else {
        panic!("no observability section");
    };
    let source = landfall_telemetry::remap::program(&plan.services[0], &plan.redactions);
    let Ok(program) = landfall_telemetry::vrl::compile(&source) else {
        panic!("the remap program does not compile");
    };
    let line = json!({
        "level": "info", "msg": "card 4111 1111 1111 1111 accepted for order 1733480000000123",
        "user": "u-17", "password": "hunter2", "latency_ms": 3.2,
    })
    .to_string();
    let record = json!({ "log": line, "source": "stdout", "ecs_task_arn": "arn:aws:ecs:eu-central-1:111122223333:task/c/0123" });
    let mut group = c.benchmark_group("telemetry: redaction");
    group.throughput(Throughput::Elements(1));
    group.bench_function("one JSON record through a service's remap program", |b| {
        b.iter(|| program.run(&record))
    });
    group.finish();
}

criterion_group!(benches, reference, synthetic, redaction);
criterion_main!(benches);
