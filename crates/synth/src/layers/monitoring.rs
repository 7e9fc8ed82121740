//! The monitoring servers: per VPC (an environment in a region), in the
//! observability account on the VPC's shared data subnets, a
//! VictoriaMetrics cluster (vmstorage, vminsert, vmselect), vmalert in
//! HA and an Alertmanager cluster, all on three storage hosts, one per AZ;
//! and, in the networking account, the private zone that names them.
//!
//! Why hosts and not Fargate: vmstorage keeps its data on disk, and the
//! EBS volumes ECS attaches to a service's Fargate tasks are created per
//! task and deleted when the task stops
//! (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ebs-volumes.html>).
//! Each host is an EC2 instance with a network interface and a data
//! volume of its own, both created apart from the instance, so replacing
//! the instance keeps the address and the data. The fixed addresses are
//! the cluster's service discovery: vminsert and vmselect list the
//! storage nodes by them, Alertmanager's members gossip to them on 9094,
//! vmalert notifies all of them. (Cloud Map's DNS namespaces would need a
//! private hosted zone in the participant account associated with the
//! networking account's VPC, an association CloudFormation cannot make
//! across accounts.)
//!
//! One cluster per VPC, because VPCs are not connected: each
//! environment's agents write to the cluster of their own VPC, which the
//! name `vminsert.<region>.metrics.<org>.internal` resolves to in that VPC.
//!
//! The configuration generated under `observability/` (rules,
//! Alertmanager's routes) reaches the hosts through the stack's
//! configuration bucket: the hosts sync it every minute and reload.
//! Secrets (the remediation webhook's bearer token, receivers' keys) are
//! SecureString parameters under [`SECRETS_PATH`], never in the bucket.
//!
//! Images are the pinned upstream releases ([`IMAGES`]), copied into the
//! shared-services registry, which replicates them to every region.

use landfall_graph::{
    intrinsic, logical_id, Capacity, ExternalInput, InputKind, Layer, Output, ParameterValue,
    Target,
};
use landfall_model::{monitoring, Subnet, Vpc};
use landfall_spec::types::{AccountClass, TierKind};
use serde_json::{json, Value};

use crate::layers::key_policy;
use crate::unit::{resource, tags, ResourceExt, Unit};
use crate::Ctx;

/// The images the servers run, pinned: repository in the shared-services
/// registry, upstream image, tag. The VictoriaMetrics and Alertmanager
/// versions are those the generated configuration targets
/// (`landfall_observability::Profile`; a test keeps them equal).
pub const IMAGES: &[(&str, &str, &str)] = &[
    (
        "monitoring/vmstorage",
        "victoriametrics/vmstorage",
        "v1.79.5-cluster",
    ),
    (
        "monitoring/vminsert",
        "victoriametrics/vminsert",
        "v1.79.5-cluster",
    ),
    (
        "monitoring/vmselect",
        "victoriametrics/vmselect",
        "v1.79.5-cluster",
    ),
    ("monitoring/vmalert", "victoriametrics/vmalert", "v1.79.5"),
    ("monitoring/alertmanager", "prom/alertmanager", "v0.25.0"),
];

/// Ports: vminsert's and vmselect's APIs, vmstorage's for each of them,
/// Alertmanager's API and its cluster's gossip (TCP and UDP).
pub const VMINSERT_PORT: i64 = monitoring::VMINSERT_PORT as i64;
pub const VMSELECT_PORT: i64 = 8481;
pub const VMSTORAGE_INSERT_PORT: i64 = 8400;
pub const VMSTORAGE_SELECT_PORT: i64 = 8401;
pub const ALERTMANAGER_PORT: i64 = 9093;
pub const ALERTMANAGER_GOSSIP_PORT: i64 = 9094;

/// The `landfall:monitoring` tag of each security group, which the
/// reachability check finds them by.
pub const ROLE_TAG: &str = "landfall:monitoring";
pub const HOSTS_ROLE: &str = "hosts";
pub const INSERT_LB_ROLE: &str = "vminsert-lb";
pub const SELECT_LB_ROLE: &str = "vmselect-lb";
/// Alertmanager's load balancer, in the remediation service's VPC only.
pub const ALERTMANAGER_LB_ROLE: &str = "alertmanager-lb";

/// Hosts (by AZ index) that run vmalert: two, in two AZs.
pub const VMALERT_HOSTS: usize = 2;

/// Where the hosts read Alertmanager's secrets (SecureString parameters;
/// a file per parameter under `/etc/alertmanager/secrets/`).
pub const SECRETS_PATH: &str = "/landfall/alertmanager/secrets";

/// The output naming the Alertmanager hosts' security group: the
/// remediation webhook's group admits it on the webhook's port.
pub const ALERTMANAGER_GROUP_OUTPUT: &str = "AlertmanagerSecurityGroupId";

/// The output naming the hosts' security group, which the Zabbix server's
/// endpoint in the VPC admits (the proxy runs on a host).
pub const HOSTS_GROUP_OUTPUT: &str = "HostsSecurityGroupId";

/// The output naming Alertmanager's load balancer, where the DNS stack's
/// record points.
pub const ALERTMANAGER_DNS_OUTPUT: &str = "AlertmanagerDnsName";

/// The AMI: AWS's ECS-optimized Amazon Linux 2023 (Docker installed), read
/// from AWS's public parameter in each region at deploy time
/// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/retrieve-ecs-optimized_AMI.html>).
pub const AMI: &str =
    "{{resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id}}";

/// The stack of a VPC's endpoint of the remediation service (networking
/// account).
pub fn link_stack_name(slug: &str, vpc: &str) -> String {
    format!("{slug}-remediation-link-{vpc}")
}

/// The monitoring stack of a VPC.
pub fn stack_name(slug: &str, vpc: &str) -> String {
    format!("{slug}-monitoring-{vpc}")
}

/// The private zone naming the servers, and the names the agents use
/// (in the model: the agents' configurations name them too).
pub use landfall_model::monitoring::{
    alertmanager_host, remediation_host, vminsert_host, vmselect_host, zabbix_host, zone_name,
};

/// The VPCs that get monitoring servers (and so an Alertmanager): those
/// with shared data subnets in two AZs at least, in model order.
pub(crate) fn vpcs<'a>(ctx: &Ctx<'a>) -> Vec<&'a Vpc> {
    monitoring::server_vpcs(ctx.model)
}

pub(crate) fn build(ctx: &Ctx<'_>) -> Vec<Unit> {
    let Some(account) = ctx.model.core_account(AccountClass::Observability) else {
        return Vec::new();
    };
    let mut units = Vec::new();
    let mut regions_with_ca = std::collections::BTreeSet::new();
    for vpc in vpcs(ctx) {
        let subnets = monitoring::server_subnets(ctx.model, vpc);
        let Some(size) = monitoring::cluster_size(ctx.model, vpc) else {
            continue;
        };
        // The root certificate's parameter is one per account and region:
        // the region's first VPC's stack holds it.
        let holds_ca = regions_with_ca.insert(vpc.region);
        let servers = servers_unit(ctx, vpc, &account.name, &subnets, &size, holds_ca);
        let dns = dns_unit(ctx, vpc, &servers.name);
        if super::heal_service::linked(ctx) {
            units.push(remediation_link(
                ctx,
                vpc,
                &servers.name,
                &dns.name,
                &account.name,
            ));
        }
        if super::zabbix::runs(ctx) {
            units.push(super::zabbix::link(
                ctx,
                vpc,
                &servers.name,
                &dns.name,
                &account.name,
            ));
        }
        units.push(servers);
        units.push(dns);
    }
    units
}

