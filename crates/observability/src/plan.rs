//! What to monitor, derived from the model: teams and their receivers, the
//! services with their objectives, the alert and recording rules (each alert
//! with the unit tests that prove it fires and stays silent), and where the
//! remediation service listens.

use std::collections::BTreeMap;

use landfall_model::{Model, Slo};
use landfall_spec::Pointer;
use serde::Serialize;

use crate::labels::Severity;
use crate::profile::Profile;

/// Everything the renderers and checks work from.
#[derive(Debug, Clone)]
pub struct Plan {
    pub profile: Profile,
    /// The organization's slug, for names and hostnames.
    pub organization: String,
    pub home_region: String,
    pub email_domain: String,
    pub scrape_interval_seconds: u32,
    pub retention_days: u32,
    /// The spec's CloudWatch namespaces (read by the platform agent and Grafana).
    pub cloudwatch_namespaces: Vec<String>,
    /// Where the list of namespaces is in the spec.
    pub namespaces_origin: Pointer,
    pub regions: Vec<String>,
    /// Environment names with the regions each runs in.
    pub environments: Vec<(String, Vec<String>)>,
    /// One per domain, then the platform team (owner of everything else).
    pub teams: Vec<Team>,
    pub services: Vec<MonitoredService>,
    /// MSK and Valkey stores, whose CloudWatch names are fixed at synth time.
    pub stores: Vec<MonitoredStore>,
    pub groups: Vec<RuleGroup>,
    pub remediation: Option<Remediation>,
    /// The Zabbix server's proxies, one per VPC with monitoring servers;
    /// empty when the server does not run.
    pub zabbix_proxies: Vec<ZabbixProxy>,
}

/// A Zabbix proxy: the VPC (an environment in a region) whose endpoints
/// it probes.
#[derive(Debug, Clone, Serialize)]
pub struct ZabbixProxy {
    pub name: String,
    pub environment: String,
    pub region: String,
}

impl Plan {
    /// The proxy that probes an environment's endpoints in a region.
    pub fn zabbix_proxy(&self, environment: &str, region: &str) -> Option<&ZabbixProxy> {
        self.zabbix_proxies
            .iter()
            .find(|p| p.environment == environment && p.region == region)
    }
}

impl Plan {
    pub fn alerts(&self) -> impl Iterator<Item = &Alert> {
        self.groups
            .iter()
            .flat_map(|g| g.rules.iter())
            .filter_map(|r| match r {
                Rule::Alert(a) => Some(a),
                Rule::Record(_) => None,
            })
    }

    pub fn recordings(&self) -> impl Iterator<Item = &Recording> {
        self.groups
            .iter()
            .flat_map(|g| g.rules.iter())
            .filter_map(|r| match r {
                Rule::Record(r) => Some(r),
                Rule::Alert(_) => None,
            })
    }

    pub fn team(&self, name: &str) -> Option<&Team> {
        self.teams.iter().find(|t| t.name == name)
    }

    /// The team that owns a domain's alerts.
    pub fn team_of_domain(&self, domain: &str) -> Option<&Team> {
        self.teams
            .iter()
            .find(|t| t.domain.as_deref() == Some(domain))
    }
}

/// The team whose receivers get a domain's alerts.
#[derive(Debug, Clone, Serialize)]
pub struct Team {
    /// The team name from the spec; also the receiver name.
    pub name: String,
    /// The domain it owns; `None` for the platform team.
    pub domain: Option<String>,
    pub email: String,
    pub chat: Option<String>,
    pub pager: Option<String>,
    #[serde(skip)]
    pub origin: Pointer,
}

impl Team {
    /// The receiver for alerts that need a human this week.
    pub fn ticket_receiver(&self) -> String {
        self.name.clone()
    }

    /// The receiver for alerts that need a human now.
    pub fn page_receiver(&self) -> String {
        format!("{}-page", self.name)
    }
}

/// The name of the platform team's domain label value: alerts about the
/// platform itself (whole regions, certificates) carry `domain="platform"`.
pub const PLATFORM_DOMAIN: &str = "platform";

/// A service with what its monitoring needs.
#[derive(Debug, Clone, Serialize)]
pub struct MonitoredService {
    pub name: String,
    pub domain: String,
    pub environments: Vec<String>,
    /// Regions of its environments, deduplicated.
    pub regions: Vec<String>,
    pub slo: Slo,
    pub metrics_port: u16,
    pub metrics_path: String,
    /// The path its load balancer checks (and Zabbix probes).
    pub health_path: String,
    /// On metal capacity (a host daemon runs beside it).
    pub metal: bool,
    /// Behind a load balancer (has one to watch).
    pub load_balanced: bool,
    pub data_stores: Vec<String>,
    /// The alert names generated for it.
    pub alerts: Vec<String>,
    pub dashboard_uid: String,
    #[serde(skip)]
    pub origin: Pointer,
}

