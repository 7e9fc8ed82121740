//! Existence and order: everything a stack reads when it deploys — an SSM
//! parameter or secret through a dynamic reference
//! (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references.html>),
//! a custom resource's service token, a container image or secret of a
//! task, an export — is created by a stack of an earlier deploy wave in
//! the same account and region, or is one of the stack's declared
//! [external inputs](landfall_graph::ExternalInput). And every stack in an
//! account deploys after the stack that creates the account.
//!
//! Images: an ECR image needs its repository (created by a stack) and the
//! image itself, which no stack pushes, so it must be a declared input; an
//! image from another region's ECR needs that registry to replicate to the
//! task's region (the task's VPC endpoints serve its own region only:
//! <https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html>,
//! <https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html>);
//! an image from a public registry needs internet egress to it, which an
//! environment has when its egress is `open`, or `inspected` with the
//! registry on the allowlist.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use landfall_graph::{ExternalInput, InputKind, Resource, Stack, Target};
use landfall_spec::types::EgressMode;
use serde_json::Value;

use crate::placement::{some_of, Layout, Place};
use crate::{Finding, Input};

/// Read, but created by nothing and not declared.
pub const MISSING: &str = "deploy::missing";
/// Created, but not before the stack that reads it.
pub const ORDER: &str = "deploy::order";
/// A public image where the environment has no way out to its registry.
pub const IMAGE_EGRESS: &str = "deploy::image-egress";
/// An image from another region's ECR that does not replicate here.
pub const IMAGE_REPLICATION: &str = "deploy::image-replication";

/// What can be read, and so must be created first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Thing {
    SsmParameter,
    Secret,
    Lambda,
    Topic,
    Export,
    Repository,
}

impl Thing {
    fn describe(self) -> &'static str {
        match self {
            Thing::SsmParameter => "SSM parameter",
            Thing::Secret => "secret",
            Thing::Lambda => "Lambda function",
            Thing::Topic => "SNS topic",
            Thing::Export => "export",
            Thing::Repository => "ECR repository",
        }
    }

    fn input_kind(self) -> Option<InputKind> {
        Some(match self {
            Thing::SsmParameter => InputKind::SsmParameter,
            Thing::Secret => InputKind::Secret,
            Thing::Lambda => InputKind::Lambda,
            Thing::Export => InputKind::Export,
            Thing::Repository => InputKind::Image,
            Thing::Topic => return None,
        })
    }
}

/// Where each thing is created: (thing, account, region, name) → stack.
type Creators<'a> = HashMap<(Thing, &'a str, &'a str, String), usize>;

/// One read of one resource in one place.
struct Read {
    thing: Thing,
    /// Account and region of the thing, when the reference names them.
    account: Option<String>,
    region: Option<String>,
    name: String,
}

#[derive(Default)]
struct Group<'a> {
    accounts: BTreeSet<&'a str>,
    origin: Option<&'a landfall_spec::Pointer>,
}

pub fn check(input: &Input) -> Vec<Finding> {
    let layout = Layout::new(input.model, input.graph);
    let creators = creators(&layout);
    let replication = replication(&layout);
    let account_creators = account_creators(&layout);
    // (stack, resource, code, message, help) → where.
    let mut groups: BTreeMap<(usize, String, &'static str, String, String), Group> =
        BTreeMap::new();
    for (index, stack) in input.graph.stacks.iter().enumerate() {
        let wave = layout.wave(index);
        account_order(&layout, index, stack, &account_creators, &mut groups);
        for &place in layout.places(index) {
            for resource in &stack.resources {
                let mut reads = Vec::new();
                let mut images = Vec::new();
                reads_of(&layout, stack, place, resource, &mut reads, &mut images);
                let mut report = |code: &'static str, message: String, help: String| {
                    let g = groups
                        .entry((index, resource.logical_id.clone(), code, message, help))
                        .or_default();
                    g.accounts.insert(place.account);
                    g.origin = g.origin.or(resource.origin.as_ref());
                };
                for read in reads {
                    check_read(
                        &layout,
                        &creators,
                        index,
                        wave,
                        stack,
                        place,
                        &read,
                        &mut report,
                    );
                }
                for image in images {
                    check_image(
                        input,
                        &layout,
                        &creators,
                        &replication,
                        (index, wave, stack, place),
                        &image,
                        &mut report,
                    );
                }
            }
        }
    }
    groups
        .into_iter()
        .map(|((index, resource, code, message, help), g)| {
            let accounts: Vec<&str> = g.accounts.iter().copied().collect();
            let stack = &input.graph.stacks[index];
            let message = if stack.is_stack_set() {
                format!("{message} (in {})", some_of(&accounts))
            } else {
                message
            };
            Finding {
                code,
                stack: stack.name.clone(),
                resource: (!resource.is_empty()).then_some(resource),
                message,
                help,
                at: g.origin.cloned(),
            }
        })
        .collect()
}

