//! Names the log search layer gives and other layers read: its account,
//! its domains and their stacks, and the log aggregators' role, so the
//! workload layer's aggregator stacks and the reachability checks agree
//! with it without depending on the layer itself.

use landfall_spec::types::AccountClass;

use crate::Model;

/// The task role of the Vector aggregators, the only writers.
pub const AGGREGATOR_ROLE: &str = "landfall-log-aggregator";
/// The `landfall:purpose` tag of the aggregators' resources (the workload
/// layer's `aggregator` stacks), which the reachability checks find their
/// services by.
pub const AGGREGATOR_PURPOSE: &str = "log-aggregator";
/// The task role of Jaeger (collector and query), which writes and reads
/// the trace indices (`jaeger-span-*`, `jaeger-service-*`).
pub const JAEGER_ROLE: &str = "landfall-jaeger";
/// The `landfall:purpose` tag of Jaeger's resources (the workload layer's
/// `traces` stacks), which the reachability checks find them by.
pub const JAEGER_PURPOSE: &str = "jaeger";
/// The aggregators' variable holding the domain's endpoint
/// (`vector/aggregator.yaml`), set from the domain stack's `Endpoint`.
pub const OPENSEARCH_VARIABLE: &str = "OPENSEARCH_ENDPOINT";
/// Path of the two roles: not the platform's `/landfall/`, which the SCPs
/// exempt (these are people's and a service's roles), but the path of the
/// roles the deploy role creates, under the workload boundary the baseline
/// puts in every account.
pub const ROLE_PATH: &str = "/workload/";
/// The account holding the domains, when the platform has one.
pub fn account(model: &Model) -> Option<&crate::Account> {
    let id = model.network.log_search?;
    let account = model.account(id);
    (account.class == AccountClass::Observability).then_some(account)
}

/// The domain name of a VPC's domain: `logs-<environment>-<region code>`
/// (`logs-prod-euc1`): 3 to 28 characters, lowercase, starting with a
/// letter (<https://docs.aws.amazon.com/opensearch-service/latest/developerguide/createupdatedomains.html>).
pub fn domain_name(environment: &str, region: &str) -> String {
    format!("logs-{environment}-{}", region_code(region))
}

/// `eu-central-1` → `euc1`, `ap-southeast-2` → `apse2`, as AWS abbreviates
/// regions in its own names.
pub fn region_code(region: &str) -> String {
    let parts: Vec<&str> = region.split('-').collect();
    let mut code = String::new();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 || i + 1 == parts.len() {
            code.push_str(part);
            continue;
        }
        let short = match *part {
            "north" => "n",
            "south" => "s",
            "east" => "e",
            "west" => "w",
            "central" => "c",
            "northeast" => "ne",
            "northwest" => "nw",
            "southeast" => "se",
            "southwest" => "sw",
            other => other,
        };
        code.push_str(short);
    }
    code
}

/// Whether OpenSearch accepts `name` as a domain name.
pub fn valid_domain_name(name: &str) -> bool {
    (3..=28).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The stack of one VPC's domain.
pub fn domain_stack(ctx_slug: &str, vpc: &str) -> String {
    format!("{ctx_slug}-log-search-{vpc}")
}
