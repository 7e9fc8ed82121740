//! Grafana: one instance for the platform, in the observability account,
//! in the home region's production VPC (`NetworkLayout::remediation_vpc`,
//! where the remediation service runs too), on that VPC's data subnets
//! shared with the account (those the monitoring servers use).
//!
//! Why one, in the home region: the CloudWatch data source needs no
//! network path to other regions (the OAM sink of each region makes every
//! linked account's metrics visible in the observability account, and the
//! CloudWatch API is regional behind one `monitoring` endpoint per call),
//! and one database keeps one set of users, folders and annotations.
//! VPCs are not connected: each other region's VictoriaMetrics (that of
//! the region's remediation VPC, [`remote_select_vpcs`]) is reached
//! through cross-region PrivateLink. That cluster's vmselect load balancer
//! is an endpoint service supporting Grafana's region, and a link stack in
//! Grafana's VPC (`<org>-vmselect-link-<region>`, by the VPC's owner)
//! makes an interface endpoint of it named
//! `vmselect.<region>.metrics.<org>.internal` in the VPC's zone: the name
//! the region's data source reads.
//!
//! - **Tasks**: [`DESIRED_COUNT`] Fargate tasks spread over the AZs,
//!   behind an internal HTTPS Application Load Balancer with a certificate
//!   of the region's private CA (as the remediation service's). A first
//!   container (`provisioning`, the AWS CLI) copies the generated
//!   provisioning and dashboards (`observability/grafana/` of `landfall
//!   synth`, in the monitoring stack's configuration bucket) into the
//!   task's volume before Grafana starts.
//! - **Database**: Aurora PostgreSQL, a writer and a reader in another AZ
//!   (the reader is promoted when the writer's AZ fails), encrypted with a
//!   key of the stack's own, deletion protection on, the master password
//!   generated and rotated by RDS in Secrets Manager
//!   (`ManageMasterUserPassword`,
//!   <https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html>);
//!   the tasks read the user name and password from that secret (ECS
//!   `secrets`, read by the execution role).
//! - **CloudWatch**: one role ([`CLOUDWATCH_ROLE`]) with CloudWatch and
//!   CloudWatch Logs read, assumed by the task role; the data source's
//!   `assumeRoleArn` is [`CLOUDWATCH_ROLE_ENV`], which the task sets
//!   (Grafana expands environment variables in provisioning files,
//!   <https://grafana.com/docs/grafana/latest/administration/provisioning/#using-environment-variables>).
//!   Grafana's calls go through the VPC's `monitoring`, `logs` and `sts`
//!   interface endpoints (the network layer adds `monitoring` there).

use landfall_graph::{
    intrinsic, logical_id, ExternalInput, InputKind, Layer, ParameterValue, Target,
};
use landfall_model::monitoring;
use landfall_spec::types::AccountClass;
use serde_json::{json, Value};

use crate::layers::key_policy;
use crate::unit::{resource, tags, ResourceExt, Unit};
use crate::Ctx;

/// The images: repository in the shared-services registry, upstream image,
/// tag. Grafana's is the release `landfall_observability::Profile::grafana`
/// targets (a test keeps them equal).
pub const IMAGES: &[(&str, &str, &str)] = &[
    ("monitoring/grafana", "grafana/grafana", "10.4.2"),
    ("monitoring/aws-cli", "amazon/aws-cli", "2.15.40"),
];
pub const CLUSTER: &str = "landfall-grafana";
pub const SERVICE: &str = "grafana";
/// Two tasks, one per AZ at least: Grafana keeps its state in the database.
pub const DESIRED_COUNT: u32 = 2;
pub const PORT: i64 = 3000;
pub const DB_PORT: i64 = 5432;
pub const DATABASE: &str = "grafana";
pub const DB_USER: &str = "grafana";
/// The smallest class of Aurora PostgreSQL outside the burstable families
/// (`data/instance-classes.tsv`).
pub const DB_CLASS: &str = "db.r7g.large";
/// The role Grafana reads CloudWatch through, and the environment variable
/// that carries its ARN into the data source's `assumeRoleArn`.
pub const CLOUDWATCH_ROLE: &str = "landfall-grafana-cloudwatch";
pub const CLOUDWATCH_ROLE_ENV: &str = "LANDFALL_CLOUDWATCH_ROLE_ARN";
pub const TASK_ROLE: &str = "landfall-grafana";
pub const EXECUTION_ROLE: &str = "landfall-grafana-execution";
pub const LOG_GROUP: &str = "/landfall/grafana";
pub const LOAD_BALANCER: &str = "grafana";
/// Roles of the stack: the baseline's CloudFormation role creates roles
/// only under this path and the workload boundary.
const ROLE_PATH: &str = super::heal_service::ROLE_PATH;
const BOUNDARY: &str = "landfall/landfall-workload-boundary";
/// The `landfall:grafana` tag of each security group, which the
/// reachability check finds them by.
pub const ROLE_TAG: &str = "landfall:grafana";
pub const TASKS_ROLE: &str = "tasks";
pub const DATABASE_ROLE: &str = "database";
pub const LOAD_BALANCER_ROLE: &str = "load-balancer";

