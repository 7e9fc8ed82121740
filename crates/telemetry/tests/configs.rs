//! The generated Vector, OpenTelemetry Collector and Jaeger configurations
//! against the models of them (Vector's component reference for the pinned
//! release, Landfall's model of the collector): silent on the reference
//! platform, and each rule firing, at its path, on a configuration that
//! breaks it.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use landfall_telemetry::{otel, vector, vector_reference, Bundle};
use serde_json::{json, Value};

fn reference_bundle() -> Bundle {
    let resolved = landfall_model::reference();
    landfall_telemetry::generate(resolved.model.as_ref().expect("valid")).expect("observability")
}

fn agent() -> Value {
    let bundle = reference_bundle();
    bundle
        .vector
        .iter()
        .find(|v| v.path.starts_with("vector/services/"))
        .unwrap()
        .config
        .clone()
}

fn paths(problems: &[vector_reference::Problem]) -> Vec<String> {
    problems
        .iter()
        .map(|p| format!("{}: {}", p.path, p.message))
        .collect()
}

#[test]
fn every_vector_configuration_of_the_reference_matches_the_component_reference() {
    let bundle = reference_bundle();
    assert_eq!(vector_reference::version(), bundle.plan.profile.vector);
    let kinds: Vec<&str> = bundle
        .vector
        .iter()
        .map(|v| v.path.split('/').nth(1).unwrap())
        .collect();
    assert!(
        kinds.contains(&"services")
            && kinds.contains(&"hosts")
            && kinds.contains(&"aggregator.yaml"),
        "{kinds:?}"
    );
    for config in &bundle.vector {
        let problems = vector_reference::check(&config.config);
        assert!(
            problems.is_empty(),
            "{}: {:#?}",
            config.path,
            paths(&problems)
        );
    }
}

#[test]
fn an_option_vector_does_not_have_is_refused_at_its_path() {
    let mut config = agent();
    config["sinks"]["kafka"]["sasl"]["mechanisms"] = json!("SCRAM-SHA-512");
    config["sinks"]["kafka"]["buffer"]["when_ful"] = json!("block");
    let problems = paths(&vector_reference::check(&config));
    assert!(
        problems.iter().any(|p| p
            .starts_with("sinks.kafka.sasl.mechanisms: Vector 0.49 has no option `mechanisms`")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("sinks.kafka.buffer.when_ful:")),
        "{problems:#?}"
    );
}

#[test]
fn a_sasl_mechanism_vector_does_not_support_is_refused() {
    let mut config = agent();
    config["sinks"]["kafka"]["sasl"]["mechanism"] = json!("AWS_MSK_IAM");
    let problems = vector_reference::check(&config);
    assert_eq!(problems.len(), 1, "{:#?}", paths(&problems));
    assert_eq!(problems[0].path, "sinks.kafka.sasl.mechanism");
    assert!(
        problems[0].help.contains("`SCRAM-SHA-512`"),
        "{}",
        problems[0].help
    );
}

#[test]
fn wrong_types_values_and_bounds_are_refused() {
    let mut config = agent();
    config["sinks"]["kafka"]["buffer"]["max_size"] = json!(1024);
    config["sinks"]["kafka"]["buffer"]["when_full"] = json!("drop_oldest");
    config["sinks"]["kafka"]["compression"] = json!(true);
    config["transforms"]["parse"]["drop_on_error"] = json!("yes");
    let problems = paths(&vector_reference::check(&config));
    for expected in [
        "sinks.kafka.buffer.max_size: 1024 is below the least value Vector accepts (268435488)",
        "sinks.kafka.buffer.when_full: `drop_oldest` is not one of",
        "sinks.kafka.compression: expected a string",
        "transforms.parse.drop_on_error: expected true or false",
    ] {
        assert!(
            problems.iter().any(|p| p.starts_with(expected)),
            "{expected}: {problems:#?}"
        );
    }
}

