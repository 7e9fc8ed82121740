//! The per-account stacks: `<org>-workloads-<domain>-<env>` (data key, ECS
//! cluster, capacity providers, internal load balancer) and its `-edge`
//! stack in `us-east-1` (the CloudFront web ACL).

use landfall_graph::{logical_id, Stack};
use landfall_model::Service;
use landfall_spec::types::{Ingress, TierKind};
use serde_json::{json, Value};

use crate::ctx::{
    account_unique_name, std_tags, Builder, Ctx, Placement, BOUNDARY, CLOUDFRONT_REGION, ROLE_PATH,
    SESSION_INSTANCE_POLICY,
};
use crate::Problem;

/// Facts about a metal host its tasks read, written at boot by its user
/// data (the task metadata endpoint has the zone only on Fargate).
pub const HOST_FACTS_DIR: &str = "/etc/landfall";
/// The host's Availability Zone, from the instance metadata (IMDSv2).
pub const HOST_AZ_FILE: &str = "/etc/landfall/availability-zone";
/// The task volume that mounts [`HOST_FACTS_DIR`].
pub const HOST_FACTS_VOLUME: &str = "host-facts";

/// The metal instance type of latency-sensitive services.
pub const METAL_INSTANCE_TYPE: &str = "c7i.metal-24xl";
/// Its vCPUs, which count against the account's On-Demand Standard vCPU
/// quota (<https://docs.aws.amazon.com/ec2/latest/instancetypes/co.html>).
pub const METAL_INSTANCE_VCPUS: u64 = 96;
/// Instances of one placement group's Auto Scaling group, at most.
pub const METAL_INSTANCES_PER_GROUP: u64 = 4;
/// The AMI of the metal instances: the ECS-optimized Amazon Linux 2023 AMI
/// (with the ECS agent), through the public SSM parameter AWS publishes in
/// every region and account; read at each deployment, so a stack update
/// moves the instances to the latest image. Nothing of the platform creates
/// or shares it.
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/retrieve-ecs-optimized_AMI.html>
pub const METAL_AMI_PARAMETER: &str =
    "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id";

/// Whether a service is reached through the load balancer in this
/// environment, and whether from the internet (through CloudFront).
pub fn exposure(ctx: &Ctx<'_>, place: &Placement<'_>, service: &Service) -> (bool, bool) {
    match service.ingress {
        Ingress::None => (false, false),
        Ingress::Internal => (true, false),
        // Public only where the environment has an edge tier.
        Ingress::Public => (true, has_edge(ctx, place)),
    }
}

fn has_edge(ctx: &Ctx<'_>, place: &Placement<'_>) -> bool {
    ctx.model.network.tiers.iter().any(|t| {
        t.kind == TierKind::Edge
            && (t.environments.is_empty() || t.environments.contains(&place.env.id))
    })
}

