//! Telegraf agent configurations: a sidecar per service (its metrics
//! endpoint, the log agent's metrics, the agent's own), a host daemon per
//! domain with metal capacity, and a platform agent per region reading
//! CloudWatch for every member account through the monitoring account.
//!
//! Every agent writes to its region's vminsert over the Influx line protocol
//! with bounded buffers, and tags every series with the label contract
//! ([`crate::labels`]). Values known only where the agent runs (environment,
//! region, the vminsert address) come from environment variables the task
//! definition or host sets, so one file serves every copy of a service.

use std::collections::{BTreeMap, BTreeSet};

use landfall_model::Model;
use toml::{Table, Value};

use crate::catalog::{self, CERTIFICATE_MANAGER, CONTAINER_INSIGHTS};
use crate::labels::{AZ, DOMAIN, ENVIRONMENT, REGION, SERVICE};
use crate::plan::Plan;
use crate::File;

/// Environment variables a sidecar's container definition sets (the
/// workload layer sets them from the same constants).
pub const ENV_ENVIRONMENT: &str = landfall_model::sidecars::METRICS_ENV_ENVIRONMENT;
pub const ENV_REGION: &str = landfall_model::sidecars::METRICS_ENV_REGION;
pub const ENV_VMINSERT: &str = landfall_model::sidecars::METRICS_ENV_VMINSERT;
pub const ENV_AZ: &str = landfall_model::sidecars::METRICS_ENV_AZ;

/// Where Vector, the log agent beside every task, serves its own metrics.
pub const LOG_AGENT_METRICS_URL: &str = "http://localhost:9598/metrics";

/// Points an agent buffers while vminsert is unreachable (then it drops the
/// oldest): about ten minutes of a busy sidecar.
const BUFFER_LIMIT: i64 = 20_000;

/// The vminsert address of a region (its internal load balancer's name in
/// the private zone of its VPC, `crates/synth/src/layers/monitoring.rs`).
pub fn vminsert_url(plan: &Plan, region: &str) -> String {
    landfall_model::monitoring::vminsert_influx_url(&plan.organization, region)
}

