//! Preflight: what the live organization must hold or allow for a deploy to
//! finish, read by `plan` before anything is applied.
//!
//! Schema checks and the offline proofs cannot know an account's granted
//! quotas, which instance types its AZs offer, or whether a pipeline has
//! pushed the image a service starts from. Each of these is read here:
//!
//! - vCPUs of the instances stacks may launch, per account and region,
//!   against the account's On-Demand Standard quota (Service Quotas
//!   `L-1216C47A`; a new account starts far below one metal instance);
//! - each instance type in each AZ it is placed in, against the AZ's
//!   offerings as the subnet's owner sees them (AZ names map to zones per
//!   account);
//! - VPCs (`L-F678F1CE`) and Elastic IP addresses (`L-0263D0A3`, the NAT
//!   gateways' own) per region against the account's quotas, counting
//!   those that exist and are not the platform's;
//! - each image a stack starts from, in the registry the stack pulls from,
//!   and each SSM parameter, AMI and export a stack reads.
//!
//! A quota or an offering that cannot hold the plan is a blocker: the
//! deploy would stop partway. A missing input holds back the stacks that
//! need it (and what depends on them) while the rest deploys: repositories
//! are created by the first deploy and pipelines push afterwards. What
//! could not be read is said, never taken as fine; secrets and functions
//! declared as inputs are said to be unchecked.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{Filter, LocationType};
use landfall_graph::InputKind;

use crate::aws::{Clients, Roles, Session, DEPLOY_ROLES};
use crate::deploy::bounded;
use crate::desired::{Desired, StackTarget};
use crate::error::{code_of, LiveError};

/// Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances, in
/// vCPUs per account and region
/// (<https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas.html>).
pub const STANDARD_VCPUS_QUOTA: (&str, &str) = ("ec2", "L-1216C47A");

/// What the platform creates that a per-region quota of the account
/// bounds, with what exists beside it
/// (<https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Counted {
    /// VPCs per Region (`vpc` `L-F678F1CE`).
    Vpcs,
    /// EC2-VPC Elastic IPs (`ec2` `L-0263D0A3`).
    ElasticIps,
}

impl Counted {
    const ALL: [Counted; 2] = [Counted::Vpcs, Counted::ElasticIps];

    /// The CloudFormation type counted.
    fn kind(self) -> &'static str {
        match self {
            Counted::Vpcs => "AWS::EC2::VPC",
            Counted::ElasticIps => "AWS::EC2::EIP",
        }
    }

    /// Service Quotas' service and quota code.
    pub fn quota(self) -> (&'static str, &'static str) {
        match self {
            Counted::Vpcs => ("vpc", "L-F678F1CE"),
            Counted::ElasticIps => ("ec2", "L-0263D0A3"),
        }
    }

    fn what(self) -> &'static str {
        match self {
            Counted::Vpcs => "VPCs",
            Counted::ElasticIps => "Elastic IP addresses",
        }
    }
}

/// The tag CloudFormation puts on what a stack creates.
const STACK_NAME_TAG: &str = "aws:cloudformation:stack-name";

/// What the preflight found.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Preflight {
    /// The deploy would stop partway: nothing is applied.
    pub blockers: Vec<String>,
    /// Stacks that cannot deploy yet, with why; the rest deploys.
    pub held: BTreeMap<String, String>,
    /// What was not read or not checked, and why.
    pub notes: Vec<String>,
}

/// Where something is needed: an account (by name) and a region.
type Place = (String, String);

/// What the desired platform needs from the live accounts, worked out
/// offline.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Needs {
    /// Standard-instance vCPUs at most, per account and region, with the
    /// stacks that launch them.
    pub vcpus: BTreeMap<Place, (u64, Vec<String>)>,
    /// Instance types per AZ, per subnet owner and region, with the stacks
    /// that place them there.
    pub offerings: BTreeMap<Place, BTreeMap<(String, String), Vec<String>>>,
    /// What the platform creates against per-region quotas, per account
    /// and region.
    pub counted: BTreeMap<(Place, Counted), usize>,
    /// What stacks read from outside the platform, per account and region
    /// it is in: (kind, name) with the stacks that read it. Images
    /// (`repository:tag`) are in their registry's account.
    pub inputs: BTreeMap<Place, BTreeMap<(InputKind, String), Vec<String>>>,
    /// Inputs of kinds the preflight does not read, said in the plan.
    pub unchecked: Vec<String>,
}

