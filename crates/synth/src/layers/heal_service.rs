//! The remediation service itself (`landfall heal serve`) on ECS, beside
//! its queue and journal in each region's alerting unit: one service of
//! two Fargate tasks per region with a remediation VPC, acting on that
//! region's targets only (`--regions`). Its tasks reach AWS through
//! interface endpoints, and an interface endpoint serves its own region
//! only: ECS alone of the APIs the actions call is reachable across
//! regions through PrivateLink
//! (<https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-cross-region-privatelink-support.html>),
//! so one service could not reach EC2, SSM, Auto Scaling, RDS or MSK of
//! another region. The region's events come to its queue (the baseline's
//! forwarding rules send to the bus of their own region) and its
//! Alertmanagers post to it; the DynamoDB journal's leases let the two
//! instances share the work.
//!
//! - **Network**: the endpoints subnets of the region's VPC of the first
//!   production environment there (`NetworkLayout::remediation_vpcs`),
//!   shared with this account; the tasks reach AWS through that VPC's
//!   interface endpoints (STS, ECR, logs, Secrets Manager, KMS, and SQS,
//!   ECS, EC2 and what the actions call, which the network layer adds
//!   there) and the DynamoDB gateway endpoint.
//! - **Front**: an internal Application Load Balancer listening on HTTPS
//!   with a certificate of the platform's private CA (as the workloads'
//!   load balancers) that names the service's private name
//!   ([`landfall_model::monitoring::remediation_host`]), checking the tasks
//!   on `/healthz`.
//! - **Link** ([`link`]): Alertmanager runs in every VPC with monitoring
//!   servers, and VPCs are not connected, so the service is an endpoint
//!   service (PrivateLink) every such VPC reaches through an interface
//!   endpoint of its own (the monitoring layer's link stack). An endpoint
//!   service fronts only Network Load Balancers, so a Network Load Balancer
//!   (TCP 443) forwards to the Application Load Balancer as its target
//!   (target type `alb`, <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/application-load-balancer-target.html>):
//!   TLS still ends at the Application Load Balancer with the private
//!   certificate, and the service keeps its HTTP health checks and
//!   header validation (passing TLS through to the tasks would put the
//!   certificate's key in the tasks).
//! - **Identity**: the execution role pulls the image, writes the logs and
//!   reads the bearer token (a generated secret under a key of its own);
//!   the task role does exactly what the service does: receive and delete
//!   on its queue, the journal's item operations, and `sts:AssumeRole`
//!   into the baseline's remediation role of the organization's accounts
//!   (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html>,
//!   <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html>).
//! - **Accounts**: the service runs outside the management account, so it
//!   cannot list the organization's accounts; the task gets each workload
//!   account's id (`LANDFALL_HEAL_ACCOUNTS`, `name=id,...`) from the
//!   deploy's parameters.

use landfall_graph::{intrinsic, logical_id, ExternalInput, InputKind, ParameterValue};
use landfall_model::monitoring::{alertmanager_host, remediation_host};
use landfall_spec::types::{AccountClass, TierKind};
use serde_json::{json, Value};

use crate::layers::baseline::REMEDIATION_ROLE;
use crate::layers::key_policy;
use crate::layers::monitoring::ALERTMANAGER_PORT;
use crate::unit::{resource, tags, Unit};
use crate::Ctx;

/// The ECS cluster and service.
pub const CLUSTER: &str = "landfall-heal";
pub const SERVICE: &str = "landfall-heal";
/// The task role's name before its region ([`task_role`]), which the
/// baseline's remediation role trusts.
pub const TASK_ROLE: &str = "landfall-heal-service";
/// The roles' path: the baseline's CloudFormation role, which deploys this
/// stack, creates roles only there and only under the workload boundary
/// (`landfall/landfall-workload-boundary`, which keeps them off the
/// platform's own roles).
pub const ROLE_PATH: &str = "/workload/";
const BOUNDARY: &str = "landfall/landfall-workload-boundary";
pub const EXECUTION_ROLE: &str = "landfall-heal-execution";

/// The task role of the service in `region`: roles are global to the
/// account and every region's service has its own.
pub fn task_role(region: &str) -> String {
    format!("{TASK_ROLE}-{region}")
}