#[test]
fn required_options_unknown_types_and_undefined_inputs_are_refused() {
    let mut config = agent();
    config["sinks"]["kafka"]
        .as_object_mut()
        .unwrap()
        .remove("topic");
    config["sinks"]["kafka"]["buffer"]
        .as_object_mut()
        .unwrap()
        .remove("max_size");
    config["sinks"]["metrics"]["inputs"] = json!(["vector_metric"]);
    config["sources"]["firelens"]["type"] = json!("fluentd");
    let problems = paths(&vector_reference::check(&config));
    for expected in [
        "sinks.kafka: `topic` is required",
        "sinks.kafka.buffer: a disk buffer without `max_size`",
        "sinks.metrics.inputs.0: `metrics` reads `vector_metric`, which no source or transform defines",
        "sources.firelens.type: Vector 0.49 has no source of type `fluentd`",
    ] {
        assert!(problems.iter().any(|p| p.starts_with(expected)), "{expected}: {problems:#?}");
    }
}

#[test]
fn sinks_buffer_on_disk_and_block_when_full() {
    // Records are evidence: an unreachable MSK must hold them back, not drop them.
    let bundle = reference_bundle();
    for config in &bundle.vector {
        for (name, sink) in config.config["sinks"].as_object().unwrap() {
            if sink["type"] == "prometheus_exporter" {
                continue;
            }
            assert_eq!(sink["buffer"]["type"], "disk", "{} {name}", config.path);
            assert_eq!(
                sink["buffer"]["when_full"], "block",
                "{} {name}",
                config.path
            );
            let size = sink["buffer"]["max_size"].as_u64().unwrap();
            assert!(
                (vector::DISK_BUFFER_MIN_BYTES..=vector::DISK_BUFFER_MAX_BYTES).contains(&size)
            );
        }
    }
    // An hour of the service's peak volume, within the bounds.
    assert_eq!(vector::disk_buffer_bytes(1), vector::DISK_BUFFER_MIN_BYTES);
    assert_eq!(vector::disk_buffer_bytes(1024), 1024 * 1024 * 3600);
    assert_eq!(
        vector::disk_buffer_bytes(1 << 20),
        vector::DISK_BUFFER_MAX_BYTES
    );
}

#[test]
fn the_aggregator_partitions_the_lake_by_domain_service_and_date() {
    let bundle = reference_bundle();
    let aggregator = &bundle
        .vector
        .iter()
        .find(|v| v.path == "vector/aggregator.yaml")
        .unwrap()
        .config;
    assert_eq!(
        aggregator["sinks"]["data_lake"]["key_prefix"],
        "domain={{ domain }}/service={{ service }}/date=%F/"
    );
    let topics = aggregator["sources"]["topics"]["topics"]
        .as_array()
        .unwrap();
    for topic in &bundle.plan.topics {
        assert!(topics.contains(&json!(topic.name)), "{}", topic.name);
    }
}

fn collectors() -> Vec<otel::CollectorConfig> {
    reference_bundle().collectors
}

#[test]
fn every_collector_and_jaeger_configuration_of_the_reference_holds_together() {
    let all = collectors();
    assert!(all.iter().any(|c| c.path == "otel/gateway.yaml"));
    assert!(all.iter().any(|c| c.path == "jaeger/jaeger.yaml"));
    for c in &all {
        let problems = otel::check(&c.config);
        assert!(problems.is_empty(), "{}: {:#?}", c.path, paths(&problems));
    }
    let gateway = &all
        .iter()
        .find(|c| c.path == "otel/gateway.yaml")
        .unwrap()
        .config;
    let policies = gateway["processors"]["tail_sampling"]["policies"]
        .as_array()
        .unwrap();
    assert_eq!(policies[0]["status_code"]["status_codes"], json!(["ERROR"]));
    assert_eq!(
        policies[1]["probabilistic"]["sampling_percentage"],
        json!(5)
    );
}

fn gateway() -> Value {
    collectors()
        .into_iter()
        .find(|c| c.path == "otel/gateway.yaml")
        .unwrap()
        .config
}