/// Grafana's stack.
pub fn stack_name(slug: &str) -> String {
    format!("{slug}-grafana")
}

/// The VPC Grafana runs in, when the platform has it: the remediation
/// service's VPC, with monitoring servers (whose vmselect Grafana reads)
/// and two AZs (the database and the load balancer want them).
pub fn vpc(model: &landfall_model::Model) -> Option<&landfall_model::Vpc> {
    if !monitoring::enabled(model) {
        return None;
    }
    model.core_account(AccountClass::Observability)?;
    let vpc = model.vpc(model.network.remediation_vpc?);
    let two_zones = monitoring::server_subnets(model, vpc).len() >= 2;
    (two_zones && monitoring::cluster_size(model, vpc).is_some()).then_some(vpc)
}

/// The output naming Grafana's tasks' security group, which the
/// endpoints of other regions' vmselect admit.
pub const TASKS_GROUP_OUTPUT: &str = "GrafanaTasksSecurityGroupId";
/// The monitoring stack's output naming vmselect's endpoint service.
pub const SELECT_ENDPOINT_SERVICE_OUTPUT: &str = "VmselectEndpointServiceName";
/// The role tag (`landfall:monitoring`) of a vmselect endpoint's group.
pub const SELECT_ENDPOINT_ROLE: &str = "vmselect-endpoint";

/// The stack in Grafana's VPC holding its endpoint of `region`'s vmselect.
pub fn select_link_stack_name(slug: &str, region: &str) -> String {
    format!("{slug}-vmselect-link-{region}")
}

/// The VPCs of other regions than Grafana's whose VictoriaMetrics is their
/// region's data source: each region's remediation VPC, when it runs
/// monitoring servers.
pub fn remote_select_vpcs(model: &landfall_model::Model) -> Vec<&landfall_model::Vpc> {
    let Some(home) = vpc(model) else {
        return Vec::new();
    };
    let servers = monitoring::server_vpcs(model);
    model
        .network
        .remediation_vpcs
        .iter()
        .map(|id| model.vpc(*id))
        .filter(|v| {
            v.region != home.region
                && servers.iter().any(|s| s.id == v.id)
                && monitoring::cluster_size(model, v).is_some()
        })
        .collect()
}

