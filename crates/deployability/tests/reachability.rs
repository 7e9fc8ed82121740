//! Reachability over the compiled platform and over fixtures that each
//! reproduce one defect real AWS only shows at deploy time.
//!
//! AWS pages behind the facts encoded here:
//! - Fargate platform version 1.4 pulls images, fetches secrets and ships
//!   logs through the task's ENI, which needs the ECR endpoints and the S3
//!   gateway endpoint:
//!   <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/platform-version-migration.html>,
//!   <https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html>
//! - ECS on EC2 without internet egress needs the `ecs`, `ecs-agent` and
//!   `ecs-telemetry` endpoints:
//!   <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/vpc-endpoints.html>
//! - Network Firewall drops traffic it sees in one direction only:
//!   <https://docs.aws.amazon.com/network-firewall/latest/developerguide/asymmetric-routing.html>;
//!   a regional NAT gateway routes replies by its own route table:
//!   <https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateways-regional.html>

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;

use landfall_deployability::{reachability, Finding, Input};
use landfall_graph::{Graph, Stack};
use landfall_model::Model;
use landfall_netplan::AddressPlan;
use landfall_rules::ScpSet;
use serde_json::{json, Value};

struct Platform {
    model: Model,
    plan: AddressPlan,
    scps: ScpSet,
    graph: Graph,
}

impl Platform {
    fn check(&self) -> Vec<Finding> {
        reachability::check(&Input {
            model: &self.model,
            plan: &self.plan,
            scps: &self.scps,
            graph: &self.graph,
        })
    }

    fn check_graph(&self, graph: &Graph) -> Vec<Finding> {
        reachability::check(&Input {
            model: &self.model,
            plan: &self.plan,
            scps: &self.scps,
            graph,
        })
    }
}

fn compile(mut resolved: landfall_model::Resolved) -> Platform {
    let lockfile = landfall_synth::platform::lockfile_text(None).unwrap();
    let compiled = landfall_synth::platform::compile(&mut resolved, lockfile, Default::default())
        .expect("the platform compiles");
    let model = resolved.model.expect("the spec resolves");
    let mut graph = compiled.graph;
    let workloads =
        landfall_workloads::build(&model, &compiled.plan, &graph, &workload_options(&model))
            .unwrap_or_else(|p| panic!("workloads: {p:?}"));
    graph.stacks.extend(workloads);
    Platform {
        model,
        plan: compiled.plan,
        scps: compiled.scps,
        graph,
    }
}

/// The reference platform with its workload layer, compiled once.
fn reference() -> &'static Platform {
    static P: OnceLock<Platform> = OnceLock::new();
    P.get_or_init(|| compile(landfall_model::reference()))
}

fn summary(findings: &[Finding]) -> String {
    findings
        .iter()
        .take(20)
        .map(|f| format!("{} {:?}: {}", f.stack, f.resource, f.message))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_reference_platform_reaches_everything_it_must() {
    let findings = reference().check();
    assert!(
        findings.is_empty(),
        "{} findings, first:\n{}",
        findings.len(),
        summary(&findings)
    );
}

/// The stack of the first service matching `pred`, by name.
fn service_stack(graph: &Graph, pred: impl Fn(&Stack) -> bool) -> String {
    graph
        .stacks
        .iter()
        .filter(|s| s.resource("Service").is_some() && s.resource("TaskDefinition").is_some())
        .find(|s| pred(s))
        .expect("a service stack")
        .name
        .clone()
}

fn fargate(stack: &Stack) -> bool {
    stack.resource("TaskDefinition").unwrap().properties["RequiresCompatibilities"][0] == "FARGATE"
}

fn stack_mut<'a>(graph: &'a mut Graph, name: &str) -> &'a mut Stack {
    graph.stacks.iter_mut().find(|s| s.name == name).unwrap()
}

fn egress_of<'a>(stack: &'a mut Stack, logical_id: &str) -> &'a mut Vec<Value> {
    let r = stack
        .resources
        .iter_mut()
        .find(|r| r.logical_id == logical_id)
        .unwrap();
    r.properties
        .get_mut("SecurityGroupEgress")
        .and_then(Value::as_array_mut)
        .unwrap()
}

fn messages_of<'a>(findings: &'a [Finding], stack: &str) -> Vec<&'a str> {
    findings
        .iter()
        .filter(|f| f.stack == stack)
        .map(|f| f.message.as_str())
        .collect()
}

/// Item 5 of the deploy-time defects: on Fargate 1.4 a task whose group
/// lets no HTTPS out cannot pull its image or ship its logs
/// (`ResourceInitializationError`, then the circuit breaker rolls back).
#[test]
fn a_task_group_without_https_egress_names_the_ecr_and_logs_hops() {
    let p = reference();
    let mut graph = p.graph.clone();
    let name = service_stack(&graph, fargate);
    egress_of(stack_mut(&mut graph, &name), "SecurityGroup").retain(|rule| rule["FromPort"] != 443);
    let findings = p.check_graph(&graph);
    let messages = messages_of(&findings, &name);
    for service in ["ecr.api", "ecr.dkr", "logs"] {
        assert!(
            messages.iter().any(|m| m.contains(&format!(
                "cannot reach `{service}`: security group `SecurityGroup` (stack `{name}`), `TasksOfTheLoadBalancer`"
            )) && m.contains(&format!("has no egress on 443 to the `{service}` endpoint's group"))),
            "{service} not named: {messages:#?}"
        );
    }
    assert!(messages
        .iter()
        .any(|m| m.contains("cannot reach `s3`") && m.contains("prefix list")));
    // Only that service is affected, once per hop.
    assert!(
        findings.iter().all(|f| f.stack == name),
        "{}",
        summary(&findings)
    );
    assert_eq!(
        messages
            .iter()
            .filter(|m| m.contains("cannot reach `ecr.dkr`"))
            .count(),
        1
    );
}

#[test]
fn without_the_s3_prefix_list_image_layers_are_out_of_reach() {
    let p = reference();
    let mut graph = p.graph.clone();
    let name = service_stack(&graph, fargate);
    egress_of(stack_mut(&mut graph, &name), "SecurityGroup")
        .retain(|rule| rule.get("DestinationPrefixListId").is_none());
    let findings = p.check_graph(&graph);
    assert_eq!(findings.len(), 1, "{}", summary(&findings));
    assert!(findings[0]
        .message
        .contains("cannot reach `s3`: security group `SecurityGroup`"));
    assert!(findings[0]
        .message
        .contains("has no egress on 443 to the `s3` prefix list"));
    assert!(findings[0].message.contains("(image pulls)"));
}

#[test]
fn an_endpoint_group_that_lets_nothing_in_is_named() {
    let p = reference();
    let mut graph = p.graph.clone();
    let network = "meridian-network-dev-eu-central-1-core";
    let sg = stack_mut(&mut graph, network)
        .resources
        .iter_mut()
        .find(|r| r.logical_id == "EndpointsSecurityGroup")
        .unwrap();
    sg.properties["SecurityGroupIngress"][0]["CidrIp"] = json!("10.255.0.0/24");
    let findings = p.check_graph(&graph);
    assert!(!findings.is_empty());
    assert!(
        findings.iter().all(|f| f.stack.contains("-dev")),
        "{}",
        summary(&findings)
    );
    assert!(findings.iter().any(|f| f.message.contains(&format!(
        "the `ecr.dkr` endpoint's group `EndpointsSecurityGroup` (stack `{network}`) has no ingress on 443 from"
    ))));
}

#[test]
fn an_endpoint_without_private_dns_is_named() {
    let p = reference();
    let mut graph = p.graph.clone();
    let network = "meridian-network-staging-eu-central-1-core";
    let endpoint = stack_mut(&mut graph, network)
        .resources
        .iter_mut()
        .find(|r| r.logical_id == "EndpointLogs")
        .expect("the logs endpoint");
    endpoint.properties["PrivateDnsEnabled"] = json!(false);
    let findings = p.check_graph(&graph);
    assert!(!findings.is_empty());
    assert!(
        findings.iter().all(|f| f
            .message
            .contains("cannot reach `logs`: the `logs` endpoint `EndpointLogs`")
            && f.message.contains("has private DNS off")),
        "{}",
        summary(&findings)
    );
}

