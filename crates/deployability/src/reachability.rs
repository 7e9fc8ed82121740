//! Reachability: can every task reach what it must, on the right port, and
//! nothing it must not — decided offline from the graph, for the whole
//! platform at once.
//!
//! The network is modelled from the graph's resources ([`network`]):
//! security groups and their rules (inline and separate, groups referred to
//! by id through parameters the deployer fills or exports), subnets and
//! their route tables, routes (to the internet gateway, the NAT gateway, a
//! firewall endpoint), VPC endpoints (interface endpoints with their groups
//! and private DNS, gateway endpoints with their route tables), regional NAT
//! gateways with their own route table, and firewalls with their policies'
//! domain allow-lists.
//!
//! Every ECS service (the workloads', the remediation service, Grafana, the
//! Zabbix server) is a
//! consumer: its task groups and subnets (and, on EC2
//! capacity, the container instances' group and subnets, which pull images
//! and ship logs for it). What it must reach comes from its task
//! definition and roles (those its task role assumes included); a path must pass the consumer's group
//! egress, the target's group ingress and a route. One finding per
//! consumer and missing hop, naming the hop. The monitoring servers'
//! paths, and every task's Telegraf sidecar to vminsert, are checked the
//! same way ([`monitoring`]), Grafana's load balancer to its tasks
//! ([`grafana`]), and every VPC's Alertmanager to the remediation service
//! through its interface endpoint, the endpoint service's Network Load
//! Balancer and the service's Application Load Balancer ([`remediation`]);
//! the Vector aggregators to their VPC's OpenSearch domain and the data
//! lake's bucket in their own region ([`log_aggregators`]); every VPC's
//! Zabbix proxy (on the monitoring hosts) to the Zabbix server through its
//! interface endpoint and the server's Network Load Balancer ([`zabbix`];
//! the server's database as a dependency of its service), and each proxy
//! to the internal load balancers its probes name.

mod grafana;
mod index;
mod log_aggregators;
mod monitoring;
mod network;
mod remediation;
mod zabbix;

use std::collections::{BTreeMap, BTreeSet};

use ipnet::Ipv4Net;
use landfall_graph::Layer;
use landfall_spec::types::EgressMode;
use serde_json::Value;

use crate::{Finding, Input};
use index::{Index, Key, Properties};
use network::{domain_matches, Hop, Network, Peer};

pub use network::endpoint_service;

pub const CODE: &str = "deploy::reachability";

/// AWS pages behind each kind of need.
pub mod pages {
    pub const FARGATE_PV14: &str =
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/platform-version-migration.html";
    pub const ECR_ENDPOINTS: &str =
        "https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html";
    pub const ECS_ENDPOINTS: &str =
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/vpc-endpoints.html";
    pub const SSM_ENDPOINTS: &str =
        "https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-create-vpc.html";
    pub const SECRETS: &str =
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/specifying-sensitive-data.html";
    pub const GATEWAY_ENDPOINTS: &str =
        "https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html";
    pub const ASYMMETRIC: &str =
        "https://docs.aws.amazon.com/network-firewall/latest/developerguide/asymmetric-routing.html";
    pub const REGIONAL_NAT: &str =
        "https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateways-regional.html";
    pub const SECURITY_GROUPS: &str =
        "https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html";
    pub const MSK_PORTS: &str =
        "https://docs.aws.amazon.com/msk/latest/developerguide/port-info.html";
    pub const MSK_SCRAM: &str =
        "https://docs.aws.amazon.com/msk/latest/developerguide/msk-password.html";
}

/// The port MSK's brokers take SASL/SCRAM clients on (TLS).
pub const MSK_SCRAM_PORT: i64 = 9096;

/// What ECS on EC2 container instances reach, without internet egress: the
/// agent (`ecs`, `ecs-agent`, `ecs-telemetry`) and Session Manager.
pub const HOST_ENDPOINTS: [(&str, &str); 6] = [
    ("ecs", pages::ECS_ENDPOINTS),
    ("ecs-agent", pages::ECS_ENDPOINTS),
    ("ecs-telemetry", pages::ECS_ENDPOINTS),
    ("ssm", pages::SSM_ENDPOINTS),
    ("ssmmessages", pages::SSM_ENDPOINTS),
    ("ec2messages", pages::SSM_ENDPOINTS),
];

/// What pulling a private ECR image reaches: both ECR endpoints and S3,
/// where the layers are.
pub const IMAGE_PULL: [&str; 3] = ["ecr.api", "ecr.dkr", "s3"];

