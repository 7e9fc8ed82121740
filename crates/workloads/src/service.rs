//! One service in one environment: `<org>-workloads-<domain>-<env>-service-<name>`.

use std::collections::BTreeSet;

use landfall_graph::{logical_id, ExternalInput, InputKind, ParameterValue, Stack};
use landfall_model::Service;
use landfall_spec::types::Engine;
use landfall_spec::types::TierKind;
use serde_json::{json, Value};

use crate::base::exposure;
use crate::ctx::{
    account_unique_name, import, std_tags, Builder, Ctx, Placement, BOUNDARY,
    DEPLOY_PRINCIPAL_PATH, ROLE_PATH,
};
use crate::logs;
use crate::policy::{document, store_stack, task_policy};
use crate::sizing::{size, CPU_TARGET_PERCENT};
use crate::store::{port, MSK_IAM_PORT};
use crate::Problem;
use landfall_model::sidecars::{LOG_AGENT, LOG_ROUTER, METRICS_AGENT, SIDECARS};

/// The header the load balancer routes on; CloudFront sets it for public
/// services, callers set it for internal ones.
pub const ROUTING_HEADER: &str = "X-Landfall-Service";

const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const ALL_VIEWER_EXCEPT_HOST: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";
/// AWS's managed `SecurityHeadersPolicy` (HSTS, no sniffing, frame options).
const SECURITY_HEADERS: &str = "67f7725c-6f97-4210-82d7-5512b31e9d03";

/// A security group of another domain's stack (another account in the same
/// shared VPC, where groups can be referenced by id): a parameter the
/// deployer fills with the group's id from the deployed stack.
fn other_group(
    b: &mut Builder,
    param: &str,
    other: &Placement<'_>,
    stack: String,
    logical_id: &str,
) -> Value {
    let description = format!(
        "Id of `{logical_id}` in stack `{stack}` ({})",
        other.account.name
    );
    b.depends_on(stack.clone());
    let name = b.param(
        param,
        &description,
        ParameterValue::ResourceId {
            stack,
            logical_id: logical_id.to_owned(),
        },
    );
    json!({ "Ref": name })
}

/// Egress to the AWS APIs a task reaches without the internet. On Fargate
/// platform version 1.4 image pulls, secrets and logs go through the task's
/// own ENI: HTTPS to the interface endpoints (in the endpoints subnets of
/// the VPC, shared with the account or not) and to S3's prefix list (ECR
/// keeps image layers in S3, behind the gateway endpoint); DynamoDB's when
/// the service uses a table.
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/platform-version-migration.html>
/// <https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html>
pub(crate) fn aws_api_egress(
    ctx: &Ctx<'_>,
    b: &mut Builder,
    place: &Placement<'_>,
    service: &Service,
) -> Vec<Value> {
    let mut egress: Vec<Value> = ctx
        .vpc_cidrs(place, TierKind::Endpoints)
        .into_iter()
        .map(|c| json!({ "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": c, "Description": "interface endpoints (ECR, logs, secrets, STS, KMS)" }))
        .collect();
    let dynamodb = service.data_stores.iter().any(|id| {
        let store = ctx.model.data_store(*id);
        store.environments.contains(&place.env.id)
            && matches!(store.engine, Engine::Dynamodb { .. })
    });
    let mut gateways = vec![(
        "s3",
        "S3PrefixListId",
        "S3 gateway endpoint (ECR image layers)",
    )];
    if dynamodb {
        gateways.push((
            "dynamodb",
            "DynamoDbPrefixListId",
            "DynamoDB gateway endpoint",
        ));
    }
    for (service, param, description) in gateways {
        let name = b.param(
            param,
            &format!("The AWS-managed prefix list of {service} in the region"),
            ParameterValue::ManagedPrefixList(format!(
                "com.amazonaws.{}.{service}",
                place.region.name
            )),
        );
        egress.push(json!({
            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            "DestinationPrefixListId": { "Ref": name },
            "Description": description
        }));
    }
    // The Telegraf sidecar writes to the VPC's vminsert, whose load
    // balancer is in the shared data subnets.
    egress.extend(ctx.vminsert_egress(place, "Telegraf sidecar"));
    egress
}

