//! The Vector aggregators: the consumers that empty the log cluster's
//! topics into the data lake (the log archive's application-log bucket)
//! and the VPC's OpenSearch domain (`landfall_telemetry`'s
//! `vector/aggregator.yaml`).
//!
//! One stack per VPC with the SASL/SCRAM log cluster, built with the
//! cluster's store stack (it reads the cluster's outputs) but deployed in
//! the observability account, beside the VPC's log search domain
//! (`landfall_synth::layers::log_search`), on the same shared data
//! subnets: each VPC's log cluster is reachable only inside that VPC.
//!
//! - **Tasks**: [`DESIRED_COUNT`] Fargate tasks (1 vCPU, 2 GiB; ECS spreads a service's
//!   tasks over the AZs of its subnets,
//!   <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement.html>),
//!   one Kafka consumer group ([`CONSUMER_GROUP`]): partitions are shared
//!   among the tasks, and a task that stops hands its partitions to the
//!   others.
//! - **Configuration**: the generated `aggregator.yaml` in the environment
//!   variable `VECTOR_CONFIG_YAML`, written to the task's volume by the
//!   container's shell, as the log sidecars get theirs
//!   (`crate::service::log_sidecars`): it changes exactly when the stack
//!   does. The endpoints it reads (`LOGS_KAFKA_BOOTSTRAP_SERVERS`,
//!   `OPENSEARCH_ENDPOINT`, `LOG_LAKE_BUCKET`, `LOG_LAKE_KMS_KEY_ID`) are
//!   set from the other stacks' outputs; the Kafka credentials are task
//!   secrets from the log cluster's `AmazonMSK_` secret, read by this
//!   stack's execution role, which the secret's and its key's policies
//!   admit by path (`exec-*` under `/workload/`,
//!   [`crate::store`]'s `log_agents_credentials`).
//! - **Task role**: `/workload/landfall-log-aggregator` of the log search
//!   layer (one per account): it signs OpenSearch's bulk requests (the
//!   domains' access policy names it) and writes the lake under
//!   `domain=…/` (the bucket policy admits it there, the archive key
//!   through S3).
//! - **Network**: the tasks run in the log search stack's aggregator group
//!   (the domain's group admits it on 443); this stack adds its egress to
//!   the brokers on 9096 (the cluster's group admits the shared data
//!   subnets there, [`crate::store`]), to S3's prefix list (the VPC's
//!   gateway endpoint) and to the VPC's interface endpoints (ECR, logs,
//!   Secrets Manager).
//!
//! Only in the log archive's region: the lake's bucket is there, a gateway
//! endpoint reaches only buckets of its own region
//! (<https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html>)
//! and data subnets have no route out. A VPC of another region keeps its
//! records in its log cluster (docs/telemetry.md, "Not yet").

use landfall_graph::{ExternalInput, InputKind, ParameterValue};
use landfall_model::log_search;
use landfall_model::sidecars::LOG_AGENT;
use landfall_model::{DataStore, Model, Subnet, Vpc};
use landfall_spec::types::{AccountClass, TierKind};
use serde_json::{json, Value};

use crate::ctx::{ecs_tasks_trust, tags, Builder, Ctx, Placement, BOUNDARY, ROLE_PATH};
use crate::{logs, Problem};

/// The stack's name suffix: `<org>-workloads-<domain>-<env>[-<region>]-log-aggregators`.
pub const STACK_SUFFIX: &str = "log-aggregators";
/// Two tasks at least, in two AZs.
pub const DESIRED_COUNT: u32 = 2;
/// The Kafka consumer group (`landfall_telemetry::vector::CONSUMER_GROUP`).
pub const CONSUMER_GROUP: &str = "landfall-log-aggregator";
/// Fargate size of one task: Vector's Kafka source, JSON decoding and two
/// compressing sinks.
pub const CPU: &str = "1024";
pub const MEMORY: &str = "2048";
/// Fargate's ephemeral storage, in GiB, which the two disk buffers (8 GiB
/// each at most, `landfall_telemetry::vector::DISK_BUFFER_MAX_BYTES`) and
/// the image share: the default, which they fit in
/// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-task-storage.html>).
pub const EPHEMERAL_GIB: u64 = 20;
/// The most one disk buffer of the aggregator takes, in GiB.
pub const BUFFER_MAX_GIB: u64 = 8;
/// The `landfall:purpose` tag of the stack's resources, which the
/// reachability checks find the aggregators by.
pub const PURPOSE: &str = log_search::AGGREGATOR_PURPOSE;
/// The environment variables the configuration reads beside the Kafka ones.
pub const OPENSEARCH_VARIABLE: &str = log_search::OPENSEARCH_VARIABLE;
pub const BUCKET_VARIABLE: &str = "LOG_LAKE_BUCKET";
pub const KEY_VARIABLE: &str = "LOG_LAKE_KMS_KEY_ID";
/// Where the configuration and the disk buffers live.
const DATA_DIR: &str = "/var/lib/vector";
const DATA_VOLUME: &str = "aggregator-data";
const CONTAINER: &str = "aggregator";