/// Item 6: ECS on EC2 in a VPC without internet egress registers its
/// container instances through the `ecs`, `ecs-agent` and `ecs-telemetry`
/// endpoints; without them metal capacity never runs a task.
#[test]
fn metal_capacity_without_the_ecs_endpoints_names_each_one() {
    let p = reference();
    let mut graph = p.graph.clone();
    let agent = ["EndpointEcs", "EndpointEcsAgent", "EndpointEcsTelemetry"];
    let mut removed = 0;
    for stack in graph
        .stacks
        .iter_mut()
        .filter(|s| s.name.contains("-network-"))
    {
        let before = stack.resources.len();
        stack
            .resources
            .retain(|r| !agent.contains(&r.logical_id.as_str()));
        removed += before - stack.resources.len();
    }
    assert!(
        removed > 0,
        "the reference platform has ECS agent endpoints"
    );
    let findings = p.check_graph(&graph);
    assert!(!findings.is_empty());
    for service in ["ecs", "ecs-agent", "ecs-telemetry"] {
        assert!(
            findings.iter().any(
                |f| f.message.contains("the ECS container instances of stack")
                    && f.message.contains(&format!(
                        "cannot reach `{service}`: no `{service}` endpoint in VPC"
                    ))
            ),
            "{service}: {}",
            summary(&findings)
        );
    }
    // Dev has no route out at all; prod and staging route to the firewall,
    // whose allow-list has no AWS domain.
    assert!(findings
        .iter()
        .any(|f| f.message.contains("has no route out")));
    assert!(findings.iter().any(|f| f
        .message
        .contains("`ecs.eu-central-1.amazonaws.com` is not on the egress allow-list of firewall")));
    // Besides the hosts, only the remediation service, which acts on ECS
    // services from its tasks as the accounts' remediation role.
    let others: Vec<&str> = findings
        .iter()
        .filter(|f| !f.message.contains("ECS container instances"))
        .map(|f| f.message.as_str())
        .collect();
    assert!(!others.is_empty(), "{}", summary(&findings));
    assert!(
        others
            .iter()
            .all(|m| m.contains("landfall-heal") && m.contains("cannot reach `ecs`")),
        "{others:#?}"
    );
}

/// Item 15: the regional NAT gateway sends replies straight back to the
/// application subnets unless its own route table sends them through the
/// firewall endpoint of their AZ; the stateful firewall drops them.
#[test]
fn an_asymmetric_firewall_route_is_named_per_vpc_and_az() {
    let p = reference();
    let mut graph = p.graph.clone();
    for stack in graph
        .stacks
        .iter_mut()
        .filter(|s| s.name.contains("-network-"))
    {
        stack
            .resources
            .retain(|r| !r.logical_id.ends_with("ReturnRoute"));
    }
    let findings = p.check_graph(&graph);
    // Prod in two regions and staging in one inspect egress, 3 AZs each.
    assert_eq!(findings.len(), 9, "{}", summary(&findings));
    let f = findings
        .iter()
        .find(|f| {
            f.stack == "meridian-network-prod-eu-central-1-core"
                && f.message.contains("in eu-central-1a")
        })
        .expect("prod eu-central-1a");
    assert_eq!(f.resource.as_deref(), Some("NatGateway"));
    assert!(
        f.message.contains("without passing firewall `FirewallA`"),
        "{}",
        f.message
    );
    assert!(f.help.contains("asymmetric-routing"));
}

#[test]
fn a_return_route_through_another_azs_firewall_is_still_asymmetric() {
    let p = reference();
    let mut graph = p.graph.clone();
    let network = "meridian-network-staging-eu-central-1-core";
    let mut moved = 0;
    for stack in graph
        .stacks
        .iter_mut()
        .filter(|s| s.name.starts_with("meridian-network-staging-eu-central-1"))
    {
        for r in stack
            .resources
            .iter_mut()
            .filter(|r| r.logical_id.ends_with("BReturnRoute"))
        {
            let text = serde_json::to_string(&r.properties["VpcEndpointId"]).unwrap();
            r.properties["VpcEndpointId"] =
                serde_json::from_str(&text.replace("FirewallB", "FirewallA")).unwrap();
            moved += 1;
        }
    }
    assert!(moved > 0);
    let findings = p.check_graph(&graph);
    assert_eq!(findings.len(), 1, "{}", summary(&findings));
    assert_eq!(findings[0].stack, network);
    assert!(findings[0].message.contains("in eu-central-1b"));
}

#[test]
fn a_route_out_of_a_dev_subnet_is_named_because_dev_blocks_egress() {
    let p = reference();
    let mut graph = p.graph.clone();
    let network = "meridian-network-dev-eu-central-1-core";
    let stack = stack_mut(&mut graph, network);
    let table = stack
        .resources
        .iter()
        .find(|r| r.kind == "AWS::EC2::RouteTable" && r.logical_id.starts_with("RouteTableApp"))
        .unwrap()
        .logical_id
        .clone();
    let mut route = landfall_graph::Resource::new("LeakDefault", "AWS::EC2::Route");
    route.properties = json!({
        "RouteTableId": { "Ref": table },
        "DestinationCidrBlock": "0.0.0.0/0",
        "GatewayId": "igw-0123456789abcdef0"
    })
    .as_object()
    .unwrap()
    .clone();
    stack.resources.push(route);
    let findings = p.check_graph(&graph);
    assert!(!findings.is_empty());
    assert!(
        findings.iter().all(|f| f
            .message
            .contains("has a route to the internet from subnet")
            && f.message.contains("`dev` blocks egress")),
        "{}",
        summary(&findings)
    );
}

#[test]
fn a_task_group_open_to_everything_is_named() {
    let p = reference();
    let mut graph = p.graph.clone();
    let name = service_stack(&graph, fargate);
    egress_of(stack_mut(&mut graph, &name), "SecurityGroup")
        .push(json!({ "IpProtocol": "-1", "CidrIp": "0.0.0.0/0" }));
    let findings = p.check_graph(&graph);
    assert_eq!(findings.len(), 1, "{}", summary(&findings));
    assert!(findings[0].message.contains("may send anything anywhere"));
}

#[test]
fn a_dependency_whose_group_lets_the_caller_in_nowhere_is_named() {
    let p = reference();
    let mut graph = p.graph.clone();
    // A service calling a service of its own domain: the load balancer's
    // ingress rule for it is a separate resource in its stack.
    let name = service_stack(&graph, |s| s.resource("ToLoadBalancer").is_some());
    stack_mut(&mut graph, &name)
        .resources
        .retain(|r| r.logical_id != "ToLoadBalancer");
    let findings = p.check_graph(&graph);
    assert_eq!(findings.len(), 1, "{}", summary(&findings));
    assert!(findings[0]
        .message
        .contains("cannot reach its dependency `LoadBalancerSecurityGroup`"));
    assert!(findings[0].message.contains("on port 443: its group"));
    assert!(findings[0].message.contains("has no ingress on 443 from"));
}