fn table(pairs: Vec<(&str, Value)>) -> Table {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn s(text: impl Into<String>) -> Value {
    Value::String(text.into())
}

fn strings(items: &[&str]) -> Value {
    Value::Array(items.iter().map(|i| s(*i)).collect())
}

fn env(name: &str) -> Value {
    s(format!("${{{name}}}"))
}

fn agent(plan: &Plan) -> Table {
    let interval = format!("{}s", plan.scrape_interval_seconds.max(1));
    table(vec![
        ("interval", s(interval)),
        ("round_interval", Value::Boolean(true)),
        ("metric_batch_size", Value::Integer(1000)),
        ("metric_buffer_limit", Value::Integer(BUFFER_LIMIT)),
        ("collection_jitter", s("0s")),
        ("flush_interval", s("10s")),
        ("flush_jitter", s("2s")),
        ("precision", s("1s")),
        ("omit_hostname", Value::Boolean(false)),
    ])
}

/// `outputs.influxdb` as VictoriaMetrics wants it: no database creation,
/// no retention-policy tag.
fn output(url: Value) -> Table {
    table(vec![(
        "influxdb",
        Value::Array(vec![Value::Table(table(vec![
            ("urls", Value::Array(vec![url])),
            ("database", s("telegraf")),
            ("skip_database_creation", Value::Boolean(true)),
            ("exclude_retention_policy_tag", Value::Boolean(true)),
            ("timeout", s("5s")),
            ("content_encoding", s("gzip")),
        ]))]),
    )])
}

fn document(global_tags: Table, agent: Table, outputs: Table, inputs: Table) -> Table {
    table(vec![
        ("global_tags", Value::Table(global_tags)),
        ("agent", Value::Table(agent)),
        ("outputs", Value::Table(outputs)),
        ("inputs", Value::Table(inputs)),
    ])
}

fn text(comment: &str, doc: &Table) -> String {
    let body = toml::to_string(doc).unwrap_or_default();
    format!("{}# {comment}\n\n{body}", crate::rules::header("#"))
}

/// The sidecar of one service.
pub fn service_config(plan: &Plan, service: &crate::plan::MonitoredService) -> Table {
    let tags = table(vec![
        (DOMAIN, s(&service.domain)),
        (SERVICE, s(&service.name)),
        (ENVIRONMENT, env(ENV_ENVIRONMENT)),
        (REGION, env(ENV_REGION)),
        (AZ, env(ENV_AZ)),
    ]);
    let scrape = |url: String, name: &str| {
        Value::Table(table(vec![
            ("urls", Value::Array(vec![s(url)])),
            ("metric_version", Value::Integer(2)),
            ("name_override", s(name)),
            ("response_timeout", s("5s")),
        ]))
    };
    let inputs = table(vec![
        (
            "prometheus",
            Value::Array(vec![
                scrape(
                    format!(
                        "http://localhost:{}{}",
                        service.metrics_port, service.metrics_path
                    ),
                    catalog::APP_MEASUREMENT,
                ),
                scrape(
                    LOG_AGENT_METRICS_URL.to_owned(),
                    catalog::LOG_AGENT_MEASUREMENT,
                ),
            ]),
        ),
        (
            "internal",
            Value::Array(vec![Value::Table(table(vec![(
                "collect_memstats",
                Value::Boolean(false),
            )]))]),
        ),
    ]);
    document(tags, agent(plan), output(env(ENV_VMINSERT)), inputs)
}

/// The command line the host daemon finds the SSM agent by
/// (`/usr/bin/amazon-ssm-agent` on the ECS-optimized AMIs); its
/// `procstat_lookup` series carry it as `pattern`.
pub const SSM_AGENT_PATTERN: &str = "amazon-ssm-agent";

/// The host daemon on a domain's metal container instances. It runs as an
/// ECS daemon service in the host's network and PID namespaces with the
/// host's root mounted at `/hostfs` (the workload layer's base stack), so
/// the disk input reports the host's file systems under their own paths.
pub fn host_config(plan: &Plan, domain: &str) -> Table {
    let tags = table(vec![
        (DOMAIN, s(domain)),
        (ENVIRONMENT, env(ENV_ENVIRONMENT)),
        (REGION, env(ENV_REGION)),
        (AZ, env(ENV_AZ)),
        ("role", s("ecs-host")),
    ]);
    let one = |pairs: Vec<(&str, Value)>| Value::Array(vec![Value::Table(table(pairs))]);
    let inputs = table(vec![
        (
            "cpu",
            one(vec![
                ("percpu", Value::Boolean(false)),
                ("totalcpu", Value::Boolean(true)),
            ]),
        ),
        ("mem", one(vec![])),
        (
            "disk",
            one(vec![(
                "ignore_fs",
                strings(&["tmpfs", "devtmpfs", "devfs", "overlay", "aufs", "squashfs"]),
            )]),
        ),
        ("system", one(vec![])),
        // By its command line, with `pgrep` in the host's PID namespace
        // (the daemon's task shares it): looking it up by systemd unit
        // runs `systemctl`, which the agent's image does not have.
        (
            "procstat",
            one(vec![
                ("pattern", s(SSM_AGENT_PATTERN)),
                ("pid_finder", s("pgrep")),
            ]),
        ),
        (
            "internal",
            one(vec![("collect_memstats", Value::Boolean(false))]),
        ),
    ]);
    document(tags, agent(plan), output(env(ENV_VMINSERT)), inputs)
}

/// The namespaces the platform agent reads: the spec's, plus those the
/// generated rules and dashboards need (Container Insights, certificate
/// expiry, and the namespace of every kind of data store the platform has),
/// so a spec that lists fewer still gets working alerts.
pub fn platform_namespaces(plan: &Plan) -> Vec<String> {
    use crate::plan::StoreKind;
    let mut all: BTreeSet<String> = plan.cloudwatch_namespaces.iter().cloned().collect();
    all.insert(CONTAINER_INSIGHTS.to_owned());
    all.insert(CERTIFICATE_MANAGER.to_owned());
    for store in &plan.stores {
        let namespace = match store.kind {
            StoreKind::Msk => "AWS/Kafka",
            StoreKind::Valkey => "AWS/ElastiCache",
            StoreKind::Aurora => "AWS/RDS",
            StoreKind::Dynamodb => "AWS/DynamoDB",
            StoreKind::Other => continue,
        };
        all.insert(namespace.to_owned());
    }
    all.into_iter().collect()
}

/// The platform agent of one region, in the observability account: every
/// member account's CloudWatch metrics through the monitoring account's
/// sink (`include_linked_accounts` tags each series with its account).
pub fn platform_config(plan: &Plan, region: &str) -> Table {
    let tags = table(vec![(REGION, s(region)), ("role", s("platform-agent"))]);
    let cloudwatch: Vec<Value> = platform_namespaces(plan)
        .iter()
        .map(|ns| {
            Value::Table(table(vec![
                ("region", s(region)),
                ("namespaces", strings(&[ns.as_str()])),
                // CloudWatch publishes some metrics minutes late; asking
                // for the last complete period avoids holes.
                ("period", s("1m")),
                ("delay", s("5m")),
                ("interval", s("5m")),
                ("recently_active", s("PT3H")),
                ("include_linked_accounts", Value::Boolean(true)),
                ("ratelimit", Value::Integer(25)),
            ]))
        })
        .collect();
    let inputs = table(vec![
        ("cloudwatch", Value::Array(cloudwatch)),
        (
            "internal",
            Value::Array(vec![Value::Table(table(vec![(
                "collect_memstats",
                Value::Boolean(false),
            )]))]),
        ),
    ]);
    document(
        tags,
        agent(plan),
        output(s(vminsert_url(plan, region))),
        inputs,
    )
}

/// The sidecar configuration of one service, as written under
/// `telegraf/services/` and handed to its task definition.
fn sidecar_text(plan: &Plan, service: &crate::plan::MonitoredService) -> String {
    text(
        &format!(
            "Sidecar of `{}` ({}): its metrics endpoint, the log agent's metrics, its own.",
            service.name, service.domain
        ),
        &service_config(plan, service),
    )
}

/// Every service's sidecar configuration by service name, for the workload
/// layer's task definitions (metal tasks run it too: it scrapes the app in
/// its own task; the host daemon reports the host).
pub fn sidecar_configs(plan: &Plan) -> BTreeMap<String, String> {
    plan.services
        .iter()
        .map(|s| (s.name.clone(), sidecar_text(plan, s)))
        .collect()
}

/// The host daemon's configuration of every domain with metal services, by
/// domain name, for the workload layer's daemon services.
pub fn host_configs(plan: &Plan) -> BTreeMap<String, String> {
    metal_domains(plan)
        .into_iter()
        .map(|domain| (domain.to_owned(), host_text(plan, domain)))
        .collect()
}

fn metal_domains(plan: &Plan) -> BTreeSet<&str> {
    plan.services
        .iter()
        .filter(|s| s.metal)
        .map(|s| s.domain.as_str())
        .collect()
}

fn host_text(plan: &Plan, domain: &str) -> String {
    text(
        &format!("Host daemon of {domain}'s metal container instances."),
        &host_config(plan, domain),
    )
}

pub fn render(_model: &Model, plan: &Plan) -> Vec<File> {
    let mut files = Vec::new();
    for service in &plan.services {
        files.push(File {
            path: format!("telegraf/services/{}/{}.conf", service.domain, service.name),
            contents: sidecar_text(plan, service),
        });
    }
    for domain in metal_domains(plan) {
        files.push(File {
            path: format!("telegraf/hosts/{domain}.conf"),
            contents: host_text(plan, domain),
        });
    }
    for region in &plan.regions {
        files.push(File {
            path: format!("telegraf/platform/{region}.conf"),
            contents: text(
                &format!("Platform agent of {region} (observability account): CloudWatch of every account."),
                &platform_config(plan, region),
            ),
        });
    }
    files
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// Every series of a service's sidecar and of a host's daemon carries
    /// the label contract, Availability Zone included: the sidecar's start
    /// script reads the zone from the task metadata into `LANDFALL_AZ`
    /// (`landfall_workloads`' task definitions).
    #[test]
    fn every_agent_tags_its_series_with_domain_environment_region_and_zone() {
        let model = landfall_model::reference().model.unwrap();
        let plan = crate::plan::plan(&model, crate::Profile::default()).unwrap();
        let service = plan.services.iter().find(|s| !s.metal).unwrap();
        let tags = |doc: &Table| doc["global_tags"].as_table().unwrap().clone();
        let sidecar = tags(&service_config(&plan, service));
        assert_eq!(sidecar[AZ].as_str(), Some("${LANDFALL_AZ}"));
        assert_eq!(sidecar[REGION].as_str(), Some("${LANDFALL_REGION}"));
        assert_eq!(sidecar[SERVICE].as_str(), Some(service.name.as_str()));
        let host = tags(&host_config(&plan, &service.domain));
        assert_eq!(host[AZ].as_str(), Some("${LANDFALL_AZ}"));
        assert_eq!(host[DOMAIN].as_str(), Some(service.domain.as_str()));
    }

    /// The daemon finds the SSM agent by its command line with `pgrep` (in
    /// the host's PID namespace): a lookup by systemd unit would run
    /// `systemctl`, which Telegraf's Alpine image does not have, and the
    /// lookup series would never appear. The alert reads the label the
    /// lookup series carries.
    #[test]
    fn the_host_daemon_finds_the_ssm_agent_without_systemctl() {
        let model = landfall_model::reference().model.unwrap();
        let plan = crate::plan::plan(&model, crate::Profile::default()).unwrap();
        let domain = &plan.services.iter().find(|s| s.metal).unwrap().domain;
        let doc = host_config(&plan, domain);
        let procstat = &doc["inputs"]["procstat"][0];
        assert!(procstat.get("systemd_unit").is_none());
        assert_eq!(procstat["pattern"].as_str(), Some(SSM_AGENT_PATTERN));
        assert_eq!(procstat["pid_finder"].as_str(), Some("pgrep"));
        let alert = plan
            .alerts()
            .find(|a| a.name == crate::rules::SSM_AGENT_DISCONNECTED)
            .unwrap();
        assert!(alert
            .expr
            .contains(&format!("pattern=\"{SSM_AGENT_PATTERN}\"")));
        // Every metal domain has its daemon's configuration.
        let hosts = host_configs(&plan);
        for service in plan.services.iter().filter(|s| s.metal) {
            assert!(hosts.contains_key(&service.domain), "{}", service.domain);
        }
        // And every service, metal ones too, its sidecar's.
        assert_eq!(sidecar_configs(&plan).len(), plan.services.len());
    }
}
