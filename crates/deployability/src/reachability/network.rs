//! The network as the graph declares it: security groups and their rules,
//! subnets and their route tables, VPC endpoints, NAT gateways and
//! firewalls, built once from every stack.

use std::collections::{BTreeMap, HashMap};

use ipnet::Ipv4Net;
use landfall_graph::ParameterValue;
use serde_json::Value;

use super::index::{Index, Key, Properties, Resolved};

/// An IP protocol of a rule; `All` is `-1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    All,
    Tcp,
    Other,
}

/// Who a rule lets traffic go to (egress) or come from (ingress).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peer {
    Cidr(Ipv4Net),
    Group(Key),
    /// A prefix list, by what it was found to be: the AWS service whose
    /// managed list it is (`s3`, `dynamodb`) when that can be told offline.
    PrefixList(Option<String>),
    /// A peer that cannot be told offline (an id only AWS knows).
    Unknown,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub protocol: Protocol,
    pub from: i64,
    pub to: i64,
    pub peer: Peer,
}

impl Rule {
    /// Whether the rule lets TCP on `port` through.
    pub fn allows_tcp(&self, port: i64) -> bool {
        match self.protocol {
            Protocol::All => true,
            Protocol::Tcp => self.from <= port && port <= self.to,
            Protocol::Other => false,
        }
    }

    /// Whether the rule opens every port of every protocol, or every TCP
    /// port.
    pub fn all_ports(&self) -> bool {
        self.protocol == Protocol::All
            || (self.protocol == Protocol::Tcp && self.from <= 0 && self.to >= 65535)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Group {
    pub ingress: Vec<Rule>,
    pub egress: Vec<Rule>,
    /// Whether the template declares egress rules at all (CloudFormation
    /// gives a group without any the allow-all rule).
    pub egress_declared: bool,
}

#[derive(Debug, Clone)]
pub struct Subnet {
    pub vpc: Option<Key>,
    pub cidr: Option<Ipv4Net>,
    pub az: String,
    pub route_table: Option<Key>,
}

/// Where a route sends traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hop {
    InternetGateway,
    Nat(Key),
    /// A Network Firewall's endpoint (the firewall resource).
    Firewall(Key),
    Other,
}

#[derive(Debug, Clone)]
pub struct Route {
    pub destination: Option<Ipv4Net>,
    pub hop: Hop,
}

#[derive(Debug, Clone)]
pub struct Endpoint {
    pub key: Key,
    /// `ecr.dkr`, `s3`, ... (what follows `com.amazonaws.<region>.`).
    pub service: String,
    pub gateway: bool,
    pub private_dns: bool,
    pub subnets: Vec<Key>,
    pub groups: Vec<Key>,
    pub route_tables: Vec<Key>,
}

#[derive(Debug, Clone)]
pub struct Firewall {
    pub subnet: Option<Key>,
    /// Domains its policy's stateful allow-lists let through.
    pub allow_domains: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Network {
    pub groups: HashMap<Key, Group>,
    pub subnets: HashMap<Key, Subnet>,
    pub vpcs: HashMap<Key, Option<Ipv4Net>>,
    pub routes: HashMap<Key, Vec<Route>>,
    /// Routes of each regional NAT gateway's own route table (the table
    /// replies from the internet are routed by).
    pub nat_routes: HashMap<Key, Vec<Route>>,
    /// NAT gateways by VPC.
    pub nats: BTreeMap<Key, Vec<Key>>,
    pub endpoints: BTreeMap<Key, Vec<Endpoint>>,
    pub firewalls: HashMap<Key, Firewall>,
}

/// The service part of `com.amazonaws.<region>.<service>`.
pub fn endpoint_service(name: &str) -> Option<&str> {
    // An endpoint service of the platform's own (`com.amazonaws.vpce.<region>.vpce-svc-...`)
    // is no AWS service; `reachability::remediation` follows it.
    if name.starts_with("com.amazonaws.vpce.") {
        return None;
    }
    let rest = name.strip_prefix("com.amazonaws.")?;
    let (_, service) = rest.split_once('.')?;
    Some(service)
}

fn port(value: Option<&Value>) -> i64 {
    match value {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(-1),
        Some(Value::String(s)) => s.parse().unwrap_or(-1),
        _ => -1,
    }
}

fn literal(index: &Index<'_>, stack: usize, value: Option<&Value>) -> Option<String> {
    match value.map(|v| index.resolve(stack, v)) {
        Some(Resolved::Literal(s)) => Some(s),
        _ => None,
    }
}

fn keys(index: &Index<'_>, stack: usize, value: Option<&Value>) -> Vec<Key> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| index.resource_of(stack, v))
                .collect()
        })
        .unwrap_or_default()
}