/// A data store whose CloudWatch identity is known before deployment.
#[derive(Debug, Clone, Serialize)]
pub struct MonitoredStore {
    pub name: String,
    pub domain: String,
    pub kind: StoreKind,
    /// The CloudWatch dimension value naming it (MSK cluster name, Valkey
    /// replication group id).
    pub cloudwatch_id: String,
    pub dashboard_uid: String,
    #[serde(skip)]
    pub origin: Pointer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StoreKind {
    Msk,
    Valkey,
    Aurora,
    Dynamodb,
    Other,
}

/// Where automatic remediation is triggered.
#[derive(Debug, Clone)]
pub struct Remediation {
    pub webhook_url: String,
    /// The CA certificate Alertmanager verifies the webhook's TLS with:
    /// the platform's private root, for the platform's own service (its
    /// certificate is from the private CA); the system's roots for a
    /// `webhook_url` of the spec's.
    pub ca_file: Option<String>,
    /// The alert names from `observability.remediation.automatic` that
    /// pass Alertmanager (not those raised from AWS events), with their
    /// places in the spec.
    pub alerts: Vec<(String, Pointer)>,
    pub origin: Pointer,
}

/// A rule group: one file, evaluated together.
#[derive(Debug, Clone)]
pub struct RuleGroup {
    pub name: String,
    /// Path below `rules/`.
    pub file: String,
    /// Other rule files its tests need (the recording rules it reads).
    pub needs: Vec<String>,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone)]
pub enum Rule {
    Record(Recording),
    Alert(Alert),
}

#[derive(Debug, Clone)]
pub struct Recording {
    pub record: String,
    pub expr: String,
}

/// An alerting rule with the tests that show it works.
#[derive(Debug, Clone)]
pub struct Alert {
    pub name: String,
    pub expr: String,
    /// How long the condition holds before it fires (`2m`).
    pub for_: String,
    pub severity: Severity,
    /// Static labels besides `severity`.
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// Which labels come from the series (so a router must be able to match
    /// any value the producers give them).
    pub labels_from_series: Vec<&'static str>,
    pub cases: Vec<AlertCase>,
    /// The spec element it was made for.
    pub origin: Pointer,
}

/// One unit test: input series, and the alerts expected at `eval_minutes`.
#[derive(Debug, Clone)]
pub struct AlertCase {
    pub description: String,
    /// `(series selector, promtool expanding notation)` at one-minute steps;
    /// shared between the cases of a service's alerts that use one traffic shape.
    pub series: std::sync::Arc<Vec<(String, String)>>,
    pub eval_minutes: u32,
    /// Label sets of the expected alerts (besides `alertname`); empty when
    /// the alert must stay silent.
    pub firing: Vec<BTreeMap<String, String>>,
}

