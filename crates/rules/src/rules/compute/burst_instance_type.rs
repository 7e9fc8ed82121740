use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, ScpContext, Violation};
use crate::rules::helpers::{burst_check, deny, with_condition};
use crate::value::Value;
use crate::view::Resource;

declare_rule! {
    /// ## What it does
    /// Finds EC2 capacity of a denied burstable family (by default `t2`,
    /// `t3`, `t3a`, `t4g`): instances, launch templates, launch
    /// configurations, auto scaling groups (their mixed-instance overrides,
    /// and the launch template or configuration they use) and ECS capacity
    /// providers (through their auto scaling group).
    ///
    /// ## Why is this bad?
    /// Burstable instances run on CPU credits. A matching engine or a risk
    /// check that runs out of credits at the market open slows to a fraction
    /// of its speed: an outage that no load test in a quiet hour shows.
    ///
    /// ## Example
    /// ```yaml
    /// Workers:
    ///   Type: AWS::EC2::LaunchTemplate
    ///   Properties:
    ///     LaunchTemplateData:
    ///       InstanceType: t3.large
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///       InstanceType: m7i.large
    /// ```
    ///
    /// ## References
    /// - [Burstable performance instances](https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/burstable-performance-instances.html)
    /// - [AWS Config rule `desired-instance-type`](https://docs.aws.amazon.com/config/latest/developerguide/desired-instance-type.html) (an allow-list)
    pub struct BurstInstanceType {
        name: "burst-instance-type",
        family: "compute",
        summary: "EC2 capacity uses a burstable instance type",
        severity: High,
        guardrail: Some(GuardrailId::NoBurstInstances),
        config_rules: ["DESIRED_INSTANCE_TYPE"],
        checkov: [],
        kinds: [
            "AWS::EC2::Instance",
            "AWS::EC2::LaunchTemplate",
            "AWS::AutoScaling::LaunchConfiguration",
            "AWS::AutoScaling::AutoScalingGroup",
            "AWS::ECS::CapacityProvider",
        ],
        fix: "use a fixed-performance family such as `m7i`, `c7i` or `m7g`",
    }
}

/// The instance type a launch template or configuration sets, with its path.
fn launched_type(resource: &Resource) -> Option<(&str, String)> {
    let props = resource.properties();
    let value = match resource.kind.as_str() {
        "AWS::EC2::LaunchTemplate" => props.at(&["LaunchTemplateData", "InstanceType"]),
        "AWS::AutoScaling::LaunchConfiguration" => props.get("InstanceType"),
        _ => None,
    }?;
    Some((value.as_str()?, resource.id.clone()))
}

/// Checks an auto scaling group's overrides and launch template or configuration.
fn check_group(
    check: &Check<'_>,
    group: &Resource,
    props: &Value,
    via: &str,
    out: &mut Vec<Violation>,
) {
    let overrides = props
        .at(&["MixedInstancesPolicy", "LaunchTemplate", "Overrides"])
        .map(Value::items)
        .unwrap_or_default();
    for (i, o) in overrides.iter().enumerate() {
        let index = i.to_string();
        burst_check(
            check,
            o.get("InstanceType"),
            &[
                "MixedInstancesPolicy",
                "LaunchTemplate",
                "Overrides",
                &index,
                "InstanceType",
            ],
            &format!("{via}override instance type"),
            out,
        );
    }
    let references = [
        props.at(&["LaunchTemplate", "LaunchTemplateId"]),
        props.at(&["LaunchTemplate", "LaunchTemplateName"]),
        props.at(&[
            "MixedInstancesPolicy",
            "LaunchTemplate",
            "LaunchTemplateSpecification",
            "LaunchTemplateId",
        ]),
        props.at(&[
            "MixedInstancesPolicy",
            "LaunchTemplate",
            "LaunchTemplateSpecification",
            "LaunchTemplateName",
        ]),
        props.get("LaunchConfigurationName"),
    ];
    let mut seen = Vec::new();
    for reference in references.into_iter().flatten() {
        let Some(target) = check.view.resolve(group, reference) else {
            continue;
        };
        if seen.contains(&target.id) {
            continue;
        }
        seen.push(target.id.clone());
        if let Some((instance_type, id)) = launched_type(target) {
            if let Some(family) = check.settings.denied_family_of(instance_type) {
                let has_overrides = !overrides.is_empty();
                // Overrides replace the template's instance type.
                if !has_overrides {
                    out.push(Violation::new(format!(
                        "{via}launches `{instance_type}` (burstable family `{family}`) through `{id}`"
                    )));
                }
            }
        }
    }
}

impl Rule for BurstInstanceType {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        let props = check.props;
        match check.resource.kind.as_str() {
            "AWS::EC2::Instance" | "AWS::AutoScaling::LaunchConfiguration" => {
                burst_check(
                    check,
                    props.get("InstanceType"),
                    &["InstanceType"],
                    "instance type",
                    out,
                );
            }
            "AWS::EC2::LaunchTemplate" => burst_check(
                check,
                props.at(&["LaunchTemplateData", "InstanceType"]),
                &["LaunchTemplateData", "InstanceType"],
                "instance type",
                out,
            ),
            "AWS::AutoScaling::AutoScalingGroup" => {
                check_group(check, check.resource, props, "", out)
            }
            "AWS::ECS::CapacityProvider" => {
                let Some(arn) = props.at(&["AutoScalingGroupProvider", "AutoScalingGroupArn"])
                else {
                    return;
                };
                if let Some(group) = check.view.resolve(check.resource, arn) {
                    let via = format!("auto scaling group `{}` ", group.id);
                    check_group(check, group, group.properties(), &via, out);
                }
            }
            _ => {}
        }
    }

    fn scp_statements(&self, context: &ScpContext<'_>) -> Vec<serde_json::Value> {
        let patterns: Vec<String> = context
            .settings
            .denied_families
            .iter()
            .filter(|f| !f.contains('.'))
            .map(|f| format!("{f}.*"))
            .collect();
        if patterns.is_empty() {
            return Vec::new();
        }
        vec![with_condition(
            deny(
                "LandfallDenyBurstInstances",
                &["ec2:RunInstances"],
                "arn:aws:ec2:*:*:instance/*",
            ),
            "StringLike",
            "ec2:InstanceType",
            serde_json::json!(patterns),
        )]
    }
}
