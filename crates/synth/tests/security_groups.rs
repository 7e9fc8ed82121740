//! Security group and rule descriptions of every platform stack of the
//! reference and the small platform, as EC2 takes them: "a-z, A-Z, 0-9,
//! spaces, and ._-:/()#,@[]+=&;{}!$*"
//! (<https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html>,
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html>).
//! An apostrophe fails the stack at deploy time; cfn-lint sees it only in a
//! group's own description (E3031), not in its rules'.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

mod common;

use serde_json::Value;

fn allowed(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(c))
}

fn descriptions(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("Description" | "GroupDescription", Value::String(s)) => out.push(s.clone()),
                    _ => descriptions(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| descriptions(v, out)),
        _ => {}
    }
}

#[test]
fn every_security_group_and_rule_description_is_one_ec2_accepts() {
    let mut refused = Vec::new();
    for files in [common::reference_files(), common::small_files()] {
        let s = common::synthesize_files(files, None);
        for stack in &s.graph.stacks {
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
    }
    refused.sort_unstable();
    refused.dedup();
    assert!(refused.is_empty(), "{refused:#?}");
}