/// Every Fargate task runs the log agent, which signs in to the log cluster
/// with the SASL/SCRAM credentials of its task secrets on port 9096
/// (<https://docs.aws.amazon.com/msk/latest/developerguide/port-info.html>,
/// <https://docs.aws.amazon.com/msk/latest/developerguide/msk-password.html>):
/// without the task group's egress rule to the brokers, or the brokers'
/// ingress from the task's subnets, the agent never connects.
#[test]
fn the_log_agents_reach_the_log_brokers_on_the_scram_port() {
    let p = reference();
    let agents: Vec<&Stack> = p
        .graph
        .stacks
        .iter()
        .filter(|s| s.resource("Service").is_some() && s.resource("TaskDefinition").is_some())
        .filter(|s| fargate(s))
        .collect();
    assert!(agents.len() > 20);
    for stack in &agents {
        let definition = stack.resource("TaskDefinition").unwrap();
        let agent = definition.properties["ContainerDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["Name"] == "log-agent")
            .unwrap_or_else(|| panic!("{}: no log agent", stack.name));
        assert_eq!(agent["Secrets"].as_array().unwrap().len(), 2);
    }
    // Another domain than the cluster's (compliance): across accounts.
    let name = service_stack(&p.graph, |s| fargate(s) && !s.name.contains("-compliance-"));
    let mut graph = p.graph.clone();
    egress_of(stack_mut(&mut graph, &name), "SecurityGroup").retain(|r| r["FromPort"] != 9096);
    let findings = p.check_graph(&graph);
    assert_eq!(findings.len(), 1, "{}", summary(&findings));
    assert_eq!(findings[0].stack, name);
    assert!(
        findings[0]
            .message
            .contains("cannot reach the brokers of MSK cluster `Cluster`")
            && findings[0].message.contains("on port 9096")
            && findings[0].message.contains("has no egress on 9096"),
        "{}",
        findings[0].message
    );
    // The brokers' side: the cluster's group admits the tasks' subnets.
    let mut graph = p.graph.clone();
    for stack in graph
        .stacks
        .iter_mut()
        .filter(|s| s.name.contains("-store-platform-logs"))
    {
        for r in stack
            .resources
            .iter_mut()
            .filter(|r| r.logical_id == "SecurityGroup")
        {
            r.properties
                .get_mut("SecurityGroupIngress")
                .and_then(Value::as_array_mut)
                .unwrap()
                .retain(|rule| rule["FromPort"] != 9096);
        }
    }
    let findings = p.check_graph(&graph);
    for stack in &agents {
        assert!(
            findings.iter().any(|f| f.stack == stack.name
                && f.message.contains("cannot reach the brokers")
                && f.message.contains("has no ingress on 9096")),
            "{}: {}",
            stack.name,
            summary(&findings)
        );
    }
    assert!(
        findings.iter().all(|f| f.message.contains("9096")),
        "{}",
        summary(&findings)
    );
}

/// The task definitions carry what the telemetry crate's configurations
/// expect: each service's own file, the variables it reads, its data
/// directory and the FireLens forward address; and stay within ECS's
/// 64 KiB for a task definition
/// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html>).
#[test]
fn each_log_agent_gets_its_services_configuration_and_variables() {
    use landfall_telemetry::vector;
    let p = reference();
    let bundle = landfall_telemetry::generate(&p.model).unwrap();
    let configs = landfall_telemetry::agent_configs(&bundle);
    let mut seen = 0;
    for stack in &p.graph.stacks {
        let Some(definition) = stack.resource("TaskDefinition") else {
            continue;
        };
        let containers = definition.properties["ContainerDefinitions"]
            .as_array()
            .unwrap();
        let Some(agent) = containers.iter().find(|c| c["Name"] == "log-agent") else {
            continue;
        };
        let family = definition.properties["Family"].as_str().unwrap();
        let env = agent["Environment"].as_array().unwrap();
        let value = |name: &str| env.iter().find(|e| e["Name"] == name).map(|e| &e["Value"]);
        assert_eq!(value("VECTOR_CONFIG_YAML").unwrap(), &configs[family]);
        let secrets: Vec<&str> = agent["Secrets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["Name"].as_str().unwrap())
            .collect();
        assert!(value(vector::BOOTSTRAP_VARIABLE).is_some());
        assert!(value("LANDFALL_ENVIRONMENT").is_some());
        assert_eq!(
            secrets,
            [vector::USERNAME_VARIABLE, vector::PASSWORD_VARIABLE]
        );
        assert_eq!(agent["MountPoints"][0]["ContainerPath"], vector::DATA_DIR);
        let options = &containers[0]["LogConfiguration"]["Options"];
        assert_eq!(
            format!(
                "{}:{}",
                options["Host"].as_str().unwrap(),
                options["Port"].as_str().unwrap()
            ),
            vector::FORWARD_ADDRESS
        );
        let size = serde_json::to_string(&definition.properties).unwrap().len();
        assert!(size < 64 * 1024, "{}: {size} bytes", stack.name);
        seen += 1;
    }
    assert!(seen > 100, "{seen}");
}

/// Without an endpoint, an AWS API is reached through the firewall only
/// when its domain is on the allow-list and the group lets HTTPS out.
#[test]
fn without_an_endpoint_the_firewall_allow_list_decides() {
    let p = reference();
    let mut graph = p.graph.clone();
    let network = "meridian-network-prod-eu-west-1-core";
    // The region's remediation service calls STS from its tasks (it enters
    // the accounts' remediation roles); without that grant nothing in the
    // VPC does.
    resource_mut(&mut graph, WEST_ALERTING, "HealTaskRole").properties["Policies"][0]
        ["PolicyDocument"]["Statement"]
        .as_array_mut()
        .unwrap()
        .retain(|s| s["Sid"] != "EnterTheAccounts");
    stack_mut(&mut graph, network)
        .resources
        .retain(|r| r.logical_id != "EndpointSts");
    // Nothing uses STS from inside a task: no finding.
    let findings = p.check_graph(&graph);
    assert!(findings.is_empty(), "{}", summary(&findings));

    stack_mut(&mut graph, network)
        .resources
        .retain(|r| r.logical_id != "EndpointLogs");
    // The remediation service's endpoints subnets have no route out at
    // all, whatever the allow-list: only the endpoint serves it.
    let (service, findings): (Vec<Finding>, Vec<Finding>) = p
        .check_graph(&graph)
        .into_iter()
        .partition(|f| f.stack == WEST_ALERTING);
    assert!(
        service.len() == 1 && service[0].message.contains("has no route out"),
        "{}",
        summary(&service)
    );
    assert!(!findings.is_empty());
    let other: Vec<Finding> = findings
        .iter()
        .filter(|f| !f.message.contains(
            "no `logs` endpoint in VPC `Vpc` (stack `meridian-network-prod-eu-west-1-core`), and `logs.eu-west-1.amazonaws.com` is not on the egress allow-list"
        ))
        .cloned()
        .collect();
    assert!(other.is_empty(), "{}", summary(&other));

    // The domain allowed: now the task groups are what stops it.
    let domains = stack_mut(&mut graph, network)
        .resources
        .iter_mut()
        .find(|r| r.logical_id == "AllowedDomains")
        .unwrap();
    domains.properties["RuleGroup"]["RulesSource"]["RulesSourceList"]["Targets"]
        .as_array_mut()
        .unwrap()
        .push(json!(".amazonaws.com"));
    let findings: Vec<Finding> = p
        .check_graph(&graph)
        .into_iter()
        .filter(|f| f.stack != WEST_ALERTING)
        .collect();
    assert!(!findings.is_empty());
    assert!(
        findings
            .iter()
            .all(|f| f.message.contains("has no egress on 443 to the internet")),
        "{}",
        summary(&findings)
    );
}

/// The workload layer with every service's log agent, as `landfall synth`
/// builds it.
fn workload_options(model: &Model) -> landfall_workloads::Options {
    landfall_workloads::Options {
        services: None,
        environments: None,
        log_agents: landfall_telemetry::generate(model)
            .map(|b| std::sync::Arc::new(landfall_telemetry::agent_configs(&b))),
        metric_agents: landfall_observability::sidecar_configs(model).map(std::sync::Arc::new),
        host_agents: landfall_observability::host_agent_configs(model).map(std::sync::Arc::new),
        log_aggregator: landfall_telemetry::generate(model)
            .and_then(|b| landfall_telemetry::aggregator_config(&b))
            .map(std::sync::Arc::new),
        jaeger: landfall_telemetry::generate(model)
            .and_then(|b| landfall_telemetry::jaeger_config(&b))
            .map(std::sync::Arc::new),
    }
}

/// The remediation service is checked like the workloads' services: its
/// tasks reach the queue through the SQS endpoint of their VPC, the
/// journal through the DynamoDB gateway endpoint, and STS for the
/// remediation roles; without the SQS endpoint (which only that VPC has)
/// the queue is out of reach, and without egress to the DynamoDB prefix
/// list the journal is
/// (<https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html>).
#[test]
fn the_remediation_service_reaches_its_queue_journal_and_sts_and_says_which_is_missing() {
    let p = reference();
    let alerting = p
        .graph
        .stacks
        .iter()
        .find(|s| s.resource("HealService").is_some())
        .expect("the remediation service")
        .name
        .clone();
    assert!(messages_of(&p.check(), &alerting).is_empty());

    let mut graph = p.graph.clone();
    for stack in &mut graph.stacks {
        stack.resources.retain(|r| r.logical_id != "EndpointSqs");
    }
    let findings = p.check_graph(&graph);
    let messages = messages_of(&findings, &alerting);
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("service `landfall-heal` cannot reach `sqs`: no `sqs` endpoint")),
        "{messages:#?}"
    );
    // No other service reads a queue; the other region's service is named
    // for its own VPC.
    assert!(
        findings
            .iter()
            .all(|f| f.stack == alerting || f.stack == WEST_ALERTING),
        "{}",
        summary(&findings)
    );
    assert!(messages_of(&findings, WEST_ALERTING)
        .iter()
        .any(|m| m.contains("cannot reach `sqs`") && m.contains("prod-eu-west-1")));

    let mut graph = p.graph.clone();
    egress_of(stack_mut(&mut graph, &alerting), "HealTasksSecurityGroup")
        .retain(|rule| rule.get("DestinationPrefixListId").is_none());
    let findings = p.check_graph(&graph);
    let messages = messages_of(&findings, &alerting);
    for service in ["dynamodb", "s3"] {
        assert!(
            messages
                .iter()
                .any(|m| m.contains(&format!("cannot reach `{service}`"))
                    && m.contains(&format!("no egress on 443 to the `{service}` prefix list"))),
            "{service}: {messages:#?}"
        );
    }
}

// ----- the monitoring servers -----
// Security group rules must allow the port at both ends
// (<https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html>);
// a Network Load Balancer with security groups is one end of each path,
// and with client IP preservation off its targets see its own address
// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-security-groups.html>).

const PROD_SERVERS: &str = "meridian-monitoring-prod-eu-central-1";

#[test]
fn every_monitoring_path_is_found_on_the_reference_platform() {
    let findings = reference().check();
    let monitoring: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.stack.contains("monitoring") || f.message.contains("Telegraf"))
        .collect();
    assert!(monitoring.is_empty(), "{monitoring:#?}");
    // The servers are there to be checked: a stack per VPC.
    for vpc in &reference().model.network.vpcs {
        assert!(reference()
            .graph
            .stack(&format!("meridian-monitoring-{}", vpc.name))
            .is_some());
    }
}

#[test]
fn a_task_without_egress_to_vminsert_is_named_for_its_telegraf_sidecar() {
    let p = reference();
    let mut graph = p.graph.clone();
    let name = service_stack(&graph, fargate);
    egress_of(stack_mut(&mut graph, &name), "SecurityGroup")
        .retain(|rule| rule["FromPort"] != 8480);
    let findings = p.check_graph(&graph);
    let messages = messages_of(&findings, &name);
    assert_eq!(messages.len(), 1, "{}", summary(&findings));
    assert!(
        messages[0].contains("its Telegraf sidecar cannot reach vminsert on port 8480")
            && messages[0].contains("has no egress on 8480 to `InsertLoadBalancerSecurityGroup`"),
        "{messages:#?}"
    );
}