/// Whether instances of `instance_type` count against the Standard quota:
/// the families A, C, D, H, I, M, R, T and Z, but not those with a quota
/// of their own that share a first letter (Inferentia, Trainium, DL, HPC,
/// Mac).
pub fn is_standard(instance_type: &str) -> bool {
    let family = instance_type.split('.').next().unwrap_or("");
    !["inf", "trn", "dl", "hpc", "mac"]
        .iter()
        .any(|own| family.starts_with(own))
        && family
            .chars()
            .next()
            .is_some_and(|c| "acdhimrtz".contains(c))
}

/// The platform's needs, from the desired stacks.
pub fn needs(desired: &Desired) -> Needs {
    let mut needs = Needs::default();
    for stack in &desired.stacks {
        let StackTarget::Account { account, region } = &stack.target else {
            continue;
        };
        let place = (account.clone(), region.clone());
        for c in &stack.capacity {
            if is_standard(&c.instance_type) {
                let entry = needs.vcpus.entry(place.clone()).or_default();
                entry.0 += c.instances * c.vcpus_per_instance;
                if !entry.1.contains(&stack.name) {
                    entry.1.push(stack.name.clone());
                }
            } else {
                needs.unchecked.push(format!(
                    "the vCPU quota of `{}` instances in `{account}` {region} (stack `{}`) is not checked: only the Standard families are",
                    c.instance_type, stack.name
                ));
            }
            let stacks = needs
                .offerings
                .entry((c.subnet_owner.clone(), region.clone()))
                .or_default()
                .entry((c.instance_type.clone(), c.availability_zone.clone()))
                .or_default();
            if !stacks.contains(&stack.name) {
                stacks.push(stack.name.clone());
            }
        }
        for counted in Counted::ALL {
            let n = stack
                .resources
                .iter()
                .filter(|(_, kind)| kind == counted.kind())
                .count();
            if n > 0 {
                *needs.counted.entry((place.clone(), counted)).or_default() += n;
            }
        }
        for input in &stack.inputs {
            match input.kind {
                InputKind::Image
                | InputKind::SsmParameter
                | InputKind::Ami
                | InputKind::Export
                | InputKind::HostedZone => {
                    let home = input.account.clone().unwrap_or_else(|| account.clone());
                    needs
                        .inputs
                        .entry((home, region.clone()))
                        .or_default()
                        .entry((input.kind, input.name.clone()))
                        .or_default()
                        .push(stack.name.clone());
                }
                other => needs.unchecked.push(format!(
                    "input `{}` ({other:?}) of stack `{}` is not checked before the deploy",
                    input.name, stack.name
                )),
            }
        }
    }
    needs
}

