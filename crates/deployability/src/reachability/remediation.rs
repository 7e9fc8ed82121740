//! The remediation webhook's path from every VPC's Alertmanager: the
//! Alertmanager hosts reach their VPC's interface endpoint of the
//! remediation service's endpoint service on 443 (and the name Alertmanager
//! posts to names that endpoint in the VPC); the endpoint service fronts a
//! Network Load Balancer that listens on 443 and forwards to the service's
//! Application Load Balancer (target type `alb`), which listens on 443; the
//! Network Load Balancer's group reaches the Application Load Balancer's,
//! and that one the tasks on the service's port. Across regions the
//! endpoint names the service's region and the service supports the
//! endpoint's; the endpoint's account is allowed to connect. A VPC whose
//! region has a service of its own connects to that one (a service acts
//! on its region's targets only). One finding
//! per VPC and missing hop, naming the hop, located at the spec's
//! `observability.remediation`. The groups are found by their
//! `landfall:remediation` tag.

use landfall_graph::{ParameterValue, Target};
use landfall_synth::layers::heal_service as heal;
use landfall_synth::layers::monitoring as servers;
use serde_json::Value;

use super::index::{Key, Properties};
use super::{pages, region_of, tag, Checker, Consumer};

/// Pages behind the hops.
pub mod pages_of {
    pub const ALB_TARGET: &str =
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/network/application-load-balancer-target.html";
    pub const CROSS_REGION: &str = "https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-share-your-services.html#endpoint-service-cross-region";
    pub const PERMISSIONS: &str = "https://docs.aws.amazon.com/vpc/latest/privatelink/configure-endpoint-service.html#add-remove-permissions";
    pub const NLB_GROUPS: &str =
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-security-groups.html";
    pub const SERVICE_REGIONS: &str = "https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-cross-region-privatelink-support.html";
    pub const ENDPOINT_DNS: &str =
        "https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-share-your-services.html#endpoint-service-dns-hostnames";
}

const HTTPS: i64 = heal::HTTPS_PORT as i64;
const TASKS: i64 = heal::PORT as i64;
const ALERTMANAGER: i64 = servers::ALERTMANAGER_PORT;

/// An endpoint service reached from every VPC with monitoring servers:
/// the port the hosts reach its endpoints on, and the name in the VPC's
/// zone that must name the endpoint.
pub(super) struct Link<'a> {
    pub endpoint_service: Key,
    pub port: i64,
    pub name: &'a str,
}

/// The service side of the path, as the graph declares it.
struct Service {
    front: Key,
    link: Key,
    tasks: Key,
    alb: Key,
    alb_subnets: Vec<Key>,
    nlb: Key,
    nlb_subnets: Vec<Key>,
    task_subnets: Vec<Key>,
    endpoint_service: Key,
    /// Whether the tasks page an Alertmanager (`--alertmanager-url`).
    pages: bool,
    at: Option<landfall_spec::Pointer>,
}

impl Checker<'_, '_> {
    /// Every VPC with monitoring servers reaches a remediation service: one
    /// it has an endpoint of, else the one of its own region (each
    /// region's service acts on that region's targets).
    pub(super) fn remediation(&mut self) {
        let services = self.remediation_services();
        if services.is_empty() {
            return;
        }
        for service in &services {
            self.service_side(service);
            if service.pages {
                self.pager(service);
            }
        }
        let all = self.servers.clone();
        for (vpc, servers) in all {
            let Some(hosts) = servers.hosts else {
                continue;
            };
            let host = Consumer {
                groups: vec![hosts],
                subnets: servers.host_subnets.clone(),
            };
            let what = format!(
                "Alertmanager of VPC {} cannot post to the remediation service",
                self.index.name(vpc)
            );
            let region = region_of(self.index, vpc);
            // Its own region's service first, when the VPC connects to it.
            let mut by_region: Vec<&Service> = services.iter().collect();
            by_region.sort_by_key(|s| region_of(self.index, s.endpoint_service) != region);
            let connected = by_region
                .into_iter()
                .find_map(|s| Some((s, self.endpoint_of(vpc, s.endpoint_service)?)));
            let Some((service, endpoint)) = connected else {
                let service = services
                    .iter()
                    .find(|s| region_of(self.index, s.endpoint_service) == region)
                    .unwrap_or(&services[0]);
                self.finding(
                    hosts,
                    format!(
                        "{what}: the VPC has no interface endpoint of the endpoint service {}",
                        self.index.name(service.endpoint_service)
                    ),
                    format!(
                        "create one in the VPC's endpoints subnets, by the VPC's owner (see {})",
                        pages_of::PERMISSIONS
                    ),
                    service.at.clone(),
                );
                continue;
            };
            // A service acts on its own region's targets only (its VPC's
            // interface endpoints serve that region's APIs alone), and the
            // alerts of a VPC are about its region's targets.
            let acting_here = services
                .iter()
                .find(|s| region_of(self.index, s.endpoint_service) == region);
            if let Some(own) =
                acting_here.filter(|own| own.endpoint_service != service.endpoint_service)
            {
                let theirs = region_of(self.index, service.endpoint_service);
                self.finding(
                    endpoint,
                    format!(
                        "{what} acting in {region}: its endpoint connects to {} in {theirs}, whose service acts on {theirs}'s targets only, so every action on this VPC's targets would be refused as out of reach",
                        self.index.name(service.endpoint_service)
                    ),
                    format!(
                        "connect the endpoint to {}, the endpoint service of {region}'s remediation service (see {})",
                        self.index.name(own.endpoint_service),
                        pages_of::SERVICE_REGIONS
                    ),
                    own.at.clone(),
                );
            }
            let name =
                landfall_model::monitoring::remediation_host(&self.input.model.organization.slug);
            let link = Link {
                endpoint_service: service.endpoint_service,
                port: HTTPS,
                name: &name,
            };
            for (key, hop, help) in self.endpoint_hops(vpc, endpoint, &host, &link) {
                self.finding(key, format!("{what}: {hop}"), help, service.at.clone());
            }
        }
    }