/// The metal hosts' metrics daemon runs in the host's network: it leaves
/// through the container instances' group, which must allow vminsert's
/// port (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/networking-networkmode-host.html>).
#[test]
fn a_metal_host_without_egress_to_vminsert_is_named_for_its_host_daemon() {
    let p = reference();
    let stack = p
        .graph
        .stacks
        .iter()
        .find(|s| s.resource("HostAgentService").is_some() && s.name.contains("prod"))
        .expect("a production metal cluster runs the host daemon")
        .name
        .clone();
    let findings = p.check_graph(&p.graph);
    assert!(
        messages_of(&findings, &stack).is_empty(),
        "{}",
        summary(&findings)
    );
    let mut graph = p.graph.clone();
    egress_of(stack_mut(&mut graph, &stack), "InstanceSecurityGroup")
        .retain(|rule| rule["FromPort"] != 8480);
    let findings = p.check_graph(&graph);
    let messages = messages_of(&findings, &stack);
    assert_eq!(messages.len(), 1, "{}", summary(&findings));
    assert!(
        messages[0].starts_with("service `host-metrics-agent`")
            && messages[0].contains("its Telegraf host daemon cannot reach vminsert on port 8480")
            && messages[0].contains("has no egress on 8480 to `InsertLoadBalancerSecurityGroup`"),
        "{messages:#?}"
    );
}

#[test]
fn a_load_balancer_that_does_not_admit_the_application_subnets_is_named() {
    let p = reference();
    let mut graph = p.graph.clone();
    for stack in graph.stacks.iter_mut().filter(|s| s.name == PROD_SERVERS) {
        let lb = stack
            .resources
            .iter_mut()
            .find(|r| r.logical_id == "InsertLoadBalancerSecurityGroup")
            .unwrap();
        lb.properties.remove("SecurityGroupIngress");
    }
    let findings = p.check_graph(&graph);
    // Every task of the prod VPC in eu-central-1 and the metal hosts'
    // daemon there, and nothing else.
    assert!(findings
        .iter()
        .any(|f| f.message.contains("Telegraf host daemon")));
    for f in &findings {
        assert!(
            (f.message.contains("Telegraf sidecar") || f.message.contains("Telegraf host daemon"))
                && f.message.contains("has no ingress on 8480 from"),
            "{}",
            summary(&findings)
        );
        assert!(
            f.stack.contains("prod") && !f.stack.contains("eu-west-1"),
            "{}",
            f.stack
        );
    }
}

#[test]
fn each_broken_path_between_the_servers_is_named() {
    let p = reference();
    for (rule, expected) in [
        ("HostsFromStorageInsert", "vminsert to vmstorage is blocked"),
        ("HostsToStorageSelect", "vmselect to vmstorage is blocked"),
        (
            "HostsFromAlertmanager",
            "vmalert to Alertmanager is blocked",
        ),
        ("HostsToGossip", "Alertmanager's gossip is blocked"),
        (
            "HostsToSelectLoadBalancer",
            "vmalert's queries to vmselect is blocked",
        ),
        (
            "HostsFromInsertLoadBalancer",
            "vminsert's load balancer to vminsert is blocked",
        ),
        (
            "SelectLoadBalancerFromHosts",
            "vmalert's queries to vmselect is blocked",
        ),
    ] {
        let mut graph = p.graph.clone();
        stack_mut(&mut graph, PROD_SERVERS)
            .resources
            .retain(|r| r.logical_id != rule);
        let findings = p.check_graph(&graph);
        assert_eq!(findings.len(), 1, "{rule}: {}", summary(&findings));
        assert_eq!(findings[0].stack, PROD_SERVERS);
        assert!(
            findings[0].message.contains(expected),
            "{rule}: {}",
            findings[0].message
        );
    }
}

#[test]
fn hosts_without_https_to_the_endpoints_cannot_pull_their_images() {
    let p = reference();
    let mut graph = p.graph.clone();
    egress_of(stack_mut(&mut graph, PROD_SERVERS), "HostsSecurityGroup")
        .retain(|rule| rule.get("CidrIp").is_none());
    let findings = p.check_graph(&graph);
    let messages = messages_of(&findings, PROD_SERVERS);
    for service in ["ecr.api", "ecr.dkr", "ssm"] {
        assert!(
            messages
                .iter()
                .any(|m| m.contains(&format!("cannot reach `{service}`"))),
            "{service}: {messages:#?}"
        );
    }
}

// ----- Grafana -----
//
// - Fargate tasks reach their Aurora cluster and vmselect only where the
//   security groups at both ends allow the port:
//   <https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Overview.RDSSecurityGroups.html>,
//   <https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html>
// - An ALB reaches `ip` targets only through its own group's egress and
//   the targets' ingress:
//   <https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-update-security-groups.html>
// - CloudWatch's API inside a VPC without internet is the `monitoring`
//   interface endpoint:
//   <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-interface-VPC.html>

const GRAFANA: &str = "meridian-grafana";

#[test]
fn grafana_reaches_its_database_vmselect_and_cloudwatch_on_the_reference_platform() {
    let p = reference();
    assert!(p.graph.stack(GRAFANA).is_some());
    assert!(messages_of(&p.check(), GRAFANA).is_empty());
}

#[test]
fn each_broken_grafana_path_is_named() {
    let p = reference();
    for (rule, expected, hop) in [
        (
            "GrafanaDatabaseFromTasks",
            "cannot reach its dependency `GrafanaDatabaseSecurityGroup`",
            "on port 5432",
        ),
        (
            "VmselectFromGrafanaTasks",
            "cannot reach its dependency `SelectLoadBalancerSecurityGroup`",
            "on port 8481",
        ),
        (
            "GrafanaTasksFromLoadBalancer",
            "Grafana's load balancer cannot reach its tasks: security group `GrafanaTasksSecurityGroup`",
            "has no ingress on 3000",
        ),
    ] {
        let mut graph = p.graph.clone();
        stack_mut(&mut graph, GRAFANA)
            .resources
            .retain(|r| r.logical_id != rule);
        let findings = p.check_graph(&graph);
        assert_eq!(findings.len(), 1, "{rule}: {}", summary(&findings));
        assert_eq!(findings[0].stack, GRAFANA);
        assert!(
            findings[0].message.contains(expected) && findings[0].message.contains(hop),
            "{rule}: {}",
            findings[0].message
        );
    }
}

/// Grafana's data source of eu-west-1 reads that region's vmselect through
/// cross-region PrivateLink (VPCs are not connected,
/// <https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-share-your-services.html#endpoint-service-cross-region>):
/// each missing hop is named, located at the spec's metrics.
#[test]
fn each_broken_hop_to_another_regions_vmselect_is_named() {
    let p = reference();
    const LINK: &str = "meridian-vmselect-link-eu-west-1";
    const WEST: &str = "meridian-monitoring-prod-eu-west-1";
    assert!(p.graph.stack(LINK).is_some());
    let cases: Vec<BreakCase<'_>> = vec![
        (
            "no endpoint",
            |g| remove(g, LINK, "VmselectEndpoint"),
            "Grafana's VPC has no interface endpoint of the endpoint service",
        ),
        (
            "no endpoint service",
            |g| remove(g, WEST, "SelectEndpointService"),
            "is no endpoint service's",
        ),
        (
            "PrivateLink traffic meets the group's rules",
            |g| {
                resource_mut(g, WEST, "SelectLoadBalancer")
                    .properties
                    .remove("EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic");
            },
            "evaluates its group's inbound rules for PrivateLink traffic",
        ),
        (
            "the endpoint's group admits nothing",
            |g| {
                resource_mut(g, LINK, "VmselectEndpointSecurityGroup")
                    .properties
                    .remove("SecurityGroupIngress");
            },
            "the hosts to the endpoint `VmselectEndpoint`",
        ),
        (
            "no name",
            |g| remove(g, LINK, "Vmselect"),
            "vmselect.eu-west-1.metrics.meridian.internal",
        ),
    ];
    each_break_is_named(
        p,
        cases,
        "Grafana's VictoriaMetrics data source of eu-west-1",
        "/metrics",
    );
}