pub(crate) fn build(ctx: &Ctx<'_>) -> Vec<Unit> {
    let model = ctx.model;
    let Some(vpc) = vpc(model) else {
        return Vec::new();
    };
    let remote = remote_select_vpcs(model);
    let Some(account) = model.core_account(AccountClass::Observability) else {
        return Vec::new();
    };
    let region = model.region(vpc.region);
    let mut unit = Unit::new(
        stack_name(ctx.slug),
        Layer::Observability,
        format!(
            "Grafana and its Aurora PostgreSQL database in VPC {}",
            vpc.name
        ),
        Target::Account {
            account: account.name.clone(),
            region: region.name.clone(),
        },
    );
    let network_stack = ctx.stack_name("network", &vpc.name);
    let servers = super::monitoring::stack_name(ctx.slug, &vpc.name);
    let ca_stack = landfall_graph::private_ca_stack_name(ctx.slug, ctx.home);
    for stack in [
        ctx.stack_name("baseline-global", ""),
        network_stack.clone(),
        ctx.stack_name("shared-services", ""),
        ca_stack.clone(),
        servers.clone(),
    ] {
        unit.depends_on.push(stack);
    }
    let Placed {
        vpc_param,
        subnets: subnet_refs,
        azs,
        vpc_cidr,
    } = place(ctx, &mut unit, vpc);
    let shared = ctx.core_account_param(&mut unit, crate::params::SHARED, ctx.shared);
    let ca = unit.parameter(
        "PrivateCaArn",
        "The platform's private CA in this region (shared-services account)",
        ParameterValue::ResourceId {
            stack: ca_stack,
            logical_id: landfall_graph::PRIVATE_CA_LOGICAL_ID.into(),
        },
    );
    let select_group = unit.parameter(
        "VmselectLoadBalancerGroupId",
        "The security group of vmselect's load balancer (monitoring stack)",
        ParameterValue::ResourceId {
            stack: servers.clone(),
            logical_id: "SelectLoadBalancerSecurityGroup".into(),
        },
    );
    let config_bucket = unit.parameter(
        "ConfigBucketName",
        "The monitoring stack's configuration bucket (observability/ of `landfall synth`)",
        ParameterValue::StackOutput {
            stack: servers,
            output: "ConfigBucketName".into(),
        },
    );
    let s3 = unit.parameter(
        "S3PrefixListId",
        "The AWS-managed prefix list of s3 in the region",
        ParameterValue::ManagedPrefixList(format!("com.amazonaws.{}.s3", region.name)),
    );
    let purpose = |role: Option<&str>| {
        let mut pairs = vec![("landfall:purpose", "grafana")];
        if let Some(role) = role {
            pairs.push((ROLE_TAG, role));
        }
        tags(&pairs)
    };

    // ----- key, logs -----
    key_and_logs(
        &mut unit,
        &KeyAndLogs {
            prefix: "Grafana",
            sid_owner: "Grafanas",
            description: "Encrypts Grafana's database, its master password and its logs",
            log_group: LOG_GROUP,
            tags: purpose(None),
        },
    );

    // ----- security groups -----
    let group = |id: &str| json!({ "Fn::GetAtt": [id, "GroupId"] });
    unit.add(resource(
        "GrafanaLoadBalancerSecurityGroup",
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": "Grafana load balancer: HTTPS from the VPC, the tasks out",
            "VpcId": { "Ref": vpc_param },
            "SecurityGroupIngress": [{
                "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": vpc_cidr,
                "Description": "HTTPS from the VPC"
            }],
            // Declared here, so the group loses AWS's default egress to
            // everything.
            "SecurityGroupEgress": [{
                "IpProtocol": "tcp", "FromPort": PORT, "ToPort": PORT,
                "DestinationSecurityGroupId": group("GrafanaTasksSecurityGroup"),
                "Description": "the Grafana tasks"
            }],
            "Tags": purpose(Some(LOAD_BALANCER_ROLE))
        }),
    ));
    unit.add(resource(
        "GrafanaTasksSecurityGroup",
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": "Grafana tasks: the load balancer in; the database, vmselect and the VPC endpoints out",
            "VpcId": { "Ref": vpc_param },
            "SecurityGroupEgress": [
                {
                    "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": vpc_cidr,
                    "Description": "the VPC interface endpoints (ECR, logs, Secrets Manager, STS, CloudWatch)"
                },
                {
                    "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                    "DestinationPrefixListId": { "Ref": s3 },
                    "Description": "S3 gateway endpoint (image layers, the configuration bucket)"
                },
                {
                    "IpProtocol": "tcp", "FromPort": DB_PORT, "ToPort": DB_PORT,
                    "DestinationSecurityGroupId": group("GrafanaDatabaseSecurityGroup"),
                    "Description": "the Grafana database"
                },
                {
                    "IpProtocol": "tcp", "FromPort": super::monitoring::VMSELECT_PORT, "ToPort": super::monitoring::VMSELECT_PORT,
                    "DestinationSecurityGroupId": { "Ref": select_group },
                    "Description": "the vmselect load balancer"
                },
                // Other regions' vmselect, through the VPC's interface
                // endpoints (the link stacks', made after this one).
                {
                    "IpProtocol": "tcp", "FromPort": super::monitoring::VMSELECT_PORT, "ToPort": super::monitoring::VMSELECT_PORT,
                    "CidrIp": vpc_cidr,
                    "Description": "vmselect of other regions through the VPC endpoints"
                },
                // Jaeger's load balancer is the workload layer's, made
                // after this stack: by the VPC's range, which its group
                // admits on the query port. (The group's description
                // stays: changing it replaces the group.)
                {
                    "IpProtocol": "tcp",
                    "FromPort": landfall_model::monitoring::JAEGER_QUERY_PORT,
                    "ToPort": landfall_model::monitoring::JAEGER_QUERY_PORT,
                    "CidrIp": vpc_cidr,
                    "Description": "the Jaeger query load balancer (Jaeger data source)"
                }
            ],
            "Tags": purpose(Some(TASKS_ROLE))
        }),
    ));
    unit.add(resource(
        "GrafanaDatabaseSecurityGroup",
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": "Grafana database: PostgreSQL from the Grafana tasks only",
            "VpcId": { "Ref": vpc_param },
            // Nothing out: the database answers, it never connects.
            "SecurityGroupEgress": [{
                "IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "CidrIp": "127.0.0.1/32",
                "Description": "no egress"
            }],
            "Tags": purpose(Some(DATABASE_ROLE))
        }),
    ));
    // Ingress naming another group is a resource of its own: the groups'
    // egress names them (and vmselect's group is the monitoring stack's,
    // in the same account and region).
    let ingress: [(&str, Value, &str, i64, &str); 3] = [
        (
            "GrafanaTasksFromLoadBalancer",
            group("GrafanaTasksSecurityGroup"),
            "GrafanaLoadBalancerSecurityGroup",
            PORT,
            "the Grafana load balancer",
        ),
        (
            "GrafanaDatabaseFromTasks",
            group("GrafanaDatabaseSecurityGroup"),
            "GrafanaTasksSecurityGroup",
            DB_PORT,
            "the Grafana tasks",
        ),
        (
            "VmselectFromGrafanaTasks",
            json!({ "Ref": select_group }),
            "GrafanaTasksSecurityGroup",
            super::monitoring::VMSELECT_PORT,
            "the Grafana tasks",
        ),
    ];
    for (id, on, source, port, why) in ingress {
        unit.add(resource(
            id,
            "AWS::EC2::SecurityGroupIngress",
            json!({
                "GroupId": on,
                "SourceSecurityGroupId": group(source),
                "IpProtocol": "tcp", "FromPort": port, "ToPort": port, "Description": why
            }),
        ));
    }

    // ----- database -----
    database(
        &mut unit,
        &Database {
            prefix: "Grafana",
            owner: "Grafana",
            name: DATABASE,
            user: DB_USER,
            port: DB_PORT,
            subnets: &subnet_refs,
            azs: &azs,
            tags: purpose(None),
        },
    );

    // ----- roles -----
    let boundary = intrinsic::sub(format!(
        "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:policy/{BOUNDARY}"
    ));
    let ecs_trust = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": "ecs-tasks.amazonaws.com" },
            "Action": "sts:AssumeRole",
            "Condition": { "StringEquals": { "aws:SourceAccount": { "Ref": "AWS::AccountId" } } }
        }]
    });
    let repositories: Vec<Value> = IMAGES
        .iter()
        .map(|(repo, _, _)| {
            intrinsic::sub(format!(
                "arn:${{AWS::Partition}}:ecr:${{AWS::Region}}:${{{shared}}}:repository/{repo}"
            ))
        })
        .collect();
    unit.add(resource(
        "GrafanaExecutionRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": EXECUTION_ROLE,
            "Path": ROLE_PATH,
            "PermissionsBoundary": boundary,
            "Description": "Starts Grafana's tasks: images, logs, the database's credentials",
            "AssumeRolePolicyDocument": ecs_trust,
            "Policies": [{ "PolicyName": "execution", "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    { "Sid": "LogIn", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*" },
                    {
                        "Sid": "PullTheImages", "Effect": "Allow",
                        "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                        "Resource": repositories
                    },
                    {
                        "Sid": "WriteTheLogs", "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": intrinsic::sub("${GrafanaLogs.Arn}:*")
                    },
                    {
                        // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html
                        "Sid": "ReadTheDatabaseCredentials", "Effect": "Allow",
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": { "Fn::GetAtt": ["GrafanaDatabase", "MasterUserSecret.SecretArn"] }
                    },
                    {
                        "Sid": "DecryptTheCredentials", "Effect": "Allow",
                        "Action": "kms:Decrypt",
                        "Resource": { "Fn::GetAtt": ["GrafanaKey", "Arn"] },
                        "Condition": { "StringEquals": { "kms:ViaService": intrinsic::sub("secretsmanager.${AWS::Region}.amazonaws.com") } }
                    }
                ]
            } }],
            "Tags": purpose(None)
        }),
    ));
    unit.add(resource(
        "GrafanaTaskRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": TASK_ROLE,
            "Path": ROLE_PATH,
            "PermissionsBoundary": boundary,
            "Description": "Grafana: its provisioning from the configuration bucket, CloudWatch through its role",
            "AssumeRolePolicyDocument": ecs_trust,
            "Policies": [{ "PolicyName": "grafana", "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "ReadTheProvisioning", "Effect": "Allow",
                        "Action": "s3:ListBucket",
                        "Resource": intrinsic::sub(format!("arn:${{AWS::Partition}}:s3:::${{{config_bucket}}}")),
                        "Condition": { "StringLike": { "s3:prefix": ["observability/grafana/*"] } }
                    },
                    {
                        "Sid": "ReadTheProvisioningFiles", "Effect": "Allow",
                        "Action": "s3:GetObject",
                        "Resource": intrinsic::sub(format!("arn:${{AWS::Partition}}:s3:::${{{config_bucket}}}/observability/grafana/*"))
                    },
                    {
                        "Sid": "ReadCloudWatch", "Effect": "Allow",
                        "Action": "sts:AssumeRole",
                        "Resource": intrinsic::sub(format!("arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role{ROLE_PATH}{CLOUDWATCH_ROLE}"))
                    }
                ]
            } }],
            "Tags": purpose(None)
        }),
    ));
    // What Grafana's CloudWatch data source calls
    // (<https://grafana.com/docs/grafana/latest/datasources/aws-cloudwatch/#configure-aws-authentication>;
    // not its EC2 and tagging lookups of dimension values: the VPC has no
    // endpoint for them and no way out),
    // and the OAM calls that list the linked accounts
    // (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Unified-Cross-Account.html>).
    unit.add(resource(
        "GrafanaCloudWatchRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": CLOUDWATCH_ROLE,
            "Path": ROLE_PATH,
            "PermissionsBoundary": boundary,
            "Description": "Grafana's CloudWatch data source: metrics and logs of this account and every account linked to its sink",
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "AWS": { "Fn::GetAtt": ["GrafanaTaskRole", "Arn"] } },
                    "Action": "sts:AssumeRole"
                }]
            },
            "Policies": [{ "PolicyName": "cloudwatch-read", "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "Metrics", "Effect": "Allow",
                        "Action": ["cloudwatch:DescribeAlarmHistory", "cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmsForMetric", "cloudwatch:GetInsightRuleReport", "cloudwatch:GetMetricData", "cloudwatch:ListMetrics"],
                        "Resource": "*"
                    },
                    {
                        "Sid": "Logs", "Effect": "Allow",
                        "Action": ["logs:DescribeLogGroups", "logs:GetLogEvents", "logs:GetLogGroupFields", "logs:GetQueryResults", "logs:StartQuery", "logs:StopQuery"],
                        "Resource": "*"
                    },
                    {
                        // The account picker of cross-account queries.
                        "Sid": "LinkedAccounts", "Effect": "Allow",
                        "Action": ["oam:ListAttachedLinks", "oam:ListSinks"],
                        "Resource": "*"
                    },
                ]
            } }],
            "Tags": purpose(None)
        }),
    ));

    // ----- front -----
    unit.add(resource(
        "GrafanaLoadBalancer",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        json!({
            "Name": LOAD_BALANCER,
            "Type": "application",
            "Scheme": "internal",
            "Subnets": subnet_refs,
            "SecurityGroups": [group("GrafanaLoadBalancerSecurityGroup")],
            "LoadBalancerAttributes": [
                { "Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true" },
                { "Key": "deletion_protection.enabled", "Value": "true" }
            ],
            "Tags": purpose(None)
        }),
    ));
    unit.add(resource(
        "GrafanaCertificate",
        "AWS::CertificateManager::Certificate",
        json!({
            "DomainName": { "Fn::GetAtt": ["GrafanaLoadBalancer", "DNSName"] },
            "CertificateAuthorityArn": { "Ref": ca },
            "KeyAlgorithm": "EC_prime256v1",
            "Tags": purpose(None)
        }),
    ));
    unit.add(resource(
        "GrafanaTargets",
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        json!({
            "TargetType": "ip",
            "Protocol": "HTTP",
            "Port": PORT,
            "VpcId": { "Ref": vpc_param },
            // 200 only when the database answers
            // (https://grafana.com/docs/grafana/latest/developers/http_api/other/#health-api).
            "HealthCheckPath": "/api/health",
            "Matcher": { "HttpCode": "200" },
            "TargetGroupAttributes": [{ "Key": "deregistration_delay.timeout_seconds", "Value": "30" }],
            "Tags": purpose(None)
        }),
    ));
    unit.add(resource(
        "GrafanaListener",
        "AWS::ElasticLoadBalancingV2::Listener",
        json!({
            "LoadBalancerArn": { "Ref": "GrafanaLoadBalancer" },
            "Port": 443,
            "Protocol": "HTTPS",
            "SslPolicy": super::heal_service::SSL_POLICY,
            "Certificates": [{ "CertificateArn": { "Ref": "GrafanaCertificate" } }],
            "DefaultActions": [{ "Type": "forward", "TargetGroupArn": { "Ref": "GrafanaTargets" } }]
        }),
    ));

    // ----- the task -----
    let image = |repo: &str| -> Value {
        let tag = IMAGES
            .iter()
            .find(|(r, _, _)| *r == repo)
            .map_or("", |(_, _, t)| t);
        intrinsic::sub(format!(
            "${{{shared}}}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/{repo}:{tag}"
        ))
    };
    for (repo, upstream, tag) in IMAGES {
        unit.inputs.push(ExternalInput {
            kind: InputKind::Image,
            name: format!("{repo}:{tag}"),
            why: format!("{upstream}:{tag}, copied into the shared-services registry, which replicates it to every region"),
            account: ctx.shared.map(|a| a.name.clone()),
        });
    }
    let logs = |prefix: &str| {
        json!({
            "LogDriver": "awslogs",
            "Options": { "awslogs-group": { "Ref": "GrafanaLogs" }, "awslogs-region": { "Ref": "AWS::Region" }, "awslogs-stream-prefix": prefix }
        })
    };
    let secret = |key: &str| {
        intrinsic::sub(format!(
            "${{GrafanaDatabase.MasterUserSecret.SecretArn}}:{key}::"
        ))
    };
    let sync = intrinsic::sub(format!(
        "aws s3 sync --delete s3://${{{config_bucket}}}/observability/grafana/provisioning/ /var/lib/grafana/provisioning/ && \
         aws s3 sync --delete s3://${{{config_bucket}}}/observability/grafana/dashboards/ /var/lib/grafana/dashboards/landfall/ && \
         chown -R 472:0 /var/lib/grafana"
    ));
    unit.add(resource(
        "GrafanaTaskDefinition",
        "AWS::ECS::TaskDefinition",
        json!({
            "Family": SERVICE,
            "Cpu": "512",
            "Memory": "1024",
            "NetworkMode": "awsvpc",
            "RequiresCompatibilities": ["FARGATE"],
            "ExecutionRoleArn": { "Fn::GetAtt": ["GrafanaExecutionRole", "Arn"] },
            "TaskRoleArn": { "Fn::GetAtt": ["GrafanaTaskRole", "Arn"] },
            "Volumes": [{ "Name": "grafana" }],
            "ContainerDefinitions": [
                {
                    "Name": "provisioning",
                    "Image": image("monitoring/aws-cli"),
                    "Essential": false,
                    "EntryPoint": ["sh", "-c"],
                    "Command": [sync],
                    "MountPoints": [{ "SourceVolume": "grafana", "ContainerPath": "/var/lib/grafana" }],
                    "LogConfiguration": logs("provisioning")
                },
                {
                    "Name": "grafana",
                    "Image": image("monitoring/grafana"),
                    "Essential": true,
                    "ReadonlyRootFilesystem": true,
                    "Privileged": false,
                    "DependsOn": [{ "ContainerName": "provisioning", "Condition": "SUCCESS" }],
                    "PortMappings": [{ "ContainerPort": PORT, "Protocol": "tcp" }],
                    "MountPoints": [{ "SourceVolume": "grafana", "ContainerPath": "/var/lib/grafana" }],
                    "Environment": [
                        { "Name": "GF_PATHS_PROVISIONING", "Value": "/var/lib/grafana/provisioning" },
                        { "Name": "GF_DATABASE_TYPE", "Value": "postgres" },
                        { "Name": "GF_DATABASE_HOST", "Value": intrinsic::sub(format!("${{GrafanaDatabase.Endpoint.Address}}:{DB_PORT}")) },
                        { "Name": "GF_DATABASE_NAME", "Value": DATABASE },
                        { "Name": "GF_DATABASE_SSL_MODE", "Value": "require" },
                        { "Name": "GF_SERVER_ROOT_URL", "Value": intrinsic::sub("https://${GrafanaLoadBalancer.DNSName}/") },
                        // No internet: no update checks, no usage reports.
                        { "Name": "GF_ANALYTICS_CHECK_FOR_UPDATES", "Value": "false" },
                        { "Name": "GF_ANALYTICS_REPORTING_ENABLED", "Value": "false" },
                        { "Name": "AWS_REGION", "Value": { "Ref": "AWS::Region" } },
                        { "Name": "AWS_STS_REGIONAL_ENDPOINTS", "Value": "regional" },
                        { "Name": CLOUDWATCH_ROLE_ENV, "Value": { "Fn::GetAtt": ["GrafanaCloudWatchRole", "Arn"] } }
                    ],
                    "Secrets": [
                        { "Name": "GF_DATABASE_USER", "ValueFrom": secret("username") },
                        { "Name": "GF_DATABASE_PASSWORD", "ValueFrom": secret("password") }
                    ],
                    "LogConfiguration": logs("grafana")
                }
            ],
            "Tags": purpose(None)
        }),
    ));
    unit.add(resource(
        "GrafanaCluster",
        "AWS::ECS::Cluster",
        json!({
            "ClusterName": CLUSTER,
            "ClusterSettings": [{ "Name": "containerInsights", "Value": "enabled" }],
            "Tags": purpose(None)
        }),
    ));
    let mut service = resource(
        "GrafanaService",
        "AWS::ECS::Service",
        json!({
            "ServiceName": SERVICE,
            "Cluster": { "Ref": "GrafanaCluster" },
            "LaunchType": "FARGATE",
            "TaskDefinition": { "Ref": "GrafanaTaskDefinition" },
            "DesiredCount": DESIRED_COUNT,
            "NetworkConfiguration": { "AwsvpcConfiguration": {
                "AssignPublicIp": "DISABLED",
                "Subnets": subnet_refs,
                "SecurityGroups": [group("GrafanaTasksSecurityGroup")]
            } },
            "LoadBalancers": [{ "ContainerName": "grafana", "ContainerPort": PORT, "TargetGroupArn": { "Ref": "GrafanaTargets" } }],
            "HealthCheckGracePeriodSeconds": 120,
            "DeploymentConfiguration": {
                "DeploymentCircuitBreaker": { "Enable": true, "Rollback": true },
                "MinimumHealthyPercent": 50,
                "MaximumPercent": 200
            },
            "EnableECSManagedTags": true,
            "PropagateTags": "SERVICE",
            "Tags": purpose(None)
        }),
    );
    // A target group must belong to a load balancer before a service uses
    // it; the database must take connections before Grafana migrates it.
    service.depends_on.push("GrafanaListener".into());
    service.depends_on.push("GrafanaDatabaseWriter".into());
    service.origin = model
        .observability_origin
        .as_ref()
        .map(|at| at.child("metrics"));
    unit.add(service);
    unit.outputs.push(landfall_graph::Output {
        name: "GrafanaUrl".into(),
        description: Some("Grafana, inside the VPC".into()),
        value: intrinsic::sub("https://${GrafanaLoadBalancer.DNSName}/"),
        export: None,
    });
    unit.outputs.push(landfall_graph::Output {
        name: TASKS_GROUP_OUTPUT.into(),
        description: Some(
            "Grafana's tasks: the endpoints of other regions' vmselect admit this group".into(),
        ),
        value: group("GrafanaTasksSecurityGroup"),
        export: None,
    });
    let grafana = unit.name.clone();
    let mut units = vec![unit];
    for other in remote {
        units.push(select_link(ctx, vpc, other, &grafana, &account.name));
    }
    units
}

