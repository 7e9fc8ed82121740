//! The resolved platform. Built only by [`crate::resolve`]; immutable after.
//!
//! Cross references are typed indexes into the model's lists, checked during
//! resolution, so code downstream never looks a name up or meets a dangling
//! reference. Every element keeps the spec [`Pointer`] it came from (derived
//! elements point at what they were derived from), so a finding on anything
//! built from the model can still name the YAML line behind it.

use std::collections::BTreeMap;

use ipnet::Ipv4Net;
use landfall_spec::types::{
    AccountClass, ControlMode, EgressMode, Engine, GuardrailId, Ingress, Owner, TierKind,
    WorkloadClass,
};
use landfall_spec::Pointer;
use serde::Serialize;

use crate::limits::Limits;

macro_rules! id {
    ($($name:ident),*) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub u32);

        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }

            pub(crate) fn from_index(index: usize) -> Self {
                Self(u32::try_from(index).unwrap_or(u32::MAX))
            }
        }
    )*};
}

id!(
    RegionId,
    EnvId,
    DomainId,
    OuId,
    AccountId,
    VpcId,
    TierId,
    SubnetId,
    ServiceId,
    DataStoreId,
    TopicId,
    PermissionSetId,
    GroupId
);

/// The whole platform, resolved.
#[derive(Debug, Clone, Serialize)]
pub struct Model {
    pub organization: OrganizationInfo,
    pub regions: Vec<Region>,
    pub environments: Vec<Environment>,
    pub domains: Vec<Domain>,
    pub organizational_units: Vec<OrganizationalUnit>,
    pub accounts: Vec<Account>,
    pub network: NetworkLayout,
    pub services: Vec<Service>,
    pub data_stores: Vec<DataStore>,
    pub topics: Vec<Topic>,
    pub identity: Identity,
    pub guardrails: Guardrails,
    pub cicd: Option<landfall_spec::types::Cicd>,
    pub billing: Option<Billing>,
    pub observability: Option<landfall_spec::types::Observability>,
    /// Where the `observability` section is in the spec.
    #[serde(skip)]
    pub observability_origin: Option<Pointer>,
    /// `observability.remediation.change_freezes`, with their times read.
    pub change_freezes: Vec<ChangeFreeze>,
    pub limits: Limits,
}

/// A window in which remediation acts on nothing in some environments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeFreeze {
    /// Seconds since the Unix epoch: from `from` (included) until `until`
    /// (excluded).
    pub from: i64,
    pub until: i64,
    /// `until` as the spec writes it, for the decisions' reasons.
    pub until_text: String,
    /// The environments' names; empty: every environment.
    pub environments: Vec<String>,
    pub reason: String,
}