/// Grafana's Jaeger data source reads the Jaeger of its VPC through
/// Jaeger's Network Load Balancer, whose group admits the VPC's range on
/// the query port (<https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-security-groups.html>):
/// Grafana's tasks need the egress too.
#[test]
fn grafana_without_egress_to_jaeger_is_named_for_its_data_source() {
    let p = reference();
    // Jaeger runs in Grafana's VPC on the reference.
    assert!(p.graph.stacks.iter().any(|s| s.name.ends_with("-traces")
        && s.name.contains("prod")
        && !s.name.contains("eu-west-1")));
    let mut graph = p.graph.clone();
    egress_of(stack_mut(&mut graph, GRAFANA), "GrafanaTasksSecurityGroup")
        .retain(|rule| rule["FromPort"] != 16686);
    let findings = p.check_graph(&graph);
    assert_eq!(findings.len(), 1, "{}", summary(&findings));
    assert_eq!(findings[0].stack, GRAFANA);
    assert!(
        findings[0].message.contains(
            "Grafana's Jaeger data source cannot reach Jaeger's query service on port 16686: security group `GrafanaTasksSecurityGroup` (stack `meridian-grafana`) has no egress on 16686 to `LoadBalancerGroup` (stack `meridian-workloads-compliance-prod-traces`)"
        ),
        "{}",
        findings[0].message
    );
}

#[test]
fn a_grafana_load_balancer_without_egress_to_the_tasks_is_named() {
    let p = reference();
    let mut graph = p.graph.clone();
    *egress_of(
        stack_mut(&mut graph, GRAFANA),
        "GrafanaLoadBalancerSecurityGroup",
    ) = vec![
        json!({ "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.0.0.0/8" }),
    ];
    let findings = p.check_graph(&graph);
    assert_eq!(findings.len(), 1, "{}", summary(&findings));
    assert!(
        findings[0].message.contains(
            "Grafana's load balancer cannot reach its tasks: security group `GrafanaLoadBalancerSecurityGroup`"
        ) && findings[0].message.contains("has no egress on 3000"),
        "{}",
        findings[0].message
    );
}

#[test]
fn without_the_monitoring_endpoint_grafana_cannot_read_cloudwatch() {
    let p = reference();
    let mut graph = p.graph.clone();
    for stack in &mut graph.stacks {
        stack
            .resources
            .retain(|r| r.logical_id != "EndpointMonitoring");
    }
    let findings = p.check_graph(&graph);
    assert_eq!(findings.len(), 1, "{}", summary(&findings));
    assert_eq!(findings[0].stack, GRAFANA);
    assert!(
        findings[0]
            .message
            .starts_with("service `grafana` cannot reach `monitoring`: no `monitoring` endpoint"),
        "{}",
        findings[0].message
    );
}

// ----- the remediation webhook from every VPC's Alertmanager -----
//
// - Network Load Balancer with an Application Load Balancer target (same
//   VPC and account, a listener on the target group's port):
//   <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/application-load-balancer-target.html>
// - Cross-region endpoints (`ServiceRegion`, `SupportedRegions`):
//   <https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-share-your-services.html#endpoint-service-cross-region>
// - Allowed principals: <https://docs.aws.amazon.com/vpc/latest/privatelink/configure-endpoint-service.html#add-remove-permissions>
// - Interface endpoints in a shared VPC are the owner's:
//   <https://repost.aws/knowledge-center/vpc-interface-endpoint-creation-errors>
// - A Network Load Balancer's inbound rules and PrivateLink traffic:
//   <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-security-groups.html>

const ALERTING: &str = "meridian-alerting";
const WEST_LINK: &str = "meridian-remediation-link-prod-eu-west-1";
/// The service acting in eu-west-1, which that region's Alertmanagers
/// post to.
const WEST_ALERTING: &str = "meridian-alerting-eu-west-1";

fn resource_mut<'a>(
    graph: &'a mut Graph,
    stack: &str,
    id: &str,
) -> &'a mut landfall_graph::Resource {
    stack_mut(graph, stack)
        .resources
        .iter_mut()
        .find(|r| r.logical_id == id)
        .unwrap_or_else(|| panic!("{stack} has no {id}"))
}

fn remove(graph: &mut Graph, stack: &str, id: &str) {
    let s = stack_mut(graph, stack);
    let before = s.resources.len();
    s.resources.retain(|r| r.logical_id != id);
    assert_eq!(s.resources.len(), before - 1, "{stack} has no {id}");
}

#[test]
fn every_vpc_with_alertmanager_has_an_endpoint_of_the_remediation_service() {
    let p = reference();
    let findings = p.check();
    let remediation: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.message.contains("remediation"))
        .collect();
    assert!(remediation.is_empty(), "{remediation:#?}");
    let mut endpoints = 0;
    for vpc in &p.model.network.vpcs {
        let name = format!("meridian-remediation-link-{}", vpc.name);
        let stack = p.graph.stack(&name).expect("a link stack per VPC");
        let endpoint = stack.resource("RemediationEndpoint").expect("an endpoint");
        endpoints += 1;
        let region = p.model.region(vpc.region).name.as_str();
        // Each region's Alertmanagers post to that region's service: no
        // endpoint crosses regions.
        assert!(
            endpoint.properties.get("ServiceRegion").is_none(),
            "{region}"
        );
        let service = if region == "eu-central-1" {
            ALERTING
        } else {
            WEST_ALERTING
        };
        assert!(
            stack.depends_on.iter().any(|d| d == service),
            "{}",
            vpc.name
        );
        assert_eq!(
            stack.resource("Remediation").unwrap().properties["Name"],
            "remediation.metrics.meridian.internal"
        );
    }
    assert_eq!(endpoints, p.model.network.vpcs.len());
    for name in [ALERTING, WEST_ALERTING] {
        let service = p
            .graph
            .stack(name)
            .unwrap()
            .resource("HealEndpointService")
            .unwrap();
        assert!(
            service.properties.get("SupportedRegions").is_none(),
            "{name}"
        );
    }
}

#[test]
fn each_missing_hop_to_the_remediation_service_is_named_and_located() {
    let p = reference();
    type Break = fn(&mut Graph);
    let cases: Vec<(&str, Break, &str)> = vec![
        (
            "no endpoint",
            |g| remove(g, WEST_LINK, "RemediationEndpoint"),
            "the VPC has no interface endpoint of the endpoint service",
        ),
        (
            "the endpoint's group admits nothing",
            |g| {
                resource_mut(g, WEST_LINK, "RemediationEndpointSecurityGroup")
                    .properties
                    .remove("SecurityGroupIngress");
            },
            "the hosts to the endpoint `RemediationEndpoint` (stack `meridian-remediation-link-prod-eu-west-1`): security group `RemediationEndpointSecurityGroup`",
        ),
        (
            "no permission",
            |g| remove(g, ALERTING, "HealEndpointServicePermissions"),
            "which creates the endpoint, is not an allowed principal",
        ),
        (
            "no permission on the other region's service",
            |g| remove(g, WEST_ALERTING, "HealEndpointServicePermissions"),
            "Alertmanager of VPC `Vpc` (stack `meridian-network-prod-eu-west-1-core`) cannot post to the remediation service",
        ),
        (
            "the link connects to the other region's service",
            |g| {
                let link = stack_mut(g, WEST_LINK);
                let param = link
                    .parameters
                    .iter_mut()
                    .find(|p| p.name == "RemediationServiceName")
                    .expect("the link reads the service's name");
                param.value = landfall_graph::ParameterValue::StackOutput {
                    stack: ALERTING.into(),
                    output: "HealEndpointServiceName".into(),
                };
            },
            "acting in eu-west-1: its endpoint connects to `HealEndpointService` (stack `meridian-alerting`) in eu-central-1, whose service acts on eu-central-1's targets only",
        ),
        (
            "the other region's tasks do not admit its ALB",
            |g| {
                resource_mut(g, WEST_ALERTING, "HealTasksSecurityGroup")
                    .properties
                    .remove("SecurityGroupIngress");
            },
            "the service's load balancer to its tasks: security group `HealTasksSecurityGroup` (stack `meridian-alerting-eu-west-1`)",
        ),
        (
            "no name",
            |g| remove(g, WEST_LINK, "Remediation"),
            "no record `remediation.metrics.meridian.internal` in a private zone of the VPC names the endpoint",
        ),
        (
            "the ALB does not admit the NLB",
            |g| remove(g, ALERTING, "HealLoadBalancerFromEndpointLoadBalancer"),
            "the endpoint service's load balancer to the service's load balancer: security group `HealLoadBalancerSecurityGroup` (stack `meridian-alerting`) has no ingress on 443",
        ),
        (
            "the NLB lets nothing out",
            |g| {
                egress_of(stack_mut(g, ALERTING), "HealEndpointLoadBalancerSecurityGroup").clear();
            },
            "has no egress on 443",
        ),
        (
            "the target is not the ALB",
            |g| {
                resource_mut(g, ALERTING, "HealEndpointTargets").properties["TargetType"] =
                    json!("ip");
            },
            "has no TCP listener on 443 forwarding to a target group of type `alb`",
        ),
        (
            "PrivateLink traffic meets the NLB's inbound rules",
            |g| {
                resource_mut(g, ALERTING, "HealEndpointLoadBalancer")
                    .properties
                    .remove("EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic");
            },
            "evaluates its group's inbound rules for PrivateLink traffic",
        ),
        (
            "the tasks do not admit the ALB",
            |g| {
                resource_mut(g, ALERTING, "HealTasksSecurityGroup")
                    .properties
                    .remove("SecurityGroupIngress");
            },
            "the service's load balancer to its tasks: security group `HealTasksSecurityGroup`",
        ),
    ];
    // Located at the spec's remediation section.
    each_break_is_named(p, cases, "remediation service", "/remediation");
}

