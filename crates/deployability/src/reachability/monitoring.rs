//! The monitoring servers' paths: per VPC, the hosts (found by their
//! groups' `landfall:monitoring` tag and the network interfaces that carry
//! them) reach the AWS services they boot from, each other on the
//! cluster's ports, and the load balancers; the load balancers reach the
//! hosts; and every workload task's Telegraf sidecar reaches vminsert's
//! load balancer. One finding per path that a group or a rule breaks,
//! naming the hop.

use std::collections::BTreeMap;

use landfall_graph::Layer;
use landfall_synth::layers::monitoring as servers;

use super::{index::Key, pages, tag, Checker, Consumer};

/// Ports of the paths, as the synthesis names them.
const INSERT: i64 = servers::VMINSERT_PORT;
const SELECT: i64 = servers::VMSELECT_PORT;

/// What the hosts reach without the internet: their images (ECR and S3),
/// the configuration bucket (S3), Session Manager.
pub const HOST_SERVICES: [(&str, &str); 6] = [
    ("ecr.api", pages::ECR_ENDPOINTS),
    ("ecr.dkr", pages::ECR_ENDPOINTS),
    ("s3", pages::GATEWAY_ENDPOINTS),
    ("ssm", pages::SSM_ENDPOINTS),
    ("ssmmessages", pages::SSM_ENDPOINTS),
    ("ec2messages", pages::SSM_ENDPOINTS),
];

/// One VPC's monitoring servers, as the graph declares them.
#[derive(Debug, Default, Clone)]
pub(super) struct Servers {
    pub hosts: Option<Key>,
    pub host_subnets: Vec<Key>,
    pub insert_lb: Option<Key>,
    pub insert_subnets: Vec<Key>,
    pub select_lb: Option<Key>,
    pub select_subnets: Vec<Key>,
}

