//! The monitoring servers' size, derived from the model: how many active
//! series each VPC's VictoriaMetrics cluster holds, how fast they arrive,
//! and the disk and memory each storage node needs for the retention the
//! spec asks for. `landfall show` prints it; the synthesis sizes the
//! storage hosts and their volumes from it.
//!
//! The figures come from VictoriaMetrics' capacity planning
//! (<https://docs.victoriametrics.com/guides/understand-your-setup-size/>,
//! <https://docs.victoriametrics.com/cluster-victoriametrics/#capacity-planning>):
//! active series are the series pushed by one application times the number
//! of applications; replication multiplies them; keep 20 % of the data
//! disk and 50 % of the RAM free for bursts. Production averages 0.4 bytes
//! per stored sample and about 1.5 KiB of RAM per active series (4.3 GB for
//! 2.8 million series in VictoriaMetrics' published benchmark against
//! Prometheus); the constants below round both up.

use serde::Serialize;

use crate::model::{EnvId, Model, Vpc};

/// The `observability.metrics.backend` the monitoring servers are for.
pub const VICTORIA_METRICS: &str = "victoria-metrics";

/// Active series one service writes when the spec does not say
/// (`observability.metrics.series_per_service`): its application metrics,
/// the log agent's and the Telegraf sidecar's own, over all its tasks.
pub const DEFAULT_SERIES_PER_SERVICE: u64 = 2_000;

/// vminsert's port, where every Telegraf agent writes (through its load
/// balancer in the VPC's shared data subnets).
pub const VMINSERT_PORT: u16 = 8480;

/// The private zone naming each VPC's monitoring servers (in the
/// networking account, associated with the VPC), and the names in it.
pub fn zone_name(slug: &str) -> String {
    format!("metrics.{slug}.internal")
}

pub fn vminsert_host(slug: &str, region: &str) -> String {
    format!("vminsert.{region}.{}", zone_name(slug))
}

pub fn vmselect_host(slug: &str, region: &str) -> String {
    format!("vmselect.{region}.{}", zone_name(slug))
}

/// The baseline's SSM Automation runbook that cleans a metal host's disk
/// (in every member account and region), which `landfall heal` starts on
/// `MetalHostDiskAlmostFull`.
pub const DISK_CLEANUP_DOCUMENT: &str = "Landfall-DiskCleanup";
/// Its parameter naming the remediation action that started it (read back
/// after a crash to know whether the action ran); the other is `InstanceId`.
pub const DISK_CLEANUP_ACTION_PARAMETER: &str = "ActionId";
/// What the runbook runs on the host: images no task has used for a day
/// (the ECS agent keeps what runs), the journal over 500 MB, rotated agent
/// logs older than two days.
pub const DISK_CLEANUP: [&str; 3] = [
    "docker image prune --all --force --filter until=24h",
    "journalctl --vacuum-size=500M",
    "find /var/log/ecs -name '*.log.*' -mtime +2 -delete",
];

/// A domain's internal load balancer in an environment, by its name in the
/// zone of the VPC it runs in (the workload layer's `-names` stack of the
/// domain's account stack), which Zabbix's probes reach: the load balancer
/// routes to a service on its header, so one name serves them all.
pub fn load_balancer_host(slug: &str, domain: &str, environment: &str) -> String {
    format!("{domain}.{environment}.lb.{}", zone_name(slug))
}

/// Jaeger's collector (OTLP) and query service in a VPC that runs Jaeger:
/// records in that VPC's zone, region-free because only the VPC itself
/// reaches its Jaeger (the OpenTelemetry gateway and Grafana run in it).
pub fn jaeger_collector_host(slug: &str) -> String {
    format!("jaeger-collector.{}", zone_name(slug))
}

pub fn jaeger_query_host(slug: &str) -> String {
    format!("jaeger-query.{}", zone_name(slug))
}

/// Jaeger's query port, which Grafana's Jaeger data source reads.
pub const JAEGER_QUERY_PORT: u16 = 16686;

/// The stack holding a VPC's zone (in the VPC owner's account).
pub fn dns_stack(slug: &str, vpc: &str) -> String {
    format!("{slug}-monitoring-dns-{vpc}")
}

/// Alertmanager's load balancer in the VPC the remediation service runs
/// in, where the service pages when it holds back on purpose.
pub fn alertmanager_host(slug: &str, region: &str) -> String {
    format!("alertmanager.{region}.{}", zone_name(slug))
}

