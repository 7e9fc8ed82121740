//! OpenTelemetry Collector configurations (the agent beside each service,
//! the gateway) and Jaeger v2's, with Landfall's model of what a collector
//! accepts.
//!
//! Sampling. "Keep every error trace" needs the whole trace in one place
//! before deciding: an agent sees only its own service's spans, so it
//! samples nothing and sends each trace, by trace id (the `loadbalancing`
//! exporter over OTLP), to one gateway task; the gateway's `tail_sampling`
//! keeps every trace with an error and the spec's share of the rest, and
//! exports OTLP to the Jaeger collector (the collector's `jaeger` exporter
//! was removed in v0.85).

use serde_json::{json, Value};

use crate::plan::{LoggedService, Plan};
use crate::remap::ENVIRONMENT_VARIABLE;

/// The OTLP gRPC port (agents', gateway's and Jaeger's receivers).
pub const OTLP_GRPC_PORT: u16 = 4317;
pub const OTLP_HTTP_PORT: u16 = 4318;
/// How long the gateway waits for a trace's spans before deciding.
pub const DECISION_WAIT: &str = "10s";

/// One generated collector (or Jaeger) configuration.
#[derive(Debug, Clone)]
pub struct CollectorConfig {
    pub path: String,
    pub config: Value,
}

pub fn gateway_host(plan: &Plan) -> String {
    format!("otel-gateway.{}.internal", plan.organization)
}

/// Jaeger's collector by its name in the VPC's monitoring zone (the
/// workload layer's `-traces-names` stack writes the record).
pub fn jaeger_host(plan: &Plan) -> String {
    landfall_model::monitoring::jaeger_collector_host(&plan.organization)
}

/// Every configuration of the plan, in a stable order.
pub fn configs(plan: &Plan) -> Vec<CollectorConfig> {
    let mut all: Vec<CollectorConfig> = plan.services.iter().map(|s| agent(plan, s)).collect();
    all.push(gateway(plan));
    all.push(jaeger());
    all
}