fn network_core(ctx: &Ctx<'_>, vpc: &Vpc) -> String {
    format!("{}-core", ctx.stack_name("network", &vpc.name))
}

fn az_letter(ctx: &Ctx<'_>, vpc: &Vpc, az: usize) -> String {
    let region = ctx.model.region(vpc.region);
    region.azs[az]
        .chars()
        .last()
        .map(String::from)
        .unwrap_or_default()
}

fn servers_unit(
    ctx: &Ctx<'_>,
    vpc: &Vpc,
    account: &str,
    subnets: &[&Subnet],
    size: &monitoring::ClusterSize,
    holds_ca: bool,
) -> Unit {
    let model = ctx.model;
    let region = model.region(vpc.region);
    let env = model.environment(vpc.environment);
    let mut unit = Unit::new(
        stack_name(ctx.slug, &vpc.name),
        Layer::Observability,
        format!(
            "VictoriaMetrics, vmalert and Alertmanager of VPC {} ({} active series)",
            vpc.name, size.active_series
        ),
        Target::Account {
            account: account.to_owned(),
            region: region.name.clone(),
        },
    );
    // After the baseline (the CloudFormation role, the roles' boundary) and
    // the network (the VPC, its subnets and their share).
    unit.depends_on.push(ctx.stack_name("baseline-global", ""));
    unit.depends_on.push(ctx.stack_name("network", &vpc.name));
    let core = network_core(ctx, vpc);
    let vpc_param = unit.parameter(
        "VpcId",
        &format!("VPC {} (networking account)", vpc.name),
        ParameterValue::ResourceId {
            stack: core.clone(),
            logical_id: "Vpc".into(),
        },
    );
    let s3 = unit.parameter(
        "S3PrefixListId",
        "The AWS-managed prefix list of s3 in the region",
        ParameterValue::ManagedPrefixList(format!("com.amazonaws.{}.s3", region.name)),
    );
    let shared = ctx.core_account_param(&mut unit, crate::params::SHARED, ctx.shared);
    let purpose = |extra: &[(&str, &str)]| {
        let mut pairs = vec![
            ("landfall:purpose", "monitoring"),
            ("landfall:environment", env.name.as_str()),
        ];
        pairs.extend_from_slice(extra);
        tags(&pairs)
    };

    // ----- security groups -----
    let vpc_ref = json!({ "Ref": vpc_param });
    let endpoint_cidrs: Vec<String> = ctx
        .model
        .network
        .subnets
        .iter()
        .filter(|s| s.vpc == vpc.id && ctx.model.tier(s.tier).kind == TierKind::Endpoints)
        .map(|s| ctx.plan.subnet_cidr(s.id).to_string())
        .collect();
    let application_cidrs: Vec<String> = ctx
        .model
        .network
        .subnets
        .iter()
        .filter(|s| s.vpc == vpc.id && ctx.model.tier(s.tier).kind == TierKind::Application)
        .map(|s| ctx.plan.subnet_cidr(s.id).to_string())
        .collect();
    let mut host_egress: Vec<Value> = endpoint_cidrs
        .iter()
        .map(|c| json!({ "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": c, "Description": "interface endpoints (ECR, SSM, logs, KMS)" }))
        .collect();
    let zabbix = super::zabbix::runs(ctx);
    if zabbix {
        host_egress.extend(endpoint_cidrs.iter().map(|c| json!({
            "IpProtocol": "tcp", "FromPort": super::zabbix::PORT, "ToPort": super::zabbix::PORT, "CidrIp": c,
            "Description": "the Zabbix server interface endpoint (the proxy)"
        })));
        // The domains' internal load balancers are in the application
        // subnets (one per domain and AZ: one rule for the VPC keeps the
        // group well under its 60 rules); the proxy probes them over HTTPS.
        host_egress.push(json!({
            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            "CidrIp": ctx.plan.vpc_cidr(vpc.id).to_string(),
            "Description": "the internal load balancers the Zabbix proxy probes"
        }));
    }
    host_egress.push(json!({
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
        "DestinationPrefixListId": { "Ref": s3 },
        "Description": "S3 gateway endpoint (image layers, the configuration bucket)"
    }));
    unit.add(resource(
        "HostsSecurityGroup",
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": format!("Monitoring hosts of {}: the cluster ports between them, the load balancers in, the VPC endpoints out", vpc.name),
            "VpcId": vpc_ref,
            "SecurityGroupEgress": host_egress,
            "Tags": purpose(&[(ROLE_TAG, HOSTS_ROLE), ("Name", &format!("{}-monitoring-hosts", vpc.name))])
        }),
    ));
    unit.add(resource(
        "InsertLoadBalancerSecurityGroup",
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": format!("Load balancer of vminsert in {}: the agents of the application subnets and vmalert in", vpc.name),
            "VpcId": vpc_ref,
            "SecurityGroupIngress": application_cidrs.iter().map(|c| json!({
                "IpProtocol": "tcp", "FromPort": VMINSERT_PORT, "ToPort": VMINSERT_PORT,
                "CidrIp": c, "Description": "Telegraf agents of the application subnets"
            })).collect::<Vec<_>>(),
            "SecurityGroupEgress": [{
                "IpProtocol": "tcp", "FromPort": VMINSERT_PORT, "ToPort": VMINSERT_PORT,
                "DestinationSecurityGroupId": { "Fn::GetAtt": ["HostsSecurityGroup", "GroupId"] },
                "Description": "vminsert on the hosts"
            }],
            "Tags": purpose(&[(ROLE_TAG, INSERT_LB_ROLE), ("Name", &format!("{}-vminsert-lb", vpc.name))])
        }),
    ));
    unit.add(resource(
        "SelectLoadBalancerSecurityGroup",
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": format!("Load balancer of vmselect in {}: vmalert (and Grafana) in", vpc.name),
            "VpcId": vpc_ref,
            "SecurityGroupEgress": [{
                "IpProtocol": "tcp", "FromPort": VMSELECT_PORT, "ToPort": VMSELECT_PORT,
                "DestinationSecurityGroupId": { "Fn::GetAtt": ["HostsSecurityGroup", "GroupId"] },
                "Description": "vmselect on the hosts"
            }],
            "Tags": purpose(&[(ROLE_TAG, SELECT_LB_ROLE), ("Name", &format!("{}-vmselect-lb", vpc.name))])
        }),
    ));
    let group = |id: &str| json!({ "Fn::GetAtt": [id, "GroupId"] });
    // Rules that name another group are separate resources: the groups
    // refer to each other.
    let rules: [(&str, &str, &str, &str, i64, &str); 12] = [
        (
            "HostsToStorageInsert",
            "egress",
            "HostsSecurityGroup",
            "tcp",
            VMSTORAGE_INSERT_PORT,
            "vminsert to vmstorage",
        ),
        (
            "HostsFromStorageInsert",
            "ingress",
            "HostsSecurityGroup",
            "tcp",
            VMSTORAGE_INSERT_PORT,
            "vminsert to vmstorage",
        ),
        (
            "HostsToStorageSelect",
            "egress",
            "HostsSecurityGroup",
            "tcp",
            VMSTORAGE_SELECT_PORT,
            "vmselect to vmstorage",
        ),
        (
            "HostsFromStorageSelect",
            "ingress",
            "HostsSecurityGroup",
            "tcp",
            VMSTORAGE_SELECT_PORT,
            "vmselect to vmstorage",
        ),
        (
            "HostsToAlertmanager",
            "egress",
            "HostsSecurityGroup",
            "tcp",
            ALERTMANAGER_PORT,
            "vmalert to Alertmanager",
        ),
        (
            "HostsFromAlertmanager",
            "ingress",
            "HostsSecurityGroup",
            "tcp",
            ALERTMANAGER_PORT,
            "vmalert to Alertmanager",
        ),
        (
            "HostsToGossip",
            "egress",
            "HostsSecurityGroup",
            "tcp",
            ALERTMANAGER_GOSSIP_PORT,
            "Alertmanager cluster (TCP)",
        ),
        (
            "HostsFromGossip",
            "ingress",
            "HostsSecurityGroup",
            "tcp",
            ALERTMANAGER_GOSSIP_PORT,
            "Alertmanager cluster (TCP)",
        ),
        (
            "HostsToGossipUdp",
            "egress",
            "HostsSecurityGroup",
            "udp",
            ALERTMANAGER_GOSSIP_PORT,
            "Alertmanager cluster (UDP)",
        ),
        (
            "HostsFromGossipUdp",
            "ingress",
            "HostsSecurityGroup",
            "udp",
            ALERTMANAGER_GOSSIP_PORT,
            "Alertmanager cluster (UDP)",
        ),
        (
            "HostsToInsertLoadBalancer",
            "egress",
            "InsertLoadBalancerSecurityGroup",
            "tcp",
            VMINSERT_PORT,
            "vmalert recording rules to vminsert",
        ),
        (
            "HostsToSelectLoadBalancer",
            "egress",
            "SelectLoadBalancerSecurityGroup",
            "tcp",
            VMSELECT_PORT,
            "vmalert queries to vmselect",
        ),
    ];
    for (id, direction, peer, protocol, port, why) in rules {
        let (kind, peer_key, group_key) = if direction == "egress" {
            (
                "AWS::EC2::SecurityGroupEgress",
                "DestinationSecurityGroupId",
                "GroupId",
            )
        } else {
            (
                "AWS::EC2::SecurityGroupIngress",
                "SourceSecurityGroupId",
                "GroupId",
            )
        };
        let mut props = json!({
            "IpProtocol": protocol, "FromPort": port, "ToPort": port,
            "Description": why
        });
        props[group_key] = group("HostsSecurityGroup");
        props[peer_key] = group(peer);
        unit.add(resource(id, kind, props));
    }
    for (id, peer, port, why) in [
        (
            "HostsFromInsertLoadBalancer",
            "InsertLoadBalancerSecurityGroup",
            VMINSERT_PORT,
            "load balancer of vminsert",
        ),
        (
            "HostsFromSelectLoadBalancer",
            "SelectLoadBalancerSecurityGroup",
            VMSELECT_PORT,
            "load balancer of vmselect",
        ),
    ] {
        unit.add(resource(
            id,
            "AWS::EC2::SecurityGroupIngress",
            json!({
                "GroupId": group("HostsSecurityGroup"),
                "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                "SourceSecurityGroupId": group(peer),
                "Description": why
            }),
        ));
    }
    for (id, target, port) in [
        (
            "InsertLoadBalancerFromHosts",
            "InsertLoadBalancerSecurityGroup",
            VMINSERT_PORT,
        ),
        (
            "SelectLoadBalancerFromHosts",
            "SelectLoadBalancerSecurityGroup",
            VMSELECT_PORT,
        ),
    ] {
        unit.add(resource(
            id,
            "AWS::EC2::SecurityGroupIngress",
            json!({
                "GroupId": group(target),
                "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                "SourceSecurityGroupId": group("HostsSecurityGroup"),
                "Description": "vmalert on the hosts"
            }),
        ));
    }

    // In the remediation service's VPC, Alertmanager behind a load balancer
    // of its own: the service pages there when it holds back on purpose
    // (`heal serve --alertmanager-url`). Its group admits the service's
    // tasks by their group (the same account's, output by the region's
    // alerting stack, which deploys first).
    let pages = super::heal_service::pages_here(ctx, vpc);
    if pages {
        let alerting = super::alerting::stack_name(ctx, &model_region(ctx, vpc));
        unit.depends_on.push(alerting.clone());
        let tasks = unit.parameter(
            super::heal_service::TASKS_GROUP_OUTPUT,
            "The remediation service's tasks' security group",
            ParameterValue::StackOutput {
                stack: alerting,
                output: super::heal_service::TASKS_GROUP_OUTPUT.into(),
            },
        );
        unit.add(resource(
            "AlertmanagerLoadBalancerSecurityGroup",
            "AWS::EC2::SecurityGroup",
            json!({
                "GroupDescription": format!("Load balancer of Alertmanager in {}: the remediation service in", vpc.name),
                "VpcId": vpc_ref,
                "SecurityGroupIngress": [{
                    "IpProtocol": "tcp", "FromPort": ALERTMANAGER_PORT, "ToPort": ALERTMANAGER_PORT,
                    "SourceSecurityGroupId": { "Ref": tasks },
                    "Description": "the remediation service pages"
                }],
                "SecurityGroupEgress": [{
                    "IpProtocol": "tcp", "FromPort": ALERTMANAGER_PORT, "ToPort": ALERTMANAGER_PORT,
                    "DestinationSecurityGroupId": group("HostsSecurityGroup"),
                    "Description": "Alertmanager on the hosts"
                }],
                "Tags": purpose(&[(ROLE_TAG, ALERTMANAGER_LB_ROLE), ("Name", &format!("{}-alertmanager-lb", vpc.name))])
            }),
        ));
        unit.add(resource(
            "HostsFromAlertmanagerLoadBalancer",
            "AWS::EC2::SecurityGroupIngress",
            json!({
                "GroupId": group("HostsSecurityGroup"),
                "IpProtocol": "tcp", "FromPort": ALERTMANAGER_PORT, "ToPort": ALERTMANAGER_PORT,
                "SourceSecurityGroupId": group("AlertmanagerLoadBalancerSecurityGroup"),
                "Description": "load balancer of Alertmanager"
            }),
        ));
    }

    // The internal scanners (`network.scanner`) probe the hosts, as they
    // probe every group the workload layer creates.
    if ctx.model.network.scanner.is_some() {
        let scanner_stack = landfall_graph::scanner_stack_name(ctx.slug, &vpc.name);
        unit.depends_on.push(scanner_stack.clone());
        let scanner = unit.parameter(
            "ScannerGroupId",
            &format!("The internal scanners' security group in {}", vpc.name),
            ParameterValue::ResourceId {
                stack: scanner_stack,
                logical_id: landfall_graph::SCANNER_GROUP_LOGICAL_ID.into(),
            },
        );
        unit.add(resource(
            "ScannerIntoHostsSecurityGroup",
            "AWS::EC2::SecurityGroupIngress",
            json!({
                "GroupId": group("HostsSecurityGroup"),
                "IpProtocol": "-1",
                "SourceSecurityGroupId": { "Ref": scanner },
                "Description": "internal vulnerability scanners (network.scanner)"
            }),
        ));
    }

    // ----- the data volumes' key -----
    unit.add(
        resource(
            "VolumeKey",
            "AWS::KMS::Key",
            json!({
                "Description": format!("Encrypts the monitoring hosts' volumes in {}", vpc.name),
                "EnableKeyRotation": true,
                // EBS uses the key for the account's principals (the
                // CloudFormation role that creates the volumes, EC2 on the
                // instances' behalf) through grants it creates itself
                // (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html#ebs-encryption-permissions).
                // Nothing here launches through Auto Scaling, so no
                // service-linked role needs the key.
                "KeyPolicy": key_policy(vec![json!({
                    "Sid": "EbsUsesTheKeyForTheAccount",
                    "Effect": "Allow",
                    "Principal": { "AWS": intrinsic::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root") },
                    "Action": ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
                    "Resource": "*",
                    "Condition": { "StringEquals": {
                        "kms:ViaService": intrinsic::sub("ec2.${AWS::Region}.amazonaws.com"),
                        "kms:CallerAccount": { "Ref": "AWS::AccountId" }
                    } }
                })]),
                "Tags": purpose(&[])
            }),
        )
        .retain(),
    );

    // ----- configuration bucket -----
    let bucket_name = intrinsic::sub(format!(
        "{}-monitoring-${{AWS::AccountId}}-{}",
        ctx.slug, vpc.name
    ));
    unit.add(
        resource(
            "ConfigBucket",
            "AWS::S3::Bucket",
            json!({
                "BucketName": bucket_name,
                "VersioningConfiguration": { "Status": "Enabled" },
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": true, "BlockPublicPolicy": true,
                    "IgnorePublicAcls": true, "RestrictPublicBuckets": true
                },
                "OwnershipControls": { "Rules": [{ "ObjectOwnership": "BucketOwnerEnforced" }] },
                "BucketEncryption": { "ServerSideEncryptionConfiguration": [{
                    "ServerSideEncryptionByDefault": { "SSEAlgorithm": "AES256" }
                }] },
                // Old versions are how a bad rule file is rolled back.
                "LifecycleConfiguration": { "Rules": [{
                    "Id": "old-versions", "Status": "Enabled",
                    "NoncurrentVersionExpiration": { "NoncurrentDays": 90 }
                }] },
                "Tags": purpose(&[])
            }),
        )
        .retain(),
    );
    unit.add(resource(
        "ConfigBucketPolicy",
        "AWS::S3::BucketPolicy",
        json!({
            "Bucket": { "Ref": "ConfigBucket" },
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "TlsOnly",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [
                        { "Fn::GetAtt": ["ConfigBucket", "Arn"] },
                        intrinsic::sub("${ConfigBucket.Arn}/*")
                    ],
                    "Condition": { "Bool": { "aws:SecureTransport": "false" } }
                }]
            }
        }),
    ));

    // ----- the hosts' role -----
    let proxy_image = super::zabbix::runs(ctx).then_some(super::zabbix::PROXY_IMAGE);
    let repositories: Vec<Value> = IMAGES
        .iter()
        .chain(proxy_image.as_ref())
        .map(|(repo, _, _)| {
            intrinsic::sub(format!(
                "arn:${{AWS::Partition}}:ecr:${{AWS::Region}}:${{{shared}}}:repository/{repo}"
            ))
        })
        .collect();
    unit.add(resource(
        "HostRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": format!("landfall-monitoring-host-{}", vpc.name),
            "Path": "/workload/",
            "PermissionsBoundary": intrinsic::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/landfall/landfall-workload-boundary"),
            "Description": format!("Monitoring hosts of {}: Session Manager, their images, their configuration and secrets", vpc.name),
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "Service": "ec2.amazonaws.com" },
                    "Action": "sts:AssumeRole"
                }]
            },
            "ManagedPolicyArns": [intrinsic::sub("arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore")],
            "Policies": [{
                "PolicyName": "monitoring-host",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        { "Sid": "LogInToTheRegistry", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*" },
                        {
                            "Sid": "PullTheServers", "Effect": "Allow",
                            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                            "Resource": repositories
                        },
                        {
                            "Sid": "ReadTheConfiguration", "Effect": "Allow",
                            "Action": ["s3:GetObject", "s3:ListBucket"],
                            "Resource": [
                                { "Fn::GetAtt": ["ConfigBucket", "Arn"] },
                                intrinsic::sub("${ConfigBucket.Arn}/observability/*")
                            ]
                        },
                        {
                            "Sid": "ReadAlertmanagerSecrets", "Effect": "Allow",
                            "Action": ["ssm:GetParametersByPath"],
                            "Resource": intrinsic::sub(format!("arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter{SECRETS_PATH}"))
                        }
                    ]
                }
            }],
            "Tags": purpose(&[])
        }),
    ));
    if holds_ca && super::heal_service::linked(ctx) {
        remediation_ca(ctx, &mut unit);
    }
    unit.add(resource(
        "HostProfile",
        "AWS::IAM::InstanceProfile",
        json!({ "Path": "/workload/", "Roles": [{ "Ref": "HostRole" }] }),
    ));
    unit.add(resource(
        "HostLaunchTemplate",
        "AWS::EC2::LaunchTemplate",
        json!({
            "LaunchTemplateData": {
                // The hosts are reached through Session Manager only.
                "IamInstanceProfile": { "Arn": { "Fn::GetAtt": ["HostProfile", "Arn"] } },
                "MetadataOptions": { "HttpTokens": "required", "HttpPutResponseHopLimit": 2, "HttpEndpoint": "enabled" },
                "BlockDeviceMappings": [{
                    "DeviceName": "/dev/xvda",
                    "Ebs": {
                        "VolumeSize": 30, "VolumeType": "gp3", "Encrypted": true,
                        "KmsKeyId": { "Fn::GetAtt": ["VolumeKey", "Arn"] },
                        "DeleteOnTermination": true
                    }
                }],
                "Monitoring": { "Enabled": true }
            },
            "TagSpecifications": [{ "ResourceType": "launch-template", "Tags": purpose(&[]) }]
        }),
    ));

    // ----- per AZ: an interface, a volume, a host -----
    let letters: Vec<String> = subnets.iter().map(|s| az_letter(ctx, vpc, s.az)).collect();
    let interface = |letter: &str| logical_id(&["HostInterface", letter]);
    let address =
        |letter: &str| json!({ "Fn::GetAtt": [interface(letter), "PrimaryPrivateIpAddress"] });
    for (subnet, letter) in subnets.iter().zip(&letters) {
        let tier = &ctx.model.tier(subnet.tier).name;
        let subnet_param = unit.parameter(
            &logical_id(&["Subnet", tier, letter]),
            &format!("Subnet {} (networking account)", subnet.name),
            ParameterValue::ResourceId {
                stack: core.clone(),
                logical_id: logical_id(&["Subnet", tier, letter]),
            },
        );
        unit.add(resource(
            interface(letter),
            "AWS::EC2::NetworkInterface",
            json!({
                "Description": format!("Monitoring host {letter} of {}: its fixed address", vpc.name),
                "SubnetId": { "Ref": subnet_param },
                "GroupSet": [group("HostsSecurityGroup")],
                "Tags": purpose(&[])
            }),
        ));
    }
    let storage_nodes = |port: i64| -> Value {
        let mut parts: Vec<Value> = Vec::new();
        for (i, letter) in letters.iter().enumerate() {
            if i > 0 {
                parts.push(json!(","));
            }
            parts.push(address(letter));
            parts.push(json!(format!(":{port}")));
        }
        json!({ "Fn::Join": ["", parts] })
    };
    let retention = format!("{}d", size.retention_days.max(1));
    let interval = format!("{}s", size.scrape_interval_seconds.max(1));
    for (i, (subnet, letter)) in subnets.iter().zip(&letters).enumerate() {
        let az = &region.azs[subnet.az];
        unit.capacity.push(Capacity {
            instance_type: size.instance_type.to_owned(),
            vcpus_per_instance: size.vcpus_per_host,
            instances: 1,
            availability_zone: az.clone(),
            subnet_owner: ctx.model.account(vpc.account).name.clone(),
        });
        let volume = logical_id(&["DataVolume", letter]);
        let host = logical_id(&["Host", letter]);
        unit.add(
            resource(
                &volume,
                "AWS::EC2::Volume",
                json!({
                    "AvailabilityZone": az,
                    "Size": size.volume_gib_per_node,
                    "VolumeType": "gp3",
                    "Encrypted": true,
                    "KmsKeyId": { "Fn::GetAtt": ["VolumeKey", "Arn"] },
                    "Tags": purpose(&[("Name", &format!("{}-vmstorage-{letter}", vpc.name))])
                }),
            )
            .retain(),
        );
        let peers: Vec<Value> = letters
            .iter()
            .filter(|l| *l != letter)
            .map(|l| address(l))
            .collect();
        let notifiers: Vec<Value> = letters.iter().map(|l| address(l)).collect();
        let script = host_script(HostScript {
            storage_insert: storage_nodes(VMSTORAGE_INSERT_PORT),
            storage_select: storage_nodes(VMSTORAGE_SELECT_PORT),
            peers,
            notifiers,
            vmalert: i < VMALERT_HOSTS,
            // One proxy per VPC (Zabbix 6.0 proxies have no HA): the
            // first host's.
            zabbix_proxy: (zabbix && i == 0).then(|| super::zabbix::proxy_name(&vpc.name)),
            zabbix_server: zabbix_host(ctx.slug),
            retention: &retention,
            interval: &interval,
            volume: &volume,
            insert_host: vminsert_host(ctx.slug, &region.name),
            select_host: vmselect_host(ctx.slug, &region.name),
            shared: &shared,
        });
        unit.add(
            resource(
                &host,
                "AWS::EC2::Instance",
                json!({
                    "ImageId": AMI,
                    "InstanceType": size.instance_type,
                    "LaunchTemplate": {
                        "LaunchTemplateId": { "Ref": "HostLaunchTemplate" },
                        "Version": { "Fn::GetAtt": ["HostLaunchTemplate", "LatestVersionNumber"] }
                    },
                    "NetworkInterfaces": [{ "NetworkInterfaceId": { "Ref": interface(letter) }, "DeviceIndex": "0" }],
                    "DisableApiTermination": true,
                    "UserData": { "Fn::Base64": script },
                    "Tags": purpose(&[("Name", &format!("{}-monitoring-{letter}", vpc.name))])
                }),
            ),
        );
        unit.add(resource(
            logical_id(&["DataVolumeAttachment", letter]),
            "AWS::EC2::VolumeAttachment",
            json!({
                "InstanceId": { "Ref": host },
                "VolumeId": { "Ref": volume },
                "Device": "/dev/xvdf"
            }),
        ));
    }

    // ----- internal load balancers -----
    let subnet_refs: Vec<Value> = letters
        .iter()
        .zip(subnets)
        .map(|(letter, subnet)| {
            let tier = &ctx.model.tier(subnet.tier).name;
            json!({ "Ref": logical_id(&["Subnet", tier, letter]) })
        })
        .collect();
    let mut fronts = vec![
        (
            "Insert",
            VMINSERT_PORT,
            "InsertLoadBalancerSecurityGroup",
            "/health",
        ),
        (
            "Select",
            VMSELECT_PORT,
            "SelectLoadBalancerSecurityGroup",
            "/health",
        ),
    ];
    if pages {
        fronts.push((
            "Alertmanager",
            ALERTMANAGER_PORT,
            "AlertmanagerLoadBalancerSecurityGroup",
            "/-/healthy",
        ));
    }
    // Grafana, in another region, reads this VPC's vmselect through an
    // endpoint service on its load balancer.
    let grafana = super::grafana::vpc(model).filter(|_| {
        super::grafana::remote_select_vpcs(model)
            .iter()
            .any(|v| v.id == vpc.id)
    });
    for (name, port, group_id, health) in fronts {
        let lb = format!("{name}LoadBalancer");
        let tg = format!("{name}Targets");
        let mut balancer = json!({
            "Type": "network",
            "Scheme": "internal",
            "Subnets": subnet_refs,
            "SecurityGroups": [group(group_id)],
            "LoadBalancerAttributes": [
                { "Key": "load_balancing.cross_zone.enabled", "Value": "true" },
                { "Key": "deletion_protection.enabled", "Value": "true" }
            ],
            "Tags": purpose(&[])
        });
        if name == "Select" && grafana.is_some() {
            // PrivateLink traffic comes from the endpoint's VPC; the
            // endpoint's group chooses who enters.
            balancer["EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic"] = json!("off");
        }
        unit.add(resource(
            &lb,
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
            balancer,
        ));
        unit.add(resource(
            &tg,
            "AWS::ElasticLoadBalancingV2::TargetGroup",
            json!({
                "VpcId": vpc_ref,
                "Protocol": "TCP",
                "Port": port,
                // Addresses, not instances: the interfaces outlive them.
                "TargetType": "ip",
                "Targets": letters.iter().map(|l| json!({ "Id": address(l), "Port": port })).collect::<Vec<_>>(),
                "HealthCheckProtocol": "HTTP",
                "HealthCheckPath": health,
                "HealthCheckIntervalSeconds": 10,
                // The hosts see the load balancer's address, which their
                // group admits by the load balancer's group.
                "TargetGroupAttributes": [{ "Key": "preserve_client_ip.enabled", "Value": "false" }],
                "Tags": purpose(&[])
            }),
        ));
        unit.add(resource(
            format!("{name}Listener"),
            "AWS::ElasticLoadBalancingV2::Listener",
            json!({
                "LoadBalancerArn": { "Ref": lb },
                "Protocol": "TCP",
                "Port": port,
                "DefaultActions": [{ "Type": "forward", "TargetGroupArn": { "Ref": tg } }]
            }),
        ));
    }

    if let Some(grafana) = grafana {
        super::heal_service::endpoint_service(
            ctx,
            &mut unit,
            "Select",
            "SelectLoadBalancer",
            &[grafana],
            &purpose(&[]),
        );
        unit.outputs.push(landfall_graph::Output {
            name: super::grafana::SELECT_ENDPOINT_SERVICE_OUTPUT.into(),
            description: Some(
                "vmselect's endpoint service, which Grafana's VPC connects to".into(),
            ),
            value: intrinsic::sub("com.amazonaws.vpce.${AWS::Region}.${SelectEndpointService}"),
            export: None,
        });
    }
    for (name, description, value) in [
        (
            "InsertDnsName",
            "load balancer of vminsert",
            json!({ "Fn::GetAtt": ["InsertLoadBalancer", "DNSName"] }),
        ),
        (
            "SelectDnsName",
            "load balancer of vmselect",
            json!({ "Fn::GetAtt": ["SelectLoadBalancer", "DNSName"] }),
        ),
        (
            "ConfigBucketName",
            "Where `landfall synth`'s observability/ directory is copied for the hosts",
            json!({ "Ref": "ConfigBucket" }),
        ),
        (
            ALERTMANAGER_GROUP_OUTPUT,
            "Alertmanager's hosts: the remediation webhook admits this group",
            group("HostsSecurityGroup"),
        ),
        (
            HOSTS_GROUP_OUTPUT,
            "The monitoring hosts: the Zabbix server's endpoint admits this group (the proxy)",
            group("HostsSecurityGroup"),
        ),
    ]
    .into_iter()
    .chain(pages.then(|| {
        (
            ALERTMANAGER_DNS_OUTPUT,
            "load balancer of Alertmanager (the remediation service's pages)",
            json!({ "Fn::GetAtt": ["AlertmanagerLoadBalancer", "DNSName"] }),
        )
    })) {
        unit.outputs.push(Output {
            name: name.to_owned(),
            description: Some(description.to_owned()),
            value,
            export: None,
        });
    }
    let proxy = zabbix.then_some(super::zabbix::PROXY_IMAGE);
    for (repo, upstream, tag) in IMAGES.iter().chain(proxy.as_ref()) {
        unit.inputs.push(ExternalInput {
            kind: InputKind::Image,
            name: format!("{repo}:{tag}"),
            why: format!("{upstream}:{tag}, copied into the shared-services registry, which replicates it to every region"),
            account: ctx.shared.map(|a| a.name.clone()),
        });
    }
    unit
}