/// The data subnets of a VPC shared with the account holding its log
/// search domain, in AZ order: where the domain and the aggregators run.
pub fn data_subnets<'m>(model: &'m Model, vpc: &Vpc) -> Vec<&'m Subnet> {
    let Some(account) = log_search::account(model) else {
        return Vec::new();
    };
    let mut subnets: Vec<&Subnet> = model
        .network
        .subnets
        .iter()
        .filter(|s| {
            s.vpc == vpc.id
                && s.domain.is_none()
                && model.tier(s.tier).kind == TierKind::Data
                && s.shared_with.contains(&account.id)
        })
        .collect();
    subnets.sort_by_key(|s| s.az);
    subnets
}

/// Whether a placement's VPC gets aggregators for `store`: the store is
/// the SASL/SCRAM log cluster, the VPC has a log search domain, and it is
/// in the log archive's region.
pub fn runs_in(model: &Model, place: &Placement<'_>, store: &DataStore) -> bool {
    let home = model.organization.home_region;
    logs::scram_cluster(model).is_some_and(|c| c.id == store.id)
        && store.environments.contains(&place.env.id)
        && log_search::account(model).is_some()
        && model.core_account(AccountClass::LogArchive).is_some()
        && place.region.id == home
        && log_search::valid_domain_name(&log_search::domain_name(
            &place.env.name,
            &place.region.name,
        ))
        && data_subnets(model, place.vpc).len() >= 2
}