/// The execution role of the service in `region`.
pub fn execution_role(region: &str) -> String {
    format!("{EXECUTION_ROLE}-{region}")
}
/// The platform's own image in the shared-services registry: the
/// `landfall` binary with the organization's spec at [`SPEC_DIR`].
pub const IMAGE_REPOSITORY: &str = "landfall/landfall";
pub const SPEC_DIR: &str = "/spec";
/// The port the tasks listen on (behind the load balancer).
pub const PORT: u16 = 9095;
/// The bearer token Alertmanager sends (`LANDFALL_HEAL_TOKEN`).
pub const TOKEN_SECRET: &str = "landfall/heal/token";
pub const LOG_GROUP: &str = "/landfall/heal";
pub const LOG_RETENTION_DAYS: u32 = 365;
/// Two instances, active/active on the DynamoDB journal.
pub const DESIRED_COUNT: u32 = 2;
/// The load balancer's name: short, because its certificate names the
/// load balancer's DNS name (`internal-<name>-<id>.<region>.elb.amazonaws.com`)
/// and ACM takes at most 64 characters for a certificate's first name
/// (<https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html>).
pub const LOAD_BALANCER: &str = "heal";
/// TLS 1.3 and 1.2 only, forward secrecy, as the workloads' load balancers
/// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html>).
pub const SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";
/// The path Alertmanager posts to.
pub const WEBHOOK_PATH: &str = "/alertmanager";
/// The webhook's port at every hop before the tasks: the endpoint, the
/// Network Load Balancer and the Application Load Balancer.
pub const HTTPS_PORT: u16 = 443;

/// The `landfall:remediation` tag of each security group on the webhook's
/// path, which the reachability check finds them by.
pub const ROLE_TAG: &str = "landfall:remediation";
/// The Application Load Balancer's group.
pub const FRONT_ROLE: &str = "front";
/// The endpoint service's Network Load Balancer's group.
pub const LINK_ROLE: &str = "link";
/// The tasks' group.
pub const TASKS_ROLE: &str = "tasks";
/// An interface endpoint's group, in a VPC with monitoring servers.
pub const ENDPOINT_ROLE: &str = "endpoint";
/// The output naming the tasks' security group, which Alertmanager's load
/// balancer admits (the service pages there).
pub const TASKS_GROUP_OUTPUT: &str = "HealTasksSecurityGroupId";
/// The output naming the endpoint service (`com.amazonaws.vpce.<region>.vpce-svc-...`).
pub const ENDPOINT_SERVICE_OUTPUT: &str = "HealEndpointServiceName";

/// Whether the service runs: there is an alert path and a VPC to run in.
pub(crate) fn runs(ctx: &Ctx<'_>) -> bool {
    super::alerting::enabled(ctx) && !ctx.model.network.remediation_vpcs.is_empty()
}

/// The regions a service runs in, the home region first when it has one.
pub(crate) fn regions(ctx: &Ctx<'_>) -> Vec<String> {
    if !runs(ctx) {
        return Vec::new();
    }
    super::alerting::regions(ctx)
        .into_iter()
        .filter(|region| vpc_in(ctx, region).is_some())
        .collect()
}

/// The VPC the service of `region` runs in.
pub(crate) fn vpc_in<'a>(ctx: &Ctx<'a>, region: &str) -> Option<&'a landfall_model::Vpc> {
    let model = ctx.model;
    model
        .network
        .remediation_vpcs
        .iter()
        .map(|id| model.vpc(*id))
        .find(|vpc| model.region(vpc.region).name == region)
}

/// Whether `vpc` is a service's and has monitoring servers: then the
/// service pages its Alertmanager when it holds back on purpose
/// (`--alertmanager-url`, through a load balancer the monitoring layer
/// adds there).
pub(crate) fn pages_here(ctx: &Ctx<'_>, vpc: &landfall_model::Vpc) -> bool {
    runs(ctx)
        && ctx.model.network.remediation_vpcs.contains(&vpc.id)
        && super::monitoring::vpcs(ctx).iter().any(|v| v.id == vpc.id)
}

/// Whether Alertmanager posts to this service (the spec names no
/// `webhook_url` of its own), so every VPC with monitoring servers gets an
/// endpoint of the service's endpoint service.
pub(crate) fn linked(ctx: &Ctx<'_>) -> bool {
    runs(ctx)
        && ctx
            .model
            .observability
            .as_ref()
            .and_then(|o| o.remediation.as_ref())
            .is_some_and(|r| r.webhook_url.is_none())
        && !super::monitoring::vpcs(ctx).is_empty()
}