impl ChangeFreeze {
    /// Whether the freeze holds `environment` at `now`. `None` is a target
    /// whose environment is not known before acting (an instance AWS
    /// names, a certificate): any freeze holds it, since it may be in one.
    pub fn holds(&self, environment: Option<&str>, now: i64) -> bool {
        (self.from..self.until).contains(&now)
            && (self.environments.is_empty()
                || environment.is_none_or(|e| self.environments.iter().any(|f| f == e)))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct OrganizationInfo {
    pub name: String,
    pub slug: String,
    pub email_domain: String,
    pub home_region: RegionId,
    #[serde(skip)]
    pub origin: Pointer,
}

#[derive(Debug, Clone, Serialize)]
pub struct Region {
    pub id: RegionId,
    pub name: String,
    /// AZ names used, for example `eu-central-1a`.
    pub azs: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Environment {
    pub id: EnvId,
    pub name: String,
    pub production: bool,
    pub regions: Vec<RegionId>,
    pub egress: Egress,
    #[serde(skip)]
    pub origin: Pointer,
}

#[derive(Debug, Clone, Serialize)]
pub struct Egress {
    pub mode: EgressMode,
    pub allow_domains: Vec<String>,
    pub allow_cidrs: Vec<Ipv4Net>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Domain {
    pub id: DomainId,
    pub name: String,
    pub description: Option<String>,
    pub owner: Owner,
    pub environments: Vec<EnvId>,
    pub cost_center: Option<String>,
    #[serde(skip)]
    pub origin: Pointer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OuKind {
    Root,
    Core,
    Sandbox,
    Suspended,
    Workloads,
    Domain,
    Environment,
    /// One per class of declared account (`Core/LogArchive`,
    /// `Workloads/Standalone`, ...): the accounts a config-rules StackSet
    /// deploys to, and nothing else.
    Class,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrganizationalUnit {
    pub id: OuId,
    pub name: String,
    /// Names from the root down, for example `Root/Workloads/Trading/Prod`.
    pub path: String,
    pub parent: Option<OuId>,
    /// Levels below the root (the root is 0).
    pub depth: usize,
    pub kind: OuKind,
    pub domain: Option<DomainId>,
    pub environment: Option<EnvId>,
    /// The account class of an OU of kind [`OuKind::Class`].
    pub class: Option<AccountClass>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    pub email: String,
    pub class: AccountClass,
    pub ou: OuId,
    pub domain: Option<DomainId>,
    pub environment: Option<EnvId>,
    pub owner: Owner,
    /// Where it was declared, or the domain it was derived from.
    #[serde(skip)]
    pub origin: Pointer,
}

/// VPCs and the subnets they hold; addresses are allocated by the address
/// planner, not here.
#[derive(Debug, Clone, Serialize)]
pub struct NetworkLayout {
    pub address_space: Ipv4Net,
    pub vpc_prefix_length: u8,
    pub plan_for: landfall_spec::types::Capacity,
    pub tiers: Vec<Tier>,
    pub vpcs: Vec<Vpc>,
    pub subnets: Vec<Subnet>,
    /// The public zone origin names live in (`network.dns`).
    pub dns: Option<PublicDns>,
    /// The account the internal scanners run in (`network.scanner`).
    pub scanner: Option<AccountId>,
    /// The account that searches the platform's logs (the observability
    /// account, when the spec has an `observability` section): it holds an
    /// OpenSearch domain in the data subnets of every VPC, shared with it,
    /// beside the log cluster its consumers read.
    pub log_search: Option<AccountId>,
    /// The VPC whose endpoints subnets run the home region's remediation
    /// service's tasks (shared with the account holding the alert path),
    /// when the spec lets machines act on alerts.
    pub remediation_vpc: Option<VpcId>,
    /// The VPC of every region with VPCs that runs that region's
    /// remediation service (the home region's is `remediation_vpc`): an
    /// interface endpoint serves only its own region, so a service acts on
    /// the targets of its own region only.
    pub remediation_vpcs: Vec<VpcId>,
    #[serde(skip)]
    pub origin: Pointer,
}

/// The public DNS zone the platform names the origins of its public
/// services in: each domain and environment with public services gets a
/// zone `<domain>.<environment>.<zone>` of its own, delegated from it.
#[derive(Debug, Clone, Serialize)]
pub struct PublicDns {
    pub zone: String,
    pub hosted_zone_id: String,
    /// The account holding the zone.
    pub account: AccountId,
    #[serde(skip)]
    pub origin: Pointer,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tier {
    pub id: TierId,
    pub name: String,
    pub kind: TierKind,
    pub prefix_length: u8,
    pub per_domain: bool,
    pub environments: Vec<EnvId>,
    #[serde(skip)]
    pub origin: Pointer,
}

#[derive(Debug, Clone, Serialize)]
pub struct Vpc {
    pub id: VpcId,
    /// For example `prod-eu-central-1`.
    pub name: String,
    pub region: RegionId,
    pub environment: EnvId,
    /// The networking account that owns it.
    pub account: AccountId,
}

#[derive(Debug, Clone, Serialize)]
pub struct Subnet {
    pub id: SubnetId,
    /// For example `prod-eu-central-1-app-trading-a`.
    pub name: String,
    pub vpc: VpcId,
    pub tier: TierId,
    /// Index of the AZ in its region's `azs`.
    pub az: usize,
    pub domain: Option<DomainId>,
    /// Workload accounts the subnet is shared with through RAM.
    pub shared_with: Vec<AccountId>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Service {
    pub id: ServiceId,
    pub name: String,
    pub domain: DomainId,
    pub description: Option<String>,
    pub environments: Vec<EnvId>,
    pub cpu: u32,
    pub memory: u32,
    pub port: u16,
    pub health_check_path: String,
    pub tasks: TaskCounts,
    pub latency_sensitive: bool,
    pub ingress: Ingress,
    pub data_stores: Vec<DataStoreId>,
    pub produces: Vec<TopicId>,
    pub consumes: Vec<TopicId>,
    pub calls: Vec<ServiceId>,
    /// `<github organization>/<repository>`.
    pub repository: String,
    /// The image tag of the first deployment, when the spec names one.
    pub image_tag: Option<String>,
    pub monitoring: ServiceMonitoring,
    #[serde(skip)]
    pub origin: Pointer,
}

/// Where a service's metrics are read and what it promises, defaults applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceMonitoring {
    pub metrics_port: u16,
    pub metrics_path: String,
    pub slo: Slo,
    pub logs: ServiceLogs,
}

/// How a service writes its logs and how much, defaults applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ServiceLogs {
    pub format: landfall_spec::types::LogFormat,
    /// Peak volume in one region, all tasks together.
    pub volume_kib_per_second: u32,
}

/// Tag of the image a service's stack starts with when the spec names none:
/// its pipeline's first run pushes it beside the commit's tag (a declared
/// input of the stack); later deployments are the pipeline's.
pub const DEFAULT_IMAGE_TAG: &str = "bootstrap";

impl Service {
    /// The tag of the service's first image: the spec's, or [`DEFAULT_IMAGE_TAG`].
    pub fn first_image_tag(&self) -> &str {
        self.image_tag.as_deref().unwrap_or(DEFAULT_IMAGE_TAG)
    }
}

impl ServiceLogs {
    /// The volume assumed when the spec declares none.
    pub const DEFAULT_VOLUME_KIB_PER_SECOND: u32 = 64;
}

/// Service-level objectives over a 30-day window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Slo {
    /// Percent of requests without a server error.
    pub availability_percent: f64,
    /// Latency threshold in milliseconds.
    pub latency_ms: u32,
    /// Percent of requests within `latency_ms`.
    pub latency_percent: f64,
    /// Whether the spec left every objective to the latency-class default.
    pub defaulted: bool,
}

impl Slo {
    /// Objectives of a latency-sensitive service (metal, trading path) when
    /// the spec names none: a tighter budget and a threshold in milliseconds.
    pub const LATENCY_SENSITIVE: Slo = Slo {
        availability_percent: 99.95,
        latency_ms: 25,
        latency_percent: 99.0,
        defaulted: true,
    };
    /// Objectives of every other service when the spec names none.
    pub const GENERAL: Slo = Slo {
        availability_percent: 99.9,
        latency_ms: 500,
        latency_percent: 99.0,
        defaulted: true,
    };
}

/// Task counts with the load they were sized for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TaskCounts {
    pub min: u32,
    pub max: u32,
    pub peak_rps: Option<u32>,
    pub rps_per_task: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DataStore {
    pub id: DataStoreId,
    pub name: String,
    pub domain: DomainId,
    pub environments: Vec<EnvId>,
    pub workload: WorkloadClass,
    pub engine: Engine,
    #[serde(skip)]
    pub origin: Pointer,
}

impl DataStore {
    /// Databases in the blueprint's sense: relational, key-value, in-memory;
    /// message buses are not.
    pub fn is_database(&self) -> bool {
        !matches!(self.engine, Engine::Msk { .. })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Topic {
    pub id: TopicId,
    pub name: String,
    pub cluster: DataStoreId,
    pub partitions: u32,
    pub retention_hours: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    pub identity_source: String,
    pub permission_sets: Vec<PermissionSet>,
    pub groups: Vec<Group>,
    pub on_call: Vec<OnCall>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PermissionSet {
    pub id: PermissionSetId,
    pub name: String,
    pub description: Option<String>,
    pub managed_policies: Vec<String>,
    pub session_hours: u8,
    /// The inline policy document (compact JSON), when the spec gives
    /// statements.
    pub inline_policy: Option<String>,
    /// Whether the set may read data; `false` is proven.
    pub data_access: bool,
    #[serde(skip)]
    pub origin: Pointer,
}

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub id: GroupId,
    pub name: String,
    /// Standing access: permission set on accounts.
    pub access: Vec<(PermissionSetId, Vec<AccountId>)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OnCall {
    pub group: GroupId,
    pub permission_set: PermissionSetId,
    pub accounts: Vec<AccountId>,
    pub max_hours: u8,
    /// Who approves a grant; `None`: grants need no approval.
    pub approvers: Option<GroupId>,
    /// Whether a grant may start before approval and be reviewed after.
    pub break_glass: bool,
    #[serde(skip)]
    pub origin: Pointer,
}

#[derive(Debug, Clone, Serialize)]
pub struct Guardrails {
    pub allowed_regions: Vec<RegionId>,
    /// Allowed IAM service prefixes per environment; environments absent here
    /// are not restricted by service.
    pub allowed_services: BTreeMap<EnvId, Vec<String>>,
    pub denied_instance_families: Vec<String>,
    pub controls: BTreeMap<GuardrailId, ControlMode>,
}

impl Guardrails {
    pub fn mode(&self, id: GuardrailId) -> ControlMode {
        self.controls
            .get(&id)
            .copied()
            .unwrap_or(ControlMode::Preventive)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Billing {
    pub currency: String,
    pub budgets: Vec<(DomainId, landfall_spec::types::Budget)>,
    pub forecast: landfall_spec::types::ForecastPolicy,
    pub report_recipients: Vec<String>,
}

impl Model {
    pub fn region(&self, id: RegionId) -> &Region {
        &self.regions[id.index()]
    }

    pub fn environment(&self, id: EnvId) -> &Environment {
        &self.environments[id.index()]
    }

    pub fn domain(&self, id: DomainId) -> &Domain {
        &self.domains[id.index()]
    }

    pub fn account(&self, id: AccountId) -> &Account {
        &self.accounts[id.index()]
    }

    pub fn ou(&self, id: OuId) -> &OrganizationalUnit {
        &self.organizational_units[id.index()]
    }

    pub fn vpc(&self, id: VpcId) -> &Vpc {
        &self.network.vpcs[id.index()]
    }

    pub fn tier(&self, id: TierId) -> &Tier {
        &self.network.tiers[id.index()]
    }

    pub fn data_store(&self, id: DataStoreId) -> &DataStore {
        &self.data_stores[id.index()]
    }

    pub fn service(&self, id: ServiceId) -> &Service {
        &self.services[id.index()]
    }

    pub fn topic(&self, id: TopicId) -> &Topic {
        &self.topics[id.index()]
    }

    /// The single account of a core class, if the platform has one.
    pub fn core_account(&self, class: AccountClass) -> Option<&Account> {
        self.accounts.iter().find(|a| a.class == class)
    }

    /// Whether `observability.remediation.automatic` lets machines act on
    /// `alert`.
    pub fn remediates(&self, alert: &str) -> bool {
        self.observability
            .as_ref()
            .and_then(|o| o.remediation.as_ref())
            .is_some_and(|r| r.automatic.iter().any(|a| a == alert))
    }

    /// The workload account of a domain in an environment.
    pub fn workload_account(&self, domain: DomainId, environment: EnvId) -> Option<&Account> {
        self.accounts
            .iter()
            .find(|a| a.domain == Some(domain) && a.environment == Some(environment))
    }

    /// Every account but the management account.
    pub fn member_accounts(&self) -> impl Iterator<Item = &Account> {
        self.accounts
            .iter()
            .filter(|a| a.class != AccountClass::Management)
    }

    /// The member accounts a service-managed StackSet deploys to: those
    /// under any of the OUs at `ou_paths` (at any depth), and of those only
    /// the ones named in `only` when it is not empty. StackSets never
    /// deploy to the management account
    /// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-manage-auto-deployment.html>).
    pub fn accounts_under<'a>(
        &'a self,
        ou_paths: &'a [String],
        only: &'a [String],
    ) -> impl Iterator<Item = &'a Account> + 'a {
        let targets: Vec<OuId> = self
            .organizational_units
            .iter()
            .filter(|o| ou_paths.contains(&o.path))
            .map(|o| o.id)
            .collect();
        self.member_accounts().filter(move |account| {
            let mut ou = Some(account.ou);
            let mut under = false;
            while let Some(id) = ou {
                if targets.contains(&id) {
                    under = true;
                    break;
                }
                ou = self.ou(id).parent;
            }
            under && (only.is_empty() || only.contains(&account.name))
        })
    }
}

#[cfg(test)]
mod freeze_tests {
    use super::ChangeFreeze;

    #[test]
    fn a_freeze_holds_its_environments_and_targets_of_unknown_environment_while_it_lasts() {
        let freeze = ChangeFreeze {
            from: 100,
            until: 200,
            until_text: String::new(),
            environments: vec!["prod".to_owned()],
            reason: String::new(),
        };
        assert!(freeze.holds(Some("prod"), 100));
        assert!(freeze.holds(Some("prod"), 199));
        assert!(!freeze.holds(Some("prod"), 200), "`until` is excluded");
        assert!(!freeze.holds(Some("prod"), 99));
        assert!(!freeze.holds(Some("dev"), 150));
        assert!(freeze.holds(None, 150), "it may be in production");
        let everywhere = ChangeFreeze {
            environments: Vec::new(),
            ..freeze
        };
        assert!(everywhere.holds(Some("dev"), 150));
    }
}
