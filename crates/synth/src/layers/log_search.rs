//! Short-term log search: one OpenSearch domain per VPC (environment ×
//! region), in the observability account, which the Vector aggregators fill
//! from the log topics (`vector/aggregator.yaml`: daily indices
//! `logs-<domain>-YYYY.MM.DD`, signed with SigV4 as the aggregator's task
//! role) and the ISM policy empties after `opensearch_retention_days`
//! (`observability/opensearch/`).
//!
//! Why per VPC: each VPC's log cluster (MSK, in its data subnets) is
//! reachable only inside that VPC (no peering, no transit gateway), so the
//! aggregators that read it run there, and a VPC domain is reached only
//! through its subnets. The observability account is a participant of each
//! VPC through the data subnets shared with it (`landfall-model`'s
//! `network.log_search`); a participant may create network interfaces and
//! security groups in a shared subnet
//! (<https://docs.aws.amazon.com/vpc/latest/userguide/vpc-share-limitations.html>).
//!
//! What AWS requires before the domain deploys:
//!
//! - the service-linked role `AWSServiceRoleForAmazonOpenSearchService`:
//!   without it CreateDomain refuses a VPC domain ("you must enable a
//!   service-linked role to give Amazon OpenSearch Service permissions to
//!   access your VPC"), and only the console creates it on its own
//!   (<https://docs.aws.amazon.com/opensearch-service/latest/developerguide/slr-aos.html>).
//!   It is one per account, so the account's `log-search-global` stack
//!   creates it and every domain stack deploys after it;
//! - a CloudWatch Logs resource policy admitting `es.amazonaws.com` to the
//!   log groups the domain publishes to, or the domain refuses the log
//!   publishing options
//!   (<https://docs.aws.amazon.com/opensearch-service/latest/developerguide/createdomain-configure-slow-logs.html>);
//! - a key policy that lets the account use the key through OpenSearch
//!   (<https://docs.aws.amazon.com/opensearch-service/latest/developerguide/encryption-at-rest.html>).
//!
//! Storage is sized from the declared log volume of the services that run
//! in the VPC's environment ([`sizing`]), with AWS's formula
//! (<https://docs.aws.amazon.com/opensearch-service/latest/developerguide/sizing-domains.html>).

use landfall_graph::{intrinsic, Layer, ParameterValue, Target};
use landfall_model::{Model, Vpc};
use landfall_spec::types::TierKind;
use serde::Serialize;
use serde_json::{json, Value};

pub use landfall_model::log_search::{
    account, domain_name, domain_stack, region_code, valid_domain_name, AGGREGATOR_PURPOSE,
    AGGREGATOR_ROLE, JAEGER_PURPOSE, JAEGER_ROLE, OPENSEARCH_VARIABLE, ROLE_PATH,
};

use crate::layers::key_policy;
use crate::unit::{resource, tags, ResourceExt, Unit};
use crate::{Ctx, Problem};

/// The engine every domain runs.
pub const ENGINE_VERSION: &str = "OpenSearch_2.19";
/// TLS 1.2 at least, forward secrecy only: the newest policy OpenSearch
/// offers (<https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_DomainEndpointOptions.html>).
pub const TLS_SECURITY_POLICY: &str = "Policy-Min-TLS-1-2-PFS-2023-10";
/// The service the service-linked role is for.
pub const SERVICE_LINKED_ROLE_SERVICE: &str = "opensearchservice.amazonaws.com";
/// Replicas of every log index (the index template's
/// `number_of_replicas`; a test in `landfall-telemetry` keeps them equal).
/// With zone awareness a replica is never in its primary's AZ.
pub const REPLICAS: u64 = 1;
/// The role that administers each domain (fine-grained access control's
/// master user): operators reach it through IAM Identity Center.
pub const ADMIN_ROLE: &str = "landfall-log-search-admin";
/// Where the aggregators write in the data lake's bucket: every key they
/// write starts with it (`domain=<domain>/service=…`, the Glue table's
/// partitions, [`super::log_lake::PARTITION_PATH`]).
pub const LAKE_PREFIX: &str = "domain=";
/// The permissions boundary of the two roles (the baseline's
/// `landfall-workload-boundary`).
pub const BOUNDARY: &str = "landfall/landfall-workload-boundary";
/// The dedicated manager (master) nodes of every domain: three, one per
/// AZ, so losing one AZ keeps a quorum
/// (<https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-dedicatedmasternodes.html>).
pub const MANAGER_NODES: u32 = 3;
/// The smallest EBS volume a data node takes, in GiB.
pub const MIN_VOLUME_GIB: u64 = 10;
/// AWS's storage overhead for log indices: indexing overhead 10%, the 5% the
/// operating system reserves, and the 20% OpenSearch Service reserves per
/// node, as a percentage: 1.1 / 0.95 / 0.8 ≈ 1.45
/// (<https://docs.aws.amazon.com/opensearch-service/latest/developerguide/sizing-domains.html>).
pub const OVERHEAD_PERCENT: u64 = 145;
/// More data nodes than this and the next larger instance type is taken:
/// fewer, larger nodes keep shard counts and manager load down.
pub const PREFERRED_MAX_DATA_NODES: u32 = 12;

