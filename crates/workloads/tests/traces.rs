//! Jaeger in the workload layer: one stack per VPC with the log
//! aggregators, in the observability account beside the VPC's OpenSearch
//! domain, which stores the spans, behind an internal Network Load
//! Balancer. Each test cites the AWS page the fact comes from.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::reference_with_agents as reference;

use landfall_graph::{InputKind, ParameterValue, Stack, Target};
use landfall_synth::layers::log_search;
use landfall_workloads::{aggregator, traces};
use serde_json::{json, Value};

fn jaeger_stacks(stacks: &[Stack]) -> Vec<&Stack> {
    stacks
        .iter()
        .filter(|s| s.name.ends_with(&format!("-{}", traces::STACK_SUFFIX)))
        .collect()
}

fn container(stack: &Stack) -> &Value {
    &stack.resource("JaegerTaskDefinition").unwrap().properties["ContainerDefinitions"][0]
}

/// The domain stack a Jaeger stack reads `output` of.
fn domain_stack<'p>(p: &'p common::Platform, stack: &Stack, output: &str) -> &'p Stack {
    let parameter = stack
        .parameters
        .iter()
        .find(|q| matches!(&q.value, ParameterValue::StackOutput { output: o, .. } if o == output))
        .unwrap();
    let ParameterValue::StackOutput { stack: from, .. } = &parameter.value else {
        unreachable!()
    };
    assert!(stack.depends_on.contains(from), "{}", stack.name);
    p.base.stack(from).unwrap()
}

#[test]
fn jaeger_runs_in_every_vpc_with_aggregators_in_the_observability_account() {
    let (p, stacks) = reference();
    let found = jaeger_stacks(stacks);
    let mut names: Vec<&str> = found.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    let mut aggregators: Vec<String> = stacks
        .iter()
        .filter(|s| s.name.ends_with(aggregator::STACK_SUFFIX))
        .map(|s| {
            s.name
                .replace(aggregator::STACK_SUFFIX, traces::STACK_SUFFIX)
        })
        .collect();
    aggregators.sort_unstable();
    assert_eq!(names, aggregators);
    assert_eq!(names.len(), 3);
    let observability = log_search::account(&p.model).unwrap();
    for stack in found {
        assert_eq!(
            stack.target,
            Target::Account {
                account: observability.name.clone(),
                region: "eu-central-1".into()
            }
        );
        let service = &stack.resource("JaegerService").unwrap().properties;
        assert_eq!(service["DesiredCount"], traces::DESIRED_COUNT);
        assert_eq!(service["LaunchType"], "FARGATE");
        // One subnet per AZ: ECS spreads the tasks over them
        // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement.html).
        let subnets = service["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"]
            .as_array()
            .unwrap();
        assert!(subnets.len() >= 2);
        // The tasks run in the log search stack's Jaeger group, which the
        // domain's group admits on 443.
        assert_eq!(
            service["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"],
            json!([{ "Ref": "JaegerGroupId" }])
        );
        let domain = domain_stack(p, stack, "JaegerGroupId");
        let admitted = &domain.resource("DomainGroup").unwrap().properties["SecurityGroupIngress"];
        assert!(
            admitted
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["FromPort"] == 443
                    && r["SourceSecurityGroupId"]
                        == json!({ "Fn::GetAtt": ["JaegerGroup", "GroupId"] })),
            "{}",
            domain.name
        );
        assert!(domain.resource("JaegerToDomain").is_some());
    }
}

