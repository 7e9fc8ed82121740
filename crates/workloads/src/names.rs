//! Names in a VPC's monitoring zone (`metrics.<org>.internal`, the
//! `<org>-monitoring-dns-<vpc>` stack): CNAMEs of load balancers the
//! workload layer creates, for what inside the VPC reaches them by name
//! (Zabbix's probes, the OpenTelemetry gateway, Grafana).
//!
//! The zone is the VPC owner's (the networking account's), so the records
//! are a stack of their own there, made after the stack whose load
//! balancer they name, whose DNS name they read from its outputs. A VPC
//! without monitoring servers has no zone, and gets no names.
//! <https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zone-private-associate-vpcs-different-accounts.html>

use landfall_graph::{ParameterValue, Stack};
use serde_json::json;

use crate::ctx::{Builder, Ctx, Placement};

/// The stack `ctx.stack_name(place, suffix)` naming `what`: each record a
/// logical id and a name, all CNAMEs of `source`'s output `output` (a load
/// balancer's DNS name). `None` where the VPC has no zone or `source` no
/// such output.
pub(crate) fn stack(
    ctx: &Ctx<'_>,
    place: &Placement<'_>,
    suffix: &str,
    what: &str,
    source: &Stack,
    output: &str,
    records: &[(&str, String)],
) -> Option<Stack> {
    let model = ctx.model;
    let vpc = place.vpc;
    if landfall_model::monitoring::server_subnets(model, vpc).is_empty()
        || !source.outputs.iter().any(|o| o.name == output)
    {
        return None;
    }
    let mut b = Builder::new(
        ctx.stack_name(place, suffix),
        format!("The names of {what} in VPC {}", vpc.name),
        &model.account(vpc.account).name,
        &place.region.name,
    );
    let zone_stack = landfall_model::monitoring::dns_stack(ctx.slug, &vpc.name);
    b.depends_on(zone_stack.clone());
    b.depends_on(source.name.clone());
    let zone = b.param(
        "ZoneId",
        &format!(
            "The monitoring zone of VPC {} (stack {zone_stack})",
            vpc.name
        ),
        ParameterValue::ResourceId {
            stack: zone_stack,
            logical_id: "Zone".into(),
        },
    );
    let target = b.param(
        output,
        &format!("DNS name of the load balancer of {what}"),
        ParameterValue::StackOutput {
            stack: source.name.clone(),
            output: output.into(),
        },
    );
    for (id, host) in records {
        b.add(
            id,
            "AWS::Route53::RecordSet",
            json!({
                "HostedZoneId": { "Ref": zone },
                "Name": host,
                "Type": "CNAME",
                "TTL": "60",
                "ResourceRecords": [{ "Ref": target }]
            }),
        );
    }
    Some(b.stack)
}
