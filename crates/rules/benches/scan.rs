//! Reading and checking: the fixture corpus repeated to 100, 500 and 2,000
//! templates (the cost grows linearly: each file is parsed once and each
//! resource meets only the rules of its kind), one large template (also
//! written on one line), and SCP
//! compilation for the reference platform.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/plans.rs"]
mod plans;
use plans::volume_plan;
use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use landfall_rules::{check, compile_scps, LoadOptions, Settings, ViewBuilder};

fn fixtures() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    for dir in ["cloudformation", "terraform"] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        for path in paths {
            out.push((
                format!("{dir}/{}", path.file_name().unwrap().to_string_lossy()),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
    out
}

fn scan(files: &[(String, String)], settings: &Settings) -> usize {
    let mut builder = ViewBuilder::new(LoadOptions::default());
    for (name, text) in files {
        builder.add_text(name, text);
    }
    let view = builder.finish();
    check(&view, settings).findings.len()
}

fn corpus(c: &mut Criterion) {
    let base = fixtures();
    let settings = Settings::from_model(landfall_model::reference().model.as_ref().unwrap());
    let mut group = c.benchmark_group("read + check templates and plans");
    group.sample_size(20);
    for count in [100usize, 500, 2_000] {
        let files: Vec<(String, String)> = (0..count)
            .map(|i| {
                let (name, text) = &base[i % base.len()];
                (format!("{i:05}-{name}"), text.clone())
            })
            .collect();
        group.throughput(Throughput::Elements(count as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{count} files")),
            &files,
            |b, files| b.iter(|| scan(files, &settings)),
        );
    }
    group.finish();
}

/// A YAML template of `count` security groups open to the world, in block
/// style or with all of `Resources` in flow style on one line.
fn security_groups(count: usize, one_line: bool) -> String {
    let groups: Vec<String> = (0..count)
        .map(|i| {
            let p = 1000 + i % 100;
            if one_line {
                format!("Group{i}: {{Type: AWS::EC2::SecurityGroup, Properties: {{GroupDescription: g{i}, SecurityGroupIngress: [{{IpProtocol: tcp, FromPort: {p}, ToPort: {p}, CidrIp: 0.0.0.0/0}}], SecurityGroupEgress: []}}}}")
            } else {
                format!("  Group{i}:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: g{i}\n      SecurityGroupIngress:\n        - {{IpProtocol: tcp, FromPort: {p}, ToPort: {p}, CidrIp: 0.0.0.0/0}}\n      SecurityGroupEgress: []\n")
            }
        })
        .collect();
    if one_line {
        format!("Resources: {{{}}}\n", groups.join(", "))
    } else {
        format!("Resources:\n{}", groups.concat())
    }
}

fn large_template(c: &mut Criterion) {
    // One template with 2,000 security groups: no rule may be quadratic.
    let files = vec![("large.yaml".to_owned(), security_groups(2_000, false))];
    let settings = Settings::default();
    c.bench_function("one template, 2,000 security groups", |b| {
        b.iter(|| scan(&files, &settings))
    });
}

fn single_line_plan(c: &mut Criterion) {
    // 40,000 findings on one line must cost about what they cost on 40,000
    // lines: locating a finding may not rescan the line.
    let settings = Settings::default();
    let mut group = c.benchmark_group("plan with 40,000 findings");
    group.sample_size(10);
    for (label, pretty) in [("pretty-printed", true), ("single line", false)] {
        let files = vec![("plan.json".to_owned(), volume_plan(40_000, pretty))];
        assert_eq!(scan(&files, &settings), 40_000);
        group.bench_with_input(BenchmarkId::from_parameter(label), &files, |b, files| {
            b.iter(|| scan(files, &settings))
        });
    }
    group.finish();
}

fn single_line_template(c: &mut Criterion) {
    // A YAML template written on one line must cost about what it costs
    // on many: locating a value may not rescan its line.
    let settings = Settings::default();
    let mut group = c.benchmark_group("template with 2,000 security groups");
    group.sample_size(10);
    let findings = scan(
        &[("large.yaml".to_owned(), security_groups(2_000, false))],
        &settings,
    );
    for (label, one_line) in [("block style", false), ("single line", true)] {
        let files = vec![("large.yaml".to_owned(), security_groups(2_000, one_line))];
        assert_eq!(scan(&files, &settings), findings);
        group.bench_with_input(BenchmarkId::from_parameter(label), &files, |b, files| {
            b.iter(|| scan(files, &settings))
        });
    }
    group.finish();
}

fn scps(c: &mut Criterion) {
    let model = landfall_model::reference().model.unwrap();
    c.bench_function("compile SCPs: reference platform", |b| {
        b.iter(|| compile_scps(&model).unwrap())
    });
}

criterion_group!(
    benches,
    corpus,
    large_template,
    single_line_template,
    single_line_plan,
    scps
);
criterion_main!(benches);
