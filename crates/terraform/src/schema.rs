//! Checks emitted modules against the hashicorp/aws provider schema:
//! every attribute and block of every `aws_*` resource must exist in the
//! provider, with a value of a fitting shape.
//!
//! The schema is a compact subset of the provider's (`schema/aws.json`,
//! the resource types the emitter writes), extracted by
//! `schema/extract.js` from the CDK Terrain prebuilt bindings
//! (`@cdktn/provider-aws` on npm, generated from `terraform providers
//! schema -json`); `scripts/refresh-aws-schema.sh` regenerates it.

use serde_json::Value;

/// The embedded schema subset.
pub const AWS_SCHEMA: &str = include_str!("../schema/aws.json");

/// The provider version the embedded schema was taken from.
pub fn provider_version() -> String {
    serde_json::from_str::<Value>(AWS_SCHEMA)
        .ok()
        .and_then(|v| v.get("version").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default()
}

/// Every mismatch between a module's `aws_*` resources and the schema.
pub fn check_module(module: &Value) -> Vec<String> {
    let Ok(schema) = serde_json::from_str::<Value>(AWS_SCHEMA) else {
        return vec!["the embedded schema does not parse".into()];
    };
    check_with(&schema, module)
}

/// [`check_module`] with a parsed schema.
pub fn check_with(schema: &Value, module: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    let Some(resources) = module.get("resource").and_then(Value::as_object) else {
        return errors;
    };
    for (ty, instances) in resources {
        if !ty.starts_with("aws_") {
            continue;
        }
        let Some(s) = schema.pointer(&format!("/resources/{ty}")) else {
            errors.push(format!(
                "{ty}: not in the schema subset (add it to schema/types.txt and refresh)"
            ));
            continue;
        };
        for (name, body) in instances.as_object().into_iter().flatten() {
            block(s, body, &format!("{ty}.{name}"), &mut errors);
        }
    }
    errors
}

const META: [&str; 5] = ["depends_on", "lifecycle", "count", "for_each", "provider"];

fn block(s: &Value, body: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(body) = body.as_object() else {
        errors.push(format!("{at}: a block must be an object"));
        return;
    };
    for (k, v) in body {
        if META.contains(&k.as_str()) {
            continue;
        }
        if let Some(t) = s
            .pointer(&format!("/attributes/{k}"))
            .and_then(Value::as_str)
        {
            if !fits(t, v) {
                errors.push(format!("{at}.{k}: {v} is not a {t}"));
            }
        } else if let Some(b) = s.pointer(&format!("/blocks/{k}")) {
            match v {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        block(b, item, &format!("{at}.{k}[{i}]"), errors);
                    }
                }
                other => block(b, other, &format!("{at}.{k}"), errors),
            }
        } else {
            errors.push(format!("{at}: no attribute or block `{k}` in the provider"));
        }
    }
}

fn fits(t: &str, v: &Value) -> bool {
    // An interpolation may give any type; Terraform converts between
    // strings, numbers and booleans.
    if let Value::String(s) = v {
        if s.starts_with("${") {
            return true;
        }
    }
    match t {
        "string" | "number" | "bool" => {
            matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
        }
        "any" => true,
        _ if t.starts_with("list(") || t.starts_with("set(") => matches!(v, Value::Array(_)),
        _ if t.starts_with("map(") => matches!(v, Value::Object(_)),
        _ => true,
    }
}
