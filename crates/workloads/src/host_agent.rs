//! The metrics agent of metal container instances: Telegraf as an ECS
//! daemon service of the account's cluster, one task on every container
//! instance, reporting the host (CPU, memory, file systems, the SSM agent)
//! to its VPC's vminsert with the host daemon configuration of
//! `landfall_observability::telegraf::host_config`.
//!
//! How it sees the host, as Telegraf's image documents it: the host's
//! network namespace (so it reports under the host's name, which
//! `landfall heal` finds the instance by, and leaves through the
//! instances' security group), the host's PID namespace (`procstat` finds
//! the SSM agent with `pgrep`) and the host's root read-only at `/hostfs`
//! with `HOST_PROC`, `HOST_SYS`, `HOST_ETC` and `HOST_MOUNT_PREFIX` pointing
//! into it. Its zone comes from the host's facts ([`HOST_FACTS_DIR`]).
//!
//! A daemon service takes no capacity provider strategy: it names the EC2
//! launch type, or the cluster's default strategy (Fargate) is applied and
//! `CreateService` refuses it ("Specifying a capacity provider strategy is
//! not supported when you create a service using the DAEMON scheduling
//! strategy").
//! <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html>

use landfall_model::sidecars::{
    METRICS_AGENT, METRICS_CONFIG_VARIABLE, METRICS_ENV_AZ, METRICS_ENV_ENVIRONMENT,
    METRICS_ENV_REGION, METRICS_ENV_VMINSERT,
};
use serde_json::{json, Value};

use crate::base::{HOST_FACTS_DIR, HOST_FACTS_VOLUME};
use crate::ctx::{
    account_unique_name, ecs_tasks_trust, std_tags, Builder, Ctx, Placement, BOUNDARY, ROLE_PATH,
};

/// The daemon service's name in each metal cluster.
pub const SERVICE_NAME: &str = "host-metrics-agent";
/// Where the host's root is mounted in the daemon's container.
pub const HOST_ROOT: &str = "/hostfs";

/// CPU units and memory (MiB) the daemon reserves on each host: a
/// thousandth of a metal instance, what Telegraf needs for four inputs at
/// the scrape interval with the buffer full.
const CPU: u32 = 128;
const MEMORY: u32 = 256;

/// The daemon's configuration where a placement with metal capacity runs
/// it: its VPC has monitoring servers and the caller passed the domain's
/// host configuration.
pub(crate) fn config<'a>(ctx: &Ctx<'a>, place: &Placement<'_>) -> Option<&'a str> {
    let config = ctx.host_agents?.get(&place.domain.name)?;
    (!landfall_model::monitoring::server_subnets(ctx.model, place.vpc).is_empty())
        .then_some(config.as_str())
}

