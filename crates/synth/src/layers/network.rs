//! The network, in the networking account: one unit per VPC (environment ×
//! region), from the address plan.
//!
//! A VPC's shared parts — the VPC, gateways, shared-tier subnets, route
//! tables, the firewall, endpoints, flow logs — form its `core` stack; each
//! domain gets a stack of its own subnets, its placement groups and the RAM
//! share of everything its account may use. Adding a domain adds a stack;
//! nothing existing moves. A core or domain stack that outgrows a limit is
//! cut further by tier (see [`crate::split`]).
//!
//! Addresses, sharing, placement groups and routes all come from
//! `landfall-netplan`'s [`AddressPlan`](landfall_netplan::AddressPlan); this
//! module only expresses them as resources.

use std::collections::BTreeMap;

use landfall_graph::{intrinsic, logical_id, Layer, ParameterValue, Target};
use landfall_model::{Subnet, TierId, Vpc};
use landfall_netplan::RouteTarget;
use landfall_spec::types::TierKind;
use serde_json::{json, Value};

use crate::unit::{resource, tags, ResourceExt, Unit};
use crate::{params, Ctx};

/// Interface endpoints every VPC gets where it has an endpoints tier: what
/// tasks reach without a route to the internet (Fargate platform version
/// 1.4 pulls images, fetches secrets and ships logs through the task's ENI:
/// ECR, CloudWatch Logs, Secrets Manager and SSM parameters; task roles call
/// KMS and STS), and Session Manager's three.
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/platform-version-migration.html>
pub const INTERFACE_ENDPOINTS: [&str; 9] = [
    "ec2messages",
    "ecr.api",
    "ecr.dkr",
    "kms",
    "logs",
    "secretsmanager",
    "ssm",
    "ssmmessages",
    "sts",
];
/// Interface endpoints of the ECS agent, added where the VPC runs ECS on
/// EC2 (metal capacity in placement groups): container instances without
/// internet egress register and report through them.
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/vpc-endpoints.html>
pub const ECS_AGENT_ENDPOINTS: [&str; 3] = ["ecs", "ecs-agent", "ecs-telemetry"];
/// Interface endpoints added where a remediation service runs
/// (`NetworkLayout::remediation_vpcs`, one per region): it reads its
/// alerting unit's queue,
/// and its actions, made as each account's remediation role, leave from
/// its tasks: ECS, EC2, Auto Scaling, MSK (`kafka`) and RDS, besides SSM,
/// which every VPC has. Its other calls go to endpoints every VPC has
/// (STS, ECR, logs, Secrets Manager, KMS; DynamoDB through the gateway
/// endpoint). An interface endpoint serves its own region only, so each
/// region runs a service of its own, acting on that region's targets
/// (<https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-privatelink-support.html>).
/// MSK's, RDS's and Auto Scaling's only where an action calls them
/// ([`remediation_endpoints`]).
pub const REMEDIATION_ENDPOINTS: [&str; 6] = ["autoscaling", "ec2", "ecs", "kafka", "rds", "sqs"];

/// The remediation service's endpoints the platform's actions call: MSK's
/// with MSK stores, RDS's when Aurora writers are failed over, Auto
/// Scaling's when retiring hosts are replaced (the remediation role's
/// grants follow the same conditions).
fn remediation_endpoints(model: &landfall_model::Model) -> Vec<&'static str> {
    use landfall_model::monitoring::{AURORA_WRITER_UNAVAILABLE, METAL_HOST_RETIRING};
    let msk = model.data_stores.iter().any(|s| !s.is_database());
    let aurora = model
        .data_stores
        .iter()
        .any(|s| matches!(s.engine, landfall_spec::types::Engine::Aurora { .. }))
        && model.remediates(AURORA_WRITER_UNAVAILABLE);
    REMEDIATION_ENDPOINTS
        .into_iter()
        .filter(|service| match *service {
            "kafka" => msk,
            "rds" => aurora,
            "autoscaling" => model.remediates(METAL_HOST_RETIRING),
            _ => true,
        })
        .collect()
}
/// Interface endpoints added where Grafana runs (`layers::grafana`): it
/// reads CloudWatch.
pub const GRAFANA_ENDPOINTS: [&str; 1] = ["monitoring"];
/// Gateway endpoints (free, attached to every route table).
pub const GATEWAY_ENDPOINTS: [&str; 2] = ["dynamodb", "s3"];