pub(crate) fn build(
    ctx: &Ctx<'_>,
    place: &Placement<'_>,
    service: &Service,
    problems: &mut Vec<Problem>,
) -> Stack {
    let model = ctx.model;
    let account_stack = ctx.stack_name(place, "");
    let mut b = Builder::new(
        ctx.stack_name(place, &format!("service-{}", service.name)),
        format!(
            "Service {} of {} in {}",
            service.name, place.domain.name, place.env.name
        ),
        &place.account.name,
        &place.region.name,
    );
    b.depends_on(account_stack.clone());
    let (behind_lb, public) = exposure(ctx, place, service);
    let scaling = size(service, place.env);
    let svc_tags = std_tags(place, &[("landfall:service", &service.name)]);
    let vpc = b.vpc_ref(ctx, place, problems);
    let app = ctx.subnets(place, TierKind::Application);
    let subnets = b.subnet_refs(ctx, place, &app, problems);
    let shared = ctx.shared.map(|a| b.account_param(&a.name));
    let shared_sub = shared
        .as_ref()
        .map_or_else(|| "${AWS::AccountId}".to_owned(), |p| format!("${{{p}}}"));

    // Security group: exactly the declared dependencies, and the AWS APIs
    // the task reaches through VPC endpoints.
    let mut egress = aws_api_egress(ctx, &mut b, place, service);
    let mut extra: Vec<(String, Value)> = Vec::new();
    for id in &service.data_stores {
        let store = model.data_store(*id);
        if !store.environments.contains(&place.env.id) {
            continue;
        }
        let stack = store_stack(model, place, store);
        b.depends_on(stack.clone());
        let Some(p) = port(&store.engine) else {
            continue;
        };
        if matches!(store.engine, Engine::Msk { .. }) {
            continue; // reached by topic, below
        }
        egress.push(json!({
            "IpProtocol": "tcp", "FromPort": p, "ToPort": p,
            "DestinationSecurityGroupId": import(&stack, "SecurityGroupId"),
            "Description": format!("data store {}", store.name)
        }));
        extra.push((
            logical_id(&["To", &store.name]),
            json!({
                "GroupId": import(&stack, "SecurityGroupId"),
                "IpProtocol": "tcp", "FromPort": p, "ToPort": p,
                "SourceSecurityGroupId": { "Fn::GetAtt": ["SecurityGroup", "GroupId"] },
                "Description": format!("from service {}", service.name)
            }),
        ));
    }
    // MSK clusters of its topics: the cluster's data subnets.
    let clusters: BTreeSet<usize> = service
        .produces
        .iter()
        .chain(&service.consumes)
        .map(|t| model.topic(*t).cluster.index())
        .collect();
    let mut seen = BTreeSet::new();
    for c in clusters {
        let store = &model.data_stores[c];
        if !store.environments.contains(&place.env.id) {
            continue;
        }
        let Some(other) = ctx.peer(place, store.domain) else {
            continue;
        };
        let stack = store_stack(model, &other, store);
        if !seen.insert(stack.clone()) {
            continue;
        }
        let group = if other.domain.id == place.domain.id {
            // An import: the cluster's stack must be deployed first.
            b.depends_on(stack.clone());
            import(&stack, "SecurityGroupId")
        } else {
            let param = logical_id(&["SecurityGroup", "Store", &store.name]);
            other_group(&mut b, &param, &other, stack, "SecurityGroup")
        };
        egress.push(json!({
            "IpProtocol": "tcp", "FromPort": MSK_IAM_PORT, "ToPort": MSK_IAM_PORT,
            "DestinationSecurityGroupId": group,
            "Description": format!("MSK brokers ({})", store.name)
        }));
    }
    // Its log agent: the log cluster's brokers on the SASL/SCRAM port.
    let log_cluster = ctx
        .log_agents
        .and_then(|_| logs::agent_cluster(model, service, place.env.id))
        .and_then(|store| Some((store, ctx.peer(place, store.domain)?)));
    let mut log_cluster_stack = None;
    if let Some((store, other)) = &log_cluster {
        let stack = store_stack(model, other, store);
        let group = if other.domain.id == place.domain.id {
            b.depends_on(stack.clone());
            import(&stack, "SecurityGroupId")
        } else {
            let param = logical_id(&["SecurityGroup", "Store", &store.name]);
            other_group(&mut b, &param, other, stack.clone(), "SecurityGroup")
        };
        egress.push(json!({
            "IpProtocol": "tcp", "FromPort": logs::MSK_SCRAM_PORT, "ToPort": logs::MSK_SCRAM_PORT,
            "DestinationSecurityGroupId": group,
            "Description": format!("MSK brokers ({}), log agent", store.name)
        }));
        log_cluster_stack = Some(stack);
    }
    // Calls: through the callee domain's internal load balancer.
    for callee in &service.calls {
        let callee = model.service(*callee);
        if !callee.environments.contains(&place.env.id) {
            continue;
        }
        if callee.domain == place.domain.id {
            if seen.insert(format!("lb:{}", account_stack)) {
                egress.push(json!({
                    "IpProtocol": "tcp", "FromPort": crate::tls::HTTPS_PORT, "ToPort": crate::tls::HTTPS_PORT,
                    "DestinationSecurityGroupId": import(&account_stack, "LoadBalancerSecurityGroupId"),
                    "Description": "internal load balancer of its domain"
                }));
                extra.push((
                    "ToLoadBalancer".into(),
                    json!({
                        "GroupId": import(&account_stack, "LoadBalancerSecurityGroupId"),
                        "IpProtocol": "tcp", "FromPort": crate::tls::HTTPS_PORT, "ToPort": crate::tls::HTTPS_PORT,
                        "SourceSecurityGroupId": { "Fn::GetAtt": ["SecurityGroup", "GroupId"] },
                        "Description": format!("from service {}", service.name)
                    }),
                ));
            }
        } else if let Some(other) = ctx.peer(place, callee.domain) {
            let stack = ctx.stack_name(&other, "");
            if seen.insert(format!("lb:{stack}")) {
                let param = logical_id(&["LoadBalancerSecurityGroup", &other.domain.name]);
                let group = other_group(&mut b, &param, &other, stack, "LoadBalancerSecurityGroup");
                egress.push(json!({
                    "IpProtocol": "tcp", "FromPort": crate::tls::HTTPS_PORT, "ToPort": crate::tls::HTTPS_PORT,
                    "DestinationSecurityGroupId": group,
                    "Description": format!("internal load balancer of {}", other.domain.name)
                }));
            }
        }
    }
    if egress.is_empty() {
        // An empty list would give CloudFormation's default: all traffic out.
        egress.push(json!({ "IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "CidrIp": "127.0.0.1/32", "Description": "no egress" }));
    }
    let mut sg = json!({
        "GroupDescription": format!("Service {}: its declared dependencies and nothing else", service.name),
        "VpcId": vpc,
        "SecurityGroupEgress": egress,
        "Tags": svc_tags
    });
    if behind_lb {
        sg["SecurityGroupIngress"] = json!([{
            "IpProtocol": "tcp", "FromPort": service.port, "ToPort": service.port,
            "SourceSecurityGroupId": import(&account_stack, "LoadBalancerSecurityGroupId"),
            "Description": "its load balancer"
        }]);
    }
    b.add("SecurityGroup", "AWS::EC2::SecurityGroup", sg);
    for (id, props) in extra {
        b.add(&id, "AWS::EC2::SecurityGroupIngress", props);
    }

    // Logs.
    b.add(
        "LogGroup",
        "AWS::Logs::LogGroup",
        json!({
            "LogGroupName": format!("/landfall/services/{}", service.name),
            "RetentionInDays": if place.env.production { 365 } else { 30 },
            "KmsKeyId": import(&account_stack, "DataKeyArn"),
            "Tags": svc_tags
        }),
    );

    // Roles.
    let boundary = json!({ "Fn::Sub": format!("arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:policy/{BOUNDARY}") });
    let ecs_trust = crate::ctx::ecs_tasks_trust();
    let repo = format!("{}/{}", place.domain.name, service.name);
    // Images come from the shared-services registry in the task's own
    // region: the registry replicates every repository to each region that
    // runs tasks, so a pull never crosses regions.
    let repository_arn = |repo: &str| json!({ "Fn::Sub": format!("arn:${{AWS::Partition}}:ecr:${{AWS::Region}}:{shared_sub}:repository/{repo}") });
    let mut pulled = vec![repository_arn(&repo)];
    // The log agent's credentials and broker list (from the log cluster's
    // stack, in the compliance account or its own), when it runs one.
    let shipping = match (&log_cluster, &log_cluster_stack) {
        (Some((store, _)), Some(stack)) => {
            let store: &landfall_model::DataStore = store;
            match ctx.log_agents.and_then(|m| m.get(&service.name)) {
                Some(config) => Some(LogShipping {
                    config,
                    secret: b.param(
                        "LogAgentsSecretArn",
                        &format!("ARN of the log agents' SASL/SCRAM secret of MSK cluster {}", store.name),
                        ParameterValue::StackOutput { stack: stack.clone(), output: "LogAgentsSecretArn".into() },
                    ),
                    key: b.param(
                        "LogAgentsKeyArn",
                        &format!("ARN of the key of the log agents' secret of MSK cluster {}", store.name),
                        ParameterValue::StackOutput { stack: stack.clone(), output: "LogAgentsKeyArn".into() },
                    ),
                    brokers: b.param(
                        "LogsKafkaBootstrapServers",
                        &format!("SASL/SCRAM bootstrap brokers of MSK cluster {}, asked of MSK when the stack deploys", store.name),
                        ParameterValue::MskBootstrapBrokers { stack: stack.clone(), output: "ClusterArn".into() },
                    ),
                }),
                None => {
                    problems.push(Problem {
                        code: "workloads::no-log-agent-config",
                        message: format!("service `{}` has no log agent configuration", service.name),
                        help: "generate the log configuration (`landfall_telemetry::generate`) and pass each service's agent configuration to the workload layer".into(),
                        at: Some(service.origin.clone()),
                    });
                    None
                }
            }
        }
        _ => None,
    };
    if shipping.is_some() {
        for sidecar in SIDECARS {
            pulled.push(repository_arn(sidecar.repository));
            b.stack.inputs.push(sidecar_image(sidecar, ctx));
        }
    }
    // The metrics agent, when the VPC has monitoring servers to write to.
    let metrics_config = match ctx.metric_agents {
        Some(configs)
            if !landfall_model::monitoring::server_subnets(model, place.vpc).is_empty() =>
        {
            let config = configs.get(&service.name).map(String::as_str);
            if config.is_none() {
                problems.push(Problem {
                    code: "workloads::no-metrics-agent-config",
                    message: format!("service `{}` has no metrics agent configuration", service.name),
                    help: "generate the monitoring configuration (`landfall_observability::generate`) and pass each service's Telegraf configuration to the workload layer".into(),
                    at: Some(service.origin.clone()),
                });
            }
            config
        }
        _ => None,
    };
    if metrics_config.is_some() {
        pulled.push(repository_arn(METRICS_AGENT.repository));
        b.stack.inputs.push(sidecar_image(&METRICS_AGENT, ctx));
    }
    let mut exec_statements = vec![
        json!({ "Sid": "LogIn", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*" }),
        json!({
            "Sid": "PullItsImage", "Effect": "Allow",
            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Resource": if pulled.len() == 1 { pulled[0].clone() } else { Value::Array(pulled) }
        }),
        json!({
            "Sid": "WriteItsLogs", "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": { "Fn::Sub": "${LogGroup.Arn}:*" }
        }),
    ];
    if let Some(ship) = &shipping {
        // Cross-account: the secret's and the key's policies allow this
        // role too (`store::log_agents_credentials`).
        exec_statements.push(json!({
            "Sid": "ReadLogAgentCredentials", "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": { "Ref": ship.secret }
        }));
        exec_statements.push(json!({
            "Sid": "DecryptLogAgentCredentials", "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": { "Ref": ship.key },
            "Condition": { "StringEquals": { "kms:ViaService": { "Fn::Sub": "secretsmanager.${AWS::Region}.amazonaws.com" } } }
        }));
    }
    b.add(
        "ExecutionRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": account_unique_name("exec", &service.name, place),
            "Path": ROLE_PATH,
            "PermissionsBoundary": boundary,
            "AssumeRolePolicyDocument": ecs_trust,
            "Policies": [{ "PolicyName": "execution", "PolicyDocument": { "Version": "2012-10-17", "Statement": exec_statements } }],
            "Tags": svc_tags
        }),
    );
    let policy = task_policy(model, place, service);
    for account in &policy.accounts {
        b.account_param(account);
    }
    let mut task_role = json!({
        "RoleName": account_unique_name("task", &service.name, place),
        "Path": ROLE_PATH,
        "Description": format!("Task role of {}: its declared dependencies only", service.name),
        "PermissionsBoundary": boundary,
        "AssumeRolePolicyDocument": ecs_trust,
        "Tags": svc_tags
    });
    if !policy.grants.is_empty() {
        task_role["Policies"] =
            json!([{ "PolicyName": "dependencies", "PolicyDocument": document(&policy.grants) }]);
    }
    b.add("TaskRole", "AWS::IAM::Role", task_role);

    // Task definition. With a log agent ([`log_sidecars`]) the app's
    // stdout and stderr go through FireLens to Vector and on to the log
    // cluster; without one, to CloudWatch Logs through the awslogs driver.
    let first_tag = first_image_tag(service);
    // Read from SSM at every stack operation: the tag the pipeline last
    // deployed, so a template change never rolls the tasks back to an
    // older image. The account's workload stack creates the parameter.
    let tag = b.param(
        "ImageTag",
        "Image tag the tasks run: the service's pipeline writes it after each verified deployment",
        ParameterValue::SsmParameter(landfall_graph::image_tag_parameter(&service.name)),
    );
    // No stack pushes it: `landfall plan` checks it exists first.
    b.stack.inputs.push(ExternalInput {
        kind: InputKind::Image,
        name: format!("{repo}:{first_tag}"),
        why: format!(
            "pushed by the pipeline of {} ({}) to the shared-services registry, which replicates it to every region that runs tasks",
            service.name, service.repository
        ),
        account: ctx.shared.map(|a| a.name.clone()),
    });
    let image = json!({ "Fn::Sub": format!("{shared_sub}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/{repo}:${{{tag}}}") });
    let mut containers = vec![json!({
        "Name": service.name,
        "Image": image,
        "Essential": true,
        "ReadonlyRootFilesystem": true,
        "Privileged": false,
        "PortMappings": [{ "ContainerPort": service.port, "Protocol": "tcp" }],
        "Environment": [
            { "Name": "LANDFALL_SERVICE", "Value": service.name },
            { "Name": "LANDFALL_ENVIRONMENT", "Value": place.env.name }
        ],
        "LogConfiguration": {
            "LogDriver": "awslogs",
            "Options": { "awslogs-group": { "Ref": "LogGroup" }, "awslogs-region": { "Ref": "AWS::Region" }, "awslogs-stream-prefix": "app" }
        }
    })];
    let mut volumes: Vec<Value> = Vec::new();
    if let Some(ship) = &shipping {
        log_sidecars(
            &mut containers,
            &mut volumes,
            ship,
            place,
            service,
            &shared_sub,
        );
    }
    if let Some(config) = metrics_config {
        metrics_sidecar(
            &mut containers,
            &mut volumes,
            config,
            place,
            ctx.slug,
            &shared_sub,
            service.latency_sensitive,
        );
    }
    let compat = if service.latency_sensitive {
        "EC2"
    } else {
        "FARGATE"
    };
    b.add(
        "TaskDefinition",
        "AWS::ECS::TaskDefinition",
        json!({
            "Family": service.name,
            "Cpu": service.cpu.to_string(),
            "Memory": service.memory.to_string(),
            "NetworkMode": "awsvpc",
            "RequiresCompatibilities": [compat],
            "ExecutionRoleArn": { "Fn::GetAtt": ["ExecutionRole", "Arn"] },
            "TaskRoleArn": { "Fn::GetAtt": ["TaskRole", "Arn"] },
            "ContainerDefinitions": containers,
            "Tags": svc_tags
        }),
    );
    if !volumes.is_empty() {
        if let Some(definition) = b.stack.resources.last_mut() {
            definition
                .properties
                .insert("Volumes".into(), Value::Array(volumes));
        }
    }

    // Load balancing.
    let mut security_groups = vec![json!({ "Fn::GetAtt": ["SecurityGroup", "GroupId"] })];
    if behind_lb {
        security_groups.push(import(&account_stack, "TasksSecurityGroupId"));
        b.add(
            "TargetGroup",
            "AWS::ElasticLoadBalancingV2::TargetGroup",
            json!({
                "TargetType": "ip",
                "Protocol": "HTTP",
                "Port": service.port,
                "VpcId": vpc,
                "HealthCheckPath": service.health_check_path,
                "Matcher": { "HttpCode": "200-399" },
                "TargetGroupAttributes": [{ "Key": "deregistration_delay.timeout_seconds", "Value": "30" }],
                "Tags": svc_tags
            }),
        );
        let priority = ctx.priority(place, &service.name);
        b.add(
            "ListenerRule",
            "AWS::ElasticLoadBalancingV2::ListenerRule",
            json!({
                "ListenerArn": import(&account_stack, "ListenerArn"),
                "Priority": priority,
                "Conditions": [{ "Field": "http-header", "HttpHeaderConfig": { "HttpHeaderName": ROUTING_HEADER, "Values": [service.name] } }],
                "Actions": [{ "Type": "forward", "TargetGroupArn": { "Ref": "TargetGroup" } }]
            }),
        );
    }

    // The service.
    let mut ecs = json!({
        "ServiceName": service.name,
        "Cluster": import(&account_stack, "ClusterName"),
        "TaskDefinition": { "Ref": "TaskDefinition" },
        "DesiredCount": scaling.desired,
        "NetworkConfiguration": { "AwsvpcConfiguration": { "AssignPublicIp": "DISABLED", "Subnets": subnets, "SecurityGroups": security_groups } },
        "DeploymentConfiguration": {
            "DeploymentCircuitBreaker": { "Enable": true, "Rollback": true },
            "MinimumHealthyPercent": 100,
            "MaximumPercent": 200
        },
        "EnableECSManagedTags": true,
        "PropagateTags": "SERVICE",
        "Tags": svc_tags
    });
    if service.latency_sensitive {
        let groups: Vec<Value> = ctx
            .plan
            .placement_groups
            .iter()
            .filter(|g| g.vpc == place.vpc.id && g.domain == place.domain.id)
            .map(|g| json!({ "CapacityProvider": import(&account_stack, &logical_id(&["Metal", &ctx.az_letter(place, g.az), "Capacity"])), "Weight": 1 }))
            .collect();
        if groups.is_empty() {
            problems.push(Problem {
                code: "workloads::no-placement-group",
                message: format!(
                    "latency-sensitive service `{}` has no placement group in `{}`",
                    service.name, place.vpc.name
                ),
                help: "re-plan the network so the domain gets its cluster placement groups".into(),
                at: Some(service.origin.clone()),
            });
        }
        ecs["CapacityProviderStrategy"] = Value::Array(groups);
    } else {
        ecs["LaunchType"] = json!("FARGATE");
    }
    if behind_lb {
        ecs["LoadBalancers"] = json!([{ "ContainerName": service.name, "ContainerPort": service.port, "TargetGroupArn": { "Ref": "TargetGroup" } }]);
        ecs["HealthCheckGracePeriodSeconds"] = json!(60);
    }
    let r = b.add("Service", "AWS::ECS::Service", ecs);
    if behind_lb {
        r.depends_on.push("ListenerRule".into());
    }

    // Its alarm the remediation service may act on by itself.
    crate::alarms::service_below_desired(
        &mut b,
        &account_stack,
        &service.name,
        &place.env.name,
        svc_tags.clone(),
    );

    if behind_lb {
        crate::alarms::load_balancer_targets(
            &mut b,
            &account_stack,
            &service.name,
            &place.env.name,
            &svc_tags,
        );
    }

    // Autoscaling.
    b.add(
        "ScalableTarget",
        "AWS::ApplicationAutoScaling::ScalableTarget",
        json!({
            "ServiceNamespace": "ecs",
            "ScalableDimension": "ecs:service:DesiredCount",
            "ResourceId": { "Fn::Sub": ["service/${Cluster}/${Service.Name}", { "Cluster": import(&account_stack, "ClusterName") }] },
            "MinCapacity": scaling.min,
            "MaxCapacity": scaling.max
        }),
    );
    let tracking = match (scaling.requests_per_task_per_minute, behind_lb) {
        (Some(target), true) => json!({
            "TargetValue": target,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "ALBRequestCountPerTarget",
                "ResourceLabel": { "Fn::Join": ["/", [import(&account_stack, "LoadBalancerFullName"), { "Fn::GetAtt": ["TargetGroup", "TargetGroupFullName"] }]] }
            },
            "ScaleInCooldown": 300,
            "ScaleOutCooldown": 60
        }),
        _ => json!({
            "TargetValue": CPU_TARGET_PERCENT,
            "PredefinedMetricSpecification": { "PredefinedMetricType": "ECSServiceAverageCPUUtilization" },
            "ScaleInCooldown": 300,
            "ScaleOutCooldown": 60
        }),
    };
    b.add(
        "ScalingPolicy",
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        json!({
            "PolicyName": format!("{}-throughput", service.name),
            "PolicyType": "TargetTrackingScaling",
            "ScalingTargetId": { "Ref": "ScalableTarget" },
            "TargetTrackingScalingPolicyConfiguration": tracking
        }),
    );

    // Public: CloudFront with the web ACL, to the internal load balancer
    // through the account's VPC origin.
    // Without a public zone there is no origin name (a problem of the
    // account's stack, reported there).
    if public && ctx.model.network.dns.is_some() {
        // The environment's one web ACL, made with its primary region.
        let primary = ctx.primary(place.domain.id, place.env.id).unwrap_or(*place);
        let edge = ctx.stack_name(&primary, "edge");
        b.depends_on(edge.clone());
        let acl = b.param(
            "WebAclArn",
            "The CloudFront web ACL of the account (edge stack, us-east-1)",
            ParameterValue::StackOutput {
                stack: edge,
                output: "WebAclArn".into(),
            },
        );
        b.add(
            "Distribution",
            "AWS::CloudFront::Distribution",
            json!({
                "DistributionConfig": {
                    "Comment": format!("{} ({})", service.name, place.env.name),
                    "Enabled": true,
                    "HttpVersion": "http2and3",
                    "IPV6Enabled": true,
                    "WebACLId": { "Ref": acl },
                    "Origins": [{
                        "Id": "load-balancer",
                        "DomainName": import(&account_stack, "OriginDomainName"),
                        "VpcOriginConfig": { "VpcOriginId": import(&account_stack, "VpcOriginId") },
                        "OriginCustomHeaders": [{ "HeaderName": ROUTING_HEADER, "HeaderValue": service.name }]
                    }],
                    "DefaultCacheBehavior": {
                        "TargetOriginId": "load-balancer",
                        "ViewerProtocolPolicy": "redirect-to-https",
                        "AllowedMethods": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
                        "CachePolicyId": CACHING_DISABLED,
                        "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST,
                        "ResponseHeadersPolicyId": SECURITY_HEADERS,
                        "Compress": true
                    }
                },
                "Tags": svc_tags
            }),
        );
        b.output(
            "DistributionDomainName",
            json!({ "Fn::GetAtt": ["Distribution", "DomainName"] }),
            false,
        );
    }

    // The deploy role CI/CD assumes, from the service's role for this
    // environment in shared services (and no other environment's).
    if let Some(shared) = &shared {
        let service_arn = json!({ "Fn::Sub": [
            format!("arn:${{AWS::Partition}}:ecs:${{AWS::Region}}:${{AWS::AccountId}}:service/${{Cluster}}/{}", service.name),
            { "Cluster": import(&account_stack, "ClusterName") }
        ] });
        b.add(
            "DeployRole",
            "AWS::IAM::Role",
            json!({
                "RoleName": account_unique_name("deploy", &service.name, place),
                "Path": ROLE_PATH,
                "Description": format!("Deploys {} from CI/CD ({})", service.name, service.repository),
                "PermissionsBoundary": boundary,
                "MaxSessionDuration": 3600,
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Effect": "Allow",
                        "Principal": { "AWS": { "Fn::Sub": format!("arn:${{AWS::Partition}}:iam::${{{shared}}}:role{DEPLOY_PRINCIPAL_PATH}{}", landfall_graph::environment_deploy_role_name(&service.name, &place.env.name)) } },
                        "Action": "sts:AssumeRole"
                    }]
                },
                "Policies": [{
                    "PolicyName": "deploy",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            { "Sid": "UpdateItsService", "Effect": "Allow", "Action": ["ecs:DescribeServices", "ecs:UpdateService"], "Resource": service_arn },
                            { "Sid": "RegisterTaskDefinitions", "Effect": "Allow", "Action": ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"], "Resource": "*" },
                            {
                                "Sid": "RecordTheDeployedImage", "Effect": "Allow", "Action": "ssm:PutParameter",
                                "Resource": { "Fn::Sub": format!("arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter{}", landfall_graph::image_tag_parameter(&service.name)) }
                            },
                            {
                                "Sid": "PassItsRoles", "Effect": "Allow", "Action": "iam:PassRole",
                                "Resource": [{ "Fn::GetAtt": ["TaskRole", "Arn"] }, { "Fn::GetAtt": ["ExecutionRole", "Arn"] }],
                                "Condition": { "StringEquals": { "iam:PassedToService": "ecs-tasks.amazonaws.com" } }
                            }
                        ]
                    }
                }],
                "Tags": svc_tags
            }),
        );
    }
    b.output("ServiceArn", json!({ "Ref": "Service" }), false);
    b.output(
        "TaskRoleArn",
        json!({ "Fn::GetAtt": ["TaskRole", "Arn"] }),
        false,
    );
    b.stack
}