/// The parameter name of the private root certificate Alertmanager
/// verifies the remediation service with: under [`SECRETS_PATH`], so the
/// hosts' sync writes it to the file the configuration's `ca_file` names
/// (`landfall_observability::alertmanager::REMEDIATION_CA_FILE`).
pub fn remediation_ca_parameter() -> String {
    format!("{SECRETS_PATH}/remediation-ca.pem")
}

/// The region's private root certificate (the certificate of the
/// remediation service Alertmanager posts to, the region's own, is from
/// that CA), as a parameter the hosts read.
fn remediation_ca(ctx: &Ctx<'_>, unit: &mut Unit) {
    let region = match &unit.target {
        Target::Account { region, .. } => region.clone(),
        Target::StackSet(_) => ctx.home.to_owned(),
    };
    let stack = landfall_graph::private_ca_stack_name(ctx.slug, &region);
    unit.depends_on.push(stack.clone());
    let pem = unit.parameter(
        "RemediationCaPem",
        "The private root CA's certificate of this region (PEM)",
        ParameterValue::StackOutput {
            stack,
            output: super::pki::ROOT_CERTIFICATE_OUTPUT.into(),
        },
    );
    unit.add(resource(
        "RemediationCaCertificate",
        "AWS::SSM::Parameter",
        json!({
            "Name": remediation_ca_parameter(),
            "Type": "String",
            "Description": "The root CA Alertmanager verifies the remediation service's certificate with",
            "Value": { "Ref": pem },
            "Tags": { "landfall:purpose": "monitoring" }
        }),
    ));
}