/// Data node instance types, smallest first, with the largest gp3 volume
/// each takes in GiB ("EBS volume size quotas",
/// <https://docs.aws.amazon.com/opensearch-service/latest/developerguide/limits.html#ebsresource>).
/// Memory-optimized Graviton: log search is heap- and cache-bound.
pub const DATA_INSTANCE_TYPES: &[(&str, u64)] = &[
    ("r6g.large.search", 1024),
    ("r6g.xlarge.search", 1536),
    ("r6g.2xlarge.search", 3072),
    ("r6g.4xlarge.search", 6144),
    ("r6g.8xlarge.search", 12_288),
    ("r6g.12xlarge.search", 18_432),
];

/// Dedicated manager instance types by the most data nodes each manages,
/// as AWS recommends them
/// (<https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-dedicatedmasternodes.html#dedicatedmasternodes-instance>).
pub const MANAGER_INSTANCE_TYPES: &[(u32, &str)] = &[
    (10, "m6g.large.search"),
    (30, "c6g.2xlarge.search"),
    (75, "r6g.xlarge.search"),
    (125, "r6g.2xlarge.search"),
    (200, "r6g.4xlarge.search"),
];

/// The log groups a domain publishes to, by `LogPublishingOptions` key.
const LOG_TYPES: [(&str, &str, &str); 3] = [
    ("ES_APPLICATION_LOGS", "ApplicationLogs", "application"),
    ("INDEX_SLOW_LOGS", "IndexSlowLogs", "index-slow"),
    ("SEARCH_SLOW_LOGS", "SearchSlowLogs", "search-slow"),
];

/// How one VPC's domain is sized, and from what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sizing {
    pub vpc: String,
    pub environment: String,
    pub region: String,
    pub domain_name: String,
    /// The declared log volume of the services of the environment (each
    /// runs in every region of it), at peak.
    pub log_kib_per_second: u64,
    pub retention_days: u32,
    /// Source data kept: volume × 86,400 s × retention days.
    pub source_gib: u64,
    /// source × (1 + replicas) × 1.45.
    pub storage_gib: u64,
    pub replicas: u64,
    pub availability_zones: u32,
    pub data_instance_type: String,
    pub data_nodes: u32,
    /// gp3, per data node.
    pub volume_gib: u64,
    pub manager_instance_type: String,
    pub manager_nodes: u32,
}

/// The sizing of every VPC's domain; empty without an `observability`
/// section or an observability account.
pub fn sizings(model: &Model) -> Vec<Sizing> {
    if model.observability.is_none() || account(model).is_none() {
        return Vec::new();
    }
    model
        .network
        .vpcs
        .iter()
        .map(|vpc| sizing(model, vpc))
        .collect()
}

