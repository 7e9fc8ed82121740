//! Every remap program of the reference platform compiled and run with
//! VRL, the compiler and runtime inside Vector, on sample records of its
//! log format: the structured fields come out, the secrets and card
//! numbers in the records do not.

#![cfg(feature = "vrl")]
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use landfall_spec::types::LogFormat;
use landfall_telemetry::plan::LoggedService;
use landfall_telemetry::{remap, vector, vrl, Bundle};
use serde_json::{json, Value};

fn reference_bundle() -> Bundle {
    let resolved = landfall_model::reference();
    landfall_telemetry::generate(resolved.model.as_ref().expect("valid")).expect("observability")
}

/// Secrets planted in the sample lines; none may survive.
const SECRETS: [&str; 9] = [
    "4111 1111 1111 1111",
    "4111111111111111",
    "5500-0000-0000-0004",
    "378282246310005",
    "hunter2",
    "eyJhbGciOiJIUzI1NiJ9.payload.sig",
    "AKIAIOSFODNN7EXAMPLE",
    "sk_live_abcdef123456",
    "MIIEowIBAAKCAQEA",
];

/// A line in the service's format with every kind of secret, and the
/// fields the program must extract from it.
fn sample_line(format: LogFormat) -> (String, Vec<(&'static str, Value)>) {
    match format {
        LogFormat::Json => (
            json!({
                "level": "warn",
                "msg": "card 4111 1111 1111 1111 declined",
                "user": "u-17",
                "password": "hunter2",
                "headers": "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig",
                "aws": "AKIAIOSFODNN7EXAMPLE",
                "card": "4111111111111111",
                "tls_key": "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
                "order_id": "1733480000000123",
                "amount": 125.5,
            })
            .to_string(),
            vec![
                ("level", json!("warn")),
                ("user", json!("u-17")),
                ("amount", json!(125.5)),
                // Millisecond timestamps and order ids are not card numbers.
                ("order_id", json!("1733480000000123")),
            ],
        ),
        LogFormat::Logfmt => (
            "level=info msg=\"login ok\" user=u-17 api_key=sk_live_abcdef123456 card=5500-0000-0000-0004 password=hunter2 at=1733480000000".to_owned(),
            vec![("level", json!("info")), ("user", json!("u-17")), ("at", json!("1733480000000"))],
        ),
        LogFormat::Text => (
            "2026-12-06 INFO paid with 378282246310005 token=sk_live_abcdef123456 key AKIAIOSFODNN7EXAMPLE".to_owned(),
            vec![],
        ),
    }
}

/// The record as each collection path delivers it: FireLens (Fluent
/// Bit's forward protocol) and Docker on a metal host.
fn records(line: &str) -> Vec<(&'static str, Value)> {
    vec![
        (
            "firelens",
            json!({
                "log": line,
                "source": "stderr",
                "container_name": "app",
                "ecs_cluster": "trading-prod",
                "ecs_task_arn": "arn:aws:ecs:eu-central-1:111122223333:task/trading-prod/0123456789abcdef",
                "timestamp": "2026-12-06T13:00:00Z",
            }),
        ),
        (
            "docker",
            json!({
                "message": line,
                "stream": "stderr",
                "label": { "com.amazonaws.ecs.task-arn": "arn:aws:ecs:eu-central-1:111122223333:task/trading-prod/0123456789abcdef" },
                "timestamp": "2026-12-06T13:00:00Z",
            }),
        ),
    ]
}

fn assert_redacted_and_structured(service: &LoggedService, program: &vrl::Compiled) {
    let (line, expected) = sample_line(service.format);
    for (path, record) in records(&line) {
        let out = program
            .run(&record)
            .unwrap_or_else(|e| panic!("{} on {path}: {e}", service.name));
        let text = out.to_string();
        for secret in SECRETS {
            assert!(
                !text.contains(secret),
                "{} ({path}) let `{secret}` through: {text}",
                service.name
            );
        }
        assert!(text.contains("[REDACTED:"), "{text}");
        assert_eq!(out["domain"], json!(service.domain), "{text}");
        assert_eq!(out["service"], json!(service.name), "{text}");
        assert_eq!(out["environment"], json!("prod"), "{text}");
        assert_eq!(out["region"], json!("eu-central-1"), "{text}");
        assert_eq!(
            out["task"],
            json!("arn:aws:ecs:eu-central-1:111122223333:task/trading-prod/0123456789abcdef"),
            "{text}"
        );
        assert_eq!(out["stream"], json!("stderr"), "{text}");
        for (field, value) in &expected {
            assert_eq!(
                &out[field], value,
                "{} ({path}): `{field}` in {text}",
                service.name
            );
        }
        if service.format == LogFormat::Text {
            assert!(
                out["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("2026-12-06 INFO paid with [REDACTED:card-number]"),
                "{text}"
            );
        }
    }
}

fn set_environment() {
    // The task definition sets these for the agent's container.
    std::env::set_var(remap::ENVIRONMENT_VARIABLE, "prod");
    std::env::set_var(remap::REGION_VARIABLE, "eu-central-1");
}

#[test]
fn every_remap_program_of_the_reference_compiles_and_redacts() {
    set_environment();
    let bundle = reference_bundle();
    let mut programs = 0;
    for config in &bundle.vector {
        for (transform, source) in vector::programs(&config.config) {
            let service = transform
                .strip_prefix("parse_")
                .unwrap_or(&config.services[0]);
            let service = bundle.plan.service(service).unwrap();
            let program = vrl::compile(&source).unwrap_or_else(|e| panic!("{}: {e}", config.path));
            assert_redacted_and_structured(service, &program);
            programs += 1;
        }
    }
    // One per service: a sidecar's or its host's.
    assert_eq!(programs, bundle.plan.services.len());
}

#[test]
fn every_log_format_is_parsed_and_redacted() {
    set_environment();
    let bundle = reference_bundle();
    for format in [LogFormat::Json, LogFormat::Logfmt, LogFormat::Text] {
        let mut service = bundle.plan.services[0].clone();
        service.format = format;
        let program = vrl::compile(&remap::program(&service, &bundle.plan.redactions)).unwrap();
        assert_redacted_and_structured(&service, &program);
    }
}

#[test]
fn a_service_cannot_overwrite_where_its_records_come_from() {
    set_environment();
    let bundle = reference_bundle();
    let service = &bundle.plan.services[0];
    let program = vrl::compile(&remap::program(service, &bundle.plan.redactions)).unwrap();
    let line = json!({ "service": "someone-else", "domain": "payments", "msg": "hi" }).to_string();
    let out = program.run(&json!({ "log": line })).unwrap();
    assert_eq!(out["service"], json!(service.name));
    assert_eq!(out["domain"], json!(service.domain));
    assert_eq!(out["task"], json!("unknown"));
    assert_eq!(out["msg"], json!("hi"));
}

#[test]
fn a_line_that_is_not_json_is_kept_whole_and_still_redacted() {
    set_environment();
    let bundle = reference_bundle();
    let service = bundle
        .plan
        .services
        .iter()
        .find(|s| s.format == LogFormat::Json)
        .unwrap();
    let program = vrl::compile(&remap::program(service, &bundle.plan.redactions)).unwrap();
    let out = program
        .run(&json!({ "log": "panic: card 4111-1111-1111-1111 {not json" }))
        .unwrap();
    assert_eq!(
        out["message"],
        json!("panic: card [REDACTED:card-number] {not json")
    );
}

#[test]
fn a_spec_pattern_is_applied_with_its_name() {
    set_environment();
    let bundle = reference_bundle();
    let redactions = landfall_telemetry::redaction::patterns(
        &[landfall_spec::types::Redaction {
            name: "iban".to_owned(),
            pattern: r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b".to_owned(),
        }],
        &bundle.plan.logs_origin,
    );
    let program = vrl::compile(&remap::program(&bundle.plan.services[0], &redactions)).unwrap();
    let out = program
        .run(&json!({ "log": json!({ "msg": "refund to DE89 3704 0044 0532 0130 00" }).to_string() }))
        .unwrap();
    assert_eq!(out["msg"], json!("refund to [REDACTED:iban]"), "{out}");
}
