//! Consistency checks across the generated log and trace configuration,
//! reported at the spec line that caused each problem (the same `Finding`
//! the monitoring checks report).

use std::collections::BTreeSet;

use landfall_diagnostics::did_you_mean;
pub use landfall_observability::checks::Finding;
use landfall_spec::Pointer;
use serde_json::Value;

use crate::plan::Plan;
use crate::{otel, storage, vector_reference, Bundle};

/// What one partition of a log topic is sized to carry. Kafka's own
/// guidance is a few MiB/s per partition for producers; the aggregator's
/// consumers (S3 and OpenSearch writes) are the slower side, so one MiB/s
/// (https://docs.aws.amazon.com/msk/latest/developerguide/bestpractices.html#partitions-per-broker
/// sizes brokers by partition count; the per-partition rate is ours).
pub const PARTITION_KIB_PER_SECOND: u64 = 1024;

/// The SASL mechanisms MSK accepts from a Kafka client that is not signed
/// with IAM: SCRAM-SHA-512 only
/// (https://docs.aws.amazon.com/msk/latest/developerguide/msk-password.html).
pub const MSK_SASL_MECHANISMS: &[&str] = &["SCRAM-SHA-512"];

/// Every check over a generated bundle.
pub fn check(bundle: &Bundle) -> Vec<Finding> {
    let plan = &bundle.plan;
    let mut findings = Vec::new();
    domain_topics_name_domains(bundle, &mut findings);
    every_service_is_routed(bundle, &mut findings);
    topics_exist_and_suffice(plan, &mut findings);
    vector_configs_match_the_reference(bundle, &mut findings);
    collector_configs_hold_together(bundle, &mut findings);
    retention_matches_the_spec(bundle, &mut findings);
    #[cfg(feature = "vrl")]
    remap_programs_compile(bundle, &mut findings);
    findings
}

fn finding(code: &'static str, message: String, help: String, at: &Pointer) -> Finding {
    Finding {
        code,
        message,
        help,
        at: at.clone(),
    }
}

/// `domain_topics` names domains of the platform.
fn domain_topics_name_domains(bundle: &Bundle, findings: &mut Vec<Finding>) {
    let domains: BTreeSet<&str> = bundle.domains.iter().map(String::as_str).collect();
    for domain in &bundle.domain_topics {
        if !domains.contains(domain.as_str()) {
            findings.push(finding(
                "telemetry::unknown-domain",
                format!("`{domain}` is not a domain, so no logs go to its topic"),
                did_you_mean(domain, domains.iter().copied()),
                &bundle.plan.logs_origin.child("domain_topics").child(domain),
            ));
        }
    }
}

/// Every service has a log route (a Vector configuration carrying it, and
/// an aggregator reading its topic) and a trace route (a collector agent).
fn every_service_is_routed(bundle: &Bundle, findings: &mut Vec<Finding>) {
    let carried: BTreeSet<&str> = bundle
        .vector
        .iter()
        .filter(|v| v.path != crate::vector::aggregator_path())
        .flat_map(|v| v.services.iter().map(String::as_str))
        .collect();
    let consumed: BTreeSet<&str> = bundle
        .vector
        .iter()
        .flat_map(|v| {
            v.config
                .get("sources")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|s| s.values())
                .filter(|s| s.get("type").and_then(Value::as_str) == Some("kafka"))
                .flat_map(|s| {
                    s.get("topics")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                })
                .filter_map(Value::as_str)
        })
        .collect();
    let traced: BTreeSet<String> = bundle.collectors.iter().map(|c| c.path.clone()).collect();
    for s in &bundle.plan.services {
        if !carried.contains(s.name.as_str()) {
            findings.push(finding(
                "telemetry::no-log-route",
                format!("no log agent carries the logs of `{}`", s.name),
                "every service gets a Vector agent (a sidecar on Fargate, its host's on metal)"
                    .to_owned(),
                &s.origin,
            ));
        } else if !consumed.contains(s.topic.as_str()) {
            findings.push(finding(
                "telemetry::no-log-route",
                format!(
                    "the logs of `{}` go to topic `{}`, which no aggregator reads",
                    s.name, s.topic
                ),
                "the aggregator reads every log topic; regenerate its configuration".to_owned(),
                &s.topic_origin,
            ));
        }
        if !traced.contains(&format!("otel/services/{}.yaml", s.name)) {
            findings.push(finding(
                "telemetry::no-trace-route",
                format!(
                    "no OpenTelemetry collector receives the traces of `{}`",
                    s.name
                ),
                "every service gets a collector agent exporting to the gateway".to_owned(),
                &s.origin,
            ));
        }
    }
}