/// IAM action prefixes a task role may use, and the endpoint service that
/// serves them inside a VPC. Prefixes not listed (`rds-db`, `kafka-cluster`,
/// `elasticache`) are data-plane authorizations checked by the store
/// itself, reached as a dependency.
pub const ACTION_ENDPOINTS: [(&str, &str); 17] = [
    ("autoscaling", "autoscaling"),
    ("cloudwatch", "monitoring"),
    ("dynamodb", "dynamodb"),
    ("ec2", "ec2"),
    ("ecs", "ecs"),
    ("events", "events"),
    ("kafka", "kafka"),
    ("kinesis", "kinesis"),
    ("kms", "kms"),
    ("logs", "logs"),
    ("rds", "rds"),
    ("s3", "s3"),
    ("secretsmanager", "secretsmanager"),
    ("sns", "sns"),
    ("sqs", "sqs"),
    ("ssm", "ssm"),
    ("sts", "sts"),
];

const HTTPS: i64 = 443;

/// One consumer's view: the groups its traffic leaves through and the
/// subnets it leaves from.
#[derive(Debug, Clone, Default)]
struct Consumer {
    groups: Vec<Key>,
    subnets: Vec<Key>,
}

/// A need: an AWS service to reach, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Need {
    service: String,
    why: &'static str,
    page: &'static str,
}

struct Checker<'a, 'g> {
    input: &'a Input<'g>,
    index: &'a Index<'g>,
    net: &'a Network,
    /// The monitoring servers of each VPC.
    servers: BTreeMap<Key, monitoring::Servers>,
    findings: Vec<Finding>,
}

pub fn check(input: &Input) -> Vec<Finding> {
    let index = Index::new(input.graph);
    let net = Network::build(&index);
    let mut checker = Checker {
        input,
        index: &index,
        net: &net,
        servers: BTreeMap::new(),
        findings: Vec::new(),
    };
    checker.servers = checker.find_servers();
    checker.services();
    checker.hosts();
    checker.monitoring();
    checker.grafana();
    checker.log_aggregators();
    checker.remediation();
    checker.zabbix();
    checker.zabbix_probes();
    checker.symmetric_firewall_routes();
    let mut findings = checker.findings;
    findings.sort();
    findings.dedup();
    findings
}

fn tag<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value
        .as_array()?
        .iter()
        .find(|t| t.get("Key").and_then(Value::as_str) == Some(key))?
        .get("Value")?
        .as_str()
}

impl Checker<'_, '_> {
    fn finding(
        &mut self,
        key: Key,
        message: String,
        help: String,
        at: Option<landfall_spec::Pointer>,
    ) {
        let stack = self.index.stack(key);
        self.findings.push(Finding {
            code: CODE,
            stack: stack.name.clone(),
            resource: Some(self.index.resource(key).logical_id.clone()),
            message,
            help,
            at,
        });
    }

    fn keys(&self, stack: usize, value: Option<&Value>) -> Vec<Key> {
        value
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|v| self.index.resource_of(stack, v))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn group_names(&self, groups: &[Key]) -> String {
        let names: Vec<String> = groups.iter().map(|g| self.index.name(*g)).collect();
        names.join(", ")
    }

    // ----- services -----

    fn services(&mut self) {
        let index = self.index;
        let services: Vec<(Key, &landfall_graph::Resource)> = index
            .of_type("AWS::ECS::Service")
            // The workloads' services, and the remediation service beside
            // the alert path.
            .filter(|(key, _)| {
                matches!(
                    index.stack(*key).layer,
                    Layer::Workloads | Layer::Observability
                )
            })
            .collect();
        for (key, resource) in services {
            self.service(key, resource);
        }
    }

