//! The typed spec: what a platform team writes, one section at a time.
//!
//! Every type here derives `JsonSchema`, and the JSON Schema generated from them
//! (`landfall schema`) is both what editors use and what [`crate::load`] checks
//! each file against before deserializing, so the two can never disagree.
//! Field docs are the spec's reference documentation. Where the blueprint is
//! silent, the default chosen is written in the field's doc.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One YAML file of a spec directory. Every section is optional in a file;
/// singleton sections (`organization`, `network`, ...) must appear in exactly
/// one file of the directory, list sections (`domains`, `accounts`,
/// `data_stores`, `services`) are merged across files, and `service` lets a
/// file hold one service.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Landfall spec file")]
pub struct SpecFile {
    /// The organization: name, regions, environments and OU layout. Required in one file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<Organization>,
    /// Core and sandbox accounts. Workload accounts are derived from domains.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accounts: Option<Vec<Account>>,
    /// Business domains: the unit of ownership, accounts, subnets and budgets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domains: Option<Vec<Domain>>,
    /// SSO groups, permission sets, their assignments and on-call access.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// Preventive and detective controls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guardrails: Option<Guardrails>,
    /// Address space, VPCs, subnet tiers and egress. Required in one file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<Network>,
    /// One service (the usual form of a file under `services/`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<Service>,
    /// Several services in one file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<Service>>,
    /// Databases, caches and message buses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_stores: Option<Vec<DataStore>>,
    /// CI/CD trust and artifact stores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cicd: Option<Cicd>,
    /// Budgets, forecasts and who receives cost reports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing: Option<Billing>,
    /// Logs, metrics, tracing and alert-driven remediation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observability: Option<Observability>,
    /// Overrides of AWS limits (service quotas raised for this organization).
    /// Keys are limit names as listed by `landfall limits`; values replace the
    /// AWS default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limits: Option<std::collections::BTreeMap<String, u64>>,
}

// ---------------------------------------------------------------- organization

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// Display name of the company.
    pub name: String,
    /// Short lowercase name used as a prefix in resource and account names.
    pub slug: String,
    /// Mail domain for account root emails: each account gets
    /// `aws+<account>@<email_domain>` unless it names its own email.
    pub email_domain: String,
    /// Allowed regions; the first is the home region (organization resources,
    /// log archive, CI/CD). Requests to any other region are denied by SCP.
    pub regions: Vec<String>,
    /// Availability zones used in every region.
    #[serde(default = "default_azs")]
    pub azs_per_region: u8,
    /// The environments, in promotion order (for example dev, staging, prod).
    pub environments: Vec<Environment>,
    /// How workload OUs are nested. The blueprint organizes accounts by
    /// domain, so the default is one OU per domain with one OU per
    /// environment inside it.
    #[serde(default)]
    pub ou_layout: OuLayout,
}

fn default_azs() -> u8 {
    3
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// Lowercase name, for example `prod`.
    pub name: String,
    /// Production environments get stricter guardrails, the edge tier and
    /// on-call-only human access.
    #[serde(default)]
    pub production: bool,
    /// Regions this environment runs in; default: all allowed regions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regions: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OuLayout {
    /// `Workloads/<domain>/<environment>`: ownership first, environment SCPs
    /// attached to each domain's environment OUs.
    #[default]
    DomainEnvironment,
    /// `Workloads/<environment>/<domain>`: fewer SCP attachments, ownership second.
    EnvironmentDomain,
}

/// A core, sandbox or extra account. Workload accounts (one per domain and
/// environment) are derived and need no entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// Account name, unique in the organization (lowercase, digits, dashes).
    pub name: String,
    /// What the account is for; decides its OU, baseline and guardrails.
    pub class: AccountClass,
    /// Root email; default `aws+<name>@<email_domain>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Who answers for it; default: the platform team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum AccountClass {
    /// The organization's management (payer) account. Exactly one.
    Management,
    /// Central, write-once store of CloudTrail, Config, flow and access logs.
    LogArchive,
    /// Delegated administrator of GuardDuty, Security Hub and Config aggregation.
    SecurityTooling,
    /// Owns the VPCs and shares subnets to workload accounts through RAM.
    Networking,
    /// CI/CD: GitHub OIDC deploy roles, ECR (replicated to the regions that
    /// run tasks), CodeArtifact.
    SharedServices,
    /// Metrics, traces, dashboards and the log pipeline's consumers.
    Observability,
    /// Backups copied out of workload accounts.
    Backup,
    /// Scratch account for testing automation (isolated, budget-capped).
    Sandbox,
    /// A workload account declared by hand (normally derived from domains).
    Workload,
}

