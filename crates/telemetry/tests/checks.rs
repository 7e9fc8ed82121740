//! The consistency checks: silent on the reference platform, and each one
//! firing, located at the spec line, on a fixture that breaks what it
//! guards (the reference spec with one value changed, or a generated
//! bundle broken on purpose where no spec value can break it).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use landfall_telemetry::checks::{check, Finding};
use landfall_telemetry::Bundle;
use serde_json::json;

fn reference() -> (landfall_model::Resolved, Bundle) {
    let resolved = landfall_model::reference();
    let bundle = landfall_telemetry::generate(resolved.model.as_ref().expect("valid"))
        .expect("observability");
    (resolved, bundle)
}

/// `file:line:column code message (help)`, as `landfall check` reports it.
fn rendered(resolved: &landfall_model::Resolved, findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| {
            let d = f.to_diagnostic(&resolved.loaded);
            let location = d
                .primary_span()
                .map(|s| resolved.loaded.sources.location(s));
            format!(
                "{}:{}:{} {} {} ({})",
                location.as_ref().map_or("?".to_owned(), |l| l.file.clone()),
                location.as_ref().map_or(0, |l| l.line),
                location.as_ref().map_or(0, |l| l.column),
                d.code,
                d.message,
                d.help.clone().unwrap_or_default()
            )
        })
        .collect()
}

/// The reference spec with text of some files changed, generated and
/// checked.
fn reference_with(edits: &[(&str, &str, &str)]) -> Vec<String> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("landfall-telemetry-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    landfall_spec::reference::write_reference(&dir).unwrap();
    for (file, from, to) in edits {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} has `{from}`");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }
    let resolved = landfall_model::load_dir(&dir).unwrap();
    let model = resolved
        .model
        .as_ref()
        .unwrap_or_else(|| panic!("still a valid spec: {:#?}", resolved.diagnostics));
    let bundle = landfall_telemetry::generate(model).unwrap();
    let out = rendered(&resolved, &check(&bundle));
    let _ = std::fs::remove_dir_all(&dir);
    out
}

/// The one finding, at `file` on the line holding `line_text`.
fn single<'a>(
    findings: &'a [String],
    code: &str,
    file: &str,
    line_text: &str,
    text: &str,
) -> &'a str {
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert!(f.contains(code), "{f}");
    assert!(f.starts_with(&format!("{file}:")), "{f}");
    let line: usize = f.split(':').nth(1).unwrap().parse().unwrap();
    let at = text.lines().nth(line - 1).unwrap_or_default();
    assert!(at.contains(line_text), "{f} points at `{at}`");
    f
}

const OBSERVABILITY: &str = include_str!("../../../reference/observability.yaml");
const COMPLIANCE: &str = include_str!("../../../reference/data/compliance.yaml");

#[test]
fn the_reference_platform_is_consistent() {
    let (resolved, bundle) = reference();
    let findings = check(&bundle);
    assert!(findings.is_empty(), "{:#?}", rendered(&resolved, &findings));
    assert_eq!(
        bundle.plan.services.len(),
        resolved.model.as_ref().unwrap().services.len()
    );
}

#[test]
fn a_log_topic_the_cluster_does_not_declare_is_located_at_the_route() {
    let findings = reference_with(&[(
        "observability.yaml",
        "    opensearch_retention_days: 14\n",
        "    opensearch_retention_days: 14\n    domain_topics:\n      trading: logs.trading\n",
    )]);
    let edited = OBSERVABILITY.replacen(
        "    opensearch_retention_days: 14\n",
        "    opensearch_retention_days: 14\n    domain_topics:\n      trading: logs.trading\n",
        1,
    );
    let f = single(
        &findings,
        "telemetry::log-topic-missing",
        "observability.yaml",
        "trading: logs.trading",
        &edited,
    );
    assert!(
        f.contains("add `logs.trading` to the topics of `platform-logs`"),
        "{f}"
    );
}

#[test]
fn a_domain_topic_for_a_domain_that_does_not_exist_is_located() {
    let edit =
        "    opensearch_retention_days: 14\n    domain_topics:\n      tradng: logs.application\n";
    let findings = reference_with(&[(
        "observability.yaml",
        "    opensearch_retention_days: 14\n",
        edit,
    )]);
    let edited = OBSERVABILITY.replacen("    opensearch_retention_days: 14\n", edit, 1);
    let f = single(
        &findings,
        "telemetry::unknown-domain",
        "observability.yaml",
        "tradng:",
        &edited,
    );
    assert!(f.contains("did you mean `trading`?"), "{f}");
}

#[test]
fn a_log_topic_too_small_for_the_declared_volume_is_located_at_its_partitions() {
    let findings = reference_with(&[("data/compliance.yaml", "partitions: 96", "partitions: 2")]);
    let edited = COMPLIANCE.replacen("partitions: 96", "partitions: 2", 1);
    let f = single(
        &findings,
        "telemetry::log-topic-too-small",
        "data/compliance.yaml",
        "partitions: 2",
        &edited,
    );
    assert!(
        f.contains("topic `logs.application` has 2 partitions"),
        "{f}"
    );
}

