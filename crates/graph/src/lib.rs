//! The resource graph: the one intermediate form between the resolved model
//! and every output.
//!
//! A [`Graph`] is a list of [`Stack`]s. A stack is a unit of deployment — one
//! account and region, or a StackSet over organizational units, accounts and
//! regions — holding [`Resource`]s, the [`Parameter`]s whose values are only
//! known at deploy time (account ids, the organization id), [`Output`]s and
//! the stacks it depends on.
//!
//! The vocabulary is CloudFormation's, because it is the most complete
//! catalog of AWS resource types and their properties: a resource's `kind`
//! is a CloudFormation type name, its properties are CloudFormation property
//! names, and references inside properties use CloudFormation's JSON
//! intrinsics (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::ImportValue`, ...), built
//! with the helpers of [`intrinsic`] and walked with
//! [`intrinsic::visit_references`]. The structure itself is emitter-neutral:
//! nothing here is JSON text, a template, or a file. Emitters translate it;
//! guardrail rules read it.
//!
//! **Invariants** (checked by [`Graph::check`]): stack names are unique;
//! logical ids are unique in their stack; every stack a stack depends on
//! exists and the dependencies have no cycle; every `Ref`/`Fn::GetAtt` names a
//! resource, parameter or pseudo parameter of its own stack.

pub mod intrinsic;
pub mod pretty;
mod problem;

pub use problem::Problem;

use std::collections::BTreeSet;
use std::fmt;

use landfall_spec::Pointer;
use serde::Serialize;
use serde_json::{Map, Value};

/// The whole platform as deployable stacks.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    /// The organization's slug, the prefix of every stack name.
    pub organization: String,
    /// Where organization-wide stacks and StackSet administration live.
    pub home_region: String,
    /// Every stack and StackSet, in deploy order within each layer.
    pub stacks: Vec<Stack>,
    /// Organization settings that no resource type expresses, performed once
    /// from the management account before the stacks that need them.
    pub organization_actions: Vec<OrganizationAction>,
}

/// What a stack builds; layers deploy in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layer {
    /// OUs, accounts, service control policies (management account).
    Organization,
    /// Log archive buckets, the organization trail, security tooling.
    Security,
    /// What every member account gets in every allowed region (StackSets).
    Baseline,
    /// VPCs, subnets, routes, firewalls, endpoints and RAM shares.
    Network,
    /// ECR, CodeArtifact, CI/CD trust, image pipelines.
    SharedServices,
    /// The alert path (the event bus and the remediation service's
    /// queues) and the log search domains.
    Observability,
    /// Services and data stores in the workload accounts.
    Workloads,
}

impl Layer {
    pub const ALL: [Layer; 7] = [
        Layer::Organization,
        Layer::Security,
        Layer::Baseline,
        Layer::Network,
        Layer::SharedServices,
        Layer::Observability,
        Layer::Workloads,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Layer::Organization => "organization",
            Layer::Security => "security",
            Layer::Baseline => "baseline",
            Layer::Network => "network",
            Layer::SharedServices => "shared-services",
            Layer::Observability => "observability",
            Layer::Workloads => "workloads",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A unit of deployment.
#[derive(Debug, Clone)]
pub struct Stack {
    /// Stack or StackSet name: letters, digits and dashes, starting with a
    /// letter, at most 128 characters.
    pub name: String,
    pub layer: Layer,
    pub description: String,
    pub target: Target,
    pub parameters: Vec<Parameter>,
    /// Named conditions (CloudFormation condition functions).
    pub conditions: Map<String, Value>,
    pub resources: Vec<Resource>,
    pub outputs: Vec<Output>,
    /// Stacks that must be deployed before this one (by name).
    pub depends_on: Vec<String>,
    /// What the stack reads that no stack of the platform creates: it must
    /// exist before the stack deploys (the live plan checks it does).
    pub inputs: Vec<ExternalInput>,
    /// Instances the stack launches, which the account's quotas and the
    /// AZ's instance offerings must allow (the live plan checks they do).
    pub capacity: Vec<Capacity>,
}

impl Stack {
    pub fn resource(&self, logical_id: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.logical_id == logical_id)
    }

    pub fn is_stack_set(&self) -> bool {
        matches!(self.target, Target::StackSet(_))
    }
}

/// Something a stack reads that comes from outside the platform, in the
/// stack's own account and region unless its name says otherwise (an ARN,
/// an image URI).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ExternalInput {
    pub kind: InputKind,
    /// The parameter name, secret name or ARN, image URI or function name,
    /// as the stack reads it.
    pub name: String,
    /// Who provides it, for whoever wonders why it is not created here.
    pub why: String,
    /// The account (by name) it is in, when not the stack's own: an image
    /// in the shared-services registry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

/// Instances of one type a stack may run in one AZ at its largest (an Auto
/// Scaling group's maximum). An account's vCPU quota bounds them, and an
/// instance type, metal above all, is not offered in every AZ
/// (<https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-regions.html>).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Capacity {
    pub instance_type: String,
    pub vcpus_per_instance: u64,
    pub instances: u64,
    /// The AZ by name, as the owner of its subnet sees it (AZ names map to
    /// physical zones per account).
    pub availability_zone: String,
    /// The account (by name) that owns the subnet.
    pub subnet_owner: String,
}