/// What a case is named, how it breaks the graph, what a finding says.
type BreakCase<'a> = (&'a str, fn(&mut Graph), &'a str);

/// Each case breaks one hop of a copy of the graph: a finding says what
/// is expected, about `about`, located under `at`.
fn each_break_is_named(p: &Platform, cases: Vec<BreakCase<'_>>, about: &str, at_suffix: &str) {
    for (what, break_it, expected) in cases {
        let mut graph = p.graph.clone();
        break_it(&mut graph);
        let findings = p.check_graph(&graph);
        let hits: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.message.contains(expected))
            .collect();
        assert!(
            !hits.is_empty(),
            "{what}: nothing says {expected:?}\n{}",
            summary(&findings)
        );
        for f in hits {
            assert!(f.message.contains(about), "{what}: {}", f.message);
            let at =
                f.at.as_ref()
                    .unwrap_or_else(|| panic!("{what}: not located"));
            assert!(at.path.ends_with(at_suffix), "{what}: {}", at.path);
        }
    }
}

#[test]
fn the_remediation_service_pages_its_vpcs_alertmanager_and_each_missing_hop_is_named() {
    let p = reference();
    let definition = p
        .graph
        .stack(ALERTING)
        .unwrap()
        .resource("HealTaskDefinition")
        .unwrap();
    let command = definition.properties["ContainerDefinitions"][0]["Command"]
        .as_array()
        .unwrap();
    let at = command
        .iter()
        .position(|a| a == "--alertmanager-url")
        .expect("the service pages");
    assert_eq!(
        command[at + 1],
        "http://alertmanager.eu-central-1.metrics.meridian.internal:9093"
    );
    let record = p
        .graph
        .stack("meridian-monitoring-dns-prod-eu-central-1")
        .unwrap()
        .resource("Alertmanager")
        .expect("the name the service pages");
    assert_eq!(
        record.properties["Name"],
        "alertmanager.eu-central-1.metrics.meridian.internal"
    );
    type Break = fn(&mut Graph);
    let cases: Vec<(&str, Break, &str)> = vec![
        (
            "the hosts do not admit the load balancer",
            |g| remove(g, PROD_SERVERS, "HostsFromAlertmanagerLoadBalancer"),
            "Alertmanager's load balancer to the hosts: security group `HostsSecurityGroup`",
        ),
        (
            "the load balancer does not admit the tasks",
            |g| {
                resource_mut(g, PROD_SERVERS, "AlertmanagerLoadBalancerSecurityGroup")
                    .properties
                    .remove("SecurityGroupIngress");
            },
            "the tasks to Alertmanager's load balancer: security group `AlertmanagerLoadBalancerSecurityGroup`",
        ),
        (
            "the tasks let nothing out on 9093",
            |g| {
                egress_of(stack_mut(g, ALERTING), "HealTasksSecurityGroup")
                    .retain(|rule| rule["FromPort"] != 9093);
            },
            "the tasks to Alertmanager's load balancer: security group `HealTasksSecurityGroup`",
        ),
        (
            "no load balancer",
            |g| remove(g, PROD_SERVERS, "AlertmanagerLoadBalancerSecurityGroup"),
            "has no Alertmanager load balancer",
        ),
    ];
    for (what, break_it, expected) in cases {
        let mut graph = p.graph.clone();
        break_it(&mut graph);
        let findings = p.check_graph(&graph);
        let hits: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.message.contains(expected))
            .collect();
        assert!(
            !hits.is_empty(),
            "{what}: nothing says {expected:?}\n{}",
            summary(&findings)
        );
        for f in hits {
            assert!(
                f.message.contains("cannot page Alertmanager"),
                "{what}: {}",
                f.message
            );
            let at =
                f.at.as_ref()
                    .unwrap_or_else(|| panic!("{what}: not located"));
            assert!(at.path.ends_with("/remediation"), "{what}: {}", at.path);
        }
    }
}

// ----- every VPC's Zabbix proxy to the Zabbix server -----
//
// The same PrivateLink hops as the remediation webhook's (pages above),
// with a Network Load Balancer whose targets are the server task's
// addresses, which ECS registers in the target group the service names
// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/register-multiple-targetgroups.html>);
// the server reaches its database as every service reaches its
// dependencies (<https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html>).

const ZABBIX: &str = "meridian-zabbix";
const WEST_ZABBIX_LINK: &str = "meridian-zabbix-link-prod-eu-west-1";
const WEST_SERVERS: &str = "meridian-monitoring-prod-eu-west-1";

#[test]
fn every_vpcs_zabbix_proxy_reaches_the_server_and_the_server_its_database() {
    let p = reference();
    let findings = p.check();
    let zabbix: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.message.contains("Zabbix") || f.stack.contains("zabbix"))
        .collect();
    assert!(zabbix.is_empty(), "{zabbix:#?}");
    for vpc in &p.model.network.vpcs {
        let name = format!("meridian-zabbix-link-{}", vpc.name);
        let stack = p.graph.stack(&name).expect("a Zabbix link stack per VPC");
        assert!(stack.resource("ZabbixEndpoint").is_some());
    }
}

#[test]
fn each_missing_hop_between_a_proxy_and_the_zabbix_server_is_named_and_located() {
    let p = reference();
    type Break = fn(&mut Graph);
    let cases: Vec<(&str, Break, &str)> = vec![
        (
            "no endpoint",
            |g| remove(g, WEST_ZABBIX_LINK, "ZabbixEndpoint"),
            "cannot reach the Zabbix server: the VPC has no interface endpoint of the endpoint service",
        ),
        (
            "the endpoint's group admits nothing",
            |g| {
                resource_mut(g, WEST_ZABBIX_LINK, "ZabbixEndpointSecurityGroup")
                    .properties
                    .remove("SecurityGroupIngress");
            },
            "the hosts to the endpoint `ZabbixEndpoint` (stack `meridian-zabbix-link-prod-eu-west-1`): security group `ZabbixEndpointSecurityGroup` (stack `meridian-zabbix-link-prod-eu-west-1`) has no ingress on 10051",
        ),
        (
            "the hosts have no egress on the trapper port",
            |g| {
                egress_of(stack_mut(g, WEST_SERVERS), "HostsSecurityGroup")
                    .retain(|rule| rule["FromPort"] != json!(10051));
            },
            "the hosts to the endpoint `ZabbixEndpoint` (stack `meridian-zabbix-link-prod-eu-west-1`): security group `HostsSecurityGroup` (stack `meridian-monitoring-prod-eu-west-1`) has no egress on 10051",
        ),
        (
            "no service region",
            |g| {
                resource_mut(g, WEST_ZABBIX_LINK, "ZabbixEndpoint")
                    .properties
                    .remove("ServiceRegion");
            },
            "does not name the service's region eu-central-1 as `ServiceRegion`",
        ),
        (
            "the region is not supported",
            |g| {
                resource_mut(g, ZABBIX, "ZabbixEndpointService")
                    .properties
                    .remove("SupportedRegions");
            },
            "does not list eu-west-1 in `SupportedRegions`",
        ),
        (
            "no permission",
            |g| remove(g, ZABBIX, "ZabbixEndpointServicePermissions"),
            "which creates the endpoint, is not an allowed principal",
        ),
        (
            "no name",
            |g| remove(g, WEST_ZABBIX_LINK, "Zabbix"),
            "no record `zabbix.metrics.meridian.internal` in a private zone of the VPC names the endpoint",
        ),
        (
            "the task does not admit the NLB",
            |g| remove(g, ZABBIX, "ZabbixTasksFromLoadBalancer"),
            "the endpoint service's load balancer to the server's task: security group `ZabbixTasksSecurityGroup` (stack `meridian-zabbix`) has no ingress on 10051",
        ),
        (
            "the NLB lets nothing out",
            |g| {
                egress_of(stack_mut(g, ZABBIX), "ZabbixLoadBalancerSecurityGroup").clear();
            },
            "the endpoint service's load balancer to the server's task: security group `ZabbixLoadBalancerSecurityGroup` (stack `meridian-zabbix`) has no egress on 10051",
        ),
        (
            "the listener forwards elsewhere",
            |g| {
                resource_mut(g, ZABBIX, "ZabbixListener").properties["Port"] = json!(10050);
            },
            "has no listener on 10051 forwarding to a target group of type `ip` on 10051",
        ),
        (
            "the service registers another port",
            |g| {
                resource_mut(g, ZABBIX, "ZabbixService").properties["LoadBalancers"][0]
                    ["ContainerPort"] = json!(10050);
            },
            "that the server's service registers its container's port 10051 in",
        ),
        (
            "PrivateLink traffic meets the NLB's inbound rules",
            |g| {
                resource_mut(g, ZABBIX, "ZabbixLoadBalancer")
                    .properties
                    .remove("EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic");
            },
            "evaluates its group's inbound rules for PrivateLink traffic",
        ),
        (
            "no endpoint service",
            |g| remove(g, ZABBIX, "ZabbixEndpointService"),
            "is no endpoint service's: the proxies of other VPCs cannot reach it",
        ),
    ];
    // Located at the spec's metrics section (the server's origin).
    each_break_is_named(p, cases, "Zabbix", "/metrics");
}