/// Grafana's VPC's way to `other`'s vmselect (another region's): an
/// interface endpoint of its endpoint service, named as that region's
/// data source reads it.
fn select_link(
    ctx: &Ctx<'_>,
    vpc: &landfall_model::Vpc,
    other: &landfall_model::Vpc,
    grafana: &str,
    observability: &str,
) -> Unit {
    let region = ctx.model.region(other.region).name.clone();
    super::monitoring::link_unit(
        ctx,
        vpc,
        grafana,
        &monitoring_dns_stack(ctx, vpc),
        observability,
        &super::monitoring::Link {
            stack: select_link_stack_name(ctx.slug, &region),
            description: format!(
                "VPC {}'s endpoint of {region}'s vmselect, for Grafana",
                vpc.name
            ),
            prefix: "Vmselect",
            purpose: "monitoring",
            role_tag: super::monitoring::ROLE_TAG,
            role: SELECT_ENDPOINT_ROLE,
            group_description: format!(
                "vmselect of {region} in {}: the Grafana tasks in",
                vpc.name
            ),
            name: "vmselect-endpoint",
            port: super::monitoring::VMSELECT_PORT,
            why: "the Grafana VictoriaMetrics data source",
            service_stack: super::monitoring::stack_name(ctx.slug, &other.name),
            service_region: region.clone(),
            service_output: SELECT_ENDPOINT_SERVICE_OUTPUT,
            service_description: "vmselect's endpoint service (observability account, its region)",
            hosts_output: TASKS_GROUP_OUTPUT,
            hosts_description: "Grafana's tasks' security group (observability account)",
            host: landfall_model::monitoring::vmselect_host(ctx.slug, &region),
        },
    )
}

