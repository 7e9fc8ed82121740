//! The Zabbix proxies' path to the server: in every VPC with monitoring
//! servers, the hosts (where the VPC's proxy runs) reach their VPC's
//! interface endpoint of the server's endpoint service on the trapper port
//! (and the name the proxy connects to names that endpoint in the VPC);
//! the endpoint service fronts a Network Load Balancer that listens on the
//! port and forwards to the server's task (target type `ip`, the port), the
//! load balancer's group reaches the task's on the port, and PrivateLink
//! traffic is not held to the load balancer's inbound rules. Across
//! regions the endpoint names the server's region and the service supports
//! the endpoint's; the endpoint's account is allowed to connect (the hops
//! the remediation webhook's path shares, [`super::remediation`]). The
//! server's database is one of the task's dependencies, checked as every
//! service's. The groups are found by their `landfall:zabbix` tag.
//!
//! And what each proxy probes (`landfall_observability::zabbix::probes`,
//! the hosts of `zabbix/landfall.json`): the internal load balancer of the
//! probed service's domain, environment and region listens on 443 and the
//! hosts reach it there (their egress, its group's ingress).

use landfall_synth::layers::zabbix;
use serde_json::Value;

use super::index::{Key, Properties};
use super::remediation::{listens_on, number, pages_of, Link};
use super::{pages, tag, Checker, Consumer};

const PORT: i64 = zabbix::PORT;
/// The internal load balancers' listener, which the probes use.
const HTTPS: i64 = 443;