/// Sizes one VPC's domain: storage from AWS's formula, then the smallest
/// instance type whose volume quota holds it in at most
/// [`PREFERRED_MAX_DATA_NODES`] nodes (the largest type otherwise), nodes a
/// multiple of the AZs, and the manager type for that many data nodes.
pub fn sizing(model: &Model, vpc: &Vpc) -> Sizing {
    let environment = model.environment(vpc.environment);
    let region = model.region(vpc.region);
    let retention_days = model
        .observability
        .as_ref()
        .map_or(0, |o| o.logs.opensearch_retention_days);
    let log_kib_per_second: u64 = model
        .services
        .iter()
        .filter(|s| s.environments.contains(&vpc.environment))
        .map(|s| u64::from(s.monitoring.logs.volume_kib_per_second))
        .sum();
    let kib_kept = log_kib_per_second * 86_400 * u64::from(retention_days);
    let source_gib = kib_kept.div_ceil(1024 * 1024);
    let storage_gib = (kib_kept * (1 + REPLICAS) * OVERHEAD_PERCENT).div_ceil(100 * 1024 * 1024);
    let azs = u32::try_from(region.azs.len().clamp(1, 3)).unwrap_or(3);
    let nodes_for = |max_volume: u64| -> u32 {
        let nodes = u32::try_from(storage_gib.div_ceil(max_volume)).unwrap_or(u32::MAX);
        nodes.max(azs).div_ceil(azs).saturating_mul(azs)
    };
    let (data_type, data_nodes) = DATA_INSTANCE_TYPES
        .iter()
        .map(|(t, max)| (*t, nodes_for(*max)))
        .find(|(_, n)| *n <= PREFERRED_MAX_DATA_NODES)
        .unwrap_or_else(|| {
            let (t, max) = DATA_INSTANCE_TYPES[DATA_INSTANCE_TYPES.len() - 1];
            (t, nodes_for(max))
        });
    let volume_gib = storage_gib
        .div_ceil(u64::from(data_nodes.max(1)))
        .max(MIN_VOLUME_GIB);
    let manager = MANAGER_INSTANCE_TYPES
        .iter()
        .find(|(most, _)| data_nodes <= *most)
        .map_or(
            MANAGER_INSTANCE_TYPES[MANAGER_INSTANCE_TYPES.len() - 1].1,
            |m| m.1,
        );
    Sizing {
        vpc: vpc.name.clone(),
        environment: environment.name.clone(),
        region: region.name.clone(),
        domain_name: domain_name(&environment.name, &region.name),
        log_kib_per_second,
        retention_days,
        source_gib,
        storage_gib,
        replicas: REPLICAS,
        availability_zones: azs,
        data_instance_type: data_type.to_owned(),
        data_nodes,
        volume_gib,
        manager_instance_type: manager.to_owned(),
        manager_nodes: MANAGER_NODES,
    }
}

/// The stack with the account's service-linked role and the two roles.
pub fn global_stack(ctx_slug: &str) -> String {
    format!("{ctx_slug}-log-search-global")
}

pub(crate) fn build(ctx: &Ctx<'_>, problems: &mut Vec<Problem>) -> Vec<Unit> {
    let model = ctx.model;
    let Some(observability) = model.observability.as_ref() else {
        return Vec::new();
    };
    let Some(account) = account(model) else {
        return Vec::new();
    };
    let retention_at = model
        .observability_origin
        .as_ref()
        .map(|o| o.child("logs").child("opensearch_retention_days"));
    let mut units = vec![global(ctx, &account.name)];
    for vpc in &model.network.vpcs {
        let sizing = sizing(model, vpc);
        if !valid_domain_name(&sizing.domain_name) {
            problems.push(Problem {
                code: "synth::opensearch-domain-name",
                message: format!(
                    "the log search domain of VPC `{}` would be named `{}`, which OpenSearch refuses",
                    vpc.name, sizing.domain_name
                ),
                help: "OpenSearch domain names have 3 to 28 lowercase letters, digits and hyphens: shorten the environment's name".into(),
                at: Some(model.environment(vpc.environment).origin.clone()),
            });
            continue;
        }
        if u64::from(sizing.data_nodes) > model.limits.opensearch_data_nodes_per_domain {
            problems.push(Problem {
                code: "limits::opensearch-data-nodes",
                message: format!(
                    "the log search domain of VPC `{}` needs {} data nodes of `{}` to keep {} GiB ({} KiB/s for {} days), over the quota of {}",
                    vpc.name,
                    sizing.data_nodes,
                    sizing.data_instance_type,
                    sizing.storage_gib,
                    sizing.log_kib_per_second,
                    observability.logs.opensearch_retention_days,
                    model.limits.opensearch_data_nodes_per_domain
                ),
                help: "keep logs searchable for fewer days (the data lake keeps them), or request more instances per domain and set `limits: opensearch_data_nodes_per_domain` to what was granted".into(),
                at: retention_at.clone(),
            });
            continue;
        }
        units.push(domain(
            ctx,
            &account.name,
            vpc,
            &sizing,
            retention_at.as_ref(),
        ));
    }
    units
}