    fn service(&mut self, key: Key, resource: &landfall_graph::Resource) {
        let index = self.index;
        let s = key.0;
        let p = &resource.properties;
        let name = p
            .get("ServiceName")
            .and_then(Value::as_str)
            .unwrap_or(&resource.logical_id)
            .to_owned();
        let tags = p.get("Tags").cloned().unwrap_or(Value::Null);
        let environment = tag(&tags, "landfall:environment").map(str::to_owned);
        let domain = tag(&tags, "landfall:domain").map(str::to_owned);
        let at = self
            .input
            .model
            .services
            .iter()
            .find(|svc| {
                svc.name == name
                    && domain
                        .as_deref()
                        .is_none_or(|d| self.input.model.domain(svc.domain).name == d)
            })
            .map(|svc| svc.origin.clone())
            // A service of the platform's own (the remediation service).
            .or_else(|| resource.origin.clone());
        // A task in the host's network (a daemon) has none of its own.
        let awsvpc = p
            .get("NetworkConfiguration")
            .and_then(|n| n.get("AwsvpcConfiguration"))
            .unwrap_or(&Value::Null);
        let task = Consumer {
            groups: self.keys(s, awsvpc.get("SecurityGroups")),
            subnets: self.keys(s, awsvpc.get("Subnets")),
        };
        let what = format!(
            "service `{name}`{}",
            environment
                .as_deref()
                .map(|e| format!(" ({e}, {})", region_of(index, key)))
                .unwrap_or_default()
        );
        let definition = p
            .get("TaskDefinition")
            .and_then(|v| index.resource_of(s, v))
            .map(|k| index.resource(k));
        let on_ec2 = definition.is_some_and(|d| {
            d.properties
                .get("RequiresCompatibilities")
                .and_then(Value::as_array)
                .is_some_and(|c| c.iter().any(|v| v == "EC2"))
        });
        // Image pulls, logs and secrets: the task's ENI on Fargate 1.4, the
        // container instance on EC2.
        let mut agent_needs: Vec<Need> = IMAGE_PULL
            .iter()
            .map(|service| Need {
                service: (*service).to_owned(),
                why: "image pulls",
                page: pages::FARGATE_PV14,
            })
            .collect();
        let mut task_needs: Vec<Need> = Vec::new();
        let mut secrets: Vec<Key> = Vec::new();
        // Only a task that runs the metrics agent writes to vminsert.
        let metrics_agent = definition.is_some_and(|d| {
            d.properties
                .get("ContainerDefinitions")
                .and_then(Value::as_array)
                .is_some_and(|c| {
                    c.iter().any(|c| {
                        c.get("Name").and_then(Value::as_str)
                            == Some(landfall_model::sidecars::METRICS_AGENT.container)
                    })
                })
        });
        if let Some(d) = definition {
            agent_needs.extend(definition_needs(index, s, d));
            task_needs.extend(role_needs(index, s, d));
            secrets = task_secrets(index, s, d);
            if !secrets.is_empty() {
                agent_needs.push(Need {
                    service: "secretsmanager".into(),
                    why: "secrets of its task definition",
                    page: pages::SECRETS,
                });
            }
        }
        let agent = if on_ec2 {
            let mut host = Consumer::default();
            for cp in self.capacity_providers(s, p) {
                let h = self.capacity_host(cp);
                host.groups.extend(h.groups);
                host.subnets.extend(h.subnets);
            }
            host.groups.sort_unstable();
            host.groups.dedup();
            host.subnets.sort_unstable();
            host.subnets.dedup();
            host
        } else {
            task.clone()
        };
        // In the host's network a task is its host: it leaves through the
        // container instances' groups and subnets.
        let host_network = definition.is_some_and(|d| {
            d.properties.get("NetworkMode").and_then(Value::as_str) == Some("host")
        });
        let task = if host_network { agent.clone() } else { task };
        let mut missing: BTreeMap<String, (String, &'static str)> = BTreeMap::new();
        for need in &agent_needs {
            if let Err(hop) = self.reach(&agent, &need.service) {
                missing
                    .entry(need.service.clone())
                    .or_insert((format!("{} ({})", hop, need.why), need.page));
            }
        }
        for need in &task_needs {
            if let Err(hop) = self.reach(&task, &need.service) {
                missing
                    .entry(need.service.clone())
                    .or_insert((format!("{} ({})", hop, need.why), need.page));
            }
        }
        for (service, (hop, page)) in missing {
            self.finding(
                key,
                format!("{what} cannot reach `{service}`: {hop}"),
                format!("open the hop named (see {page})"),
                at.clone(),
            );
        }
        for (target, port, hop) in self.dependencies(&task) {
            self.finding(
                key,
                format!(
                    "{what} cannot reach its dependency {} on port {port}: {hop}",
                    index.name(target)
                ),
                format!(
                    "allow the port at both ends (see {})",
                    pages::SECURITY_GROUPS
                ),
                at.clone(),
            );
        }
        for (cluster, hop) in self.scram_brokers(&secrets, &task) {
            self.finding(
                key,
                format!(
                    "{what} cannot reach the brokers of MSK cluster {} on port {MSK_SCRAM_PORT}, where its task's SASL/SCRAM credentials sign in: {hop}",
                    index.name(cluster)
                ),
                format!(
                    "allow TCP {MSK_SCRAM_PORT} out of the task's group to the brokers' group or subnets, and into the brokers' group from the task's group or subnets (see {} and {})",
                    pages::MSK_PORTS,
                    pages::MSK_SCRAM
                ),
                at.clone(),
            );
        }
        if let Some(Err(hop)) = metrics_agent.then(|| self.telegraf(&task)) {
            self.finding(
                key,
                format!(
                    "{what}: its Telegraf {} cannot reach vminsert on port {}: {hop}",
                    if host_network {
                        "host daemon"
                    } else {
                        "sidecar"
                    },
                    landfall_synth::layers::monitoring::VMINSERT_PORT
                ),
                format!(
                    "allow the port at both ends (see {})",
                    pages::SECURITY_GROUPS
                ),
                at.clone(),
            );
        }
        self.nothing_else(key, &what, &task, environment.as_deref(), at);
    }

    /// For each MSK cluster a task signs in to with SASL/SCRAM (a secret of
    /// its task definition is associated with the cluster by an
    /// `AWS::MSK::BatchScramSecret`): the first hop missing on the way to
    /// the brokers on 9096.
    fn scram_brokers(&self, secrets: &[Key], task: &Consumer) -> Vec<(Key, String)> {
        let index = self.index;
        let mut out = Vec::new();
        if secrets.is_empty() {
            return out;
        }
        let mut clusters: Vec<Key> = Vec::new();
        for (association, r) in index.of_type("AWS::MSK::BatchScramSecret") {
            let associated = r
                .properties
                .get("SecretArnList")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| index.resource_of(association.0, v))
                .any(|secret| secrets.contains(&secret));
            if let Some(cluster) = r
                .properties
                .get("ClusterArn")
                .and_then(|v| index.resource_of(association.0, v))
            {
                if associated && !clusters.contains(&cluster) {
                    clusters.push(cluster);
                }
            }
        }
        for cluster in clusters {
            let info = &index.resource(cluster).properties.at("BrokerNodeGroupInfo");
            let groups = self.keys(cluster.0, info.get("SecurityGroups"));
            let subnets = self.keys(cluster.0, info.get("ClientSubnets"));
            let cidrs = self.cidrs(&subnets);
            let task_groups = self.group_names(&task.groups);
            if self.vpc_of(task)
                != self.vpc_of(&Consumer {
                    groups: Vec::new(),
                    subnets,
                })
            {
                out.push((
                    cluster,
                    "the brokers are in another VPC than the task".into(),
                ));
            } else if !self.egress_reaches(&task.groups, MSK_SCRAM_PORT, &groups, &cidrs) {
                out.push((
                    cluster,
                    format!("security group {task_groups} has no egress on {MSK_SCRAM_PORT} to the brokers' group {} or subnets", self.group_names(&groups)),
                ));
            } else if !self.ingress_allows(&groups, MSK_SCRAM_PORT, task) {
                out.push((
                    cluster,
                    format!("the brokers' group {} has no ingress on {MSK_SCRAM_PORT} from {task_groups} or the task's subnets", self.group_names(&groups)),
                ));
            }
        }
        out
    }

