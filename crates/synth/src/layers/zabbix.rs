//! The Zabbix server (6.0 LTS) and a proxy per VPC with monitoring
//! servers: the platform's second, independent view of its endpoints
//! (`landfall_observability::zabbix` generates what they probe). When
//! Zabbix and Grafana disagree, one of the two pipelines is broken, so
//! Zabbix shares nothing with the metrics path but the VPCs.
//!
//! - **Server**: one Fargate task in the observability account, in the VPC
//!   Grafana runs in (the home region's production VPC, on its data
//!   subnets shared with the account), with an Aurora PostgreSQL database
//!   of its own (a writer and a reader in another AZ, encrypted, the
//!   master password generated and rotated by RDS: the same
//!   [`super::grafana::database`] as Grafana's). One task, not Zabbix 6.0's
//!   native HA pair: a standby node does not listen on the trapper port,
//!   so behind a load balancer whose health check ECS acts on it would be
//!   replaced as unhealthy again and again; ECS replaces the one task in
//!   either AZ when it stops, and the proxies keep their data meanwhile
//!   (`ProxyOfflineBuffer`, an hour by default). The task is stopped before
//!   its replacement starts (two servers on one database would both
//!   process it). The image's entrypoint creates the schema on first start
//!   (<https://github.com/zabbix/zabbix-docker>, `zabbix-server-pgsql`).
//! - **Proxies**: an active proxy (`zabbix-proxy-sqlite3`) on the first
//!   monitoring host of each VPC (the hosts already run Docker, reach the
//!   registry and outlive instance replacements); it connects to the
//!   server's trapper port ([`PORT`]) and does the probing itself.
//! - **Link**: VPCs are not connected and dev has no route out, so the
//!   server's Network Load Balancer (TCP [`PORT`]) is an endpoint service
//!   (PrivateLink) every VPC with a proxy reaches through an interface
//!   endpoint of its own and a record [`zabbix_host`] in its monitoring
//!   zone, across regions too (the same way the remediation service is
//!   reached: [`super::heal_service::endpoint_service`],
//!   [`super::monitoring::link_unit`]).
//!
//! The web frontend is not part of it yet: the server runs and takes the
//! proxies' data, but importing `zabbix/landfall.json` needs the frontend's
//! API.

use landfall_graph::{intrinsic, ExternalInput, InputKind, Layer, ParameterValue, Target};
use landfall_model::monitoring::{self, zabbix_host};
use landfall_spec::types::AccountClass;
use serde_json::json;

use crate::unit::{resource, tags, Unit};
use crate::Ctx;

/// The server's image: repository in the shared-services registry,
/// upstream image, tag (Zabbix 6.0 LTS, pinned).
pub const SERVER_IMAGE: (&str, &str, &str) = (
    "monitoring/zabbix-server",
    "zabbix/zabbix-server-pgsql",
    "alpine-6.0.36",
);
/// The proxies' image, run on the monitoring hosts.
pub const PROXY_IMAGE: (&str, &str, &str) = (
    "monitoring/zabbix-proxy",
    "zabbix/zabbix-proxy-sqlite3",
    "alpine-6.0.36",
);
/// Both, for the shared-services registry.
pub const IMAGES: &[(&str, &str, &str)] = &[SERVER_IMAGE, PROXY_IMAGE];
/// The trapper port the proxies connect to, at every hop: the endpoint,
/// the Network Load Balancer and the task.
pub const PORT: i64 = monitoring::ZABBIX_SERVER_PORT as i64;
pub const DB_PORT: i64 = 5432;
pub const DATABASE: &str = "zabbix";
pub const DB_USER: &str = "zabbix";
pub const CLUSTER: &str = "landfall-zabbix";
pub const SERVICE: &str = "zabbix-server";
pub const CONTAINER: &str = "zabbix-server";
pub const EXECUTION_ROLE: &str = "landfall-zabbix-execution";
pub const LOG_GROUP: &str = "/landfall/zabbix";
/// The `landfall:zabbix` tag of each security group, which the
/// reachability check finds them by.
pub const ROLE_TAG: &str = "landfall:zabbix";
pub const LINK_ROLE: &str = "link";
pub const TASKS_ROLE: &str = "tasks";
pub const DATABASE_ROLE: &str = "database";
/// An interface endpoint's group, in a VPC with a proxy.
pub const ENDPOINT_ROLE: &str = "endpoint";
/// The output naming the endpoint service.
pub const ENDPOINT_SERVICE_OUTPUT: &str = "ZabbixEndpointServiceName";
const ROLE_PATH: &str = super::heal_service::ROLE_PATH;
const BOUNDARY: &str = "landfall/landfall-workload-boundary";