/// Adds the daemon (log group, execution role, task definition, service)
/// to the account stack `b` of a placement with metal capacity, where
/// [`config`] has one.
pub(crate) fn add(ctx: &Ctx<'_>, place: &Placement<'_>, b: &mut Builder) {
    let Some(config) = config(ctx, place) else {
        return;
    };
    let tags = std_tags(place, &[("landfall:service", SERVICE_NAME)]);
    let shared = ctx.shared.map(|a| b.account_param(&a.name));
    let shared_sub = shared
        .as_ref()
        .map_or_else(|| "${AWS::AccountId}".to_owned(), |p| format!("${{{p}}}"));
    b.stack
        .inputs
        .push(crate::service::sidecar_image(&METRICS_AGENT, ctx));
    b.add(
        "HostAgentLogGroup",
        "AWS::Logs::LogGroup",
        json!({
            "LogGroupName": format!("/landfall/hosts/{}", place.domain.name),
            "RetentionInDays": if place.env.production { 365 } else { 30 },
            "KmsKeyId": { "Fn::GetAtt": ["DataKey", "Arn"] },
            "Tags": tags
        }),
    );
    b.add(
        "HostAgentExecutionRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": account_unique_name("exec", SERVICE_NAME, place),
            "Path": ROLE_PATH,
            "PermissionsBoundary": { "Fn::Sub": format!("arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:policy/{BOUNDARY}") },
            "AssumeRolePolicyDocument": ecs_tasks_trust(),
            "Policies": [{ "PolicyName": "execution", "PolicyDocument": { "Version": "2012-10-17", "Statement": [
                { "Sid": "LogIn", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*" },
                {
                    "Sid": "PullItsImage", "Effect": "Allow",
                    "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                    "Resource": { "Fn::Sub": format!("arn:${{AWS::Partition}}:ecr:${{AWS::Region}}:{shared_sub}:repository/{}", METRICS_AGENT.repository) }
                },
                {
                    "Sid": "WriteItsLogs", "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": { "Fn::Sub": "${HostAgentLogGroup.Arn}:*" }
                }
            ] } }],
            "Tags": tags
        }),
    );
    const DATA: &str = "metrics-agent-data";
    const DATA_DIR: &str = "/var/lib/telegraf";
    const ROOT: &str = "host-root";
    let env = |name: &str, value: Value| json!({ "Name": name, "Value": value });
    b.add(
        "HostAgentTaskDefinition",
        "AWS::ECS::TaskDefinition",
        json!({
            "Family": format!("{}-{SERVICE_NAME}", place.domain.name),
            "NetworkMode": "host",
            "PidMode": "host",
            "RequiresCompatibilities": ["EC2"],
            "ExecutionRoleArn": { "Fn::GetAtt": ["HostAgentExecutionRole", "Arn"] },
            "ContainerDefinitions": [{
                "Name": METRICS_AGENT.container,
                "Image": { "Fn::Sub": format!("{shared_sub}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/{}", METRICS_AGENT.image()) },
                "Essential": true,
                "ReadonlyRootFilesystem": true,
                "Privileged": false,
                "Cpu": CPU,
                "Memory": MEMORY,
                "EntryPoint": ["/bin/sh", "-c"],
                "Command": [crate::service::metrics_agent_start(METRICS_CONFIG_VARIABLE, METRICS_ENV_AZ, DATA_DIR)],
                "Environment": [
                    env(METRICS_CONFIG_VARIABLE, json!(config)),
                    env(METRICS_ENV_ENVIRONMENT, json!(place.env.name)),
                    env(METRICS_ENV_REGION, json!(place.region.name)),
                    env(METRICS_ENV_VMINSERT, json!(landfall_model::monitoring::vminsert_influx_url(ctx.slug, &place.region.name))),
                    env("HOST_ETC", json!(format!("{HOST_ROOT}/etc"))),
                    env("HOST_MOUNT_PREFIX", json!(HOST_ROOT)),
                    env("HOST_PROC", json!(format!("{HOST_ROOT}/proc"))),
                    env("HOST_RUN", json!(format!("{HOST_ROOT}/run"))),
                    env("HOST_SYS", json!(format!("{HOST_ROOT}/sys"))),
                    env("HOST_VAR", json!(format!("{HOST_ROOT}/var")))
                ],
                "MountPoints": [
                    { "SourceVolume": DATA, "ContainerPath": DATA_DIR, "ReadOnly": false },
                    { "SourceVolume": ROOT, "ContainerPath": HOST_ROOT, "ReadOnly": true },
                    { "SourceVolume": HOST_FACTS_VOLUME, "ContainerPath": HOST_FACTS_DIR, "ReadOnly": true }
                ],
                "LogConfiguration": {
                    "LogDriver": "awslogs",
                    "Options": { "awslogs-group": { "Ref": "HostAgentLogGroup" }, "awslogs-region": { "Ref": "AWS::Region" }, "awslogs-stream-prefix": METRICS_AGENT.container }
                }
            }],
            "Volumes": [
                { "Name": DATA },
                { "Name": ROOT, "Host": { "SourcePath": "/" } },
                { "Name": HOST_FACTS_VOLUME, "Host": { "SourcePath": HOST_FACTS_DIR } }
            ],
            "Tags": tags
        }),
    );
    b.add(
        "HostAgentService",
        "AWS::ECS::Service",
        json!({
            "ServiceName": SERVICE_NAME,
            "Cluster": { "Ref": "Cluster" },
            "TaskDefinition": { "Ref": "HostAgentTaskDefinition" },
            "SchedulingStrategy": "DAEMON",
            "LaunchType": "EC2",
            // A daemon replaces its task on each host in place.
            "DeploymentConfiguration": { "MinimumHealthyPercent": 0, "MaximumPercent": 100 },
            "EnableECSManagedTags": true,
            "PropagateTags": "SERVICE",
            "Tags": tags
        }),
    )
    // The cluster's capacity providers first: with them deleted before the
    // daemon, its tasks would be left without hosts mid-delete.
    .depends_on
    .push("ClusterCapacityProviders".into());
}
