//! An offline plan view of a root module: the shape of `terraform show
//! -json` (`planned_values`, `resource_changes[].change.after_unknown`),
//! with every value as written and every interpolation unknown. Scanners
//! that read plan JSON (the guardrail rules, checkov's `terraform_plan`)
//! can check a module before anyone runs `terraform plan` against AWS.

use serde_json::{json, Map, Value};

fn is_interp(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.contains("${"))
}

/// Values with interpolations removed, and the matching `after_unknown`.
fn split(
    schema: Option<&Value>,
    body: &Map<String, Value>,
) -> (Map<String, Value>, Map<String, Value>) {
    let mut values = Map::new();
    let mut unknown = Map::new();
    for (k, v) in body {
        if matches!(k.as_str(), "depends_on" | "lifecycle" | "provider") {
            continue;
        }
        let block = schema.and_then(|s| s.pointer(&format!("/blocks/{k}")));
        match (block, v) {
            (Some(b), Value::Object(m)) => {
                let (vv, uu) = split(Some(b), m);
                values.insert(k.clone(), json!([vv]));
                unknown.insert(k.clone(), json!([uu]));
            }
            (Some(b), Value::Array(items)) => {
                let (vs, us): (Vec<Value>, Vec<Value>) = items
                    .iter()
                    .filter_map(Value::as_object)
                    .map(|m| {
                        let (vv, uu) = split(Some(b), m);
                        (Value::Object(vv), Value::Object(uu))
                    })
                    .unzip();
                values.insert(k.clone(), Value::Array(vs));
                unknown.insert(k.clone(), Value::Array(us));
            }
            (_, v) if is_interp(v) => {
                unknown.insert(k.clone(), json!(true));
            }
            (_, Value::Array(items)) if items.iter().any(is_interp) => {
                let vs: Vec<Value> = items
                    .iter()
                    .map(|i| if is_interp(i) { Value::Null } else { i.clone() })
                    .collect();
                let us: Vec<Value> = items.iter().map(|i| json!(is_interp(i))).collect();
                values.insert(k.clone(), Value::Array(vs));
                unknown.insert(k.clone(), Value::Array(us));
            }
            (_, v) => {
                values.insert(k.clone(), v.clone());
            }
        }
    }
    (values, unknown)
}

/// The plan view of a module (`main.tf.json` parsed).
pub fn plan_json(module: &Value) -> Value {
    let schema: Value = serde_json::from_str(crate::schema::AWS_SCHEMA).unwrap_or(Value::Null);
    let mut resources = Vec::new();
    let mut changes = Vec::new();
    for (ty, instances) in module
        .get("resource")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for (name, body) in instances.as_object().into_iter().flatten() {
            let Some(body) = body.as_object() else {
                continue;
            };
            let (values, unknown) = split(schema.pointer(&format!("/resources/{ty}")), body);
            let address = format!("{ty}.{name}");
            let provider = if ty.starts_with("aws_") {
                "registry.terraform.io/hashicorp/aws"
            } else {
                "registry.terraform.io/mongey/kafka"
            };
            resources.push(json!({
                "address": address, "mode": "managed", "type": ty, "name": name,
                "provider_name": provider, "schema_version": 0, "values": values
            }));
            changes.push(json!({
                "address": address, "mode": "managed", "type": ty, "name": name, "provider_name": provider,
                "change": { "actions": ["create"], "before": null, "after": values, "after_unknown": unknown }
            }));
        }
    }
    let region = module
        .pointer("/provider/aws/0/region")
        .cloned()
        .unwrap_or(Value::Null);
    json!({
        "format_version": "1.2",
        "terraform_version": "1.10.0",
        "planned_values": { "root_module": { "resources": resources } },
        "resource_changes": changes,
        "configuration": { "provider_config": { "aws": { "name": "aws", "expressions": { "region": { "constant_value": region } } } } }
    })
}