fn monitoring_dns_stack(ctx: &Ctx<'_>, vpc: &landfall_model::Vpc) -> String {
    landfall_model::monitoring::dns_stack(ctx.slug, &vpc.name)
}

/// An Aurora PostgreSQL database of a platform service: what it is called
/// and where it runs. The stack has `<prefix>Key` (which encrypts it and
/// its master secret) and `<prefix>DatabaseSecurityGroup`.
pub(crate) struct Database<'a> {
    pub prefix: &'a str,
    /// Who uses it, in the subnet group's description.
    pub owner: &'a str,
    pub name: &'a str,
    pub user: &'a str,
    pub port: i64,
    pub subnets: &'a [Value],
    pub azs: &'a [&'a str],
    pub tags: Value,
}

/// The database: `<prefix>DatabaseSubnets`, the cluster `<prefix>Database`
/// (encrypted with the stack's key, deletion protection on, the master
/// password generated and rotated by RDS in Secrets Manager), a writer in
/// the first AZ and a reader in the second (Aurora fails over to it,
/// <https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.AuroraHighAvailability.html>).
pub(crate) fn database(unit: &mut Unit, d: &Database<'_>) {
    let prefix = d.prefix;
    let key = format!("{prefix}Key");
    let subnets = format!("{prefix}DatabaseSubnets");
    let cluster = format!("{prefix}Database");
    unit.add(resource(
        &subnets,
        "AWS::RDS::DBSubnetGroup",
        json!({
            "DBSubnetGroupDescription": format!("{}'s database: the VPC's data subnets shared with this account", d.owner),
            "SubnetIds": d.subnets,
            "Tags": d.tags
        }),
    ));
    unit.add(
        resource(
            &cluster,
            "AWS::RDS::DBCluster",
            json!({
                "Engine": "aurora-postgresql",
                // The platform's pinned release, as every store's.
                "EngineVersion": landfall_model::engines::engine("aurora-postgresql").map_or("", |e| e.version),
                "DatabaseName": d.name,
                "MasterUsername": d.user,
                "ManageMasterUserPassword": true,
                "MasterUserSecret": { "KmsKeyId": { "Ref": key } },
                "StorageEncrypted": true,
                "KmsKeyId": { "Fn::GetAtt": [key, "Arn"] },
                "DeletionProtection": true,
                "BackupRetentionPeriod": 7,
                "CopyTagsToSnapshot": true,
                "Port": d.port,
                "DBSubnetGroupName": { "Ref": subnets },
                "VpcSecurityGroupIds": [{ "Fn::GetAtt": [format!("{prefix}DatabaseSecurityGroup"), "GroupId"] }],
                "Tags": d.tags
            }),
        )
        .retain(),
    );
    for (i, (role, tier)) in [("Writer", 0), ("Reader", 1)].into_iter().enumerate() {
        unit.add(resource(
            format!("{cluster}{role}"),
            "AWS::RDS::DBInstance",
            json!({
                "DBClusterIdentifier": { "Ref": cluster },
                "Engine": "aurora-postgresql",
                "DBInstanceClass": DB_CLASS,
                "AvailabilityZone": d.azs.get(i),
                "PromotionTier": tier,
                "PubliclyAccessible": false,
                "Tags": d.tags
            }),
        ));
    }
}