pub(crate) fn build(
    ctx: &Ctx<'_>,
    place: &Placement<'_>,
    services: &[&Service],
    problems: &mut Vec<Problem>,
) -> Stack {
    let name = ctx.stack_name(place, "");
    let mut b = Builder::new(
        name.clone(),
        format!(
            "Workloads of {} in {}: data key, ECS cluster, load balancer",
            place.domain.name, place.env.name
        ),
        &place.account.name,
        &place.region.name,
    );
    b.depends_on(format!("{}-baseline-global", ctx.slug));
    b.depends_on(format!("{}-baseline-regional", ctx.slug));
    let svc = |s: &str| json!({ "Fn::Sub": format!("{s}.${{AWS::Region}}.amazonaws.com") });
    b.add(
        "DataKey",
        "AWS::KMS::Key",
        json!({
            "Description": format!("Encrypts the data stores and logs of {} in {}", place.domain.name, place.env.name),
            "EnableKeyRotation": true,
            "KeyPolicy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "AccountAdministers",
                        "Effect": "Allow",
                        "Principal": { "AWS": { "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root" } },
                        "Action": "kms:*",
                        "Resource": "*"
                    },
                    {
                        "Sid": "DataServicesOfTheAccount",
                        "Effect": "Allow",
                        "Principal": { "AWS": "*" },
                        "Action": ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
                        "Resource": "*",
                        "Condition": {
                            "StringEquals": { "kms:CallerAccount": { "Ref": "AWS::AccountId" } },
                            "ForAnyValue:StringEquals": { "kms:ViaService": [svc("rds"), svc("elasticache"), svc("dynamodb"), svc("kafka"), svc("secretsmanager")] }
                        }
                    },
                    {
                        "Sid": "CloudWatchLogs",
                        "Effect": "Allow",
                        "Principal": { "Service": { "Fn::Sub": "logs.${AWS::Region}.amazonaws.com" } },
                        "Action": ["kms:Decrypt", "kms:Describe*", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
                        "Resource": "*",
                        "Condition": { "ArnLike": { "kms:EncryptionContext:aws:logs:arn": { "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*" } } }
                    }
                ]
            },
            "Tags": std_tags(place, &[])
        }),
    )
    .retain = true;
    b.add(
        "DataKeyAlias",
        "AWS::KMS::Alias",
        json!({ "AliasName": "alias/landfall/data", "TargetKeyId": { "Ref": "DataKey" } }),
    );
    b.output(
        "DataKeyArn",
        json!({ "Fn::GetAtt": ["DataKey", "Arn"] }),
        true,
    );

    let latency: Vec<&&Service> = services.iter().filter(|s| s.latency_sensitive).collect();
    let mut providers: Vec<Value> = vec![json!("FARGATE")];
    if !latency.is_empty() {
        providers.extend(capacity(ctx, place, &mut b, problems));
    }
    b.add(
        "Cluster",
        "AWS::ECS::Cluster",
        json!({
            "ClusterName": format!("{}-{}", place.domain.name, place.env.name),
            "ClusterSettings": [{ "Name": "containerInsights", "Value": "enhanced" }],
            "Tags": std_tags(place, &[])
        }),
    );
    b.add(
        "ClusterCapacityProviders",
        "AWS::ECS::ClusterCapacityProviderAssociations",
        json!({
            "Cluster": { "Ref": "Cluster" },
            "CapacityProviders": providers,
            "DefaultCapacityProviderStrategy": [{ "CapacityProvider": "FARGATE", "Weight": 1 }]
        }),
    );
    b.output("ClusterName", json!({ "Ref": "Cluster" }), true);
    if !latency.is_empty() {
        crate::host_agent::add(ctx, place, &mut b);
    }

    // The image tag each service's tasks run, which its stack reads when
    // CloudFormation updates it: created here with the first tag, before
    // the service stacks that read it, and written by the service's
    // pipeline after each deployment it verified (docs/pipelines.md).
    // CloudFormation leaves a value written outside it alone until the
    // template's value changes, i.e. the spec names another tag.
    for service in services {
        b.add(
            &logical_id(&["image", "tag", &service.name]),
            "AWS::SSM::Parameter",
            json!({
                "Name": landfall_graph::image_tag_parameter(&service.name),
                "Type": "String",
                "Value": crate::service::first_image_tag(service),
                "Description": format!("Image tag the tasks of {} run: written by its pipeline ({})", service.name, service.repository),
                "Tags": { "landfall:domain": place.domain.name, "landfall:service": service.name }
            }),
        );
    }

    if services.iter().any(|s| exposure(ctx, place, s).0) {
        let vpc = b.vpc_ref(ctx, place, problems);
        let subnets = ctx.subnets(place, TierKind::Application);
        let subnet_refs = b.subnet_refs(ctx, place, &subnets, problems);
        b.add(
            "LoadBalancerSecurityGroup",
            "AWS::EC2::SecurityGroup",
            json!({
                "GroupDescription": format!("Internal load balancer of {} in {}: callers are allowed by their own rules", place.domain.name, place.env.name),
                "VpcId": vpc,
                "SecurityGroupEgress": [{
                    "IpProtocol": "tcp", "FromPort": 1024, "ToPort": 65535,
                    "DestinationSecurityGroupId": { "Ref": "TasksOfTheLoadBalancer" },
                    "Description": "to the tasks behind it"
                }],
                "Tags": std_tags(place, &[])
            }),
        );
        // The tasks' shared marker group: a load balancer's egress names it,
        // services attach it beside their own group.
        b.add(
            "TasksOfTheLoadBalancer",
            "AWS::EC2::SecurityGroup",
            json!({
                "GroupDescription": "Tasks reached through the internal load balancer (no rules of its own)",
                "VpcId": vpc,
                "SecurityGroupEgress": [{ "IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "CidrIp": "127.0.0.1/32", "Description": "no egress of its own" }],
                "Tags": std_tags(place, &[])
            }),
        );
        b.add(
            "LoadBalancer",
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
            json!({
                "Name": lb_name(place),
                "Type": "application",
                "Scheme": "internal",
                "Subnets": subnet_refs,
                "SecurityGroups": [{ "Ref": "LoadBalancerSecurityGroup" }],
                "LoadBalancerAttributes": [
                    { "Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true" },
                    { "Key": "deletion_protection.enabled", "Value": "true" }
                ],
                "Tags": std_tags(place, &[])
            }),
        );
        crate::tls::listener(ctx, place, &mut b);
        // Callers in other domains reach it from their application subnets.
        let mut seen = std::collections::BTreeSet::new();
        let mut rule = 0;
        for callee in services.iter().filter(|s| exposure(ctx, place, s).0) {
            for caller in ctx.callers[callee.id.index()]
                .iter()
                .filter(|c| c.environments.contains(&place.env.id))
            {
                if caller.domain == place.domain.id || !seen.insert(caller.domain) {
                    continue;
                }
                let Some(other) = ctx.peer(place, caller.domain) else {
                    continue;
                };
                for cidr in ctx.app_cidrs(&other) {
                    rule += 1;
                    b.add(
                        &logical_id(&["CallersFrom", &other.domain.name, &rule.to_string()]),
                        "AWS::EC2::SecurityGroupIngress",
                        json!({
                            "GroupId": { "Fn::GetAtt": ["LoadBalancerSecurityGroup", "GroupId"] },
                            "IpProtocol": "tcp", "FromPort": crate::tls::HTTPS_PORT, "ToPort": crate::tls::HTTPS_PORT, "CidrIp": cidr,
                            "Description": format!("services of {} that call services of {}", other.domain.name, place.domain.name)
                        }),
                    );
                }
            }
        }
        // The VPC's Zabbix proxy probes each load-balanced service from the
        // monitoring hosts (the shared data subnets of the observability
        // account): HTTPS with the routing header, as callers do.
        if landfall_model::monitoring::zabbix_proxy(ctx.model, place.vpc).is_some() {
            for (i, subnet) in landfall_model::monitoring::server_subnets(ctx.model, place.vpc)
                .iter()
                .enumerate()
            {
                b.add(
                    &logical_id(&["ZabbixProbesFrom", &ctx.az_letter(place, subnet.az), &i.to_string()]),
                    "AWS::EC2::SecurityGroupIngress",
                    json!({
                        "GroupId": { "Fn::GetAtt": ["LoadBalancerSecurityGroup", "GroupId"] },
                        "IpProtocol": "tcp", "FromPort": crate::tls::HTTPS_PORT, "ToPort": crate::tls::HTTPS_PORT,
                        "CidrIp": ctx.plan.subnet_cidr(subnet.id).to_string(),
                        "Description": "the VPC Zabbix proxy on the monitoring hosts (its health probes)"
                    }),
                );
            }
        }
        if services.iter().any(|s| exposure(ctx, place, s).1) {
            match &ctx.model.network.dns {
                Some(dns) => {
                    let name = crate::tls::origin(ctx, place, dns, &mut b);
                    b.output("OriginDomainName", json!(name), true);
                }
                // Once per environment, not per region.
                None if place.primary => {
                    for service in services.iter().filter(|s| exposure(ctx, place, s).1) {
                        problems.push(Problem {
                            code: "workloads::public-without-zone",
                            message: format!(
                                "`{}` is public in `{}`, but the spec declares no public zone for its origin",
                                service.name, place.env.name
                            ),
                            help: "add `network.dns` (`public_zone`, `hosted_zone_id`): CloudFront reaches an origin over HTTPS only with a public certificate for a name in a zone the platform controls".into(),
                            at: Some(service.origin.clone()),
                        });
                    }
                }
                None => {}
            }
            b.add(
                "VpcOrigin",
                "AWS::CloudFront::VpcOrigin",
                json!({
                    "VpcOriginEndpointConfig": {
                        "Name": lb_name(place),
                        "Arn": { "Ref": "LoadBalancer" },
                        "HTTPPort": 80,
                        "HTTPSPort": crate::tls::HTTPS_PORT,
                        "OriginProtocolPolicy": "https-only",
                        "OriginSSLProtocols": ["TLSv1.2"]
                    },
                    "Tags": std_tags(place, &[])
                }),
            );
            b.output(
                "VpcOriginId",
                json!({ "Fn::GetAtt": ["VpcOrigin", "Id"] }),
                true,
            );
        }
        b.output("ListenerArn", json!({ "Ref": "Listener" }), true);
        b.output(
            "LoadBalancerFullName",
            json!({ "Fn::GetAtt": ["LoadBalancer", "LoadBalancerFullName"] }),
            true,
        );
        b.output(
            "LoadBalancerDnsName",
            json!({ "Fn::GetAtt": ["LoadBalancer", "DNSName"] }),
            true,
        );
        b.output("LoadBalancerArn", json!({ "Ref": "LoadBalancer" }), true);
        b.output(
            "LoadBalancerSecurityGroupId",
            json!({ "Fn::GetAtt": ["LoadBalancerSecurityGroup", "GroupId"] }),
            true,
        );
        b.output(
            "TasksSecurityGroupId",
            json!({ "Fn::GetAtt": ["TasksOfTheLoadBalancer", "GroupId"] }),
            true,
        );
    }
    b.stack
}

/// `<domain>-<env>` cut to the 32 characters a load balancer name may have.
fn lb_name(place: &Placement<'_>) -> String {
    let name = format!("{}-{}", place.domain.name, place.env.name);
    let cut: String = name.chars().take(32).collect();
    cut.trim_end_matches('-').to_owned()
}

/// EC2 capacity on metal instances, one Auto Scaling group and capacity
/// provider per cluster placement group (a cluster placement group lives in
/// one AZ). Returns the capacity provider references.
fn capacity(
    ctx: &Ctx<'_>,
    place: &Placement<'_>,
    b: &mut Builder,
    problems: &mut Vec<Problem>,
) -> Vec<Value> {
    let vpc = b.vpc_ref(ctx, place, problems);
    b.add(
        "InstanceRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": account_unique_name("ecs-instance", &format!("{}-{}", place.domain.name, place.env.name), place),
            "Path": ROLE_PATH,
            "PermissionsBoundary": { "Fn::Sub": format!("arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:policy/{BOUNDARY}") },
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{ "Effect": "Allow", "Principal": { "Service": "ec2.amazonaws.com" }, "Action": "sts:AssumeRole" }]
            },
            "ManagedPolicyArns": [
                { "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role" },
                { "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore" },
                // Without it the agent can neither decrypt sessions with the
                // session key nor write session logs: no way into the host.
                { "Fn::Sub": format!("arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:policy/{SESSION_INSTANCE_POLICY}") }
            ]
        }),
    );
    b.add(
        "InstanceProfile",
        "AWS::IAM::InstanceProfile",
        json!({ "Path": ROLE_PATH, "Roles": [{ "Ref": "InstanceRole" }] }),
    );
    // The ECS agent pulls images (ECR and S3, where the layers are), ships
    // logs and fetches secrets for the tasks of its instance.
    let mut instance_egress: Vec<Value> = ctx
        .vpc_cidrs(place, TierKind::Endpoints)
        .iter()
        .map(|c| json!({ "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": c, "Description": "interface endpoints (ECS, SSM, ECR, logs)" }))
        .collect();
    let s3 = b.param(
        "S3PrefixListId",
        "The AWS-managed prefix list of s3 in the region",
        landfall_graph::ParameterValue::ManagedPrefixList(format!(
            "com.amazonaws.{}.s3",
            place.region.name
        )),
    );
    instance_egress.push(json!({
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
        "DestinationPrefixListId": { "Ref": s3 },
        "Description": "S3 gateway endpoint (ECR image layers)"
    }));
    // The host daemon runs in the host's network: it leaves through this
    // group to the VPC's vminsert, whose load balancer is in the shared
    // data subnets.
    if crate::host_agent::config(ctx, place).is_some() {
        instance_egress.extend(ctx.vminsert_egress(place, "host metrics agent"));
    }
    b.add(
        "InstanceSecurityGroup",
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": "Metal container instances: no inbound (Session Manager only); tasks use awsvpc groups of their own",
            "VpcId": vpc,
            "SecurityGroupEgress": instance_egress,
            "Tags": std_tags(place, &[])
        }),
    );
    // Where `landfall heal` moves a host GuardDuty finds acting for an
    // attacker: no rule in, none out (the one egress rule stands for none:
    // a group without rules would get the allow-all default). Found by
    // its tags, in the instances' VPC, in their account.
    b.add(
        "QuarantineSecurityGroup",
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": "Quarantine of a metal host: no traffic in or out",
            "VpcId": vpc,
            "SecurityGroupEgress": [{ "IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "CidrIp": "127.0.0.1/32", "Description": "no egress" }],
            "Tags": std_tags(place, &[(landfall_model::monitoring::QUARANTINE_TAG, "true")])
        }),
    );
    b.add(
        "MetalLaunchTemplate",
        "AWS::EC2::LaunchTemplate",
        json!({
            "LaunchTemplateData": {
                "ImageId": format!("{{{{resolve:ssm:{METAL_AMI_PARAMETER}}}}}"),
                "InstanceType": METAL_INSTANCE_TYPE,
                "IamInstanceProfile": { "Arn": { "Fn::GetAtt": ["InstanceProfile", "Arn"] } },
                "SecurityGroupIds": [{ "Ref": "InstanceSecurityGroup" }],
                // The hosts' own interfaces carry their domain: the
                // remediation role may quarantine only interfaces so tagged.
                "TagSpecifications": [{ "ResourceType": "network-interface", "Tags": std_tags(place, &[]) }],
                "MetadataOptions": { "HttpTokens": "required", "HttpPutResponseHopLimit": 1, "HttpEndpoint": "enabled" },
                "Monitoring": { "Enabled": true },
                "BlockDeviceMappings": [{
                    "DeviceName": "/dev/xvda",
                    "Ebs": { "Encrypted": true, "VolumeSize": 100, "VolumeType": "gp3", "DeleteOnTermination": true }
                }],
                "UserData": { "Fn::Base64": { "Fn::Sub": "#!/bin/bash\necho ECS_CLUSTER=${Cluster} >> /etc/ecs/ecs.config\n" } }
            }
        }),
    );
    let mut refs = Vec::new();
    let groups: Vec<_> = ctx
        .plan
        .placement_groups
        .iter()
        .filter(|g| g.vpc == place.vpc.id && g.domain == place.domain.id)
        .collect();
    let app = ctx.subnets(place, TierKind::Application);
    check_vcpu_quota(ctx, place, groups.len(), problems);
    for group in groups {
        let az = ctx.az_letter(place, group.az);
        // The account's own cluster placement group in the AZ: a group
        // shared through RAM must be named by its id by the accounts it is
        // shared with, which CloudFormation does not return; one of its own
        // is named, as its owner may.
        // <https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/share-placement-group.html>
        let pg = logical_id(&["PlacementGroup", &az]);
        b.add(
            &pg,
            "AWS::EC2::PlacementGroup",
            json!({
                "Strategy": "cluster",
                "Tags": std_tags(place, &[("Name", &group.name)])
            }),
        );
        let Some(subnet) = app.iter().find(|s| s.az == group.az) else {
            continue;
        };
        b.stack.capacity.push(landfall_graph::Capacity {
            instance_type: METAL_INSTANCE_TYPE.to_owned(),
            vcpus_per_instance: METAL_INSTANCE_VCPUS,
            instances: METAL_INSTANCES_PER_GROUP,
            availability_zone: place.region.azs.get(group.az).cloned().unwrap_or_default(),
            subnet_owner: ctx.model.account(place.vpc.account).name.clone(),
        });
        let subnet = b.subnet_refs(ctx, place, &[subnet], problems);
        let asg = logical_id(&["Metal", &az, "Group"]);
        b.add(
            &asg,
            "AWS::AutoScaling::AutoScalingGroup",
            json!({
                "MinSize": "0",
                "MaxSize": METAL_INSTANCES_PER_GROUP.to_string(),
                "LaunchTemplate": {
                    "LaunchTemplateId": { "Ref": "MetalLaunchTemplate" },
                    "Version": { "Fn::GetAtt": ["MetalLaunchTemplate", "LatestVersionNumber"] }
                },
                "PlacementGroup": { "Ref": pg },
                "VPCZoneIdentifier": subnet,
                "NewInstancesProtectedFromScaleIn": true,
                "Tags": [
                    { "Key": "landfall:domain", "Value": place.domain.name, "PropagateAtLaunch": true },
                    { "Key": "landfall:environment", "Value": place.env.name, "PropagateAtLaunch": true }
                ]
            }),
        );
        let cp = logical_id(&["Metal", &az, "Capacity"]);
        b.add(
            &cp,
            "AWS::ECS::CapacityProvider",
            json!({
                "AutoScalingGroupProvider": {
                    "AutoScalingGroupArn": { "Ref": asg },
                    "ManagedScaling": { "Status": "ENABLED", "TargetCapacity": 100 },
                    "ManagedTerminationProtection": "ENABLED",
                    // ECS drains a host its group terminates (scale-in, a
                    // replacement of an unhealthy host) before it goes;
                    // said here, not left to the API's default.
                    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-instance-draining.html
                    "ManagedDraining": "ENABLED"
                },
                "Tags": std_tags(place, &[])
            }),
        );
        b.output(&cp, json!({ "Ref": cp }), true);
        refs.push(json!({ "Ref": cp }));
    }
    // The launch template's user data names the cluster.
    if let Some(lt) = b
        .stack
        .resources
        .iter_mut()
        .find(|r| r.logical_id == "MetalLaunchTemplate")
    {
        lt.properties["LaunchTemplateData"]["UserData"] = json!({ "Fn::Base64": { "Fn::Sub": [
            metal_user_data(),
            { "Cluster": format!("{}-{}", place.domain.name, place.env.name) }
        ] } });
    }
    refs
}