/// The remediation service's name in every VPC with monitoring servers:
/// a record in the VPC's zone for the interface endpoint of the service's
/// endpoint service (PrivateLink), so Alertmanager's one configuration
/// works in every VPC. The service's certificate names it too.
pub fn remediation_host(slug: &str) -> String {
    format!("remediation.{}", zone_name(slug))
}

/// The Zabbix server's trapper port, where active proxies connect.
pub const ZABBIX_SERVER_PORT: u16 = 10051;

/// The Zabbix server's name in every VPC with monitoring servers: a
/// record in the VPC's zone for the interface endpoint of the server's
/// endpoint service (PrivateLink), where the VPC's proxy connects.
pub fn zabbix_host(slug: &str) -> String {
    format!("zabbix.{}", zone_name(slug))
}

/// Where Alertmanager posts automatic-remediation alerts (the service's
/// `POST /alertmanager`), when `observability.remediation.webhook_url`
/// does not say.
pub fn remediation_webhook_url(slug: &str) -> String {
    format!("https://{}/alertmanager", remediation_host(slug))
}

/// The engine name in `observability.remediation.engine` that says the
/// platform's remediation jobs run on Red Hat Automation Controller: the
/// rules are exported as ansible-rulebook rulebooks, the alert path gives
/// Event-Driven Ansible a queue of its own ([`EDA_QUEUE`]), and the
/// remediation service shadows it (decides and journals, acts on
/// nothing), so one engine acts on each alert.
pub const AUTOMATION_CONTROLLER: &str = "automation-controller";

/// The engine name that says the remediation service acts.
pub const LANDFALL_ENGINE: &str = "landfall";

/// The values `observability.remediation.engine` may take.
pub const REMEDIATION_ENGINES: [&str; 2] = [LANDFALL_ENGINE, AUTOMATION_CONTROLLER];

/// The queue of each alert path that Event-Driven Ansible reads, when
/// Automation Controller is the engine: the bus delivers every event to it
/// and to the service's queue (SQS gives a message to one reader, so the
/// two cannot share one).
pub const EDA_QUEUE: &str = "landfall-eda-events";

/// Whether remediation jobs run on Automation Controller.
pub fn runs_on_automation_controller(model: &Model) -> bool {
    model
        .observability
        .as_ref()
        .and_then(|o| o.remediation.as_ref())
        .is_some_and(|r| r.engine == AUTOMATION_CONTROLLER)
}

/// The regions with an alert path of their own (a bus, the queues, a
/// journal and the remediation service): every region with a remediation
/// VPC (`NetworkLayout::remediation_vpcs`), the home region first when it
/// has one; the home region alone when none has (then nothing runs the
/// service). An interface endpoint serves its own region only, so a
/// service acts on its own region's targets; events of a region without
/// an alert path go to the first one's bus, where a service reads them: a
/// path without a service would keep them unread until SQS dropped them.
pub fn alert_regions(model: &Model) -> Vec<String> {
    let home = &model.region(model.organization.home_region).name;
    let mut regions: Vec<String> = Vec::new();
    for vpc in &model.network.remediation_vpcs {
        let name = &model.region(model.vpc(*vpc).region).name;
        if !regions.contains(name) {
            regions.push(name.clone());
        }
    }
    if let Some(at) = regions.iter().position(|r| r == home) {
        let home = regions.remove(at);
        regions.insert(0, home);
    }
    if regions.is_empty() {
        regions.push(home.clone());
    }
    regions
}

/// Alerts that no metrics rule raises: the remediation service derives them
/// from AWS events on its queue (`landfall_heal::signal`), so
/// `observability.remediation.automatic` may name them although neither
/// vmalert nor a CloudWatch alarm does, and they never pass Alertmanager.
/// `GuardDutyHighSeverityInstanceFinding`: a GuardDuty finding of high or
/// critical severity (7 or more) about an EC2 instance
/// (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings-severity.html).
/// `MetalHostRetiring`: AWS Health has scheduled the retirement of an
/// instance, or reports its instance store degraded
/// ([`EC2_RETIREMENT_EVENTS`]).
pub const EVENT_ALERTS: &[&str] = &[GUARDDUTY_INSTANCE_ALERT, METAL_HOST_RETIRING];

/// The alert an instance AWS retires becomes, one per affected instance.
pub const METAL_HOST_RETIRING: &str = "MetalHostRetiring";

/// AWS Health's EC2 event types that say an instance's hardware is going
/// away or failing: it is better replaced now, drained, than when AWS
/// stops it (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-retirement.html,
/// https://docs.aws.amazon.com/health/latest/ug/cloudwatch-events-health.html).
pub const EC2_RETIREMENT_EVENTS: &[&str] = &[
    "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED",
    "AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED",
    "AWS_EC2_INSTANCE_STORE_DRIVE_PERFORMANCE_DEGRADED",
];