/// A business domain: owns services, data stores, accounts and a budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Domain {
    /// Lowercase name, for example `payments`.
    pub name: String,
    /// One line on what the domain does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Who owns the domain and receives its alerts and cost reports.
    pub owner: Owner,
    /// Environments the domain runs in; default: all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environments: Option<Vec<String>>,
    /// Cost centre for billing tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_center: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Owner {
    /// Team name as known to the SSO directory.
    pub team: String,
    /// Team mailbox for alerts and reports.
    pub email: String,
    /// Chat channel, for example `#payments-oncall`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<String>,
    /// PagerDuty service that pages the team (its routing key is a secret
    /// file on the Alertmanager hosts); without one, pages go to chat and email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pager: Option<String>,
}

// ---------------------------------------------------------------- identity

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// Human access is through IAM Identity Center only; IAM users are denied
    /// by guardrail. The identity source (for example an external IdP).
    #[serde(default = "default_identity_source")]
    pub identity_source: String,
    /// Permission sets, referenced by assignments and on-call access.
    pub permission_sets: Vec<PermissionSet>,
    /// Directory groups and what they may access.
    pub groups: Vec<Group>,
    /// Temporary, approved production access for on-call engineers.
    #[serde(default)]
    pub on_call: Vec<OnCallAccess>,
}

fn default_identity_source() -> String {
    "external-idp".to_owned()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PermissionSet {
    /// Name shown in the SSO portal (letters, digits, `+=,.@-`, at most 32).
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// AWS managed policies attached, by name (for example `ReadOnlyAccess`).
    #[serde(default)]
    pub managed_policies: Vec<String>,
    /// Session length in hours (1 to 12).
    #[serde(default = "default_session_hours")]
    pub session_hours: u8,
    /// Statements of the set's inline policy, beside the managed policies
    /// (for example a deny that no managed policy can widen).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inline_policy: Vec<PolicyStatement>,
    /// Whether the set may read data: S3 objects, table items, secrets.
    /// `false` is a promise `landfall iam prove` checks in every account
    /// the set is assigned to, with AWS managed policies taken as allowing
    /// everything (so only a deny keeps it).
    #[serde(default = "data_access_default")]
    pub data_access: bool,
}

fn default_session_hours() -> u8 {
    4
}

fn data_access_default() -> bool {
    true
}

/// One statement of an IAM policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyStatement {
    /// Statement id (letters and digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    pub effect: PolicyEffect,
    /// IAM actions, wildcards allowed (`s3:Get*`).
    pub actions: Vec<String>,
    /// Resource ARNs, wildcards allowed; every resource when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyEffect {
    Allow,
    Deny,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// Group name in the identity source.
    pub name: String,
    /// What the group may access standing (not on call).
    #[serde(default)]
    pub access: Vec<Assignment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// A permission set by name.
    pub permission_set: String,
    /// Which accounts the assignment covers.
    pub accounts: AccountSelector,
}

/// Selects accounts by class, domain and environment; every criterion given
/// must match, and an empty selector matches nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountSelector {
    /// Account classes (`workload` selects every domain account).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<AccountClass>,
    /// Domains by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<String>,
    /// Environments by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
    /// Accounts by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OnCallAccess {
    /// The on-call group that may request access.
    pub group: String,
    /// The permission set granted while on call.
    pub permission_set: String,
    /// The accounts it applies to (usually a domain's production account).
    pub accounts: AccountSelector,
    /// Longest grant in hours; the grant then expires on its own. At most
    /// the permission set's `session_hours`.
    pub max_hours: u8,
    /// Group whose member must approve a grant (never the requester); none
    /// means a grant needs no approval, which is only allowed outside
    /// production.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvers: Option<String>,
    /// Whether a member of the group may grant it at once in an emergency
    /// (`landfall access request --break-glass`), without waiting for an
    /// approver; an approver must then review the grant afterwards
    /// (`landfall access review`). Needs `approvers`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub break_glass: bool,
}