    /// The container instances behind a capacity provider: the launch
    /// template's groups and the Auto Scaling group's subnets.
    /// The capacity providers a service's tasks run on: its strategy's, or
    /// (a service with the EC2 launch type, e.g. a daemon) every provider
    /// of its cluster associated in the same stack.
    fn capacity_providers(&self, s: usize, service: &serde_json::Map<String, Value>) -> Vec<Key> {
        let index = self.index;
        let listed = |items: Option<&Value>, field: Option<&str>| -> Vec<Key> {
            items
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|entry| match field {
                    Some(f) => entry.get(f),
                    None => Some(entry),
                })
                .filter_map(|v| index.resource_of(s, v))
                .collect()
        };
        let strategy = listed(
            service.get("CapacityProviderStrategy"),
            Some("CapacityProvider"),
        );
        if !strategy.is_empty() {
            return strategy;
        }
        let cluster = service.get("Cluster");
        index
            .of_type("AWS::ECS::ClusterCapacityProviderAssociations")
            .filter(|(key, r)| key.0 == s && r.properties.get("Cluster") == cluster)
            .flat_map(|(_, r)| listed(r.properties.get("CapacityProviders"), None))
            .filter(|cp| index.resource(*cp).kind == "AWS::ECS::CapacityProvider")
            .collect()
    }

    fn capacity_host(&self, provider: Key) -> Consumer {
        let index = self.index;
        let s = provider.0;
        let cp = index.resource(provider);
        let Some(asg) = cp
            .properties
            .at("AutoScalingGroupProvider")
            .get("AutoScalingGroupArn")
            .and_then(|v| index.resource_of(s, v))
        else {
            return Consumer::default();
        };
        let asg_props = &index.resource(asg).properties;
        let subnets = self.keys(asg.0, asg_props.get("VPCZoneIdentifier"));
        let groups = asg_props
            .get("LaunchTemplate")
            .and_then(|lt| lt.get("LaunchTemplateId"))
            .and_then(|v| index.resource_of(asg.0, v))
            .map(|lt| {
                self.keys(
                    lt.0,
                    index
                        .resource(lt)
                        .properties
                        .at("LaunchTemplateData")
                        .get("SecurityGroupIds"),
                )
            })
            .unwrap_or_default();
        Consumer { groups, subnets }
    }

    // ----- hosts -----

    /// ECS container instances, per stack: the agent's endpoints and
    /// Session Manager's.
    fn hosts(&mut self) {
        let index = self.index;
        let mut by_stack: BTreeMap<usize, (Key, Consumer)> = BTreeMap::new();
        for (key, _) in index.of_type("AWS::ECS::CapacityProvider") {
            let host = self.capacity_host(key);
            let entry = by_stack.entry(key.0).or_insert((key, Consumer::default()));
            entry.1.groups.extend(host.groups);
            entry.1.subnets.extend(host.subnets);
        }
        for (_, (key, mut host)) in by_stack {
            host.groups.sort_unstable();
            host.groups.dedup();
            host.subnets.sort_unstable();
            host.subnets.dedup();
            if host.subnets.is_empty() {
                continue;
            }
            let what = format!(
                "the ECS container instances of stack `{}` ({})",
                index.stack(key).name,
                region_of(index, key)
            );
            for (service, page) in HOST_ENDPOINTS {
                if let Err(hop) = self.reach(&host, service) {
                    self.finding(
                        key,
                        format!("{what} cannot reach `{service}`: {hop}"),
                        format!("open the hop named (see {page})"),
                        None,
                    );
                }
            }
        }
    }

    // ----- paths -----

    fn vpc_of(&self, consumer: &Consumer) -> Option<Key> {
        consumer
            .subnets
            .iter()
            .find_map(|s| self.net.subnets.get(s).and_then(|s| s.vpc))
    }

    fn cidrs(&self, subnets: &[Key]) -> Vec<Ipv4Net> {
        subnets
            .iter()
            .filter_map(|s| self.net.subnets.get(s).and_then(|s| s.cidr))
            .collect()
    }

    /// Whether some group of `groups` lets TCP `port` out to `peer_ok`
    /// (a group without declared egress lets everything out).
    fn egress_allows(&self, groups: &[Key], port: i64, peer_ok: &dyn Fn(&Peer) -> bool) -> bool {
        groups.iter().any(|g| match self.net.groups.get(g) {
            Some(group) if group.egress_declared => group
                .egress
                .iter()
                .any(|r| r.allows_tcp(port) && peer_ok(&r.peer)),
            _ => true,
        })
    }

    /// Whether the consumer's groups let TCP `port` out to a target: to one
    /// of its groups, or to ranges that together hold every subnet it has
    /// addresses in.
    fn egress_reaches(
        &self,
        groups: &[Key],
        port: i64,
        targets: &[Key],
        cidrs: &[Ipv4Net],
    ) -> bool {
        if self.egress_allows(
            groups,
            port,
            &|peer| matches!(peer, Peer::Group(g) if targets.contains(g)),
        ) {
            return true;
        }
        !cidrs.is_empty()
            && cidrs.iter().all(|target| {
                self.egress_allows(
                    groups,
                    port,
                    &|peer| matches!(peer, Peer::Cidr(c) if c.contains(target)),
                )
            })
    }

    /// Whether some group of `targets` lets TCP `port` in from the
    /// consumer: its group, or ranges that together hold every subnet it
    /// runs in.
    fn ingress_allows(&self, targets: &[Key], port: i64, consumer: &Consumer) -> bool {
        let rules = || {
            targets
                .iter()
                .filter_map(|g| self.net.groups.get(g))
                .flat_map(|group| group.ingress.iter())
                .filter(|r| r.allows_tcp(port))
        };
        if rules().any(|r| matches!(&r.peer, Peer::Group(k) if consumer.groups.contains(k))) {
            return true;
        }
        let sources = self.cidrs(&consumer.subnets);
        !sources.is_empty()
            && sources
                .iter()
                .all(|s| rules().any(|r| matches!(&r.peer, Peer::Cidr(c) if c.contains(s))))
    }

    /// Whether the consumer reaches an AWS service on 443; the first hop
    /// missing otherwise.
    fn reach(&self, consumer: &Consumer, service: &str) -> Result<(), String> {
        let Some(vpc) = self.vpc_of(consumer) else {
            return Err("its subnets are not found in the network layer".into());
        };
        let endpoints = self.net.endpoints.get(&vpc).map_or(&[][..], Vec::as_slice);
        let groups = self.group_names(&consumer.groups);
        if let Some(endpoint) = endpoints
            .iter()
            .find(|e| e.service == service && !e.gateway)
        {
            if !endpoint.private_dns {
                return Err(format!(
                    "the `{service}` endpoint {} has private DNS off, so the service's name resolves to public addresses",
                    self.index.name(endpoint.key)
                ));
            }
            let endpoint_cidrs = self.cidrs(&endpoint.subnets);
            let out =
                self.egress_reaches(&consumer.groups, HTTPS, &endpoint.groups, &endpoint_cidrs);
            if !out {
                return Err(format!(
                    "security group {groups} has no egress on 443 to the `{service}` endpoint's group or subnets"
                ));
            }
            if !self.ingress_allows(&endpoint.groups, HTTPS, consumer) {
                return Err(format!(
                    "the `{service}` endpoint's group {} has no ingress on 443 from {groups} or its subnets",
                    self.group_names(&endpoint.groups)
                ));
            }
            return Ok(());
        }
        if let Some(endpoint) = endpoints.iter().find(|e| e.service == service && e.gateway) {
            for subnet in &consumer.subnets {
                let table = self.net.subnets.get(subnet).and_then(|s| s.route_table);
                if !table.is_some_and(|t| endpoint.route_tables.contains(&t)) {
                    return Err(format!(
                        "the route table of subnet {} has no route to the `{service}` gateway endpoint",
                        self.index.name(*subnet)
                    ));
                }
            }
            let out = self.egress_allows(&consumer.groups, HTTPS, &|peer| match peer {
                Peer::PrefixList(list) => list.as_deref().is_none_or(|l| l == service),
                Peer::Cidr(c) => c.prefix_len() == 0,
                _ => false,
            });
            if !out {
                return Err(format!(
                    "security group {groups} has no egress on 443 to the `{service}` prefix list (where the gateway endpoint routes)"
                ));
            }
            return Ok(());
        }
        // No endpoint: out through the internet, if a route and the
        // firewall's allow-list let it.
        let region = region_of(self.index, vpc);
        let host = format!("{service}.{region}.amazonaws.com");
        let no_endpoint = format!("no `{service}` endpoint in VPC {}", self.index.name(vpc));
        for subnet in &consumer.subnets {
            let routes = self.net.subnet_routes(*subnet);
            let Some(route) = Network::route_for(routes, Ipv4Net::default()) else {
                return Err(format!(
                    "{no_endpoint}, and subnet {} has no route out",
                    self.index.name(*subnet)
                ));
            };
            match &route.hop {
                Hop::Nat(_) => {}
                Hop::Firewall(fw) => {
                    let allowed = self
                        .net
                        .firewalls
                        .get(fw)
                        .is_some_and(|f| f.allow_domains.iter().any(|d| domain_matches(d, &host)));
                    if !allowed {
                        return Err(format!(
                            "{no_endpoint}, and `{host}` is not on the egress allow-list of firewall {}",
                            self.index.name(*fw)
                        ));
                    }
                }
                _ => {
                    return Err(format!(
                        "{no_endpoint}, and subnet {} routes the internet nowhere a private address can use",
                        self.index.name(*subnet)
                    ))
                }
            }
        }
        let out = self.egress_allows(
            &consumer.groups,
            HTTPS,
            &|peer| matches!(peer, Peer::Cidr(c) if c.prefix_len() == 0),
        );
        if !out {
            return Err(format!(
                "{no_endpoint}, and security group {groups} has no egress on 443 to the internet"
            ));
        }
        Ok(())
    }

    /// The consumer's declared dependencies (egress rules to other groups)
    /// that the other end does not let in: (target, port, hop).
    fn dependencies(&self, task: &Consumer) -> Vec<(Key, i64, String)> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        for g in &task.groups {
            let Some(group) = self.net.groups.get(g) else {
                continue;
            };
            for rule in &group.egress {
                let Peer::Group(target) = rule.peer else {
                    continue;
                };
                if task.groups.contains(&target) || !seen.insert((target, rule.from)) {
                    continue;
                }
                if !self.ingress_allows(&[target], rule.from, task) {
                    out.push((
                        target,
                        rule.from,
                        format!(
                            "its group {} has no ingress on {} from {} or the task's subnets",
                            self.index.name(target),
                            rule.from,
                            self.group_names(&task.groups)
                        ),
                    ));
                }
            }
        }
        out
    }

    /// What a task must not reach: the internet from every port, or the
    /// internet at all where its environment blocks egress.
    fn nothing_else(
        &mut self,
        key: Key,
        what: &str,
        task: &Consumer,
        environment: Option<&str>,
        at: Option<landfall_spec::Pointer>,
    ) {
        for g in &task.groups {
            let Some(group) = self.net.groups.get(g) else {
                continue;
            };
            let open = !group.egress_declared
                || group.egress.iter().any(|r| {
                    r.all_ports() && matches!(r.peer, Peer::Cidr(c) if c.prefix_len() == 0)
                });
            if open {
                self.finding(
                    key,
                    format!(
                        "{what} may send anything anywhere: security group {} allows egress on every port to 0.0.0.0/0",
                        self.index.name(*g)
                    ),
                    format!(
                        "declare egress to its dependencies and the VPC endpoints only (see {})",
                        pages::SECURITY_GROUPS
                    ),
                    at.clone(),
                );
            }
        }
        let blocked = environment.is_some_and(|e| {
            self.input
                .model
                .environments
                .iter()
                .any(|env| env.name == e && env.egress.mode == EgressMode::Blocked)
        });
        if blocked {
            let leaking: Vec<String> = task
                .subnets
                .iter()
                .filter(|subnet| {
                    self.net
                        .subnet_routes(**subnet)
                        .iter()
                        .any(|r| r.destination.is_some_and(|d| d.prefix_len() == 0))
                })
                .map(|subnet| self.index.name(*subnet))
                .collect();
            if !leaking.is_empty() {
                self.finding(
                    key,
                    format!(
                        "{what} has a route to the internet from subnet {}, and `{}` blocks egress",
                        leaking.join(", "),
                        environment.unwrap_or_default()
                    ),
                    "remove the default route of the subnets' route table; reach AWS through VPC endpoints".into(),
                    at,
                );
            }
        }
    }

    // ----- the firewall's return path -----

    /// For every subnet whose internet traffic goes through a firewall
    /// endpoint and on to a NAT gateway: the NAT gateway's route table
    /// must send the replies back through the same AZ's firewall endpoint.
    /// One finding per VPC and AZ.
    fn symmetric_firewall_routes(&mut self) {
        let index = self.index;
        let mut missing: BTreeMap<(Key, String), (Key, Vec<Ipv4Net>)> = BTreeMap::new();
        let mut subnets: Vec<(&Key, &network::Subnet)> = self.net.subnets.iter().collect();
        subnets.sort_by_key(|(k, _)| **k);
        for (key, subnet) in subnets {
            let (Some(cidr), Some(_)) = (subnet.cidr, subnet.vpc) else {
                continue;
            };
            let routes = self.net.subnet_routes(*key);
            let Some(Hop::Firewall(fw)) =
                Network::route_for(routes, Ipv4Net::default()).map(|r| &r.hop)
            else {
                continue;
            };
            let Some(firewall) = self.net.firewalls.get(fw) else {
                continue;
            };
            let Some(fw_subnet) = firewall.subnet else {
                continue;
            };
            let fw_routes = self.net.subnet_routes(fw_subnet);
            let Some(Hop::Nat(nat)) =
                Network::route_for(fw_routes, Ipv4Net::default()).map(|r| &r.hop)
            else {
                continue;
            };
            let back = self
                .net
                .nat_routes
                .get(nat)
                .and_then(|r| Network::route_for(r, cidr))
                .map(|r| &r.hop);
            let symmetric = matches!(back, Some(Hop::Firewall(f)) if self.same_az(*f, &subnet.az));
            if !symmetric {
                missing
                    .entry((*nat, subnet.az.clone()))
                    .or_insert((*fw, Vec::new()))
                    .1
                    .push(cidr);
            }
        }
        for ((nat, az), (fw, cidrs)) in missing {
            let list: Vec<String> = cidrs.iter().map(|c| format!("`{c}`")).collect();
            self.finding(
                nat,
                format!(
                    "replies to {} in {az} come back from NAT gateway {} without passing firewall {}: the NAT gateway's route table has no route for them through the firewall endpoint of {az}, and the stateful firewall drops what it sees one way only",
                    list.join(", "),
                    index.name(nat),
                    index.name(fw)
                ),
                format!(
                    "add a route per protected CIDR to the NAT gateway's route table (`RouteTableId` of a regional NAT gateway) through the firewall endpoint of the same AZ (see {} and {})",
                    pages::ASYMMETRIC,
                    pages::REGIONAL_NAT
                ),
                None,
            );
        }
    }

    fn same_az(&self, firewall: Key, az: &str) -> bool {
        self.net
            .firewalls
            .get(&firewall)
            .and_then(|f| f.subnet)
            .and_then(|s| self.net.subnets.get(&s))
            .is_some_and(|s| s.az == az)
    }
}