/// Builds the plan. `None` without an `observability` section.
pub fn plan(model: &Model, profile: Profile) -> Option<Plan> {
    let observability = model.observability.as_ref()?;
    let regions: Vec<String> = model.regions.iter().map(|r| r.name.clone()).collect();
    let environments: Vec<(String, Vec<String>)> = model
        .environments
        .iter()
        .map(|e| {
            (
                e.name.clone(),
                e.regions
                    .iter()
                    .map(|r| model.region(*r).name.clone())
                    .collect(),
            )
        })
        .collect();
    let mut teams: Vec<Team> = model
        .domains
        .iter()
        .map(|d| Team {
            name: d.owner.team.clone(),
            domain: Some(d.name.clone()),
            email: d.owner.email.clone(),
            chat: d.owner.chat.clone(),
            pager: d.owner.pager.clone(),
            origin: d.origin.child("owner"),
        })
        .collect();
    // Two domains may share a team; a receiver is per team, a route per domain.
    if !teams.iter().any(|t| t.name == PLATFORM_DOMAIN) {
        teams.push(Team {
            name: PLATFORM_DOMAIN.to_owned(),
            domain: Some(PLATFORM_DOMAIN.to_owned()),
            email: format!("platform@{}", model.organization.email_domain),
            chat: None,
            pager: None,
            origin: model.organization.origin.clone(),
        });
    }
    let services = model
        .services
        .iter()
        .map(|s| {
            let domain = model.domain(s.domain).name.clone();
            let envs: Vec<String> = s
                .environments
                .iter()
                .map(|e| model.environment(*e).name.clone())
                .collect();
            let mut regions: Vec<String> = s
                .environments
                .iter()
                .flat_map(|e| model.environment(*e).regions.iter())
                .map(|r| model.region(*r).name.clone())
                .collect();
            regions.sort();
            regions.dedup();
            MonitoredService {
                dashboard_uid: uid("svc", &s.name),
                name: s.name.clone(),
                domain,
                environments: envs,
                regions,
                slo: s.monitoring.slo,
                metrics_port: s.monitoring.metrics_port,
                metrics_path: s.monitoring.metrics_path.clone(),
                health_path: s.health_check_path.clone(),
                metal: s.latency_sensitive,
                load_balanced: s.ingress != landfall_spec::types::Ingress::None,
                data_stores: s
                    .data_stores
                    .iter()
                    .map(|d| model.data_store(*d).name.clone())
                    .collect(),
                alerts: Vec::new(),
                origin: s.origin.clone(),
            }
        })
        .collect();
    let stores = model
        .data_stores
        .iter()
        .map(|s| {
            use landfall_spec::types::Engine;
            let (kind, cloudwatch_id) = match &s.engine {
                Engine::Msk { .. } => (StoreKind::Msk, s.name.clone()),
                Engine::Valkey { .. } => (
                    StoreKind::Valkey,
                    landfall_workloads::store::replication_group_id(s),
                ),
                Engine::Aurora { .. } => (StoreKind::Aurora, String::new()),
                Engine::Dynamodb { .. } => (StoreKind::Dynamodb, String::new()),
                _ => (StoreKind::Other, String::new()),
            };
            MonitoredStore {
                name: s.name.clone(),
                domain: model.domain(s.domain).name.clone(),
                kind,
                cloudwatch_id,
                dashboard_uid: uid("store", &s.name),
                origin: s.origin.clone(),
            }
        })
        .collect();
    let remediation = observability.remediation.as_ref().map(|r| {
        let at = observability_pointer(model).child("remediation");
        Remediation {
            ca_file: r
                .webhook_url
                .is_none()
                .then(|| crate::alertmanager::REMEDIATION_CA_FILE.to_owned()),
            webhook_url: r.webhook_url.clone().unwrap_or_else(|| {
                landfall_model::monitoring::remediation_webhook_url(&model.organization.slug)
            }),
            alerts: r
                .automatic
                .iter()
                .enumerate()
                // Raised from AWS events or the workload layer's CloudWatch
                // alarms on the service's queue: no metrics rule raises them
                // and they never pass Alertmanager.
                .filter(|(_, name)| {
                    !landfall_model::monitoring::EVENT_ALERTS.contains(&name.as_str())
                        && !landfall_model::monitoring::ALARM_ALERTS.contains(&name.as_str())
                })
                .map(|(i, name)| (name.clone(), at.child("automatic").child(i)))
                .collect(),
            origin: at,
        }
    });
    let mut plan = Plan {
        profile,
        organization: model.organization.slug.clone(),
        home_region: model.region(model.organization.home_region).name.clone(),
        email_domain: model.organization.email_domain.clone(),
        scrape_interval_seconds: observability.metrics.scrape_interval_seconds,
        retention_days: observability.metrics.retention_days,
        cloudwatch_namespaces: observability.metrics.cloudwatch_namespaces.clone(),
        namespaces_origin: observability_pointer(model)
            .child("metrics")
            .child("cloudwatch_namespaces"),
        regions,
        environments,
        teams,
        services,
        stores,
        groups: Vec::new(),
        remediation,
        zabbix_proxies: model
            .network
            .vpcs
            .iter()
            .filter_map(|vpc| {
                Some(ZabbixProxy {
                    name: landfall_model::monitoring::zabbix_proxy(model, vpc)?,
                    environment: model.environment(vpc.environment).name.clone(),
                    region: model.region(vpc.region).name.clone(),
                })
            })
            .collect(),
    };
    plan.groups = crate::rules::groups(model, &plan);
    let mut by_service: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for alert in plan.alerts() {
        if let Some(service) = alert.labels.get(crate::labels::SERVICE) {
            by_service
                .entry(service)
                .or_default()
                .push(alert.name.clone());
        }
    }
    let by_service: BTreeMap<String, Vec<String>> = by_service
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    for service in &mut plan.services {
        service.alerts = by_service.get(&service.name).cloned().unwrap_or_default();
    }
    Some(plan)
}

/// Where the `observability` section is: the model keeps the section's
/// values, not its place, so the pointer is the one the loader gives it.
fn observability_pointer(model: &Model) -> Pointer {
    model
        .observability_origin
        .clone()
        .unwrap_or_else(|| model.organization.origin.clone())
}

/// A stable Grafana uid (at most 40 characters): the kind and name, or a
/// hash of them when too long.
pub fn uid(kind: &str, name: &str) -> String {
    let candidate = format!("lf-{kind}-{name}");
    if candidate.len() <= 40 {
        return candidate;
    }
    format!("lf-{kind}-{:016x}", fnv1a(name.as_bytes()))
}

/// FNV-1a: small, stable across releases and platforms (uids and Zabbix
/// UUIDs must never change between runs).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}