/// What kind of thing an [`ExternalInput`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    SsmParameter,
    Secret,
    Image,
    Ami,
    Lambda,
    Export,
    /// A public Route 53 hosted zone, by id.
    HostedZone,
}

/// Where a stack is deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One stack in one account and region. Accounts are named as in the
    /// model; their ids are known only once the organization layer exists.
    Account { account: String, region: String },
    /// A service-managed StackSet administered from the management account,
    /// deployed (and auto-deployed to new accounts) in every account of the
    /// given OUs, in every given region.
    StackSet(StackSetTarget),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackSetTarget {
    /// The administrator account (the management account).
    pub administrator: String,
    /// OU paths, for example `Root/Workloads`.
    pub organizational_units: Vec<String>,
    /// When not empty, only these accounts (by name) of those OUs.
    pub accounts: Vec<String>,
    /// Regions each account gets an instance in.
    pub regions: Vec<String>,
}

/// A value supplied when the stack is deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    pub name: String,
    pub description: String,
    pub value: ParameterValue,
}

/// How the deployer finds a parameter's value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParameterValue {
    /// A value known now.
    Literal(String),
    /// The 12-digit id of the account of this name.
    AccountId(String),
    /// The organization's id (`o-...`).
    OrganizationId,
    /// The id of the organization's root (`r-...`).
    OrganizationRootId,
    /// The physical id of a resource of another stack (which may be in
    /// another account), read once that stack is deployed: a shared subnet,
    /// a VPC, a placement group of the network layer.
    ResourceId { stack: String, logical_id: String },
    /// An output of another stack (which may be in another account or
    /// region), read once that stack is deployed.
    StackOutput { stack: String, output: String },
    /// The id of the AWS-managed prefix list of this name
    /// (`com.amazonaws.<region>.s3`) in the stack's region, looked up when
    /// the stack deploys (the same id in every account of the region):
    /// what a security group names to reach a gateway endpoint.
    ManagedPrefixList(String),
    /// The value of the SSM parameter of this name in the stack's account
    /// and region, read by CloudFormation when the stack deploys (a
    /// parameter of type `AWS::SSM::Parameter::Value<String>`): a value
    /// from outside the platform, such as the IAM Identity Center instance
    /// ARN. The stack declares it among its [inputs](Stack::inputs) too,
    /// so the plan checks it exists.
    SsmParameter(String),
    /// The SASL/SCRAM bootstrap brokers of the MSK cluster whose ARN is
    /// output `output` of stack `stack`, asked of MSK
    /// (`GetBootstrapBrokers`) when the stack that needs them deploys:
    /// CloudFormation returns no attribute for them.
    /// <https://docs.aws.amazon.com/msk/latest/developerguide/msk-get-bootstrap-brokers.html>
    MskBootstrapBrokers { stack: String, output: String },
}

