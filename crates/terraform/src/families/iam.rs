//! IAM roles (inline policies and managed policy attachments become
//! resources of their own) and instance profiles.

use serde_json::{json, Map, Value};

use super::{Mapping, K, P, TAGS};
use crate::Cx;

pub static MAPPINGS: [Mapping; 2] = [
    Mapping {
        cfn: "AWS::IAM::Role",
        tf: "aws_iam_role",
        reference: "name",
        attributes: &[("Arn", "arn"), ("RoleId", "unique_id")],
        props: &[
            P("RoleName", "name", K::V),
            P("Path", "path", K::V),
            P("Description", "description", K::V),
            P("PermissionsBoundary", "permissions_boundary", K::V),
            P("MaxSessionDuration", "max_session_duration", K::V),
            P("AssumeRolePolicyDocument", "assume_role_policy", K::Json),
            P("Policies", "", K::Hook),
            P("ManagedPolicyArns", "", K::Hook),
            TAGS,
        ],
        hook: Some(role),
    },
    Mapping {
        cfn: "AWS::IAM::InstanceProfile",
        tf: "aws_iam_instance_profile",
        reference: "name",
        attributes: &[("Arn", "arn")],
        props: &[
            P("Path", "path", K::V),
            P("InstanceProfileName", "name", K::V),
            P("Roles", "", K::Hook),
        ],
        hook: Some(instance_profile),
    },
];

fn role(cx: &mut Cx<'_>, r: &landfall_graph::Resource, _out: &mut Map<String, Value>, name: &str) {
    if let Some(Value::Array(policies)) = r.properties.get("Policies") {
        for p in policies {
            let policy_name = p
                .get("PolicyName")
                .and_then(Value::as_str)
                .unwrap_or("policy");
            let doc = p.get("PolicyDocument").unwrap_or(&Value::Null);
            let text = crate::expr::json_document(cx, doc).0;
            let mut o = Map::new();
            o.insert("name".into(), json!(policy_name));
            o.insert(
                "role".into(),
                json!(format!("${{aws_iam_role.{name}.name}}")),
            );
            o.insert("policy".into(), json!(text));
            cx.extra(
                "aws_iam_role_policy",
                &format!("{name}_{}", crate::expr::snake(policy_name)),
                o,
            );
        }
    }
    if let Some(Value::Array(arns)) = r.properties.get("ManagedPolicyArns") {
        for arn in arns {
            let v = crate::expr::value(cx, arn).unwrap_or(Value::Null);
            let key = format!("{name}_{}", crate::short_hash(&v.to_string()));
            let mut o = Map::new();
            o.insert(
                "role".into(),
                json!(format!("${{aws_iam_role.{name}.name}}")),
            );
            o.insert("policy_arn".into(), v);
            cx.extra("aws_iam_role_policy_attachment", &key, o);
        }
    }
}

fn instance_profile(
    cx: &mut Cx<'_>,
    r: &landfall_graph::Resource,
    out: &mut Map<String, Value>,
    _name: &str,
) {
    if let Some(role) = r.properties.get("Roles").and_then(|v| v.get(0)) {
        if let Some(v) = crate::expr::value(cx, role) {
            out.insert("role".into(), v);
        }
    }
}