/// The image tag: the version of the `landfall` that synthesized it, so
/// the service runs the rules this synthesis knows.
pub fn image_tag() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// Adds the service of `region` to its alerting unit, which holds its
/// queue (`HealQueue`), journal (`HealJournal`) and the journal's key.
pub(crate) fn add(ctx: &Ctx<'_>, unit: &mut Unit, region_name: &str) {
    let model = ctx.model;
    if !super::alerting::enabled(ctx) {
        return;
    }
    let Some(vpc) = vpc_in(ctx, region_name) else {
        return;
    };
    let vpc_id = vpc.id;
    let network_stack = ctx.stack_name("network", &vpc.name);
    unit.depends_on.push(network_stack.clone());
    unit.depends_on.push(ctx.stack_name("shared-services", ""));
    let ca_stack = landfall_graph::private_ca_stack_name(ctx.slug, region_name);
    unit.depends_on.push(ca_stack.clone());
    let core = format!("{network_stack}-core");
    let vpc_param = unit.parameter(
        "HealVpcId",
        &format!("VPC {} (networking account)", vpc.name),
        ParameterValue::ResourceId {
            stack: core.clone(),
            logical_id: "Vpc".into(),
        },
    );
    let region = model.region(vpc.region);
    let endpoints_tier = model
        .network
        .tiers
        .iter()
        .find(|t| t.kind == TierKind::Endpoints);
    let subnets: Vec<Value> = model
        .network
        .subnets
        .iter()
        .filter(|s| s.vpc == vpc_id && Some(s.tier) == endpoints_tier.map(|t| t.id))
        .filter_map(|s| {
            let tier = &model.tier(s.tier).name;
            let az = region.azs.get(s.az)?;
            let letter = az.chars().last().map(String::from).unwrap_or_default();
            let id = logical_id(&["Subnet", tier, &letter]);
            let param = unit.parameter(
                &logical_id(&["Heal", &id]),
                &format!("Subnet {} (networking account, shared here)", s.name),
                ParameterValue::ResourceId {
                    stack: core.clone(),
                    logical_id: id,
                },
            );
            Some(json!({ "Ref": param }))
        })
        .collect();
    let vpc_cidr = ctx.plan.vpc_cidr(vpc_id).to_string();
    let shared = ctx.core_account_param(unit, crate::params::SHARED, ctx.shared);
    let ca = unit.parameter(
        "PrivateCaArn",
        "The platform's private CA in this region (shared-services account)",
        ParameterValue::ResourceId {
            stack: ca_stack,
            logical_id: landfall_graph::PRIVATE_CA_LOGICAL_ID.into(),
        },
    );
    let purpose = tags(&[("landfall:purpose", "remediation")]);

    // The bearer token and the logs, under a key of the service's own.
    unit.add(resource(
        "HealServiceKey",
        "AWS::KMS::Key",
        json!({
            "Description": "Encrypts the remediation service's bearer token and logs",
            "EnableKeyRotation": true,
            "KeyPolicy": key_policy(vec![json!({
                // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
                "Sid": "CloudWatchLogsEncryptsTheServiceLogs",
                "Effect": "Allow",
                "Principal": { "Service": intrinsic::sub("logs.${AWS::Region}.amazonaws.com") },
                "Action": ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
                "Resource": "*",
                "Condition": { "ArnEquals": {
                    "kms:EncryptionContext:aws:logs:arn": intrinsic::sub(format!(
                        "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{LOG_GROUP}"
                    ))
                } }
            })]),
            "Tags": purpose
        }),
    ));
    unit.add(resource(
        "HealToken",
        "AWS::SecretsManager::Secret",
        json!({
            "Name": TOKEN_SECRET,
            "Description": "The bearer token Alertmanager sends to the remediation service",
            "KmsKeyId": { "Ref": "HealServiceKey" },
            // The service refuses tokens under 16 characters.
            "GenerateSecretString": { "PasswordLength": 48, "ExcludePunctuation": true },
            "Tags": purpose
        }),
    ));
    unit.add(resource(
        "HealLogs",
        "AWS::Logs::LogGroup",
        json!({
            "LogGroupName": LOG_GROUP,
            "RetentionInDays": LOG_RETENTION_DAYS,
            "KmsKeyId": { "Fn::GetAtt": ["HealServiceKey", "Arn"] },
            "Tags": purpose
        }),
    ));

    // Roles.
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
    unit.add(resource(
        "HealExecutionRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": execution_role(region_name),
            "Path": ROLE_PATH,
            "PermissionsBoundary": boundary,
            "Description": "Starts the remediation service's tasks: image, logs, bearer token",
            "AssumeRolePolicyDocument": ecs_trust,
            "Policies": [{ "PolicyName": "execution", "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    { "Sid": "LogIn", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*" },
                    {
                        "Sid": "PullTheImage", "Effect": "Allow",
                        "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                        "Resource": intrinsic::sub(format!("arn:${{AWS::Partition}}:ecr:${{AWS::Region}}:${{{shared}}}:repository/{IMAGE_REPOSITORY}"))
                    },
                    {
                        "Sid": "WriteTheLogs", "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": intrinsic::sub("${HealLogs.Arn}:*")
                    },
                    {
                        // A secret in a task definition is read by the
                        // execution role, and a customer managed key needs
                        // kms:Decrypt too
                        // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html).
                        "Sid": "ReadTheToken", "Effect": "Allow",
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": { "Ref": "HealToken" }
                    },
                    {
                        "Sid": "DecryptTheToken", "Effect": "Allow",
                        "Action": "kms:Decrypt",
                        "Resource": { "Fn::GetAtt": ["HealServiceKey", "Arn"] },
                        "Condition": { "StringEquals": { "kms:ViaService": intrinsic::sub("secretsmanager.${AWS::Region}.amazonaws.com") } }
                    }
                ]
            } }],
            "Tags": purpose
        }),
    ));
    let journal_arn = |kind: &str| -> Value {
        match kind {
            "table" => intrinsic::sub(format!(
                "arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/{}",
                super::alerting::HEAL_JOURNAL_TABLE
            )),
            _ => intrinsic::sub(format!(
                "arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/{}/index/{}",
                super::alerting::HEAL_JOURNAL_TABLE,
                super::alerting::HEAL_JOURNAL_INDEX
            )),
        }
    };
    unit.add(resource(
        "HealTaskRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": task_role(region_name),
            "Path": ROLE_PATH,
            "PermissionsBoundary": boundary,
            "Description": "The remediation service: its queue, its journal, and the remediation role of each account",
            "AssumeRolePolicyDocument": ecs_trust,
            "Policies": [{ "PolicyName": "remediation-service", "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        // A message is deleted once its signal is journaled.
                        "Sid": "ReadTheQueue", "Effect": "Allow",
                        "Action": ["sqs:DeleteMessage", "sqs:ReceiveMessage"],
                        "Resource": { "Fn::GetAtt": ["HealQueue", "Arn"] }
                    },
                    {
                        // The journal's item operations (a transaction
                        // needs the action of each item it writes).
                        "Sid": "UseTheJournal", "Effect": "Allow",
                        "Action": super::alerting::HEAL_JOURNAL_ITEM_ACTIONS,
                        "Resource": [journal_arn("table"), journal_arn("index")]
                    },
                    {
                        "Sid": "TheJournalsKey", "Effect": "Allow",
                        "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                        "Resource": { "Fn::GetAtt": ["HealJournalKey", "Arn"] },
                        "Condition": { "StringEquals": { "kms:ViaService": intrinsic::sub("dynamodb.${AWS::Region}.amazonaws.com") } }
                    },
                    {
                        // Actions run as the baseline's remediation role
                        // (which trusts this role in the organization's
                        // accounts) and as nothing else.
                        "Sid": "EnterTheAccounts", "Effect": "Allow",
                        "Action": "sts:AssumeRole",
                        "Resource": intrinsic::sub(format!("arn:${{AWS::Partition}}:iam::*:role{}{REMEDIATION_ROLE}", super::baseline::ROLE_PATH))
                    }
                ]
            } }],
            "Tags": purpose
        }),
    ));

    // Network: the load balancer admits HTTPS from the endpoint service's
    // load balancer (every Alertmanager comes through an endpoint, see
    // `link`); the tasks admit the load balancer and reach AWS through the
    // VPC's endpoints.
    let mut front = json!({
        "GroupDescription": "Remediation service load balancer: HTTPS from the load balancer of its endpoint service",
        "VpcId": { "Ref": vpc_param },
        "SecurityGroupEgress": [{
            "IpProtocol": "tcp", "FromPort": PORT, "ToPort": PORT, "CidrIp": vpc_cidr,
            "Description": "the service tasks"
        }],
        "Tags": tags(&[("Name", "landfall-heal-load-balancer"), ("landfall:purpose", "remediation"), (ROLE_TAG, FRONT_ROLE)])
    });
    if !linked(ctx) {
        // No endpoint service (a `webhook_url` of the spec's, or no
        // monitoring servers): whatever posts comes from the VPC.
        front["GroupDescription"] = json!("Remediation service load balancer: HTTPS from the VPC");
        front["SecurityGroupIngress"] = json!([{
            "IpProtocol": "tcp", "FromPort": HTTPS_PORT, "ToPort": HTTPS_PORT, "CidrIp": vpc_cidr,
            "Description": "webhooks from the VPC"
        }]);
    }
    unit.add(resource(
        "HealLoadBalancerSecurityGroup",
        "AWS::EC2::SecurityGroup",
        front,
    ));
    let mut egress = vec![json!({
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": vpc_cidr,
        "Description": "the VPC interface endpoints"
    })];
    // Held-back remediation is paged to the VPC's Alertmanager, through
    // its load balancer (in the monitoring stack, which deploys after this
    // one and admits this group).
    let pages = pages_here(ctx, vpc);
    if pages {
        egress.push(json!({
            "IpProtocol": "tcp", "FromPort": ALERTMANAGER_PORT, "ToPort": ALERTMANAGER_PORT, "CidrIp": vpc_cidr,
            "Description": "the Alertmanager load balancer (held-back remediation is paged)"
        }));
    }
    for service in ["dynamodb", "s3"] {
        let list = unit.parameter(
            &logical_id(&["Heal", service, "PrefixList"]),
            &format!("The AWS-managed prefix list of {service} in the region"),
            ParameterValue::ManagedPrefixList(format!("com.amazonaws.{}.{service}", region.name)),
        );
        egress.push(json!({
            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            "DestinationPrefixListId": { "Ref": list },
            "Description": format!("{service} gateway endpoint")
        }));
    }
    unit.add(resource(
        "HealTasksSecurityGroup",
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": "Remediation service tasks: their load balancer in, AWS endpoints out",
            "VpcId": { "Ref": vpc_param },
            "SecurityGroupIngress": [{
                "IpProtocol": "tcp", "FromPort": PORT, "ToPort": PORT,
                "SourceSecurityGroupId": { "Fn::GetAtt": ["HealLoadBalancerSecurityGroup", "GroupId"] },
                "Description": "its load balancer"
            }],
            "SecurityGroupEgress": egress,
            "Tags": tags(&[("Name", "landfall-heal-tasks"), ("landfall:purpose", "remediation"), (ROLE_TAG, TASKS_ROLE)])
        }),
    ));

    // The front: internal load balancer, private certificate, HTTPS only.
    unit.add(resource(
        "HealLoadBalancer",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        json!({
            "Name": LOAD_BALANCER,
            "Type": "application",
            "Scheme": "internal",
            "Subnets": subnets.clone(),
            "SecurityGroups": [{ "Ref": "HealLoadBalancerSecurityGroup" }],
            "LoadBalancerAttributes": [
                { "Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true" },
                { "Key": "deletion_protection.enabled", "Value": "true" }
            ],
            "Tags": purpose
        }),
    ));
    unit.add(resource(
        "HealCertificate",
        "AWS::CertificateManager::Certificate",
        json!({
            "DomainName": { "Fn::GetAtt": ["HealLoadBalancer", "DNSName"] },
            // The name Alertmanager uses in every VPC (its endpoint there).
            "SubjectAlternativeNames": [remediation_host(ctx.slug)],
            "CertificateAuthorityArn": { "Ref": ca },
            "KeyAlgorithm": "EC_prime256v1",
            "Tags": purpose
        }),
    ));
    unit.add(resource(
        "HealTargets",
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        json!({
            "TargetType": "ip",
            "Protocol": "HTTP",
            "Port": PORT,
            "VpcId": { "Ref": vpc_param },
            // 200 only when the journal answers.
            "HealthCheckPath": "/healthz",
            "Matcher": { "HttpCode": "200" },
            "TargetGroupAttributes": [{ "Key": "deregistration_delay.timeout_seconds", "Value": "30" }],
            "Tags": purpose
        }),
    ));
    unit.add(resource(
        "HealListener",
        "AWS::ElasticLoadBalancingV2::Listener",
        json!({
            "LoadBalancerArn": { "Ref": "HealLoadBalancer" },
            "Port": 443,
            "Protocol": "HTTPS",
            "SslPolicy": SSL_POLICY,
            "Certificates": [{ "CertificateArn": { "Ref": "HealCertificate" } }],
            "DefaultActions": [{ "Type": "forward", "TargetGroupArn": { "Ref": "HealTargets" } }]
        }),
    ));
    if linked(ctx) {
        link(ctx, unit, region_name, &vpc_param, &subnets);
    }

    // The task: `landfall heal serve` on the queue and the shared journal.
    let accounts = account_ids(ctx, unit);
    let mut command = vec![
        json!("heal"),
        json!("serve"),
        json!("--queue-url"),
        json!({ "Ref": "HealQueue" }),
        json!("--journal"),
        // By ARN: the table of this region's alert path.
        intrinsic::sub(format!(
            "dynamodb://arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/{}",
            super::alerting::HEAL_JOURNAL_TABLE
        )),
        json!("--listen"),
        json!(format!("0.0.0.0:{PORT}")),
        // Only this region's targets: the others' APIs are out of reach.
        json!("--regions"),
        json!(region_name),
    ];
    // Automation Controller acts; the service shadows it: it decides and
    // journals what it would do, and acts on nothing, so one engine acts
    // on each alert.
    if landfall_model::monitoring::runs_on_automation_controller(ctx.model) {
        command.push(json!("--dry-run"));
    }
    if pages {
        command.push(json!("--alertmanager-url"));
        command.push(json!(format!(
            "http://{}:{ALERTMANAGER_PORT}",
            alertmanager_host(ctx.slug, &region.name)
        )));
    }
    let image = intrinsic::sub(format!(
        "${{{shared}}}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/{IMAGE_REPOSITORY}:{}",
        image_tag()
    ));
    unit.inputs.push(ExternalInput {
        kind: InputKind::Image,
        name: format!("{IMAGE_REPOSITORY}:{}", image_tag()),
        why: format!(
            "the `landfall` binary of this version with the organization's spec at {SPEC_DIR}, pushed by the platform repository's release to the shared-services registry"
        ),
        account: ctx.shared.map(|a| a.name.clone()),
    });
    unit.add(resource(
        "HealTaskDefinition",
        "AWS::ECS::TaskDefinition",
        json!({
            "Family": SERVICE,
            "Cpu": "512",
            "Memory": "1024",
            "NetworkMode": "awsvpc",
            "RequiresCompatibilities": ["FARGATE"],
            "ExecutionRoleArn": { "Fn::GetAtt": ["HealExecutionRole", "Arn"] },
            "TaskRoleArn": { "Fn::GetAtt": ["HealTaskRole", "Arn"] },
            "ContainerDefinitions": [{
                "Name": "heal",
                "Image": image,
                "Essential": true,
                "ReadonlyRootFilesystem": true,
                "Privileged": false,
                "Command": command,
                "PortMappings": [{ "ContainerPort": PORT, "Protocol": "tcp" }],
                "Environment": [
                    { "Name": "LANDFALL_SPEC", "Value": SPEC_DIR },
                    { "Name": "LANDFALL_HEAL_ACCOUNTS", "Value": accounts }
                ],
                "Secrets": [{ "Name": "LANDFALL_HEAL_TOKEN", "ValueFrom": { "Ref": "HealToken" } }],
                "LogConfiguration": {
                    "LogDriver": "awslogs",
                    "Options": { "awslogs-group": { "Ref": "HealLogs" }, "awslogs-region": { "Ref": "AWS::Region" }, "awslogs-stream-prefix": "heal" }
                }
            }],
            "Tags": purpose
        }),
    ));
    unit.add(resource(
        "HealCluster",
        "AWS::ECS::Cluster",
        json!({
            "ClusterName": CLUSTER,
            "ClusterSettings": [{ "Name": "containerInsights", "Value": "enabled" }],
            "Tags": purpose
        }),
    ));
    let mut service = resource(
        "HealService",
        "AWS::ECS::Service",
        json!({
            "ServiceName": SERVICE,
            "Cluster": { "Ref": "HealCluster" },
            "LaunchType": "FARGATE",
            "TaskDefinition": { "Ref": "HealTaskDefinition" },
            "DesiredCount": DESIRED_COUNT,
            "NetworkConfiguration": { "AwsvpcConfiguration": {
                "AssignPublicIp": "DISABLED",
                "Subnets": subnets,
                "SecurityGroups": [{ "Fn::GetAtt": ["HealTasksSecurityGroup", "GroupId"] }]
            } },
            "LoadBalancers": [{ "ContainerName": "heal", "ContainerPort": PORT, "TargetGroupArn": { "Ref": "HealTargets" } }],
            "HealthCheckGracePeriodSeconds": 60,
            // One task at a time is replaced: the other keeps taking webhooks.
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
    // A target group must belong to a load balancer before a service uses it.
    service.depends_on.push("HealListener".into());
    // Findings about the service point at the spec's remediation section.
    service.origin = model
        .observability_origin
        .as_ref()
        .map(|at| at.child("remediation"));
    unit.add(service);
    unit.outputs.push(landfall_graph::Output {
        name: TASKS_GROUP_OUTPUT.into(),
        description: Some(
            "The remediation service's tasks: Alertmanager's load balancer admits them".into(),
        ),
        value: json!({ "Fn::GetAtt": ["HealTasksSecurityGroup", "GroupId"] }),
        export: None,
    });
    unit.outputs.push(landfall_graph::Output {
        name: "HealWebhookUrl".into(),
        description: Some(
            "Where Alertmanager posts (observability.remediation.webhook_url)".into(),
        ),
        value: if linked(ctx) {
            json!(format!(
                "https://{}{WEBHOOK_PATH}",
                remediation_host(ctx.slug)
            ))
        } else {
            intrinsic::sub(format!(
                "https://${{HealLoadBalancer.DNSName}}{WEBHOOK_PATH}"
            ))
        },
        export: None,
    });
}

/// The endpoint service in front of the load balancer: a Network Load
/// Balancer (TCP 443) whose target is the Application Load Balancer, the
/// endpoint service on it, and the accounts that create the endpoints.
///
/// - Both load balancers must be in the same VPC and account, and the
///   Application Load Balancer needs a listener on the target group's port
///   before it is registered
///   (<https://docs.aws.amazon.com/elasticloadbalancing/latest/network/application-load-balancer-target.html>).
/// - The endpoints are the VPCs' owner's (participants cannot create
///   interface endpoints in a shared VPC,
///   <https://repost.aws/knowledge-center/vpc-interface-endpoint-creation-errors>),
///   so the networking account is the principal allowed to connect
///   (<https://docs.aws.amazon.com/vpc/latest/privatelink/configure-endpoint-service.html#add-remove-permissions>);
///   acceptance is not required, the permission is the gate.
/// - Consumers in other regions connect across regions: the service lists
///   their regions in `SupportedRegions`, and each endpoint names the
///   service's region in `ServiceRegion`
///   (<https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-share-your-services.html#endpoint-service-cross-region>;
///   not with a custom TCP idle timeout, which this load balancer keeps at
///   its default).
/// - Traffic arriving through PrivateLink comes from addresses of other
///   VPCs (which may overlap this one), so the load balancer does not
///   evaluate its inbound rules for it
///   (`EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: off`,
///   <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-security-groups.html>):
///   each endpoint's own group admits only its VPC's Alertmanager hosts.
fn link(ctx: &Ctx<'_>, unit: &mut Unit, region: &str, vpc_param: &str, subnets: &[Value]) {
    let purpose = tags(&[("landfall:purpose", "remediation")]);
    unit.add(resource(
        "HealEndpointLoadBalancerSecurityGroup",
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": "Remediation service endpoint service load balancer: PrivateLink in, HTTPS to the service load balancer out",
            "VpcId": { "Ref": vpc_param },
            "SecurityGroupEgress": [{
                "IpProtocol": "tcp", "FromPort": HTTPS_PORT, "ToPort": HTTPS_PORT,
                "DestinationSecurityGroupId": { "Fn::GetAtt": ["HealLoadBalancerSecurityGroup", "GroupId"] },
                "Description": "the service load balancer"
            }],
            "Tags": tags(&[("Name", "landfall-heal-endpoint-service"), ("landfall:purpose", "remediation"), (ROLE_TAG, LINK_ROLE)])
        }),
    ));
    unit.add(resource(
        "HealLoadBalancerFromEndpointLoadBalancer",
        "AWS::EC2::SecurityGroupIngress",
        json!({
            "GroupId": { "Fn::GetAtt": ["HealLoadBalancerSecurityGroup", "GroupId"] },
            "IpProtocol": "tcp", "FromPort": HTTPS_PORT, "ToPort": HTTPS_PORT,
            "SourceSecurityGroupId": { "Fn::GetAtt": ["HealEndpointLoadBalancerSecurityGroup", "GroupId"] },
            "Description": "the endpoint service load balancer (Alertmanager of every VPC)"
        }),
    ));
    unit.add(resource(
        "HealEndpointLoadBalancer",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        json!({
            "Type": "network",
            "Scheme": "internal",
            "Subnets": subnets,
            "SecurityGroups": [{ "Ref": "HealEndpointLoadBalancerSecurityGroup" }],
            "EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic": "off",
            "LoadBalancerAttributes": [
                { "Key": "load_balancing.cross_zone.enabled", "Value": "true" },
                { "Key": "deletion_protection.enabled", "Value": "true" }
            ],
            "Tags": purpose
        }),
    ));
    let mut targets = resource(
        "HealEndpointTargets",
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        json!({
            "TargetType": "alb",
            "Protocol": "TCP",
            "Port": HTTPS_PORT,
            "VpcId": { "Ref": vpc_param },
            "Targets": [{ "Id": { "Ref": "HealLoadBalancer" }, "Port": HTTPS_PORT }],
            // Through the Application Load Balancer to a task's `/healthz`.
            "HealthCheckProtocol": "HTTPS",
            "HealthCheckPath": "/healthz",
            "Tags": purpose
        }),
    );
    targets.depends_on.push("HealListener".into());
    unit.add(targets);
    unit.add(resource(
        "HealEndpointListener",
        "AWS::ElasticLoadBalancingV2::Listener",
        json!({
            "LoadBalancerArn": { "Ref": "HealEndpointLoadBalancer" },
            "Port": HTTPS_PORT,
            "Protocol": "TCP",
            "DefaultActions": [{ "Type": "forward", "TargetGroupArn": { "Ref": "HealEndpointTargets" } }]
        }),
    ));
    // The VPCs of this region only: each region's Alertmanagers post to
    // the service acting on that region's targets.
    let consumers: Vec<&landfall_model::Vpc> = super::monitoring::vpcs(ctx)
        .into_iter()
        .filter(|v| ctx.model.region(v.region).name == region)
        .collect();
    endpoint_service(
        ctx,
        unit,
        "Heal",
        "HealEndpointLoadBalancer",
        &consumers,
        &purpose,
    );
    unit.outputs.push(landfall_graph::Output {
        name: ENDPOINT_SERVICE_OUTPUT.into(),
        description: Some(
            "The endpoint service every VPC's remediation endpoint connects to".into(),
        ),
        value: intrinsic::sub("com.amazonaws.vpce.${AWS::Region}.${HealEndpointService}"),
        export: None,
    });
}