/// The domains admit only requests signed by a role their access policy
/// names (fine-grained access control with IAM: the resource-based policy
/// decides first,
/// <https://docs.aws.amazon.com/opensearch-service/latest/developerguide/fgac.html#fgac-access-policies>):
/// the task role is the log search layer's Jaeger role, named there, with
/// the HTTP methods Jaeger's client sends.
#[test]
fn jaegers_task_role_is_the_one_the_domains_access_policy_admits() {
    let (p, stacks) = reference();
    let global = p.base.stack("meridian-log-search-global").unwrap();
    let role = &global.resource("JaegerRole").unwrap().properties;
    assert_eq!(role["RoleName"], log_search::JAEGER_ROLE);
    assert_eq!(role["Path"], "/workload/");
    let actions = &role["Policies"][0]["PolicyDocument"]["Statement"][0]["Action"];
    for action in [
        "es:ESHttpPost",
        "es:ESHttpPut",
        "es:ESHttpGet",
        "es:ESHttpHead",
    ] {
        assert!(actions.as_array().unwrap().contains(&json!(action)));
    }
    let task_role = format!(
        "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/workload/{}",
        log_search::JAEGER_ROLE
    );
    for stack in jaeger_stacks(stacks) {
        assert!(stack
            .depends_on
            .contains(&"meridian-log-search-global".to_owned()));
        let task = &stack.resource("JaegerTaskDefinition").unwrap().properties;
        assert_eq!(task["TaskRoleArn"], json!({ "Fn::Sub": task_role }));
        let domain = domain_stack(p, stack, "Endpoint");
        let policy = &domain.resource("Domain").unwrap().properties["AccessPolicies"];
        let principals = &policy["Statement"][0]["Principal"]["AWS"];
        assert!(
            principals
                .as_array()
                .unwrap()
                .contains(&json!({ "Fn::Sub": task_role })),
            "{}: {principals}",
            domain.name
        );
        // The endpoint the configuration signs for.
        let env = container(stack)["Environment"].as_array().unwrap();
        assert!(env.contains(
            &json!({ "Name": "OPENSEARCH_ENDPOINT", "Value": { "Ref": "OpenSearchEndpoint" } })
        ));
        // The region `sigv4auth` signs for (`${env:AWS_REGION}`), set by
        // the task itself.
        assert!(env.contains(&json!({ "Name": "AWS_REGION", "Value": { "Ref": "AWS::Region" } })));
    }
}

/// Jaeger's image has no shell: the configuration is read by Jaeger's own
/// `env` configuration provider from the variable the task sets. The image
/// is pinned to the release the telemetry crate's configuration is for,
/// and is an input of the stack (tasks pull through the VPC's ECR
/// endpoints, <https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html>).
#[test]
fn jaeger_reads_its_pinned_configuration_from_the_task() {
    let (_, stacks) = reference();
    assert_eq!(traces::TAG, landfall_telemetry::otel::JAEGER_TAG);
    assert_eq!(traces::UPSTREAM, landfall_telemetry::otel::JAEGER_UPSTREAM);
    assert_eq!(
        traces::REPOSITORY,
        landfall_telemetry::otel::JAEGER_REPOSITORY
    );
    for stack in jaeger_stacks(stacks) {
        let c = container(stack);
        assert_eq!(c["Command"], json!(["--config=env:JAEGER_CONFIG_YAML"]));
        let env = c["Environment"].as_array().unwrap();
        assert!(env
            .iter()
            .any(|e| e["Name"] == traces::CONFIG_VARIABLE
                && e["Value"] == "# jaeger\nextensions: {}\n"));
        assert_eq!(c["ReadonlyRootFilesystem"], true);
        assert!(c["Image"]["Fn::Sub"]
            .as_str()
            .unwrap()
            .ends_with("/landfall/jaeger:2.20.0"));
        assert!(stack
            .inputs
            .iter()
            .any(|i| i.kind == InputKind::Image && i.name == "landfall/jaeger:2.20.0"));
    }
}