/// The stack naming the account's internal load balancer in its VPC's
/// monitoring zone, where the load balancer and the zone exist
/// ([`crate::names`]).
pub(crate) fn names(ctx: &Ctx<'_>, place: &Placement<'_>, account_stack: &Stack) -> Option<Stack> {
    crate::names::stack(
        ctx,
        place,
        "names",
        &format!(
            "the load balancer of {} in {}",
            place.domain.name, place.env.name
        ),
        account_stack,
        "LoadBalancerDnsName",
        &[(
            "LoadBalancer",
            landfall_model::monitoring::load_balancer_host(
                ctx.slug,
                &place.domain.name,
                &place.env.name,
            ),
        )],
    )
}

/// A metal host's user data (`${Cluster}` substituted by CloudFormation):
/// it joins the cluster, and writes the host's zone to [`HOST_AZ_FILE`]
/// from the instance metadata with an IMDSv2 session (the launch template
/// requires tokens), before the ECS agent starts any task that reads it.
/// <https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html>
pub fn metal_user_data() -> String {
    format!(
        "#!/bin/bash\n\
         echo ECS_CLUSTER=${{Cluster}} >> /etc/ecs/ecs.config\n\
         mkdir -p {HOST_FACTS_DIR}\n\
         token=$(curl -sf --retry 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token)\n\
         curl -sf --retry 5 -H \"X-aws-ec2-metadata-token: $token\" http://169.254.169.254/latest/meta-data/placement/availability-zone > {HOST_AZ_FILE}\n"
    )
}