/// The aggregators' stack of the log cluster `store` in `place`, when the
/// caller passed the aggregator's configuration and the VPC gets them.
pub(crate) fn build(
    ctx: &Ctx<'_>,
    place: &Placement<'_>,
    store: &DataStore,
    problems: &mut Vec<Problem>,
) -> Option<landfall_graph::Stack> {
    let model = ctx.model;
    let config = ctx.log_aggregator?;
    if !runs_in(model, place, store) {
        return None;
    }
    let account = log_search::account(model)?;
    let archive = model.core_account(AccountClass::LogArchive)?;
    let slug = ctx.slug;
    let home = &model.region(model.organization.home_region).name;
    let vpc = place.vpc;
    let mut b = Builder::new(
        ctx.stack_name(place, STACK_SUFFIX),
        format!(
            "Vector aggregators of VPC {}: log cluster {} into the data lake and OpenSearch",
            vpc.name, store.name
        ),
        &account.name,
        &place.region.name,
    );
    let store_stack = ctx.stack_name(place, &format!("store-{}", store.name));
    let search_stack = log_search::domain_stack(slug, &vpc.name);
    let archive_stack = format!("{slug}-log-archive");
    for stack in [
        store_stack.clone(),
        search_stack.clone(),
        archive_stack.clone(),
        format!("{slug}-log-search-global"),
        format!("{slug}-shared-services"),
    ] {
        b.depends_on(stack);
    }
    let data = data_subnets(model, vpc);
    let subnets = b.subnet_refs(ctx, place, &data, problems);
    let group = b.param(
        "AggregatorGroupId",
        &format!("The aggregators' security group (stack {search_stack})"),
        ParameterValue::StackOutput {
            stack: search_stack.clone(),
            output: "AggregatorGroupId".into(),
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
    let brokers_group = b.param(
        "LogClusterGroupId",
        &format!(
            "The security group of MSK cluster {} ({} account)",
            store.name, place.account.name
        ),
        ParameterValue::ResourceId {
            stack: store_stack.clone(),
            logical_id: "SecurityGroup".into(),
        },
    );
    let secret = b.param(
        "LogAgentsSecretArn",
        &format!(
            "ARN of the log agents' SASL/SCRAM secret of MSK cluster {}",
            store.name
        ),
        ParameterValue::StackOutput {
            stack: store_stack.clone(),
            output: "LogAgentsSecretArn".into(),
        },
    );
    let secret_key = b.param(
        "LogAgentsKeyArn",
        &format!(
            "ARN of the key of the log agents' secret of MSK cluster {}",
            store.name
        ),
        ParameterValue::StackOutput {
            stack: store_stack.clone(),
            output: "LogAgentsKeyArn".into(),
        },
    );
    let brokers = b.param(
        "LogsKafkaBootstrapServers",
        &format!(
            "SASL/SCRAM bootstrap brokers of MSK cluster {}, asked of MSK when the stack deploys",
            store.name
        ),
        ParameterValue::MskBootstrapBrokers {
            stack: store_stack,
            output: "ClusterArn".into(),
        },
    );
    let archive_id = b.account_param(&archive.name);
    let archive_key = b.param(
        "LogArchiveKeyId",
        "The log archive's key, which encrypts the data lake",
        ParameterValue::ResourceId {
            stack: archive_stack,
            logical_id: "LogArchiveKey".into(),
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
    // Egress of the log search stack's aggregator group (that stack gives
    // it the domain on 443 only).
    let egress: [(&str, i64, Value, &str); 3] = [
        (
            "EgressToLogBrokers",
            logs::MSK_SCRAM_PORT.into(),
            json!({ "DestinationSecurityGroupId": { "Ref": brokers_group } }),
            "the log cluster brokers (SASL/SCRAM)",
        ),
        (
            "EgressToS3",
            443,
            json!({ "DestinationPrefixListId": { "Ref": prefix_list } }),
            "S3 gateway endpoint (the data lake, image layers)",
        ),
        (
            "EgressToEndpoints",
            443,
            json!({ "CidrIp": vpc_cidr }),
            "the VPC interface endpoints (ECR, logs, Secrets Manager)",
        ),
    ];
    for (id, port, peer, why) in egress {
        let mut props = json!({
            "GroupId": { "Ref": group },
            "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
            "Description": why
        });
        if let (Some(p), Some(peer)) = (props.as_object_mut(), peer.as_object()) {
            p.extend(peer.clone());
        }
        b.add(id, "AWS::EC2::SecurityGroupEgress", props);
    }

    let log_group = format!("/landfall/log-aggregators/{}", vpc.name);
    b.add(
        "AggregatorLogs",
        "AWS::Logs::LogGroup",
        json!({
            "LogGroupName": log_group,
            "RetentionInDays": 90,
            "Tags": purpose
        }),
    );

    // ----- roles -----
    let boundary = json!({ "Fn::Sub": format!("arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:policy/{BOUNDARY}") });
    let repository = json!({ "Fn::Sub": format!("arn:${{AWS::Partition}}:ecr:${{AWS::Region}}:{shared_sub}:repository/{}", LOG_AGENT.repository) });
    b.add(
        "AggregatorExecutionRole",
        "AWS::IAM::Role",
        json!({
            // `exec-*` under the workload path: what the log cluster's
            // secret and key admit.
            "RoleName": format!("exec-log-aggregators-{}", vpc.name),
            "Path": ROLE_PATH,
            "PermissionsBoundary": boundary,
            "AssumeRolePolicyDocument": ecs_tasks_trust(),
            "Policies": [{ "PolicyName": "execution", "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    { "Sid": "LogIn", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*" },
                    {
                        "Sid": "PullVector", "Effect": "Allow",
                        "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                        "Resource": repository
                    },
                    {
                        "Sid": "WriteItsLogs", "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": { "Fn::Sub": "${AggregatorLogs.Arn}:*" }
                    },
                    {
                        // Cross-account: the secret's and the key's
                        // policies admit this role too.
                        // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html
                        "Sid": "ReadTheKafkaCredentials", "Effect": "Allow",
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": { "Ref": secret }
                    },
                    {
                        "Sid": "DecryptTheKafkaCredentials", "Effect": "Allow",
                        "Action": "kms:Decrypt",
                        "Resource": { "Ref": secret_key },
                        "Condition": { "StringEquals": { "kms:ViaService": { "Fn::Sub": "secretsmanager.${AWS::Region}.amazonaws.com" } } }
                    }
                ]
            } }],
            "Tags": purpose
        }),
    );

    // ----- the task -----
    b.stack.inputs.push(ExternalInput {
        kind: InputKind::Image,
        name: LOG_AGENT.image(),
        why: format!(
            "copied from {}:{} to the shared-services registry, which replicates it to every region that runs tasks",
            LOG_AGENT.upstream, LOG_AGENT.tag
        ),
        account: ctx.shared.map(|a| a.name.clone()),
    });
    let start = format!(
        "printf '%s' \"${var}\" > {DATA_DIR}/vector.yaml && exec vector --config-yaml {DATA_DIR}/vector.yaml",
        var = logs::CONFIG_VARIABLE,
    );
    let credential = |key: &str| json!({ "Fn::Sub": format!("${{{secret}}}:{key}::") });
    let bucket = format!("{slug}-applogs-${{{archive_id}}}-{home}");
    b.add(
        "AggregatorTaskDefinition",
        "AWS::ECS::TaskDefinition",
        json!({
            "Family": format!("log-aggregators-{}", vpc.name),
            "Cpu": CPU,
            "Memory": MEMORY,
            "NetworkMode": "awsvpc",
            "RequiresCompatibilities": ["FARGATE"],
            "ExecutionRoleArn": { "Fn::GetAtt": ["AggregatorExecutionRole", "Arn"] },
            "TaskRoleArn": { "Fn::Sub": format!("arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role{}{}", log_search::ROLE_PATH, log_search::AGGREGATOR_ROLE) },
            "Volumes": [{ "Name": DATA_VOLUME }],
            "ContainerDefinitions": [{
                "Name": CONTAINER,
                "Image": { "Fn::Sub": format!("{shared_sub}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/{}", LOG_AGENT.image()) },
                "Essential": true,
                "ReadonlyRootFilesystem": true,
                "Privileged": false,
                "EntryPoint": ["/bin/sh", "-c"],
                "Command": [start],
                "Environment": [
                    { "Name": logs::CONFIG_VARIABLE, "Value": config },
                    { "Name": "LOGS_KAFKA_BOOTSTRAP_SERVERS", "Value": { "Ref": brokers } },
                    { "Name": OPENSEARCH_VARIABLE, "Value": { "Ref": endpoint } },
                    { "Name": BUCKET_VARIABLE, "Value": { "Fn::Sub": bucket } },
                    // The key's ARN: a key of another account is named by
                    // its ARN (https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-kms-encryption.html).
                    { "Name": KEY_VARIABLE, "Value": { "Fn::Sub": format!("arn:${{AWS::Partition}}:kms:{home}:${{{archive_id}}}:key/${{{archive_key}}}") } }
                ],
                "Secrets": [
                    { "Name": "LOGS_KAFKA_USERNAME", "ValueFrom": credential("username") },
                    { "Name": "LOGS_KAFKA_PASSWORD", "ValueFrom": credential("password") }
                ],
                "MountPoints": [{ "SourceVolume": DATA_VOLUME, "ContainerPath": DATA_DIR, "ReadOnly": false }],
                "LogConfiguration": {
                    "LogDriver": "awslogs",
                    "Options": { "awslogs-group": { "Ref": "AggregatorLogs" }, "awslogs-region": { "Ref": "AWS::Region" }, "awslogs-stream-prefix": CONTAINER }
                }
            }],
            "Tags": purpose
        }),
    );
    b.add(
        "AggregatorCluster",
        "AWS::ECS::Cluster",
        json!({
            "ClusterName": format!("log-aggregators-{}", vpc.name),
            "ClusterSettings": [{ "Name": "containerInsights", "Value": "enabled" }],
            "Tags": purpose
        }),
    );
    let service = b.add(
        "AggregatorService",
        "AWS::ECS::Service",
        json!({
            "ServiceName": "log-aggregators",
            "Cluster": { "Ref": "AggregatorCluster" },
            "LaunchType": "FARGATE",
            "TaskDefinition": { "Ref": "AggregatorTaskDefinition" },
            "DesiredCount": DESIRED_COUNT,
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
    // Without the egress rules the first tasks could not start.
    service
        .depends_on
        .extend(["EgressToLogBrokers", "EgressToS3", "EgressToEndpoints"].map(String::from));
    service.origin = model
        .observability_origin
        .as_ref()
        .map(|o| o.child("logs").child("kafka_cluster"));
    Some(b.stack)
}
