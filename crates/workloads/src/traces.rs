//! Jaeger v2 (collector and query in one process, `landfall_telemetry`'s
//! `jaeger/jaeger.yaml`): the trace store the OpenTelemetry gateway
//! exports to, and the query service Grafana's Jaeger data source reads.
//!
//! One stack per VPC where the log aggregators run (the log archive's
//! region, [`crate::aggregator::runs_in`]), built beside them with the log
//! cluster's store stack but deployed in the observability account, on the
//! same shared data subnets as the VPC's log search domain, which stores
//! the spans: `<org>-workloads-<domain>-<env>[-<region>]-traces`.
//!
//! - **Tasks**: [`DESIRED_COUNT`] Fargate tasks (1 vCPU, 2 GiB), spread over
//!   the subnets' AZs. The image is `jaegertracing/jaeger`
//!   [`landfall_telemetry::otel::JAEGER_TAG`]-pinned, copied to the
//!   shared-services registry (an input of the stack).
//! - **Configuration**: `jaeger.yaml` in the environment variable
//!   [`CONFIG_VARIABLE`], which Jaeger reads itself (`--config
//!   env:JAEGER_CONFIG_YAML`, the collector's `env` configuration
//!   provider, which Jaeger v2 builds in): the image has no shell. The
//!   domain's endpoint is `OPENSEARCH_ENDPOINT`, from the log search stack;
//!   `AWS_REGION`, the region `sigv4auth` signs for, is set too.
//! - **Storage and who it is**: the task role `/workload/landfall-jaeger`
//!   of the log search layer (one per account): Jaeger signs its
//!   OpenSearch requests with the `sigv4auth` extension as that role, and
//!   the domains' access policy names it. The indices are daily
//!   (`jaeger-span-YYYY-MM-DD`); the traces' ISM policy
//!   (`opensearch/ism/traces.json`) deletes them `tracing.retention_days`
//!   after they were created, inside OpenSearch: Jaeger's index cleaner is a
//!   separate program that cannot sign with SigV4.
//! - **Network**: the tasks run in the log search stack's Jaeger group
//!   (the domain admits it on 443). An internal Network Load Balancer
//!   ([`LISTENERS`]: OTLP gRPC 4317 and HTTP 4318 for the collector, 16686
//!   for the query service) forwards to the tasks' addresses; its own
//!   group admits those ports from the VPC's range (the gateway and
//!   Grafana are in it). The collector needs no affinity: any task stores
//!   any span. The tasks reach the VPC's interface endpoints (ECR, logs)
//!   and S3's gateway endpoint (image layers).
//!   (<https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-security-groups.html>)

use landfall_graph::{ExternalInput, InputKind, ParameterValue};
use landfall_model::log_search;
use landfall_model::DataStore;
use serde_json::{json, Value};

use crate::ctx::{ecs_tasks_trust, tags, Builder, Ctx, Placement, BOUNDARY, ROLE_PATH};
use crate::Problem;

/// The stack's name suffix: `<org>-workloads-<domain>-<env>[-<region>]-traces`.
pub const STACK_SUFFIX: &str = "traces";
/// Two tasks at least, in two AZs.
pub const DESIRED_COUNT: u32 = 2;
pub const CPU: &str = "1024";
pub const MEMORY: &str = "2048";
/// The `landfall:purpose` tag of the stack's resources.
pub const PURPOSE: &str = log_search::JAEGER_PURPOSE;
/// Where the task's configuration is handed over.
pub const CONFIG_VARIABLE: &str = "JAEGER_CONFIG_YAML";
/// Jaeger's image in the shared-services registry.
pub const REPOSITORY: &str = "landfall/jaeger";
pub const UPSTREAM: &str = "docker.io/jaegertracing/jaeger";
/// The pinned release (`landfall_telemetry::otel::JAEGER_TAG`, which a
/// test keeps equal): the first whose OpenSearch client signs request
/// bodies with `sigv4auth` correctly (jaegertracing/jaeger#8768).
pub const TAG: &str = "2.20.0";
/// The health check (`healthcheckv2`), which the load balancer's target
/// groups ask.
pub const HEALTH_PORT: i64 = 13133;
pub const HEALTH_PATH: &str = "/status";
/// The load balancer's listeners: logical name, port, what it serves.
pub const LISTENERS: [(&str, i64, &str); 3] = [
    ("OtlpGrpc", 4317, "OTLP gRPC (the gateway exporter)"),
    ("OtlpHttp", 4318, "OTLP HTTP"),
    (
        "Query",
        16686,
        "the query service (the Grafana Jaeger data source)",
    ),
];
const CONTAINER: &str = "jaeger";
const TMP_VOLUME: &str = "tmp";