/// A stack in an account deploys after the stack that creates the account
/// (`AWS::Organizations::Account`).
fn account_order<'a>(
    layout: &Layout<'a>,
    index: usize,
    stack: &'a Stack,
    account_creators: &HashMap<&'a str, (usize, &'a Resource)>,
    groups: &mut BTreeMap<(usize, String, &'static str, String, String), Group<'a>>,
) {
    let Target::Account { account, region } = &stack.target else {
        return;
    };
    let Some(&(creator, resource)) = account_creators.get(account.as_str()) else {
        return;
    };
    let (Some(created), Some(wave)) = (layout.wave(creator), layout.wave(index)) else {
        return;
    };
    if created < wave {
        return;
    }
    let creator_name = &layout.graph.stacks[creator].name;
    let g = groups
        .entry((
            index,
            String::new(),
            ORDER,
            format!(
                "deploys in wave {wave} to account `{account}` ({region}), which stack `{creator_name}` creates in wave {created}: the account does not exist yet"
            ),
            format!(
                "make the stack depend on `{creator_name}` (or on a stack that does, such as the account baseline), so it deploys in a later wave than the account's creation: \
                 https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_create.html"
            ),
        ))
        .or_default();
    g.accounts.insert(account);
    g.origin = g.origin.or(resource.origin.as_ref());
}

fn account_creators<'a>(layout: &Layout<'a>) -> HashMap<&'a str, (usize, &'a Resource)> {
    let mut out = HashMap::new();
    for (index, stack) in layout.graph.stacks.iter().enumerate() {
        for r in &stack.resources {
            if r.kind == "AWS::Organizations::Account" {
                if let Some(name) = r.properties.get("AccountName").and_then(Value::as_str) {
                    out.insert(name, (index, r));
                }
            }
        }
    }
    out
}

fn creators<'a>(layout: &Layout<'a>) -> Creators<'a> {
    let mut out = Creators::new();
    for (index, stack) in layout.graph.stacks.iter().enumerate() {
        let created: Vec<(Thing, &Value)> = stack
            .resources
            .iter()
            .filter_map(|r| {
                let (thing, key) = match r.kind.as_str() {
                    "AWS::SSM::Parameter" => (Thing::SsmParameter, "Name"),
                    "AWS::SecretsManager::Secret" => (Thing::Secret, "Name"),
                    "AWS::Lambda::Function" => (Thing::Lambda, "FunctionName"),
                    "AWS::SNS::Topic" => (Thing::Topic, "TopicName"),
                    "AWS::ECR::Repository" => (Thing::Repository, "RepositoryName"),
                    _ => return None,
                };
                Some((thing, r.properties.get(key)?))
            })
            .collect();
        let exports: Vec<&str> = stack
            .outputs
            .iter()
            .filter_map(|o| o.export.as_deref())
            .collect();
        if created.is_empty() && exports.is_empty() {
            continue;
        }
        for &place in layout.places(index) {
            for (thing, name) in &created {
                if let Some(name) = layout.string(stack, place, name) {
                    out.entry((*thing, place.account, place.region, name))
                        .or_insert(index);
                }
            }
            for name in &exports {
                out.entry((
                    Thing::Export,
                    place.account,
                    place.region,
                    (*name).to_owned(),
                ))
                .or_insert(index);
            }
        }
    }
    out
}