    /// The remediation services of the graph, one per stack that tags its
    /// groups as one (a region's alerting stack).
    fn remediation_services(&self) -> Vec<Service> {
        let mut stacks: Vec<usize> = self
            .index
            .of_type("AWS::EC2::SecurityGroup")
            .filter(|(_, r)| {
                r.properties
                    .get("Tags")
                    .and_then(|t| tag(t, heal::ROLE_TAG))
                    == Some(heal::FRONT_ROLE)
            })
            .map(|(key, _)| key.0)
            .collect();
        stacks.sort_unstable();
        stacks.dedup();
        stacks
            .into_iter()
            .filter_map(|stack| self.remediation_service(stack))
            .collect()
    }

    /// The groups, load balancers, service and endpoint service of the
    /// remediation service in `stack`; `None` when it has none.
    fn remediation_service(&self, stack: usize) -> Option<Service> {
        let index = self.index;
        let mut front = None;
        let mut link = None;
        let mut tasks = None;
        for (key, r) in index
            .of_type("AWS::EC2::SecurityGroup")
            .filter(|(key, _)| key.0 == stack)
        {
            match r
                .properties
                .get("Tags")
                .and_then(|t| tag(t, heal::ROLE_TAG))
            {
                Some(heal::FRONT_ROLE) => front = Some(key),
                Some(heal::LINK_ROLE) => link = Some(key),
                Some(heal::TASKS_ROLE) => tasks = Some(key),
                _ => {}
            }
        }
        let (front, link, tasks) = (front?, link?, tasks?);
        let load_balancer = |group: Key| -> Option<(Key, Vec<Key>)> {
            index
                .of_type("AWS::ElasticLoadBalancingV2::LoadBalancer")
                .find(|(key, r)| {
                    self.keys(key.0, r.properties.get("SecurityGroups"))
                        .contains(&group)
                })
                .map(|(key, r)| (key, self.keys(key.0, r.properties.get("Subnets"))))
        };
        let (alb, alb_subnets) = load_balancer(front)?;
        let (nlb, nlb_subnets) = load_balancer(link)?;
        let (task_subnets, at, pages) = index
            .of_type("AWS::ECS::Service")
            .find_map(|(key, r)| {
                // Services on EC2 capacity in bridge mode have none.
                let awsvpc = &r.properties.at("NetworkConfiguration")["AwsvpcConfiguration"];
                self.keys(key.0, awsvpc.get("SecurityGroups"))
                    .contains(&tasks)
                    .then(|| {
                        let pages = r
                            .properties
                            .get("TaskDefinition")
                            .and_then(|d| index.resource_of(key.0, d))
                            .and_then(|d| index.resource(d).properties.get("ContainerDefinitions"))
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .filter_map(|c| c.get("Command").and_then(Value::as_array))
                            .flatten()
                            .any(|arg| arg == "--alertmanager-url");
                        (
                            self.keys(key.0, awsvpc.get("Subnets")),
                            r.origin.clone(),
                            pages,
                        )
                    })
            })
            .unwrap_or_default();
        let endpoint_service = index
            .of_type("AWS::EC2::VPCEndpointService")
            .find(|(key, r)| {
                self.keys(key.0, r.properties.get("NetworkLoadBalancerArns"))
                    .contains(&nlb)
            })
            .map(|(key, _)| key)?;
        Some(Service {
            front,
            link,
            tasks,
            alb,
            alb_subnets,
            nlb,
            nlb_subnets,
            task_subnets,
            endpoint_service,
            pages,
            at,
        })
    }

