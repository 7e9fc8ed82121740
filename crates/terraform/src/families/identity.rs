//! IAM Identity Center: a permission set (its managed policies and inline
//! policy become resources of their own, as the provider models them) and
//! account assignments.

use serde_json::{json, Map, Value};

use super::{Mapping, K, P};
use crate::Cx;

pub static MAPPINGS: [Mapping; 2] = [
    Mapping {
        cfn: "AWS::SSO::PermissionSet",
        tf: "aws_ssoadmin_permission_set",
        // `Ref` of a permission set is its ARN
        // (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sso-permissionset.html).
        reference: "arn",
        attributes: &[("PermissionSetArn", "arn")],
        props: &[
            P("Name", "name", K::V),
            P("Description", "description", K::V),
            P("InstanceArn", "instance_arn", K::V),
            P("SessionDuration", "session_duration", K::V),
            P("ManagedPolicies", "", K::Hook),
            P("InlinePolicy", "", K::Hook),
        ],
        hook: Some(permission_set),
    },
    Mapping {
        cfn: "AWS::SSO::Assignment",
        tf: "aws_ssoadmin_account_assignment",
        reference: "id",
        attributes: &[],
        props: &[
            P("InstanceArn", "instance_arn", K::V),
            P("PermissionSetArn", "permission_set_arn", K::V),
            P("PrincipalId", "principal_id", K::V),
            P("PrincipalType", "principal_type", K::V),
            P("TargetId", "target_id", K::V),
            P("TargetType", "target_type", K::V),
        ],
        hook: None,
    },
];

fn permission_set(
    cx: &mut Cx<'_>,
    r: &landfall_graph::Resource,
    _out: &mut Map<String, Value>,
    name: &str,
) {
    let instance = r
        .properties
        .get("InstanceArn")
        .and_then(|v| crate::expr::value(cx, v))
        .unwrap_or(Value::Null);
    let set = json!(format!("${{aws_ssoadmin_permission_set.{name}.arn}}"));
    if let Some(Value::Array(arns)) = r.properties.get("ManagedPolicies") {
        for arn in arns {
            let v = crate::expr::value(cx, arn).unwrap_or(Value::Null);
            let key = format!("{name}_{}", crate::short_hash(&v.to_string()));
            let mut o = Map::new();
            o.insert("instance_arn".into(), instance.clone());
            o.insert("permission_set_arn".into(), set.clone());
            o.insert("managed_policy_arn".into(), v);
            cx.extra("aws_ssoadmin_managed_policy_attachment", &key, o);
        }
    }
    if let Some(doc) = r.properties.get("InlinePolicy") {
        let text = crate::expr::json_document(cx, doc).0;
        let mut o = Map::new();
        o.insert("instance_arn".into(), instance);
        o.insert("permission_set_arn".into(), set);
        o.insert("inline_policy".into(), json!(text));
        cx.extra(
            "aws_ssoadmin_permission_set_inline_policy",
            &format!("{name}_inline"),
            o,
        );
    }
}