/// Reads what `needs` depends on in the live accounts, entered as their
/// deploy role. `account_id` maps an account name to its id when the
/// account exists.
pub async fn run(
    session: &Session,
    mgmt: &Clients,
    desired: &Desired,
    account_id: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Preflight {
    run_as(session, mgmt, desired, account_id, DEPLOY_ROLES).await
}

/// [`run`], entering member accounts as `roles` (the audit role for a
/// read-only plan: every read here is in its `PlanReads` statement).
pub async fn run_as(
    session: &Session,
    mgmt: &Clients,
    desired: &Desired,
    account_id: &(dyn Fn(&str) -> Option<String> + Sync),
    roles: Roles,
) -> Preflight {
    let needs = needs(desired);
    let mut out = Preflight {
        notes: needs.unchecked.clone(),
        ..Preflight::default()
    };
    let enter = |account: &str, region: &str| {
        let id = account_id(account);
        let region = region.to_owned();
        async move {
            match id {
                Some(id) => session.member(mgmt, &id, &region, &roles).await.map(Some),
                None => Ok(None),
            }
        }
    };

    for ((account, region), (vcpus, stacks)) in &needs.vcpus {
        let clients = match enter(account, region).await {
            Ok(Some(c)) => c,
            Ok(None) => {
                out.notes.push(format!(
                    "account `{account}` does not exist yet: its On-Demand Standard vCPU quota ({} {}) starts at AWS's default; request {vcpus} vCPUs in {region} once it is created, before {} start instances",
                    STANDARD_VCPUS_QUOTA.0, STANDARD_VCPUS_QUOTA.1, list(stacks)
                ));
                continue;
            }
            Err(e) => {
                out.notes.push(format!(
                    "the vCPU quota of `{account}` in {region} was not read: {e}"
                ));
                continue;
            }
        };
        match quota(&clients, STANDARD_VCPUS_QUOTA).await {
            Ok(granted) if granted < *vcpus as f64 => out.blockers.push(format!(
                "{} may launch {vcpus} vCPUs of On-Demand Standard instances in `{account}` {region}, over the account's quota of {granted}: request Service Quotas code `{}` ({}) of at least {vcpus} in {region}",
                list(stacks),
                STANDARD_VCPUS_QUOTA.1,
                STANDARD_VCPUS_QUOTA.0
            )),
            Ok(_) => {}
            Err(e) => out.notes.push(format!(
                "the vCPU quota of `{account}` in {region} was not read, so {vcpus} vCPUs are not known to fit: {e}"
            )),
        }
    }

    for ((owner, region), wanted) in &needs.offerings {
        let clients = match enter(owner, region).await {
            Ok(Some(c)) => c,
            Ok(None) => {
                out.notes.push(format!(
                    "account `{owner}` does not exist yet: the instance types offered in its AZs of {region} are checked once it does"
                ));
                continue;
            }
            Err(e) => {
                out.notes.push(format!(
                    "the instance types offered in {region} to `{owner}` were not read: {e}"
                ));
                continue;
            }
        };
        let types: BTreeSet<&str> = wanted.keys().map(|(t, _)| t.as_str()).collect();
        match offered(&clients, &types).await {
            Ok(offered) => {
                for ((instance_type, az), stacks) in wanted {
                    if !offered.contains(&(instance_type.clone(), az.clone())) {
                        let elsewhere: Vec<&str> = offered
                            .iter()
                            .filter(|(t, _)| t == instance_type)
                            .map(|(_, z)| z.as_str())
                            .collect();
                        out.blockers.push(format!(
                            "`{instance_type}` is not offered in {az} (as account `{owner}` names its AZs), where {} place it: {}",
                            list(stacks),
                            if elsewhere.is_empty() {
                                format!("no AZ of {region} offers it; choose another instance type")
                            } else {
                                format!("it is offered in {}; place the capacity there", elsewhere.join(", "))
                            }
                        ));
                    }
                }
            }
            Err(e) => out.notes.push(format!(
                "the instance types offered in {region} to `{owner}` were not read: {e}"
            )),
        }
    }

    for (((account, region), counted), wanted) in &needs.counted {
        let what = counted.what();
        let clients = match enter(account, region).await {
            Ok(Some(c)) => c,
            Ok(None) => continue,
            Err(e) => {
                out.notes.push(format!(
                    "the quota of {what} of `{account}` in {region} was not read: {e}"
                ));
                continue;
            }
        };
        let platform: BTreeSet<&str> = desired.stacks.iter().map(|s| s.name.as_str()).collect();
        let (service, code) = counted.quota();
        match (
            quota(&clients, counted.quota()).await,
            others(&clients, *counted, &platform).await,
        ) {
            (Ok(granted), Ok(others)) if (others + wanted) as f64 > granted => {
                out.blockers.push(format!(
                    "`{account}` in {region} would hold {} {what} ({wanted} of the platform, {others} others), over its quota of {granted}: request Service Quotas code `{code}` ({service}) of at least {}",
                    others + wanted,
                    others + wanted
                ));
            }
            (Ok(_), Ok(_)) => {}
            (Err(e), _) | (_, Err(e)) => out.notes.push(format!(
                "the quota of {what} of `{account}` in {region} was not read: {e}"
            )),
        }
    }

    for ((account, region), inputs) in &needs.inputs {
        let clients = match enter(account, region).await {
            Ok(Some(c)) => Some(c),
            Ok(None) => None,
            Err(e) => {
                out.notes.push(format!(
                    "what stacks read in `{account}` in {region} was not read: {e}"
                ));
                continue;
            }
        };
        // The exports of the account and region, listed once.
        let exports = match (
            &clients,
            inputs.keys().any(|(k, _)| *k == InputKind::Export),
        ) {
            (Some(c), true) => Some(export_names(c).await),
            _ => None,
        };
        let exports = std::sync::Arc::new(exports);
        let found: Vec<((InputKind, String), Result<bool, LiveError>)> = match clients {
            None => inputs.keys().map(|i| (i.clone(), Ok(false))).collect(),
            Some(c) => {
                let keys: Vec<(InputKind, String)> = inputs.keys().cloned().collect();
                bounded(8, keys, move |(kind, name)| {
                    let c = c.clone();
                    let exports = exports.clone();
                    async move {
                        let found = match kind {
                            InputKind::Image => image_exists(&c, &name).await,
                            InputKind::SsmParameter => parameter_exists(&c, &name).await,
                            InputKind::Ami => ami_exists(&c, &name).await,
                            InputKind::HostedZone => public_zone_exists(&c, &name).await,
                            _ => match exports.as_ref() {
                                Some(Ok(names)) => Ok(names.contains(&name)),
                                Some(Err(e)) => Err(LiveError::Plan(e.clone())),
                                None => Ok(false),
                            },
                        };
                        ((kind, name), found)
                    }
                })
                .await
            }
        };
        for ((kind, name), found) in found {
            let stacks = inputs
                .get(&(kind, name.clone()))
                .map(Vec::as_slice)
                .unwrap_or_default();
            let what = match kind {
                InputKind::Image => format!("image `{name}` is not in the registry of `{account}` in {region}: push it (the service's pipeline does), then deploy again"),
                InputKind::SsmParameter => format!("SSM parameter `{name}` does not exist in `{account}` {region}: create it (or have what publishes it run), then deploy again"),
                InputKind::Ami => format!("AMI `{name}` does not exist in `{account}` {region} (or is not shared with it)"),
                InputKind::HostedZone => format!("public hosted zone `{name}` (`network.dns`) is not in `{account}`: give the id Route 53 shows for the platform's public zone in that account (a private zone of that id does not count)"),
                _ => format!("no stack in `{account}` {region} exports `{name}`"),
            };
            match found {
                Ok(true) => {}
                Ok(false) => {
                    for stack in stacks {
                        out.held.entry(stack.clone()).or_insert_with(|| what.clone());
                    }
                }
                Err(e) => out.notes.push(format!(
                    "{kind:?} `{name}` in `{account}` {region} was not read, so it is not known to exist: {e}"
                )),
            }
        }
    }
    out
}

/// Whether the SSM parameter exists.
async fn parameter_exists(clients: &Clients, name: &str) -> Result<bool, LiveError> {
    match clients.ssm().get_parameter().name(name).send().await {
        Ok(_) => Ok(true),
        Err(e) if code_of(&e) == "ParameterNotFound" => Ok(false),
        Err(e) => Err(LiveError::api("ssm:GetParameter", &e)),
    }
}

/// Whether the account holds a public hosted zone of this id.
async fn public_zone_exists(clients: &Clients, id: &str) -> Result<bool, LiveError> {
    match clients.route53().get_hosted_zone().id(id).send().await {
        Ok(out) => Ok(out
            .hosted_zone()
            .is_some_and(|z| !z.config().is_some_and(|c| c.private_zone()))),
        Err(e) if code_of(&e) == "NoSuchHostedZone" => Ok(false),
        Err(e) => Err(LiveError::api("route53:GetHostedZone", &e)),
    }
}

/// Whether the AMI exists for the account (its own or shared with it).
async fn ami_exists(clients: &Clients, id: &str) -> Result<bool, LiveError> {
    match clients.ec2().describe_images().image_ids(id).send().await {
        Ok(out) => Ok(!out.images().is_empty()),
        Err(e) if code_of(&e).starts_with("InvalidAMIID") => Ok(false),
        Err(e) => Err(LiveError::api("ec2:DescribeImages", &e)),
    }
}

/// Every export name of the account and region.
async fn export_names(clients: &Clients) -> Result<BTreeSet<String>, String> {
    let cfn = clients.cloudformation();
    let mut out = BTreeSet::new();
    let mut token = None;
    loop {
        let page = cfn
            .list_exports()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| LiveError::api("cloudformation:ListExports", &e).to_string())?;
        out.extend(
            page.exports()
                .iter()
                .filter_map(|e| e.name().map(str::to_owned)),
        );
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return Ok(out);
        }
    }
}