pub(crate) fn build(ctx: &Ctx<'_>) -> Vec<Unit> {
    let mut subnets_of: BTreeMap<usize, Vec<&Subnet>> = BTreeMap::new();
    for subnet in &ctx.model.network.subnets {
        subnets_of
            .entry(subnet.vpc.index())
            .or_default()
            .push(subnet);
    }
    let mut units: Vec<Unit> = ctx
        .model
        .network
        .vpcs
        .iter()
        .map(|vpc| {
            vpc_unit(
                ctx,
                vpc,
                subnets_of
                    .get(&vpc.id.index())
                    .map_or(&[][..], Vec::as_slice),
            )
        })
        .collect();
    if let Some(scanner) = ctx.model.network.scanner {
        units.extend(
            ctx.model
                .network
                .vpcs
                .iter()
                .map(|vpc| scanner_unit(ctx, vpc, scanner)),
        );
    }
    units
}

/// The internal scanners' security group in a VPC, in the scanner account
/// (a participant of the VPC through the endpoints subnets shared with it:
/// a participant may create security groups in a shared VPC, and groups
/// of the VPC's participants may reference each other,
/// <https://docs.aws.amazon.com/vpc/latest/userguide/vpc-sharing-security-groups.html>).
/// Every group the workload layer creates admits it; it reaches every port
/// of the VPC and nothing outside it.
fn scanner_unit(ctx: &Ctx<'_>, vpc: &Vpc, scanner: landfall_model::AccountId) -> Unit {
    let model = ctx.model;
    let region = model.region(vpc.region);
    let mut unit = Unit::new(
        landfall_graph::scanner_stack_name(ctx.slug, &vpc.name),
        Layer::Network,
        format!("The internal scanners' security group in VPC {}", vpc.name),
        Target::Account {
            account: model.account(scanner).name.clone(),
            region: region.name.clone(),
        },
    );
    // The share of the endpoints subnets makes the account a participant.
    unit.depends_on.push(ctx.stack_name("network", &vpc.name));
    let vpc_param = unit.parameter(
        "VpcId",
        &format!("VPC {} (networking account)", vpc.name),
        ParameterValue::ResourceId {
            stack: format!("{}-core", ctx.stack_name("network", &vpc.name)),
            logical_id: "Vpc".into(),
        },
    );
    let cidr = ctx.plan.vpc_cidr(vpc.id).to_string();
    unit.add(resource(
        landfall_graph::SCANNER_GROUP_LOGICAL_ID,
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": format!("Internal vulnerability scanners in {}: every port of the VPC, nothing beyond", vpc.name),
            "VpcId": { "Ref": vpc_param },
            "SecurityGroupEgress": [
                { "IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "CidrIp": cidr, "Description": "TCP probes inside the VPC" },
                { "IpProtocol": "udp", "FromPort": 0, "ToPort": 65535, "CidrIp": cidr, "Description": "UDP probes inside the VPC" },
                { "IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "CidrIp": cidr, "Description": "host discovery inside the VPC" }
            ],
            "Tags": tags(&[("Name", &format!("{}-scanner", vpc.name)), ("landfall:purpose", "scanner")]),
        }),
    ));
    unit
}

fn az_letter(name: &str) -> String {
    name.chars().last().map(String::from).unwrap_or_default()
}

