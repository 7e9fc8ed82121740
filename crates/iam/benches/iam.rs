//! Throughput of the engine on a realistic organization: the reference SCP
//! set (region allowlist with NotAction, no IAM users, no unencrypted EBS, no
//! burst instances, protected CloudTrail/Config/GuardDuty, no leaving the
//! organization) plus a typical developer identity policy.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use landfall_diagnostics::SourceSet;
use landfall_iam::authorize::{evaluate, PolicySet};
use landfall_iam::compile::CompiledPolicy;
use landfall_iam::json::JsonLimits;
use landfall_iam::policy::parse_policy_bytes;
use landfall_iam::request::{ContextValue, Request, RequestInput};
use landfall_iam::validate::{check_policy_bytes, Limits, PolicyKind};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn read(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}.json")).unwrap()
}

fn compile(name: &str) -> CompiledPolicy {
    let mut sources = SourceSet::default();
    CompiledPolicy::new(
        parse_policy_bytes(&mut sources, name, &read(name), &JsonLimits::default()).unwrap(),
    )
}

fn policies() -> PolicySet {
    PolicySet {
        identity: vec![compile("identity-developer")],
        scps: vec![
            vec![
                compile("scps/full-aws-access"),
                compile("scps/protect-security-services"),
                compile("scps/deny-iam-users"),
            ],
            vec![
                compile("scps/full-aws-access"),
                compile("scps/region-allowlist"),
                compile("scps/deny-unencrypted-ebs"),
                compile("scps/deny-burst-instances"),
            ],
            vec![compile("scps/full-aws-access")],
        ],
        ..PolicySet::default()
    }
}

fn request(action: &str, resource: &str, context: &[(&str, &str)]) -> RequestInput {
    RequestInput {
        principal: "arn:aws:sts::222233334444:assumed-role/Developer/alice".into(),
        action: action.into(),
        resource: resource.into(),
        context: context
            .iter()
            .map(|(k, v)| (k.to_string(), ContextValue::One(v.to_string())))
            .collect(),
        ..RequestInput::default()
    }
}

fn requests() -> Vec<RequestInput> {
    vec![
        request(
            "ec2:RunInstances",
            "arn:aws:ec2:eu-west-1:222233334444:instance/i-1",
            &[
                ("aws:RequestedRegion", "eu-west-1"),
                ("ec2:InstanceType", "m7g.large"),
            ],
        ),
        request(
            "ec2:RunInstances",
            "arn:aws:ec2:eu-west-1:222233334444:instance/i-1",
            &[
                ("aws:RequestedRegion", "eu-west-1"),
                ("ec2:InstanceType", "t3.micro"),
            ],
        ),
        request(
            "s3:GetObject",
            "arn:aws:s3:::home-bucket/red/notes.txt",
            &[
                ("aws:RequestedRegion", "eu-west-1"),
                ("aws:PrincipalTag/team", "red"),
            ],
        ),
        request(
            "iam:CreateUser",
            "arn:aws:iam::222233334444:user/bob",
            &[("aws:RequestedRegion", "us-east-1")],
        ),
        request(
            "ec2:DescribeInstances",
            "*",
            &[("aws:RequestedRegion", "us-west-2")],
        ),
        request(
            "cloudtrail:StopLogging",
            "*",
            &[("aws:RequestedRegion", "eu-west-1")],
        ),
        request(
            "s3:PutObject",
            "arn:aws:s3:::prod-data/x",
            &[("aws:RequestedRegion", "eu-central-1")],
        ),
        request(
            "rds:CreateDBInstance",
            "*",
            &[
                ("aws:RequestedRegion", "eu-west-1"),
                ("rds:DatabaseClass", "db.r6g.large"),
            ],
        ),
    ]
}

fn evaluation(c: &mut Criterion) {
    let set = policies();
    let prepared: Vec<Request> = requests().into_iter().map(Request::new).collect();
    let mut group = c.benchmark_group("evaluate");
    group.throughput(Throughput::Elements(prepared.len() as u64));
    group.bench_function("prepared requests", |b| {
        b.iter(|| {
            for r in &prepared {
                black_box(evaluate(&set, black_box(r)));
            }
        })
    });
    let inputs = requests();
    group.bench_function("request construction + evaluation", |b| {
        b.iter(|| {
            for input in &inputs {
                let r = Request::new(black_box(input.clone()));
                black_box(evaluate(&set, &r));
            }
        })
    });
    group.finish();
}

fn parse_and_validate(c: &mut Criterion) {
    let names = [
        "identity-developer",
        "scps/full-aws-access",
        "scps/protect-security-services",
        "scps/deny-iam-users",
        "scps/region-allowlist",
        "scps/deny-unencrypted-ebs",
        "scps/deny-burst-instances",
    ];
    let docs: Vec<Vec<u8>> = names.iter().map(|n| read(n)).collect();
    // Load the catalog outside the measurement.
    let _ = landfall_iam::catalog::Catalog::get();
    let mut group = c.benchmark_group("policies");
    group.throughput(Throughput::Elements(docs.len() as u64));
    group.bench_function("parse + validate", |b| {
        b.iter(|| {
            for doc in &docs {
                let mut sources = SourceSet::default();
                black_box(check_policy_bytes(
                    &mut sources,
                    "p.json",
                    doc,
                    PolicyKind::Scp,
                    &Limits::default(),
                ));
            }
        })
    });
    group.bench_function("parse only", |b| {
        b.iter(|| {
            for doc in &docs {
                let mut sources = SourceSet::default();
                let _ = black_box(parse_policy_bytes(
                    &mut sources,
                    "p.json",
                    doc,
                    &JsonLimits::default(),
                ));
            }
        })
    });
    group.finish();
}

/// `landfall iam simulate --input -` over 10,000 JSON lines, parse and
/// rendering included (the end-to-end target is under 1 s): the
/// differential cases (every principal kind, resource policies, SCPs,
/// RCPs, boundaries) repeated.
fn simulate_json_lines(c: &mut Criterion) {
    use landfall_iam::simulate::{simulate_inputs, Input, OutputFormat};
    let cases = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/differential/cases.jsonl"
    ))
    .unwrap();
    let files: Vec<String> = cases
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let case: serde_json::Value = serde_json::from_str(l).unwrap();
            case["file"].to_string()
        })
        .collect();
    let mut bytes = Vec::new();
    for i in 0..10_000 {
        bytes.extend_from_slice(files[i % files.len()].as_bytes());
        bytes.push(b'\n');
    }
    let _ = landfall_iam::catalog::Catalog::get();
    let mut group = c.benchmark_group("simulate");
    group.sample_size(10);
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("10,000 JSON lines", |b| {
        b.iter(|| {
            let input = Input::Bytes {
                name: "<stdin>".into(),
                bytes: bytes.clone(),
            };
            black_box(simulate_inputs(vec![input], OutputFormat::Json))
        })
    });
    group.finish();
}

criterion_group!(benches, evaluation, parse_and_validate, simulate_json_lines);
criterion_main!(benches);