impl Network {
    pub fn build(index: &Index<'_>) -> Self {
        let mut net = Network::default();
        for (s, stack) in index.graph.stacks.iter().enumerate() {
            for (i, r) in stack.resources.iter().enumerate() {
                let key = (s, i);
                let p = &r.properties;
                match r.kind.as_str() {
                    "AWS::EC2::VPC" => {
                        let cidr =
                            literal(index, s, p.get("CidrBlock")).and_then(|c| c.parse().ok());
                        net.vpcs.insert(key, cidr);
                    }
                    "AWS::EC2::SecurityGroup" => {
                        let group = net.groups.entry(key).or_default();
                        if let Some(rules) = p.get("SecurityGroupIngress").and_then(Value::as_array)
                        {
                            group
                                .ingress
                                .extend(rules.iter().map(|r| rule(index, s, r, false)));
                        }
                        if let Some(rules) = p.get("SecurityGroupEgress").and_then(Value::as_array)
                        {
                            group.egress_declared = true;
                            group
                                .egress
                                .extend(rules.iter().map(|r| rule(index, s, r, true)));
                        }
                    }
                    "AWS::EC2::SecurityGroupIngress" | "AWS::EC2::SecurityGroupEgress" => {
                        let Some(target) = p.get("GroupId").and_then(|g| index.resource_of(s, g))
                        else {
                            continue;
                        };
                        let egress = r.kind.ends_with("Egress");
                        let value = Value::Object(p.clone());
                        let parsed = rule(index, s, &value, egress);
                        let group = net.groups.entry(target).or_default();
                        if egress {
                            group.egress_declared = true;
                            group.egress.push(parsed);
                        } else {
                            group.ingress.push(parsed);
                        }
                    }
                    "AWS::EC2::Subnet" => {
                        let subnet = Subnet {
                            vpc: p.get("VpcId").and_then(|v| index.resource_of(s, v)),
                            cidr: literal(index, s, p.get("CidrBlock"))
                                .and_then(|c| c.parse().ok()),
                            az: literal(index, s, p.get("AvailabilityZone")).unwrap_or_default(),
                            route_table: None,
                        };
                        let old = net.subnets.insert(key, subnet);
                        if let Some(table) = old.and_then(|o| o.route_table) {
                            if let Some(sn) = net.subnets.get_mut(&key) {
                                sn.route_table = Some(table);
                            }
                        }
                    }
                    "AWS::EC2::NatGateway" => {
                        if let Some(vpc) = p.get("VpcId").and_then(|v| index.resource_of(s, v)) {
                            net.nats.entry(vpc).or_default().push(key);
                        }
                    }
                    "AWS::EC2::VPCEndpoint" => {
                        let name = literal(index, s, p.get("ServiceName")).unwrap_or_default();
                        let Some(service) = endpoint_service(&name) else {
                            continue;
                        };
                        let vpc = p.get("VpcId").and_then(|v| index.resource_of(s, v));
                        let gateway =
                            p.get("VpcEndpointType").and_then(Value::as_str) == Some("Gateway");
                        let endpoint = Endpoint {
                            key,
                            service: service.to_owned(),
                            gateway,
                            private_dns: p.get("PrivateDnsEnabled").and_then(Value::as_bool)
                                == Some(true),
                            subnets: keys(index, s, p.get("SubnetIds")),
                            groups: keys(index, s, p.get("SecurityGroupIds")),
                            route_tables: keys(index, s, p.get("RouteTableIds")),
                        };
                        if let Some(vpc) = vpc {
                            net.endpoints.entry(vpc).or_default().push(endpoint);
                        }
                    }
                    "AWS::NetworkFirewall::Firewall" => {
                        let subnet = p
                            .get("SubnetMappings")
                            .and_then(Value::as_array)
                            .and_then(|m| m.first())
                            .and_then(|m| m.get("SubnetId"))
                            .and_then(|v| index.resource_of(s, v));
                        let allow_domains = p
                            .get("FirewallPolicyArn")
                            .and_then(|v| index.resource_of(s, v))
                            .map(|policy| allowed_domains(index, policy))
                            .unwrap_or_default();
                        net.firewalls.insert(
                            key,
                            Firewall {
                                subnet,
                                allow_domains,
                            },
                        );
                    }
                    _ => {}
                }
            }
        }
        // Second pass: what refers to the resources found above.
        for (s, stack) in index.graph.stacks.iter().enumerate() {
            for r in &stack.resources {
                let p = &r.properties;
                match r.kind.as_str() {
                    "AWS::EC2::SubnetRouteTableAssociation" => {
                        let subnet = p.get("SubnetId").and_then(|v| index.resource_of(s, v));
                        let table = p.get("RouteTableId").and_then(|v| index.resource_of(s, v));
                        if let (Some(subnet), Some(table)) = (subnet, table) {
                            if let Some(sn) = net.subnets.get_mut(&subnet) {
                                sn.route_table = Some(table);
                            }
                        }
                    }
                    "AWS::EC2::Route" => {
                        let Some(table) = p.get("RouteTableId").map(|v| index.resolve(s, v)) else {
                            continue;
                        };
                        let destination = literal(index, s, p.get("DestinationCidrBlock"))
                            .and_then(|c| c.parse().ok());
                        let hop = route_hop(index, s, p);
                        let route = Route { destination, hop };
                        match table {
                            // A regional NAT gateway's own route table.
                            Resolved::Resource(nat, Some("RouteTableId")) => {
                                net.nat_routes.entry(nat).or_default().push(route);
                            }
                            Resolved::Resource(table, None) => {
                                net.routes.entry(table).or_default().push(route);
                            }
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
        }
        net
    }

    /// The route a packet to `destination` takes from a route table: the
    /// longest prefix that matches (the VPC's local route wins inside it).
    pub fn route_for(routes: &[Route], destination: Ipv4Net) -> Option<&Route> {
        routes
            .iter()
            .filter(|r| r.destination.is_some_and(|d| d.contains(&destination)))
            .max_by_key(|r| r.destination.map_or(0, |d| d.prefix_len()))
    }

    pub fn subnet_routes(&self, subnet: Key) -> &[Route] {
        self.subnets
            .get(&subnet)
            .and_then(|s| s.route_table)
            .and_then(|t| self.routes.get(&t))
            .map_or(&[][..], Vec::as_slice)
    }
}

fn route_hop(index: &Index<'_>, stack: usize, p: &serde_json::Map<String, Value>) -> Hop {
    if let Some(v) = p.get("GatewayId") {
        return match index.resource_of(stack, v) {
            Some(key) if index.resource(key).kind == "AWS::EC2::InternetGateway" => {
                Hop::InternetGateway
            }
            _ => Hop::Other,
        };
    }
    if let Some(v) = p.get("NatGatewayId") {
        return index.resource_of(stack, v).map_or(Hop::Other, Hop::Nat);
    }
    if let Some(v) = p.get("VpcEndpointId") {
        for (key, attribute) in index.mentioned(stack, v) {
            if attribute == Some("EndpointIds")
                && index.resource(key).kind == "AWS::NetworkFirewall::Firewall"
            {
                return Hop::Firewall(key);
            }
        }
    }
    Hop::Other
}

fn rule(index: &Index<'_>, stack: usize, value: &Value, egress: bool) -> Rule {
    let protocol = match value.get("IpProtocol").map(|v| index.resolve(stack, v)) {
        Some(Resolved::Literal(p)) if p == "-1" || p.eq_ignore_ascii_case("all") => Protocol::All,
        Some(Resolved::Literal(p)) if p.eq_ignore_ascii_case("tcp") || p == "6" => Protocol::Tcp,
        _ => Protocol::Other,
    };
    let (from, to) = match protocol {
        Protocol::All => (0, 65535),
        _ => (port(value.get("FromPort")), port(value.get("ToPort"))),
    };
    let (cidr, group, prefix) = if egress {
        (
            "CidrIp",
            "DestinationSecurityGroupId",
            "DestinationPrefixListId",
        )
    } else {
        ("CidrIp", "SourceSecurityGroupId", "SourcePrefixListId")
    };
    let peer = if let Some(v) = value.get(cidr) {
        match index.resolve(stack, v) {
            Resolved::Literal(c) => c.parse().map_or(Peer::Unknown, Peer::Cidr),
            _ => Peer::Unknown,
        }
    } else if let Some(v) = value.get(group) {
        index
            .resource_of(stack, v)
            .map_or(Peer::Unknown, Peer::Group)
    } else if let Some(v) = value.get(prefix) {
        Peer::PrefixList(prefix_list_service(index, stack, v))
    } else {
        Peer::Unknown
    };
    Rule {
        protocol,
        from,
        to,
        peer,
    }
}

/// The AWS service whose managed prefix list a value names: a parameter
/// the deployer resolves from the list's name (`com.amazonaws.<region>.s3`)
/// or that name itself.
fn prefix_list_service(index: &Index<'_>, stack: usize, value: &Value) -> Option<String> {
    if let Some(Value::String(name)) = value.get("Ref") {
        let parameter = index.graph.stacks[stack]
            .parameters
            .iter()
            .find(|p| p.name == *name);
        if let Some(ParameterValue::ManagedPrefixList(list)) = parameter.map(|p| &p.value) {
            return endpoint_service(list).map(str::to_owned);
        }
    }
    match index.resolve(stack, value) {
        Resolved::Literal(name) => endpoint_service(&name).map(str::to_owned),
        _ => None,
    }
}

/// Domains the stateful allow-list rule groups of a firewall policy let
/// through (`HTTP_HOST`/`TLS_SNI` targets).
fn allowed_domains(index: &Index<'_>, policy: Key) -> Vec<String> {
    let stack = policy.0;
    let mut out = Vec::new();
    let references = index
        .resource(policy)
        .properties
        .at("FirewallPolicy")
        .get("StatefulRuleGroupReferences")
        .and_then(Value::as_array);
    for reference in references.into_iter().flatten() {
        let Some(group) = reference
            .get("ResourceArn")
            .and_then(|v| index.resource_of(stack, v))
        else {
            continue;
        };
        let list =
            &index.resource(group).properties.at("RuleGroup")["RulesSource"]["RulesSourceList"];
        if list.get("GeneratedRulesType").and_then(Value::as_str) != Some("ALLOWLIST") {
            continue;
        }
        if let Some(targets) = list.get("Targets").and_then(Value::as_array) {
            out.extend(targets.iter().filter_map(Value::as_str).map(str::to_owned));
        }
    }
    out
}

/// Whether a Network Firewall domain list entry matches a host name: an
/// entry starting with `.` matches the domain and its subdomains.
pub fn domain_matches(entry: &str, host: &str) -> bool {
    match entry.strip_prefix('.') {
        Some(domain) => host == domain || host.ends_with(entry),
        None => host == entry,
    }
}