    /// The hops every VPC shares: listeners, target, groups between the
    /// load balancers and the tasks.
    fn service_side(&mut self, s: &Service) {
        let index = self.index;
        let what = "the remediation service's endpoint service cannot reach the service";
        let mut missing: Vec<(Key, String, String)> = Vec::new();
        // The Network Load Balancer listens on 443 and forwards to the
        // Application Load Balancer, which listens on 443 too.
        let forwards = index
            .of_type("AWS::ElasticLoadBalancingV2::Listener")
            .filter(|(key, r)| {
                index.resource_of(key.0, r.properties.at("LoadBalancerArn")) == Some(s.nlb)
                    && listens_on(&r.properties, HTTPS)
            })
            .flat_map(|(key, r)| self.forward_targets(key.0, &r.properties))
            .any(|tg| {
                let p = &index.resource(tg).properties;
                p.get("TargetType").and_then(Value::as_str) == Some("alb")
                    && p.get("Targets")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .any(|t| {
                            index.resource_of(tg.0, &t["Id"]) == Some(s.alb)
                                && number(t.get("Port")) == Some(HTTPS)
                        })
            });
        if !forwards {
            missing.push((
                s.nlb,
                format!(
                    "{} has no TCP listener on {HTTPS} forwarding to a target group of type `alb` with {} on {HTTPS}",
                    index.name(s.nlb),
                    index.name(s.alb)
                ),
                format!("register the Application Load Balancer as the target (see {})", pages_of::ALB_TARGET),
            ));
        }
        let alb_listens = index
            .of_type("AWS::ElasticLoadBalancingV2::Listener")
            .any(|(key, r)| {
                index.resource_of(key.0, r.properties.at("LoadBalancerArn")) == Some(s.alb)
                    && listens_on(&r.properties, HTTPS)
            });
        if !alb_listens {
            missing.push((
                s.alb,
                format!("{} has no listener on {HTTPS}", index.name(s.alb)),
                format!(
                    "an `alb` target needs a listener on the target group's port (see {})",
                    pages_of::ALB_TARGET
                ),
            ));
        }
        missing.extend(self.privatelink_bound(s.nlb));
        let from_nlb = Consumer {
            groups: vec![s.link],
            subnets: s.nlb_subnets.clone(),
        };
        if let Err(hop) = self.path(&from_nlb, s.front, &s.alb_subnets, HTTPS) {
            missing.push((
                s.front,
                format!(
                    "the endpoint service's load balancer to the service's load balancer: {hop}"
                ),
                format!(
                    "allow the port at both ends (see {})",
                    pages::SECURITY_GROUPS
                ),
            ));
        }
        let from_alb = Consumer {
            groups: vec![s.front],
            subnets: s.alb_subnets.clone(),
        };
        if let Err(hop) = self.path(&from_alb, s.tasks, &s.task_subnets, TASKS) {
            missing.push((
                s.tasks,
                format!("the service's load balancer to its tasks: {hop}"),
                format!(
                    "allow the port at both ends (see {})",
                    pages::SECURITY_GROUPS
                ),
            ));
        }
        for (key, hop, help) in missing {
            self.finding(key, format!("{what}: {hop}"), help, s.at.clone());
        }
    }