/// The VPC and the data subnets (shared with the observability account) a
/// service of that account runs in, as the stack's parameters.
pub(crate) struct Placed<'m> {
    pub vpc_param: String,
    pub subnets: Vec<Value>,
    pub azs: Vec<&'m str>,
    pub vpc_cidr: String,
}

/// The parameters naming `vpc` and its monitoring subnets
/// ([`monitoring::server_subnets`]) in `unit`, from the network's core
/// stack.
pub(crate) fn place<'m>(ctx: &Ctx<'m>, unit: &mut Unit, vpc: &landfall_model::Vpc) -> Placed<'m> {
    let model = ctx.model;
    let region = model.region(vpc.region);
    let subnets = monitoring::server_subnets(model, vpc);
    let core = format!("{}-core", ctx.stack_name("network", &vpc.name));
    let vpc_param = unit.parameter(
        "VpcId",
        &format!("VPC {} (networking account)", vpc.name),
        ParameterValue::ResourceId {
            stack: core.clone(),
            logical_id: "Vpc".into(),
        },
    );
    let refs: Vec<Value> = subnets
        .iter()
        .filter_map(|s| {
            let tier = &model.tier(s.tier).name;
            let letter = region.azs.get(s.az)?.chars().last()?.to_string();
            let id = logical_id(&["Subnet", tier, &letter]);
            let param = unit.parameter(
                &id,
                &format!("Subnet {} (networking account, shared here)", s.name),
                ParameterValue::ResourceId {
                    stack: core.clone(),
                    logical_id: id.clone(),
                },
            );
            Some(json!({ "Ref": param }))
        })
        .collect();
    Placed {
        vpc_param,
        subnets: refs,
        azs: subnets
            .iter()
            .filter_map(|s| region.azs.get(s.az).map(String::as_str))
            .collect(),
        vpc_cidr: ctx.plan.vpc_cidr(vpc.id).to_string(),
    }
}

