//! Grafana's own paths beside what every service is checked for (images,
//! logs, secrets, what its roles call, the groups its tasks' group names
//! as egress: the database, vmselect's load balancer): its load balancer
//! reaches the tasks on Grafana's port; the Jaeger data source reaches
//! its VPC's Jaeger; each other region's VictoriaMetrics data source
//! reaches that region's vmselect through the VPC's interface endpoint of
//! its endpoint service (cross-region PrivateLink: VPCs are not
//! connected). The groups are found by their `landfall:grafana` tag.

use landfall_synth::layers::grafana;
use serde_json::{Map, Value};

use super::remediation::{pages_of, Link};
use super::{index::Key, pages, tag, Checker, Consumer};

impl Checker<'_, '_> {
    /// Per Grafana stack: the load balancer to the tasks.
    pub(super) fn grafana(&mut self) {
        let index = self.index;
        let mut by_stack: std::collections::BTreeMap<usize, (Option<Key>, Option<Key>)> =
            std::collections::BTreeMap::new();
        for (key, r) in index.of_type("AWS::EC2::SecurityGroup") {
            let role = r
                .properties
                .get("Tags")
                .and_then(|t| tag(t, grafana::ROLE_TAG));
            let entry = by_stack.entry(key.0).or_default();
            match role {
                Some(grafana::LOAD_BALANCER_ROLE) => entry.0 = Some(key),
                Some(grafana::TASKS_ROLE) => entry.1 = Some(key),
                _ => {}
            }
        }
        for (stack, (lb_group, tasks_group)) in by_stack {
            let (Some(lb_group), Some(tasks_group)) = (lb_group, tasks_group) else {
                continue;
            };
            // The stack's load balancer and service, and the subnets each
            // lists.
            let listed =
                |kind: &str, field: &dyn Fn(&Map<String, Value>) -> Option<&Value>| -> Vec<Key> {
                    index
                        .stack(lb_group)
                        .resources
                        .iter()
                        .find(|r| r.kind == kind)
                        .and_then(|r| field(&r.properties))
                        .and_then(Value::as_array)
                        .map(|items| {
                            items
                                .iter()
                                .filter_map(|v| index.resource_of(stack, v))
                                .collect()
                        })
                        .unwrap_or_default()
                };
            let lb_subnets = listed("AWS::ElasticLoadBalancingV2::LoadBalancer", &|p| {
                p.get("Subnets")
            });
            let task_subnets = listed("AWS::ECS::Service", &|p| {
                p.get("NetworkConfiguration")
                    .and_then(|n| n.get("AwsvpcConfiguration"))
                    .and_then(|a| a.get("Subnets"))
            });
            let from = Consumer {
                groups: vec![lb_group],
                subnets: lb_subnets,
            };
            if let Err(hop) = self.path(&from, tasks_group, &task_subnets, grafana::PORT) {
                self.finding(
                    tasks_group,
                    format!("Grafana's load balancer cannot reach its tasks: {hop}"),
                    format!(
                        "allow the port at both ends (see {})",
                        pages::SECURITY_GROUPS
                    ),
                    None,
                );
            }
            let tasks = Consumer {
                groups: vec![tasks_group],
                subnets: task_subnets,
            };
            self.grafana_to_jaeger(tasks_group, &tasks);
            self.grafana_to_other_regions(tasks_group, &tasks);
        }
    }