/// A resource: one CloudFormation resource type instance.
#[derive(Debug, Clone)]
pub struct Resource {
    /// Unique in the stack; derived from model names so it never changes when
    /// unrelated parts of the spec do.
    pub logical_id: String,
    /// The CloudFormation type, for example `AWS::EC2::Subnet`.
    pub kind: String,
    /// CloudFormation properties; references use the JSON intrinsics.
    pub properties: Map<String, Value>,
    /// Logical ids in the same stack created before this one (beyond the
    /// order references imply).
    pub depends_on: Vec<String>,
    /// Created only when this named condition holds.
    pub condition: Option<String>,
    /// Kept (not deleted) when removed from the stack or replaced: accounts,
    /// OUs, keys and log buckets.
    pub retain: bool,
    /// The spec value this resource was derived from, when there is one.
    pub origin: Option<Pointer>,
    /// Natural grouping keys, coarse to fine (for example the VPC, then the
    /// domain). A stack too large for AWS's limits is split along them.
    pub partition: Vec<String>,
}

impl Resource {
    pub fn new(logical_id: impl Into<String>, kind: impl Into<String>) -> Self {
        Self {
            logical_id: logical_id.into(),
            kind: kind.into(),
            properties: Map::new(),
            depends_on: Vec::new(),
            condition: None,
            retain: false,
            origin: None,
            partition: Vec::new(),
        }
    }
}

/// A stack output, exported for other stacks when `export` is set.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub name: String,
    pub description: Option<String>,
    pub value: Value,
    pub export: Option<String>,
}

/// An organization setting made through the Organizations (or a security
/// service's) API, because CloudFormation has no resource type for it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum OrganizationAction {
    /// `organizations:EnableAWSServiceAccess`.
    EnableTrustedAccess { service_principal: String },
    /// `organizations:RegisterDelegatedAdministrator`.
    RegisterDelegatedAdministrator {
        service_principal: String,
        account: String,
    },
    /// `guardduty:EnableOrganizationAdminAccount` (GuardDuty has its own API
    /// for this, and no resource type). Region-less: the synth stage now
    /// emits [`OrganizationAction::EnableGuardDutyAdminInRegion`] instead.
    EnableGuardDutyAdmin { account: String },
    /// `ram:EnableSharingWithAwsOrganization`: RAM shares to accounts of the
    /// organization need no invitation.
    EnableRamSharingWithOrganization,
    /// `guardduty:EnableOrganizationAdminAccount` in `region`, from the
    /// management account. A GuardDuty delegated administrator is per
    /// region, and designating it turns GuardDuty on in that account there
    /// (<https://docs.aws.amazon.com/guardduty/latest/ug/organizations_permissions.html>).
    EnableGuardDutyAdminInRegion { account: String, region: String },
    /// `guardduty:UpdateOrganizationConfiguration` in `region`, from the
    /// GuardDuty administrator `account` (its detector: `ListDetectors`),
    /// with `AutoEnableOrganizationMembers: ALL` and each of `features`
    /// auto-enabled for `ALL`: GuardDuty on in every member account, the
    /// existing ones and every new one. A feature is `NAME` or
    /// `NAME/ADDITIONAL_CONFIGURATION`
    /// (<https://docs.aws.amazon.com/guardduty/latest/APIReference/API_UpdateOrganizationConfiguration.html>).
    AutoEnableGuardDuty {
        account: String,
        region: String,
        features: Vec<String>,
    },
    /// `securityhub:EnableOrganizationAdminAccount` in `region`, from the
    /// management account: the same Security Hub administrator in every
    /// allowed region (the home region's is an
    /// `AWS::SecurityHub::DelegatedAdmin` resource).
    EnableSecurityHubAdminInRegion { account: String, region: String },
    /// `inspector2:EnableDelegatedAdminAccount` in `region`, from the
    /// management account: Amazon Inspector's delegated administrator is
    /// per region, and CloudFormation has no resource type for it
    /// (<https://docs.aws.amazon.com/inspector/v2/APIReference/API_EnableDelegatedAdminAccount.html>).
    EnableInspectorAdminInRegion { account: String, region: String },
    /// `inspector2:UpdateOrganizationConfiguration` in `region`, from the
    /// Inspector administrator `account`, auto-enabling each of
    /// `resource_types` (`EC2`, `ECR`, `LAMBDA`) for new member accounts,
    /// then `inspector2:Enable` of the same types for the members that
    /// exist already, which auto-enable does not reach
    /// (<https://docs.aws.amazon.com/inspector/v2/APIReference/API_UpdateOrganizationConfiguration.html>,
    /// <https://docs.aws.amazon.com/inspector/latest/user/managing-multiple-accounts.html>).
    AutoEnableInspector {
        account: String,
        region: String,
        resource_types: Vec<String>,
    },
    /// `ce:UpdateCostAllocationTagsStatus` from the management (payer)
    /// account: the tag keys the platform puts on resources, active as
    /// cost allocation tags so the billing export and Cost Explorer carry
    /// them. AWS lists a key only once it has seen it on a resource, up to
    /// 24 hours after the first one is tagged
    /// (<https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/activating-tags.html>).
    ActivateCostAllocationTags { tag_keys: Vec<String> },
}

