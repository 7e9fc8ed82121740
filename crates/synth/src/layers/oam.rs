//! CloudWatch cross-account observability: every member account shares
//! its metrics, log groups and traces with the observability account, so
//! one place (Grafana's CloudWatch data source, the console) sees them all
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Unified-Cross-Account.html>).
//!
//! Per allowed region: a sink in the observability account whose policy
//! admits links from the organization for exactly these resource types,
//! and a StackSet that puts a link to it in every member account of that
//! region. A link names its sink by ARN, which holds an id AWS chooses when
//! the sink is created, so the StackSet reads it from the sink's stack once
//! that is deployed; one StackSet per region, because each region's links
//! name that region's sink. The observability account cannot link to its
//! own sink, so its instance creates nothing.

use landfall_graph::{Layer, Output, ParameterValue, StackSetTarget, Target};
use landfall_model::OuKind;
use landfall_spec::types::AccountClass;
use serde_json::json;

use crate::unit::{resource, ResourceExt, Unit};
use crate::Ctx;

/// What every member account shares with the observability account.
pub const SHARED_TYPES: &[&str] = &[
    "AWS::CloudWatch::Metric",
    "AWS::Logs::LogGroup",
    "AWS::XRay::Trace",
];

/// The sink stack's output with the sink's ARN.
pub const SINK_ARN_OUTPUT: &str = "SinkArn";

/// The name of the stack holding the sink of `region`.
pub(crate) fn sink_stack(ctx: &Ctx<'_>, region: &str) -> String {
    ctx.stack_name("oam-sink", region)
}

pub(crate) fn build(ctx: &Ctx<'_>) -> Vec<Unit> {
    if ctx.model.observability.is_none() {
        return Vec::new();
    }
    let Some(monitoring) = ctx.model.core_account(AccountClass::Observability) else {
        return Vec::new();
    };
    let organizational_units: Vec<String> = ctx
        .model
        .organizational_units
        .iter()
        .filter(|ou| matches!(ou.kind, OuKind::Core | OuKind::Workloads | OuKind::Sandbox))
        .map(|ou| ou.path.clone())
        .collect();
    let mut units = Vec::new();
    for region in &ctx.regions {
        let mut sink = Unit::new(
            sink_stack(ctx, region),
            Layer::Security,
            "The observability account's sink for the organization's CloudWatch data".into(),
            Target::Account {
                account: monitoring.name.clone(),
                region: (*region).to_owned(),
            },
        );
        // After the baseline, so it deploys as the account's CloudFormation
        // role like every member-account stack.
        sink.depends_on.push(ctx.stack_name("baseline-global", ""));
        let org = ctx.organization_id_param(&mut sink);
        sink.add(resource(
            "Sink",
            "AWS::Oam::Sink",
            json!({
                "Name": format!("{}-{region}", ctx.slug),
                "Policy": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": ["oam:CreateLink", "oam:UpdateLink"],
                        "Resource": "*",
                        "Condition": {
                            "ForAnyValue:StringEquals": { "aws:PrincipalOrgID": { "Ref": org } },
                            "ForAllValues:StringEquals": { "oam:ResourceTypes": SHARED_TYPES }
                        }
                    }]
                },
                "Tags": { "landfall:purpose": "cross-account-observability" }
            }),
        ));
        sink.outputs.push(Output {
            name: SINK_ARN_OUTPUT.to_owned(),
            description: Some("The sink's ARN, which each link names".into()),
            value: json!({ "Fn::GetAtt": ["Sink", "Arn"] }),
            export: None,
        });

        let mut links = Unit::new(
            ctx.stack_name("oam-links", region),
            Layer::Security,
            format!("Every member account's link to the {region} sink"),
            Target::StackSet(StackSetTarget {
                administrator: ctx.management.to_owned(),
                organizational_units: organizational_units.clone(),
                accounts: Vec::new(),
                regions: vec![(*region).to_owned()],
            }),
        );
        links.depends_on.push(sink.name.clone());
        let sink_arn = links.parameter(
            "SinkArn",
            "ARN of this region's sink in the observability account",
            ParameterValue::StackOutput {
                stack: sink.name.clone(),
                output: SINK_ARN_OUTPUT.to_owned(),
            },
        );
        let monitoring_id = links.parameter(
            "MonitoringAccountId",
            "Id of the observability account",
            ParameterValue::AccountId(monitoring.name.clone()),
        );
        links.conditions.insert(
            "IsSource".into(),
            json!({ "Fn::Not": [{ "Fn::Equals": [{ "Ref": "AWS::AccountId" }, { "Ref": monitoring_id }] }] }),
        );
        links.add(
            resource(
                "Link",
                "AWS::Oam::Link",
                json!({
                    "LabelTemplate": "$AccountName",
                    "ResourceTypes": SHARED_TYPES,
                    "SinkIdentifier": { "Ref": sink_arn },
                    "Tags": { "landfall:purpose": "cross-account-observability" }
                }),
            )
            .when("IsSource"),
        );
        units.push(sink);
        units.push(links);
    }
    units
}