/// Every topic an agent writes is declared on the log cluster, with enough
/// partitions for the declared log volume of the services writing it.
fn topics_exist_and_suffice(plan: &Plan, findings: &mut Vec<Finding>) {
    for topic in &plan.topics {
        if topic.writers.is_empty() {
            continue;
        }
        let Some(partitions) = topic.partitions else {
            findings.push(finding(
                "telemetry::log-topic-missing",
                format!(
                    "the log agents of {} write topic `{}`, which MSK cluster `{}` does not declare",
                    list(&topic.writers),
                    topic.name,
                    plan.cluster
                ),
                format!("add `{}` to the topics of `{}`", topic.name, plan.cluster),
                &topic.origin,
            ));
            continue;
        };
        let needed = topic
            .volume_kib_per_second
            .div_ceil(PARTITION_KIB_PER_SECOND);
        if u64::from(partitions) < needed {
            findings.push(finding(
                "telemetry::log-topic-too-small",
                format!(
                    "topic `{}` has {partitions} partitions for {} KiB/s of logs ({}), which needs {needed} at {PARTITION_KIB_PER_SECOND} KiB/s each",
                    topic.name,
                    topic.volume_kib_per_second,
                    list(&topic.writers)
                ),
                format!("give it at least {needed} partitions, or a domain its own topic in `domain_topics`"),
                &topic.origin.child("partitions"),
            ));
        }
    }
}

/// Each Vector configuration against the component reference; the Kafka
/// authentication mechanism and undefined inputs get their own codes.
fn vector_configs_match_the_reference(bundle: &Bundle, findings: &mut Vec<Finding>) {
    let plan = &bundle.plan;
    let auth_at = plan.logs_origin.child("kafka_authentication");
    for config in &bundle.vector {
        let at = config
            .services
            .first()
            .and_then(|s| plan.service(s))
            .filter(|_| config.services.len() == 1)
            .map(|s| s.origin.clone())
            .unwrap_or_else(|| plan.logs_origin.clone());
        for problem in vector_reference::check(&config.config) {
            let (code, at) = if problem.path.ends_with("sasl.mechanism") {
                ("telemetry::kafka-authentication", &auth_at)
            } else if problem.path.contains(".inputs.") {
                ("telemetry::undefined-component", &at)
            } else {
                ("telemetry::vector-option", &at)
            };
            findings.push(finding(
                code,
                format!("{}: `{}`: {}", config.path, problem.path, problem.message),
                problem.help,
                at,
            ));
        }
        // What Vector accepts, MSK may not: SCRAM on MSK is SHA-512 only.
        for (name, mechanism) in kafka_mechanisms(&config.config) {
            let vector_accepts =
                ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"].contains(&mechanism.as_str());
            if vector_accepts && !MSK_SASL_MECHANISMS.contains(&mechanism.as_str()) {
                findings.push(finding(
                    "telemetry::kafka-authentication",
                    format!(
                        "{}: `{name}` signs in with `{mechanism}`, which MSK does not offer",
                        config.path
                    ),
                    "use SCRAM-SHA-512 (MSK port 9096)".to_owned(),
                    &auth_at,
                ));
            }
        }
    }
    if plan.kafka_authentication == landfall_spec::types::KafkaAuthentication::Iam {
        // Reported once at the spec value, whatever the configurations say.
        findings.retain(|f| !(f.code == "telemetry::kafka-authentication" && f.at == auth_at));
        findings.push(finding(
            "telemetry::kafka-authentication",
            format!(
                "Vector {}'s Kafka components cannot authenticate to MSK with IAM (vectordotdev/vector#1516)",
                plan.profile.vector
            ),
            "use `scram-sha-512` (MSK port 9096) or `tls` (port 9094)".to_owned(),
            &auth_at,
        ));
    }
}