/// The tag keys the platform puts on the resources that cost money, by
/// which the billing export splits a shared account's spend between
/// domains, environments, services and stores. In the export they appear
/// as `user:<key>` (<https://docs.aws.amazon.com/cur/latest/userguide/table-dictionary-cur2-resource-tags.html>).
pub const COST_ALLOCATION_TAGS: &[&str] = &[
    "landfall:domain",
    "landfall:environment",
    "landfall:service",
    "landfall:store",
];

/// A broken graph invariant: a bug in whatever built the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    pub stack: String,
    pub message: String,
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "stack `{}`: {}", self.stack, self.message)
    }
}

impl std::error::Error for GraphError {}

impl Graph {
    pub fn stack(&self, name: &str) -> Option<&Stack> {
        self.stacks.iter().find(|s| s.name == name)
    }

    pub fn resource_count(&self) -> usize {
        self.stacks.iter().map(|s| s.resources.len()).sum()
    }

    /// Checks the invariants listed in the crate docs; returns every broken one.
    pub fn check(&self) -> Vec<GraphError> {
        let mut errors = Vec::new();
        let mut err = |stack: &str, message: String| {
            errors.push(GraphError {
                stack: stack.to_owned(),
                message,
            })
        };
        let mut names = BTreeSet::new();
        for stack in &self.stacks {
            if !names.insert(stack.name.as_str()) {
                err(&stack.name, "two stacks have this name".into());
            }
            if !valid_stack_name(&stack.name) {
                err(&stack.name, "not a valid stack name".into());
            }
        }
        for stack in &self.stacks {
            let mut ids = BTreeSet::new();
            for resource in &stack.resources {
                if !ids.insert(resource.logical_id.as_str()) {
                    err(
                        &stack.name,
                        format!("logical id `{}` is used twice", resource.logical_id),
                    );
                }
                if !valid_logical_id(&resource.logical_id) {
                    err(
                        &stack.name,
                        format!("`{}` is not a valid logical id", resource.logical_id),
                    );
                }
            }
            let params: BTreeSet<&str> = stack.parameters.iter().map(|p| p.name.as_str()).collect();
            let mut check_value = |value: &Value, what: &str| {
                intrinsic::visit_references(value, &mut |r| {
                    let known = ids.contains(r.target)
                        || (r.attribute.is_none() && params.contains(r.target))
                        || r.target.starts_with("AWS::");
                    if !known {
                        err(
                            &stack.name,
                            format!("{what} refers to `{}`, which is not in the stack", r.target),
                        );
                    }
                });
            };
            for resource in &stack.resources {
                check_value(
                    &Value::Object(resource.properties.clone()),
                    &resource.logical_id,
                );
            }
            for output in &stack.outputs {
                check_value(&output.value, &output.name);
            }
            for resource in &stack.resources {
                for dep in &resource.depends_on {
                    if !ids.contains(dep.as_str()) {
                        err(
                            &stack.name,
                            format!(
                                "`{}` depends on `{dep}`, which is not in the stack",
                                resource.logical_id
                            ),
                        );
                    }
                }
            }
            for dep in &stack.depends_on {
                if !names.contains(dep.as_str()) {
                    err(&stack.name, format!("depends on unknown stack `{dep}`"));
                }
            }
        }
        if let Err(cycle) = self.deploy_waves() {
            err(&cycle, "stack dependencies form a cycle".into());
        }
        errors
    }