/// Alerts that only the workload layer's CloudWatch alarms raise, never
/// vmalert: their alarm's state changes reach the remediation service (and
/// the Automation Controller's rulebook on the platform's queue) through
/// the alerting layer's queue, never through Alertmanager, so
/// `observability.remediation.automatic` may name them without a metrics
/// rule. `AuroraWriterUnavailable`: the generated rules cannot name an
/// Aurora cluster (its identifier is CloudFormation's, chosen at deploy),
/// the store's own stack can (`Ref`).
pub const ALARM_ALERTS: &[&str] = &[AURORA_WRITER_UNAVAILABLE];

/// An Aurora cluster's writer has reported no `EngineUptime` for five
/// minutes (the `WRITER` role's series): it is down or hung and Aurora has
/// not failed over by itself.
pub const AURORA_WRITER_UNAVAILABLE: &str = "AuroraWriterUnavailable";

/// The tag an Aurora failover leaves on the cluster: the action's id and
/// the writer before it (`<action>/<instance>`), read back after a crash.
pub const FAILOVER_BY_TAG: &str = "landfall:failover-by";

/// The alert a high-severity GuardDuty finding about an instance becomes.
pub const GUARDDUTY_INSTANCE_ALERT: &str = "GuardDutyHighSeverityInstanceFinding";

/// GuardDuty's lowest high severity: 7.0 to 8.9 is high, 9.0 to 10.0 critical.
pub const GUARDDUTY_HIGH_SEVERITY: f64 = 7.0;

/// The tag the workload layer puts on the group a metal host is
/// quarantined in (value `true`), beside `landfall:domain`.
pub const QUARANTINE_TAG: &str = "landfall:quarantine";
/// The tag a quarantine leaves on the instance: the action's id.
pub const QUARANTINED_BY_TAG: &str = "landfall:quarantined-by";
/// The tag a quarantine leaves on each interface: the groups it had, for
/// the human who lets the host back.
pub const GROUPS_BEFORE_TAG: &str = "landfall:groups-before";

/// The URL a Telegraf agent writes to: vminsert's Influx line-protocol
/// endpoint for tenant 0.
pub fn vminsert_influx_url(slug: &str, region: &str) -> String {
    format!(
        "http://{}:{VMINSERT_PORT}/insert/0/influx",
        vminsert_host(slug, region)
    )
}

/// The shared data subnets the monitoring servers run in: those of a
/// tier no domain owns, shared with the observability account.
pub fn server_subnets<'a>(model: &'a Model, vpc: &Vpc) -> Vec<&'a crate::model::Subnet> {
    if !enabled(model) {
        return Vec::new();
    }
    let Some(account) = model.core_account(landfall_spec::types::AccountClass::Observability)
    else {
        return Vec::new();
    };
    let mut subnets: Vec<&crate::model::Subnet> = model
        .network
        .subnets
        .iter()
        .filter(|s| {
            s.vpc == vpc.id
                && s.domain.is_none()
                && model.tier(s.tier).kind == landfall_spec::types::TierKind::Data
                && s.shared_with.contains(&account.id)
        })
        .collect();
    subnets.sort_by_key(|s| s.az);
    subnets.dedup_by_key(|s| s.az);
    subnets
}

/// The VPCs that get monitoring servers (and so an Alertmanager and a
/// Zabbix proxy): those with shared data subnets in two AZs at least, in
/// model order.
pub fn server_vpcs(model: &Model) -> Vec<&Vpc> {
    model
        .network
        .vpcs
        .iter()
        .filter(|vpc| server_subnets(model, vpc).len() >= 2)
        .filter(|vpc| cluster_size(model, vpc).is_some())
        .collect()
}

/// The VPC the Zabbix server runs in, when it runs: Grafana's, the
/// remediation service's VPC with monitoring servers.
pub fn zabbix_server_vpc(model: &Model) -> Option<&Vpc> {
    let home = model.network.remediation_vpc?;
    server_vpcs(model).into_iter().find(|vpc| vpc.id == home)
}

/// The Zabbix proxy of a VPC (its `Hostname`), when the server runs and
/// the VPC has monitoring servers, whose first host runs it.
pub fn zabbix_proxy(model: &Model, vpc: &Vpc) -> Option<String> {
    zabbix_server_vpc(model)?;
    server_vpcs(model)
        .iter()
        .any(|v| v.id == vpc.id)
        .then(|| zabbix_proxy_name(&vpc.name))
}