/// The server's stack (observability account, Grafana's VPC).
pub fn stack_name(slug: &str) -> String {
    format!("{slug}-zabbix")
}

/// A VPC's endpoint of the server (networking account).
pub fn link_stack_name(slug: &str, vpc: &str) -> String {
    format!("{slug}-zabbix-link-{vpc}")
}

/// The name a proxy has (`Hostname`), which the server knows it by.
pub use landfall_model::monitoring::zabbix_proxy_name as proxy_name;

/// Whether the server runs: monitoring is on and Grafana's VPC (the
/// remediation service's) has monitoring servers
/// ([`monitoring::zabbix_server_vpc`]).
pub(crate) fn runs(ctx: &Ctx<'_>) -> bool {
    monitoring::zabbix_server_vpc(ctx.model).is_some()
}

pub(crate) fn build(ctx: &Ctx<'_>) -> Vec<Unit> {
    let model = ctx.model;
    if !runs(ctx) {
        return Vec::new();
    }
    let (Some(vpc), Some(account)) = (
        monitoring::zabbix_server_vpc(model),
        model.core_account(AccountClass::Observability),
    ) else {
        return Vec::new();
    };
    let region = model.region(vpc.region);
    let mut unit = Unit::new(
        stack_name(ctx.slug),
        Layer::Observability,
        format!(
            "The Zabbix server, its Aurora PostgreSQL database and its endpoint service in VPC {}",
            vpc.name
        ),
        Target::Account {
            account: account.name.clone(),
            region: region.name.clone(),
        },
    );
    let network_stack = ctx.stack_name("network", &vpc.name);
    for stack in [
        ctx.stack_name("baseline-global", ""),
        network_stack.clone(),
        ctx.stack_name("shared-services", ""),
    ] {
        unit.depends_on.push(stack);
    }
    let super::grafana::Placed {
        vpc_param,
        subnets: subnet_refs,
        azs,
        vpc_cidr,
    } = super::grafana::place(ctx, &mut unit, vpc);
    let shared = ctx.core_account_param(&mut unit, crate::params::SHARED, ctx.shared);
    let s3 = unit.parameter(
        "S3PrefixListId",
        "The AWS-managed prefix list of s3 in the region",
        ParameterValue::ManagedPrefixList(format!("com.amazonaws.{}.s3", region.name)),
    );
    let purpose = |role: Option<&str>| {
        let mut pairs = vec![("landfall:purpose", "zabbix")];
        if let Some(role) = role {
            pairs.push((ROLE_TAG, role));
        }
        tags(&pairs)
    };

    // ----- key, logs -----
    super::grafana::key_and_logs(
        &mut unit,
        &super::grafana::KeyAndLogs {
            prefix: "Zabbix",
            sid_owner: "Zabbix",
            description: "Encrypts the Zabbix server's database, its master password and its logs",
            log_group: LOG_GROUP,
            tags: purpose(None),
        },
    );

    // ----- security groups -----
    let group = |id: &str| json!({ "Fn::GetAtt": [id, "GroupId"] });
    // PrivateLink traffic comes from the endpoints' VPCs, whose addresses
    // may overlap this one: the load balancer does not evaluate its inbound
    // rules for it (`EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic:
    // off`), each endpoint's group chooses who enters.
    unit.add(resource(
        "ZabbixLoadBalancerSecurityGroup",
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": "Zabbix server endpoint service load balancer: PrivateLink in, the trapper port to the server out",
            "VpcId": { "Ref": vpc_param },
            "SecurityGroupEgress": [{
                "IpProtocol": "tcp", "FromPort": PORT, "ToPort": PORT,
                "DestinationSecurityGroupId": group("ZabbixTasksSecurityGroup"),
                "Description": "the Zabbix server trapper"
            }],
            "Tags": purpose(Some(LINK_ROLE))
        }),
    ));
    unit.add(resource(
        "ZabbixTasksSecurityGroup",
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": "Zabbix server task: the proxies through the load balancer in; the database and the VPC endpoints out",
            "VpcId": { "Ref": vpc_param },
            "SecurityGroupEgress": [
                {
                    "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": vpc_cidr,
                    "Description": "the VPC interface endpoints (ECR, logs, Secrets Manager)"
                },
                {
                    "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                    "DestinationPrefixListId": { "Ref": s3 },
                    "Description": "S3 gateway endpoint (image layers)"
                },
                {
                    "IpProtocol": "tcp", "FromPort": DB_PORT, "ToPort": DB_PORT,
                    "DestinationSecurityGroupId": group("ZabbixDatabaseSecurityGroup"),
                    "Description": "the Zabbix database"
                }
            ],
            "Tags": purpose(Some(TASKS_ROLE))
        }),
    ));
    unit.add(resource(
        "ZabbixDatabaseSecurityGroup",
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": "Zabbix database: PostgreSQL from the Zabbix server only",
            "VpcId": { "Ref": vpc_param },
            // Nothing out: the database answers, it never connects.
            "SecurityGroupEgress": [{
                "IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "CidrIp": "127.0.0.1/32",
                "Description": "no egress"
            }],
            "Tags": purpose(Some(DATABASE_ROLE))
        }),
    ));
    for (id, on, source, port, why) in [
        (
            "ZabbixTasksFromLoadBalancer",
            "ZabbixTasksSecurityGroup",
            "ZabbixLoadBalancerSecurityGroup",
            PORT,
            "the endpoint service load balancer (the proxies, its health checks)",
        ),
        (
            "ZabbixDatabaseFromTasks",
            "ZabbixDatabaseSecurityGroup",
            "ZabbixTasksSecurityGroup",
            DB_PORT,
            "the Zabbix server",
        ),
    ] {
        unit.add(resource(
            id,
            "AWS::EC2::SecurityGroupIngress",
            json!({
                "GroupId": group(on),
                "SourceSecurityGroupId": group(source),
                "IpProtocol": "tcp", "FromPort": port, "ToPort": port, "Description": why
            }),
        ));
    }

    // ----- database -----
    super::grafana::database(
        &mut unit,
        &super::grafana::Database {
            prefix: "Zabbix",
            owner: "The Zabbix server",
            name: DATABASE,
            user: DB_USER,
            port: DB_PORT,
            subnets: &subnet_refs,
            azs: &azs,
            tags: purpose(None),
        },
    );

    // ----- the execution role (the server calls no AWS API) -----
    let (repo, upstream, tag) = SERVER_IMAGE;
    unit.add(resource(
        "ZabbixExecutionRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": EXECUTION_ROLE,
            "Path": ROLE_PATH,
            "PermissionsBoundary": intrinsic::sub(format!(
                "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:policy/{BOUNDARY}"
            )),
            "Description": "Starts the Zabbix server's task: image, logs, the database's credentials",
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "Service": "ecs-tasks.amazonaws.com" },
                    "Action": "sts:AssumeRole",
                    "Condition": { "StringEquals": { "aws:SourceAccount": { "Ref": "AWS::AccountId" } } }
                }]
            },
            "Policies": [{ "PolicyName": "execution", "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    { "Sid": "LogIn", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*" },
                    {
                        "Sid": "PullTheImage", "Effect": "Allow",
                        "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                        "Resource": intrinsic::sub(format!(
                            "arn:${{AWS::Partition}}:ecr:${{AWS::Region}}:${{{shared}}}:repository/{repo}"
                        ))
                    },
                    {
                        "Sid": "WriteTheLogs", "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": intrinsic::sub("${ZabbixLogs.Arn}:*")
                    },
                    {
                        // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html
                        "Sid": "ReadTheDatabaseCredentials", "Effect": "Allow",
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": { "Fn::GetAtt": ["ZabbixDatabase", "MasterUserSecret.SecretArn"] }
                    },
                    {
                        "Sid": "DecryptTheCredentials", "Effect": "Allow",
                        "Action": "kms:Decrypt",
                        "Resource": { "Fn::GetAtt": ["ZabbixKey", "Arn"] },
                        "Condition": { "StringEquals": { "kms:ViaService": intrinsic::sub("secretsmanager.${AWS::Region}.amazonaws.com") } }
                    }
                ]
            } }],
            "Tags": purpose(None)
        }),
    ));

    // ----- the endpoint service's load balancer -----
    unit.add(resource(
        "ZabbixLoadBalancer",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        json!({
            "Type": "network",
            "Scheme": "internal",
            "Subnets": subnet_refs,
            "SecurityGroups": [group("ZabbixLoadBalancerSecurityGroup")],
            "EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic": "off",
            "LoadBalancerAttributes": [
                { "Key": "load_balancing.cross_zone.enabled", "Value": "true" },
                { "Key": "deletion_protection.enabled", "Value": "true" }
            ],
            "Tags": purpose(None)
        }),
    ));
    unit.add(resource(
        "ZabbixTargets",
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        json!({
            "TargetType": "ip",
            "Protocol": "TCP",
            "Port": PORT,
            "VpcId": { "Ref": vpc_param },
            // A TCP connection to the trapper: the server takes them once
            // its database answers.
            "HealthCheckProtocol": "TCP",
            "HealthCheckIntervalSeconds": 10,
            // The task sees the load balancer's address, which its group
            // admits by the load balancer's group.
            "TargetGroupAttributes": [
                { "Key": "preserve_client_ip.enabled", "Value": "false" },
                { "Key": "deregistration_delay.timeout_seconds", "Value": "30" }
            ],
            "Tags": purpose(None)
        }),
    ));
    unit.add(resource(
        "ZabbixListener",
        "AWS::ElasticLoadBalancingV2::Listener",
        json!({
            "LoadBalancerArn": { "Ref": "ZabbixLoadBalancer" },
            "Port": PORT,
            "Protocol": "TCP",
            "DefaultActions": [{ "Type": "forward", "TargetGroupArn": { "Ref": "ZabbixTargets" } }]
        }),
    ));
    super::heal_service::endpoint_service(
        ctx,
        &mut unit,
        "Zabbix",
        "ZabbixLoadBalancer",
        &super::monitoring::vpcs(ctx),
        &purpose(None),
    );

    // ----- the task -----
    unit.inputs.push(ExternalInput {
        kind: InputKind::Image,
        name: format!("{repo}:{tag}"),
        why: format!("{upstream}:{tag}, copied into the shared-services registry, which replicates it to every region"),
        account: ctx.shared.map(|a| a.name.clone()),
    });
    let secret = |key: &str| {
        intrinsic::sub(format!(
            "${{ZabbixDatabase.MasterUserSecret.SecretArn}}:{key}::"
        ))
    };
    unit.add(resource(
        "ZabbixTaskDefinition",
        "AWS::ECS::TaskDefinition",
        json!({
            "Family": SERVICE,
            "Cpu": "1024",
            "Memory": "2048",
            "NetworkMode": "awsvpc",
            "RequiresCompatibilities": ["FARGATE"],
            "ExecutionRoleArn": { "Fn::GetAtt": ["ZabbixExecutionRole", "Arn"] },
            "ContainerDefinitions": [{
                "Name": CONTAINER,
                "Image": intrinsic::sub(format!(
                    "${{{shared}}}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/{repo}:{tag}"
                )),
                "Essential": true,
                "Privileged": false,
                "PortMappings": [{ "ContainerPort": PORT, "Protocol": "tcp" }],
                // The image's entrypoint writes zabbix_server.conf from
                // these (and creates the schema when the database has none).
                "Environment": [
                    { "Name": "DB_SERVER_HOST", "Value": { "Fn::GetAtt": ["ZabbixDatabase", "Endpoint.Address"] } },
                    { "Name": "DB_SERVER_PORT", "Value": DB_PORT.to_string() },
                    { "Name": "POSTGRES_DB", "Value": DATABASE },
                    { "Name": "ZBX_DBTLSCONNECT", "Value": "required" },
                    { "Name": "ZBX_LISTENPORT", "Value": PORT.to_string() }
                ],
                "Secrets": [
                    { "Name": "POSTGRES_USER", "ValueFrom": secret("username") },
                    { "Name": "POSTGRES_PASSWORD", "ValueFrom": secret("password") }
                ],
                "LogConfiguration": {
                    "LogDriver": "awslogs",
                    "Options": { "awslogs-group": { "Ref": "ZabbixLogs" }, "awslogs-region": { "Ref": "AWS::Region" }, "awslogs-stream-prefix": "zabbix" }
                }
            }],
            "Tags": purpose(None)
        }),
    ));
    unit.add(resource(
        "ZabbixCluster",
        "AWS::ECS::Cluster",
        json!({
            "ClusterName": CLUSTER,
            "ClusterSettings": [{ "Name": "containerInsights", "Value": "enabled" }],
            "Tags": purpose(None)
        }),
    ));
    let mut service = resource(
        "ZabbixService",
        "AWS::ECS::Service",
        json!({
            "ServiceName": SERVICE,
            "Cluster": { "Ref": "ZabbixCluster" },
            "LaunchType": "FARGATE",
            "TaskDefinition": { "Ref": "ZabbixTaskDefinition" },
            "DesiredCount": 1,
            "NetworkConfiguration": { "AwsvpcConfiguration": {
                "AssignPublicIp": "DISABLED",
                "Subnets": subnet_refs,
                "SecurityGroups": [group("ZabbixTasksSecurityGroup")]
            } },
            "LoadBalancers": [{ "ContainerName": CONTAINER, "ContainerPort": PORT, "TargetGroupArn": { "Ref": "ZabbixTargets" } }],
            "HealthCheckGracePeriodSeconds": 300,
            // The old task stops before the new one starts: one server per
            // database.
            "DeploymentConfiguration": {
                "DeploymentCircuitBreaker": { "Enable": true, "Rollback": true },
                "MinimumHealthyPercent": 0,
                "MaximumPercent": 100
            },
            "EnableECSManagedTags": true,
            "PropagateTags": "SERVICE",
            "Tags": purpose(None)
        }),
    );
    // A target group must belong to a load balancer before a service uses
    // it; the database must take connections before the schema is created.
    service.depends_on.push("ZabbixListener".into());
    service.depends_on.push("ZabbixDatabaseWriter".into());
    service.origin = model
        .observability_origin
        .as_ref()
        .map(|at| at.child("metrics"));
    unit.add(service);
    unit.outputs.push(landfall_graph::Output {
        name: ENDPOINT_SERVICE_OUTPUT.into(),
        description: Some("The endpoint service every VPC's Zabbix proxy connects to".into()),
        value: intrinsic::sub("com.amazonaws.vpce.${AWS::Region}.${ZabbixEndpointService}"),
        export: None,
    });
    vec![unit]
}