/// A stack's own key and its log group.
pub(crate) struct KeyAndLogs<'a> {
    /// `<prefix>Key`, `<prefix>Logs`.
    pub prefix: &'a str,
    /// The key policy statement's `CloudWatchLogsEncrypts<owner>Logs`.
    pub sid_owner: &'a str,
    pub description: &'a str,
    pub log_group: &'a str,
    pub tags: Value,
}

/// The key (rotated; CloudWatch Logs may use it for the log group only,
/// <https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html>)
/// and the log group it encrypts (90 days).
pub(crate) fn key_and_logs(unit: &mut Unit, k: &KeyAndLogs<'_>) {
    let key = format!("{}Key", k.prefix);
    unit.add(resource(
        &key,
        "AWS::KMS::Key",
        json!({
            "Description": k.description,
            "EnableKeyRotation": true,
            "KeyPolicy": key_policy(vec![json!({
                "Sid": format!("CloudWatchLogsEncrypts{}Logs", k.sid_owner),
                "Effect": "Allow",
                "Principal": { "Service": intrinsic::sub("logs.${AWS::Region}.amazonaws.com") },
                "Action": ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
                "Resource": "*",
                "Condition": { "ArnEquals": {
                    "kms:EncryptionContext:aws:logs:arn": intrinsic::sub(format!(
                        "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{}",
                        k.log_group
                    ))
                } }
            })]),
            "Tags": k.tags
        }),
    ));
    unit.add(resource(
        format!("{}Logs", k.prefix),
        "AWS::Logs::LogGroup",
        json!({
            "LogGroupName": k.log_group,
            "RetentionInDays": 90,
            "KmsKeyId": { "Fn::GetAtt": [key, "Arn"] },
            "Tags": k.tags
        }),
    ));
}
