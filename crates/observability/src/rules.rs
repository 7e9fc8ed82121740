//! Alerting and recording rules, and their promtool unit tests.
//!
//! Service objectives become multi-window, multi-burn-rate alerts (the SRE
//! workbook's four windows: 2 % of a 30-day budget in an hour, 5 % in six
//! hours page; 10 % in a day, 10 % in three days open a ticket). Recording
//! rules compute each window's error ratio once for all services; the alerts
//! compare them with each service's budget. Agents that stop reporting, the
//! platform's own failure modes and every alert automatic remediation acts
//! on are rules too, each with a test that fires on a series that breaks it
//! and stays silent on one that does not.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use landfall_model::Model;
use serde_json::{json, Value};

use crate::catalog::{self, cloudwatch_series, Statistic, CERTIFICATE_MANAGER, CONTAINER_INSIGHTS};
use crate::labels::{self, Severity, DOMAIN, ENVIRONMENT, HOST, REGION, SERVICE, SEVERITY};
use crate::plan::{Alert, AlertCase, Plan, Recording, Rule, RuleGroup, StoreKind, PLATFORM_DOMAIN};
use crate::{yaml, File};

/// Windows the error ratios are recorded over.
pub const WINDOWS: [&str; 7] = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"];

/// (long window, short window, burn rate) pairs of one alert.
type Burn = [(&'static str, &'static str, f64); 2];
/// Pages: the budget would be gone in about two days (or five).
const FAST: Burn = [("1h", "5m", 14.4), ("6h", "30m", 6.0)];
/// Tickets: gone in ten days, or at the end of the window.
const SLOW: Burn = [("1d", "2h", 3.0), ("3d", "6h", 1.0)];

/// The alert names of the platform's own rules (not per service).
pub const TELEGRAF_AGENT_DOWN: &str = "TelegrafAgentDown";
pub const VECTOR_AGENT_DOWN: &str = "VectorAgentDown";
pub const METAL_HOST_DISK_ALMOST_FULL: &str = "MetalHostDiskAlmostFull";
pub const SSM_AGENT_DISCONNECTED: &str = "SsmAgentDisconnected";
pub const CERTIFICATE_EXPIRING: &str = "CertificateExpiringIn14Days";
pub const REGION_WIDE_OUTAGE: &str = "RegionWideOutage";
pub const ECS_BELOW_DESIRED: &str = "EcsServiceBelowDesiredCount";
pub const ECS_TASK_STUCK_PENDING: &str = "EcsTaskStuckPending";
pub const MSK_STORAGE_HIGH: &str = "MskBrokerStorageHigh";
pub const MSK_UNDER_REPLICATED: &str = "MskUnderReplicatedPartitions";
pub const VALKEY_MEMORY_HIGH: &str = "ValkeyMemoryHigh";
pub const VALKEY_EVICTIONS: &str = "ValkeyEvictions";

/// Per-service objective alerts.
pub const ERRORS_FAST: &str = "ServiceErrorBudgetFastBurn";
pub const ERRORS_SLOW: &str = "ServiceErrorBudgetSlowBurn";
pub const LATENCY_FAST: &str = "ServiceLatencyBudgetFastBurn";
pub const LATENCY_SLOW: &str = "ServiceLatencyBudgetSlowBurn";

/// The recording rule name of a window's error ratio.
pub fn errors_ratio(window: &str) -> String {
    format!("slo:request_errors:ratio_rate{window}")
}

/// The recording rule name of a window's share of requests slower than a
/// threshold.
pub fn slow_ratio(threshold_ms: u32, window: &str) -> String {
    format!("slo:request_slower_than_{threshold_ms}ms:ratio_rate{window}")
}

/// The histogram bucket bound of a threshold as Prometheus clients write it
/// (`500` ms → `0.5`, `1000` ms → `1`).
pub fn bucket_bound(threshold_ms: u32) -> String {
    format!("{}", f64::from(threshold_ms) / 1000.0)
}

pub(crate) fn groups(model: &Model, plan: &Plan) -> Vec<RuleGroup> {
    let mut groups = vec![slo_recordings(plan)];
    let mut domains: BTreeSet<&str> = plan.services.iter().map(|s| s.domain.as_str()).collect();
    domains.extend(plan.stores.iter().map(|s| s.domain.as_str()));
    let mut first_service: BTreeMap<&str, &str> = BTreeMap::new();
    for s in &plan.services {
        first_service
            .entry(s.domain.as_str())
            .or_insert(s.name.as_str());
    }
    let mut stores: BTreeMap<&str, Vec<&crate::plan::MonitoredStore>> = BTreeMap::new();
    for s in &plan.stores {
        stores.entry(s.domain.as_str()).or_default().push(s);
    }
    let by_name: BTreeMap<&str, &landfall_model::Domain> =
        model.domains.iter().map(|d| (d.name.as_str(), d)).collect();
    for domain in domains {
        groups.push(domain_group(
            by_name.get(domain).copied(),
            plan,
            domain,
            first_service.get(domain).copied(),
            stores.get(domain).map_or(&[][..], Vec::as_slice),
            model,
        ));
    }
    for service in &plan.services {
        groups.push(service_group(plan, service));
    }
    groups.push(platform_group(model, plan));
    groups
}