/// Regions each account's registry replicates to.
fn replication<'a>(layout: &Layout<'a>) -> HashMap<&'a str, BTreeSet<String>> {
    let mut out: HashMap<&str, BTreeSet<String>> = HashMap::new();
    for (index, stack) in layout.graph.stacks.iter().enumerate() {
        for r in stack
            .resources
            .iter()
            .filter(|r| r.kind == "AWS::ECR::ReplicationConfiguration")
        {
            let regions: Vec<String> = r
                .properties
                .get("ReplicationConfiguration")
                .and_then(|c| c.get("Rules"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .flat_map(|rule| {
                    rule.get("Destinations")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                })
                .filter_map(|d| d.get("Region").and_then(Value::as_str).map(str::to_owned))
                .collect();
            for place in layout.places(index) {
                out.entry(place.account)
                    .or_default()
                    .extend(regions.iter().cloned());
            }
        }
    }
    out
}

/// What one resource reads, in one place: dynamic references anywhere,
/// imports, a custom resource's service token, a task's images and secrets.
fn reads_of(
    layout: &Layout<'_>,
    stack: &Stack,
    place: Place<'_>,
    resource: &Resource,
    reads: &mut Vec<Read>,
    images: &mut Vec<String>,
) {
    for value in resource.properties.values() {
        walk(layout, stack, place, value, reads);
    }
    if resource.kind.starts_with("Custom::")
        || resource.kind == "AWS::CloudFormation::CustomResource"
    {
        if let Some(token) = resource
            .properties
            .get("ServiceToken")
            .and_then(|t| layout.string(stack, place, t))
        {
            reads.extend(token_read(&token));
        }
    }
    if resource.kind == "AWS::ECS::TaskDefinition" {
        for container in resource
            .properties
            .get("ContainerDefinitions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(image) = container
                .get("Image")
                .and_then(|i| layout.string(stack, place, i))
            {
                images.push(image);
            }
            for secret in container
                .get("Secrets")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(from) = secret
                    .get("ValueFrom")
                    .and_then(|v| layout.string(stack, place, v))
                {
                    reads.extend(secret_read(&from));
                }
            }
        }
    }
}

fn walk(
    layout: &Layout<'_>,
    stack: &Stack,
    place: Place<'_>,
    value: &Value,
    reads: &mut Vec<Read>,
) {
    match value {
        Value::String(s) => dynamic_references(s, reads),
        Value::Array(items) => {
            for item in items {
                walk(layout, stack, place, item, reads);
            }
        }
        Value::Object(map) => {
            if map.len() == 1 {
                if let Some(arg) = map.get("Fn::ImportValue") {
                    if let Some(name) = layout.string(stack, place, arg) {
                        reads.push(Read {
                            thing: Thing::Export,
                            account: None,
                            region: None,
                            name,
                        });
                    }
                    return;
                }
                if let Some(sub) = map.get("Fn::Sub") {
                    match layout.string(stack, place, value) {
                        Some(text) => dynamic_references(&text, reads),
                        None => walk(layout, stack, place, sub, reads),
                    }
                    return;
                }
            }
            for v in map.values() {
                walk(layout, stack, place, v, reads);
            }
        }
        _ => {}
    }
}

/// `{{resolve:ssm:NAME[:VERSION]}}`, `{{resolve:ssm-secure:...}}` and
/// `{{resolve:secretsmanager:ID[:...]}}` in a string.
fn dynamic_references(text: &str, reads: &mut Vec<Read>) {
    let mut rest = text;
    while let Some(start) = rest.find("{{resolve:") {
        let after = &rest[start + "{{resolve:".len()..];
        let Some(end) = after.find("}}") else { break };
        let body = &after[..end];
        rest = &after[end + 2..];
        let Some((service, reference)) = body.split_once(':') else {
            continue;
        };
        match service {
            "ssm" | "ssm-secure" => {
                // An ARN names its account and region; a name is local.
                if let Some(read) = ssm_read(reference) {
                    reads.push(read);
                }
            }
            "secretsmanager" => reads.extend(secret_read(reference)),
            _ => {}
        }
    }
}

fn ssm_read(reference: &str) -> Option<Read> {
    if let Some(arn) = reference.strip_prefix("arn:") {
        // arn:aws:ssm:REGION:ACCOUNT:parameter/NAME
        let parts: Vec<&str> = arn.splitn(5, ':').collect();
        let [_, _, region, account, resource] = parts[..] else {
            return None;
        };
        let name = resource.strip_prefix("parameter")?;
        let name = name.split(':').next().unwrap_or(name);
        return Some(Read {
            thing: Thing::SsmParameter,
            account: Some(account.to_owned()),
            region: Some(region.to_owned()),
            name: name.to_owned(),
        });
    }
    // NAME or NAME:VERSION; AWS's public parameters always exist.
    let name = reference.split(':').next().unwrap_or(reference);
    (!name.starts_with("/aws/")).then(|| Read {
        thing: Thing::SsmParameter,
        account: None,
        region: None,
        name: name.to_owned(),
    })
}