#[test]
fn a_zabbix_server_that_cannot_reach_its_database_is_named() {
    let p = reference();
    let mut graph = p.graph.clone();
    remove(&mut graph, ZABBIX, "ZabbixDatabaseFromTasks");
    let findings = p.check_graph(&graph);
    let hits: Vec<&Finding> = findings
        .iter()
        .filter(|f| {
            f.stack == ZABBIX
                && f.message.contains("service `zabbix-server`")
                && f.message.contains("cannot reach its dependency")
                && f.message.contains("on port 5432")
        })
        .collect();
    assert_eq!(hits.len(), 1, "{}", summary(&findings));
    assert!(hits[0].at.is_some());
}

/// The probes of `zabbix/landfall.json`: HTTPS to the internal load
/// balancer of the service's domain, from the proxy on the monitoring
/// hosts of the same VPC (security group rules at both ends,
/// <https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html>).
#[test]
fn each_proxy_reaches_the_load_balancers_it_probes_and_a_closed_one_is_named() {
    let p = reference();
    let findings = p.check();
    assert!(
        !findings.iter().any(|f| f.message.contains("cannot probe")),
        "{}",
        summary(&findings)
    );
    // A west workload stack of prod that admits the proxy.
    let (stack, probed) = p
        .graph
        .stacks
        .iter()
        .find(|s| {
            s.name.contains("-prod")
                && s.resources
                    .iter()
                    .any(|r| r.logical_id.starts_with("ZabbixProbesFrom"))
                && matches!(&s.target, landfall_graph::Target::Account { region, .. } if region == "eu-west-1")
        })
        .map(|s| {
            let domain = s
                .resource("LoadBalancer")
                .and_then(|lb| {
                    lb.properties["Tags"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|t| t["Key"] == "landfall:domain")
                        .and_then(|t| t["Value"].as_str())
                })
                .unwrap()
                .to_owned();
            (s.name.clone(), domain)
        })
        .expect("a prod workload stack in eu-west-1 the proxy probes");
    let mut graph = p.graph.clone();
    stack_mut(&mut graph, &stack)
        .resources
        .retain(|r| !r.logical_id.starts_with("ZabbixProbesFrom"));
    let findings = p.check_graph(&graph);
    let hits: Vec<&Finding> = findings
        .iter()
        .filter(|f| {
            f.message
                .contains("the Zabbix proxy of prod in eu-west-1 cannot probe")
        })
        .collect();
    assert!(!hits.is_empty(), "{}", summary(&findings));
    let services: Vec<&landfall_model::Service> = p
        .model
        .services
        .iter()
        .filter(|s| {
            p.model.domain(s.domain).name == probed
                && s.ingress != landfall_spec::types::Ingress::None
                && s.environments
                    .iter()
                    .any(|e| p.model.environment(*e).name == "prod")
        })
        .collect();
    assert_eq!(hits.len(), services.len(), "one per probed service");
    for f in &hits {
        assert_eq!(f.stack, stack);
        assert!(
            f.message.contains(&format!(
                "security group `LoadBalancerSecurityGroup` (stack `{stack}`) has no ingress on 443"
            )),
            "{}",
            f.message
        );
        // Located at the probed service.
        let at = f.at.as_ref().expect("located");
        assert!(services.iter().any(|s| s.origin == *at), "{at:?}");
    }
    // And the hosts' side: no HTTPS out to the application subnets.
    let mut graph = p.graph.clone();
    egress_of(stack_mut(&mut graph, WEST_SERVERS), "HostsSecurityGroup").retain(|rule| {
        rule["Description"] != json!("the internal load balancers the Zabbix proxy probes")
    });
    let findings = p.check_graph(&graph);
    assert!(
        findings.iter().any(|f| f
            .message
            .contains("the Zabbix proxy of prod in eu-west-1 cannot probe")
            && f.message.contains("`HostsSecurityGroup`")
            && f.message.contains("has no egress on 443")),
        "{}",
        summary(&findings)
    );
}

// ----- the Vector aggregators -----
//
// - MSK's SASL/SCRAM port: <https://docs.aws.amazon.com/msk/latest/developerguide/port-info.html>
// - A VPC domain is reached through its subnets, on 443, as its security
//   group admits: <https://docs.aws.amazon.com/opensearch-service/latest/developerguide/vpc.html>
// - A gateway endpoint serves only buckets of its own region:
//   <https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html>

const AGGREGATORS: &str = "meridian-workloads-compliance-prod-log-aggregators";
const PROD_SEARCH: &str = "meridian-log-search-prod-eu-central-1";

fn aggregator_stacks(graph: &Graph) -> Vec<&Stack> {
    graph
        .stacks
        .iter()
        .filter(|s| s.name.ends_with("-log-aggregators"))
        .collect()
}

#[test]
fn the_log_aggregators_run_in_every_vpc_of_the_lakes_region_and_reach_what_they_must() {
    let p = reference();
    let stacks = aggregator_stacks(&p.graph);
    let mut regions: Vec<(String, String)> = stacks
        .iter()
        .map(|s| match &s.target {
            landfall_graph::Target::Account { account, region } => {
                (account.clone(), region.clone())
            }
            landfall_graph::Target::StackSet(_) => panic!("{}: a StackSet", s.name),
        })
        .collect();
    regions.dedup();
    // dev, staging and prod in eu-central-1, where the log archive is;
    // none in eu-west-1 (docs/telemetry.md, "Not yet").
    assert_eq!(
        stacks.len(),
        3,
        "{:?}",
        stacks.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    assert_eq!(
        regions,
        [("observability".to_owned(), "eu-central-1".to_owned())]
    );
    assert!(p.graph.stack(AGGREGATORS).is_some());
    let findings = p.check();
    for stack in &stacks {
        assert!(
            messages_of(&findings, &stack.name).is_empty(),
            "{}",
            summary(&findings)
        );
    }
}

#[test]
fn each_missing_aggregator_hop_is_named() {
    let p = reference();
    for (stack, rule, expected) in [
        (
            AGGREGATORS,
            "EgressToLogBrokers",
            &[
                "cannot reach the brokers of MSK cluster `Cluster`",
                "has no egress on 9096",
            ][..],
        ),
        (
            AGGREGATORS,
            "EgressToS3",
            &["cannot reach `s3`", "prefix list"][..],
        ),
        (
            AGGREGATORS,
            "EgressToEndpoints",
            &["cannot reach `ecr.api`"][..],
        ),
    ] {
        let mut graph = p.graph.clone();
        remove(&mut graph, stack, rule);
        let findings = p.check_graph(&graph);
        assert!(!findings.is_empty(), "{rule}");
        assert!(
            findings.iter().all(|f| f.stack == AGGREGATORS),
            "{rule}: {}",
            summary(&findings)
        );
        assert!(
            findings
                .iter()
                .any(|f| expected.iter().all(|e| f.message.contains(e))),
            "{rule}: {}",
            summary(&findings)
        );
    }
    // Without its rule to the domain's group (and the VPC-wide one to the
    // interface endpoints, which covers the domain's subnets too).
    let mut graph = p.graph.clone();
    remove(&mut graph, PROD_SEARCH, "AggregatorToDomain");
    remove(&mut graph, AGGREGATORS, "EgressToEndpoints");
    let findings = p.check_graph(&graph);
    assert!(
        findings.iter().any(|f| f.stack == AGGREGATORS
            && f.message
                .contains("cannot reach OpenSearch domain `Domain`")
            && f.message.contains("has no egress on 443")),
        "{}",
        summary(&findings)
    );
    // The brokers' side: the cluster's group admits the aggregators' subnets.
    let mut graph = p.graph.clone();
    let store = "meridian-workloads-compliance-prod-store-platform-logs";
    resource_mut(&mut graph, store, "SecurityGroup")
        .properties
        .get_mut("SecurityGroupIngress")
        .and_then(Value::as_array_mut)
        .unwrap()
        .retain(|rule| rule["Description"] != "log aggregators");
    let findings = p.check_graph(&graph);
    assert!(!findings.is_empty());
    assert!(
        findings
            .iter()
            .all(|f| f.stack == AGGREGATORS && f.message.contains("has no ingress on 9096")),
        "{}",
        summary(&findings)
    );
    assert!(
        findings.iter().any(|f| f
            .message
            .contains("cannot reach the brokers of MSK cluster `Cluster`")),
        "{}",
        summary(&findings)
    );
    // The domain's side.
    let mut graph = p.graph.clone();
    resource_mut(&mut graph, PROD_SEARCH, "DomainGroup")
        .properties
        .get_mut("SecurityGroupIngress")
        .and_then(Value::as_array_mut)
        .unwrap()
        .retain(|rule| rule["Description"] != "Vector aggregators (bulk writes)");
    let findings = p.check_graph(&graph);
    assert!(
        findings.iter().any(|f| f.stack == AGGREGATORS
            && f.message.contains("security group `DomainGroup`")
            && f.message.contains("has no ingress on 443")),
        "{}",
        summary(&findings)
    );
}

/// The data lake's bucket is in the log archive's region; aggregators of
/// another region's VPC would reach S3 only through their own region's
/// gateway endpoint, which does not serve it.
#[test]
fn aggregators_outside_the_lakes_region_are_named() {
    let p = reference();
    let mut graph = p.graph.clone();
    if let landfall_graph::Target::Account { region, .. } =
        &mut stack_mut(&mut graph, AGGREGATORS).target
    {
        "eu-west-1".clone_into(region);
    }
    let findings = p.check_graph(&graph);
    assert!(
        findings.iter().any(|f| f.stack == AGGREGATORS
            && f.message
                .contains("cannot reach the data lake: its bucket `AppLogsBucket`")
            && f.message.contains("is in eu-central-1")
            && f.message.contains("serves only eu-west-1")
            && f.at.is_some()),
        "{}",
        summary(&findings)
    );
}

/// The aggregators run the generated `aggregator.yaml`, and its disk
/// buffers fit the task's ephemeral storage (Fargate's default 20 GiB,
/// shared with the image:
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-task-storage.html>).
#[test]
fn the_aggregators_run_the_generated_configuration_and_their_buffers_fit_the_task() {
    use landfall_workloads::aggregator;
    let p = reference();
    let bundle = landfall_telemetry::generate(&p.model).unwrap();
    let text = landfall_telemetry::aggregator_config(&bundle).unwrap();
    let config = &bundle
        .vector
        .iter()
        .find(|v| v.path == landfall_telemetry::vector::aggregator_path())
        .unwrap()
        .config;
    let buffers: u64 = config["sinks"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|sink| sink["buffer"]["max_size"].as_u64())
        .sum();
    assert!(buffers > 0);
    assert!(
        buffers < (aggregator::EPHEMERAL_GIB - 1) * 1024 * 1024 * 1024,
        "{buffers}"
    );
    assert_eq!(
        aggregator::BUFFER_MAX_GIB * 1024 * 1024 * 1024,
        landfall_telemetry::vector::DISK_BUFFER_MAX_BYTES
    );
    assert_eq!(
        config["sources"]["topics"]["group_id"],
        aggregator::CONSUMER_GROUP
    );
    for stack in aggregator_stacks(&p.graph) {
        let definition = stack.resource("AggregatorTaskDefinition").unwrap();
        let env = definition.properties["ContainerDefinitions"][0]["Environment"]
            .as_array()
            .unwrap();
        let handed = env
            .iter()
            .find(|e| e["Name"] == "VECTOR_CONFIG_YAML")
            .unwrap();
        assert_eq!(handed["Value"], json!(text), "{}", stack.name);
        // Every variable the configuration reads is set, or a secret.
        let secrets = definition.properties["ContainerDefinitions"][0]["Secrets"]
            .as_array()
            .unwrap();
        let mut rest = text.as_str();
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let end = after.find('}').unwrap();
            let name = &after[..end];
            rest = &after[end..];
            assert!(
                name == "AWS_REGION"
                    || env.iter().any(|e| e["Name"] == name)
                    || secrets.iter().any(|e| e["Name"] == name),
                "{}: `{name}` is not set",
                stack.name
            );
        }
        // ECS's 64 KiB for a task definition.
        assert!(
            serde_json::to_string(&definition.properties).unwrap().len() < 64 * 1024,
            "{}",
            stack.name
        );
    }
}

