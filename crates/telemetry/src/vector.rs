//! Vector configurations: the agent beside each Fargate service, the agent
//! of each domain's metal hosts, and the aggregator that empties the log
//! topics into the S3 data lake and OpenSearch.
//!
//! Collection. On Fargate a task's stdout and stderr can leave only through
//! the `awslogs`, `splunk` or `awsfirelens` log drivers
//! (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_logconfiguration),
//! and FireLens runs only Fluent Bit or Fluentd as the log router
//! (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_firelens.html). So each service's task gets
//! the FireLens router (Fluent Bit, with ECS metadata on: task ARN, cluster,
//! container) whose output is `forward` to a Vector sidecar on
//! `127.0.0.1:24225` (Vector's `fluent` source); Vector parses, redacts and
//! ships. Reading a shared volume instead would need every service to write
//! files, and a file tailer loses lines across rotation under load. On metal
//! hosts (ECS on EC2) Docker keeps the logs and labels every container with
//! its task, so one Vector per host (an ECS daemon service) reads them with
//! the `docker_logs` source and routes each task family to its service's
//! program: no per-task sidecar competing for the host's cores.
//!
//! When MSK is unreachable. Records are order and trade evidence, so none
//! is dropped: each Kafka sink has a disk buffer sized for an hour of the
//! service's peak volume (within Vector's minimum and the task's ephemeral
//! storage) with `when_full: block`. A full buffer stops the `fluent` source
//! from accepting, Fluent Bit holds its own bounded buffer, and then the
//! application's writes to stdout block: back pressure, never loss.

use serde_json::{json, Value};

use crate::plan::{LoggedService, Plan};
use crate::remap;
use landfall_spec::types::KafkaAuthentication;

/// Where the FireLens router forwards to (Vector's `fluent` source). Not
/// 24224: the FireLens router itself listens there, in the same network
/// namespace (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/firelens-taskdef.html>).
pub const FORWARD_ADDRESS: &str = "127.0.0.1:24225";
/// Where every Vector agent exposes its own metrics (the `VectorAgentDown`
/// alert's target).
pub const METRICS_ADDRESS: &str = "0.0.0.0:9598";
/// The disk buffer's directory (`data_dir`), on the task's ephemeral storage.
pub const DATA_DIR: &str = "/var/lib/vector";
/// Vector refuses a disk buffer below this size
/// (https://vector.dev/docs/reference/configuration/sinks/kafka/#buffer.max_size).
pub const DISK_BUFFER_MIN_BYTES: u64 = 268_435_488;
/// The most a sidecar's buffer may take of a Fargate task's 20 GiB of
/// ephemeral storage (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-task-storage.html).
pub const DISK_BUFFER_MAX_BYTES: u64 = 8 * 1024 * 1024 * 1024;
/// How long an MSK outage the buffer rides out at peak volume.
pub const BUFFER_SECONDS: u64 = 3600;
/// The aggregator's consumer group.
pub const CONSUMER_GROUP: &str = "landfall-log-aggregator";

/// The environment variables the configurations read (set by the task
/// definitions: the broker list and credentials from Secrets Manager).
pub const BOOTSTRAP_VARIABLE: &str = "LOGS_KAFKA_BOOTSTRAP_SERVERS";
pub const USERNAME_VARIABLE: &str = "LOGS_KAFKA_USERNAME";
pub const PASSWORD_VARIABLE: &str = "LOGS_KAFKA_PASSWORD";

/// One generated Vector configuration.
#[derive(Debug, Clone)]
pub struct VectorConfig {
    /// Relative to `observability/`.
    pub path: String,
    /// The services whose records it carries.
    pub services: Vec<String>,
    pub config: Value,
}

/// The buffer of a sink carrying `kib_per_second` at peak.
pub fn disk_buffer_bytes(kib_per_second: u64) -> u64 {
    (kib_per_second * 1024 * BUFFER_SECONDS).clamp(DISK_BUFFER_MIN_BYTES, DISK_BUFFER_MAX_BYTES)
}

/// Every configuration of the plan, in a stable order.
pub fn configs(plan: &Plan) -> Vec<VectorConfig> {
    let mut all: Vec<VectorConfig> = plan
        .services
        .iter()
        .filter(|s| !s.metal)
        .map(|s| service_agent(plan, s))
        .collect();
    all.extend(
        plan.metal_domains
            .iter()
            .map(|domain| host_agent(plan, domain)),
    );
    all.push(aggregator(plan));
    all
}