#[test]
fn a_jaeger_exporter_is_refused() {
    let mut config = gateway();
    config["exporters"]["jaeger"] = json!({ "endpoint": "jaeger:14250" });
    config["service"]["pipelines"]["traces"]["exporters"] = json!(["jaeger"]);
    let problems = paths(&otel::check(&config));
    assert!(
        problems.iter().any(|p| p
            .starts_with("exporters.jaeger: the collector has no `jaeger` exporter since v0.85")),
        "{problems:#?}"
    );
}

#[test]
fn memory_limiter_must_come_first() {
    let mut config = gateway();
    config["service"]["pipelines"]["traces"]["processors"] =
        json!(["tail_sampling", "memory_limiter", "batch"]);
    let problems = paths(&otel::check(&config));
    assert_eq!(problems, vec!["service.pipelines.traces.processors: pipeline `traces` does not start with `memory_limiter`"]);
}

#[test]
fn an_undefined_component_and_a_wrong_otlp_port_are_refused() {
    let mut config = gateway();
    config["service"]["pipelines"]["traces"]["processors"] =
        json!(["memory_limiter", "tail_sampling", "batch/fast"]);
    config["exporters"]["otlp/jaeger"]["endpoint"] = json!("jaeger-collector:14250");
    let problems = paths(&otel::check(&config));
    assert!(problems.iter().any(|p| p == "service.pipelines.traces.processors.2: the pipeline names processor `batch/fast`, which is not defined"), "{problems:#?}");
    assert!(
        problems.iter().any(|p| p.starts_with(
            "exporters.otlp/jaeger: exporter `otlp/jaeger` does not send OTLP/gRPC to port 4317"
        )),
        "{problems:#?}"
    );
}

/// The aggregator writes the lake where, and as, the log archive's Glue
/// table reads it: the S3 key prefix is the table's projected partition
/// path, gzip-compressed newline-delimited JSON, and every column the table
/// names but `level` (a service's own field) is set by every remap program.
#[test]
fn the_aggregator_writes_where_and_how_the_lake_table_reads() {
    use landfall_synth::layers::log_lake::{COLUMNS, PARTITION_PATH};
    let bundle = reference_bundle();
    let aggregator = &bundle
        .vector
        .iter()
        .find(|v| v.path == vector::aggregator_path())
        .unwrap()
        .config;
    let lake = &aggregator["sinks"]["data_lake"];
    let prefix = lake["key_prefix"].as_str().unwrap();
    assert_eq!(
        prefix
            .replace("{{ domain }}", "${domain}")
            .replace("{{ service }}", "${service}")
            .replace("%F", "${date}"),
        PARTITION_PATH
    );
    assert_eq!(lake["compression"], "gzip");
    assert_eq!(lake["encoding"]["codec"], "json");
    assert_eq!(lake["framing"]["method"], "newline_delimited");
    for service in &bundle.plan.services {
        let program = landfall_telemetry::remap::program(service, &bundle.plan.redactions);
        for (column, _) in COLUMNS {
            if ["level", "message", "timestamp"].contains(column) {
                continue;
            }
            assert!(
                program.contains(&format!(".{column} = ")),
                "the remap program of {} does not set `{column}`",
                service.name
            );
        }
    }
}