    /// Stacks grouped in waves: every stack's dependencies are in earlier
    /// waves. Within a wave, stacks keep graph order. Fails with a stack on a
    /// cycle.
    pub fn deploy_waves(&self) -> Result<Vec<Vec<&str>>, String> {
        // A stack's wave is one more than its latest dependency's (0 with
        // none in the graph): longest paths, found in one topological pass
        // (Kahn), linear in stacks and dependencies.
        let index: std::collections::HashMap<&str, usize> = self
            .stacks
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.as_str(), i))
            .collect();
        let n = self.stacks.len();
        let mut waiting_on = vec![0usize; n];
        let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, stack) in self.stacks.iter().enumerate() {
            for d in &stack.depends_on {
                if let Some(&j) = index.get(d.as_str()) {
                    waiting_on[i] += 1;
                    dependents[j].push(i);
                }
            }
        }
        let mut wave_of: Vec<Option<usize>> = vec![None; n];
        let mut ready: std::collections::VecDeque<usize> =
            (0..n).filter(|&i| waiting_on[i] == 0).collect();
        let mut floor = vec![0usize; n];
        while let Some(i) = ready.pop_front() {
            wave_of[i] = Some(floor[i]);
            for &k in &dependents[i] {
                floor[k] = floor[k].max(floor[i] + 1);
                waiting_on[k] -= 1;
                if waiting_on[k] == 0 {
                    ready.push_back(k);
                }
            }
        }
        if let Some(stuck) = (0..n).find(|&i| wave_of[i].is_none()) {
            return Err(self.stacks[stuck].name.clone());
        }
        let count = wave_of.iter().flatten().max().map_or(0, |w| w + 1);
        let mut waves: Vec<Vec<&str>> = vec![Vec::new(); count];
        for (i, w) in wave_of.iter().enumerate() {
            if let Some(w) = w {
                waves[*w].push(self.stacks[i].name.as_str());
            }
        }
        Ok(waves)
    }
}

/// A CloudFormation stack name: a letter, then letters, digits and dashes,
/// at most 128 characters.
pub fn valid_stack_name(name: &str) -> bool {
    name.len() <= 128
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// A CloudFormation logical id: ASCII letters and digits, at most 255.
pub fn valid_logical_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 255 && id.chars().all(|c| c.is_ascii_alphanumeric())
}

/// A name IAM keeps once per account (roles) for something that runs in
/// several regions: `<prefix>-<name>` (at most 64 characters) in an
/// environment's first region, so adding regions renames nothing, and
/// `<prefix>-<name>-<region>` in the others, shortened with a hash of the
/// full name when that would pass 64.
pub fn regional_name(prefix: &str, name: &str, region: Option<&str>) -> String {
    let base = format!("{prefix}-{name}");
    let Some(region) = region else {
        return base.chars().take(64).collect();
    };
    let suffix = format!("-{region}");
    if base.len() + suffix.len() <= 64 {
        return format!("{base}{suffix}");
    }
    // FNV-1a keeps shortened names apart.
    let mut hash: u32 = 0x811c_9dc5;
    for b in base.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    let keep = 64usize.saturating_sub(suffix.len() + 9);
    let head: String = base.chars().take(keep).collect();
    format!("{head}-{hash:08x}{suffix}")
}

