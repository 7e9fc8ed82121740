//! Where one service's logs and traces go and how long each store keeps
//! them, as data (`landfall show service NAME` renders it as text or JSON).

use serde::Serialize;

use crate::otel;
use crate::plan::Plan;

#[derive(Debug, Clone, Serialize)]
pub struct ServiceRoutes {
    pub logs: LogRoute,
    pub traces: TraceRoute,
}

#[derive(Debug, Clone, Serialize)]
pub struct LogRoute {
    /// `json`, `logfmt` or `text`.
    pub format: landfall_spec::types::LogFormat,
    pub volume_kib_per_second: u32,
    /// `FireLens (Fluent Bit) → Vector sidecar` or the metal host's daemon.
    pub collected_by: String,
    pub agent_config: String,
    /// Names of the patterns removed before the record leaves the task.
    pub redacted: Vec<String>,
    pub kafka_cluster: String,
    pub topic: String,
    pub authentication: landfall_spec::types::KafkaAuthentication,
    /// Where the aggregator writes it, and for how long each keeps it.
    pub data_lake_prefix: String,
    pub data_lake_days: u32,
    pub opensearch_index: String,
    pub opensearch_days: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct TraceRoute {
    pub agent_config: String,
    pub gateway: String,
    /// Traces with an error: all kept; the others: this share.
    pub sample_percent: u32,
    pub jaeger: String,
    pub days: u32,
}

/// The routes of one service; `None` when the plan has no such service.
pub fn explain(plan: &Plan, name: &str) -> Option<ServiceRoutes> {
    let s = plan.service(name)?;
    let (collected_by, agent_config) = if s.metal {
        (
            "its metal host's Vector daemon (Docker's logs, by task family)".to_owned(),
            format!("observability/vector/hosts/{}.yaml", s.domain),
        )
    } else {
        (
            "FireLens (Fluent Bit) forwarding to a Vector sidecar".to_owned(),
            format!("observability/vector/services/{}.yaml", s.name),
        )
    };
    Some(ServiceRoutes {
        logs: LogRoute {
            format: s.format,
            volume_kib_per_second: s.volume_kib_per_second,
            collected_by,
            agent_config,
            redacted: plan.redactions.iter().map(|p| p.name.clone()).collect(),
            kafka_cluster: plan.cluster.clone(),
            topic: s.topic.clone(),
            authentication: plan.kafka_authentication,
            data_lake_prefix: format!("domain={}/service={}/date=YYYY-MM-DD/", s.domain, s.name),
            data_lake_days: plan.retention.s3_days,
            opensearch_index: format!("logs-{}-YYYY.MM.DD", s.domain),
            opensearch_days: plan.retention.opensearch_days,
        },
        traces: TraceRoute {
            agent_config: format!("observability/otel/services/{}.yaml", s.name),
            gateway: format!("{}:{}", otel::gateway_host(plan), otel::OTLP_GRPC_PORT),
            sample_percent: plan.sample_percent,
            jaeger: format!("{}:{}", otel::jaeger_host(plan), otel::OTLP_GRPC_PORT),
            days: plan.retention.traces_days,
        },
    })
}

impl ServiceRoutes {
    pub fn render_text(&self) -> String {
        let l = &self.logs;
        let t = &self.traces;
        let auth = match l.authentication {
            landfall_spec::types::KafkaAuthentication::ScramSha512 => "SASL/SCRAM-SHA-512",
            landfall_spec::types::KafkaAuthentication::Tls => "mutual TLS",
            landfall_spec::types::KafkaAuthentication::Iam => "IAM",
        };
        let format = serde_json::to_value(l.format)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        format!(
            "logs\n  collected: {} ({})\n  parsed as {format}, about {} KiB/s at peak; redacted: {}\n  shipped to topic `{}` of `{}` ({auth}), disk-buffered, blocking when full\n  kept: data lake {} days (`{}`), OpenSearch {} days (`{}`)\ntraces\n  collector: {} -> gateway {} (every trace with an error, {}% of the rest) -> Jaeger {}\n  kept: {} days",
            l.collected_by,
            l.agent_config,
            l.volume_kib_per_second,
            l.redacted.join(", "),
            l.topic,
            l.kafka_cluster,
            l.data_lake_days,
            l.data_lake_prefix,
            l.opensearch_days,
            l.opensearch_index,
            t.agent_config,
            t.gateway,
            t.sample_percent,
            t.jaeger,
            t.days,
        )
    }
}