fn region_of(index: &Index<'_>, key: Key) -> String {
    match &index.stack(key).target {
        landfall_graph::Target::Account { region, .. } => region.clone(),
        landfall_graph::Target::StackSet(_) => String::new(),
    }
}

/// What a task definition's containers need the agent to reach: CloudWatch
/// Logs for `awslogs`, Secrets Manager or SSM for secrets.
fn definition_needs(
    index: &Index<'_>,
    stack: usize,
    definition: &landfall_graph::Resource,
) -> Vec<Need> {
    let mut out = Vec::new();
    let containers = definition
        .properties
        .get("ContainerDefinitions")
        .and_then(Value::as_array);
    for container in containers.into_iter().flatten() {
        if container["LogConfiguration"]["LogDriver"] == "awslogs" {
            out.push(Need {
                service: "logs".into(),
                why: "the awslogs log driver",
                page: pages::FARGATE_PV14,
            });
        }
        for secret in container
            .get("Secrets")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let from = serde_json::to_string(&secret["ValueFrom"]).unwrap_or_default();
            // A secret of the same stack, by reference (its ARN).
            let own_secret = index
                .resource_of(stack, &secret["ValueFrom"])
                .is_some_and(|k| index.resource(k).kind == "AWS::SecretsManager::Secret");
            let service = if own_secret || from.contains(":secretsmanager:") {
                "secretsmanager"
            } else if from.contains(":ssm:") || from.contains("parameter/") {
                "ssm"
            } else {
                continue;
            };
            out.push(Need {
                service: service.into(),
                why: "secrets of its task definition",
                page: pages::SECRETS,
            });
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The Secrets Manager secrets of the graph a task definition's containers
/// get as secrets (by reference: a parameter filled with another stack's
/// secret, `${Secret}:key::`).
fn task_secrets(
    index: &Index<'_>,
    stack: usize,
    definition: &landfall_graph::Resource,
) -> Vec<Key> {
    let mut out = Vec::new();
    let containers = definition
        .properties
        .get("ContainerDefinitions")
        .and_then(Value::as_array);
    for container in containers.into_iter().flatten() {
        for secret in container
            .get("Secrets")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for key in index.substituted(stack, &secret["ValueFrom"]) {
                if index.resource(key).kind == "AWS::SecretsManager::Secret" && !out.contains(&key)
                {
                    out.push(key);
                }
            }
        }
    }
    out
}

/// What a task role's actions call from inside the task (statements only
/// reachable through another service, `kms:ViaService`, are that service's
/// calls, not the task's).
fn role_needs(index: &Index<'_>, stack: usize, definition: &landfall_graph::Resource) -> Vec<Need> {
    let mut out = Vec::new();
    let Some(role) = definition
        .properties
        .get("TaskRoleArn")
        .and_then(|v| index.resource_of(stack, v))
    else {
        return out;
    };
    // The task role's own calls, and those of the roles of its stack it
    // assumes (their trust names it): Grafana reads CloudWatch that way.
    let mut roles = vec![role];
    let mut assumed_elsewhere = Vec::new();
    for (i, r) in index.stack(role).resources.iter().enumerate() {
        let other = (role.0, i);
        if r.kind == "AWS::IAM::Role"
            && other != role
            && r.properties
                .get("AssumeRolePolicyDocument")
                .is_some_and(|trust| {
                    index
                        .mentioned(role.0, trust)
                        .iter()
                        .any(|(k, _)| *k == role)
                })
        {
            roles.push(other);
        }
    }
    // And roles of other stacks (other accounts) that admit it by its ARN
    // (`aws:PrincipalArn`): the remediation service acts in the
    // organization's accounts as their remediation role, but its calls
    // leave from its own task, through its own VPC. Matched by path and
    // name, not account (the ARN's account is a parameter): a same-named
    // role elsewhere would only ask for more endpoints, never fewer.
    let task_role = &index.resource(role).properties;
    if let Some(name) = task_role.get("RoleName").and_then(Value::as_str) {
        let path = task_role.get("Path").and_then(Value::as_str).unwrap_or("/");
        for &other in index.roles_trusting(&format!("{path}{name}")) {
            if other != role && !roles.contains(&other) {
                roles.push(other);
                assumed_elsewhere.push(other);
            }
        }
    }
    let policies = roles.iter().flat_map(|role| {
        let why = if assumed_elsewhere.contains(role) {
            "actions of a role of another account it assumes"
        } else {
            "actions of its task role"
        };
        index
            .resource(*role)
            .properties
            .get("Policies")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(move |policy| (policy, why))
    });
    for (policy, why) in policies {
        let statements = match &policy["PolicyDocument"]["Statement"] {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        for statement in &statements {
            if statement["Effect"] != "Allow" {
                continue;
            }
            let via_service = serde_json::to_string(&statement["Condition"])
                .unwrap_or_default()
                .contains("kms:ViaService");
            let actions: Vec<&str> = match &statement["Action"] {
                Value::String(a) => vec![a.as_str()],
                Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            for action in actions {
                let Some((prefix, _)) = action.split_once(':') else {
                    continue;
                };
                if prefix == "kms" && via_service {
                    continue;
                }
                if let Some((_, service)) = ACTION_ENDPOINTS.iter().find(|(p, _)| *p == prefix) {
                    out.push(Need {
                        service: (*service).into(),
                        why,
                        page: if matches!(*service, "s3" | "dynamodb") {
                            pages::GATEWAY_ENDPOINTS
                        } else {
                            pages::ECS_ENDPOINTS
                        },
                    });
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}