struct HostScript<'a> {
    storage_insert: Value,
    storage_select: Value,
    peers: Vec<Value>,
    notifiers: Vec<Value>,
    vmalert: bool,
    /// The proxy's name, on the host that runs the VPC's Zabbix proxy.
    zabbix_proxy: Option<String>,
    zabbix_server: String,
    retention: &'a str,
    interval: &'a str,
    volume: &'a str,
    insert_host: String,
    select_host: String,
    shared: &'a str,
}

/// The host's user data: mount the data volume, log in to the registry,
/// fetch the configuration and secrets (and again every minute, reloading),
/// run the servers with Docker, restarted when they stop.
fn host_script(h: HostScript<'_>) -> Value {
    let registry = format!(
        "${{{}}}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}",
        h.shared
    );
    let image = |repo: &str| -> String {
        IMAGES
            .iter()
            .find(|(r, _, _)| *r == repo)
            .map_or_else(String::new, |(_, _, tag)| {
                format!("{registry}/{repo}:{tag}")
            })
    };
    let mut parts: Vec<Value> = Vec::new();
    let mut text = String::new();
    text.push_str(&format!(
        "#!/bin/bash\nset -euo pipefail\n\
         # The ECS agent is not used: Docker runs the servers.\n\
         systemctl disable --now ecs || true\n\
         VOLUME=$(echo ${{{volume}}} | tr -d -)\n\
         DEVICE=/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_$VOLUME\n\
         until [ -e $DEVICE ]; do sleep 5; done\n\
         blkid $DEVICE || mkfs.xfs $DEVICE\n\
         mkdir -p /var/lib/vmstorage /var/lib/alertmanager /etc/landfall /etc/alertmanager/secrets\n\
         # Alertmanager's image runs as nobody.\n\
         chown 65534:65534 /var/lib/alertmanager\n\
         # The AWS CLI (Amazon Linux's repositories are in S3, behind the gateway endpoint).\n\
         command -v aws || dnf install -y awscli-2\n\
         grep -q /var/lib/vmstorage /etc/fstab || echo \"$DEVICE /var/lib/vmstorage xfs defaults,nofail 0 2\" >> /etc/fstab\n\
         mount -a\n\
         cat > /usr/local/bin/landfall-sync <<'EOF'\n\
         #!/bin/bash\n\
         aws s3 sync --delete s3://${{ConfigBucket}}/observability/ /etc/landfall/observability/\n\
         aws ssm get-parameters-by-path --path {secrets} --with-decryption --query 'Parameters[].[Name,Value]' --output text |\n\
         while IFS=$'\\t' read -r name value; do printf '%s' \"$value\" > /etc/alertmanager/secrets/$(basename $name); done\n\
         curl -fsS -X POST http://127.0.0.1:{am}/-/reload || true\n\
         EOF\n\
         chmod 0755 /usr/local/bin/landfall-sync\n\
         printf '[Service]\\nType=oneshot\\nExecStart=/usr/local/bin/landfall-sync\\n' > /etc/systemd/system/landfall-sync.service\n\
         printf '[Timer]\\nOnBootSec=30\\nOnUnitActiveSec=60\\n[Install]\\nWantedBy=timers.target\\n' > /etc/systemd/system/landfall-sync.timer\n\
         /usr/local/bin/landfall-sync || true\n\
         systemctl daemon-reload && systemctl enable --now landfall-sync.timer\n\
         aws ecr get-login-password | docker login --username AWS --password-stdin {registry}\n\
         run() {{ docker rm -f $1 >/dev/null 2>&1 || true; docker run -d --name $1 --restart=always --network host \"${{!@:2}}\"; }}\n",
        volume = h.volume,
        secrets = SECRETS_PATH,
        am = ALERTMANAGER_PORT,
    ));
    text.push_str(&format!(
        "run vmstorage -v /var/lib/vmstorage:/storage {} -storageDataPath=/storage -retentionPeriod={} -dedup.minScrapeInterval={}\n",
        image("monitoring/vmstorage"),
        h.retention,
        h.interval
    ));
    text.push_str(&format!(
        "run vminsert {} -replicationFactor={} -storageNode=",
        image("monitoring/vminsert"),
        monitoring::REPLICATION_FACTOR
    ));
    flush(&mut parts, &mut text);
    parts.push(h.storage_insert);
    text.push_str(&format!(
        "\nrun vmselect {} -dedup.minScrapeInterval=1ms -storageNode=",
        image("monitoring/vmselect")
    ));
    flush(&mut parts, &mut text);
    parts.push(h.storage_select);
    text.push_str(&format!(
        "\nrun alertmanager -v /var/lib/alertmanager:/alertmanager -v /etc/landfall/observability/alertmanager:/etc/landfall/alertmanager:ro -v /etc/alertmanager/secrets:/etc/alertmanager/secrets:ro {} --config.file=/etc/landfall/alertmanager/alertmanager.yml --storage.path=/alertmanager --cluster.listen-address=0.0.0.0:{}",
        image("monitoring/alertmanager"),
        ALERTMANAGER_GOSSIP_PORT
    ));
    for peer in h.peers {
        text.push_str(" --cluster.peer=");
        flush(&mut parts, &mut text);
        parts.push(peer);
        text.push_str(&format!(":{ALERTMANAGER_GOSSIP_PORT}"));
    }
    text.push('\n');
    if h.vmalert {
        text.push_str(&format!(
            "run vmalert -v /etc/landfall/observability/rules:/etc/landfall/rules:ro {} \
             -rule=/etc/landfall/rules/*.yml -rule=/etc/landfall/rules/domains/*.yml -rule=/etc/landfall/rules/services/*/*.yml \
             -configCheckInterval=1m -evaluationInterval={} \
             -datasource.url=http://{}:{}/select/0/prometheus \
             -remoteRead.url=http://{}:{}/select/0/prometheus \
             -remoteWrite.url=http://{}:{}/insert/0/prometheus",
            image("monitoring/vmalert"),
            h.interval,
            h.select_host,
            VMSELECT_PORT,
            h.select_host,
            VMSELECT_PORT,
            h.insert_host,
            VMINSERT_PORT
        ));
        for notifier in h.notifiers {
            text.push_str(" -notifier.url=http://");
            flush(&mut parts, &mut text);
            parts.push(notifier);
            text.push_str(&format!(":{ALERTMANAGER_PORT}"));
        }
        text.push('\n');
    }
    if let Some(proxy) = &h.zabbix_proxy {
        // An active proxy (mode 0): it connects to the server's trapper
        // through the VPC's endpoint and probes on its own.
        let (repo, _, tag) = super::zabbix::PROXY_IMAGE;
        text.push_str(&format!(
            "mkdir -p /var/lib/zabbix-proxy && chown 1997:1995 /var/lib/zabbix-proxy\n\
             run zabbix-proxy -v /var/lib/zabbix-proxy:/var/lib/zabbix/db_data \
             -e ZBX_PROXYMODE=0 -e ZBX_HOSTNAME={proxy} -e ZBX_SERVER_HOST={} -e ZBX_SERVER_PORT={} \
             {registry}/{repo}:{tag}\n",
            h.zabbix_server,
            super::zabbix::PORT
        ));
    }
    flush(&mut parts, &mut text);
    json!({ "Fn::Join": ["", parts] })
}