/// The CI/CD role in the shared-services account that pushes a service's
/// images (from its production branches only).
pub fn push_role_name(service: &str) -> String {
    regional_name("push", service, None)
}

/// The CI/CD role in the shared-services account that deploys a service to
/// one environment: GitHub Actions assumes it only from a job of that
/// GitHub environment, and only this role is trusted by the service's
/// deploy roles in that environment's accounts, so a job of another
/// environment (or none) cannot reach them. `@` occurs in no service or
/// environment name, so no two pairs share a role.
pub fn environment_deploy_role_name(service: &str, environment: &str) -> String {
    let name = format!("deploy-{service}@{environment}");
    if name.len() <= 64 {
        return name;
    }
    regional_name("deploy", service, Some(&format!("@{environment}"))).replace("-@", "@")
}

/// How every stack of the workload layer is named: `<slug>-workloads-...`.
/// What a plan that leaves that layer out (or holds only some services)
/// must not take for stacks the spec no longer has.
pub fn workload_stack_prefix(slug: &str) -> String {
    format!("{slug}-workloads-")
}

/// The SSM parameter (in the shared-services account's home region) that
/// holds an account's id, so a pipeline can name roles in accounts whose
/// ids exist only once the platform is deployed.
pub fn account_id_parameter(account: &str) -> String {
    format!("/landfall/accounts/{account}/id")
}

/// The SSM parameter (in each account and region a service runs in) that
/// holds the image tag its tasks run: created by the workload layer with
/// the first tag, written by the service's pipeline after each deployment
/// it verified, and read by the service's stack whenever CloudFormation
/// updates it, so a platform deploy never puts back an older image.
pub fn image_tag_parameter(service: &str) -> String {
    format!("/landfall/images/{service}")
}

/// The platform repository's roles in the management account, where
/// `landfall plan` and `landfall deploy` run, under the platform's role
/// path (`/landfall/`). The plan role reads, from the repository's pull
/// requests and default branch; the deploy role applies, from a job of the
/// [`PLATFORM_DEPLOY_ENVIRONMENT`] GitHub environment only.
pub const PLATFORM_PLAN_ROLE: &str = "landfall-platform-plan";
pub const PLATFORM_DEPLOY_ROLE: &str = "landfall-platform-deploy";
/// The GitHub environment of the platform repository whose jobs may deploy
/// the platform: one, because `landfall deploy` applies the whole
/// organization at once.
pub const PLATFORM_DEPLOY_ENVIRONMENT: &str = "platform";

/// The stack of the platform's private CA in a region (shared-services
/// account), which signs the internal load balancers' certificates.
pub fn private_ca_stack_name(slug: &str, region: &str) -> String {
    format!("{slug}-pki-{region}")
}

/// The stack of the internal scanners' security group in a VPC (the
/// scanner account, `network.scanner`).
pub fn scanner_stack_name(slug: &str, vpc: &str) -> String {
    format!("{slug}-scanner-{vpc}")
}

/// The scanners' group's logical id in that stack; its physical id is the
/// group id.
pub const SCANNER_GROUP_LOGICAL_ID: &str = "ScannerGroup";

/// The CA's logical id in that stack; its physical id is its ARN.
pub const PRIVATE_CA_LOGICAL_ID: &str = "PrivateCa";

