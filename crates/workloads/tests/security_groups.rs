//! Security group and rule descriptions of every workload stack of the
//! reference platform, as EC2 takes them.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use serde_json::Value;

/// EC2 takes a security group rule's description of "a-z, A-Z, 0-9,
/// spaces, and ._-:/()#,@[]+=&;{}!$*" only
/// (<https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html>,
/// the same for a group's description,
/// <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html>):
/// an apostrophe fails the stack at deploy time, which cfn-lint sees only
/// in a group's description. Every workload stack's groups and rules.
#[test]
fn every_security_group_and_rule_description_is_one_ec2_accepts() {
    fn allowed(text: &str) -> bool {
        text.chars()
            .all(|c| c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(c))
    }
    fn descriptions(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(m) => {
                for (k, v) in m {
                    match (k.as_str(), v) {
                        ("Description" | "GroupDescription", Value::String(s)) => {
                            out.push(s.clone());
                        }
                        _ => descriptions(v, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| descriptions(v, out)),
            _ => {}
        }
    }
    let stacks = common::reference().workloads_with_agents();
    let mut refused = Vec::new();
    for stack in &stacks {
        for r in stack.resources.iter().filter(|r| {
            matches!(
                r.kind.as_str(),
                "AWS::EC2::SecurityGroup"
                    | "AWS::EC2::SecurityGroupIngress"
                    | "AWS::EC2::SecurityGroupEgress"
            )
        }) {
            let mut found = Vec::new();
            descriptions(&Value::Object(r.properties.clone()), &mut found);
            for d in found.into_iter().filter(|d| !allowed(d)) {
                refused.push(format!("{} {}: {d}", stack.name, r.logical_id));
            }
        }
    }
    refused.sort_unstable();
    refused.dedup();
    assert!(refused.is_empty(), "{refused:#?}");
}