/// The sidecar of a Fargate service.
pub fn service_agent(plan: &Plan, service: &LoggedService) -> VectorConfig {
    let config = json!({
        "data_dir": DATA_DIR,
        "sources": {
            "firelens": { "type": "fluent", "address": FORWARD_ADDRESS },
            "vector_metrics": { "type": "internal_metrics" },
        },
        "transforms": {
            "parse": remap_transform(plan, service, &["firelens"]),
        },
        "sinks": {
            "kafka": kafka_sink(plan, &["parse"], &service.topic, u64::from(service.volume_kib_per_second)),
            "metrics": metrics_sink(),
        },
    });
    VectorConfig {
        path: format!("vector/services/{}.yaml", service.name),
        services: vec![service.name.clone()],
        config,
    }
}

/// The daemon of a domain's metal hosts: one route per task family.
pub fn host_agent(plan: &Plan, domain: &str) -> VectorConfig {
    let services: Vec<&LoggedService> = plan
        .services
        .iter()
        .filter(|s| s.metal && s.domain == domain)
        .collect();
    let mut routes = serde_json::Map::new();
    let mut transforms = serde_json::Map::new();
    for s in &services {
        routes.insert(
            s.name.clone(),
            json!(format!(
                ".label.\"com.amazonaws.ecs.task-definition-family\" == \"{}\"",
                s.name
            )),
        );
    }
    transforms.insert(
        "by_service".to_owned(),
        json!({ "type": "route", "inputs": ["docker"], "route": routes }),
    );
    // One sink per topic the domain's services write (normally one).
    let mut topics: Vec<(&str, Vec<String>, u64)> = Vec::new();
    for s in &services {
        let input = format!("parse_{}", s.name);
        let route = format!("by_service.{}", s.name);
        transforms.insert(input.clone(), remap_transform(plan, s, &[route.as_str()]));
        match topics.iter_mut().find(|t| t.0 == s.topic) {
            Some(t) => {
                t.1.push(input);
                t.2 += u64::from(s.volume_kib_per_second);
            }
            None => topics.push((&s.topic, vec![input], u64::from(s.volume_kib_per_second))),
        }
    }
    let mut sinks = serde_json::Map::new();
    for (i, (topic, inputs, volume)) in topics.iter().enumerate() {
        let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let name = if i == 0 {
            "kafka".to_owned()
        } else {
            format!("kafka_{i}")
        };
        sinks.insert(name, kafka_sink(plan, &inputs, topic, *volume));
    }
    sinks.insert("metrics".to_owned(), metrics_sink());
    let config = json!({
        "data_dir": DATA_DIR,
        "sources": {
            "docker": { "type": "docker_logs", "auto_partial_merge": true },
            "vector_metrics": { "type": "internal_metrics" },
        },
        "transforms": transforms,
        "sinks": sinks,
    });
    VectorConfig {
        path: format!("vector/hosts/{domain}.yaml"),
        services: services.iter().map(|s| s.name.clone()).collect(),
        config,
    }
}

/// The aggregator: every log topic into the data lake (partitioned by
/// domain, service and date, as the Glue table reads it) and OpenSearch
/// (one index per domain and day, deleted by the ISM policy).
pub fn aggregator(plan: &Plan) -> VectorConfig {
    let topics: Vec<&str> = plan.topics.iter().map(|t| t.name.as_str()).collect();
    let mut source = json!({
        "type": "kafka",
        "bootstrap_servers": format!("${{{BOOTSTRAP_VARIABLE}}}"),
        "group_id": CONSUMER_GROUP,
        "topics": topics,
        "auto_offset_reset": "earliest",
        "decoding": { "codec": "json" },
        "acknowledgements": { "enabled": true },
    });
    add_authentication(plan, &mut source);
    let volume: u64 = plan.topics.iter().map(|t| t.volume_kib_per_second).sum();
    let config = json!({
        "data_dir": DATA_DIR,
        "sources": {
            "topics": source,
            "vector_metrics": { "type": "internal_metrics" },
        },
        "sinks": {
            "data_lake": {
                "type": "aws_s3",
                "inputs": ["topics"],
                "bucket": "${LOG_LAKE_BUCKET}",
                "region": "${AWS_REGION}",
                "key_prefix": "domain={{ domain }}/service={{ service }}/date=%F/",
                "compression": "gzip",
                "encoding": { "codec": "json" },
                "framing": { "method": "newline_delimited" },
                "server_side_encryption": "aws:kms",
                "ssekms_key_id": "${LOG_LAKE_KMS_KEY_ID}",
                "storage_class": "STANDARD",
                "batch": { "max_bytes": 64 * 1024 * 1024, "timeout_secs": 300 },
                "buffer": { "type": "disk", "max_size": disk_buffer_bytes(volume), "when_full": "block" },
                "acknowledgements": { "enabled": true },
            },
            "search": {
                "type": "elasticsearch",
                "inputs": ["topics"],
                "endpoints": ["${OPENSEARCH_ENDPOINT}"],
                "mode": "bulk",
                "bulk": { "index": "logs-{{ domain }}-%Y.%m.%d" },
                "auth": { "strategy": "aws" },
                "aws": { "region": "${AWS_REGION}" },
                "buffer": { "type": "disk", "max_size": disk_buffer_bytes(volume), "when_full": "block" },
                "acknowledgements": { "enabled": true },
            },
            "metrics": metrics_sink(),
        },
    });
    VectorConfig {
        path: aggregator_path().to_owned(),
        services: plan.services.iter().map(|s| s.name.clone()).collect(),
        config,
    }
}

