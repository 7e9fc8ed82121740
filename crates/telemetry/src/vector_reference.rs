//! Vector configurations checked field by field against Vector's component
//! reference for the pinned release (`data/vector-components.json`), and
//! their topology (every input a component reads is defined).
//!
//! There is no Vector binary in the package registries, so its own
//! `vector validate` cannot run here; this is the part of it that needs no
//! Vector: option names, value types, enumerations, required options,
//! buffer bounds and the wiring between components.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde_json::{Map, Value};

/// One problem in one configuration, at a dotted path inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `sinks.kafka.sasl.mechanism`.
    pub path: String,
    pub message: String,
    pub help: String,
}

const REFERENCE: &str = include_str!("../data/vector-components.json");

fn reference() -> &'static Value {
    static PARSED: OnceLock<Value> = OnceLock::new();
    PARSED.get_or_init(|| serde_json::from_str(REFERENCE).unwrap_or(Value::Null))
}

/// The Vector release the reference describes.
pub fn version() -> &'static str {
    reference()
        .get("vector")
        .and_then(Value::as_str)
        .unwrap_or("unknown")
}

/// Every problem of one configuration.
pub fn check(config: &Value) -> Vec<Problem> {
    let mut problems = Vec::new();
    let reference = reference();
    let Some(config) = config.as_object() else {
        problems.push(problem(
            "",
            "a Vector configuration is a mapping",
            "write sources, transforms and sinks",
        ));
        return problems;
    };
    let global = reference.get("global").and_then(Value::as_object);
    for (key, value) in config {
        match global.and_then(|g| g.get(key)) {
            Some(schema) if !matches!(key.as_str(), "sources" | "transforms" | "sinks") => {
                check_value(schema, value, key, &mut problems);
            }
            Some(_) => {}
            None => problems.push(unknown(key, global)),
        }
    }
    for kind in ["sources", "transforms", "sinks"] {
        let Some(components) = config.get(kind).and_then(Value::as_object) else {
            continue;
        };
        let known = reference.get(kind).and_then(Value::as_object);
        for (name, component) in components {
            let at = format!("{kind}.{name}");
            let Some(ty) = component.get("type").and_then(Value::as_str) else {
                problems.push(problem(
                    &at,
                    "a component without a `type`",
                    "name the component's type",
                ));
                continue;
            };
            let Some(fields) = known.and_then(|k| k.get(ty)).and_then(Value::as_object) else {
                problems.push(Problem {
                    path: format!("{at}.type"),
                    message: format!(
                        "Vector {} has no {} of type `{ty}` that Landfall knows",
                        version(),
                        &kind[..kind.len() - 1]
                    ),
                    help: suggest(
                        ty,
                        known
                            .map(|k| k.keys().map(String::as_str).collect())
                            .unwrap_or_default(),
                    ),
                });
                continue;
            };
            let schema = Value::Object(
                [
                    ("type".to_owned(), Value::from("object")),
                    ("fields".to_owned(), Value::Object(fields.clone())),
                ]
                .into_iter()
                .collect(),
            );
            let mut rest = component.clone();
            if let Some(map) = rest.as_object_mut() {
                map.remove("type");
            }
            check_value(&schema, &rest, &at, &mut problems);
        }
    }
    check_inputs(config, &mut problems);
    problems
}

/// Every input names a source or transform of the same configuration (a
/// route's output as `<route>.<name>`), and every transform and sink has one.
fn check_inputs(config: &Map<String, Value>, problems: &mut Vec<Problem>) {
    let mut outputs: BTreeSet<String> = BTreeSet::new();
    for kind in ["sources", "transforms"] {
        for (name, component) in config
            .get(kind)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            outputs.insert(name.clone());
            if component.get("type").and_then(Value::as_str) == Some("route") {
                for route in component
                    .get("route")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    outputs.insert(format!("{name}.{}", route.0));
                }
                outputs.insert(format!("{name}._unmatched"));
            }
        }
    }
    for kind in ["transforms", "sinks"] {
        for (name, component) in config
            .get(kind)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let inputs = component.get("inputs").and_then(Value::as_array);
            for (i, input) in inputs.into_iter().flatten().enumerate() {
                let Some(input) = input.as_str() else {
                    continue;
                };
                if !outputs.contains(input) {
                    problems.push(Problem {
                        path: format!("{kind}.{name}.inputs.{i}"),
                        message: format!(
                            "`{name}` reads `{input}`, which no source or transform defines"
                        ),
                        help: suggest(input, outputs.iter().map(String::as_str).collect()),
                    });
                }
            }
        }
    }
}