/// Jaeger's image as the task pulls it and the stack declares it.
pub fn image() -> String {
    format!("{REPOSITORY}:{TAG}")
}

/// Jaeger's stack in `place`, beside the log cluster `store`'s
/// aggregators, when the caller passed Jaeger's configuration.
pub(crate) fn build(
    ctx: &Ctx<'_>,
    place: &Placement<'_>,
    store: &DataStore,
    problems: &mut Vec<Problem>,
) -> Option<landfall_graph::Stack> {
    let model = ctx.model;
    let config = ctx.jaeger?;
    if !crate::aggregator::runs_in(model, place, store) {
        return None;
    }
    let account = log_search::account(model)?;
    let slug = ctx.slug;
    let vpc = place.vpc;
    let mut b = Builder::new(
        ctx.stack_name(place, STACK_SUFFIX),
        format!(
            "Jaeger of VPC {}: trace collector and query, spans in its log search domain",
            vpc.name
        ),
        &account.name,
        &place.region.name,
    );
    let search_stack = log_search::domain_stack(slug, &vpc.name);
    for stack in [
        search_stack.clone(),
        format!("{slug}-log-search-global"),
        format!("{slug}-shared-services"),
    ] {
        b.depends_on(stack);
    }
    let data = crate::aggregator::data_subnets(model, vpc);
    let subnets = b.subnet_refs(ctx, place, &data, problems);
    let vpc_id = b.vpc_ref(ctx, place, problems);
    let group = b.param(
        "JaegerGroupId",
        &format!("Jaeger's security group (stack {search_stack})"),
        ParameterValue::StackOutput {
            stack: search_stack.clone(),
            output: "JaegerGroupId".into(),
        },
    );
    let endpoint = b.param(
        "OpenSearchEndpoint",
        &format!("The log search domain's endpoint (stack {search_stack})"),
        ParameterValue::StackOutput {
            stack: search_stack,
            output: "Endpoint".into(),
        },
    );
    let prefix_list = b.param(
        "S3PrefixListId",
        "The AWS-managed prefix list of s3 in the region",
        ParameterValue::ManagedPrefixList(format!("com.amazonaws.{}.s3", place.region.name)),
    );
    let shared_sub = ctx.shared.map_or_else(
        || "${AWS::AccountId}".to_owned(),
        |a| format!("${{{}}}", b.account_param(&a.name)),
    );
    let purpose = tags(&[("landfall:purpose", PURPOSE), ("landfall:vpc", &vpc.name)]);
    let vpc_cidr = ctx.plan.vpc_cidr(vpc.id).to_string();

    // ----- network -----
    // The load balancer's group: the listeners' ports from the VPC, out to
    // the tasks only.
    let ingress: Vec<Value> = LISTENERS
        .iter()
        .map(|(_, port, why)| {
            json!({ "IpProtocol": "tcp", "FromPort": port, "ToPort": port, "CidrIp": vpc_cidr, "Description": why })
        })
        .collect();
    b.add(
        "LoadBalancerGroup",
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": format!("Jaeger load balancer in {}: OTLP and the query service from the VPC", vpc.name),
            "VpcId": vpc_id,
            "SecurityGroupIngress": ingress,
            "SecurityGroupEgress": [{
                "IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "CidrIp": "127.0.0.1/32", "Description": "no egress"
            }],
            "Tags": tags(&[("Name", &format!("{}-jaeger-lb", vpc.name)), ("landfall:purpose", PURPOSE)])
        }),
    );
    let mut rules = Vec::new();
    let ports = LISTENERS
        .iter()
        .map(|(name, port, why)| (*name, *port, *why))
        .chain([("Health", HEALTH_PORT, "the target group health checks")]);
    for (name, port, why) in ports {
        let egress = format!("LoadBalancerTo{name}");
        b.add(
            &egress,
            "AWS::EC2::SecurityGroupEgress",
            json!({
                "GroupId": { "Fn::GetAtt": ["LoadBalancerGroup", "GroupId"] },
                "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                "DestinationSecurityGroupId": { "Ref": group },
                "Description": format!("Jaeger tasks: {why}")
            }),
        );
        let ingress = format!("TasksFromLoadBalancer{name}");
        b.add(
            &ingress,
            "AWS::EC2::SecurityGroupIngress",
            json!({
                "GroupId": { "Ref": group },
                "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                "SourceSecurityGroupId": { "Fn::GetAtt": ["LoadBalancerGroup", "GroupId"] },
                "Description": format!("Jaeger load balancer: {why}")
            }),
        );
        rules.push(ingress);
    }
    // The log search stack gives the group the domain on 443 only.
    let egress: [(&str, Value, &str); 2] = [
        (
            "EgressToS3",
            json!({ "DestinationPrefixListId": { "Ref": prefix_list } }),
            "S3 gateway endpoint (image layers)",
        ),
        (
            "EgressToEndpoints",
            json!({ "CidrIp": vpc_cidr }),
            "the VPC interface endpoints (ECR, logs)",
        ),
    ];
    for (id, peer, why) in egress {
        let mut props = json!({
            "GroupId": { "Ref": group },
            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            "Description": why
        });
        if let (Some(p), Some(peer)) = (props.as_object_mut(), peer.as_object()) {
            p.extend(peer.clone());
        }
        b.add(id, "AWS::EC2::SecurityGroupEgress", props);
        rules.push(id.to_owned());
    }

    b.add(
        "LoadBalancer",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        json!({
            "Name": format!("jaeger-{}", vpc.name).chars().take(32).collect::<String>(),
            "Type": "network",
            "Scheme": "internal",
            "Subnets": subnets,
            "SecurityGroups": [{ "Fn::GetAtt": ["LoadBalancerGroup", "GroupId"] }],
            "LoadBalancerAttributes": [
                { "Key": "load_balancing.cross_zone.enabled", "Value": "true" }
            ],
            "Tags": purpose
        }),
    );
    let mut listeners = Vec::new();
    let mut balancers = Vec::new();
    for (name, port, _) in LISTENERS {
        let target = format!("{name}Targets");
        b.add(
            &target,
            "AWS::ElasticLoadBalancingV2::TargetGroup",
            json!({
                "TargetType": "ip",
                "Protocol": "TCP",
                "Port": port,
                "VpcId": vpc_id,
                "HealthCheckProtocol": "HTTP",
                "HealthCheckPort": HEALTH_PORT.to_string(),
                "HealthCheckPath": HEALTH_PATH,
                "TargetGroupAttributes": [
                    { "Key": "deregistration_delay.timeout_seconds", "Value": "30" }
                ],
                "Tags": purpose
            }),
        );
        let listener = format!("{name}Listener");
        b.add(
            &listener,
            "AWS::ElasticLoadBalancingV2::Listener",
            json!({
                "LoadBalancerArn": { "Ref": "LoadBalancer" },
                "Protocol": "TCP",
                "Port": port,
                "DefaultActions": [{ "Type": "forward", "TargetGroupArn": { "Ref": target } }]
            }),
        );
        listeners.push(listener);
        balancers.push(json!({
            "ContainerName": CONTAINER,
            "ContainerPort": port,
            "TargetGroupArn": { "Ref": target }
        }));
    }

    let log_group = format!("/landfall/jaeger/{}", vpc.name);
    b.add(
        "JaegerLogs",
        "AWS::Logs::LogGroup",
        json!({ "LogGroupName": log_group, "RetentionInDays": 90, "Tags": purpose }),
    );

    // ----- roles -----
    let boundary = json!({ "Fn::Sub": format!("arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:policy/{BOUNDARY}") });
    let repository = json!({ "Fn::Sub": format!("arn:${{AWS::Partition}}:ecr:${{AWS::Region}}:{shared_sub}:repository/{REPOSITORY}") });
    b.add(
        "JaegerExecutionRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": format!("exec-jaeger-{}", vpc.name),
            "Path": ROLE_PATH,
            "PermissionsBoundary": boundary,
            "AssumeRolePolicyDocument": ecs_tasks_trust(),
            "Policies": [{ "PolicyName": "execution", "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    { "Sid": "LogIn", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*" },
                    {
                        "Sid": "PullJaeger", "Effect": "Allow",
                        "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                        "Resource": repository
                    },
                    {
                        "Sid": "WriteItsLogs", "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": { "Fn::Sub": "${JaegerLogs.Arn}:*" }
                    }
                ]
            } }],
            "Tags": purpose
        }),
    );

    // ----- the task -----
    b.stack.inputs.push(ExternalInput {
        kind: InputKind::Image,
        name: image(),
        why: format!(
            "copied from {UPSTREAM}:{TAG} to the shared-services registry, which replicates it to every region that runs tasks"
        ),
        account: ctx.shared.map(|a| a.name.clone()),
    });
    let port_mappings: Vec<Value> = LISTENERS
        .iter()
        .map(|(_, port, _)| *port)
        .chain([HEALTH_PORT])
        .map(|port| json!({ "ContainerPort": port, "Protocol": "tcp" }))
        .collect();
    b.add(
        "JaegerTaskDefinition",
        "AWS::ECS::TaskDefinition",
        json!({
            "Family": format!("jaeger-{}", vpc.name),
            "Cpu": CPU,
            "Memory": MEMORY,
            "NetworkMode": "awsvpc",
            "RequiresCompatibilities": ["FARGATE"],
            "ExecutionRoleArn": { "Fn::GetAtt": ["JaegerExecutionRole", "Arn"] },
            "TaskRoleArn": { "Fn::Sub": format!("arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role{}{}", log_search::ROLE_PATH, log_search::JAEGER_ROLE) },
            // The image declares /tmp a volume; the root file system is
            // read-only.
            "Volumes": [{ "Name": TMP_VOLUME }],
            "ContainerDefinitions": [{
                "Name": CONTAINER,
                "Image": { "Fn::Sub": format!("{shared_sub}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/{}", image()) },
                "Essential": true,
                "ReadonlyRootFilesystem": true,
                "Privileged": false,
                "Command": [format!("--config=env:{CONFIG_VARIABLE}")],
                "Environment": [
                    { "Name": CONFIG_VARIABLE, "Value": config },
                    { "Name": log_search::OPENSEARCH_VARIABLE, "Value": { "Ref": endpoint } },
                    // The region `sigv4auth` signs for.
                    { "Name": "AWS_REGION", "Value": { "Ref": "AWS::Region" } }
                ],
                "PortMappings": port_mappings,
                "MountPoints": [{ "SourceVolume": TMP_VOLUME, "ContainerPath": "/tmp", "ReadOnly": false }],
                "LogConfiguration": {
                    "LogDriver": "awslogs",
                    "Options": { "awslogs-group": { "Ref": "JaegerLogs" }, "awslogs-region": { "Ref": "AWS::Region" }, "awslogs-stream-prefix": CONTAINER }
                }
            }],
            "Tags": purpose
        }),
    );
    b.add(
        "JaegerCluster",
        "AWS::ECS::Cluster",
        json!({
            "ClusterName": format!("jaeger-{}", vpc.name),
            "ClusterSettings": [{ "Name": "containerInsights", "Value": "enabled" }],
            "Tags": purpose
        }),
    );
    let service = b.add(
        "JaegerService",
        "AWS::ECS::Service",
        json!({
            "ServiceName": "jaeger",
            "Cluster": { "Ref": "JaegerCluster" },
            "LaunchType": "FARGATE",
            "TaskDefinition": { "Ref": "JaegerTaskDefinition" },
            "DesiredCount": DESIRED_COUNT,
            "HealthCheckGracePeriodSeconds": 60,
            "LoadBalancers": balancers,
            "NetworkConfiguration": { "AwsvpcConfiguration": {
                "AssignPublicIp": "DISABLED",
                "Subnets": subnets,
                "SecurityGroups": [{ "Ref": group }]
            } },
            "DeploymentConfiguration": {
                "DeploymentCircuitBreaker": { "Enable": true, "Rollback": true },
                "MinimumHealthyPercent": 50,
                "MaximumPercent": 200
            },
            "EnableECSManagedTags": true,
            "PropagateTags": "SERVICE",
            "Tags": purpose
        }),
    );
    // A service with a load balancer needs its target groups attached to
    // a listener before it is created; the first tasks need their rules.
    service.depends_on.extend(listeners);
    service.depends_on.extend(rules);
    service.origin = model
        .observability_origin
        .as_ref()
        .map(|o| o.child("tracing"));
    b.output(
        "CollectorEndpoint",
        json!({ "Fn::Sub": "${LoadBalancer.DNSName}:4317" }),
        false,
    );
    b.output(
        "QueryUrl",
        json!({ "Fn::Sub": "http://${LoadBalancer.DNSName}:16686" }),
        false,
    );
    b.output(
        DNS_NAME_OUTPUT,
        json!({ "Fn::GetAtt": ["LoadBalancer", "DNSName"] }),
        false,
    );
    Some(b.stack)
}

/// The output of Jaeger's stack its names point at.
pub const DNS_NAME_OUTPUT: &str = "LoadBalancerDnsName";
/// The names stack's suffix: `<org>-workloads-<domain>-<env>[-<region>]-traces-names`.
pub const NAMES_SUFFIX: &str = "traces-names";

/// Jaeger's names in its VPC's monitoring zone
/// (`landfall_model::monitoring::{jaeger_collector_host, jaeger_query_host}`),
/// for the OpenTelemetry gateway's exporter and Grafana's Jaeger data
/// source ([`crate::names`]).
pub(crate) fn names(
    ctx: &Ctx<'_>,
    place: &Placement<'_>,
    traces: &landfall_graph::Stack,
) -> Option<landfall_graph::Stack> {
    crate::names::stack(
        ctx,
        place,
        NAMES_SUFFIX,
        "Jaeger",
        traces,
        DNS_NAME_OUTPUT,
        &[
            (
                "Collector",
                landfall_model::monitoring::jaeger_collector_host(ctx.slug),
            ),
            (
                "Query",
                landfall_model::monitoring::jaeger_query_host(ctx.slug),
            ),
        ],
    )
}