/// An internal Network Load Balancer with a security group forwards OTLP
/// (4317, 4318) and the query service (16686) to the tasks' addresses
/// (`ip` targets, required by `awsvpc`:
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/nlb.html>),
/// each target group asking Jaeger's health check; the tasks' group admits
/// the balancer's group on those ports and the health port
/// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-security-groups.html>).
/// The service is created after its listeners: ECS refuses a target group
/// no load balancer uses.
#[test]
fn the_load_balancer_forwards_otlp_and_the_query_service_to_the_tasks() {
    let (_, stacks) = reference();
    for stack in jaeger_stacks(stacks) {
        let lb = &stack.resource("LoadBalancer").unwrap().properties;
        assert_eq!(lb["Type"], "network");
        assert_eq!(lb["Scheme"], "internal");
        assert!(lb["Name"].as_str().unwrap().len() <= 32);
        let service = stack.resource("JaegerService").unwrap();
        let balancers = service.properties["LoadBalancers"].as_array().unwrap();
        let mut ports: Vec<i64> = Vec::new();
        for (name, port, _) in traces::LISTENERS {
            ports.push(port);
            let target = &stack
                .resource(&format!("{name}Targets"))
                .unwrap()
                .properties;
            assert_eq!(target["TargetType"], "ip");
            assert_eq!(target["Port"], port);
            assert_eq!(target["HealthCheckPort"], "13133");
            assert_eq!(target["HealthCheckPath"], "/status");
            let listener = &stack
                .resource(&format!("{name}Listener"))
                .unwrap()
                .properties;
            assert_eq!(listener["Port"], port);
            assert!(service.depends_on.contains(&format!("{name}Listener")));
            assert!(balancers.contains(&json!({
                "ContainerName": "jaeger",
                "ContainerPort": port,
                "TargetGroupArn": { "Ref": format!("{name}Targets") }
            })));
        }
        assert_eq!(ports, [4317, 4318, 16686]);
        ports.push(13133);
        for port in ports {
            let admitted = stack.resources.iter().any(|r| {
                r.kind == "AWS::EC2::SecurityGroupIngress"
                    && r.properties["GroupId"] == json!({ "Ref": "JaegerGroupId" })
                    && r.properties["FromPort"] == port
                    && r.properties["SourceSecurityGroupId"]
                        == json!({ "Fn::GetAtt": ["LoadBalancerGroup", "GroupId"] })
            });
            assert!(admitted, "{}: {port}", stack.name);
        }
        let mapped = container(stack)["PortMappings"].as_array().unwrap().len();
        assert_eq!(mapped, 4);
    }
}

/// Jaeger's names, in the monitoring zone of its VPC: the zone is the VPC
/// owner's (a private zone is associated with VPCs of its own account
/// without an authorization), so the records are a stack of the
/// networking account, made after Jaeger's stack, whose load balancer's
/// name they read.
/// <https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zone-private-associate-vpcs-different-accounts.html>
#[test]
fn jaeger_is_named_in_its_vpcs_monitoring_zone() {
    let (p, stacks) = reference();
    let jaegers = jaeger_stacks(stacks);
    assert!(!jaegers.is_empty());
    for jaeger in jaegers {
        let names = stacks
            .iter()
            .find(|s| s.name == format!("{}-names", jaeger.name))
            .unwrap_or_else(|| panic!("no names of {}", jaeger.name));
        assert!(names.depends_on.contains(&jaeger.name));
        // The zone's stack, and the zone in it, in the same account.
        let zone = names
            .parameters
            .iter()
            .find(|q| q.name == "ZoneId")
            .unwrap();
        let ParameterValue::ResourceId {
            stack: zone_stack,
            logical_id,
        } = &zone.value
        else {
            panic!("{:?}", zone.value)
        };
        assert_eq!(logical_id, "Zone");
        let zone_stack = p.base.stack(zone_stack).unwrap();
        assert_eq!(zone_stack.target, names.target);
        let zone_resource = zone_stack.resource("Zone").unwrap();
        assert_eq!(
            zone_resource.properties["Name"],
            landfall_model::monitoring::zone_name("meridian")
        );
        // Both names point at Jaeger's load balancer.
        let target = names
            .parameters
            .iter()
            .find(|q| q.name == traces::DNS_NAME_OUTPUT)
            .unwrap();
        assert_eq!(
            target.value,
            ParameterValue::StackOutput {
                stack: jaeger.name.clone(),
                output: traces::DNS_NAME_OUTPUT.into()
            }
        );
        assert!(jaeger
            .outputs
            .iter()
            .any(|o| o.name == traces::DNS_NAME_OUTPUT));
        for (id, host) in [
            (
                "Collector",
                landfall_model::monitoring::jaeger_collector_host("meridian"),
            ),
            (
                "Query",
                landfall_model::monitoring::jaeger_query_host("meridian"),
            ),
        ] {
            let record = &names.resource(id).unwrap().properties;
            assert_eq!(record["Name"], json!(host));
            assert_eq!(record["Type"], "CNAME");
            assert_eq!(record["ResourceRecords"][0]["Ref"], traces::DNS_NAME_OUTPUT);
            assert_eq!(record["HostedZoneId"]["Ref"], "ZoneId");
        }
    }
}