/// The account-wide part: the service-linked role (once per account, and
/// before any VPC domain) and the two roles the domains admit.
fn global(ctx: &Ctx<'_>, account: &str) -> Unit {
    let mut unit = Unit::new(
        global_stack(ctx.slug),
        Layer::Observability,
        "Log search: OpenSearch's service-linked role, the domains' administrator and writer roles"
            .into(),
        Target::Account {
            account: account.to_owned(),
            region: ctx.home.to_owned(),
        },
    );
    unit.depends_on.push(ctx.stack_name("baseline-global", ""));
    let archive = ctx.core_account_param(&mut unit, crate::params::LOG_ARCHIVE, ctx.log_archive);
    unit.add(resource(
        "OpenSearchServiceLinkedRole",
        "AWS::IAM::ServiceLinkedRole",
        json!({
            "AWSServiceName": SERVICE_LINKED_ROLE_SERVICE,
            "Description": "Lets OpenSearch Service place the log search domains' network interfaces in the VPCs"
        }),
    ));
    let domains = intrinsic::sub("arn:${AWS::Partition}:es:*:${AWS::AccountId}:domain/logs-*/*");
    unit.add(resource(
        "AdminRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": ADMIN_ROLE,
            "Path": ROLE_PATH,
            "PermissionsBoundary": boundary(),
            "Description": "Administers the log search domains (fine-grained access control's master user)",
            "MaxSessionDuration": 3600,
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "AWS": intrinsic::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root") },
                    "Action": "sts:AssumeRole",
                    // Only people signed in through IAM Identity Center.
                    "Condition": { "ArnLike": { "aws:PrincipalArn": intrinsic::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-reserved/sso.amazonaws.com/*") } }
                }]
            },
            "Policies": [{
                "PolicyName": "log-search",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Effect": "Allow",
                        "Action": ["es:ESHttpDelete", "es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPatch", "es:ESHttpPost", "es:ESHttpPut"],
                        "Resource": domains
                    }]
                }
            }],
            "Tags": tags(&[("landfall:purpose", "log-search")])
        }),
    ));
    unit.add(resource(
        "AggregatorRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": AGGREGATOR_ROLE,
            "Path": ROLE_PATH,
            "PermissionsBoundary": boundary(),
            "Description": "Task role of the Vector aggregators: writes the log indices",
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "Service": "ecs-tasks.amazonaws.com" },
                    "Action": "sts:AssumeRole",
                    "Condition": { "StringEquals": { "aws:SourceAccount": { "Ref": "AWS::AccountId" } } }
                }]
            },
            "Policies": [{
                "PolicyName": "log-search-write",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        // `_bulk` is a POST; the sink's health check a GET.
                        "Effect": "Allow",
                        "Action": ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut"],
                        "Resource": domains
                    }]
                }
            }, {
                // The data lake in the log archive (home region), whose
                // bucket policy admits this role for the same prefix
                // (`security::lake_writer_statements`): objects under
                // `domain=…/`, SSE-KMS with the archive's key, which lets
                // the organization's principals use it through S3 only.
                // The sink's health check is a HeadBucket (`s3:ListBucket`).
                // <https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-walkthroughs-managing-access-example2.html>
                "PolicyName": "log-lake-write",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "CheckTheLake", "Effect": "Allow",
                            "Action": "s3:ListBucket",
                            "Resource": intrinsic::sub(format!("arn:${{AWS::Partition}}:s3:::{}", ctx.log_bucket("applogs", &archive)))
                        },
                        {
                            "Sid": "WriteTheLake", "Effect": "Allow",
                            "Action": ["s3:AbortMultipartUpload", "s3:PutObject"],
                            "Resource": intrinsic::sub(format!("arn:${{AWS::Partition}}:s3:::{}/{LAKE_PREFIX}*", ctx.log_bucket("applogs", &archive)))
                        },
                        {
                            "Sid": "EncryptWithTheArchiveKey", "Effect": "Allow",
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                            "Resource": intrinsic::sub(format!("arn:${{AWS::Partition}}:kms:{}:${{{archive}}}:key/*", ctx.home)),
                            "Condition": { "StringEquals": { "kms:ViaService": format!("s3.{}.amazonaws.com", ctx.home) } }
                        }
                    ]
                }
            }],
            "Tags": tags(&[("landfall:purpose", "log-search")])
        }),
    ));
    unit.add(resource(
        "JaegerRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": JAEGER_ROLE,
            "Path": ROLE_PATH,
            "PermissionsBoundary": boundary(),
            "Description": "Task role of Jaeger: writes and searches the trace indices",
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "Service": "ecs-tasks.amazonaws.com" },
                    "Action": "sts:AssumeRole",
                    "Condition": { "StringEquals": { "aws:SourceAccount": { "Ref": "AWS::AccountId" } } }
                }]
            },
            "Policies": [{
                // Jaeger's OpenSearch client signs every request with
                // `sigv4auth` as this role: `_bulk` and searches are
                // POSTs, the index templates PUTs, version and health
                // GETs and HEADs.
                // <https://docs.aws.amazon.com/opensearch-service/latest/developerguide/ac.html>
                "PolicyName": "trace-storage",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Effect": "Allow",
                        "Action": ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut"],
                        "Resource": domains
                    }]
                }
            }],
            "Tags": tags(&[("landfall:purpose", "log-search")])
        }),
    ));
    unit
}

/// The rule of a group that opens no connection: a group without egress
/// rules gets AWS's allow-all rule, so it gets this one instead.
fn no_egress() -> Value {
    json!({ "IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "CidrIp": "127.0.0.1/32", "Description": "no egress" })
}

fn boundary() -> Value {
    intrinsic::sub(format!(
        "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:policy/{BOUNDARY}"
    ))
}

/// The ARN of one of the two roles, in the stack's account.
fn role_arn(name: &str) -> Value {
    intrinsic::sub(format!(
        "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role{ROLE_PATH}{name}"
    ))
}

fn domain(
    ctx: &Ctx<'_>,
    account: &str,
    vpc: &Vpc,
    sizing: &Sizing,
    retention_at: Option<&landfall_spec::Pointer>,
) -> Unit {
    let model = ctx.model;
    let region = model.region(vpc.region);
    let mut unit = Unit::new(
        domain_stack(ctx.slug, &vpc.name),
        Layer::Observability,
        format!(
            "Log search of VPC {}: OpenSearch domain {}",
            vpc.name, sizing.domain_name
        ),
        Target::Account {
            account: account.to_owned(),
            region: region.name.clone(),
        },
    );
    let network = ctx.stack_name("network", &vpc.name);
    // The share of the data subnets makes the account a participant.
    unit.depends_on.push(network.clone());
    unit.depends_on.push(ctx.stack_name("baseline-global", ""));
    unit.depends_on.push(global_stack(ctx.slug));
    let core = format!("{network}-core");
    let vpc_id = unit.parameter(
        "VpcId",
        &format!("VPC {} (networking account)", vpc.name),
        ParameterValue::ResourceId {
            stack: core.clone(),
            logical_id: "Vpc".into(),
        },
    );
    // The shared data subnets, one per AZ the domain spreads over.
    let mut data: Vec<&landfall_model::Subnet> = model
        .network
        .subnets
        .iter()
        .filter(|s| {
            s.vpc == vpc.id
                && s.domain.is_none()
                && model.tier(s.tier).kind == TierKind::Data
                && model
                    .network
                    .log_search
                    .is_some_and(|a| s.shared_with.contains(&a))
        })
        .collect();
    data.sort_by_key(|s| s.az);
    data.truncate(sizing.availability_zones as usize);
    let subnets: Vec<Value> = data
        .iter()
        .map(|s| {
            let tier = &model.tier(s.tier).name;
            let az = region.azs.get(s.az).map_or("", String::as_str);
            let letter = az.chars().last().map(String::from).unwrap_or_default();
            let id = landfall_graph::logical_id(&["Subnet", tier, &letter]);
            let param = unit.parameter(
                &id,
                &format!("Subnet {} (networking account)", s.name),
                ParameterValue::ResourceId {
                    stack: core.clone(),
                    logical_id: id.clone(),
                },
            );
            json!({ "Ref": param })
        })
        .collect();
    let purpose = tags(&[("landfall:purpose", "log-search")]);

    // Who may open port 443: the aggregators, the operators' way in, and
    // the internal scanners (`network.scanner`), nobody else.
    unit.add(resource(
        "AggregatorGroup",
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": format!("Vector aggregators of {}: write to the log search domain", vpc.name),
            "VpcId": { "Ref": vpc_id },
            // The aggregators' service adds what else they reach (the log
            // cluster, S3); this stack only the domain.
            "SecurityGroupEgress": [no_egress()],
            "Tags": tags(&[("Name", &format!("{}-log-aggregators", vpc.name)), ("landfall:purpose", "log-search")])
        }),
    ));
    unit.add(resource(
        "JaegerGroup",
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": format!("Jaeger of {}: writes and searches the trace indices of the log search domain", vpc.name),
            "VpcId": { "Ref": vpc_id },
            // Jaeger's stack adds what else its tasks reach (the VPC's
            // endpoints, S3) and who reaches them.
            "SecurityGroupEgress": [no_egress()],
            "Tags": tags(&[("Name", &format!("{}-jaeger", vpc.name)), ("landfall:purpose", "log-search")])
        }),
    ));
    unit.add(resource(
        "OperatorsGroup",
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": format!("Operators to the log search domain of {} (port forwarding, Grafana)", vpc.name),
            "VpcId": { "Ref": vpc_id },
            "SecurityGroupEgress": [no_egress()],
            "Tags": tags(&[("Name", &format!("{}-log-search-operators", vpc.name)), ("landfall:purpose", "log-search")])
        }),
    ));
    let mut ingress = vec![
        json!({
            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            "SourceSecurityGroupId": { "Fn::GetAtt": ["AggregatorGroup", "GroupId"] },
            "Description": "Vector aggregators (bulk writes)"
        }),
        json!({
            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            "SourceSecurityGroupId": { "Fn::GetAtt": ["JaegerGroup", "GroupId"] },
            "Description": "Jaeger (spans in, searches)"
        }),
        json!({
            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            "SourceSecurityGroupId": { "Fn::GetAtt": ["OperatorsGroup", "GroupId"] },
            "Description": "operators (search, Dashboards)"
        }),
    ];
    if model.network.scanner.is_some() {
        let scanner_stack = landfall_graph::scanner_stack_name(ctx.slug, &vpc.name);
        unit.depends_on.push(scanner_stack.clone());
        let param = unit.parameter(
            "ScannerGroupId",
            &format!("The internal scanners' security group in {}", vpc.name),
            ParameterValue::ResourceId {
                stack: scanner_stack,
                logical_id: landfall_graph::SCANNER_GROUP_LOGICAL_ID.into(),
            },
        );
        ingress.push(json!({
            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            "SourceSecurityGroupId": { "Ref": param },
            "Description": "internal vulnerability scanners (network.scanner)"
        }));
    }
    unit.add(resource(
        "DomainGroup",
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": format!("Log search domain {}: HTTPS from the aggregators, Jaeger and operators only", sizing.domain_name),
            "VpcId": { "Ref": vpc_id },
            "SecurityGroupIngress": ingress,
            // The domain answers; it opens no connection of its own.
            "SecurityGroupEgress": [no_egress()],
            "Tags": tags(&[("Name", &format!("{}-log-search", vpc.name)), ("landfall:purpose", "log-search")])
        }),
    ));
    // Egress to the domain as rules of their own: inline, the groups and
    // the domain's group would name each other (a circular dependency).
    for (id, group) in [
        ("AggregatorToDomain", "AggregatorGroup"),
        ("JaegerToDomain", "JaegerGroup"),
        ("OperatorsToDomain", "OperatorsGroup"),
    ] {
        unit.add(resource(
            id,
            "AWS::EC2::SecurityGroupEgress",
            json!({
                "GroupId": { "Fn::GetAtt": [group, "GroupId"] },
                "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                "DestinationSecurityGroupId": { "Fn::GetAtt": ["DomainGroup", "GroupId"] },
                "Description": "the log search domain"
            }),
        ));
    }

    // The key: the account administers it; OpenSearch uses it on behalf of
    // the account's principals (it creates grants as the caller), and
    // CloudWatch Logs encrypts the domain's own log groups with it.
    unit.add(
        resource(
            "SearchKey",
            "AWS::KMS::Key",
            json!({
                "Description": format!("Encrypts the log search domain {} and its logs", sizing.domain_name),
                "EnableKeyRotation": true,
                "KeyPolicy": key_policy(vec![
                    json!({
                        "Sid": "OpenSearchForTheAccount",
                        "Effect": "Allow",
                        "Principal": { "AWS": "*" },
                        "Action": ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
                        "Resource": "*",
                        "Condition": {
                            "StringEquals": {
                                "kms:CallerAccount": { "Ref": "AWS::AccountId" },
                                "kms:ViaService": intrinsic::sub("es.${AWS::Region}.amazonaws.com")
                            }
                        }
                    }),
                    json!({
                        "Sid": "CloudWatchLogs",
                        "Effect": "Allow",
                        "Principal": { "Service": intrinsic::sub("logs.${AWS::Region}.amazonaws.com") },
                        "Action": ["kms:Decrypt", "kms:Describe*", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
                        "Resource": "*",
                        "Condition": { "ArnLike": { "kms:EncryptionContext:aws:logs:arn": intrinsic::sub(format!("arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/landfall/opensearch/{}/*", sizing.domain_name)) } }
                    }),
                ]),
                "Tags": purpose.clone()
            }),
        )
        .retain(),
    );
    unit.add(resource(
        "SearchKeyAlias",
        "AWS::KMS::Alias",
        json!({ "AliasName": format!("alias/landfall/{}", sizing.domain_name), "TargetKeyId": { "Ref": "SearchKey" } }),
    ));

    let domain_arn = intrinsic::sub(format!(
        "arn:${{AWS::Partition}}:es:${{AWS::Region}}:${{AWS::AccountId}}:domain/{}",
        sizing.domain_name
    ));
    let mut publishing = serde_json::Map::new();
    let mut groups = Vec::new();
    for (key, id, suffix) in LOG_TYPES {
        unit.add(resource(
            id,
            "AWS::Logs::LogGroup",
            json!({
                "LogGroupName": format!("/landfall/opensearch/{}/{suffix}", sizing.domain_name),
                "RetentionInDays": 90,
                "KmsKeyId": { "Fn::GetAtt": ["SearchKey", "Arn"] },
                "Tags": purpose.clone()
            }),
        ));
        publishing.insert(
            key.to_owned(),
            json!({ "CloudWatchLogsLogGroupArn": { "Fn::GetAtt": [id, "Arn"] }, "Enabled": true }),
        );
        groups.push(id);
    }
    // `PolicyDocument` is JSON text; `Fn::Sub` puts the ARNs in.
    let resources: Vec<String> = groups.iter().map(|g| format!("${{{g}.Arn}}")).collect();
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "OpenSearchPublishes",
            "Effect": "Allow",
            "Principal": { "Service": "es.amazonaws.com" },
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": resources,
            "Condition": {
                "StringEquals": { "aws:SourceAccount": "${AWS::AccountId}" },
                "ArnLike": { "aws:SourceArn": format!("arn:${{AWS::Partition}}:es:${{AWS::Region}}:${{AWS::AccountId}}:domain/{}", sizing.domain_name) }
            }
        }]
    });
    unit.add(resource(
        "LogPublishingPolicy",
        "AWS::Logs::ResourcePolicy",
        json!({
            "PolicyName": format!("landfall-opensearch-{}", sizing.domain_name),
            "PolicyDocument": { "Fn::Sub": policy.to_string() }
        }),
    ));

    let mut cluster = json!({
        "InstanceType": sizing.data_instance_type,
        "InstanceCount": sizing.data_nodes,
        "DedicatedMasterEnabled": true,
        "DedicatedMasterType": sizing.manager_instance_type,
        "DedicatedMasterCount": sizing.manager_nodes,
        "ZoneAwarenessEnabled": sizing.availability_zones > 1,
        // A standby AZ would need three copies of every shard and idle a
        // third of the nodes; one replica in another AZ is enough here.
        "MultiAZWithStandbyEnabled": false
    });
    if sizing.availability_zones > 1 {
        cluster["ZoneAwarenessConfig"] =
            json!({ "AvailabilityZoneCount": sizing.availability_zones });
    }
    let mut domain = resource(
            "Domain",
            "AWS::OpenSearchService::Domain",
            json!({
                "DomainName": sizing.domain_name,
                "EngineVersion": ENGINE_VERSION,
                "ClusterConfig": cluster,
                "EBSOptions": { "EBSEnabled": true, "VolumeType": "gp3", "VolumeSize": sizing.volume_gib },
                "EncryptionAtRestOptions": { "Enabled": true, "KmsKeyId": { "Ref": "SearchKey" } },
                "NodeToNodeEncryptionOptions": { "Enabled": true },
                "DomainEndpointOptions": { "EnforceHTTPS": true, "TLSSecurityPolicy": TLS_SECURITY_POLICY },
                "AdvancedSecurityOptions": {
                    "Enabled": true,
                    "InternalUserDatabaseEnabled": false,
                    "AnonymousAuthEnabled": false,
                    "MasterUserOptions": { "MasterUserARN": role_arn(ADMIN_ROLE) }
                },
                "AccessPolicies": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Effect": "Allow",
                        "Principal": { "AWS": [role_arn(AGGREGATOR_ROLE), role_arn(JAEGER_ROLE), role_arn(ADMIN_ROLE)] },
                        "Action": "es:ESHttp*",
                        "Resource": intrinsic::sub(format!(
                            "arn:${{AWS::Partition}}:es:${{AWS::Region}}:${{AWS::AccountId}}:domain/{}/*",
                            sizing.domain_name
                        ))
                    }]
                },
                "VPCOptions": {
                    "SubnetIds": subnets,
                    "SecurityGroupIds": [{ "Fn::GetAtt": ["DomainGroup", "GroupId"] }]
                },
                "LogPublishingOptions": publishing,
                // Service software updates apply on their own, in the
                // off-peak window (02:00 UTC, after the markets' day).
                "OffPeakWindowOptions": { "Enabled": true, "OffPeakWindow": { "WindowStartTime": { "Hours": 2, "Minutes": 0 } } },
                "SoftwareUpdateOptions": { "AutoSoftwareUpdateEnabled": true },
                // Not `landfall:environment`: the environments' service
                // allowlists follow the account, and this is a core one.
                "Tags": tags(&[("landfall:purpose", "log-search"), ("landfall:vpc", &sizing.vpc)])
            }),
        )
    // OpenSearch checks the resource policy when it takes the log
    // publishing options.
    .depends("LogPublishingPolicy")
    .retain();
    // Sized from `opensearch_retention_days`: findings point there.
    if let Some(at) = retention_at {
        domain = domain.origin(at);
    }
    unit.add(domain);
    unit.outputs.push(landfall_graph::Output {
        name: "Endpoint".into(),
        description: Some("The aggregators' `OPENSEARCH_ENDPOINT` (vector/aggregator.yaml)".into()),
        value: intrinsic::sub("https://${Domain.DomainEndpoint}"),
        export: None,
    });
    unit.outputs.push(landfall_graph::Output {
        name: "DomainArn".into(),
        description: Some("The domain's ARN".into()),
        value: domain_arn,
        export: None,
    });
    unit.outputs.push(landfall_graph::Output {
        name: "AggregatorGroupId".into(),
        description: Some("The security group the aggregator tasks run in".into()),
        value: json!({ "Fn::GetAtt": ["AggregatorGroup", "GroupId"] }),
        export: None,
    });
    unit.outputs.push(landfall_graph::Output {
        name: "JaegerGroupId".into(),
        description: Some("The security group the Jaeger tasks run in".into()),
        value: json!({ "Fn::GetAtt": ["JaegerGroup", "GroupId"] }),
        export: None,
    });
    unit
}