/// The metal fleet of a placement at its largest must fit the account's
/// On-Demand Standard vCPU quota (new accounts start at 5 vCPUs: less than
/// one metal instance); the spec's `limits:` says what has been granted.
fn check_vcpu_quota(
    ctx: &Ctx<'_>,
    place: &Placement<'_>,
    groups: usize,
    problems: &mut Vec<Problem>,
) {
    let quota = ctx.model.limits.on_demand_standard_vcpus;
    let fleet = groups as u64 * METAL_INSTANCES_PER_GROUP * METAL_INSTANCE_VCPUS;
    if fleet > quota {
        problems.push(Problem {
            code: "workloads::vcpu-quota",
            message: format!(
                "the metal fleet of `{}` in `{}` ({}) reaches {fleet} vCPUs of `{METAL_INSTANCE_TYPE}`, over the On-Demand Standard vCPU quota of {quota}",
                place.domain.name, place.env.name, place.region.name
            ),
            help: format!(
                "request `Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances` (L-1216C47A) of at least {fleet} vCPUs for account `{}` in {}, then set `limits: on_demand_standard_vcpus` to what was granted",
                place.account.name, place.region.name
            ),
            at: Some(place.domain.origin.clone()),
        });
    }
}

/// The edge stack: the CloudFront web ACL in `us-east-1`, made with the
/// environment's primary region (every region's distributions use it).
pub(crate) fn edge(ctx: &Ctx<'_>, place: &Placement<'_>, services: &[&Service]) -> Option<Stack> {
    if !place.primary || !services.iter().any(|s| exposure(ctx, place, s).1) {
        return None;
    }
    let mut b = Builder::new(
        ctx.stack_name(place, "edge"),
        format!(
            "CloudFront web ACL of the public services of {} in {}",
            place.domain.name, place.env.name
        ),
        &place.account.name,
        CLOUDFRONT_REGION,
    );
    // Deployed through the account's deploy role, in an account the
    // organization layer creates: after the baseline, like every stack
    // of the account.
    b.depends_on(format!("{}-baseline-global", ctx.slug));
    let managed = |priority: u32, name: &str| {
        json!({
            "Name": name,
            "Priority": priority,
            "OverrideAction": { "None": {} },
            "Statement": { "ManagedRuleGroupStatement": { "VendorName": "AWS", "Name": name } },
            "VisibilityConfig": { "SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": name }
        })
    };
    b.add(
        "WebAcl",
        "AWS::WAFv2::WebACL",
        json!({
            "Name": format!("{}-{}", place.domain.name, place.env.name),
            "Scope": "CLOUDFRONT",
            "DefaultAction": { "Allow": {} },
            "Rules": [
                managed(0, "AWSManagedRulesCommonRuleSet"),
                managed(1, "AWSManagedRulesKnownBadInputsRuleSet"),
                managed(2, "AWSManagedRulesAmazonIpReputationList")
            ],
            "VisibilityConfig": { "SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": format!("{}-{}", place.domain.name, place.env.name) },
            "Tags": std_tags(place, &[])
        }),
    );
    b.output(
        "WebAclArn",
        json!({ "Fn::GetAtt": ["WebAcl", "Arn"] }),
        false,
    );
    if let Some(dns) = &ctx.model.network.dns {
        crate::tls::zone(place, dns, &mut b);
    }
    Some(b.stack)
}