/// The SASL mechanism of every Kafka source and sink.
fn kafka_mechanisms(config: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for kind in ["sources", "sinks"] {
        for (name, c) in config
            .get(kind)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if c.get("type").and_then(Value::as_str) != Some("kafka") {
                continue;
            }
            if let Some(m) = c.pointer("/sasl/mechanism").and_then(Value::as_str) {
                out.push((format!("{kind}.{name}"), m.to_owned()));
            }
        }
    }
    out
}

/// Collector and Jaeger configurations against Landfall's model of them.
fn collector_configs_hold_together(bundle: &Bundle, findings: &mut Vec<Finding>) {
    let plan = &bundle.plan;
    let tracing_at = plan.sample_origin.clone();
    for config in &bundle.collectors {
        let at = config
            .path
            .strip_prefix("otel/services/")
            .and_then(|p| p.strip_suffix(".yaml"))
            .and_then(|s| plan.service(s))
            .map(|s| s.origin.clone())
            .unwrap_or_else(|| tracing_at.clone());
        for problem in otel::check(&config.config) {
            let code = if problem.message.contains("not defined") {
                "telemetry::undefined-component"
            } else {
                "telemetry::collector-config"
            };
            findings.push(finding(
                code,
                format!("{}: `{}`: {}", config.path, problem.path, problem.message),
                problem.help,
                &at,
            ));
        }
    }
}

/// What each store is told to keep is what the spec says, and the spec's
/// retentions are ones the stores can carry out.
fn retention_matches_the_spec(bundle: &Bundle, findings: &mut Vec<Finding>) {
    let r = &bundle.plan.retention;
    let document = |path: &str| {
        bundle
            .documents
            .iter()
            .find(|d| d.path == path)
            .map(|d| &d.value)
    };
    let checks: [(&str, u32, &Pointer, Option<u32>, &str); 3] = [
        (
            "s3/log-lake-lifecycle.json",
            r.s3_days,
            &r.s3_origin,
            document("s3/log-lake-lifecycle.json").and_then(storage::lifecycle_expiration_days),
            "the data lake",
        ),
        (
            "opensearch/ism/logs.json",
            r.opensearch_days,
            &r.opensearch_origin,
            document("opensearch/ism/logs.json").and_then(storage::ism_delete_days),
            "OpenSearch",
        ),
        (
            "opensearch/ism/traces.json",
            r.traces_days,
            &r.traces_origin,
            document("opensearch/ism/traces.json").and_then(storage::ism_delete_days),
            "Jaeger's span store",
        ),
    ];
    for (path, days, at, kept, store) in checks {
        if days == 0 {
            findings.push(finding(
                "telemetry::retention",
                format!("{store} cannot keep records for 0 days"),
                "give at least 1 day".to_owned(),
                at,
            ));
        } else if kept != Some(days) {
            let kept = kept.map_or("no deletion at all".to_owned(), |k| format!("{k} days"));
            findings.push(finding(
                "telemetry::retention",
                format!("{path} keeps records for {kept}, the spec says {days}"),
                "regenerate it with `landfall synth`".to_owned(),
                at,
            ));
        }
    }
    if r.opensearch_days > r.s3_days {
        findings.push(finding(
            "telemetry::retention",
            format!(
                "logs stay searchable for {} days but the data lake, the record, deletes them after {}",
                r.opensearch_days, r.s3_days
            ),
            "keep them in S3 at least as long as in OpenSearch".to_owned(),
            &r.opensearch_origin,
        ));
    }
    // A policy deletes only the indices its `ism_template` attaches to: an
    // index the aggregator writes that no pattern matches is kept for ever.
    if let Some(policy) = document("opensearch/ism/logs.json") {
        let patterns = storage::ism_index_patterns(policy);
        for index in aggregator_indices(bundle) {
            let name = storage::sample_index(&index);
            if !patterns
                .iter()
                .any(|p| storage::index_pattern_matches(p, &name))
            {
                findings.push(finding(
                    "telemetry::retention",
                    format!(
                        "the aggregator writes indices `{index}`, which the ISM policy (`{}`) does not attach to: OpenSearch would keep them for ever, not {} days",
                        patterns.join("`, `"),
                        r.opensearch_days
                    ),
                    "regenerate the aggregator and the policy with `landfall synth`".to_owned(),
                    &r.opensearch_origin,
                ));
            }
        }
    }
    // The SIEM reads CloudTrail and flow logs from the log archive, which
    // keeps them `security.retention_days`: an investigation looks back at
    // least a year, so the archive must hold that much.
    if r.siem_days < SIEM_LOOKBACK_DAYS {
        findings.push(finding(
            "telemetry::retention",
            format!(
                "the log archive keeps the security logs {} reads for {} days, less than the {SIEM_LOOKBACK_DAYS} days an investigation looks back",
                bundle.plan.siem, r.siem_days
            ),
            format!("keep them at least {SIEM_LOOKBACK_DAYS} days"),
            &r.siem_origin,
        ));
    }
}