/// The aggregator writes where the log search domain of its VPC listens,
/// what the domain is sized for: HTTPS at the endpoint the domain's stack
/// gives, signed as the role the domain admits, indices with the replicas
/// the sizing counts, which the ISM policy and the template both cover.
#[test]
fn the_aggregator_writes_what_the_log_search_domain_is_built_for() {
    use landfall_synth::layers::log_search::REPLICAS;
    use landfall_telemetry::storage;
    let bundle = reference_bundle();
    let aggregator = &bundle
        .vector
        .iter()
        .find(|v| v.path == vector::aggregator_path())
        .unwrap()
        .config;
    let search = &aggregator["sinks"]["search"];
    assert_eq!(search["type"], "elasticsearch");
    assert_eq!(
        search["endpoints"],
        serde_json::json!(["${OPENSEARCH_ENDPOINT}"])
    );
    // SigV4 as the task role: the domain's access policy names it.
    assert_eq!(search["auth"]["strategy"], "aws");
    let index = storage::sample_index(search["bulk"]["index"].as_str().unwrap());
    let document = |path: &str| {
        &bundle
            .documents
            .iter()
            .find(|d| d.path == path)
            .unwrap()
            .value
    };
    let template = document("opensearch/templates/logs.json");
    assert_eq!(
        template["template"]["settings"]["number_of_replicas"],
        serde_json::json!(REPLICAS)
    );
    let template_patterns: Vec<&str> = template["index_patterns"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(serde_json::Value::as_str)
        .collect();
    assert!(template_patterns
        .iter()
        .any(|p| storage::index_pattern_matches(p, &index)));
    let ism = storage::ism_index_patterns(document("opensearch/ism/logs.json"));
    assert!(
        ism.iter()
            .any(|p| storage::index_pattern_matches(p, &index)),
        "{ism:?}"
    );
}

fn jaeger() -> Value {
    collectors()
        .into_iter()
        .find(|c| c.path == otel::JAEGER_PATH)
        .unwrap()
        .config
}

/// Jaeger joins an `index_prefix` before its index names
/// (`<prefix>-jaeger-span-2026-12-07`); the traces' ISM policy attaches to
/// the indices by pattern, so a prefix the patterns do not name would keep
/// every span forever.
#[test]
fn jaegers_indices_are_the_ones_the_traces_ism_policy_deletes() {
    let bundle = reference_bundle();
    let policy = &bundle
        .documents
        .iter()
        .find(|d| d.path == "opensearch/ism/traces.json")
        .unwrap()
        .value;
    let patterns = landfall_telemetry::storage::ism_index_patterns(policy);
    for index in otel::jaeger_index_prefixes(&jaeger()) {
        let name = format!("{index}2026-12-07");
        assert!(
            patterns
                .iter()
                .any(|p| landfall_telemetry::storage::index_pattern_matches(p, &name)),
            "{name} matches none of {patterns:?}"
        );
    }
    // What a prefix would do.
    let mut prefixed = jaeger();
    prefixed["extensions"]["jaeger_storage"]["backends"]["opensearch"]["opensearch"]["indices"]
        ["index_prefix"] = json!("jaeger");
    assert_eq!(
        otel::jaeger_index_prefixes(&prefixed),
        ["jaeger-jaeger-span-", "jaeger-jaeger-service-"]
    );
}

/// The domains admit only SigV4-signed requests of the roles their access
/// policy names
/// (<https://docs.aws.amazon.com/opensearch-service/latest/developerguide/ac.html>):
/// Jaeger's OpenSearch client signs with the `sigv4auth` extension, for
/// OpenSearch Service in the task's region, and the extension runs.
#[test]
fn jaeger_signs_its_opensearch_requests_with_sigv4() {
    let config = jaeger();
    let backend = &config["extensions"]["jaeger_storage"]["backends"]["opensearch"]["opensearch"];
    assert_eq!(backend["auth"]["authenticator"], json!("sigv4auth"));
    assert_eq!(
        backend["server_urls"],
        json!(["${env:OPENSEARCH_ENDPOINT}"])
    );
    assert_eq!(config["extensions"]["sigv4auth"]["service"], json!("es"));
    assert_eq!(
        config["extensions"]["sigv4auth"]["region"],
        json!("${env:AWS_REGION}")
    );
    assert!(config["service"]["extensions"]
        .as_array()
        .unwrap()
        .contains(&json!("sigv4auth")));
    // Collector on OTLP gRPC and HTTP, query on 16686, on every interface.
    assert_eq!(
        config["receivers"]["otlp"]["protocols"]["http"]["endpoint"],
        json!("0.0.0.0:4318")
    );
    assert_eq!(
        config["extensions"]["jaeger_query"]["http"]["endpoint"],
        json!("0.0.0.0:16686")
    );
    assert_eq!(otel::JAEGER_TAG, "2.20.0");
}