/// Ends the literal text so far (an `Fn::Sub` of it) before a value.
fn flush(parts: &mut Vec<Value>, text: &mut String) {
    let chunk = std::mem::take(text);
    if chunk.contains("${") {
        parts.push(intrinsic::sub(chunk));
    } else if !chunk.is_empty() {
        parts.push(Value::String(chunk));
    }
}

/// The private zone in the networking account that names the servers in
/// one VPC: the zone is the VPC owner's, so it associates with the VPC
/// in the same account (a zone in the observability account would need a
/// cross-account association CloudFormation cannot make).
fn dns_unit(ctx: &Ctx<'_>, vpc: &Vpc, servers: &str) -> Unit {
    let model = ctx.model;
    let region = model.region(vpc.region);
    let mut unit = Unit::new(
        landfall_model::monitoring::dns_stack(ctx.slug, &vpc.name),
        Layer::Observability,
        format!("The names of VPC {}'s monitoring servers", vpc.name),
        Target::Account {
            account: model.account(vpc.account).name.clone(),
            region: region.name.clone(),
        },
    );
    unit.depends_on.push(servers.to_owned());
    let vpc_param = unit.parameter(
        "VpcId",
        &format!("VPC {}", vpc.name),
        ParameterValue::ResourceId {
            stack: network_core(ctx, vpc),
            logical_id: "Vpc".into(),
        },
    );
    unit.add(resource(
        "Zone",
        "AWS::Route53::HostedZone",
        json!({
            "Name": zone_name(ctx.slug),
            "HostedZoneConfig": { "Comment": format!("Monitoring servers of {}", vpc.name) },
            "VPCs": [{ "VPCId": { "Ref": vpc_param }, "VPCRegion": region.name }],
            "HostedZoneTags": tags(&[("landfall:purpose", "monitoring")])
        }),
    ));
    for (record, host, output) in [
        (
            "Vminsert",
            vminsert_host(ctx.slug, &region.name),
            "InsertDnsName",
        ),
        (
            "Vmselect",
            vmselect_host(ctx.slug, &region.name),
            "SelectDnsName",
        ),
    ] {
        let target = unit.parameter(
            output,
            &format!("DNS name of the load balancer `{host}` names"),
            ParameterValue::StackOutput {
                stack: servers.to_owned(),
                output: output.to_owned(),
            },
        );
        unit.add(resource(
            record,
            "AWS::Route53::RecordSet",
            json!({
                "HostedZoneId": { "Ref": "Zone" },
                "Name": host,
                "Type": "CNAME",
                "TTL": "60",
                "ResourceRecords": [{ "Ref": target }]
            }),
        ));
    }
    if super::heal_service::pages_here(ctx, vpc) {
        let target = unit.parameter(
            ALERTMANAGER_DNS_OUTPUT,
            "DNS name of Alertmanager's load balancer",
            ParameterValue::StackOutput {
                stack: servers.to_owned(),
                output: ALERTMANAGER_DNS_OUTPUT.into(),
            },
        );
        unit.add(resource(
            "Alertmanager",
            "AWS::Route53::RecordSet",
            json!({
                "HostedZoneId": { "Ref": "Zone" },
                "Name": alertmanager_host(ctx.slug, &region.name),
                "Type": "CNAME",
                "TTL": "60",
                "ResourceRecords": [{ "Ref": target }]
            }),
        ));
    }
    unit
}