/// The index templates of every Elasticsearch (OpenSearch) sink of the
/// Vector configurations.
fn aggregator_indices(bundle: &Bundle) -> Vec<String> {
    bundle
        .vector
        .iter()
        .flat_map(|v| {
            v.config
                .get("sinks")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|s| s.values())
        })
        .filter(|s| s.get("type").and_then(Value::as_str) == Some("elasticsearch"))
        .filter_map(|s| s.pointer("/bulk/index").and_then(Value::as_str))
        .map(str::to_owned)
        .collect()
}

/// How far back a security investigation reads CloudTrail and flow logs:
/// Landfall's floor for `security.retention_days` (a policy, not an AWS or
/// Panther limit).
pub const SIEM_LOOKBACK_DAYS: u32 = 365;

/// Every remap program compiles with VRL; a spec pattern VRL refuses is
/// reported at the pattern, anything else at the service.
#[cfg(feature = "vrl")]
fn remap_programs_compile(bundle: &Bundle, findings: &mut Vec<Finding>) {
    let plan = &bundle.plan;
    // The spec's patterns first, alone: an error there is the user's.
    let mut bad_patterns = false;
    for pattern in plan.redactions.iter().filter(|p| p.origin.is_some()) {
        let probe = format!(
            "replace(\"\", r'{}', \"\")",
            pattern.regex.replace('\'', "\\'")
        );
        if let Err(report) = crate::vrl::compile(&probe) {
            bad_patterns = true;
            findings.push(finding(
                "telemetry::remap-does-not-compile",
                format!("VRL refuses the redaction pattern `{}`", pattern.name),
                first_error_line(&report),
                pattern
                    .origin
                    .as_ref()
                    .map(|o| o.child("pattern"))
                    .as_ref()
                    .unwrap_or(&plan.logs_origin),
            ));
        }
    }
    if bad_patterns {
        return;
    }
    // Programs differ only in the service's own string literals (written
    // by one escaping function), so one compile per shape covers them all.
    let mut seen = BTreeSet::new();
    for config in &bundle.vector {
        for (transform, source) in crate::vector::programs(&config.config) {
            if !seen.insert(crate::remap::shape(&source)) {
                continue;
            }
            if let Err(report) = crate::vrl::compile(&source) {
                let service = transform
                    .strip_prefix("parse_")
                    .or_else(|| config.services.first().map(String::as_str))
                    .unwrap_or_default();
                let at = plan
                    .service(service)
                    .map(|s| s.origin.clone())
                    .unwrap_or_else(|| plan.logs_origin.clone());
                findings.push(finding(
                    "telemetry::remap-does-not-compile",
                    format!(
                        "{}: the remap program `{transform}` does not compile",
                        config.path
                    ),
                    first_error_line(&report),
                    &at,
                ));
            }
        }
    }
}

#[cfg(feature = "vrl")]
fn first_error_line(report: &str) -> String {
    report
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("error["))
        .unwrap_or("see VRL's report")
        .to_owned()
}

fn list(names: &[String]) -> String {
    match names {
        [] => "no service".to_owned(),
        [one] => format!("`{one}`"),
        [first, rest @ ..] => format!("`{first}` and {} more", rest.len()),
    }
}
