//! Where every service's logs and traces go, derived from the model: the
//! log topic of its domain, its log format and volume, the patterns
//! redacted from its records, and how long each store keeps them.

use std::collections::BTreeMap;

use landfall_model::Model;
use landfall_spec::types::{Engine, KafkaAuthentication, LogFormat};
use landfall_spec::Pointer;
use serde::Serialize;

use crate::profile::Profile;
use crate::redaction::{self, Pattern};

/// Everything the renderers and checks work from.
#[derive(Debug, Clone)]
pub struct Plan {
    pub profile: Profile,
    /// The organization's slug, for names and hostnames.
    pub organization: String,
    pub home_region: String,
    /// The MSK data store that carries application logs.
    pub cluster: String,
    /// Where `observability.logs` is in the spec.
    pub logs_origin: Pointer,
    pub services: Vec<LoggedService>,
    /// The topics the agents write, with what the cluster declares of them.
    pub topics: Vec<LogTopic>,
    /// The spec's patterns first, then the built-in ones.
    pub redactions: Vec<Pattern>,
    pub retention: Retention,
    /// Share of traces kept when nothing in them failed.
    pub sample_percent: u32,
    pub sample_origin: Pointer,
    /// The eBPF agent of metal hosts, when the spec names one.
    pub ebpf_agent: Option<String>,
    /// Domains with metal capacity (a host log agent per domain).
    pub metal_domains: Vec<String>,
    pub siem: String,
    /// How the log agents authenticate to the cluster.
    pub kafka_authentication: KafkaAuthentication,
}

impl Plan {
    pub fn service(&self, name: &str) -> Option<&LoggedService> {
        self.services.iter().find(|s| s.name == name)
    }

    pub fn topic(&self, name: &str) -> Option<&LogTopic> {
        self.topics.iter().find(|t| t.name == name)
    }
}

/// How long each store keeps what it holds, in days, with the spec value
/// each comes from.
#[derive(Debug, Clone, Serialize)]
pub struct Retention {
    pub s3_days: u32,
    pub opensearch_days: u32,
    pub traces_days: u32,
    pub siem_days: u32,
    #[serde(skip)]
    pub s3_origin: Pointer,
    #[serde(skip)]
    pub opensearch_origin: Pointer,
    #[serde(skip)]
    pub traces_origin: Pointer,
    #[serde(skip)]
    pub siem_origin: Pointer,
}

/// A service with where its logs and traces go.
#[derive(Debug, Clone, Serialize)]
pub struct LoggedService {
    pub name: String,
    pub domain: String,
    pub environments: Vec<String>,
    /// On metal capacity: its logs are collected by its host's agent.
    pub metal: bool,
    pub format: LogFormat,
    pub volume_kib_per_second: u32,
    /// The topic its agent writes.
    pub topic: String,
    #[serde(skip)]
    pub origin: Pointer,
    /// Where the topic was chosen (`domain_topics` entry or `logs.topic`).
    #[serde(skip)]
    pub topic_origin: Pointer,
}

/// A log topic as the cluster declares it (`None` fields: not declared).
#[derive(Debug, Clone, Serialize)]
pub struct LogTopic {
    pub name: String,
    pub partitions: Option<u32>,
    pub retention_hours: Option<u32>,
    /// The services that write it and their volume.
    pub writers: Vec<String>,
    pub volume_kib_per_second: u64,
    /// The topic's entry in the cluster's list, or where it was named.
    #[serde(skip)]
    pub origin: Pointer,
}