const JAEGER: &str = "meridian-workloads-compliance-prod-traces";

/// Jaeger stores its spans in its VPC's OpenSearch domain: its tasks reach
/// the domain named by `OPENSEARCH_ENDPOINT` on 443 (a VPC domain is
/// reached only through its subnets,
/// <https://docs.aws.amazon.com/opensearch-service/latest/developerguide/vpc.html>),
/// and pull their image through the VPC's ECR endpoints and S3's gateway
/// endpoint, on every VPC with aggregators; each hop removed is named at
/// Jaeger's stack.
#[test]
fn jaeger_reaches_its_domain_and_each_missing_hop_is_named() {
    let p = reference();
    let stacks: Vec<&Stack> = p
        .graph
        .stacks
        .iter()
        .filter(|s| s.name.ends_with("-traces"))
        .collect();
    assert_eq!(stacks.len(), 3);
    let findings = p.check();
    for stack in &stacks {
        assert!(
            messages_of(&findings, &stack.name).is_empty(),
            "{}",
            summary(&findings)
        );
    }
    // Its own egress: the VPC's interface endpoints, S3.
    for (rule, expected) in [
        ("EgressToS3", &["cannot reach `s3`", "prefix list"][..]),
        ("EgressToEndpoints", &["cannot reach `ecr.api`"][..]),
    ] {
        let mut graph = p.graph.clone();
        remove(&mut graph, JAEGER, rule);
        let findings = p.check_graph(&graph);
        assert!(
            findings.iter().all(|f| f.stack == JAEGER),
            "{rule}: {}",
            summary(&findings)
        );
        assert!(
            findings
                .iter()
                .any(|f| expected.iter().all(|e| f.message.contains(e))),
            "{rule}: {}",
            summary(&findings)
        );
    }
    // Without its rule to the domain's group (and the VPC-wide one to the
    // interface endpoints, which covers the domain's subnets too).
    let mut graph = p.graph.clone();
    remove(&mut graph, PROD_SEARCH, "JaegerToDomain");
    remove(&mut graph, JAEGER, "EgressToEndpoints");
    let findings = p.check_graph(&graph);
    assert!(
        findings.iter().any(|f| f.stack == JAEGER
            && f.message.starts_with("Jaeger of stack")
            && f.message
                .contains("cannot reach OpenSearch domain `Domain`")
            && f.message.contains("has no egress on 443")
            && f.at.is_some()),
        "{}",
        summary(&findings)
    );
    // The domain's side.
    let mut graph = p.graph.clone();
    resource_mut(&mut graph, PROD_SEARCH, "DomainGroup")
        .properties
        .get_mut("SecurityGroupIngress")
        .and_then(Value::as_array_mut)
        .unwrap()
        .retain(|rule| rule["Description"] != "Jaeger (spans in, searches)");
    let findings = p.check_graph(&graph);
    assert!(!findings.is_empty());
    assert!(
        findings
            .iter()
            .all(|f| f.stack == JAEGER && f.message.contains("has no ingress on 443")),
        "{}",
        summary(&findings)
    );
    assert!(
        findings
            .iter()
            .any(|f| f.message.starts_with("Jaeger of stack")
                && f.message.contains("security group `DomainGroup`")),
        "{}",
        summary(&findings)
    );
    // An endpoint variable that names no domain.
    let mut graph = p.graph.clone();
    let task = resource_mut(&mut graph, JAEGER, "JaegerTaskDefinition");
    let env = task.properties["ContainerDefinitions"][0]["Environment"]
        .as_array_mut()
        .unwrap();
    env.retain(|e| e["Name"] != "OPENSEARCH_ENDPOINT");
    env.push(json!({ "Name": "OPENSEARCH_ENDPOINT", "Value": "https://elsewhere.example" }));
    let findings = p.check_graph(&graph);
    assert!(
        findings.iter().any(|f| f.stack == JAEGER
            && f.message
                .contains("`OPENSEARCH_ENDPOINT` names no OpenSearch domain of the graph")),
        "{}",
        summary(&findings)
    );
}

/// The remediation service acts in the organization's accounts as their
/// remediation role, whose trust admits its task role by ARN; the calls
/// still leave from its tasks, through its VPC's interface endpoints
/// (https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-privatelink-support.html):
/// without the Auto Scaling or the RDS endpoint there, replacing a host or
/// failing a cluster over cannot reach AWS, and each is named.
#[test]
fn the_remediation_service_reaches_the_apis_its_actions_call() {
    let p = reference();
    assert!(
        p.check_graph(&p.graph)
            .iter()
            .all(|f| !f.message.contains("landfall-heal")),
        "the reference platform's remediation service reaches what it calls"
    );
    let mut graph = p.graph.clone();
    let gone = ["EndpointAutoscaling", "EndpointRds"];
    let mut removed = 0;
    for stack in graph
        .stacks
        .iter_mut()
        .filter(|s| s.name.contains("-network-"))
    {
        let before = stack.resources.len();
        stack
            .resources
            .retain(|r| !gone.contains(&r.logical_id.as_str()));
        removed += before - stack.resources.len();
    }
    assert_eq!(
        removed, 4,
        "only the remediation services' VPCs have them, one per region"
    );
    let findings = p.check_graph(&graph);
    for service in ["autoscaling", "rds"] {
        for stack in [ALERTING, WEST_ALERTING] {
            assert!(
                findings.iter().any(|f| f.stack == stack
                    && f.message.contains("landfall-heal")
                    && f.message.contains(&format!("cannot reach `{service}`"))),
                "{stack} {service}: {}",
                summary(&findings)
            );
        }
    }
}