/// The name of a VPC's Zabbix proxy.
pub fn zabbix_proxy_name(vpc: &str) -> String {
    format!("landfall-{vpc}")
}

/// Storage nodes: one per AZ, so losing an AZ loses one copy.
pub const STORAGE_NODES: u64 = 3;
/// Copies vminsert writes of every sample (`-replicationFactor`): one AZ
/// may be lost without losing data or failing queries.
pub const REPLICATION_FACTOR: u64 = 2;
/// Bytes a stored sample takes on disk, provisioned (production averages
/// 0.4; high-churn labels and merges need more).
pub const BYTES_PER_SAMPLE: u64 = 1;
/// Share of the data disk kept free (percent).
pub const FREE_DISK_PERCENT: u64 = 20;
/// RAM an active series takes on a storage node (bytes, rounded up).
pub const RAM_PER_SERIES: u64 = 2_048;
/// Share of RAM kept free (percent).
pub const FREE_RAM_PERCENT: u64 = 50;
/// RAM the host keeps for vminsert, vmselect, vmalert, Alertmanager and
/// the operating system (bytes).
pub const HOST_OVERHEAD_RAM: u64 = 4 << 30;
/// The smallest data volume (GiB): room for the index of a young cluster.
pub const MIN_VOLUME_GIB: u64 = 50;

/// Storage host types, smallest first: memory-optimized, Nitro (EBS as
/// NVMe), not burstable, offered in every commercial region
/// (<https://docs.aws.amazon.com/ec2/latest/instancetypes/mo.html>).
/// (type, GiB of memory, vCPUs).
pub const STORAGE_HOST_TYPES: &[(&str, u64, u64)] = &[
    ("r7i.large", 16, 2),
    ("r7i.xlarge", 32, 4),
    ("r7i.2xlarge", 64, 8),
    ("r7i.4xlarge", 128, 16),
    ("r7i.8xlarge", 256, 32),
    ("r7i.16xlarge", 512, 64),
];

/// One cluster's size (one per VPC: an environment in a region).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterSize {
    pub vpc: String,
    pub services: u64,
    pub series_per_service: u64,
    /// services × series per service.
    pub active_series: u64,
    pub scrape_interval_seconds: u64,
    /// active series ÷ scrape interval.
    pub samples_per_second: u64,
    pub retention_days: u64,
    /// samples/s × replication × retention × bytes per sample, over the
    /// nodes, with the free share on top (GiB, at least the minimum).
    pub volume_gib_per_node: u64,
    /// active series × replication ÷ nodes × RAM per series, doubled for
    /// the free share, plus the host's overhead (GiB).
    pub memory_gib_per_node: u64,
    /// The smallest host type with that memory (the largest if none has).
    pub instance_type: &'static str,
    /// Its vCPUs (what the account's vCPU quota counts).
    pub vcpus_per_host: u64,
}

/// Active series one service writes, as the spec says or by default.
pub fn series_per_service(model: &Model) -> u64 {
    model
        .observability
        .as_ref()
        .and_then(|o| o.metrics.series_per_service)
        .map_or(DEFAULT_SERIES_PER_SERVICE, u64::from)
}

/// Whether the platform runs the monitoring servers: the spec asks for
/// VictoriaMetrics.
pub fn enabled(model: &Model) -> bool {
    model
        .observability
        .as_ref()
        .is_some_and(|o| o.metrics.backend == VICTORIA_METRICS)
}

/// The size of the cluster in a VPC; `None` without monitoring.
pub fn cluster_size(model: &Model, vpc: &Vpc) -> Option<ClusterSize> {
    let metrics = &model.observability.as_ref()?.metrics;
    if metrics.backend != VICTORIA_METRICS {
        return None;
    }
    let services = services_in(model, vpc.environment);
    let per_service = series_per_service(model);
    Some(size(
        &vpc.name,
        services,
        per_service,
        u64::from(metrics.scrape_interval_seconds),
        u64::from(metrics.retention_days),
    ))
}

/// Every cluster's size, in VPC order.
pub fn cluster_sizes(model: &Model) -> Vec<ClusterSize> {
    model
        .network
        .vpcs
        .iter()
        .filter_map(|vpc| cluster_size(model, vpc))
        .collect()
}

fn services_in(model: &Model, env: EnvId) -> u64 {
    model
        .services
        .iter()
        .filter(|s| s.environments.contains(&env))
        .count() as u64
}