/// Where the aggregator's configuration is written.
pub fn aggregator_path() -> &'static str {
    "vector/aggregator.yaml"
}

fn remap_transform(plan: &Plan, service: &LoggedService, inputs: &[&str]) -> Value {
    json!({
        "type": "remap",
        "inputs": inputs,
        "source": remap::program(service, &plan.redactions),
        // A record the program cannot finish may still hold a secret: it
        // is dropped, never shipped as it came (the programs handle every
        // error, so this is for what the compiler cannot see).
        "drop_on_error": true,
        "reroute_dropped": false,
    })
}

fn kafka_sink(plan: &Plan, inputs: &[&str], topic: &str, kib_per_second: u64) -> Value {
    let mut sink = json!({
        "type": "kafka",
        "inputs": inputs,
        "bootstrap_servers": format!("${{{BOOTSTRAP_VARIABLE}}}"),
        "topic": topic,
        // Records of one task stay in order on one partition.
        "key_field": ".task",
        "encoding": { "codec": "json" },
        "compression": "zstd",
        "message_timeout_ms": 300_000,
        "buffer": { "type": "disk", "max_size": disk_buffer_bytes(kib_per_second), "when_full": "block" },
        "acknowledgements": { "enabled": true },
    });
    add_authentication(plan, &mut sink);
    sink
}

/// SASL/SCRAM or mutual TLS as the spec says; for IAM the mechanism MSK
/// would need, which the reference check refuses.
fn add_authentication(plan: &Plan, component: &mut Value) {
    let Some(map) = component.as_object_mut() else {
        return;
    };
    match plan.kafka_authentication {
        KafkaAuthentication::ScramSha512 => {
            map.insert(
                "sasl".to_owned(),
                json!({
                    "enabled": true,
                    "mechanism": "SCRAM-SHA-512",
                    "username": format!("${{{USERNAME_VARIABLE}}}"),
                    "password": format!("${{{PASSWORD_VARIABLE}}}"),
                }),
            );
            map.insert("tls".to_owned(), json!({ "enabled": true }));
        }
        KafkaAuthentication::Tls => {
            map.insert(
                "tls".to_owned(),
                json!({
                    "enabled": true,
                    "crt_file": "/etc/vector/tls/client.crt",
                    "key_file": "/etc/vector/tls/client.key",
                }),
            );
        }
        KafkaAuthentication::Iam => {
            map.insert(
                "sasl".to_owned(),
                json!({ "enabled": true, "mechanism": "AWS_MSK_IAM" }),
            );
            map.insert("tls".to_owned(), json!({ "enabled": true }));
        }
    }
}

fn metrics_sink() -> Value {
    json!({ "type": "prometheus_exporter", "inputs": ["vector_metrics"], "address": METRICS_ADDRESS })
}

/// The remap programs of a configuration: transform name and source.
pub fn programs(config: &Value) -> Vec<(String, String)> {
    config
        .get("transforms")
        .and_then(Value::as_object)
        .map(|transforms| {
            transforms
                .iter()
                .filter(|(_, t)| t.get("type").and_then(Value::as_str) == Some("remap"))
                .filter_map(|(name, t)| Some((name.clone(), t.get("source")?.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}