/// The tag of a service's first image ([`Service::first_image_tag`]). Later
/// ones are the pipeline's ([`landfall_graph::image_tag_parameter`]).
pub(crate) fn first_image_tag(service: &Service) -> &str {
    service.first_image_tag()
}

/// What a task needs to ship its logs to the log cluster.
struct LogShipping<'a> {
    /// The service's Vector configuration (`landfall_telemetry`).
    config: &'a str,
    /// Parameters: the secret's and its key's ARNs, the broker list.
    secret: String,
    key: String,
    brokers: String,
}

/// The log sidecars, as the telemetry crate's collection pattern for
/// Fargate has it (docs/telemetry.md): the app logs through FireLens
/// (`awsfirelens`, the one driver that reaches a container of the task) to
/// the Fluent Bit router, which forwards to Vector's `fluent` source on
/// localhost; Vector parses, redacts and writes to the log cluster with
/// SASL/SCRAM. Vector's configuration is handed over in an environment
/// variable the agent's shell writes to its data volume before starting
/// Vector: it is generated with the stack, changes only with it, and needs
/// no other store (an SSM parameter would need the advanced tier past 4 KB
/// and an API call at start). The credentials are task secrets from the log
/// cluster's secret; the agent's disk buffer is on a volume of the task's
/// ephemeral storage. Both sidecars are essential (a task whose logs
/// cannot leave stops rather than run unrecorded) and reserve their CPU
/// and memory inside the task's size.
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/firelens-taskdef.html>
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html>
fn log_sidecars(
    containers: &mut Vec<Value>,
    volumes: &mut Vec<Value>,
    ship: &LogShipping<'_>,
    place: &Placement<'_>,
    service: &Service,
    shared_sub: &str,
) {
    const DATA_VOLUME: &str = "log-agent-data";
    let image = |s: &landfall_model::sidecars::Sidecar| json!({ "Fn::Sub": format!("{shared_sub}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/{}", s.image()) });
    let own_logs = |prefix: &str| {
        json!({
            "LogDriver": "awslogs",
            "Options": { "awslogs-group": { "Ref": "LogGroup" }, "awslogs-region": { "Ref": "AWS::Region" }, "awslogs-stream-prefix": prefix }
        })
    };
    if let Some(app) = containers.first_mut() {
        app["LogConfiguration"] = json!({
            "LogDriver": "awsfirelens",
            "Options": { "Name": "forward", "Host": logs::FORWARD_HOST, "Port": logs::FORWARD_PORT, "Retry_Limit": "no_limits" }
        });
        app["DependsOn"] = json!([{ "ContainerName": LOG_ROUTER.container, "Condition": "START" }]);
    }
    let secret = |key: &str| json!({ "Fn::Sub": format!("${{{}}}:{key}::", ship.secret) });
    let start = format!(
        "printf '%s' \"${var}\" > {dir}/vector.yaml && exec vector --config-yaml {dir}/vector.yaml",
        var = logs::CONFIG_VARIABLE,
        dir = logs::AGENT_DATA_DIR
    );
    let sidecars = vec![
        json!({
            "Name": LOG_ROUTER.container,
            "Image": image(&LOG_ROUTER),
            "Essential": true,
            "ReadonlyRootFilesystem": true,
            "Privileged": false,
            "Cpu": LOG_ROUTER.cpu,
            "MemoryReservation": LOG_ROUTER.memory,
            "FirelensConfiguration": { "Type": "fluentbit", "Options": { "enable-ecs-log-metadata": "true" } },
            "DependsOn": [{ "ContainerName": LOG_AGENT.container, "Condition": "START" }],
            "LogConfiguration": own_logs(LOG_ROUTER.container)
        }),
        json!({
            "Name": LOG_AGENT.container,
            "Image": image(&LOG_AGENT),
            "Essential": true,
            "ReadonlyRootFilesystem": true,
            "Privileged": false,
            "Cpu": LOG_AGENT.cpu,
            "MemoryReservation": LOG_AGENT.memory,
            "EntryPoint": ["/bin/sh", "-c"],
            "Command": [start],
            "Environment": [
                { "Name": logs::CONFIG_VARIABLE, "Value": ship.config },
                { "Name": "LANDFALL_SERVICE", "Value": service.name },
                { "Name": "LANDFALL_ENVIRONMENT", "Value": place.env.name },
                { "Name": "LOGS_KAFKA_BOOTSTRAP_SERVERS", "Value": { "Ref": ship.brokers } }
            ],
            "Secrets": [
                { "Name": "LOGS_KAFKA_USERNAME", "ValueFrom": secret("username") },
                { "Name": "LOGS_KAFKA_PASSWORD", "ValueFrom": secret("password") }
            ],
            "MountPoints": [{ "SourceVolume": DATA_VOLUME, "ContainerPath": logs::AGENT_DATA_DIR, "ReadOnly": false }],
            "LogConfiguration": own_logs(LOG_AGENT.container)
        }),
    ];
    volumes.push(json!({ "Name": DATA_VOLUME }));
    // After the app, which stays first (load balancers name it).
    containers.extend(sidecars);
}