fn slo_recordings(plan: &Plan) -> RuleGroup {
    let by = labels::by(&labels::SERVICE_IDENTITY);
    let requests = catalog::app(catalog::SERVICE_REQUESTS);
    let mut rules = Vec::new();
    for window in WINDOWS {
        rules.push(Rule::Record(Recording {
            record: errors_ratio(window),
            expr: format!(
                "sum {by} (rate({requests}{{code=~\"5..\"}}[{window}]))\n/\nsum {by} (rate({requests}[{window}]))"
            ),
        }));
    }
    let mut thresholds: BTreeMap<u32, Vec<&str>> = BTreeMap::new();
    for s in &plan.services {
        thresholds
            .entry(s.slo.latency_ms)
            .or_default()
            .push(&s.name);
    }
    let bucket = catalog::app(&format!("{}_bucket", catalog::SERVICE_DURATION));
    let count = catalog::app(&format!("{}_count", catalog::SERVICE_DURATION));
    for (threshold, services) in thresholds {
        let le = bucket_bound(threshold);
        let selector = format!("service=~\"{}\"", services.join("|"));
        for window in WINDOWS {
            rules.push(Rule::Record(Recording {
                record: slow_ratio(threshold, window),
                expr: format!(
                    "1 - (\n  sum {by} (rate({bucket}{{{selector},le=\"{le}\"}}[{window}]))\n  /\n  sum {by} (rate({count}{{{selector}}}[{window}]))\n)"
                ),
            }));
        }
    }
    RuleGroup {
        name: "slo-recording".to_owned(),
        file: "slo.yml".to_owned(),
        needs: Vec::new(),
        rules,
    }
}

/// A number as PromQL reads it, without float noise (`0.0072`, not
/// `0.007200000000000001`).
fn number(x: f64) -> String {
    let text = format!("{:.10}", x);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_owned()
}