    /// The service's pages to its VPC's Alertmanager: the tasks reach
    /// Alertmanager's load balancer on its port, and it the hosts.
    fn pager(&mut self, s: &Service) {
        let index = self.index;
        let what = "the remediation service cannot page Alertmanager (`--alertmanager-url`)";
        let tasks = Consumer {
            groups: vec![s.tasks],
            subnets: s.task_subnets.clone(),
        };
        let Some(vpc) = self.vpc_of(&tasks) else {
            return;
        };
        let hosts = self.servers.get(&vpc).and_then(|sv| sv.hosts);
        let host_subnets = self
            .servers
            .get(&vpc)
            .map(|sv| sv.host_subnets.clone())
            .unwrap_or_default();
        let lb_group = index.of_type("AWS::EC2::SecurityGroup").find(|(key, r)| {
            r.properties
                .get("Tags")
                .and_then(|t| tag(t, servers::ROLE_TAG))
                == Some(servers::ALERTMANAGER_LB_ROLE)
                && r.properties
                    .get("VpcId")
                    .and_then(|v| index.resource_of(key.0, v))
                    == Some(vpc)
        });
        let (Some(hosts), Some((lb_group, _))) = (hosts, lb_group) else {
            self.finding(
                s.tasks,
                format!(
                    "{what}: VPC {} has no Alertmanager load balancer",
                    index.name(vpc)
                ),
                "give the VPC's monitoring servers a load balancer for Alertmanager".into(),
                s.at.clone(),
            );
            return;
        };
        let lb_subnets = index
            .of_type("AWS::ElasticLoadBalancingV2::LoadBalancer")
            .find(|(key, r)| {
                self.keys(key.0, r.properties.get("SecurityGroups"))
                    .contains(&lb_group)
            })
            .map(|(key, r)| self.keys(key.0, r.properties.get("Subnets")))
            .unwrap_or_default();
        let from_lb = Consumer {
            groups: vec![lb_group],
            subnets: lb_subnets.clone(),
        };
        for (from, to, subnets, why) in [
            (
                &tasks,
                lb_group,
                &lb_subnets,
                "the tasks to Alertmanager's load balancer",
            ),
            (
                &from_lb,
                hosts,
                &host_subnets,
                "Alertmanager's load balancer to the hosts",
            ),
        ] {
            if let Err(hop) = self.path(from, to, subnets, ALERTMANAGER) {
                self.finding(
                    to,
                    format!("{what}: {why}: {hop}"),
                    format!(
                        "allow the port at both ends (see {})",
                        pages::SECURITY_GROUPS
                    ),
                    s.at.clone(),
                );
            }
        }
    }

    /// The VPC's interface endpoint of an endpoint service.
    /// What is missing when the Network Load Balancer `nlb` of an endpoint
    /// service holds PrivateLink traffic to its group's inbound rules: that
    /// traffic comes from the endpoints' VPCs, which the group cannot name.
    pub(super) fn privatelink_bound(&self, nlb: Key) -> Option<(Key, String, String)> {
        let index = self.index;
        let off = index
            .resource(nlb)
            .properties
            .get("EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic")
            .and_then(Value::as_str)
            == Some("off");
        (!off).then(|| {
            (
                nlb,
                format!(
                    "{} evaluates its group's inbound rules for PrivateLink traffic, which comes from the endpoints' VPCs",
                    index.name(nlb)
                ),
                format!(
                    "set `EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: off` and let each endpoint's group choose who enters (see {})",
                    pages_of::NLB_GROUPS
                ),
            )
        })
    }

    pub(super) fn endpoint_of(&self, vpc: Key, endpoint_service: Key) -> Option<Key> {
        let index = self.index;
        index
            .of_type("AWS::EC2::VPCEndpoint")
            .find(|(key, r)| {
                let p = &r.properties;
                p.get("VpcId").and_then(|v| index.resource_of(key.0, v)) == Some(vpc)
                    && p.get("ServiceName").is_some_and(|name| {
                        let (stack, value) = index.through_output(key.0, name);
                        index.substituted(stack, value).contains(&endpoint_service)
                    })
            })
            .map(|(key, _)| key)
    }