/// The metrics agent ([`METRICS_AGENT`], Telegraf): it scrapes the app's
/// metrics endpoint and the log agent's on localhost and writes to the
/// VPC's vminsert (`landfall_observability::telegraf`). Its configuration
/// is handed over as the log agent's is, in an environment variable its
/// shell writes to a task volume. Not essential: an agent that stops
/// raises `TelegrafAgentDown` (its series go absent) rather than stopping
/// the service. On a metal host it also reads the host's facts
/// ([`crate::base::HOST_FACTS_DIR`]). Adds the volumes it mounts.
fn metrics_sidecar(
    containers: &mut Vec<Value>,
    volumes: &mut Vec<Value>,
    config: &str,
    place: &Placement<'_>,
    slug: &str,
    shared_sub: &str,
    on_host: bool,
) {
    use landfall_model::sidecars::{
        METRICS_CONFIG_VARIABLE, METRICS_ENV_AZ, METRICS_ENV_ENVIRONMENT, METRICS_ENV_REGION,
        METRICS_ENV_VMINSERT,
    };
    const VOLUME: &str = "metrics-agent-data";
    const DIR: &str = "/var/lib/telegraf";
    let start = metrics_agent_start(METRICS_CONFIG_VARIABLE, METRICS_ENV_AZ, DIR);
    let mut mounts =
        vec![json!({ "SourceVolume": VOLUME, "ContainerPath": DIR, "ReadOnly": false })];
    volumes.push(json!({ "Name": VOLUME }));
    if on_host {
        use crate::base::{HOST_FACTS_DIR, HOST_FACTS_VOLUME};
        mounts.push(json!({ "SourceVolume": HOST_FACTS_VOLUME, "ContainerPath": HOST_FACTS_DIR, "ReadOnly": true }));
        volumes
            .push(json!({ "Name": HOST_FACTS_VOLUME, "Host": { "SourcePath": HOST_FACTS_DIR } }));
    }
    containers.push(json!({
        "Name": METRICS_AGENT.container,
        "Image": { "Fn::Sub": format!("{shared_sub}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/{}", METRICS_AGENT.image()) },
        "Essential": false,
        "ReadonlyRootFilesystem": true,
        "Privileged": false,
        "Cpu": METRICS_AGENT.cpu,
        "MemoryReservation": METRICS_AGENT.memory,
        "EntryPoint": ["/bin/sh", "-c"],
        "Command": [start],
        "Environment": [
            { "Name": METRICS_CONFIG_VARIABLE, "Value": config },
            { "Name": METRICS_ENV_ENVIRONMENT, "Value": place.env.name },
            { "Name": METRICS_ENV_REGION, "Value": place.region.name },
            { "Name": METRICS_ENV_VMINSERT, "Value": landfall_model::monitoring::vminsert_influx_url(slug, &place.region.name) }
        ],
        "MountPoints": mounts,
        "LogConfiguration": {
            "LogDriver": "awslogs",
            "Options": { "awslogs-group": { "Ref": "LogGroup" }, "awslogs-region": { "Ref": "AWS::Region" }, "awslogs-stream-prefix": METRICS_AGENT.container }
        }
    }));
}