/// Plans the log and trace configuration; `None` when the spec has no
/// `observability` section.
pub fn plan(model: &Model, profile: Profile) -> Option<Plan> {
    let observability = model.observability.as_ref()?;
    let root = model
        .observability_origin
        .clone()
        .unwrap_or_else(|| model.organization.origin.clone());
    let logs_at = root.child("logs");
    let logs = &observability.logs;
    let services: Vec<LoggedService> = model
        .services
        .iter()
        .map(|s| {
            let domain = model.domain(s.domain).name.clone();
            let (topic, topic_origin) = match logs.domain_topics.get(&domain) {
                Some(topic) => (topic.clone(), logs_at.child("domain_topics").child(&domain)),
                None => (logs.topic.clone(), logs_at.child("topic")),
            };
            LoggedService {
                name: s.name.clone(),
                domain,
                environments: s
                    .environments
                    .iter()
                    .map(|e| model.environment(*e).name.clone())
                    .collect(),
                metal: s.latency_sensitive,
                format: s.monitoring.logs.format,
                volume_kib_per_second: s.monitoring.logs.volume_kib_per_second,
                topic,
                origin: s.origin.clone(),
                topic_origin,
            }
        })
        .collect();
    let mut metal_domains: Vec<String> = services
        .iter()
        .filter(|s| s.metal)
        .map(|s| s.domain.clone())
        .collect();
    metal_domains.sort();
    metal_domains.dedup();
    Some(Plan {
        profile,
        organization: model.organization.slug.clone(),
        home_region: model.region(model.organization.home_region).name.clone(),
        cluster: logs.kafka_cluster.clone(),
        logs_origin: logs_at.clone(),
        topics: topics(model, &logs.kafka_cluster, &services, &logs_at),
        services,
        redactions: redaction::patterns(&logs.redact, &logs_at.child("redact")),
        retention: Retention {
            s3_days: logs.s3_retention_days,
            opensearch_days: logs.opensearch_retention_days,
            traces_days: observability.tracing.retention_days,
            siem_days: observability.security.retention_days,
            s3_origin: logs_at.child("s3_retention_days"),
            opensearch_origin: logs_at.child("opensearch_retention_days"),
            traces_origin: root.child("tracing").child("retention_days"),
            siem_origin: root.child("security").child("retention_days"),
        },
        sample_percent: observability.tracing.sample_percent,
        sample_origin: root.child("tracing").child("sample_percent"),
        ebpf_agent: observability.tracing.ebpf_agent.clone(),
        metal_domains,
        siem: observability.security.siem.clone(),
        kafka_authentication: logs.kafka_authentication,
    })
}

/// The topics services write, joined with the cluster's declaration.
fn topics(
    model: &Model,
    cluster: &str,
    services: &[LoggedService],
    logs_at: &Pointer,
) -> Vec<LogTopic> {
    let store = model.data_stores.iter().find(|d| d.name == cluster);
    let declared: BTreeMap<&str, (u32, u32, Pointer)> = match store.map(|s| (s, &s.engine)) {
        Some((store, Engine::Msk { topics, .. })) => topics
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let at = store.origin.child("engine").child("topics").child(i);
                (t.name.as_str(), (t.partitions, t.retention_hours, at))
            })
            .collect(),
        _ => BTreeMap::new(),
    };
    let mut written: BTreeMap<&str, (Vec<String>, u64, Pointer)> = BTreeMap::new();
    for s in services {
        let entry = written
            .entry(s.topic.as_str())
            .or_insert_with(|| (Vec::new(), 0, s.topic_origin.clone()));
        entry.0.push(s.name.clone());
        entry.1 += u64::from(s.volume_kib_per_second);
    }
    // The spec's topic exists even when no service writes it yet.
    let default_topic = model
        .observability
        .as_ref()
        .map(|o| o.logs.topic.as_str())
        .unwrap_or_default();
    written
        .entry(default_topic)
        .or_insert_with(|| (Vec::new(), 0, logs_at.child("topic")));
    written
        .into_iter()
        .map(|(name, (writers, volume, named_at))| {
            let declaration = declared.get(name);
            LogTopic {
                name: name.to_owned(),
                partitions: declaration.map(|d| d.0),
                retention_hours: declaration.map(|d| d.1),
                writers,
                volume_kib_per_second: volume,
                origin: declaration.map(|d| d.2.clone()).unwrap_or(named_at),
            }
        })
        .collect()
}