fn check_value(schema: &Value, value: &Value, at: &str, problems: &mut Vec<Problem>) {
    let shared = reference().get("shared");
    let schema = match schema.get("$ref").and_then(Value::as_str) {
        Some(name) => {
            let Some(target) = shared.and_then(|s| s.get(name)) else {
                return;
            };
            target
        }
        None => schema,
    };
    let ty = schema.get("type").and_then(Value::as_str).unwrap_or("any");
    // `${VAR}` is interpolated at start-up: any scalar option may hold one.
    let interpolated = value
        .as_str()
        .is_some_and(|s| s.starts_with("${") && s.ends_with('}'));
    match ty {
        "string" if !value.is_string() => problems.push(mismatch(at, "a string", value)),
        "boolean" if !value.is_boolean() => problems.push(mismatch(at, "true or false", value)),
        "integer" if !(value.is_u64() || value.is_i64() || interpolated) => {
            problems.push(mismatch(at, "an integer", value))
        }
        "number" if !(value.is_number() || interpolated) => {
            problems.push(mismatch(at, "a number", value))
        }
        "integer" => {
            if let (Some(min), Some(n)) = (
                schema.get("minimum").and_then(Value::as_u64),
                value.as_u64(),
            ) {
                if n < min {
                    problems.push(problem(
                        at,
                        &format!("{n} is below the least value Vector accepts ({min})"),
                        &format!("give at least {min}"),
                    ));
                }
            }
        }
        "enum" => {
            let values: Vec<&str> = schema
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            match value.as_str() {
                Some(v) if values.contains(&v) || interpolated => {}
                Some(v) => problems.push(Problem {
                    path: at.to_owned(),
                    message: format!("`{v}` is not one of Vector {}'s values here", version()),
                    help: format!("expected one of {}", quoted(&values)),
                }),
                None => problems.push(mismatch(at, "a string", value)),
            }
        }
        "array" => match value.as_array() {
            Some(items) => {
                if let Some(item) = schema.get("items") {
                    for (i, v) in items.iter().enumerate() {
                        check_value(item, v, &format!("{at}.{i}"), problems);
                    }
                }
            }
            None => problems.push(mismatch(at, "a list", value)),
        },
        "object" => match value.as_object() {
            Some(map) => check_object(schema, map, at, problems),
            None => problems.push(mismatch(at, "a mapping", value)),
        },
        _ => {}
    }
}

fn check_object(schema: &Value, map: &Map<String, Value>, at: &str, problems: &mut Vec<Problem>) {
    if let Some(values) = schema.get("values") {
        for (k, v) in map {
            check_value(values, v, &format!("{at}.{k}"), problems);
        }
    }
    let Some(fields) = schema.get("fields").and_then(Value::as_object) else {
        return;
    };
    for (k, v) in map {
        match fields.get(k) {
            Some(field) => check_value(field, v, &join(at, k), problems),
            None => problems.push(unknown(&join(at, k), Some(fields))),
        }
    }
    for (k, field) in fields {
        let required = field
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(false)
            || (field.get("$ref").and_then(Value::as_str) == Some("inputs"));
        if required && !map.contains_key(k) {
            problems.push(problem(
                at,
                &format!("`{k}` is required"),
                &format!("set `{k}`"),
            ));
        }
    }
    // A disk buffer must be sized (Vector refuses one without `max_size`).
    if map.get("type").and_then(Value::as_str) == Some("disk")
        && fields.contains_key("when_full")
        && !map.contains_key("max_size")
    {
        problems.push(problem(
            at,
            "a disk buffer without `max_size`",
            "give `max_size` in bytes",
        ));
    }
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_owned()
    } else {
        format!("{at}.{key}")
    }
}

fn unknown(at: &str, fields: Option<&Map<String, Value>>) -> Problem {
    let key = at.rsplit('.').next().unwrap_or(at);
    Problem {
        path: at.to_owned(),
        message: format!("Vector {} has no option `{key}` here", version()),
        help: suggest(
            key,
            fields
                .map(|f| f.keys().map(String::as_str).collect())
                .unwrap_or_default(),
        ),
    }
}

fn mismatch(at: &str, expected: &str, value: &Value) -> Problem {
    problem(
        at,
        &format!("expected {expected}, found `{value}`"),
        &format!("write {expected}"),
    )
}

fn problem(at: &str, message: &str, help: &str) -> Problem {
    Problem {
        path: at.to_owned(),
        message: message.to_owned(),
        help: help.to_owned(),
    }
}

fn suggest(name: &str, candidates: Vec<&str>) -> String {
    landfall_diagnostics::did_you_mean(name, candidates.iter().copied())
}

fn quoted(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