/// The metrics agent's start: its zone from the host's facts on a metal
/// host (written at boot, [`crate::base::HOST_FACTS_DIR`]: the task
/// metadata has the zone only on Fargate), else from the task metadata
/// endpoint (v4's `/task` has `AvailabilityZone` on Fargate; BusyBox
/// `wget` is in the Alpine image), `unknown` when neither can be read;
/// then its configuration written to the volume and Telegraf started on it.
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-metadata-endpoint-v4-fargate-response.html>
pub(crate) fn metrics_agent_start(config_variable: &str, az_variable: &str, dir: &str) -> String {
    let facts = crate::base::HOST_AZ_FILE;
    format!(
        "{az_variable}=$(cat {facts} 2>/dev/null || wget -q -T 2 -O - \"$ECS_CONTAINER_METADATA_URI_V4/task\" | sed -n 's/.*\"AvailabilityZone\": *\"\\([^\"]*\\)\".*/\\1/p'); \
         export {az_variable}=\"${{{az_variable}:-unknown}}\"; \
         printf '%s' \"${config_variable}\" > {dir}/telegraf.conf && exec telegraf --config {dir}/telegraf.conf"
    )
}

/// A sidecar's pinned image, an input of every stack whose tasks run it:
/// the platform copies it into the shared-services registry, no stack does.
pub(crate) fn sidecar_image(
    sidecar: &landfall_model::sidecars::Sidecar,
    ctx: &Ctx<'_>,
) -> ExternalInput {
    ExternalInput {
        kind: InputKind::Image,
        name: sidecar.image(),
        why: format!(
            "copied from {}:{} to the shared-services registry, which replicates it to every region that runs tasks",
            sidecar.upstream, sidecar.tag
        ),
        account: ctx.shared.map(|a| a.name.clone()),
    }
}