#[test]
fn a_declared_log_volume_sizes_the_topic() {
    let findings = reference_with(&[(
        "services/trading/order-gateway.yaml",
        "  latency_sensitive: true\n",
        "  latency_sensitive: true\n  monitoring:\n    logs:\n      volume_kib_per_second: 200000\n",
    )]);
    let f = single(
        &findings,
        "telemetry::log-topic-too-small",
        "data/compliance.yaml",
        "partitions: 96",
        COMPLIANCE,
    );
    assert!(f.contains("which needs 2"), "{f}");
}

#[test]
fn kafka_authentication_vector_cannot_use_is_located() {
    let edit = "    opensearch_retention_days: 14\n    kafka_authentication: iam\n";
    let findings = reference_with(&[(
        "observability.yaml",
        "    opensearch_retention_days: 14\n",
        edit,
    )]);
    let edited = OBSERVABILITY.replacen("    opensearch_retention_days: 14\n", edit, 1);
    let f = single(
        &findings,
        "telemetry::kafka-authentication",
        "observability.yaml",
        "kafka_authentication: iam",
        &edited,
    );
    assert!(f.contains("vectordotdev/vector#1516"), "{f}");
    assert!(f.contains("scram-sha-512"), "{f}");
}

#[test]
fn scram_and_mutual_tls_are_authentications_vector_can_use() {
    for value in ["scram-sha-512", "tls"] {
        let edit =
            format!("    opensearch_retention_days: 14\n    kafka_authentication: {value}\n");
        let findings = reference_with(&[(
            "observability.yaml",
            "    opensearch_retention_days: 14\n",
            &edit,
        )]);
        assert!(findings.is_empty(), "{value}: {findings:#?}");
    }
}

#[test]
fn a_redaction_pattern_vrl_refuses_is_located_at_the_pattern() {
    let edit = "    opensearch_retention_days: 14\n    redact:\n      - name: iban\n        pattern: '[A-Z]{2}(\\d{2}'\n";
    let findings = reference_with(&[(
        "observability.yaml",
        "    opensearch_retention_days: 14\n",
        edit,
    )]);
    let edited = OBSERVABILITY.replacen("    opensearch_retention_days: 14\n", edit, 1);
    if cfg!(feature = "vrl") {
        let f = single(
            &findings,
            "telemetry::remap-does-not-compile",
            "observability.yaml",
            "pattern:",
            &edited,
        );
        assert!(
            f.contains("VRL refuses the redaction pattern `iban`"),
            "{f}"
        );
    }
}

#[test]
fn retention_a_store_cannot_carry_out_is_located() {
    let findings = reference_with(&[(
        "observability.yaml",
        "    retention_days: 7\n",
        "    retention_days: 0\n",
    )]);
    let edited = OBSERVABILITY.replacen("    retention_days: 7\n", "    retention_days: 0\n", 1);
    single(
        &findings,
        "telemetry::retention",
        "observability.yaml",
        "retention_days: 0",
        &edited,
    );

    let findings = reference_with(&[(
        "observability.yaml",
        "opensearch_retention_days: 14",
        "opensearch_retention_days: 3650",
    )]);
    let edited = OBSERVABILITY.replacen(
        "opensearch_retention_days: 14",
        "opensearch_retention_days: 3650",
        1,
    );
    let f = single(
        &findings,
        "telemetry::retention",
        "observability.yaml",
        "opensearch_retention_days: 3650",
        &edited,
    );
    assert!(
        f.contains("the data lake, the record, deletes them after 1825"),
        "{f}"
    );

    let findings = reference_with(&[(
        "observability.yaml",
        "    retention_days: 2555\n",
        "    retention_days: 90\n",
    )]);
    let edited =
        OBSERVABILITY.replacen("    retention_days: 2555\n", "    retention_days: 90\n", 1);
    single(
        &findings,
        "telemetry::retention",
        "observability.yaml",
        "retention_days: 90",
        &edited,
    );
}

#[test]
fn a_retention_document_that_disagrees_with_the_spec_is_located_at_the_spec_value() {
    let (resolved, mut bundle) = reference();
    let ism = bundle
        .documents
        .iter_mut()
        .find(|d| d.path == "opensearch/ism/logs.json")
        .unwrap();
    ism.value["policy"]["states"][0]["transitions"][0]["conditions"]["min_index_age"] =
        json!("30d");
    let lifecycle = bundle
        .documents
        .iter_mut()
        .find(|d| d.path == "s3/log-lake-lifecycle.json")
        .unwrap();
    lifecycle.value["Rules"][0]
        .as_object_mut()
        .unwrap()
        .remove("Expiration");
    let findings = rendered(&resolved, &check(&bundle));
    assert_eq!(findings.len(), 2, "{findings:#?}");
    assert!(
        findings[0].contains(
            "s3/log-lake-lifecycle.json keeps records for no deletion at all, the spec says 1825"
        ),
        "{findings:#?}"
    );
    assert!(
        findings[1]
            .contains("opensearch/ism/logs.json keeps records for 30 days, the spec says 14"),
        "{findings:#?}"
    );
    for (f, text) in findings
        .iter()
        .zip(["s3_retention_days", "opensearch_retention_days"])
    {
        let line: usize = f.split(':').nth(1).unwrap().parse().unwrap();
        assert!(
            OBSERVABILITY.lines().nth(line - 1).unwrap().contains(text),
            "{f}"
        );
    }
}