/// A logical id from name parts: each part's words (split at anything but a
/// letter or digit) capitalised and joined, so `("Subnet",
/// "prod-eu-central-1-app-a")` gives `SubnetProdEuCentral1AppA`. Model names
/// are lowercase, so the id depends on nothing but the names it is given.
pub fn logical_id(parts: &[&str]) -> String {
    let mut out = String::new();
    for part in parts {
        let mut upper = true;
        for c in part.chars() {
            if c.is_ascii_alphanumeric() {
                if upper {
                    out.push(c.to_ascii_uppercase());
                    upper = false;
                } else {
                    out.push(c);
                }
            } else {
                upper = true;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_role_names_stay_within_iam_limits_and_apart() {
        assert_eq!(push_role_name("api"), "push-api");
        assert_eq!(
            environment_deploy_role_name("api", "prod"),
            "deploy-api@prod"
        );
        // `a-b` in `c` and `a` in `b-c` would meet without the `@`.
        assert_ne!(
            environment_deploy_role_name("a-b", "c"),
            environment_deploy_role_name("a", "b-c")
        );
        let long = "a-service-name-that-is-long-enough-to-need-shortening-x";
        let a = environment_deploy_role_name(long, "production");
        let b = environment_deploy_role_name(&format!("{long}y"), "production");
        assert!(a.len() <= 64 && b.len() <= 64, "{a} {b}");
        assert!(a.ends_with("@production"), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn regional_names_stay_within_iam_limits_and_apart() {
        assert_eq!(regional_name("task", "api", None), "task-api");
        assert_eq!(
            regional_name("task", "api", Some("eu-west-1")),
            "task-api-eu-west-1"
        );
        let long = "a-service-name-that-is-long-enough-to-need-shortening-x";
        let a = regional_name("deploy", long, Some("eu-west-1"));
        let b = regional_name("deploy", &format!("{long}y"), Some("eu-west-1"));
        assert!(a.len() <= 64 && b.len() <= 64, "{a} {b}");
        assert!(a.ends_with("-eu-west-1") && b.ends_with("-eu-west-1"));
        assert_ne!(a, b);
        assert_ne!(a, regional_name("deploy", long, None));
    }

    #[test]
    fn logical_ids_capitalise_words() {
        assert_eq!(
            logical_id(&["Subnet", "prod-eu-central-1-app-trading-a"]),
            "SubnetProdEuCentral1AppTradingA"
        );
        assert_eq!(logical_id(&["Ou", "Root/Workloads"]), "OuRootWorkloads");
        assert!(valid_logical_id(&logical_id(&["a.b", "c_d"])));
    }

    #[test]
    fn stack_names_follow_cloudformation_rules() {
        assert!(valid_stack_name("meridian-network-prod-eu-central-1"));
        assert!(!valid_stack_name("1abc"));
        assert!(!valid_stack_name("a_b"));
        assert!(!valid_stack_name(&"a".repeat(129)));
    }

    fn stack(name: &str, deps: &[&str]) -> Stack {
        Stack {
            name: name.into(),
            layer: Layer::Network,
            description: String::new(),
            target: Target::Account {
                account: "network".into(),
                region: "eu-central-1".into(),
            },
            parameters: Vec::new(),
            conditions: Map::new(),
            resources: Vec::new(),
            outputs: Vec::new(),
            depends_on: deps.iter().map(|d| (*d).to_owned()).collect(),
            inputs: Vec::new(),
            capacity: Vec::new(),
        }
    }

    #[test]
    fn waves_follow_dependencies_and_cycles_are_reported() {
        let graph = Graph {
            stacks: vec![stack("c", &["b"]), stack("a", &[]), stack("b", &["a"])],
            ..Graph::default()
        };
        assert_eq!(
            graph.deploy_waves(),
            Ok(vec![vec!["a"], vec!["b"], vec!["c"]])
        );
        assert!(graph.check().is_empty());
        let cyclic = Graph {
            stacks: vec![stack("a", &["b"]), stack("b", &["a"])],
            ..Graph::default()
        };
        assert!(cyclic.deploy_waves().is_err());
        assert!(!cyclic.check().is_empty());
    }

    #[test]
    fn check_finds_dangling_references() {
        let mut s = stack("a", &[]);
        let mut r = Resource::new("Vpc", "AWS::EC2::VPC");
        r.properties
            .insert("X".into(), intrinsic::get_att("Missing", "Arn"));
        s.resources.push(r);
        let graph = Graph {
            stacks: vec![s],
            ..Graph::default()
        };
        let errors = graph.check();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].message.contains("Missing"));
    }
}