/// The VPC's way to the Zabbix server, for its proxy (on the monitoring
/// hosts).
pub(crate) fn link(
    ctx: &Ctx<'_>,
    vpc: &landfall_model::Vpc,
    servers: &str,
    dns: &str,
    observability: &str,
) -> Unit {
    super::monitoring::link_unit(
        ctx,
        vpc,
        servers,
        dns,
        observability,
        &super::monitoring::Link {
            stack: link_stack_name(ctx.slug, &vpc.name),
            description: format!("VPC {}'s endpoint of the Zabbix server", vpc.name),
            prefix: "Zabbix",
            purpose: "zabbix",
            role_tag: ROLE_TAG,
            role: ENDPOINT_ROLE,
            group_description: format!(
                "Zabbix server endpoint in {}: the trapper port from the proxy on the monitoring hosts",
                vpc.name
            ),
            name: "zabbix-endpoint",
            port: PORT,
            why: "the Zabbix proxy",
            service_stack: stack_name(ctx.slug),
            service_region: ctx.home.to_owned(),
            service_output: ENDPOINT_SERVICE_OUTPUT,
            service_description:
                "The Zabbix server's endpoint service (observability account, home region)",
            hosts_output: super::monitoring::HOSTS_GROUP_OUTPUT,
            hosts_description: "The monitoring hosts' security group (observability account)",
            host: zabbix_host(ctx.slug),
        },
    )
}