/// A task secret's `ValueFrom` or a dynamic reference's secret id: an SSM
/// parameter ARN or name, or a Secrets Manager ARN or name.
fn secret_read(from: &str) -> Option<Read> {
    let parts: Vec<&str> = from.splitn(7, ':').collect();
    match parts[..] {
        ["arn", _, "ssm", ..] => ssm_read(from),
        ["arn", _, "secretsmanager", region, account, "secret", name] => {
            // Secrets Manager adds `-XXXXXX` to a secret's ARN; the name is before it.
            let name = name.split(':').next().unwrap_or(name);
            let name = match name.rsplit_once('-') {
                Some((head, tail)) if tail.len() == 6 => head,
                _ => name,
            };
            Some(Read {
                thing: Thing::Secret,
                account: Some(account.to_owned()),
                region: Some(region.to_owned()),
                name: name.to_owned(),
            })
        }
        _ if from.starts_with('/') => ssm_read(from),
        _ => Some(Read {
            thing: Thing::Secret,
            account: None,
            region: None,
            name: from.split(':').next().unwrap_or(from).to_owned(),
        }),
    }
}

/// A custom resource's provider: a Lambda function or an SNS topic ARN.
fn token_read(token: &str) -> Option<Read> {
    let parts: Vec<&str> = token.splitn(7, ':').collect();
    let (thing, region, account, name) = match parts[..] {
        ["arn", _, "lambda", region, account, "function", name, ..] => (
            Thing::Lambda,
            region,
            account,
            name.split(':').next().unwrap_or(name),
        ),
        ["arn", _, "sns", region, account, name] => (Thing::Topic, region, account, name),
        _ => return None,
    };
    Some(Read {
        thing,
        account: Some(account.to_owned()),
        region: Some(region.to_owned()),
        name: name.to_owned(),
    })
}

#[allow(clippy::too_many_arguments)]
fn check_read(
    layout: &Layout<'_>,
    creators: &Creators<'_>,
    index: usize,
    wave: Option<usize>,
    stack: &Stack,
    place: Place<'_>,
    read: &Read,
    report: &mut dyn FnMut(&'static str, String, String),
) {
    let account = match &read.account {
        Some(id) => match layout.account_of_id(id) {
            Some(a) => a.name.as_str(),
            // An account outside the model: nothing to check offline.
            None => return,
        },
        None => place.account,
    };
    let region = read.region.as_deref().unwrap_or(place.region);
    let what = format!("{} `{}`", read.thing.describe(), read.name);
    let key = (read.thing, account, region, read.name.clone());
    match creators.get(&key) {
        Some(&creator) if creator == index => {}
        Some(&creator) => {
            let (Some(created), Some(wave)) = (layout.wave(creator), wave) else {
                return;
            };
            if created >= wave {
                let name = &layout.graph.stacks[creator].name;
                report(
                    ORDER,
                    format!("reads {what}, which stack `{name}` creates in wave {created}, not before this stack's wave {wave}"),
                    format!(
                        "make this stack depend on `{name}`, so it deploys in a later wave: \
                         a stack that reads what does not exist yet fails to create \
                         (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-exports.html)"
                    ),
                );
            }
        }
        None => {
            if declared(stack, read.thing.input_kind(), &read.name) {
                return;
            }
            report(
                MISSING,
                format!("reads {what} in account `{account}` ({region}), which no stack of the platform creates there and the stack does not declare as an external input"),
                "create it in a stack this one depends on, or declare it in the stack's inputs with who provides it; \
                 CloudFormation fails the stack when a dynamic reference, import or service token names nothing: \
                 https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references.html"
                    .into(),
            );
        }
    }
}

/// Whether the stack declares `name` as an external input of that kind.
fn declared(stack: &Stack, kind: Option<InputKind>, name: &str) -> bool {
    let Some(kind) = kind else {
        return false;
    };
    stack.inputs.iter().any(
        |ExternalInput {
             kind: k, name: n, ..
         }| *k == kind && n == name,
    )
}

/// An image reference's parts: registry host, repository, tag or digest.
fn parse_image(image: &str) -> (&str, &str, &str) {
    let (head, rest) = match image.split_once('/') {
        Some((h, r)) if h.contains('.') || h.contains(':') || h == "localhost" => (h, r),
        _ => ("docker.io", image),
    };
    let (repo, tag) = match rest.rsplit_once('@') {
        Some((r, d)) => (r, d),
        None => match rest.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r, t),
            _ => (rest, "latest"),
        },
    };
    (head, repo, tag)
}

type ImageSite<'s, 'a> = (usize, Option<usize>, &'s Stack, Place<'a>);