fn list(stacks: &[String]) -> String {
    match stacks {
        [one] => format!("stack `{one}`"),
        many => format!(
            "stacks {}",
            many.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// An account's value of a quota: the applied value, or AWS's default when
/// none was ever requested (`GetServiceQuota` then answers
/// `NoSuchResourceException`).
async fn quota(clients: &Clients, (service, code): (&str, &str)) -> Result<f64, LiveError> {
    let sq = clients.servicequotas();
    match sq
        .get_service_quota()
        .service_code(service)
        .quota_code(code)
        .send()
        .await
    {
        Ok(out) => out
            .quota()
            .and_then(|q| q.value())
            .ok_or_else(|| LiveError::Plan(format!("quota `{code}` has no value"))),
        Err(e) if code_of(&e) == "NoSuchResourceException" => {
            let out = sq
                .get_aws_default_service_quota()
                .service_code(service)
                .quota_code(code)
                .send()
                .await
                .map_err(|e| LiveError::api("servicequotas:GetAWSDefaultServiceQuota", &e))?;
            out.quota()
                .and_then(|q| q.value())
                .ok_or_else(|| LiveError::Plan(format!("quota `{code}` has no default value")))
        }
        Err(e) => Err(LiveError::api("servicequotas:GetServiceQuota", &e)),
    }
}

/// (instance type, AZ name) of every AZ offering one of `types`.
async fn offered(
    clients: &Clients,
    types: &BTreeSet<&str>,
) -> Result<BTreeSet<(String, String)>, LiveError> {
    let ec2 = clients.ec2();
    let mut out = BTreeSet::new();
    let mut token = None;
    loop {
        let page = ec2
            .describe_instance_type_offerings()
            .location_type(LocationType::AvailabilityZone)
            .filters(
                Filter::builder()
                    .name("instance-type")
                    .set_values(Some(types.iter().map(|t| (*t).to_owned()).collect()))
                    .build(),
            )
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| LiveError::api("ec2:DescribeInstanceTypeOfferings", &e))?;
        for o in page.instance_type_offerings() {
            if let (Some(t), Some(az)) = (o.instance_type(), o.location()) {
                out.insert((t.as_str().to_owned(), az.to_owned()));
            }
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// What of `counted` the account holds in the region that no stack of the
/// platform created.
async fn others(
    clients: &Clients,
    counted: Counted,
    platform: &BTreeSet<&str>,
) -> Result<usize, LiveError> {
    let ours = |tags: &[aws_sdk_ec2::types::Tag]| {
        tags.iter().any(|t| {
            t.key() == Some(STACK_NAME_TAG) && t.value().is_some_and(|s| platform.contains(s))
        })
    };
    let ec2 = clients.ec2();
    match counted {
        Counted::Vpcs => {
            let mut count = 0;
            let mut token = None;
            loop {
                let page = ec2
                    .describe_vpcs()
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| LiveError::api("ec2:DescribeVpcs", &e))?;
                count += page.vpcs().iter().filter(|v| !ours(v.tags())).count();
                token = page.next_token().map(str::to_owned);
                if token.is_none() {
                    return Ok(count);
                }
            }
        }
        // Not paginated: an account holds a few addresses per region.
        Counted::ElasticIps => {
            let page = ec2
                .describe_addresses()
                .send()
                .await
                .map_err(|e| LiveError::api("ec2:DescribeAddresses", &e))?;
            Ok(page.addresses().iter().filter(|a| !ours(a.tags())).count())
        }
    }
}

/// Whether `image` (`repository:tag`) is in the account's registry.
async fn image_exists(clients: &Clients, image: &str) -> Result<bool, LiveError> {
    let (repository, tag) = image.rsplit_once(':').unwrap_or((image, "latest"));
    match clients
        .ecr()
        .describe_images()
        .repository_name(repository)
        .image_ids(
            aws_sdk_ecr::types::ImageIdentifier::builder()
                .image_tag(tag)
                .build(),
        )
        .send()
        .await
    {
        Ok(out) => Ok(!out.image_details().is_empty()),
        Err(e)
            if matches!(
                code_of(&e),
                "RepositoryNotFoundException" | "ImageNotFoundException"
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(LiveError::api("ecr:DescribeImages", &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_families_are_told_apart() {
        for t in [
            "c7i.metal-24xl",
            "m5.large",
            "r6i.xlarge",
            "i4i.metal",
            "z1d.metal",
            "t3.micro",
        ] {
            assert!(is_standard(t), "{t}");
        }
        for t in [
            "inf2.xlarge",
            "p4d.24xlarge",
            "g5.xlarge",
            "x2idn.metal",
            "u-6tb1.metal",
            "trn1.2xlarge",
        ] {
            assert!(!is_standard(t), "{t}");
        }
    }
}