// ---------------------------------------------------------------- guardrails

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Guardrails {
    /// Service prefixes (as in IAM actions, for example `ecs`) allowed per
    /// environment; everything else is denied by SCP in workload accounts.
    /// The services the platform's own baseline uses in every account
    /// (Config, Access Analyzer, KMS, IAM, SSM, GuardDuty, Security Hub, ...)
    /// are always added.
    #[serde(default)]
    pub allowed_services: Vec<ServiceAllowlist>,
    /// Instance families that may not be launched anywhere. Default: the
    /// burstable families, whose CPU credits make latency unpredictable.
    #[serde(default = "default_denied_families")]
    pub denied_instance_families: Vec<String>,
    /// Each control and how it is enforced. Controls not listed use their
    /// default mode.
    #[serde(default)]
    pub controls: Vec<Control>,
}

impl Guardrails {
    /// The instance families denied when the spec lists none.
    pub fn default_denied_families() -> Vec<String> {
        default_denied_families()
    }
}

fn default_denied_families() -> Vec<String> {
    [
        "t1",
        "t2",
        "t3",
        "t3a",
        "t4g",
        "db.t2",
        "db.t3",
        "db.t4g",
        "cache.t2",
        "cache.t3",
        "cache.t4g",
        "kafka.t3",
    ]
    .map(String::from)
    .to_vec()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceAllowlist {
    /// Environment name.
    pub environment: String,
    /// IAM service prefixes allowed, for example `ecs`, `rds`, `kafka`.
    pub services: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Control {
    /// The guardrail.
    pub id: GuardrailId,
    /// How it is enforced.
    pub mode: ControlMode,
    /// Why a control is weakened or switched off; required unless `preventive`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The guardrails of the blueprint.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum GuardrailId {
    /// Only the allowed services per environment.
    ServiceAllowlist,
    /// EBS volumes and default encryption must be encrypted.
    EbsEncryption,
    /// S3 buckets keep versioning on.
    S3Versioning,
    /// No burstable instance, database or cache classes.
    NoBurstInstances,
    /// Humans sign in through SSO; no IAM users or access keys.
    SsoOnly,
    /// Shell access through Session Manager only; no SSH keys or open port 22.
    SessionManagerOnly,
    /// Dev and staging have no direct internet egress.
    EgressBlocked,
    /// CloudTrail, Config, GuardDuty and flow logs cannot be turned off.
    ProtectAuditServices,
    /// Requests only in the allowed regions.
    RegionAllowlist,
    /// Public endpoints only behind CloudFront and WAF.
    CdnInFront,
    /// Data stores encrypted at rest and in transit.
    DataEncryption,
    /// Accounts cannot leave the organization.
    StayInOrganization,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ControlMode {
    /// Prevented by SCP and detected by AWS Config.
    Preventive,
    /// Detected by AWS Config and alerted on only.
    Detective,
    /// Not enforced.
    Off,
}

// ---------------------------------------------------------------- network

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// The organization's IPv4 address space, for example `10.0.0.0/8`.
    pub address_space: String,
    /// Prefix length of each VPC (16 to 28).
    #[serde(default = "default_vpc_prefix")]
    pub vpc_prefix_length: u8,
    /// Growth the plan reserves room for, so it never has to renumber.
    pub plan_for: Capacity,
    /// Subnet tiers; each becomes one subnet per AZ (per domain where
    /// `per_domain`) in every VPC of the environments it lists.
    pub tiers: Vec<SubnetTier>,
    /// Egress per environment.
    pub egress: Vec<EgressPolicy>,
    /// The public DNS zone the origins of public services are named in.
    /// CloudFront reaches an origin over HTTPS only with a certificate from
    /// a public CA for a name in a zone the platform controls; required
    /// once a service is public where an edge tier exists.
    #[serde(default)]
    pub dns: Option<Dns>,
    /// The internal vulnerability scanner's network path: its own security
    /// group in every VPC, admitted by every group the platform creates,
    /// so scanning never needs a hand-made rule.
    #[serde(default)]
    pub scanner: Option<Scanner>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scanner {
    /// The account the scanners run in; the security-tooling account when
    /// not given. The endpoints subnets of every VPC are shared with it.
    #[serde(default)]
    pub account: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dns {
    /// The zone's name, for example `markets.example.com`, already served
    /// by Route 53 (the registrar delegates it there).
    pub public_zone: String,
    /// Its Route 53 hosted zone id (`Z` and up to 31 capitals or digits).
    pub hosted_zone_id: String,
    /// The account holding the hosted zone; the networking account when
    /// not given. Each domain gets a zone of its own under it, delegated
    /// from this account.
    #[serde(default)]
    pub account: Option<String>,
}

fn default_vpc_prefix() -> u8 {
    16
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Capacity {
    /// Most accounts the organization will ever have.
    pub accounts: u32,
    /// Most domains.
    pub domains: u32,
    /// Most environments.
    #[serde(default = "default_plan_environments")]
    pub environments: u32,
    /// Most regions.
    #[serde(default = "default_plan_regions")]
    pub regions: u32,
}

fn default_plan_environments() -> u32 {
    4
}

fn default_plan_regions() -> u32 {
    4
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubnetTier {
    /// Tier name, for example `app`.
    pub name: String,
    /// What lives in it; decides routes and sharing.
    pub kind: TierKind,
    /// Prefix length of each subnet (16 to 28).
    pub prefix_length: u8,
    /// One subnet per domain (per AZ), shared only with that domain's account.
    #[serde(default)]
    pub per_domain: bool,
    /// Environments that get this tier; default: all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environments: Option<Vec<String>>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum TierKind {
    /// Public subnets for load balancers reached through CloudFront.
    Edge,
    /// AWS Network Firewall endpoints that inspect egress.
    Firewall,
    /// Application subnets (ECS tasks and instances).
    Application,
    /// Databases, caches and brokers; no route out.
    Data,
    /// Interface VPC endpoints and transit attachments.
    Endpoints,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EgressPolicy {
    /// Environment name.
    pub environment: String,
    /// How traffic leaves the VPC.
    pub mode: EgressMode,
    /// Domain names reachable through the firewall (`inspected` only); a
    /// leading `.` allows subdomains.
    #[serde(default)]
    pub allow_domains: Vec<String>,
    /// CIDRs reachable through the firewall (`inspected` only).
    #[serde(default)]
    pub allow_cidrs: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EgressMode {
    /// No route out of the VPC at all (VPC endpoints only).
    Blocked,
    /// Out through AWS Network Firewall, only to the allowlist.
    Inspected,
    /// Out through NAT gateways, unrestricted. Not allowed in production.
    Open,
}

// ---------------------------------------------------------------- services

/// A microservice on ECS, owned by a domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Service name, unique in the platform (lowercase, digits, dashes).
    pub name: String,
    /// The domain that owns it; it runs in that domain's accounts.
    pub domain: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Environments it runs in; default: all of its domain's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environments: Option<Vec<String>>,
    /// Task size and ports.
    pub compute: Compute,
    /// Load it is sized for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaling: Option<Scaling>,
    /// Runs on metal instances (AWS's ECS-optimized AMI) in cluster
    /// placement groups of its domain's account instead of Fargate.
    #[serde(default)]
    pub latency_sensitive: bool,
    /// Who can reach it.
    #[serde(default)]
    pub ingress: Ingress,
    /// What it needs; its security groups and task role allow exactly this.
    #[serde(default)]
    pub dependencies: Dependencies,
    /// Source repository in the CI/CD GitHub organization; default: the
    /// service name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Tag (or `@sha256:` digest) of the image the service's stack is first
    /// deployed with; its pipeline pushes that image to the service's
    /// repository before the first deployment, and registers later task
    /// definitions itself. Default: `bootstrap`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_tag: Option<String>,
    /// Where its metrics agent reads it and what it promises its callers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<ServiceMonitoring>,
}

/// A service's metrics endpoint and service-level objectives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceMonitoring {
    /// Port of the Prometheus-format metrics endpoint; default: the service's port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_port: Option<u16>,
    /// Path of the metrics endpoint; default `/metrics`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_path: Option<String>,
    /// Objectives; defaults by latency class (see `landfall show service`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo: Option<Slo>,
    /// How it writes its logs and how much; default JSON lines at 64 KiB/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logs: Option<ServiceLogs>,
}

/// A service's log lines, as its log agent parses them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceLogs {
    /// Format of each line the service writes to stdout and stderr.
    #[serde(default)]
    pub format: LogFormat,
    /// Peak log volume of the service in one region, all tasks together,
    /// in KiB per second; sizes its log topic's partitions and its agents'
    /// buffers. Default 64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_kib_per_second: Option<u32>,
}

/// How a log line is parsed into fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LogFormat {
    /// One JSON object per line; its keys become fields.
    #[default]
    Json,
    /// `key=value` pairs (logfmt); the keys become fields.
    Logfmt,
    /// Unstructured text, kept whole in `message`.
    Text,
}

/// Service-level objectives over 30 days, alerted on by burn rate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Slo {
    /// Percent of requests answered without a server error, for example `99.9`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_percent: Option<f64>,
    /// The latency threshold in milliseconds; must be a bucket boundary of
    /// the service's request-duration histogram.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u32>,
    /// Percent of requests answered within `latency_ms`, for example `99`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_percent: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Compute {
    /// CPU units per task (1024 = one vCPU); Fargate sizes: 256 to 16384.
    pub cpu: u32,
    /// Memory per task in MiB; must be a valid Fargate pairing with `cpu`.
    pub memory: u32,
    /// Container port the service listens on.
    pub port: u16,
    /// HTTP path the load balancer checks.
    #[serde(default = "default_health_path")]
    pub health_check_path: String,
}

fn default_health_path() -> String {
    "/healthz".to_owned()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scaling {
    /// Tasks that always run (at least 2 in production for AZ redundancy).
    pub min_tasks: u32,
    /// Upper bound for autoscaling.
    pub max_tasks: u32,
    /// Requests per second at peak, across all tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rps: Option<u32>,
    /// Requests per second one task sustains at target utilisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rps_per_task: Option<u32>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Ingress {
    /// Reached from the internet through CloudFront and WAF only, in the
    /// environments that have an edge tier; internal in the others (a dev
    /// copy of a public API is not on the internet).
    Public,
    /// Reached by other services through an internal load balancer.
    Internal,
    /// A worker: nothing connects to it.
    #[default]
    None,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dependencies {
    /// Data stores (Aurora, Valkey, DynamoDB, Memcached) by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_stores: Vec<String>,
    /// Topics it writes to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub produces: Vec<String>,
    /// Topics it reads from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consumes: Vec<String>,
    /// Services it calls synchronously; calls must not form a cycle.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
}

// ---------------------------------------------------------------- data stores

/// A database, cache or message bus in its domain's accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataStore {
    /// Name, unique in the platform.
    pub name: String,
    /// Owning domain.
    pub domain: String,
    /// Environments it exists in; default: all of its domain's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environments: Option<Vec<String>>,
    /// Latency-sensitive stores get their own clusters, never shared with
    /// general workloads.
    #[serde(default)]
    pub workload: WorkloadClass,
    /// The engine and its settings.
    pub engine: Engine,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum WorkloadClass {
    LatencySensitive,
    #[default]
    General,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Engine {
    /// Aurora MySQL (binlog replicas possible) or PostgreSQL.
    Aurora {
        /// `mysql` or `postgresql`.
        flavor: AuroraFlavor,
        /// Instance class, for example `db.r7g.2xlarge`.
        instance_class: String,
        /// Writer plus readers (1 to 16).
        instances: u8,
        /// Analytics and heavy queries (Aurora MySQL only): reader instances
        /// of their own class in the same cluster, last in failover order,
        /// behind a custom endpoint of their own and left out of the
        /// application's reader endpoint. (A binlog replica cluster is
        /// something Aurora creates only in another region.)
        #[serde(default, skip_serializing_if = "Option::is_none")]
        binlog_replica: Option<BinlogReplica>,
    },
    /// A plain RDS instance; allowed only with a reason (prefer Aurora).
    Rds {
        engine: String,
        instance_class: String,
        /// Why Aurora does not fit.
        reason: String,
    },
    /// Valkey replication group (the migration target of Redis).
    Valkey {
        node_type: String,
        #[serde(default = "one")]
        shards: u8,
        #[serde(default = "one")]
        replicas_per_shard: u8,
    },
    /// Memcached behind Mcrouter; allowed only with a reason.
    Memcached {
        node_type: String,
        nodes: u8,
        /// Why Valkey does not fit.
        reason: String,
    },
    /// DynamoDB table.
    Dynamodb {
        /// Partition key attribute.
        partition_key: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sort_key: Option<String>,
    },
    /// MSK cluster: the platform's message bus.
    Msk {
        broker_type: String,
        /// Brokers per AZ.
        #[serde(default = "one")]
        brokers_per_az: u8,
        /// Topics carried by this cluster; names are unique platform-wide.
        topics: Vec<Topic>,
    },
}

fn one() -> u8 {
    1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AuroraFlavor {
    Mysql,
    Postgresql,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BinlogReplica {
    /// Instance class of the analytics readers.
    pub instance_class: String,
    /// How many analytics readers (with the cluster's own instances, at
    /// most 16 per cluster).
    pub instances: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    /// Topic name, for example `orders.placed`.
    pub name: String,
    #[serde(default = "default_partitions")]
    pub partitions: u32,
    /// Hours a record is kept.
    #[serde(default = "default_retention")]
    pub retention_hours: u32,
}

fn default_partitions() -> u32 {
    12
}

fn default_retention() -> u32 {
    168
}

// ---------------------------------------------------------------- ci/cd

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cicd {
    /// GitHub Actions, trusted through OIDC with assume-role per account.
    pub github: GitHub,
    /// Jenkins during the migration to GitHub Actions; also OIDC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jenkins: Option<Jenkins>,
    /// ECR settings for every service repository.
    #[serde(default)]
    pub ecr: Ecr,
    /// CodeArtifact (replaces the decommissioned Nexus).
    pub codeartifact: CodeArtifact,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GitHub {
    /// The GitHub organization trusted by the deploy roles.
    pub organization: String,
    /// Branches allowed to deploy to production.
    #[serde(default = "default_branches")]
    pub production_branches: Vec<String>,
    /// Repositories beyond the services' own (infrastructure, libraries).
    #[serde(default)]
    pub extra_repositories: Vec<String>,
    /// The repository holding this spec: it gets the platform's own
    /// pipeline (validate, check with code scanning, IAM proofs and the
    /// synthesis diff on every pull request). Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_repository: Option<String>,
}

fn default_branches() -> Vec<String> {
    vec!["main".to_owned()]
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Jenkins {
    /// OIDC issuer URL of the Jenkins controller.
    pub issuer_url: String,
    /// Date after which Jenkins trust is removed (YYYY-MM-DD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sunset: Option<String>,
    /// SHA-1 thumbprints (40 hex digits) of the top intermediate CA of the
    /// issuer's TLS certificate, for IAM to verify it. Required unless the
    /// issuer is one IAM verifies through its own CA library (GitHub,
    /// GitLab, Google, Auth0); `openssl s_client -showcerts` on the issuer's
    /// host gives the certificate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thumbprints: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ecr {
    #[serde(default = "yes")]
    pub scan_on_push: bool,
    #[serde(default = "yes")]
    pub immutable_tags: bool,
    /// Untagged images kept before expiry.
    #[serde(default = "default_keep_images")]
    pub keep_images: u32,
}

impl Default for Ecr {
    fn default() -> Self {
        Self {
            scan_on_push: true,
            immutable_tags: true,
            keep_images: default_keep_images(),
        }
    }
}

fn yes() -> bool {
    true
}

fn default_keep_images() -> u32 {
    50
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeArtifact {
    /// CodeArtifact domain name.
    pub domain: String,
    pub repositories: Vec<ArtifactRepository>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArtifactRepository {
    pub name: String,
    /// Public connection, for example `public:npmjs`, `public:pypi`, `public:maven-central`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_connection: Option<String>,
    /// Repositories in the same domain searched after this one.
    #[serde(default)]
    pub upstreams: Vec<String>,
}

// ---------------------------------------------------------------- billing

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Billing {
    /// ISO currency code of budgets.
    #[serde(default = "default_currency")]
    pub currency: String,
    /// Monthly budget per domain.
    pub budgets: Vec<Budget>,
    /// When a forecast differs enough from the budget to report.
    pub forecast: ForecastPolicy,
    /// Who receives the organization-wide report (domain owners get theirs).
    pub report_recipients: Vec<String>,
}

fn default_currency() -> String {
    "USD".to_owned()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    pub domain: String,
    /// Monthly amount in the billing currency.
    pub monthly: u64,
    /// Percentages of the budget that alert the owner.
    #[serde(default = "default_alerts")]
    pub alert_at_percent: Vec<u32>,
}

fn default_alerts() -> Vec<u32> {
    vec![80, 100]
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ForecastPolicy {
    /// Relative difference between forecast and last period that is reported.
    pub difference_percent: u32,
    /// Absolute difference that is reported whatever the percentage.
    pub difference_amount: u64,
    /// How often reports go out.
    #[serde(default)]
    pub schedule: ReportSchedule,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ReportSchedule {
    Daily,
    #[default]
    Weekly,
    Monthly,
}

// ---------------------------------------------------------------- observability

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Observability {
    pub logs: Logs,
    pub metrics: Metrics,
    pub tracing: Tracing,
    /// Security logs (CloudTrail, flow logs) to the SIEM.
    pub security: SecurityLogs,
    /// Alert-driven remediation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<Remediation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Logs {
    /// Vector agents ship application logs to this MSK data store.
    pub kafka_cluster: String,
    /// Topic the agents write to.
    pub topic: String,
    /// Days kept in S3 (the data lake).
    pub s3_retention_days: u32,
    /// Days kept searchable in OpenSearch.
    pub opensearch_retention_days: u32,
    /// A topic of its own, on the same cluster, for the domains named here
    /// (domain name to topic name); other domains' logs go to `topic`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub domain_topics: std::collections::BTreeMap<String, String>,
    /// Patterns redacted from every log record before it leaves the task,
    /// in addition to the built-in ones, which always apply: card numbers
    /// (13 to 19 digits with a card network's prefix), AWS access key ids,
    /// bearer tokens, private keys, and the values of keys named like
    /// `password`, `secret`, `token` or `api_key`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redact: Vec<Redaction>,
    /// How the log agents authenticate to the cluster. Vector's Kafka sink
    /// cannot sign in with IAM (vectordotdev/vector#1516), so the default is
    /// SASL/SCRAM-SHA-512 (MSK port 9096).
    #[serde(default)]
    pub kafka_authentication: KafkaAuthentication,
}

/// How a Kafka client proves who it is to MSK.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum KafkaAuthentication {
    /// SASL/SCRAM-SHA-512 with a user whose password is in Secrets Manager
    /// (MSK port 9096).
    #[default]
    #[serde(rename = "scram-sha-512")]
    ScramSha512,
    /// Mutual TLS with a client certificate from AWS Private CA (port 9094).
    Tls,
    /// IAM access control (port 9098); not available to Vector.
    Iam,
}

/// A pattern removed from log records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Redaction {
    /// What it removes, for example `iban`; records show `[REDACTED:<name>]`.
    pub name: String,
    /// A regular expression (Rust `regex` syntax, as VRL reads it); every
    /// match in every string value is replaced.
    pub pattern: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Metrics {
    /// Telegraf agents near the apps write here.
    #[serde(default = "default_metrics_backend")]
    pub backend: String,
    pub scrape_interval_seconds: u32,
    pub retention_days: u32,
    /// Active series one service writes, over all its tasks (application,
    /// log agent and Telegraf series); sizes the VictoriaMetrics cluster of
    /// each VPC (services × this). Default 2,000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_per_service: Option<u32>,
    /// CloudWatch namespaces pulled into Grafana.
    #[serde(default)]
    pub cloudwatch_namespaces: Vec<String>,
    /// Secondary monitoring for cross-checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secondary: Option<String>,
}

fn default_metrics_backend() -> String {
    "victoria-metrics".to_owned()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tracing {
    /// Share of requests traced (0 to 100 percent).
    pub sample_percent: u32,
    pub retention_days: u32,
    /// eBPF agent for uninstrumented services, for example `coroot`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ebpf_agent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityLogs {
    /// The SIEM, for example `panther`.
    pub siem: String,
    /// Days CloudTrail and flow logs are kept in the log archive.
    pub retention_days: u32,
    /// The AWS account the SIEM reads from (for Panther, the account id
    /// its console shows for log sources): it may subscribe to the log
    /// archive's notifications of new CloudTrail and flow-log objects and
    /// assume the log archive's read role. Without it nothing is shared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub siem_account_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Remediation {
    /// Where remediation jobs run, for example `automation-controller`.
    pub engine: String,
    /// Alerts that trigger a job without a human.
    #[serde(default)]
    pub automatic: Vec<String>,
    /// The remediation service's Alertmanager webhook; default
    /// `https://remediation.metrics.<organization slug>.internal/alertmanager`,
    /// the platform's own service reached in every VPC through its
    /// endpoint (PrivateLink), verified against the platform's private CA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// Windows in which remediation acts on nothing in the named
    /// environments (a release weekend, the year-end close): decisions are
    /// journaled as suppressed, the alerts still page their owners.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub change_freezes: Vec<ChangeFreeze>,
}

/// A change freeze: from `from` until `until` (RFC 3339 times with a zone,
/// `2026-12-31T16:00:00Z`), no automatic action in `environments` (every
/// environment when empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeFreeze {
    pub from: String,
    pub until: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
    /// Why, shown in every decision the freeze holds back.
    pub reason: String,
}