/// A service's objective alerts, in a group (and file) of their own so each
/// service's tests evaluate only its rules.
fn service_group(plan: &Plan, service: &crate::plan::MonitoredService) -> RuleGroup {
    let domain = service.domain.as_str();
    let mut rules = Vec::new();
    {
        let env = service.environments.first().cloned().unwrap_or_default();
        let region = plan
            .environments
            .iter()
            .find(|(e, _)| *e == env)
            .and_then(|(_, r)| r.first().cloned())
            .unwrap_or_default();
        let identity = BTreeMap::from([
            (DOMAIN.to_owned(), domain.to_owned()),
            (SERVICE.to_owned(), service.name.clone()),
            (ENVIRONMENT.to_owned(), env.clone()),
            (REGION.to_owned(), region.clone()),
        ]);
        let traffic = Traffic {
            identity: &identity,
            threshold_ms: service.slo.latency_ms,
        };
        let (failing, slow, healthy) = (
            Arc::new(traffic.failing()),
            Arc::new(traffic.slow()),
            Arc::new(traffic.healthy()),
        );
        let availability_budget = (100.0 - service.slo.availability_percent) / 100.0;
        let latency_budget = (100.0 - service.slo.latency_percent) / 100.0;
        let objectives = [
            (
                "availability",
                availability_budget,
                [ERRORS_FAST, ERRORS_SLOW],
            ),
            ("latency", latency_budget, [LATENCY_FAST, LATENCY_SLOW]),
        ];
        for (slo, budget, names) in objectives {
            for (name, burn, severity, for_) in [
                (names[0], FAST, Severity::Page, "2m"),
                (names[1], SLOW, Severity::Ticket, "15m"),
            ] {
                let ratio = |window: &str| {
                    if slo == "availability" {
                        errors_ratio(window)
                    } else {
                        slow_ratio(service.slo.latency_ms, window)
                    }
                };
                let selector = format!("{{service=\"{}\"}}", service.name);
                let expr = burn
                    .iter()
                    .map(|(long, short, rate)| {
                        let threshold = number(rate * budget);
                        format!(
                            "(\n  {}{selector} > {threshold}\nand\n  {}{selector} > {threshold}\n)",
                            ratio(long),
                            ratio(short)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\nor\n");
                let target = if slo == "availability" {
                    format!(
                        "{}% of requests without a server error",
                        service.slo.availability_percent
                    )
                } else {
                    format!(
                        "{}% of requests within {} ms",
                        service.slo.latency_percent, service.slo.latency_ms
                    )
                };
                let speed = if severity == Severity::Page {
                    "fast"
                } else {
                    "steadily"
                };
                let mut static_labels = BTreeMap::from([("slo".to_owned(), slo.to_owned())]);
                static_labels.insert(SERVICE.to_owned(), service.name.clone());
                static_labels.insert(DOMAIN.to_owned(), domain.to_owned());
                let firing = {
                    let mut l = identity.clone();
                    l.insert(SEVERITY.to_owned(), severity.as_str().to_owned());
                    l.insert("slo".to_owned(), slo.to_owned());
                    l
                };
                let (broken, other) = if slo == "availability" {
                    (Arc::clone(&failing), Arc::clone(&slow))
                } else {
                    (Arc::clone(&slow), Arc::clone(&failing))
                };
                rules.push(Rule::Alert(Alert {
                    name: name.to_owned(),
                    expr,
                    for_: for_.to_owned(),
                    severity,
                    labels: static_labels,
                    annotations: BTreeMap::from([
                        (
                            "summary".to_owned(),
                            format!(
                                "{{{{ $labels.service }}}} in {{{{ $labels.environment }}}}/{{{{ $labels.region }}}} is using its {slo} error budget {speed}"
                            ),
                        ),
                        ("objective".to_owned(), target),
                        ("dashboard".to_owned(), format!("/d/{}", service.dashboard_uid)),
                    ]),
                    labels_from_series: vec![ENVIRONMENT, REGION],
                    cases: vec![
                        AlertCase {
                            description: format!("{} breaks its {slo} objective", service.name),
                            series: broken,
                            eval_minutes: 20,
                            firing: vec![firing],
                        },
                        AlertCase {
                            description: format!(
                                "{} keeps its {slo} objective while the other one fails",
                                service.name
                            ),
                            series: other,
                            eval_minutes: 20,
                            firing: Vec::new(),
                        },
                        AlertCase {
                            description: format!("{} is healthy", service.name),
                            series: Arc::clone(&healthy),
                            eval_minutes: 20,
                            firing: Vec::new(),
                        },
                    ],
                    origin: service.origin.child("monitoring").child("slo"),
                }));
            }
        }
    }
    RuleGroup {
        name: format!("service-{}", service.name),
        file: format!("services/{domain}/{}.yml", service.name),
        needs: vec!["slo.yml".to_owned()],
        rules,
    }
}

/// A domain's infrastructure alerts: its ECS clusters and its data stores.
fn domain_group(
    d: Option<&landfall_model::Domain>,
    plan: &Plan,
    domain: &str,
    first_service: Option<&str>,
    stores: &[&crate::plan::MonitoredStore],
    model: &Model,
) -> RuleGroup {
    let mut rules = Vec::new();
    if let (Some(d), Some(service)) = (d, first_service) {
        ecs_rules(model, plan, d, service, &mut rules);
    }
    for store in stores {
        store_rules(store, &mut rules);
    }
    RuleGroup {
        name: format!("domain-{domain}"),
        file: format!("domains/{domain}.yml"),
        needs: Vec::new(),
        rules,
    }
}

/// Input series for one service's objective tests.
struct Traffic<'a> {
    identity: &'a BTreeMap<String, String>,
    threshold_ms: u32,
}

impl Traffic<'_> {
    fn series(&self, name: &str, extra: &[(&str, &str)]) -> String {
        let mut labels: Vec<String> = self
            .identity
            .iter()
            .map(|(k, v)| format!("{k}=\"{v}\""))
            .collect();
        labels.push("db=\"telegraf\"".to_owned());
        labels.push("host=\"task-1\"".to_owned());
        labels.extend(extra.iter().map(|(k, v)| format!("{k}=\"{v}\"")));
        format!("{name}{{{}}}", labels.join(","))
    }

    /// Requests per minute: (ok, server errors, within the threshold).
    fn with(&self, ok: u32, errors: u32, fast: u32) -> Vec<(String, String)> {
        let requests = catalog::app(catalog::SERVICE_REQUESTS);
        let bucket = catalog::app(&format!("{}_bucket", catalog::SERVICE_DURATION));
        let count = catalog::app(&format!("{}_count", catalog::SERVICE_DURATION));
        let le = bucket_bound(self.threshold_ms);
        let total = ok + errors;
        vec![
            (
                self.series(&requests, &[("code", "200")]),
                format!("0+{ok}x100"),
            ),
            (
                self.series(&requests, &[("code", "500")]),
                format!("0+{errors}x100"),
            ),
            (
                self.series(&bucket, &[("le", &le)]),
                format!("0+{fast}x100"),
            ),
            (
                self.series(&bucket, &[("le", "+Inf")]),
                format!("0+{total}x100"),
            ),
            (self.series(&count, &[]), format!("0+{total}x100")),
        ]
    }

    fn healthy(&self) -> Vec<(String, String)> {
        self.with(600, 0, 600)
    }

    /// Half the requests fail (all fast).
    fn failing(&self) -> Vec<(String, String)> {
        self.with(300, 300, 600)
    }

    /// Half the requests are slower than the threshold (none fail).
    fn slow(&self) -> Vec<(String, String)> {
        self.with(600, 0, 300)
    }
}

/// ECS services below their desired count or with tasks stuck pending, read
/// from Container Insights (turned on for every cluster by the workload
/// layer). Clusters are named `<domain>-<environment>`.
/// `service` is one of the domain's services, named in the tests.
fn ecs_rules(
    model: &Model,
    plan: &Plan,
    d: &landfall_model::Domain,
    service: &str,
    rules: &mut Vec<Rule>,
) {
    let domain = d.name.as_str();
    let envs: Vec<&str> = d
        .environments
        .iter()
        .map(|e| model.environment(*e).name.as_str())
        .collect();
    let clusters = format!("cluster_name=~\"{domain}-({})\"", envs.join("|"));
    let relabel = |expr: String| {
        format!(
            "label_replace(\n  label_replace(\n    {expr},\n    \"environment\", \"$1\", \"cluster_name\", \"{domain}-(.+)\"\n  ),\n  \"service\", \"$1\", \"service_name\", \"(.+)\"\n)"
        )
    };
    let running = cloudwatch_series(CONTAINER_INSIGHTS, "RunningTaskCount", Statistic::Minimum);
    let desired = cloudwatch_series(CONTAINER_INSIGHTS, "DesiredTaskCount", Statistic::Maximum);
    let pending = cloudwatch_series(CONTAINER_INSIGHTS, "PendingTaskCount", Statistic::Minimum);
    let env = envs.first().copied().unwrap_or("prod");
    let region = plan.regions.first().cloned().unwrap_or_default();
    let cw = |name: &str| {
        format!(
            "{name}{{cluster_name=\"{domain}-{env}\",service_name=\"{service}\",region=\"{region}\",db=\"telegraf\",host=\"platform-agent\"}}"
        )
    };
    let firing = |severity: Severity| {
        BTreeMap::from([
            ("cluster_name".to_owned(), format!("{domain}-{env}")),
            ("service_name".to_owned(), service.to_owned()),
            (REGION.to_owned(), region.clone()),
            ("db".to_owned(), "telegraf".to_owned()),
            (HOST.to_owned(), "platform-agent".to_owned()),
            (ENVIRONMENT.to_owned(), env.to_owned()),
            (SERVICE.to_owned(), service.to_owned()),
            (DOMAIN.to_owned(), domain.to_owned()),
            (SEVERITY.to_owned(), severity.as_str().to_owned()),
        ])
    };
    let origin = d.origin.clone();
    rules.push(Rule::Alert(Alert {
        name: ECS_BELOW_DESIRED.to_owned(),
        expr: relabel(format!("{running}{{{clusters}}} < {desired}{{{clusters}}}")),
        for_: "10m".to_owned(),
        severity: Severity::Page,
        labels: BTreeMap::from([(DOMAIN.to_owned(), domain.to_owned())]),
        annotations: BTreeMap::from([(
            "summary".to_owned(),
            "{{ $labels.service }} in {{ $labels.environment }}/{{ $labels.region }} runs fewer tasks than it wants".to_owned(),
        )]),
        labels_from_series: vec![ENVIRONMENT, REGION, SERVICE],
        cases: vec![
            AlertCase {
                description: format!("one of {domain}'s services runs 1 of 3 tasks"),
                series: Arc::new(vec![(cw(&running), "1x40".to_owned()), (cw(&desired), "3x40".to_owned())]),
                eval_minutes: 20,
                firing: vec![firing(Severity::Page)],
            },
            AlertCase {
                description: format!("one of {domain}'s services runs all its tasks"),
                series: Arc::new(vec![(cw(&running), "3x40".to_owned()), (cw(&desired), "3x40".to_owned())]),
                eval_minutes: 20,
                firing: Vec::new(),
            },
        ],
        origin: origin.clone(),
    }));
    rules.push(Rule::Alert(Alert {
        name: ECS_TASK_STUCK_PENDING.to_owned(),
        expr: relabel(format!("{pending}{{{clusters}}} > 0")),
        for_: "15m".to_owned(),
        severity: Severity::Ticket,
        labels: BTreeMap::from([(DOMAIN.to_owned(), domain.to_owned())]),
        annotations: BTreeMap::from([(
            "summary".to_owned(),
            "{{ $labels.service }} in {{ $labels.environment }}/{{ $labels.region }} has tasks pending for 15 minutes".to_owned(),
        )]),
        labels_from_series: vec![ENVIRONMENT, REGION, SERVICE],
        cases: vec![
            AlertCase {
                description: format!("a task of {domain} stays pending"),
                series: Arc::new(vec![(cw(&pending), "1x40".to_owned())]),
                eval_minutes: 20,
                firing: vec![firing(Severity::Ticket)],
            },
            AlertCase {
                description: format!("{domain}'s pending tasks start within minutes"),
                series: Arc::new(vec![(cw(&pending), "0 1 1 0x37".to_owned())]),
                eval_minutes: 20,
                firing: Vec::new(),
            },
        ],
        origin,
    }));
}

/// (alert, CloudWatch metric, statistic, condition, severity, for, what it means)
type StoreCheck = (
    &'static str,
    &'static str,
    Statistic,
    &'static str,
    Severity,
    &'static str,
    &'static str,
);

/// Rules for the stores whose CloudWatch identity is fixed at synth time.
fn store_rules(store: &crate::plan::MonitoredStore, rules: &mut Vec<Rule>) {
    let (namespace, dimension, checks): (&str, &str, Vec<StoreCheck>) = match store.kind {
        StoreKind::Msk => (
            "AWS/Kafka",
            "cluster_name",
            vec![
                (
                    MSK_STORAGE_HIGH,
                    "KafkaDataLogsDiskUsed",
                    Statistic::Maximum,
                    "> 85",
                    Severity::Page,
                    "30m",
                    "a broker's data disk is over 85 % full",
                ),
                (
                    MSK_UNDER_REPLICATED,
                    "UnderReplicatedPartitions",
                    Statistic::Maximum,
                    "> 0",
                    Severity::Page,
                    "10m",
                    "partitions are under-replicated",
                ),
            ],
        ),
        StoreKind::Valkey => (
            "AWS/ElastiCache",
            "cache_cluster_id",
            vec![
                (
                    VALKEY_MEMORY_HIGH,
                    "DatabaseMemoryUsagePercentage",
                    Statistic::Maximum,
                    "> 90",
                    Severity::Ticket,
                    "15m",
                    "memory is over 90 % used",
                ),
                (
                    VALKEY_EVICTIONS,
                    "Evictions",
                    Statistic::Sum,
                    "> 0",
                    Severity::Ticket,
                    "15m",
                    "keys are being evicted",
                ),
            ],
        ),
        _ => return,
    };
    let matcher = match store.kind {
        // Node ids are `<replication group>-<shard>-<node>`.
        StoreKind::Valkey => format!("{dimension}=~\"{}-.+\"", store.cloudwatch_id),
        _ => format!("{dimension}=\"{}\"", store.cloudwatch_id),
    };
    let sample_id = match store.kind {
        StoreKind::Valkey => format!("{}-0001-001", store.cloudwatch_id),
        _ => store.cloudwatch_id.clone(),
    };
    for (name, metric, statistic, condition, severity, for_, what) in checks {
        let series = cloudwatch_series(namespace, metric, statistic);
        let input = format!(
            "{series}{{{dimension}=\"{sample_id}\",region=\"eu-central-1\",db=\"telegraf\",host=\"platform-agent\"}}"
        );
        let threshold: f64 = condition
            .trim_start_matches(['>', ' '])
            .parse()
            .unwrap_or(0.0);
        let firing = BTreeMap::from([
            (dimension.to_owned(), sample_id.clone()),
            (REGION.to_owned(), "eu-central-1".to_owned()),
            ("db".to_owned(), "telegraf".to_owned()),
            (HOST.to_owned(), "platform-agent".to_owned()),
            (DOMAIN.to_owned(), store.domain.clone()),
            ("store".to_owned(), store.name.clone()),
            (SEVERITY.to_owned(), severity.as_str().to_owned()),
        ]);
        rules.push(Rule::Alert(Alert {
            name: name.to_owned(),
            expr: format!("{series}{{{matcher}}} {condition}"),
            for_: for_.to_owned(),
            severity,
            labels: BTreeMap::from([
                (DOMAIN.to_owned(), store.domain.clone()),
                ("store".to_owned(), store.name.clone()),
            ]),
            annotations: BTreeMap::from([
                ("summary".to_owned(), format!("{}: {what}", store.name)),
                (
                    "dashboard".to_owned(),
                    format!("/d/{}", store.dashboard_uid),
                ),
            ]),
            labels_from_series: vec![REGION],
            cases: vec![
                AlertCase {
                    description: format!("{}: {what}", store.name),
                    series: Arc::new(vec![(
                        input.clone(),
                        format!("{}x60", number(threshold + 5.0)),
                    )]),
                    eval_minutes: 50,
                    firing: vec![firing],
                },
                AlertCase {
                    description: format!("{} is within its limits", store.name),
                    series: Arc::new(vec![(input, format!("{}x60", number(threshold)))]),
                    eval_minutes: 50,
                    firing: Vec::new(),
                },
            ],
            origin: store.origin.clone(),
        }));
    }
}

/// Rules about the platform itself: agents, hosts, certificates, regions,
/// and every remediation alert that no other group defines.
fn platform_group(model: &Model, plan: &Plan) -> RuleGroup {
    let mut rules = Vec::new();
    let origin = plan
        .remediation
        .as_ref()
        .map(|r| r.origin.clone())
        .unwrap_or_else(|| model.organization.origin.clone());
    let sample_service = plan.services.first();
    let (domain, service) = sample_service
        .map(|s| (s.domain.clone(), s.name.clone()))
        .unwrap_or_else(|| (PLATFORM_DOMAIN.to_owned(), "service".to_owned()));
    let env = plan
        .environments
        .first()
        .map(|e| e.0.clone())
        .unwrap_or_default();
    let region = plan.regions.first().cloned().unwrap_or_default();
    let agent_labels = [DOMAIN, SERVICE, ENVIRONMENT, REGION, HOST];
    let agent_series = |name: &str| {
        format!(
            "{name}{{domain=\"{domain}\",service=\"{service}\",environment=\"{env}\",region=\"{region}\",host=\"task-1\",db=\"telegraf\"}}"
        )
    };
    let agent_firing = |severity: Severity| {
        BTreeMap::from([
            (DOMAIN.to_owned(), domain.clone()),
            (SERVICE.to_owned(), service.clone()),
            (ENVIRONMENT.to_owned(), env.clone()),
            (REGION.to_owned(), region.clone()),
            (HOST.to_owned(), "task-1".to_owned()),
            (SEVERITY.to_owned(), severity.as_str().to_owned()),
        ])
    };
    // An agent is down when it reported in the last hour but not in the
    // last five minutes (pushed series have no `up`; absent() cannot say
    // which agent went quiet).
    let gone = |metric: &str| {
        let by = labels::by(&agent_labels);
        format!("group {by} (max_over_time({metric}[1h]))\nunless\ngroup {by} ({metric})")
    };
    for (name, metric, what) in [
        (
            TELEGRAF_AGENT_DOWN,
            "internal_agent_metrics_gathered",
            "the metrics agent",
        ),
        (
            VECTOR_AGENT_DOWN,
            "logagent_vector_build_info",
            "the log agent",
        ),
    ] {
        rules.push(Rule::Alert(Alert {
            name: name.to_owned(),
            expr: gone(metric),
            for_: "5m".to_owned(),
            severity: Severity::Ticket,
            labels: BTreeMap::new(),
            annotations: BTreeMap::from([(
                "summary".to_owned(),
                format!("{what} of {{{{ $labels.service }}}} on {{{{ $labels.host }}}} stopped reporting"),
            )]),
            labels_from_series: agent_labels.to_vec(),
            cases: vec![
                AlertCase {
                    description: format!("{what} stops after 20 minutes"),
                    series: Arc::new(vec![(agent_series(metric), "1+1x20 _x40".to_owned())]),
                    eval_minutes: 40,
                    firing: vec![agent_firing(Severity::Ticket)],
                },
                AlertCase {
                    description: format!("{what} keeps reporting"),
                    series: Arc::new(vec![(agent_series(metric), "1+1x60".to_owned())]),
                    eval_minutes: 40,
                    firing: Vec::new(),
                },
            ],
            origin: origin.clone(),
        }));
    }
    let host_series = |name: &str, extra: &str| {
        format!(
            "{name}{{domain=\"{domain}\",environment=\"{env}\",region=\"{region}\",host=\"ip-10-0-0-1\",role=\"ecs-host\",db=\"telegraf\",{extra}}}"
        )
    };
    let host_firing = |severity: Severity, extra: (&str, &str)| {
        BTreeMap::from([
            (DOMAIN.to_owned(), domain.clone()),
            (ENVIRONMENT.to_owned(), env.clone()),
            (REGION.to_owned(), region.clone()),
            (HOST.to_owned(), "ip-10-0-0-1".to_owned()),
            ("role".to_owned(), "ecs-host".to_owned()),
            ("db".to_owned(), "telegraf".to_owned()),
            (extra.0.to_owned(), extra.1.to_owned()),
            (SEVERITY.to_owned(), severity.as_str().to_owned()),
        ])
    };
    let disk = host_series("disk_used_percent", "path=\"/\"");
    rules.push(Rule::Alert(Alert {
        name: METAL_HOST_DISK_ALMOST_FULL.to_owned(),
        expr: "disk_used_percent{role=\"ecs-host\"} > 85".to_owned(),
        for_: "10m".to_owned(),
        severity: Severity::Page,
        labels: BTreeMap::new(),
        annotations: BTreeMap::from([(
            "summary".to_owned(),
            "{{ $labels.path }} on {{ $labels.host }} ({{ $labels.domain }}) is over 85 % full"
                .to_owned(),
        )]),
        labels_from_series: vec![DOMAIN, ENVIRONMENT, REGION, HOST],
        cases: vec![
            AlertCase {
                description: "a metal host's disk fills".to_owned(),
                series: Arc::new(vec![(disk.clone(), "84+0.1x40".to_owned())]),
                eval_minutes: 35,
                firing: vec![host_firing(Severity::Page, ("path", "/"))],
            },
            AlertCase {
                description: "a metal host's disk stays at 60 %".to_owned(),
                series: Arc::new(vec![(disk, "60x40".to_owned())]),
                eval_minutes: 35,
                firing: Vec::new(),
            },
        ],
        origin: origin.clone(),
    }));
    let ssm_pattern = crate::telegraf::SSM_AGENT_PATTERN;
    let ssm = host_series(
        "procstat_lookup_running",
        &format!("pattern=\"{ssm_pattern}\",pid_finder=\"pgrep\""),
    );
    let mut ssm_firing = host_firing(Severity::Ticket, ("pattern", ssm_pattern));
    ssm_firing.insert("pid_finder".to_owned(), "pgrep".to_owned());
    rules.push(Rule::Alert(Alert {
        name: SSM_AGENT_DISCONNECTED.to_owned(),
        expr: format!("procstat_lookup_running{{pattern=\"{ssm_pattern}\"}} == 0"),
        for_: "5m".to_owned(),
        severity: Severity::Ticket,
        labels: BTreeMap::new(),
        annotations: BTreeMap::from([(
            "summary".to_owned(),
            "the SSM agent on {{ $labels.host }} ({{ $labels.domain }}) is not running: no Session Manager access".to_owned(),
        )]),
        labels_from_series: vec![DOMAIN, ENVIRONMENT, REGION, HOST],
        cases: vec![
            AlertCase {
                description: "the SSM agent stops".to_owned(),
                series: Arc::new(vec![(ssm.clone(), "1x10 0x30".to_owned())]),
                eval_minutes: 20,
                firing: vec![ssm_firing],
            },
            AlertCase {
                description: "the SSM agent runs".to_owned(),
                series: Arc::new(vec![(ssm, "1x40".to_owned())]),
                eval_minutes: 20,
                firing: Vec::new(),
            },
        ],
        origin: origin.clone(),
    }));
    let expiry = cloudwatch_series(CERTIFICATE_MANAGER, "DaysToExpiry", Statistic::Minimum);
    let arn = "arn:aws:acm:eu-central-1:111122223333:certificate/0c2d";
    let cert = format!(
        "{expiry}{{certificate_arn=\"{arn}\",region=\"{region}\",db=\"telegraf\",host=\"platform-agent\"}}"
    );
    rules.push(Rule::Alert(Alert {
        name: CERTIFICATE_EXPIRING.to_owned(),
        expr: format!("{expiry} < 14"),
        for_: "1h".to_owned(),
        severity: Severity::Ticket,
        labels: BTreeMap::from([(DOMAIN.to_owned(), PLATFORM_DOMAIN.to_owned())]),
        annotations: BTreeMap::from([(
            "summary".to_owned(),
            "certificate {{ $labels.certificate_arn }} expires within 14 days".to_owned(),
        )]),
        labels_from_series: vec![REGION],
        cases: vec![
            AlertCase {
                description: "a certificate has 10 days left".to_owned(),
                series: Arc::new(vec![(cert.clone(), "10x100".to_owned())]),
                eval_minutes: 90,
                firing: vec![BTreeMap::from([
                    ("certificate_arn".to_owned(), arn.to_owned()),
                    (REGION.to_owned(), region.clone()),
                    ("db".to_owned(), "telegraf".to_owned()),
                    (HOST.to_owned(), "platform-agent".to_owned()),
                    (DOMAIN.to_owned(), PLATFORM_DOMAIN.to_owned()),
                    (SEVERITY.to_owned(), "ticket".to_owned()),
                ])],
            },
            AlertCase {
                description: "a certificate has 60 days left".to_owned(),
                series: Arc::new(vec![(cert, "60x100".to_owned())]),
                eval_minutes: 90,
                firing: Vec::new(),
            },
        ],
        origin: origin.clone(),
    }));
    // Most of a region's requests failing is one outage, not a hundred
    // service alerts: Alertmanager inhibits theirs while this one fires.
    let requests = catalog::app(catalog::SERVICE_REQUESTS);
    let by = labels::by(&[ENVIRONMENT, REGION]);
    let req = |code: &str| {
        format!(
            "{requests}{{domain=\"{domain}\",service=\"{service}\",environment=\"{env}\",region=\"{region}\",host=\"task-1\",db=\"telegraf\",code=\"{code}\"}}"
        )
    };
    rules.push(Rule::Alert(Alert {
        name: REGION_WIDE_OUTAGE.to_owned(),
        expr: format!(
            "sum {by} (rate({requests}{{code=~\"5..\"}}[5m]))\n/\nsum {by} (rate({requests}[5m]))\n> 0.5"
        ),
        for_: "3m".to_owned(),
        severity: Severity::Page,
        labels: BTreeMap::from([(DOMAIN.to_owned(), PLATFORM_DOMAIN.to_owned())]),
        annotations: BTreeMap::from([(
            "summary".to_owned(),
            "most requests in {{ $labels.environment }}/{{ $labels.region }} fail".to_owned(),
        )]),
        labels_from_series: vec![ENVIRONMENT, REGION],
        cases: vec![
            AlertCase {
                description: "nine in ten requests of a region fail".to_owned(),
                series: Arc::new(vec![(req("200"), "0+60x30".to_owned()), (req("503"), "0+540x30".to_owned())]),
                eval_minutes: 20,
                firing: vec![BTreeMap::from([
                    (ENVIRONMENT.to_owned(), env.clone()),
                    (REGION.to_owned(), region.clone()),
                    (DOMAIN.to_owned(), PLATFORM_DOMAIN.to_owned()),
                    (SEVERITY.to_owned(), "page".to_owned()),
                ])],
            },
            AlertCase {
                description: "one request in a hundred fails".to_owned(),
                series: Arc::new(vec![(req("200"), "0+594x30".to_owned()), (req("503"), "0+6x30".to_owned())]),
                eval_minutes: 20,
                firing: Vec::new(),
            },
        ],
        origin,
    }));
    RuleGroup {
        name: "platform".to_owned(),
        file: "platform.yml".to_owned(),
        needs: Vec::new(),
        rules,
    }
}

/// The rule files and their unit-test files.
pub fn render(plan: &Plan) -> Vec<File> {
    use rayon::prelude::*;
    plan.groups.par_iter().flat_map_iter(render_group).collect()
}

fn render_group(group: &RuleGroup) -> Vec<File> {
    let mut files = Vec::new();
    {
        // No `interval`: how often rules run is the evaluator's setting
        // (vmalert `-evaluationInterval`), one place for every group.
        let rules: Vec<Value> = group.rules.iter().map(rule_json).collect();
        let doc = json!({ "groups": [{ "name": group.name, "rules": rules }] });
        files.push(File {
            path: format!("rules/{}", group.file),
            contents: header("#") + &yaml::to_yaml(&doc),
        });
        if group.rules.iter().any(|r| matches!(r, Rule::Alert(_))) {
            files.push(File {
                path: format!("rules/tests/{}", group.file.replace(".yml", ".test.yml")),
                contents: header("#") + &yaml::to_yaml(&tests_json(group)),
            });
        }
    }
    files
}

pub(crate) fn header(comment: &str) -> String {
    format!(
        "{comment} Generated by `landfall synth` from the platform spec; edits are overwritten.\n"
    )
}

fn rule_json(rule: &Rule) -> Value {
    match rule {
        Rule::Record(r) => json!({ "record": r.record, "expr": r.expr }),
        Rule::Alert(a) => {
            let mut labels = serde_json::Map::new();
            labels.insert(SEVERITY.to_owned(), json!(a.severity.as_str()));
            for (k, v) in &a.labels {
                labels.insert(k.clone(), json!(v));
            }
            json!({
                "alert": a.name,
                "expr": a.expr,
                "for": a.for_,
                "labels": labels,
                "annotations": a.annotations,
            })
        }
    }
}

/// Input series, test names, checks.
type MergedTest = (Arc<Vec<(String, String)>>, Vec<String>, Vec<Value>);

/// promtool's unit-test file for one group: every case of every alert.
fn tests_json(group: &RuleGroup) -> Value {
    let depth = group.file.matches('/').count() + 1;
    let up = "../".repeat(depth);
    let mut rule_files: Vec<String> = group.needs.iter().map(|n| format!("{up}{n}")).collect();
    rule_files.push(format!("{up}{}", group.file));
    // Cases with the same input series become one test with several
    // checks: each service's three traffic shapes are evaluated once for all
    // four of its objective alerts (promtool's cost is per test).
    let mut tests: Vec<MergedTest> = Vec::new();
    for rule in &group.rules {
        let Rule::Alert(alert) = rule else { continue };
        for case in &alert.cases {
            let expected: Vec<Value> = case
                .firing
                .iter()
                .map(|labels| {
                    json!({
                        "exp_labels": labels,
                        "exp_annotations": expand(&alert.annotations, labels),
                    })
                })
                .collect();
            let check = json!({
                "eval_time": format!("{}m", case.eval_minutes),
                "alertname": alert.name,
                "exp_alerts": expected,
            });
            let name = format!("{}: {}", alert.name, case.description);
            match tests
                .iter_mut()
                .find(|(series, _, _)| *series == case.series)
            {
                Some((_, names, checks)) => {
                    names.push(name);
                    checks.push(check);
                }
                None => tests.push((case.series.clone(), vec![name], vec![check])),
            }
        }
    }
    let tests: Vec<Value> = tests
        .into_iter()
        .map(|(series, names, checks)| {
            let series: Vec<Value> = series
                .iter()
                .map(|(s, v)| json!({ "series": s, "values": v }))
                .collect();
            json!({
                "name": names.join("; "),
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": checks,
            })
        })
        .collect();
    json!({
        "rule_files": rule_files,
        "evaluation_interval": "1m",
        "tests": tests,
    })
}

/// Annotation templates with `{{ $labels.x }}` filled in, as Prometheus
/// renders them for the expected alert.
pub(crate) fn expand(
    annotations: &BTreeMap<String, String>,
    labels: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    annotations
        .iter()
        .map(|(k, template)| {
            let mut text = template.clone();
            for (name, value) in labels {
                text = text.replace(&format!("{{{{ $labels.{name} }}}}"), value);
            }
            (k.clone(), text)
        })
        .collect()
}