fn memory_limiter() -> Value {
    // Refuses data before the task runs out of memory (first in every
    // pipeline, so nothing is buffered ahead of it).
    json!({ "check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 20 })
}

/// The agent beside one service.
pub fn agent(plan: &Plan, service: &LoggedService) -> CollectorConfig {
    let config = json!({
        "extensions": { "health_check": { "endpoint": "127.0.0.1:13133" } },
        "receivers": {
            "otlp": { "protocols": {
                "grpc": { "endpoint": format!("127.0.0.1:{OTLP_GRPC_PORT}") },
                "http": { "endpoint": format!("127.0.0.1:{OTLP_HTTP_PORT}") },
            } },
        },
        "processors": {
            "memory_limiter": memory_limiter(),
            "resource": { "attributes": [
                { "key": "service.name", "value": service.name, "action": "upsert" },
                { "key": "service.namespace", "value": service.domain, "action": "upsert" },
                { "key": "deployment.environment.name", "value": format!("${{env:{ENVIRONMENT_VARIABLE}}}"), "action": "upsert" },
            ] },
            "batch": {},
        },
        "exporters": {
            "loadbalancing": {
                "routing_key": "traceID",
                "protocol": { "otlp": { "timeout": "5s" } },
                "resolver": { "dns": { "hostname": gateway_host(plan), "port": OTLP_GRPC_PORT.to_string() } },
            },
        },
        "service": {
            "extensions": ["health_check"],
            "pipelines": { "traces": {
                "receivers": ["otlp"],
                "processors": ["memory_limiter", "resource", "batch"],
                "exporters": ["loadbalancing"],
            } },
        },
    });
    CollectorConfig {
        path: format!("otel/services/{}.yaml", service.name),
        config,
    }
}

/// The gateway: the sampling decision, then Jaeger.
pub fn gateway(plan: &Plan) -> CollectorConfig {
    let config = json!({
        "extensions": { "health_check": { "endpoint": "0.0.0.0:13133" } },
        "receivers": {
            "otlp": { "protocols": { "grpc": { "endpoint": format!("0.0.0.0:{OTLP_GRPC_PORT}") } } },
        },
        "processors": {
            "memory_limiter": memory_limiter(),
            "tail_sampling": {
                "decision_wait": DECISION_WAIT,
                "num_traces": 200_000,
                "policies": [
                    { "name": "every-error", "type": "status_code", "status_code": { "status_codes": ["ERROR"] } },
                    { "name": "share-of-the-rest", "type": "probabilistic", "probabilistic": { "sampling_percentage": plan.sample_percent } },
                ],
            },
            "batch": {},
        },
        "exporters": {
            "otlp/jaeger": { "endpoint": format!("{}:{OTLP_GRPC_PORT}", jaeger_host(plan)) },
        },
        "service": {
            "extensions": ["health_check"],
            "pipelines": { "traces": {
                "receivers": ["otlp"],
                "processors": ["memory_limiter", "tail_sampling", "batch"],
                "exporters": ["otlp/jaeger"],
            } },
        },
    });
    CollectorConfig {
        path: "otel/gateway.yaml".to_owned(),
        config,
    }
}

/// The pinned Jaeger release (`jaegertracing/jaeger`, copied to the
/// shared-services registry as [`JAEGER_REPOSITORY`]): the first whose
/// OpenSearch client signs request bodies with `sigv4auth` correctly
/// (jaegertracing/jaeger#8768, fixing #8760: 2.16 to 2.19 signed bulk
/// writes and template PUTs over an empty payload, which AWS refuses with
/// 403).
pub const JAEGER_TAG: &str = "2.20.0";
pub const JAEGER_UPSTREAM: &str = "docker.io/jaegertracing/jaeger";
pub const JAEGER_REPOSITORY: &str = "landfall/jaeger";
/// Jaeger's query service (UI and HTTP API, Grafana's Jaeger data source).
pub const JAEGER_QUERY_PORT: u16 = 16686;
/// The health check of Jaeger and the collectors (`healthcheckv2`,
/// `health_check`).
pub const HEALTH_PORT: u16 = 13133;
/// The environment variable that carries the domain's endpoint into
/// Jaeger's configuration (the log search domain stack's `Endpoint`).
pub const OPENSEARCH_VARIABLE: &str = "OPENSEARCH_ENDPOINT";
/// The index names Jaeger writes with no `index_prefix`: what the traces'
/// ISM policy attaches to (`storage::TRACE_INDEX_PATTERNS`).
pub const JAEGER_SPAN_INDEX: &str = "jaeger-span-";
pub const JAEGER_SERVICE_INDEX: &str = "jaeger-service-";

/// Jaeger v2 (collector and query in one, the collector's format), storing
/// spans in OpenSearch in daily indices the ISM policy deletes.
///
/// The domains admit only SigV4-signed requests of the roles their access
/// policy names: Jaeger signs with the collector's `sigv4auth` extension,
/// which Jaeger v2 builds in, as its ECS task role (the AWS SDK's default
/// credentials, the task's), for the task's region (`AWS_REGION`, which
/// Fargate sets) and OpenSearch Service (`es`). No `index_prefix`: Jaeger
/// joins a prefix with `-` before `jaeger-span-`, and the ISM policy's
/// patterns name the unprefixed indices.
pub fn jaeger() -> CollectorConfig {
    let config = json!({
        "extensions": {
            "healthcheckv2": { "use_v2": true, "http": { "endpoint": format!("0.0.0.0:{HEALTH_PORT}") } },
            "sigv4auth": { "region": "${env:AWS_REGION}", "service": "es" },
            "jaeger_storage": { "backends": { "opensearch": { "opensearch": {
                "server_urls": [format!("${{env:{OPENSEARCH_VARIABLE}}}")],
                "auth": { "authenticator": "sigv4auth" },
                "indices": {
                    "spans": { "date_layout": "2006-01-02", "rollover_frequency": "day", "shards": 3, "replicas": 1 },
                    "services": { "date_layout": "2006-01-02", "rollover_frequency": "day", "shards": 3, "replicas": 1 },
                },
            } } } },
            "jaeger_query": {
                "storage": { "traces": "opensearch" },
                "http": { "endpoint": format!("0.0.0.0:{JAEGER_QUERY_PORT}") },
            },
        },
        "receivers": {
            "otlp": { "protocols": {
                "grpc": { "endpoint": format!("0.0.0.0:{OTLP_GRPC_PORT}") },
                "http": { "endpoint": format!("0.0.0.0:{OTLP_HTTP_PORT}") },
            } },
        },
        "processors": { "memory_limiter": memory_limiter(), "batch": {} },
        "exporters": { "jaeger_storage_exporter": { "trace_storage": "opensearch" } },
        "service": {
            "extensions": ["healthcheckv2", "sigv4auth", "jaeger_storage", "jaeger_query"],
            "pipelines": { "traces": {
                "receivers": ["otlp"],
                "processors": ["memory_limiter", "batch"],
                "exporters": ["jaeger_storage_exporter"],
            } },
        },
    });
    CollectorConfig {
        path: JAEGER_PATH.to_owned(),
        config,
    }
}

/// Where Jaeger's configuration is written (`landfall synth`'s telemetry
/// directory).
pub const JAEGER_PATH: &str = "jaeger/jaeger.yaml";

/// The indices Jaeger writes spans and services to, for a configuration
/// (Jaeger's rule: `<index_prefix>-jaeger-span-…` with a prefix,
/// `jaeger-span-…` without).
pub fn jaeger_index_prefixes(config: &Value) -> Vec<String> {
    let prefix = config
        .pointer("/extensions/jaeger_storage/backends/opensearch/opensearch/indices/index_prefix")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim_end_matches('-');
    [JAEGER_SPAN_INDEX, JAEGER_SERVICE_INDEX]
        .iter()
        .map(|i| {
            if prefix.is_empty() {
                (*i).to_owned()
            } else {
                format!("{prefix}-{i}")
            }
        })
        .collect()
}

/// The component types Landfall's model of the collector (contrib
/// distribution of the pinned release, and Jaeger v2 built on it) knows.
const RECEIVERS: &[&str] = &["otlp"];
const PROCESSORS: &[&str] = &[
    "memory_limiter",
    "batch",
    "resource",
    "tail_sampling",
    "probabilistic_sampler",
    "attributes",
];
const EXPORTERS: &[&str] = &[
    "otlp",
    "otlphttp",
    "loadbalancing",
    "jaeger_storage_exporter",
    "debug",
];
const EXTENSIONS: &[&str] = &[
    "health_check",
    "sigv4auth",
    "healthcheckv2",
    "jaeger_storage",
    "jaeger_query",
];
/// Exporters removed from the collector; `jaeger` in v0.85
/// (https://github.com/open-telemetry/opentelemetry-collector-contrib/pull/26546).
const REMOVED_EXPORTERS: &[(&str, &str)] = &[("jaeger", "0.85"), ("jaeger_thrift", "0.85")];

/// One problem in a collector configuration, at a dotted path.
pub use crate::vector_reference::Problem;

/// Landfall's checks of a collector configuration: every component a
/// pipeline names is defined and of a known type, no removed exporter,
/// `memory_limiter` first in every pipeline, OTLP exporters on 4317.
pub fn check(config: &Value) -> Vec<Problem> {
    let mut problems = Vec::new();
    let section = |name: &str| config.get(name).and_then(Value::as_object);
    for (kind, known) in [
        ("receivers", RECEIVERS),
        ("processors", PROCESSORS),
        ("exporters", EXPORTERS),
        ("extensions", EXTENSIONS),
    ] {
        for name in section(kind).into_iter().flat_map(|m| m.keys()) {
            let ty = name.split('/').next().unwrap_or(name);
            if let Some((_, version)) = REMOVED_EXPORTERS
                .iter()
                .find(|(r, _)| kind == "exporters" && *r == ty)
            {
                problems.push(Problem {
                    path: format!("{kind}.{name}"),
                    message: format!("the collector has no `{ty}` exporter since v{version}"),
                    help: format!(
                        "export OTLP to Jaeger's port {OTLP_GRPC_PORT} with an `otlp` exporter"
                    ),
                });
            } else if !known.contains(&ty) {
                problems.push(Problem {
                    path: format!("{kind}.{name}"),
                    message: format!(
                        "`{ty}` is not a {} Landfall's model knows",
                        &kind[..kind.len() - 1]
                    ),
                    help: landfall_diagnostics::did_you_mean(ty, known.iter().copied()),
                });
            }
        }
    }
    let service = config.get("service");
    for (i, ext) in service
        .and_then(|s| s.get("extensions"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let name = ext.as_str().unwrap_or_default();
        if !section("extensions").is_some_and(|m| m.contains_key(name)) {
            problems.push(undefined(
                &format!("service.extensions.{i}"),
                "extension",
                name,
            ));
        }
    }
    let pipelines = service
        .and_then(|s| s.get("pipelines"))
        .and_then(Value::as_object);
    if pipelines.is_none_or(|p| p.is_empty()) {
        problems.push(Problem {
            path: "service.pipelines".to_owned(),
            message: "no pipeline".to_owned(),
            help: "add a `traces` pipeline".to_owned(),
        });
    }
    for (pipeline, body) in pipelines.into_iter().flatten() {
        for (kind, singular) in [
            ("receivers", "receiver"),
            ("processors", "processor"),
            ("exporters", "exporter"),
        ] {
            let names: Vec<&str> = body
                .get(kind)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if names.is_empty() && kind != "processors" {
                problems.push(Problem {
                    path: format!("service.pipelines.{pipeline}.{kind}"),
                    message: format!("pipeline `{pipeline}` has no {singular}"),
                    help: format!("name at least one {singular}"),
                });
            }
            for (i, name) in names.iter().enumerate() {
                if !section(kind).is_some_and(|m| m.contains_key(*name)) {
                    problems.push(undefined(
                        &format!("service.pipelines.{pipeline}.{kind}.{i}"),
                        singular,
                        name,
                    ));
                }
            }
            if kind == "processors"
                && names.first().map(|n| n.split('/').next()) != Some(Some("memory_limiter"))
            {
                problems.push(Problem {
                    path: format!("service.pipelines.{pipeline}.processors"),
                    message: format!("pipeline `{pipeline}` does not start with `memory_limiter`"),
                    help: "put `memory_limiter` first, so data is refused before memory runs out"
                        .to_owned(),
                });
            }
        }
    }
    for (name, exporter) in section("exporters").into_iter().flatten() {
        let ty = name.split('/').next().unwrap_or(name);
        let endpoint = match ty {
            "otlp" => exporter
                .get("endpoint")
                .and_then(Value::as_str)
                .map(str::to_owned),
            "loadbalancing" => exporter
                .pointer("/resolver/dns/port")
                .and_then(Value::as_str)
                .map(|port| format!(":{port}")),
            _ => continue,
        };
        let port_ok = endpoint
            .as_deref()
            .and_then(|e| e.rsplit(':').next())
            .is_some_and(|p| p == OTLP_GRPC_PORT.to_string());
        if !port_ok {
            problems.push(Problem {
                path: format!("exporters.{name}"),
                message: format!(
                    "exporter `{name}` does not send OTLP/gRPC to port {OTLP_GRPC_PORT}"
                ),
                help: format!("give an endpoint `host:{OTLP_GRPC_PORT}`"),
            });
        }
    }
    problems
}

fn undefined(path: &str, kind: &str, name: &str) -> Problem {
    Problem {
        path: path.to_owned(),
        message: format!("the pipeline names {kind} `{name}`, which is not defined"),
        help: format!("define `{name}` or remove it from the pipeline"),
    }
}