/// One service reached through PrivateLink from every VPC with monitoring
/// servers: what differs between the remediation service and the Zabbix
/// server.
pub(crate) struct Link<'a> {
    /// The stack's name and description.
    pub stack: String,
    pub description: String,
    /// Prefix of the logical ids (`<prefix>EndpointSecurityGroup`,
    /// `<prefix>Endpoint`, the record `<prefix>`).
    pub prefix: &'a str,
    /// The `landfall:purpose` tag, and the role tag of the endpoint's group.
    pub purpose: &'a str,
    pub role_tag: &'a str,
    pub role: &'a str,
    /// The group's description and the `Name` tag's suffix.
    pub group_description: String,
    pub name: &'a str,
    /// The port the hosts reach the endpoint on, and why.
    pub port: i64,
    pub why: &'a str,
    /// The stack and output naming the endpoint service.
    pub service_stack: String,
    /// The region of the service's stack.
    pub service_region: String,
    pub service_output: &'a str,
    pub service_description: &'a str,
    /// The servers stack's output naming the hosts' group (the consumers).
    pub hosts_output: &'a str,
    pub hosts_description: &'a str,
    /// The name, in the VPC's zone, of the endpoint.
    pub host: String,
}

/// A VPC's way to a service of the home region: an interface endpoint of
/// the service's endpoint service in the endpoints subnets, created here
/// because only the VPC's owner may create interface endpoints in a shared
/// VPC (<https://repost.aws/knowledge-center/vpc-interface-endpoint-creation-errors>);
/// its group admits the port from the monitoring hosts' group of the
/// observability account (groups of a shared VPC's participants and owner
/// may reference each other,
/// <https://docs.aws.amazon.com/vpc/latest/userguide/vpc-sharing-security-groups.html>);
/// and the name the hosts use, in this VPC's zone, for it. In another
/// region than the service's (Zabbix's server runs in the home region
/// only), the endpoint names the service's region
/// (`ServiceRegion`,
/// <https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-share-your-services.html#endpoint-service-cross-region>).
///
/// A stack of its own beside the zone's (which it writes the record into):
/// interface endpoints have no Terraform form yet, and the zone's stack
/// keeps one.
pub(crate) fn link_unit(
    ctx: &Ctx<'_>,
    vpc: &Vpc,
    servers: &str,
    dns: &str,
    observability: &str,
    link: &Link<'_>,
) -> Unit {
    let model = ctx.model;
    let region = model.region(vpc.region);
    let mut owned = Unit::new(
        link.stack.clone(),
        Layer::Observability,
        link.description.clone(),
        Target::Account {
            account: model.account(vpc.account).name.clone(),
            region: region.name.clone(),
        },
    );
    owned.depends_on.push(dns.to_owned());
    owned.depends_on.push(servers.to_owned());
    let unit = &mut owned;
    let vpc_param = unit.parameter(
        "VpcId",
        &format!("VPC {}", vpc.name),
        ParameterValue::ResourceId {
            stack: network_core(ctx, vpc),
            logical_id: "Vpc".into(),
        },
    );
    let zone = unit.parameter(
        "ZoneId",
        &format!(
            "The private zone `{}` of VPC {}",
            zone_name(ctx.slug),
            vpc.name
        ),
        ParameterValue::ResourceId {
            stack: dns.to_owned(),
            logical_id: "Zone".into(),
        },
    );
    unit.depends_on.push(link.service_stack.clone());
    let service = unit.parameter(
        &logical_id(&[link.prefix, "ServiceName"]),
        link.service_description,
        ParameterValue::StackOutput {
            stack: link.service_stack.clone(),
            output: link.service_output.into(),
        },
    );
    let hosts = unit.parameter(
        link.hosts_output,
        link.hosts_description,
        ParameterValue::StackOutput {
            stack: servers.to_owned(),
            output: link.hosts_output.into(),
        },
    );
    let owner = unit.parameter(
        "ObservabilityAccountId",
        &format!("Id of the `{observability}` account"),
        ParameterValue::AccountId(observability.to_owned()),
    );
    let core = network_core(ctx, vpc);
    let subnets: Vec<Value> = model
        .network
        .subnets
        .iter()
        .filter(|s| s.vpc == vpc.id && model.tier(s.tier).kind == TierKind::Endpoints)
        .map(|s| {
            let tier = &model.tier(s.tier).name;
            let id = logical_id(&["Subnet", tier, &az_letter(ctx, vpc, s.az)]);
            let param = unit.parameter(
                &id,
                &format!("Subnet {}", s.name),
                ParameterValue::ResourceId {
                    stack: core.clone(),
                    logical_id: id.clone(),
                },
            );
            json!({ "Ref": param })
        })
        .collect();
    let group = format!("{}EndpointSecurityGroup", link.prefix);
    let endpoint_id = format!("{}Endpoint", link.prefix);
    unit.add(resource(
        &group,
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": link.group_description,
            "VpcId": { "Ref": vpc_param },
            "SecurityGroupIngress": [{
                "IpProtocol": "tcp", "FromPort": link.port, "ToPort": link.port,
                "SourceSecurityGroupId": { "Ref": hosts },
                "SourceSecurityGroupOwnerId": { "Ref": owner },
                "Description": link.why
            }],
            // An endpoint's interfaces answer; they start nothing.
            "SecurityGroupEgress": [{
                "IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "CidrIp": "127.0.0.1/32",
                "Description": "nothing"
            }],
            "Tags": tags(&[("landfall:purpose", link.purpose), (link.role_tag, link.role), ("Name", &format!("{}-{}", vpc.name, link.name))])
        }),
    ));
    let mut endpoint = json!({
        "VpcEndpointType": "Interface",
        "ServiceName": { "Ref": service },
        "VpcId": { "Ref": vpc_param },
        "SubnetIds": subnets,
        "SecurityGroupIds": [{ "Fn::GetAtt": [group, "GroupId"] }],
        // The service has no private DNS name of its own: the record below
        // names the endpoint.
        "PrivateDnsEnabled": false,
        "Tags": tags(&[("landfall:purpose", link.purpose)])
    });
    if region.name != link.service_region {
        endpoint["ServiceRegion"] = json!(link.service_region);
    }
    unit.add(resource(&endpoint_id, "AWS::EC2::VPCEndpoint", endpoint));
    // `DnsEntries` are `<hosted zone id>:<dns name>`, the regional name first.
    unit.add(resource(
        link.prefix,
        "AWS::Route53::RecordSet",
        json!({
            "HostedZoneId": { "Ref": zone },
            "Name": link.host,
            "Type": "CNAME",
            "TTL": "60",
            "ResourceRecords": [{ "Fn::Select": [1, { "Fn::Split": [":", { "Fn::Select": [0, { "Fn::GetAtt": [endpoint_id, "DnsEntries"] }] }] }] }]
        }),
    ));
    owned
}