impl Checker<'_, '_> {
    /// Every VPC with monitoring servers reaches the Zabbix server.
    pub(super) fn zabbix(&mut self) {
        let index = self.index;
        let mut link = None;
        let mut tasks = None;
        for (key, r) in index.of_type("AWS::EC2::SecurityGroup") {
            match r
                .properties
                .get("Tags")
                .and_then(|t| tag(t, zabbix::ROLE_TAG))
            {
                Some(zabbix::LINK_ROLE) => link = Some(key),
                Some(zabbix::TASKS_ROLE) => tasks = Some(key),
                _ => {}
            }
        }
        let (Some(link), Some(tasks)) = (link, tasks) else {
            return;
        };
        let Some((nlb, nlb_subnets)) = index
            .of_type("AWS::ElasticLoadBalancingV2::LoadBalancer")
            .find(|(key, r)| {
                self.keys(key.0, r.properties.get("SecurityGroups"))
                    .contains(&link)
            })
            .map(|(key, r)| (key, self.keys(key.0, r.properties.get("Subnets"))))
        else {
            return;
        };
        let Some((service, task_subnets, at)) =
            index.of_type("AWS::ECS::Service").find_map(|(key, r)| {
                let awsvpc = &r.properties.at("NetworkConfiguration")["AwsvpcConfiguration"];
                self.keys(key.0, awsvpc.get("SecurityGroups"))
                    .contains(&tasks)
                    .then(|| {
                        (
                            key,
                            self.keys(key.0, awsvpc.get("Subnets")),
                            r.origin.clone(),
                        )
                    })
            })
        else {
            return;
        };
        let what = "the Zabbix server's endpoint service cannot reach the server";
        let mut missing: Vec<(Key, String, String)> = Vec::new();
        // The load balancer listens on the port and forwards to a target
        // group of the task's addresses on the port, which the service
        // registers its container's port in.
        let registered: Vec<Key> = index
            .resource(service)
            .properties
            .get("LoadBalancers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|lb| number(lb.get("ContainerPort")) == Some(PORT))
            .filter_map(|lb| index.resource_of(service.0, &lb["TargetGroupArn"]))
            .collect();
        let forwards = index
            .of_type("AWS::ElasticLoadBalancingV2::Listener")
            .filter(|(key, r)| {
                index.resource_of(key.0, r.properties.at("LoadBalancerArn")) == Some(nlb)
                    && listens_on(&r.properties, PORT)
            })
            .flat_map(|(key, r)| self.forward_targets(key.0, &r.properties))
            .any(|tg| {
                let p = &index.resource(tg).properties;
                p.get("TargetType").and_then(Value::as_str) == Some("ip")
                    && number(p.get("Port")) == Some(PORT)
                    && registered.contains(&tg)
            });
        if !forwards {
            missing.push((
                nlb,
                format!(
                    "{} has no listener on {PORT} forwarding to a target group of type `ip` on {PORT} that the server's service registers its container's port {PORT} in",
                    index.name(nlb)
                ),
                "forward the trapper port to the service's target group (see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/register-multiple-targetgroups.html)".into(),
            ));
        }
        missing.extend(self.privatelink_bound(nlb));
        let from_nlb = Consumer {
            groups: vec![link],
            subnets: nlb_subnets,
        };
        if let Err(hop) = self.path(&from_nlb, tasks, &task_subnets, PORT) {
            missing.push((
                tasks,
                format!("the endpoint service's load balancer to the server's task: {hop}"),
                format!(
                    "allow the port at both ends (see {})",
                    pages::SECURITY_GROUPS
                ),
            ));
        }
        for (key, hop, help) in missing {
            self.finding(key, format!("{what}: {hop}"), help, at.clone());
        }
        let Some(endpoint_service) = index
            .of_type("AWS::EC2::VPCEndpointService")
            .find(|(key, r)| {
                self.keys(key.0, r.properties.get("NetworkLoadBalancerArns"))
                    .contains(&nlb)
            })
            .map(|(key, _)| key)
        else {
            self.finding(
                nlb,
                format!(
                    "the Zabbix server's load balancer {} is no endpoint service's: the proxies of other VPCs cannot reach it",
                    index.name(nlb)
                ),
                format!("create an endpoint service on it (see {})", pages_of::PERMISSIONS),
                at,
            );
            return;
        };
        let name = landfall_model::monitoring::zabbix_host(&self.input.model.organization.slug);
        let target = Link {
            endpoint_service,
            port: PORT,
            name: &name,
        };
        let all = self.servers.clone();
        for (vpc, servers) in all {
            let Some(hosts) = servers.hosts else {
                continue;
            };
            let proxy = Consumer {
                groups: vec![hosts],
                subnets: servers.host_subnets.clone(),
            };
            let what = format!(
                "the Zabbix proxy of VPC {} cannot reach the Zabbix server",
                index.name(vpc)
            );
            let Some(endpoint) = self.endpoint_of(vpc, endpoint_service) else {
                self.finding(
                    hosts,
                    format!(
                        "{what}: the VPC has no interface endpoint of the endpoint service {}",
                        index.name(endpoint_service)
                    ),
                    format!(
                        "create one in the VPC's endpoints subnets, by the VPC's owner (see {})",
                        pages_of::PERMISSIONS
                    ),
                    at.clone(),
                );
                continue;
            };
            for (key, hop, help) in self.endpoint_hops(vpc, endpoint, &proxy, &target) {
                self.finding(key, format!("{what}: {hop}"), help, at.clone());
            }
        }
    }

    /// Every probe of the Zabbix configuration reaches its load balancer
    /// from the proxy of its VPC.
    pub(super) fn zabbix_probes(&mut self) {
        let index = self.index;
        let Some(plan) = landfall_observability::plan::plan(
            self.input.model,
            landfall_observability::profile::Profile::default(),
        ) else {
            return;
        };
        // Only with the workload layer in the graph (its load balancers).
        if plan.zabbix_proxies.is_empty()
            || !index
                .of_type("AWS::ECS::Cluster")
                .any(|(key, _)| index.stack(key).layer == landfall_graph::Layer::Workloads)
        {
            return;
        }
        for probe in landfall_observability::zabbix::probes(&plan) {
            // A probe without a proxy is the observability check's finding.
            if probe.proxy.is_none() {
                continue;
            }
            let service = probe.service;
            let at = Some(service.origin.clone());
            let what = format!(
                "the Zabbix proxy of {} in {} cannot probe `{}`",
                probe.environment, probe.region, service.name
            );
            let lb = index
                .of_type("AWS::ElasticLoadBalancingV2::LoadBalancer")
                .find(|(key, r)| {
                    let tags = r.properties.get("Tags").cloned().unwrap_or(Value::Null);
                    r.properties.get("Scheme").and_then(Value::as_str) == Some("internal")
                        && index.stack(*key).layer == landfall_graph::Layer::Workloads
                        && tag(&tags, "landfall:domain") == Some(service.domain.as_str())
                        && tag(&tags, "landfall:environment") == Some(probe.environment)
                        && super::region_of(index, *key) == probe.region
                });
            let Some((lb, r)) = lb else {
                continue;
            };
            let groups = self.keys(lb.0, r.properties.get("SecurityGroups"));
            let subnets = self.keys(lb.0, r.properties.get("Subnets"));
            let Some(vpc) = self.vpc_of(&Consumer {
                groups: Vec::new(),
                subnets: subnets.clone(),
            }) else {
                continue;
            };
            let Some(hosts) = self.servers.get(&vpc).and_then(|s| s.hosts) else {
                self.finding(
                    lb,
                    format!("{what}: its VPC has no monitoring hosts"),
                    "the proxy runs on the VPC's first monitoring host".into(),
                    at,
                );
                continue;
            };
            let proxy = Consumer {
                groups: vec![hosts],
                subnets: self.servers[&vpc].host_subnets.clone(),
            };
            let listens = index
                .of_type("AWS::ElasticLoadBalancingV2::Listener")
                .any(|(key, l)| {
                    index.resource_of(key.0, l.properties.at("LoadBalancerArn")) == Some(lb)
                        && listens_on(&l.properties, HTTPS)
                });
            if !listens {
                self.finding(
                    lb,
                    format!("{what}: {} has no listener on {HTTPS}", index.name(lb)),
                    "the probe is HTTPS on 443, as every caller's".into(),
                    at.clone(),
                );
            }
            for group in groups {
                if let Err(hop) = self.path(&proxy, group, &subnets, HTTPS) {
                    self.finding(
                        group,
                        format!("{what}: the hosts to {}: {hop}", index.name(lb)),
                        format!(
                            "allow the port at both ends (see {})",
                            pages::SECURITY_GROUPS
                        ),
                        at.clone(),
                    );
                }
            }
        }
    }
}