/// An endpoint service (`<prefix>EndpointService`) on a Network Load
/// Balancer of `unit` (in the unit's region), for the VPCs `vpcs`: it
/// supports their regions (`SupportedRegions`, when one is not its own)
/// and allows their owners (the networking account) to create endpoints
/// (`<prefix>EndpointServicePermissions`); acceptance is not required, the
/// permission is the gate.
pub(crate) fn endpoint_service(
    ctx: &Ctx<'_>,
    unit: &mut Unit,
    prefix: &str,
    load_balancer: &str,
    vpcs: &[&landfall_model::Vpc],
    purpose: &Value,
) {
    let model = ctx.model;
    let own = match &unit.target {
        landfall_graph::Target::Account { region, .. } => region.as_str(),
        _ => ctx.home,
    };
    let regions: std::collections::BTreeSet<&str> = vpcs
        .iter()
        .map(|v| model.region(v.region).name.as_str())
        .chain(std::iter::once(own))
        .collect();
    let mut service = json!({
        "NetworkLoadBalancerArns": [{ "Ref": load_balancer }],
        "AcceptanceRequired": false,
        "Tags": purpose
    });
    if regions.len() > 1 {
        service["SupportedRegions"] = json!(regions);
    }
    let service_id = format!("{prefix}EndpointService");
    unit.add(resource(
        &service_id,
        "AWS::EC2::VPCEndpointService",
        service,
    ));
    let owners: std::collections::BTreeSet<&str> = vpcs
        .iter()
        .map(|v| model.account(v.account).name.as_str())
        .collect();
    let principals: Vec<Value> = owners
        .into_iter()
        .map(|owner| {
            let param = unit.parameter(
                &logical_id(&["Account", owner, "Id"]),
                &format!("Id of the `{owner}` account"),
                ParameterValue::AccountId(owner.to_owned()),
            );
            intrinsic::sub(format!("arn:${{AWS::Partition}}:iam::${{{param}}}:root"))
        })
        .collect();
    unit.add(resource(
        format!("{service_id}Permissions"),
        "AWS::EC2::VPCEndpointServicePermissions",
        json!({
            "ServiceId": { "Ref": service_id },
            "AllowedPrincipals": principals
        }),
    ));
}

/// `name=id,...` of every workload account, for the remediator to enter
/// them without listing the organization (which only the management
/// account may do).
fn account_ids(ctx: &Ctx<'_>, unit: &mut Unit) -> Value {
    let parts: Vec<Value> = ctx
        .model
        .accounts
        .iter()
        .filter(|a| a.class == AccountClass::Workload)
        .map(|a| {
            let param = unit.parameter(
                &logical_id(&["Account", &a.name, "Id"]),
                &format!("Id of the `{}` account", a.name),
                ParameterValue::AccountId(a.name.clone()),
            );
            intrinsic::sub(format!("{}=${{{param}}}", a.name))
        })
        .collect();
    json!({ "Fn::Join": [",", parts] })
}
