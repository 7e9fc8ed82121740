//! The Vector aggregators' own paths, beside what every service is
//! checked for (images, logs, task secrets, and the brokers of the MSK
//! cluster their SASL/SCRAM secret signs in to, on 9096):
//!
//! - the OpenSearch domain whose endpoint their `OPENSEARCH_ENDPOINT`
//!   carries (an output of the domain's stack), on 443, in their VPC
//!   (a VPC domain is reached only through its subnets,
//!   <https://docs.aws.amazon.com/opensearch-service/latest/developerguide/vpc.html>);
//! - the data lake's bucket (the log archive's `AppLogsBucket`) in their
//!   own region: they reach S3 through the VPC's gateway endpoint, which
//!   serves only buckets of the endpoint's region
//!   (<https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html>).
//!
//! Jaeger's tasks (the workload layer's `traces` stacks) are held to the
//! same domain hop: their `OPENSEARCH_ENDPOINT` must name a domain they
//! reach on 443 in their VPC; they write no lake.
//!
//! The services are found by their `landfall:purpose` tag.

use landfall_synth::layers::log_search;
use serde_json::Value;

use super::index::{Key, Properties};
use super::{pages, region_of, tag, Checker, Consumer};

/// Where a VPC domain's rules are.
pub const OPENSEARCH_VPC: &str =
    "https://docs.aws.amazon.com/opensearch-service/latest/developerguide/vpc.html";

impl Checker<'_, '_> {
    pub(super) fn log_aggregators(&mut self) {
        let index = self.index;
        let lake = index
            .of_type("AWS::S3::Bucket")
            .find(|(_, r)| r.logical_id == "AppLogsBucket")
            .map(|(key, _)| key);
        let services: Vec<(Key, &landfall_graph::Resource, &str)> = index
            .of_type("AWS::ECS::Service")
            .filter_map(|(key, r)| {
                let purpose = r
                    .properties
                    .get("Tags")
                    .and_then(|t| tag(t, "landfall:purpose"))?;
                [log_search::AGGREGATOR_PURPOSE, log_search::JAEGER_PURPOSE]
                    .contains(&purpose)
                    .then_some((key, r, purpose))
            })
            .collect();
        for (key, r, purpose) in services {
            let aggregators = purpose == log_search::AGGREGATOR_PURPOSE;
            let s = key.0;
            let awsvpc = &r.properties.at("NetworkConfiguration")["AwsvpcConfiguration"];
            let task = Consumer {
                groups: self.keys(s, awsvpc.get("SecurityGroups")),
                subnets: self.keys(s, awsvpc.get("Subnets")),
            };
            let region = region_of(index, key);
            let what = format!(
                "{} of stack `{}` ({region})",
                if aggregators {
                    "the log aggregators"
                } else {
                    "Jaeger"
                },
                index.stack(key).name
            );
            let tasks = if aggregators {
                "aggregators'"
            } else {
                "Jaeger"
            };
            let at = r.origin.clone();
            if let Some(lake) = lake.filter(|_| aggregators) {
                let lake_region = region_of(index, lake);
                if lake_region != region {
                    self.finding(
                        key,
                        format!(
                            "{what} cannot reach the data lake: its bucket {} is in {lake_region}, and the `s3` gateway endpoint of their VPC serves only {region}",
                            index.name(lake)
                        ),
                        format!(
                            "run the aggregators of this log cluster in {lake_region}'s VPCs only, or give the lake a bucket in {region} (see {})",
                            pages::GATEWAY_ENDPOINTS
                        ),
                        at.clone(),
                    );
                }
            }
            match self.aggregator_domain(s, r) {
                None => self.finding(
                    key,
                    format!(
                        "{what}: `{}` names no OpenSearch domain of the graph",
                        log_search::OPENSEARCH_VARIABLE
                    ),
                    "set it from the `Endpoint` output of the VPC's log search stack".into(),
                    at.clone(),
                ),
                Some(domain) => {
                    let vpc = &index.resource(domain).properties.at("VPCOptions");
                    let groups = self.keys(domain.0, vpc.get("SecurityGroupIds"));
                    let subnets = self.keys(domain.0, vpc.get("SubnetIds"));
                    let same_vpc = self.vpc_of(&task)
                        == self.vpc_of(&Consumer {
                            groups: Vec::new(),
                            subnets: subnets.clone(),
                        });
                    let hop = if !same_vpc {
                        Some("the domain is in another VPC than the tasks".to_owned())
                    } else {
                        groups
                            .first()
                            .and_then(|g| self.path(&task, *g, &subnets, 443).err())
                    };
                    if let Some(hop) = hop {
                        self.finding(
                            key,
                            format!(
                                "{what} cannot reach OpenSearch domain {} on port 443: {hop}",
                                index.name(domain)
                            ),
                            format!(
                                "allow 443 out of the {tasks} group to the domain's group, and into the domain's group from it (see {OPENSEARCH_VPC} and {})",
                                pages::SECURITY_GROUPS
                            ),
                            at.clone(),
                        );
                    }
                }
            }
        }
    }

    /// The OpenSearch domain behind the aggregators' `OPENSEARCH_ENDPOINT`:
    /// the domain of the stack whose output the variable is set from.
    fn aggregator_domain(&self, stack: usize, service: &landfall_graph::Resource) -> Option<Key> {
        let index = self.index;
        let definition = service
            .properties
            .get("TaskDefinition")
            .and_then(|v| index.resource_of(stack, v))?;
        let containers = index
            .resource(definition)
            .properties
            .at("ContainerDefinitions")
            .as_array()?;
        let value = containers
            .iter()
            .filter_map(|c| c.get("Environment").and_then(Value::as_array))
            .flatten()
            .find(|e| {
                e.get("Name").and_then(Value::as_str) == Some(log_search::OPENSEARCH_VARIABLE)
            })?
            .get("Value")?;
        let (other, output) = index.through_output(definition.0, value);
        if other == definition.0 {
            return None;
        }
        // `https://${Domain.DomainEndpoint}`: the domain it names.
        index
            .substituted(other, output)
            .into_iter()
            .find(|k| index.resource(*k).kind == "AWS::OpenSearchService::Domain")
    }
}