    /// What is missing between one VPC's monitoring hosts and an
    /// endpoint service, through the VPC's endpoint.
    pub(super) fn endpoint_hops(
        &self,
        vpc: Key,
        endpoint: Key,
        host: &Consumer,
        s: &Link<'_>,
    ) -> Vec<(Key, String, String)> {
        let index = self.index;
        let p = &index.resource(endpoint).properties;
        let mut missing = Vec::new();
        let groups = self.keys(endpoint.0, p.get("SecurityGroupIds"));
        let subnets = self.keys(endpoint.0, p.get("SubnetIds"));
        let name = index.name(endpoint);
        if groups.is_empty() {
            missing.push((
                endpoint,
                format!("the endpoint {name} has no security group"),
                format!(
                    "give it a group that admits the hosts (see {})",
                    pages::SECURITY_GROUPS
                ),
            ));
        }
        for group in &groups {
            if let Err(hop) = self.path(host, *group, &subnets, s.port) {
                missing.push((
                    *group,
                    format!("the hosts to the endpoint {name}: {hop}"),
                    format!(
                        "allow the port at both ends (see {})",
                        pages::SECURITY_GROUPS
                    ),
                ));
            }
        }
        // Across regions: the endpoint names the service's region and the
        // service supports the endpoint's.
        let here = region_of(index, endpoint);
        let there = region_of(index, s.endpoint_service);
        if here != there {
            let service_region = p
                .get("ServiceRegion")
                .and_then(|v| literal(index, endpoint.0, v));
            if service_region.as_deref() != Some(there.as_str()) {
                missing.push((
                    endpoint,
                    format!("the endpoint {name} is in {here} but does not name the service's region {there} as `ServiceRegion`"),
                    format!("set `ServiceRegion: {there}` (see {})", pages_of::CROSS_REGION),
                ));
            }
            let supported = index
                .resource(s.endpoint_service)
                .properties
                .get("SupportedRegions")
                .and_then(Value::as_array)
                .is_some_and(|r| r.iter().any(|r| r.as_str() == Some(here.as_str())));
            if !supported {
                missing.push((
                    s.endpoint_service,
                    format!(
                        "the endpoint service {} does not list {here} in `SupportedRegions`",
                        index.name(s.endpoint_service)
                    ),
                    format!("add the region (see {})", pages_of::CROSS_REGION),
                ));
            }
        }
        if !self.allowed(endpoint, s.endpoint_service) {
            missing.push((
                s.endpoint_service,
                format!(
                    "the account of stack `{}`, which creates the endpoint, is not an allowed principal of {}",
                    index.stack(endpoint).name,
                    index.name(s.endpoint_service)
                ),
                format!("add it to the service's permissions (see {})", pages_of::PERMISSIONS),
            ));
        }
        if !self.named(vpc, endpoint, s.name) {
            let host_name = s.name;
            missing.push((
                endpoint,
                format!("no record `{host_name}` in a private zone of the VPC names the endpoint {name}"),
                format!("add the record, a CNAME to the endpoint's regional DNS name (see {})", pages_of::ENDPOINT_DNS),
            ));
        }
        missing
    }

    /// Whether the account that creates `endpoint` may connect to
    /// `service`: an `AllowedPrincipals` entry is that account's root (or
    /// `*`).
    fn allowed(&self, endpoint: Key, service: Key) -> bool {
        let index = self.index;
        let Target::Account { account, .. } = &index.stack(endpoint).target else {
            return false;
        };
        index
            .of_type("AWS::EC2::VPCEndpointServicePermissions")
            .filter(|(key, r)| {
                index.resource_of(key.0, r.properties.at("ServiceId")) == Some(service)
            })
            .any(|(key, r)| {
                let stack = index.stack(key);
                r.properties
                    .get("AllowedPrincipals")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .any(|principal| {
                        if principal.as_str() == Some("*") {
                            return true;
                        }
                        let text = principal
                            .get("Fn::Sub")
                            .and_then(Value::as_str)
                            .unwrap_or_default();
                        stack.parameters.iter().any(|param| {
                            matches!(&param.value, ParameterValue::AccountId(a) if a == account)
                                && text.contains(&format!("${{{}}}:root", param.name))
                        })
                    })
            })
    }

    /// Whether a record of `wanted`, in a private zone associated with
    /// `vpc`, points at `endpoint`.
    fn named(&self, vpc: Key, endpoint: Key, wanted: &str) -> bool {
        let index = self.index;
        index
            .of_type("AWS::Route53::RecordSet")
            .filter(|(_, r)| {
                r.properties
                    .get("Name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.trim_end_matches('.') == wanted)
            })
            .any(|(key, r)| {
                let in_vpc = r
                    .properties
                    .get("HostedZoneId")
                    .and_then(|z| index.resource_of(key.0, z))
                    .is_some_and(|zone| {
                        index
                            .resource(zone)
                            .properties
                            .get("VPCs")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .any(|v| index.resource_of(zone.0, &v["VPCId"]) == Some(vpc))
                    });
                in_vpc
                    && r.properties.get("ResourceRecords").is_some_and(|records| {
                        index
                            .mentioned(key.0, records)
                            .iter()
                            .any(|(k, _)| *k == endpoint)
                    })
            })
    }

    /// The target groups a listener's default actions forward to.
    pub(super) fn forward_targets(
        &self,
        stack: usize,
        listener: &serde_json::Map<String, Value>,
    ) -> Vec<Key> {
        let index = self.index;
        listener
            .get("DefaultActions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|action| action.get("TargetGroupArn"))
            .filter_map(|tg| index.resource_of(stack, tg))
            .collect()
    }
}

pub(super) fn listens_on(listener: &serde_json::Map<String, Value>, port: i64) -> bool {
    number(listener.get("Port")) == Some(port)
}

pub(super) fn number(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn literal(index: &super::index::Index<'_>, stack: usize, value: &Value) -> Option<String> {
    match index.resolve(stack, value) {
        super::index::Resolved::Literal(s) => Some(s),
        _ => None,
    }
}