    /// Each other region's VictoriaMetrics data source
    /// ([`grafana::remote_select_vpcs`]): that VPC's vmselect load balancer
    /// is an endpoint service, unbound by its group for PrivateLink
    /// traffic, that Grafana's VPC has an endpoint of, reached from the
    /// tasks on vmselect's port and named as the data source reads it.
    fn grafana_to_other_regions(&mut self, tasks_group: Key, tasks: &Consumer) {
        let index = self.index;
        let Some(vpc) = self.vpc_of(tasks) else {
            return;
        };
        let model = self.input.model;
        let slug = &model.organization.slug;
        let at = model
            .observability_origin
            .as_ref()
            .map(|at| at.child("metrics"));
        let port = landfall_synth::layers::monitoring::VMSELECT_PORT;
        for other in grafana::remote_select_vpcs(model) {
            let region = &model.region(other.region).name;
            let stack = landfall_synth::layers::monitoring::stack_name(slug, &other.name);
            let what = format!(
                "Grafana's VictoriaMetrics data source of {region} cannot reach vmselect of VPC {}",
                other.name
            );
            let Some(nlb) = index
                .of_type("AWS::ElasticLoadBalancingV2::LoadBalancer")
                .find(|(key, r)| {
                    index.stack(*key).name == stack && r.logical_id == "SelectLoadBalancer"
                })
                .map(|(key, _)| key)
            else {
                continue;
            };
            let service = index
                .of_type("AWS::EC2::VPCEndpointService")
                .find(|(key, r)| {
                    self.keys(key.0, r.properties.get("NetworkLoadBalancerArns"))
                        .contains(&nlb)
                })
                .map(|(key, _)| key);
            let Some(service) = service else {
                self.finding(
                    nlb,
                    format!(
                        "{what}: its load balancer {} is no endpoint service's",
                        index.name(nlb)
                    ),
                    format!(
                        "create an endpoint service on it supporting Grafana's region (see {})",
                        pages_of::CROSS_REGION
                    ),
                    at.clone(),
                );
                continue;
            };
            if let Some((key, hop, help)) = self.privatelink_bound(nlb) {
                self.finding(key, format!("{what}: {hop}"), help, at.clone());
            }
            let Some(endpoint) = self.endpoint_of(vpc, service) else {
                self.finding(
                    tasks_group,
                    format!(
                        "{what}: Grafana's VPC has no interface endpoint of the endpoint service {}",
                        index.name(service)
                    ),
                    format!(
                        "create one in the VPC's endpoints subnets, by the VPC's owner (see {})",
                        pages_of::PERMISSIONS
                    ),
                    at.clone(),
                );
                continue;
            };
            let name = landfall_model::monitoring::vmselect_host(slug, region);
            let link = Link {
                endpoint_service: service,
                port,
                name: &name,
            };
            for (key, hop, help) in self.endpoint_hops(vpc, endpoint, tasks, &link) {
                self.finding(key, format!("{what}: {hop}"), help, at.clone());
            }
        }
    }

    /// Grafana's Jaeger data source reads the Jaeger of Grafana's VPC on
    /// its query port, through Jaeger's load balancer (found by its
    /// `landfall:purpose` tag). Only checked where Jaeger runs in the graph
    /// (a workload layer built with it).
    fn grafana_to_jaeger(&mut self, tasks_group: Key, tasks: &Consumer) {
        let index = self.index;
        let Some(vpc) = self.vpc_of(tasks) else {
            return;
        };
        let port = i64::from(landfall_model::monitoring::JAEGER_QUERY_PORT);
        let jaeger: Vec<(Key, Vec<Key>)> = index
            .of_type("AWS::ElasticLoadBalancingV2::LoadBalancer")
            .filter(|(_, r)| {
                r.properties
                    .get("Tags")
                    .and_then(|t| tag(t, "landfall:purpose"))
                    == Some(landfall_model::log_search::JAEGER_PURPOSE)
            })
            .filter_map(|(key, r)| {
                let list = |field: &str| -> Vec<Key> {
                    r.properties
                        .get(field)
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|v| index.resource_of(key.0, v))
                        .collect()
                };
                let group = *list("SecurityGroups").first()?;
                Some((group, list("Subnets")))
            })
            .filter(|(_, subnets)| {
                self.vpc_of(&Consumer {
                    groups: Vec::new(),
                    subnets: subnets.clone(),
                }) == Some(vpc)
            })
            .collect();
        for (group, subnets) in jaeger {
            if let Err(hop) = self.path(tasks, group, &subnets, port) {
                self.finding(
                    tasks_group,
                    format!(
                        "Grafana's Jaeger data source cannot reach Jaeger's query service on port {port}: {hop}"
                    ),
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
