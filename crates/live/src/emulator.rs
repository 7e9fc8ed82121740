//! Compatibility with local AWS emulators.
//!
//! moto's CloudFormation creates about a hundred resource types and skips
//! the rest silently (the stack still completes). Against an emulator, the
//! deployer leaves those resources out of the templates up front, says so
//! in the plan, and still fails any stack where the emulator skipped
//! something (see `stacks::skipped_resources`). Against AWS nothing is
//! left out.

use std::collections::BTreeSet;

use serde_json::Value;

/// Which engine runs the templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compat {
    /// AWS itself: templates are deployed as synthesized.
    #[default]
    Aws,
    /// moto server: unsupported resource types are left out.
    Moto,
}

/// Resource types moto 5.2's CloudFormation creates (tried against moto
/// server). Everything else is skipped by moto without an error.
/// `AWS::EC2::FlowLog` is left out: with a log bucket in another account
/// (the log archive) moto's handler fails with a server error.
/// `AWS::S3::BucketPolicy` is skipped by moto.
pub const MOTO_TYPES: &[&str] = &[
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::EC2::RouteTable",
    "AWS::EC2::Route",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::NatGateway",
    "AWS::EC2::EIP",
    "AWS::EC2::VPCEndpoint",
    "AWS::EC2::NetworkAcl",
    "AWS::EC2::Volume",
    "AWS::EC2::Instance",
    "AWS::EC2::LaunchTemplate",
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::InstanceProfile",
    "AWS::IAM::User",
    "AWS::IAM::AccessKey",
    "AWS::KMS::Key",
    "AWS::KMS::Alias",
    "AWS::S3::Bucket",
    "AWS::SNS::Topic",
    "AWS::SNS::Subscription",
    "AWS::SQS::Queue",
    "AWS::SQS::QueuePolicy",
    "AWS::Events::Rule",
    "AWS::Logs::LogGroup",
    "AWS::SSM::Parameter",
    "AWS::SSM::Document",
    "AWS::ECR::Repository",
    "AWS::ECS::Cluster",
    "AWS::ECS::Service",
    "AWS::ECS::TaskDefinition",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::ElasticLoadBalancingV2::Listener",
    "AWS::Lambda::Function",
    "AWS::DynamoDB::Table",
];

impl Compat {
    pub fn reason(self) -> &'static str {
        match self {
            Compat::Aws => "",
            Compat::Moto => "the emulator's CloudFormation cannot create this type",
        }
    }

    fn supports(self, kind: &str) -> bool {
        match self {
            Compat::Aws => true,
            Compat::Moto => MOTO_TYPES.contains(&kind),
        }
    }

    /// Adapts a template in place; returns the (logical id, type) of every
    /// resource left out. Resources that refer to a left-out resource are
    /// left out too, as are outputs that do.
    pub fn adapt(self, template: &mut Value) -> Vec<(String, String)> {
        if self == Compat::Aws {
            return Vec::new();
        }
        let Some(resources) = template.get_mut("Resources").and_then(Value::as_object_mut) else {
            return Vec::new();
        };
        let mut removed: BTreeSet<String> = resources
            .iter()
            .filter(|(_, r)| !self.supports(r.get("Type").and_then(Value::as_str).unwrap_or("")))
            .map(|(id, _)| id.clone())
            .collect();
        // Dependents of removed resources, to a fixed point.
        loop {
            let more: Vec<String> = resources
                .iter()
                .filter(|(id, r)| !removed.contains(*id) && mentions_any(r, &removed))
                .map(|(id, _)| id.clone())
                .collect();
            if more.is_empty() {
                break;
            }
            removed.extend(more);
        }
        let mut out = Vec::new();
        for id in &removed {
            if let Some(r) = resources.remove(id) {
                out.push((
                    id.clone(),
                    r.get("Type")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                ));
            }
        }
        for r in resources.values_mut() {
            // moto reads a key policy only as a JSON string.
            if r.get("Type").and_then(Value::as_str) == Some("AWS::KMS::Key") {
                if let Some(policy) = r.pointer_mut("/Properties/KeyPolicy") {
                    if policy.is_object() {
                        *policy = Value::String(policy.to_string());
                    }
                }
            }
        }
        if let Some(outputs) = template.get_mut("Outputs").and_then(Value::as_object_mut) {
            outputs.retain(|_, o| !mentions_any(o, &removed));
            if outputs.is_empty() {
                if let Some(obj) = template.as_object_mut() {
                    obj.remove("Outputs");
                }
            }
        }
        out
    }
}

/// Whether a value refers (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `DependsOn`) to one of `ids`.
fn mentions_any(value: &Value, ids: &BTreeSet<String>) -> bool {
    match value {
        Value::Object(map) => map.iter().any(|(k, v)| match (k.as_str(), v) {
            ("Ref", Value::String(s)) => ids.contains(s),
            ("DependsOn", Value::String(s)) => ids.contains(s),
            ("Fn::GetAtt", Value::Array(a)) => a
                .first()
                .and_then(Value::as_str)
                .is_some_and(|s| ids.contains(s)),
            ("Fn::GetAtt", Value::String(s)) => {
                s.split('.').next().is_some_and(|s| ids.contains(s))
            }
            ("Fn::Sub", v) => {
                let text = match v {
                    Value::String(s) => s.as_str(),
                    Value::Array(a) => a.first().and_then(Value::as_str).unwrap_or(""),
                    _ => "",
                };
                ids.iter().any(|id| {
                    text.contains(&format!("${{{id}}}")) || text.contains(&format!("${{{id}."))
                }) || mentions_any(v, ids)
            }
            _ => mentions_any(v, ids),
        }),
        Value::Array(items) => items.iter().any(|v| mentions_any(v, ids)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unsupported_types_and_their_dependents_are_left_out() {
        let mut t = json!({
            "Resources": {
                "Trail": { "Type": "AWS::CloudTrail::Trail", "Properties": {} },
                "Topic": { "Type": "AWS::SNS::Topic", "Properties": { "Name": { "Fn::GetAtt": ["Trail", "Arn"] } } },
                "Vpc": { "Type": "AWS::EC2::VPC", "Properties": { "CidrBlock": "10.0.0.0/16" } },
                "Key": { "Type": "AWS::KMS::Key", "Properties": { "KeyPolicy": { "Version": "2012-10-17" } } }
            },
            "Outputs": { "T": { "Value": { "Ref": "Topic" } }, "V": { "Value": { "Ref": "Vpc" } } }
        });
        let removed = Compat::Moto.adapt(&mut t);
        assert_eq!(
            removed,
            vec![
                ("Topic".to_owned(), "AWS::SNS::Topic".to_owned()),
                ("Trail".to_owned(), "AWS::CloudTrail::Trail".to_owned())
            ]
        );
        assert!(t.pointer("/Resources/Vpc").is_some());
        assert!(t.pointer("/Outputs/T").is_none());
        assert!(t
            .pointer("/Resources/Key/Properties/KeyPolicy")
            .is_some_and(Value::is_string));
        let mut same = t.clone();
        assert!(Compat::Aws.adapt(&mut same).is_empty());
    }
}