/// The formula, on plain numbers.
pub fn size(
    vpc: &str,
    services: u64,
    series_per_service: u64,
    scrape_interval_seconds: u64,
    retention_days: u64,
) -> ClusterSize {
    const GIB: u64 = 1 << 30;
    let active_series = services.saturating_mul(series_per_service);
    let interval = scrape_interval_seconds.max(1);
    let samples_per_second = active_series.div_ceil(interval);
    let stored_bytes = samples_per_second
        .saturating_mul(REPLICATION_FACTOR)
        .saturating_mul(retention_days.saturating_mul(86_400))
        .saturating_mul(BYTES_PER_SAMPLE);
    let per_node = stored_bytes.div_ceil(STORAGE_NODES);
    let with_free = per_node.saturating_mul(100) / (100 - FREE_DISK_PERCENT);
    let volume_gib_per_node = with_free.div_ceil(GIB).max(MIN_VOLUME_GIB);
    let series_per_node = active_series
        .saturating_mul(REPLICATION_FACTOR)
        .div_ceil(STORAGE_NODES);
    let index_ram = series_per_node.saturating_mul(RAM_PER_SERIES);
    let ram = index_ram.saturating_mul(100) / (100 - FREE_RAM_PERCENT) + HOST_OVERHEAD_RAM;
    let memory_gib_per_node = ram.div_ceil(GIB);
    let (instance_type, vcpus_per_host) = STORAGE_HOST_TYPES
        .iter()
        .find(|(_, gib, _)| *gib >= memory_gib_per_node)
        .or(STORAGE_HOST_TYPES.last())
        .map_or(("r7i.large", 2), |(name, _, vcpus)| (*name, *vcpus));
    ClusterSize {
        vpc: vpc.to_owned(),
        services,
        series_per_service,
        active_series,
        scrape_interval_seconds: interval,
        samples_per_second,
        retention_days,
        volume_gib_per_node,
        memory_gib_per_node,
        instance_type,
        vcpus_per_host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_formula_on_round_numbers() {
        // 100 services × 2,000 series = 200,000 series; every 15 s is
        // 13,334 samples/s; × 2 copies × 400 days × 1 byte = 921.6 GB over
        // 3 nodes = 307.2 GB each, ÷ 0.8 = 384 GB = 358 GiB.
        let s = size("prod-eu-central-1", 100, 2_000, 15, 400);
        assert_eq!(s.active_series, 200_000);
        assert_eq!(s.samples_per_second, 13_334);
        assert_eq!(s.volume_gib_per_node, 358);
        // 133,334 series per node × 2 KiB × 2 + 4 GiB = 4.5 GiB → 5.
        assert_eq!(s.memory_gib_per_node, 5);
        assert_eq!(s.instance_type, "r7i.large");
    }

    #[test]
    fn a_small_cluster_gets_the_minimum_volume_and_a_large_one_a_larger_host() {
        assert_eq!(
            size("dev", 1, 100, 15, 7).volume_gib_per_node,
            MIN_VOLUME_GIB
        );
        // 10,000 services × 2,000 = 20 M series; 13.3 M per node × 4 KiB
        // × 2 = 51 GiB + 4 → 55 GiB: r7i.2xlarge (64 GiB).
        assert_eq!(
            size("big", 10_000, 2_000, 15, 30).instance_type,
            "r7i.2xlarge"
        );
    }

    #[test]
    fn the_reference_runs_a_cluster_on_three_shared_data_subnets_of_every_vpc() {
        let resolved = crate::reference();
        let Some(model) = resolved.model.as_ref() else {
            panic!("the reference resolves");
        };
        assert!(enabled(model));
        for vpc in &model.network.vpcs {
            let subnets = server_subnets(model, vpc);
            assert_eq!(subnets.len(), 3, "{}", vpc.name);
            assert!(subnets
                .iter()
                .all(|s| model.tier(s.tier).kind == landfall_spec::types::TierKind::Data));
        }
        assert_eq!(cluster_sizes(model).len(), model.network.vpcs.len());
    }

    #[test]
    fn sizes_grow_with_services_and_retention() {
        let base = size("v", 50, 2_000, 15, 400);
        assert!(size("v", 500, 2_000, 15, 400).volume_gib_per_node > base.volume_gib_per_node);
        assert!(size("v", 50, 2_000, 15, 800).volume_gib_per_node > base.volume_gib_per_node);
        assert!(size("v", 50, 2_000, 60, 400).volume_gib_per_node < base.volume_gib_per_node);
    }
}