fn domain_part(ctx: &Ctx<'_>, domain: landfall_model::DomainId) -> String {
    format!("domain-{}", ctx.model.domain(domain).name)
}

fn subnet_id(ctx: &Ctx<'_>, subnet: &Subnet, az: &str) -> String {
    let tier = ctx.model.tier(subnet.tier);
    match subnet.domain {
        Some(d) => logical_id(&[
            "Subnet",
            &tier.name,
            &ctx.model.domain(d).name,
            &az_letter(az),
        ]),
        None => logical_id(&["Subnet", &tier.name, &az_letter(az)]),
    }
}

/// The endpoint id of a one-AZ firewall: `EndpointIds` lists `az:vpce-id`.
fn firewall_endpoint(firewall: &str) -> Value {
    json!({
        "Fn::Select": [1, { "Fn::Split": [":", { "Fn::Select": [0, { "Fn::GetAtt": [firewall, "EndpointIds"] }] }] }]
    })
}

fn route_table_id(tier: &str, az: &str) -> String {
    logical_id(&["RouteTable", tier, &az_letter(az)])
}

fn vpc_unit(ctx: &Ctx<'_>, vpc: &Vpc, subnets: &[&Subnet]) -> Unit {
    let model = ctx.model;
    let region = model.region(vpc.region);
    let env = model.environment(vpc.environment);
    let plan = ctx.plan;
    let egress = plan.egress(env.id);
    let account = model.account(vpc.account);
    let mut unit = Unit::new(
        ctx.stack_name("network", &vpc.name),
        Layer::Network,
        format!(
            "VPC {} of the {} environment in {}",
            vpc.name, env.name, region.name
        ),
        Target::Account {
            account: account.name.clone(),
            region: region.name.clone(),
        },
    );
    unit.fixed_depth = 1;
    // The networking and core accounts are in the organization's core
    // stack; each domain's stack waits for its own accounts only.
    unit.depends_on.push(ctx.stack_name("log-archive", ""));
    // After the baseline: CloudFormation runs the network as the
    // baseline's service role (see `crate::deployers`), so a firewall or
    // transit gateway that takes longer than the deployer's session does
    // not fail with it.
    unit.depends_on.push(ctx.stack_name("baseline-global", ""));
    let organization = ctx.stack_name("organization", "");
    unit.part_depends_on
        .push(("core".into(), organization.clone(), "core".into()));
    for domain in &model.domains {
        let key = format!("domain-{}", domain.name);
        unit.part_depends_on
            .push((key.clone(), organization.clone(), key.clone()));
    }
    for account in model.accounts.iter().filter(|a| a.domain.is_none()) {
        unit.part_depends_on.push((
            format!("account-{}", account.name),
            organization.clone(),
            "core".into(),
        ));
    }
    let log_archive = ctx.core_account_param(&mut unit, params::LOG_ARCHIVE, ctx.log_archive);
    let vpc_cidr = plan.vpc_cidr(vpc.id).to_string();
    let tiers: Vec<&landfall_model::Tier> = model
        .network
        .tiers
        .iter()
        .filter(|t| t.environments.contains(&env.id))
        .collect();
    let flow_logs_bucket = ctx.log_bucket("flowlogs", &log_archive);

    unit.add(
        resource(
            "Vpc",
            "AWS::EC2::VPC",
            json!({
                "CidrBlock": vpc_cidr,
                "EnableDnsHostnames": true,
                "EnableDnsSupport": true,
                "Tags": tags(&[("Name", &vpc.name), ("landfall:environment", &env.name)]),
            }),
        )
        .at(&["core"])
        .origin(&model.network.origin),
    );
    unit.add(
        resource(
            "FlowLog",
            "AWS::EC2::FlowLog",
            json!({
                "ResourceId": { "Ref": "Vpc" },
                "ResourceType": "VPC",
                "TrafficType": "ALL",
                "LogDestinationType": "s3",
                "LogDestination": intrinsic::sub(format!("arn:${{AWS::Partition}}:s3:::{flow_logs_bucket}/vpc/{}/", vpc.name)),
                "MaxAggregationInterval": 60,
                "DestinationOptions": {
                    "FileFormat": "parquet",
                    "HiveCompatiblePartitions": true,
                    "PerHourPartition": true
                },
                "Tags": tags(&[("Name", &vpc.name)]),
            }),
        )
        .at(&["core"]),
    );

    let internet = egress.is_some_and(|e| e.internet_gateway);
    if internet {
        unit.add(
            resource(
                "InternetGateway",
                "AWS::EC2::InternetGateway",
                json!({ "Tags": tags(&[("Name", &vpc.name)]) }),
            )
            .at(&["core"]),
        );
        unit.add(
            resource(
                "InternetGatewayAttachment",
                "AWS::EC2::VPCGatewayAttachment",
                json!({ "VpcId": { "Ref": "Vpc" }, "InternetGatewayId": { "Ref": "InternetGateway" } }),
            )
            .at(&["core"]),
        );
    }
    if egress.is_some_and(|e| e.nat_gateway) {
        // A regional NAT gateway spans the VPC's AZs and needs no public
        // subnet of its own. Its addresses are the platform's own, one per
        // AZ (manual mode): venues and banks allow-list the source
        // addresses of order flow, so they must never change, and each
        // counts against the account's Elastic IP quota (`limits:
        // elastic_ips_per_region`), which the plan checks.
        // <https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateways-regional.html>
        let mut addresses = Vec::new();
        for az in &region.azs {
            let id = logical_id(&["NatAddress", &az_letter(az)]);
            unit.add(
                resource(
                    &id,
                    "AWS::EC2::EIP",
                    json!({
                        "Domain": "vpc",
                        "Tags": tags(&[("Name", &format!("{}-nat-{az}", vpc.name))]),
                    }),
                )
                .at(&["core"])
                .retain(),
            );
            addresses.push(json!({
                "AvailabilityZone": az,
                "AllocationIds": [{ "Fn::GetAtt": [id, "AllocationId"] }],
            }));
        }
        let mut nat = resource(
            "NatGateway",
            "AWS::EC2::NatGateway",
            json!({
                "AvailabilityMode": "regional",
                "ConnectivityType": "public",
                "VpcId": { "Ref": "Vpc" },
                "AvailabilityZoneAddresses": addresses,
                "Tags": tags(&[("Name", &vpc.name)]),
            }),
        )
        .at(&["core"]);
        if internet {
            nat = nat.depends("InternetGatewayAttachment");
        }
        unit.add(nat);
    }

    // Subnets, with their route table associations.
    let mut by_tier_az: BTreeMap<(TierId, usize), Vec<String>> = BTreeMap::new();
    for subnet in subnets {
        let tier = model.tier(subnet.tier);
        let az = region.azs.get(subnet.az).map_or("", String::as_str);
        let id = subnet_id(ctx, subnet, az);
        let part = match subnet.domain {
            Some(d) => domain_part(ctx, d),
            None => "core".to_owned(),
        };
        let mut tag_pairs = vec![
            ("Name", subnet.name.as_str()),
            ("landfall:tier", tier.name.as_str()),
        ];
        if let Some(d) = subnet.domain {
            tag_pairs.push(("landfall:domain", model.domain(d).name.as_str()));
        }
        unit.add(
            resource(
                &id,
                "AWS::EC2::Subnet",
                json!({
                    "VpcId": { "Ref": "Vpc" },
                    "CidrBlock": plan.subnet_cidr(subnet.id).to_string(),
                    "AvailabilityZone": az,
                    "MapPublicIpOnLaunch": false,
                    "Tags": tags(&tag_pairs),
                }),
            )
            .at(&[&part, &tier.name])
            .origin(&tier.origin),
        );
        unit.add(
            resource(
                format!("{id}Routes"),
                "AWS::EC2::SubnetRouteTableAssociation",
                json!({
                    "SubnetId": { "Ref": id },
                    "RouteTableId": { "Ref": route_table_id(&tier.name, az) },
                }),
            )
            .at(&[&part, &tier.name]),
        );
        by_tier_az
            .entry((subnet.tier, subnet.az))
            .or_default()
            .push(id);
    }

    // The firewall: one per AZ, each with one endpoint, so a route can name
    // its AZ's endpoint exactly (`EndpointIds` of a multi-AZ firewall has no
    // guaranteed order); AWS charges per endpoint either way.
    let firewall_tier = tiers.iter().find(|t| t.kind == TierKind::Firewall);
    let mut firewall_of_az: BTreeMap<usize, String> = BTreeMap::new();
    if let (Some(egress), Some(fw_tier)) = (egress.filter(|e| e.firewall), firewall_tier) {
        let mut groups = Vec::new();
        if !egress.allow_domains.is_empty() {
            unit.add(
                resource(
                    "AllowedDomains",
                    "AWS::NetworkFirewall::RuleGroup",
                    json!({
                        "RuleGroupName": format!("{}-{}-domains", ctx.slug, vpc.name),
                        "Type": "STATEFUL",
                        "Capacity": (egress.allow_domains.len() * 2 + 10).max(100),
                        "Description": format!("Domains {} may reach", env.name),
                        "RuleGroup": {
                            "RuleVariables": { "IPSets": { "HOME_NET": { "Definition": [vpc_cidr] } } },
                            "RulesSource": {
                                "RulesSourceList": {
                                    "GeneratedRulesType": "ALLOWLIST",
                                    "TargetTypes": ["HTTP_HOST", "TLS_SNI"],
                                    "Targets": egress.allow_domains,
                                }
                            },
                            "StatefulRuleOptions": { "RuleOrder": "STRICT_ORDER" }
                        }
                    }),
                )
                .at(&["core"])
                .origin(&env.origin),
            );
            groups.push("AllowedDomains");
        }
        if !egress.allow_cidrs.is_empty() {
            let rules: Vec<Value> = egress
                .allow_cidrs
                .iter()
                .enumerate()
                .map(|(i, cidr)| {
                    json!({
                        "Action": "PASS",
                        "Header": {
                            "Protocol": "IP",
                            "Source": vpc_cidr,
                            "SourcePort": "ANY",
                            "Direction": "FORWARD",
                            "Destination": cidr.to_string(),
                            "DestinationPort": "ANY"
                        },
                        "RuleOptions": [{ "Keyword": "sid", "Settings": [(i + 1).to_string()] }]
                    })
                })
                .collect();
            unit.add(
                resource(
                    "AllowedCidrs",
                    "AWS::NetworkFirewall::RuleGroup",
                    json!({
                        "RuleGroupName": format!("{}-{}-cidrs", ctx.slug, vpc.name),
                        "Type": "STATEFUL",
                        "Capacity": egress.allow_cidrs.len() + 10,
                        "Description": format!("Networks {} may reach", env.name),
                        "RuleGroup": {
                            "RulesSource": { "StatefulRules": rules },
                            "StatefulRuleOptions": { "RuleOrder": "STRICT_ORDER" }
                        }
                    }),
                )
                .at(&["core"])
                .origin(&env.origin),
            );
            groups.push("AllowedCidrs");
        }
        let references: Vec<Value> = groups
            .iter()
            .enumerate()
            .map(|(i, g)| json!({ "ResourceArn": { "Ref": g }, "Priority": (i + 1) * 100 }))
            .collect();
        unit.add(
            resource(
                "FirewallPolicy",
                "AWS::NetworkFirewall::FirewallPolicy",
                json!({
                    "FirewallPolicyName": format!("{}-{}", ctx.slug, vpc.name),
                    "FirewallPolicy": {
                        "StatelessDefaultActions": ["aws:forward_to_sfe"],
                        "StatelessFragmentDefaultActions": ["aws:forward_to_sfe"],
                        "StatefulEngineOptions": { "RuleOrder": "STRICT_ORDER" },
                        "StatefulDefaultActions": ["aws:drop_established", "aws:alert_established"],
                        "StatefulRuleGroupReferences": references,
                    }
                }),
            )
            .at(&["core"]),
        );
        for (az_index, az) in region.azs.iter().enumerate() {
            let Some(subnet) = by_tier_az
                .get(&(fw_tier.id, az_index))
                .and_then(|v| v.first())
            else {
                continue;
            };
            let id = logical_id(&["Firewall", &az_letter(az)]);
            unit.add(
                resource(
                    &id,
                    "AWS::NetworkFirewall::Firewall",
                    json!({
                        "FirewallName": format!("{}-{}-{}", ctx.slug, vpc.name, az_letter(az)),
                        "FirewallPolicyArn": { "Ref": "FirewallPolicy" },
                        "VpcId": { "Ref": "Vpc" },
                        "SubnetMappings": [{ "SubnetId": { "Ref": subnet } }],
                        "DeleteProtection": env.production,
                    }),
                )
                .at(&["core", &fw_tier.name]),
            );
            unit.add(
                resource(
                    format!("{id}Logging"),
                    "AWS::NetworkFirewall::LoggingConfiguration",
                    json!({
                        "FirewallArn": { "Ref": id },
                        "LoggingConfiguration": {
                            "LogDestinationConfigs": [{
                                "LogType": "ALERT",
                                "LogDestinationType": "S3",
                                "LogDestination": {
                                    "bucketName": intrinsic::sub(flow_logs_bucket.clone()),
                                    "prefix": format!("firewall/{}", vpc.name)
                                }
                            }]
                        }
                    }),
                )
                .at(&["core", &fw_tier.name]),
            );
            firewall_of_az.insert(az_index, id);
        }
    }

    // Route tables: one per tier and AZ (routes to the firewall differ by AZ).
    let mut route_tables = Vec::new();
    for tier in &tiers {
        let routes = plan.routes(env.id, tier.id);
        for (az_index, az) in region.azs.iter().enumerate() {
            let id = route_table_id(&tier.name, az);
            unit.add(
                resource(
                    &id,
                    "AWS::EC2::RouteTable",
                    json!({
                        "VpcId": { "Ref": "Vpc" },
                        "Tags": tags(&[("Name", &format!("{}-{}-{}", vpc.name, tier.name, az_letter(az)))]),
                    }),
                )
                .at(&["core", &tier.name]),
            );
            route_tables.push(json!({ "Ref": id }));
            for route in routes {
                let destination = route.destination.to_string();
                let suffix = if route.destination.prefix_len() == 0 {
                    "Default".to_owned()
                } else {
                    logical_id(&[&destination])
                };
                let mut props = json!({
                    "RouteTableId": { "Ref": id },
                    "DestinationCidrBlock": destination,
                });
                let mut depends = None;
                match route.target {
                    RouteTarget::InternetGateway if internet => {
                        props["GatewayId"] = json!({ "Ref": "InternetGateway" });
                        depends = Some("InternetGatewayAttachment");
                    }
                    RouteTarget::NatGateway if egress.is_some_and(|e| e.nat_gateway) => {
                        props["NatGatewayId"] = json!({ "Ref": "NatGateway" });
                    }
                    RouteTarget::FirewallEndpoint => {
                        let Some(fw) = firewall_of_az.get(&az_index) else {
                            continue;
                        };
                        props["VpcEndpointId"] = firewall_endpoint(fw);
                    }
                    _ => continue,
                }
                let mut r = resource(format!("{id}{suffix}"), "AWS::EC2::Route", props)
                    .at(&["core", &tier.name]);
                if let Some(d) = depends {
                    r = r.depends(d);
                }
                unit.add(r);
            }
        }
    }

    // Replies through the firewall too: a regional NAT gateway routes the
    // replies it translates back by its own route table (`RouteTableId`),
    // and the stateful firewall drops a flow it sees in one direction only.
    // So every subnet whose internet traffic leaves through its AZ's
    // firewall endpoint gets a route there in the NAT gateway's table.
    // <https://docs.aws.amazon.com/network-firewall/latest/developerguide/asymmetric-routing.html>
    // <https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateways-regional.html>
    if egress.is_some_and(|e| e.nat_gateway) {
        for subnet in subnets {
            let inspected = plan
                .routes(env.id, subnet.tier)
                .iter()
                .any(|r| r.target == RouteTarget::FirewallEndpoint);
            let Some(fw) = firewall_of_az.get(&subnet.az).filter(|_| inspected) else {
                continue;
            };
            let Some(fw_tier) = firewall_tier else {
                continue;
            };
            let az = region.azs.get(subnet.az).map_or("", String::as_str);
            let id = subnet_id(ctx, subnet, az);
            unit.add(
                resource(
                    format!("{id}ReturnRoute"),
                    "AWS::EC2::Route",
                    json!({
                        "RouteTableId": { "Fn::GetAtt": ["NatGateway", "RouteTableId"] },
                        "DestinationCidrBlock": plan.subnet_cidr(subnet.id).to_string(),
                        "VpcEndpointId": firewall_endpoint(fw),
                    }),
                )
                // With the firewall: `EndpointIds` is a list, which no
                // stack output can carry to another stack.
                .at(&["core", &fw_tier.name]),
            );
        }
    }

    // Endpoints, in the endpoints tier.
    if let Some(ep_tier) = tiers.iter().find(|t| t.kind == TierKind::Endpoints) {
        let subnet_refs: Vec<Value> = (0..region.azs.len())
            .filter_map(|az| by_tier_az.get(&(ep_tier.id, az)).and_then(|v| v.first()))
            .map(|id| json!({ "Ref": id }))
            .collect();
        if !subnet_refs.is_empty() {
            unit.add(
                resource(
                    "EndpointsSecurityGroup",
                    "AWS::EC2::SecurityGroup",
                    json!({
                        "GroupDescription": "HTTPS to the interface endpoints of the VPC",
                        "VpcId": { "Ref": "Vpc" },
                        "SecurityGroupIngress": [{
                            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": vpc_cidr,
                            "Description": "HTTPS from the VPC"
                        }],
                        "SecurityGroupEgress": [{
                            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": vpc_cidr,
                            "Description": "Replies stay in the VPC"
                        }],
                        "Tags": tags(&[("Name", &format!("{}-endpoints", vpc.name))]),
                    }),
                )
                .at(&["core", &ep_tier.name]),
            );
            // Metal capacity runs in the domains' placement groups.
            let ec2_capacity = plan.placement_groups.iter().any(|g| g.vpc == vpc.id);
            let agent: &[&str] = if ec2_capacity {
                &ECS_AGENT_ENDPOINTS
            } else {
                &[]
            };
            let remediation = if model.network.remediation_vpcs.contains(&vpc.id) {
                remediation_endpoints(model)
            } else {
                Vec::new()
            };
            let grafana: &[&str] = if super::grafana::vpc(model).map(|v| v.id) == Some(vpc.id) {
                &GRAFANA_ENDPOINTS
            } else {
                &[]
            };
            let mut services: Vec<&str> = INTERFACE_ENDPOINTS
                .iter()
                .chain(agent)
                .chain(&remediation)
                .chain(grafana)
                .copied()
                .collect();
            services.sort_unstable();
            // `ecs` is the agent's and the remediation service's.
            services.dedup();
            for service in services {
                unit.add(
                    resource(
                        logical_id(&["Endpoint", service]),
                        "AWS::EC2::VPCEndpoint",
                        json!({
                            "VpcEndpointType": "Interface",
                            "ServiceName": intrinsic::sub(format!("com.amazonaws.${{AWS::Region}}.{service}")),
                            "VpcId": { "Ref": "Vpc" },
                            "SubnetIds": subnet_refs,
                            "SecurityGroupIds": [{ "Ref": "EndpointsSecurityGroup" }],
                            "PrivateDnsEnabled": true,
                        }),
                    )
                    .at(&["core", &ep_tier.name]),
                );
            }
        }
    }
    if !route_tables.is_empty() {
        for service in GATEWAY_ENDPOINTS {
            unit.add(
                resource(
                    logical_id(&["Endpoint", service]),
                    "AWS::EC2::VPCEndpoint",
                    json!({
                        "VpcEndpointType": "Gateway",
                        "ServiceName": intrinsic::sub(format!("com.amazonaws.${{AWS::Region}}.{service}")),
                        "VpcId": { "Ref": "Vpc" },
                        "RouteTableIds": route_tables,
                    }),
                )
                // Apart from the VPC's own resources, which every tier
                // references: these reference every tier's route tables.
                .at(&["core", "gateway-endpoints"]),
            );
        }
    }

    // Placement groups of latency-sensitive services.
    let mut group_ids: BTreeMap<usize, String> = BTreeMap::new();
    for (i, group) in plan.placement_groups.iter().enumerate() {
        if group.vpc != vpc.id {
            continue;
        }
        let az = region.azs.get(group.az).map_or("", String::as_str);
        let domain = &model.domain(group.domain).name;
        let id = logical_id(&["PlacementGroup", domain, &az_letter(az)]);
        unit.add(
            resource(
                &id,
                "AWS::EC2::PlacementGroup",
                json!({
                    "Strategy": "cluster",
                    "Tags": tags(&[("Name", &group.name), ("landfall:domain", domain)]),
                }),
            )
            .at(&[&domain_part(ctx, group.domain), "placement"])
            .origin(&model.domain(group.domain).origin),
        );
        group_ids.insert(i, id);
    }

    // RAM shares: one per participant account.
    for share in plan.shares.iter().filter(|s| s.vpc == vpc.id) {
        let account = model.account(share.account);
        let part = match account.domain {
            Some(d) => domain_part(ctx, d),
            None => format!("account-{}", account.name),
        };
        let param = unit.parameter(
            &logical_id(&["Account", &account.name]),
            &format!("Id of the `{}` account", account.name),
            ParameterValue::AccountId(account.name.clone()),
        );
        let mut arns: Vec<Value> = Vec::new();
        for subnet in &share.subnets {
            let subnet = &model.network.subnets[subnet.index()];
            let az = region.azs.get(subnet.az).map_or("", String::as_str);
            let id = subnet_id(ctx, subnet, az);
            arns.push(intrinsic::sub(format!(
                "arn:${{AWS::Partition}}:ec2:${{AWS::Region}}:${{AWS::AccountId}}:subnet/${{{id}}}"
            )));
        }
        for group in &share.placement_groups {
            if let Some(id) = group_ids.get(group) {
                arns.push(intrinsic::sub(format!(
                    "arn:${{AWS::Partition}}:ec2:${{AWS::Region}}:${{AWS::AccountId}}:placement-group/${{{id}}}"
                )));
            }
        }
        if arns.is_empty() {
            continue;
        }
        unit.add(
            resource(
                logical_id(&["Share", &account.name]),
                "AWS::RAM::ResourceShare",
                json!({
                    "Name": share.name,
                    "AllowExternalPrincipals": false,
                    "Principals": [{ "Ref": param }],
                    "ResourceArns": arns,
                    "Tags": tags(&[("landfall:account", &account.name)]),
                }),
            )
            .at(&[&part, "share"])
            .origin(&account.origin),
        );
    }
    unit
}