impl Checker<'_, '_> {
    /// The monitoring servers of each VPC (by the VPC's key).
    pub(super) fn find_servers(&self) -> BTreeMap<Key, Servers> {
        let index = self.index;
        let mut by_vpc: BTreeMap<Key, Servers> = BTreeMap::new();
        let mut vpc_of_group: BTreeMap<Key, Key> = BTreeMap::new();
        for (key, r) in index.of_type("AWS::EC2::SecurityGroup") {
            let Some(role) = r
                .properties
                .get("Tags")
                .and_then(|t| tag(t, servers::ROLE_TAG))
            else {
                continue;
            };
            let Some(vpc) = r
                .properties
                .get("VpcId")
                .and_then(|v| index.resource_of(key.0, v))
            else {
                continue;
            };
            vpc_of_group.insert(key, vpc);
            let entry = by_vpc.entry(vpc).or_default();
            match role {
                servers::HOSTS_ROLE => entry.hosts = Some(key),
                servers::INSERT_LB_ROLE => entry.insert_lb = Some(key),
                servers::SELECT_LB_ROLE => entry.select_lb = Some(key),
                _ => {}
            }
        }
        for (key, r) in index.of_type("AWS::EC2::NetworkInterface") {
            let groups = self.keys(key.0, r.properties.get("GroupSet"));
            let subnet = r
                .properties
                .get("SubnetId")
                .and_then(|v| index.resource_of(key.0, v));
            for g in groups {
                if let (Some(vpc), Some(subnet)) = (vpc_of_group.get(&g), subnet) {
                    let entry = by_vpc.entry(*vpc).or_default();
                    if entry.hosts == Some(g) {
                        entry.host_subnets.push(subnet);
                    }
                }
            }
        }
        for (key, r) in index.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer") {
            if index.stack(key).layer != Layer::Observability {
                continue;
            }
            let groups = self.keys(key.0, r.properties.get("SecurityGroups"));
            let subnets = self.keys(key.0, r.properties.get("Subnets"));
            for g in groups {
                let Some(vpc) = vpc_of_group.get(&g) else {
                    continue;
                };
                let entry = by_vpc.entry(*vpc).or_default();
                if entry.insert_lb == Some(g) {
                    entry.insert_subnets.clone_from(&subnets);
                } else if entry.select_lb == Some(g) {
                    entry.select_subnets.clone_from(&subnets);
                }
            }
        }
        by_vpc
    }

    /// Whether `from` reaches group `to` (whose members are in `subnets`)
    /// on TCP `port`; the hop that is missing otherwise.
    pub(super) fn path(
        &self,
        from: &Consumer,
        to: Key,
        subnets: &[Key],
        port: i64,
    ) -> Result<(), String> {
        let cidrs = self.cidrs(subnets);
        if !self.egress_reaches(&from.groups, port, &[to], &cidrs) {
            return Err(format!(
                "security group {} has no egress on {port} to {} or its subnets",
                self.group_names(&from.groups),
                self.index.name(to)
            ));
        }
        if !self.ingress_allows(&[to], port, from) {
            return Err(format!(
                "security group {} has no ingress on {port} from {} or its subnets",
                self.index.name(to),
                self.group_names(&from.groups)
            ));
        }
        Ok(())
    }

    /// Every path of every VPC's servers.
    pub(super) fn monitoring(&mut self) {
        let all = self.servers.clone();
        for (vpc, s) in all {
            let what = format!("the monitoring servers of VPC {}", self.index.name(vpc));
            let Some(hosts) = s.hosts else {
                continue;
            };
            let host = Consumer {
                groups: vec![hosts],
                subnets: s.host_subnets.clone(),
            };
            for (service, page) in HOST_SERVICES {
                if let Err(hop) = self.reach(&host, service) {
                    self.finding(
                        hosts,
                        format!("{what} cannot reach `{service}`: {hop}"),
                        format!("open the hop named (see {page})"),
                        None,
                    );
                }
            }
            let mut paths: Vec<(Consumer, Key, Vec<Key>, i64, &str)> = vec![
                (
                    host.clone(),
                    hosts,
                    s.host_subnets.clone(),
                    servers::VMSTORAGE_INSERT_PORT,
                    "vminsert to vmstorage",
                ),
                (
                    host.clone(),
                    hosts,
                    s.host_subnets.clone(),
                    servers::VMSTORAGE_SELECT_PORT,
                    "vmselect to vmstorage",
                ),
                (
                    host.clone(),
                    hosts,
                    s.host_subnets.clone(),
                    servers::ALERTMANAGER_PORT,
                    "vmalert to Alertmanager",
                ),
                (
                    host.clone(),
                    hosts,
                    s.host_subnets.clone(),
                    servers::ALERTMANAGER_GOSSIP_PORT,
                    "Alertmanager's gossip",
                ),
            ];
            if let Some(lb) = s.insert_lb {
                paths.push((
                    host.clone(),
                    lb,
                    s.insert_subnets.clone(),
                    INSERT,
                    "vmalert's recording rules to vminsert",
                ));
                let from_lb = Consumer {
                    groups: vec![lb],
                    subnets: s.insert_subnets.clone(),
                };
                paths.push((
                    from_lb,
                    hosts,
                    s.host_subnets.clone(),
                    INSERT,
                    "vminsert's load balancer to vminsert",
                ));
            }
            if let Some(lb) = s.select_lb {
                paths.push((
                    host.clone(),
                    lb,
                    s.select_subnets.clone(),
                    SELECT,
                    "vmalert's queries to vmselect",
                ));
                let from_lb = Consumer {
                    groups: vec![lb],
                    subnets: s.select_subnets.clone(),
                };
                paths.push((
                    from_lb,
                    hosts,
                    s.host_subnets.clone(),
                    SELECT,
                    "vmselect's load balancer to vmselect",
                ));
            }
            for (from, to, subnets, port, why) in paths {
                if let Err(hop) = self.path(&from, to, &subnets, port) {
                    self.finding(
                        to,
                        format!("{what}: {why} is blocked: {hop}"),
                        format!(
                            "allow the port at both ends (see {})",
                            pages::SECURITY_GROUPS
                        ),
                        None,
                    );
                }
            }
        }
    }

    /// A workload task's Telegraf sidecar reaches its VPC's vminsert.
    pub(super) fn telegraf(&self, task: &Consumer) -> Result<(), String> {
        let Some(vpc) = self.vpc_of(task) else {
            return Ok(());
        };
        let Some(s) = self.servers.get(&vpc) else {
            return Ok(());
        };
        let Some(lb) = s.insert_lb else {
            return Ok(());
        };
        self.path(task, lb, &s.insert_subnets, INSERT)
    }
}