#[test]
fn a_service_without_a_log_or_trace_route_is_located_at_the_service() {
    let (resolved, mut bundle) = reference();
    let name = bundle
        .plan
        .services
        .iter()
        .find(|s| !s.metal)
        .unwrap()
        .name
        .clone();
    bundle
        .vector
        .retain(|v| v.path != format!("vector/services/{name}.yaml"));
    bundle
        .collectors
        .retain(|c| c.path != format!("otel/services/{name}.yaml"));
    let findings = rendered(&resolved, &check(&bundle));
    assert_eq!(findings.len(), 2, "{findings:#?}");
    assert!(
        findings[0].contains(&format!(
            "telemetry::no-log-route no log agent carries the logs of `{name}`"
        )),
        "{findings:#?}"
    );
    assert!(
        findings[1].contains(&format!(
            "telemetry::no-trace-route no OpenTelemetry collector receives the traces of `{name}`"
        )),
        "{findings:#?}"
    );
    assert!(findings[0].starts_with("services/"), "{findings:#?}");
}

#[test]
fn a_topic_no_aggregator_reads_is_a_missing_log_route() {
    let (resolved, mut bundle) = reference();
    let aggregator = bundle
        .vector
        .iter_mut()
        .find(|v| v.path == "vector/aggregator.yaml")
        .unwrap();
    aggregator.config["sources"]["topics"]["topics"] = json!([]);
    let findings = rendered(&resolved, &check(&bundle));
    assert_eq!(findings.len(), bundle.plan.services.len(), "{findings:#?}");
    assert!(
        findings[0].contains("which no aggregator reads"),
        "{}",
        findings[0]
    );
    assert!(
        findings[0].starts_with("observability.yaml:"),
        "{}",
        findings[0]
    );
}

#[test]
fn a_pipeline_reading_an_undefined_component_is_located() {
    let (resolved, mut bundle) = reference();
    let service = bundle
        .plan
        .services
        .iter()
        .find(|s| !s.metal)
        .unwrap()
        .name
        .clone();
    let agent = bundle
        .vector
        .iter_mut()
        .find(|v| v.path == format!("vector/services/{service}.yaml"))
        .unwrap();
    agent.config["sinks"]["kafka"]["inputs"] = json!(["parsed"]);
    let collector = bundle
        .collectors
        .iter_mut()
        .find(|c| c.path == "otel/gateway.yaml")
        .unwrap();
    collector.config["service"]["pipelines"]["traces"]["exporters"] = json!(["otlp/jaegr"]);
    let findings = rendered(&resolved, &check(&bundle));
    assert_eq!(findings.len(), 2, "{findings:#?}");
    assert!(
        findings
            .iter()
            .all(|f| f.contains("telemetry::undefined-component")),
        "{findings:#?}"
    );
    assert!(
        findings[0].contains("`kafka` reads `parsed`"),
        "{findings:#?}"
    );
    assert!(
        findings[0].contains("did you mean `parse`?"),
        "{findings:#?}"
    );
    assert!(findings[0].starts_with("services/"), "{findings:#?}");
    assert!(
        findings[1].contains("exporter `otlp/jaegr`"),
        "{findings:#?}"
    );
    assert!(
        findings[1].starts_with("observability.yaml:"),
        "{findings:#?}"
    );
}

/// An index the aggregator writes that the ISM policy does not attach to is
/// never deleted: reported at `opensearch_retention_days`.
#[test]
fn indices_no_ism_policy_attaches_to_are_located_at_the_opensearch_retention() {
    let (resolved, mut bundle) = reference();
    let aggregator = bundle
        .vector
        .iter_mut()
        .find(|v| v.path == landfall_telemetry::vector::aggregator_path())
        .unwrap();
    aggregator.config["sinks"]["search"]["bulk"]["index"] = json!("app-{{ domain }}-%Y.%m.%d");
    let findings = rendered(&resolved, &check(&bundle));
    let f = single(
        &findings,
        "telemetry::retention",
        "observability.yaml",
        "opensearch_retention_days: 14",
        OBSERVABILITY,
    );
    assert!(
        f.contains("the aggregator writes indices `app-{{ domain }}-%Y.%m.%d`, which the ISM policy (`logs-*`) does not attach to"),
        "{f}"
    );

    // The same when the policy's pattern is what changed.
    let (resolved, mut bundle) = reference();
    let ism = bundle
        .documents
        .iter_mut()
        .find(|d| d.path == "opensearch/ism/logs.json")
        .unwrap();
    ism.value["policy"]["ism_template"][0]["index_patterns"] = json!(["log-*"]);
    let findings = rendered(&resolved, &check(&bundle));
    single(
        &findings,
        "telemetry::retention",
        "observability.yaml",
        "opensearch_retention_days: 14",
        OBSERVABILITY,
    );
}