/// The VPC's way to the remediation service, for Alertmanager's webhook.
fn remediation_link(
    ctx: &Ctx<'_>,
    vpc: &Vpc,
    servers: &str,
    dns: &str,
    observability: &str,
) -> Unit {
    use super::heal_service::{ENDPOINT_ROLE, ENDPOINT_SERVICE_OUTPUT, HTTPS_PORT, ROLE_TAG};
    link_unit(
        ctx,
        vpc,
        servers,
        dns,
        observability,
        &Link {
            stack: link_stack_name(ctx.slug, &vpc.name),
            description: format!("VPC {}'s endpoint of the remediation service", vpc.name),
            prefix: "Remediation",
            purpose: "remediation",
            role_tag: ROLE_TAG,
            role: ENDPOINT_ROLE,
            group_description: format!(
                "Remediation service endpoint in {}: HTTPS from the Alertmanager hosts",
                vpc.name
            ),
            name: "remediation-endpoint",
            port: i64::from(HTTPS_PORT),
            why: "the Alertmanager webhook",
            // Each region's Alertmanagers post to the service acting there.
            service_stack: super::alerting::stack_name(ctx, &model_region(ctx, vpc)),
            service_region: model_region(ctx, vpc),
            service_output: ENDPOINT_SERVICE_OUTPUT,
            service_description:
                "The remediation service's endpoint service (observability account, this region)",
            hosts_output: ALERTMANAGER_GROUP_OUTPUT,
            hosts_description: "The Alertmanager hosts' security group (observability account)",
            host: remediation_host(ctx.slug),
        },
    )
}

/// The name of `vpc`'s region.
fn model_region(ctx: &Ctx<'_>, vpc: &Vpc) -> String {
    ctx.model.region(vpc.region).name.clone()
}