fn check_image(
    input: &Input,
    layout: &Layout<'_>,
    creators: &Creators<'_>,
    replication: &HashMap<&str, BTreeSet<String>>,
    (index, wave, stack, place): ImageSite<'_, '_>,
    image: &str,
    report: &mut dyn FnMut(&'static str, String, String),
) {
    let (host, repo, tag) = parse_image(image);
    let image_declared = stack.inputs.iter().any(|i| {
        i.kind == InputKind::Image
            && (i.name == image || i.name == repo || i.name == format!("{repo}:{tag}"))
    });
    // `ACCOUNT.dkr.ecr.REGION.amazonaws.com`
    let ecr: Vec<&str> = host.split('.').collect();
    if let [id, "dkr", "ecr", region, ..] = ecr[..] {
        let Some(account) = layout.account_of_id(id) else {
            return;
        };
        let read = Read {
            thing: Thing::Repository,
            account: Some(id.to_owned()),
            region: Some(region.to_owned()),
            name: repo.to_owned(),
        };
        let exists = creators.contains_key(&(
            Thing::Repository,
            account.name.as_str(),
            region,
            repo.to_owned(),
        ));
        if !exists && image_declared {
            return;
        }
        check_read(layout, creators, index, wave, stack, place, &read, report);
        if exists && !image_declared {
            report(
                MISSING,
                format!("runs image `{repo}:{tag}`, but its repository is created empty by the platform and nothing pushes that tag"),
                "declare the image in the stack's inputs (kind `image`) with the pipeline that pushes it, so `landfall plan` checks it exists before the stack deploys; \
                 a task whose image cannot be pulled never starts and the service's deployment fails: \
                 https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_image".into(),
            );
        }
        if region != place.region
            && !replication
                .get(account.name.as_str())
                .is_some_and(|r| r.contains(place.region))
        {
            report(
                IMAGE_REPLICATION,
                format!("runs in {} an image from the ECR registry of `{}` in {region}, which does not replicate to {}", place.region, account.name, place.region),
                "replicate the registry to every region that runs tasks (AWS::ECR::ReplicationConfiguration) and pull from the task's own region: \
                 https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html".into(),
            );
        }
        return;
    }
    // A public registry: reached over the internet.
    let Some(env) = layout.account(place.account).and_then(|a| a.environment) else {
        return;
    };
    let Some(egress) = input.plan.egress(env) else {
        return;
    };
    let allowed = match egress.mode {
        EgressMode::Open => true,
        EgressMode::Blocked => false,
        EgressMode::Inspected => egress
            .allow_domains
            .iter()
            .any(|d| match d.strip_prefix('.') {
                Some(suffix) => host.ends_with(&format!(".{suffix}")) || host == suffix,
                None => host == d,
            }),
    };
    if !allowed {
        let environment = &input.model.environment(env).name;
        report(
            IMAGE_EGRESS,
            format!(
                "runs image `{image}` from the public registry `{host}`, which environment `{environment}` has no egress to ({} egress)",
                match egress.mode {
                    EgressMode::Blocked => "blocked",
                    _ => "inspected, registry not on the allowlist",
                }
            ),
            "copy the image into the platform's ECR (pull-through cache or the service's repository) and run it from there; \
             tasks pull through the VPC's ECR endpoints: https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html".into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_split_into_registry_repository_and_tag() {
        assert_eq!(
            parse_image("public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"),
            (
                "public.ecr.aws",
                "aws-observability/aws-for-fluent-bit",
                "stable"
            )
        );
        assert_eq!(
            parse_image("100000000003.dkr.ecr.eu-central-1.amazonaws.com/trading/api:initial"),
            (
                "100000000003.dkr.ecr.eu-central-1.amazonaws.com",
                "trading/api",
                "initial"
            )
        );
        assert_eq!(parse_image("nginx"), ("docker.io", "nginx", "latest"));
    }

    #[test]
    fn dynamic_references_name_parameters_and_secrets() {
        let mut reads = Vec::new();
        dynamic_references(
            "a {{resolve:ssm:/landfall/ami/metal}} b {{resolve:ssm:/aws/service/ecs/x}} {{resolve:secretsmanager:db:SecretString:password}}",
            &mut reads,
        );
        let names: Vec<(Thing, &str)> = reads.iter().map(|r| (r.thing, r.name.as_str())).collect();
        assert_eq!(
            names,
            [
                (Thing::SsmParameter, "/landfall/ami/metal"),
                (Thing::Secret, "db")
            ]
        );
    }
}
