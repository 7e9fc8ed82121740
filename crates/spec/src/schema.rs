//! The spec's JSON Schema, generated from the Rust types, and a checker that
//! reads YAML trees against it and reports every mismatch with its location.
//!
//! Why not a JSON Schema crate: they validate `serde_json::Value`s, which have
//! no positions, and their messages name schema keywords. Checking the located
//! tree directly keeps spans and lets each message say what would be right
//! ("did you mean `domain`?", "quote the value"). Only the keywords schemars
//! emits for our types are needed, and a test checks no other keyword appears.

use std::sync::OnceLock;

use landfall_diagnostics::{did_you_mean, Diagnostic, Diagnostics};
use serde_json::{Map, Value as Json};

use crate::types::SpecFile;
use crate::yaml::{Node, Value};

/// The JSON Schema of one spec file, as editors and `landfall schema` see it.
pub fn spec_schema() -> &'static Json {
    static SCHEMA: OnceLock<Json> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let mut schema = schemars::schema_for!(SpecFile).to_value();
        if let Some(object) = schema.as_object_mut() {
            object.insert(
                "$id".to_owned(),
                Json::String("https://landfall.dev/schema/spec.json".to_owned()),
            );
        }
        schema
    })
}

/// Keywords the checker understands; anything else in the generated schema is
/// a bug caught by a test.
pub const SUPPORTED_KEYWORDS: &[&str] = &[
    "$schema",
    "$id",
    "$ref",
    "$defs",
    "title",
    "description",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "const",
    "oneOf",
    "anyOf",
    "minimum",
    "maximum",
    "format",
    "default",
];

/// Checks a file's tree against the spec schema; returns true when it conforms.
pub fn check(node: &Node, diagnostics: &mut Diagnostics) -> bool {
    invalid_values(node, diagnostics).is_empty()
}

/// Checks a file's tree against the spec schema, reports every mismatch, and
/// returns the JSON pointers of the values that do not conform (none when the
/// file conforms), so the loader can set them aside and keep the rest.
pub fn invalid_values(node: &Node, diagnostics: &mut Diagnostics) -> Vec<String> {
    let root = spec_schema();
    let mut checker = Checker {
        root,
        diagnostics,
        invalid: Vec::new(),
    };
    checker.check(node, root, "");
    let mut invalid = checker.invalid;
    invalid.sort();
    invalid.dedup();
    invalid
}

struct Checker<'a> {
    root: &'a Json,
    diagnostics: &'a mut Diagnostics,
    /// JSON pointers of the values that do not conform.
    invalid: Vec<String>,
}

/// What the schema asks for, in words.
fn expected_description(schema: &Map<String, Json>) -> String {
    if let Some(values) = schema.get("enum").and_then(Json::as_array) {
        return one_of(values.iter().filter_map(Json::as_str));
    }
    match schema.get("type") {
        Some(Json::String(t)) => article(t),
        Some(Json::Array(types)) => types
            .iter()
            .filter_map(Json::as_str)
            .filter(|t| *t != "null")
            .map(article)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "a value".to_owned(),
    }
}

fn article(type_name: &str) -> String {
    match type_name {
        "object" => "a mapping".to_owned(),
        "array" => "a list".to_owned(),
        "integer" => "a whole number".to_owned(),
        "number" => "a number".to_owned(),
        "boolean" => "`true` or `false`".to_owned(),
        "string" => "a string".to_owned(),
        "null" => "nothing".to_owned(),
        other => format!("a {other}"),
    }
}

fn one_of<'a>(values: impl Iterator<Item = &'a str>) -> String {
    let values: Vec<String> = values.map(|v| format!("`{v}`")).collect();
    match values.len() {
        1 => values[0].clone(),
        _ => format!("one of {}", values.join(", ")),
    }
}

fn json_type_matches(type_name: &str, value: &Value) -> bool {
    matches!(
        (type_name, value),
        ("null", Value::Null)
            | ("boolean", Value::Bool(_))
            | ("integer", Value::Int(_))
            | ("number", Value::Int(_) | Value::Float(_))
            | ("string", Value::String(_))
            | ("array", Value::Sequence(_))
            | ("object", Value::Mapping(_))
    )
}

/// The constant a `{"const": ..}` or single-value `enum` schema pins, if any.
fn pinned_string(schema: &Json) -> Option<&str> {
    schema.get("const").and_then(Json::as_str).or_else(|| {
        match schema.get("enum").and_then(Json::as_array) {
            Some(values) if values.len() == 1 => values[0].as_str(),
            _ => None,
        }
    })
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl<'a> Checker<'a> {
    fn resolve(&self, schema: &'a Json) -> &'a Json {
        let mut schema = schema;
        // `$ref`s in generated schemas point into `$defs`; follow a bounded chain.
        for _ in 0..16 {
            let Some(reference) = schema.get("$ref").and_then(Json::as_str) else {
                break;
            };
            let target = reference
                .strip_prefix("#/$defs/")
                .and_then(|name| self.root.get("$defs")?.get(name));
            match target {
                Some(target) => schema = target,
                None => break,
            }
        }
        schema
    }

    fn check(&mut self, node: &Node, schema: &'a Json, path: &str) {
        let schema = self.resolve(schema);
        let Some(object) = schema.as_object() else {
            return;
        };
        if let Some(variants) = object
            .get("oneOf")
            .or_else(|| object.get("anyOf"))
            .and_then(Json::as_array)
        {
            self.check_alternatives(node, variants, path);
            return;
        }
        if let Some(types) = object.get("type") {
            let ok = match types {
                Json::String(t) => json_type_matches(t, &node.value),
                Json::Array(ts) => ts
                    .iter()
                    .filter_map(Json::as_str)
                    .any(|t| json_type_matches(t, &node.value)),
                _ => true,
            };
            if !ok {
                self.type_mismatch(node, object, path);
                return;
            }
        }
        if let Some(values) = object.get("enum").and_then(Json::as_array) {
            let allowed: Vec<&str> = values.iter().filter_map(Json::as_str).collect();
            let text = scalar_text(&node.value).unwrap_or_default();
            if !allowed.contains(&text.as_str()) {
                self.push(
                    path,
                    Diagnostic::error(
                        "spec::invalid-value",
                        format!("`{text}` is not a valid value{}", at(path)),
                    )
                    .with_label(
                        node.span,
                        format!("expected {}", one_of(allowed.iter().copied())),
                    )
                    .with_help(did_you_mean(&text, allowed.iter().copied())),
                );
            }
            return;
        }
        if let Some(constant) = object.get("const").and_then(Json::as_str) {
            if scalar_text(&node.value).as_deref() != Some(constant) {
                self.push(
                    path,
                    Diagnostic::error(
                        "spec::invalid-value",
                        format!("expected `{constant}`{}", at(path)),
                    )
                    .with_label(node.span, "here"),
                );
            }
            return;
        }
        if let Value::Int(i) = node.value {
            self.check_range(node, i as f64, object, path);
        }
        if let Value::Float(f) = node.value {
            self.check_range(node, f, object, path);
        }
        match &node.value {
            Value::Sequence(items) => {
                if let Some(item_schema) = object.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.check(item, item_schema, &format!("{path}/{i}"));
                    }
                }
            }
            Value::Mapping(entries) => self.check_mapping(node, entries, object, path),
            _ => {}
        }
    }

    fn check_range(&mut self, node: &Node, value: f64, object: &Map<String, Json>, path: &str) {
        let minimum = object.get("minimum").and_then(Json::as_f64);
        let maximum = object.get("maximum").and_then(Json::as_f64);
        let below = minimum.is_some_and(|min| value < min);
        let above = maximum.is_some_and(|max| value > max);
        if below || above {
            let range = match (minimum, maximum) {
                (Some(min), Some(max)) => format!("from {min} to {max}"),
                (Some(min), None) => format!("at least {min}"),
                (None, Some(max)) => format!("at most {max}"),
                (None, None) => String::new(),
            };
            self.push(
                path,
                Diagnostic::error(
                    "spec::out-of-range",
                    format!("{value} is out of range{}", at(path)),
                )
                .with_label(node.span, format!("expected a number {range}")),
            );
        }
    }

    fn check_mapping(
        &mut self,
        node: &Node,
        entries: &[(crate::yaml::Key, Node)],
        object: &'a Map<String, Json>,
        path: &str,
    ) {
        let properties = object.get("properties").and_then(Json::as_object);
        let additional = object.get("additionalProperties");
        for (key, value) in entries {
            let child_path = format!("{path}/{}", key.name);
            if let Some(property) = properties.and_then(|p| p.get(&key.name)) {
                self.check(value, property, &child_path);
                continue;
            }
            match additional {
                Some(Json::Bool(false)) => {
                    let known = properties
                        .map(|p| p.keys().map(String::as_str).collect::<Vec<_>>())
                        .unwrap_or_default();
                    self.push(
                        &child_path,
                        Diagnostic::error(
                            "spec::unknown-field",
                            format!("unknown field `{}`{}", key.name, at(path)),
                        )
                        .with_label(key.span, "not a field here")
                        .with_help(did_you_mean(&key.name, known.iter().copied())),
                    );
                }
                Some(schema @ Json::Object(_)) => self.check(value, schema, &child_path),
                _ => {}
            }
        }
        if let Some(required) = object.get("required").and_then(Json::as_array) {
            for name in required.iter().filter_map(Json::as_str) {
                if entries.iter().any(|(key, _)| key.name == name) {
                    continue;
                }
                let what = properties
                    .and_then(|p| p.get(name))
                    .map(|s| self.resolve(s))
                    .and_then(|s| s.get("description"))
                    .and_then(Json::as_str)
                    .map(first_sentence)
                    .unwrap_or_default();
                let help = if what.is_empty() {
                    format!("add `{name}: ...`")
                } else {
                    format!("add `{name}:` ({what})")
                };
                // Point at the start of the mapping: the field belongs there.
                let start = landfall_diagnostics::Span::new(
                    node.span.file,
                    node.span.start,
                    node.span.start,
                );
                self.push(
                    path,
                    Diagnostic::error(
                        "spec::missing-field",
                        format!("missing required field `{name}`{}", at(path)),
                    )
                    .with_label(start, "in this mapping")
                    .with_help(help),
                );
            }
        }
    }

    fn check_alternatives(&mut self, node: &Node, variants: &'a [Json], path: &str) {
        // `Option<T>`: null, or T.
        let non_null: Vec<&'a Json> = variants
            .iter()
            .filter(|v| v.get("type").and_then(Json::as_str) != Some("null"))
            .collect();
        if non_null.len() < variants.len() {
            if matches!(node.value, Value::Null) {
                return;
            }
            if non_null.len() == 1 {
                self.check(node, non_null[0], path);
                return;
            }
        }
        // Documented unit enums: every variant pins a string.
        let pinned: Vec<&str> = non_null
            .iter()
            .filter_map(|v| pinned_string(self.resolve(v)))
            .collect();
        if pinned.len() == non_null.len() && !pinned.is_empty() {
            let text = scalar_text(&node.value);
            if text.as_deref().is_some_and(|t| pinned.contains(&t)) {
                return;
            }
            let shown = text.unwrap_or_else(|| node.value.type_name().to_owned());
            self.push(
                path,
                Diagnostic::error(
                    "spec::invalid-value",
                    format!("`{shown}` is not a valid value{}", at(path)),
                )
                .with_label(
                    node.span,
                    format!("expected {}", one_of(pinned.iter().copied())),
                )
                .with_help(did_you_mean(&shown, pinned.iter().copied())),
            );
            return;
        }
        // Internally tagged enums: pick the variant by its tag.
        if let Some((tag, by_value)) = self.discriminator(&non_null) {
            let Value::Mapping(entries) = &node.value else {
                self.push(
                    path,
                    Diagnostic::error(
                        "spec::wrong-type",
                        format!(
                            "expected a mapping with `{tag}`{}, found {}",
                            at(path),
                            node.value.type_name()
                        ),
                    )
                    .with_label(node.span, "here"),
                );
                return;
            };
            let names: Vec<&str> = by_value.iter().map(|(name, _)| *name).collect();
            match entries.iter().find(|(key, _)| key.name == tag) {
                None => self.push(
                    path,
                    Diagnostic::error(
                        "spec::missing-field",
                        format!("missing required field `{tag}`{}", at(path)),
                    )
                    .with_label(
                        landfall_diagnostics::Span::new(
                            node.span.file,
                            node.span.start,
                            node.span.start,
                        ),
                        "in this mapping",
                    )
                    .with_help(format!(
                        "add `{tag}:` with {}",
                        one_of(names.iter().copied())
                    )),
                ),
                Some((_, value)) => {
                    let text = scalar_text(&value.value).unwrap_or_default();
                    match by_value.iter().find(|(name, _)| *name == text) {
                        Some((_, variant)) => self.check(node, variant, path),
                        None => self.push(
                            path,
                            Diagnostic::error(
                                "spec::invalid-value",
                                format!("`{text}` is not a valid `{tag}`{}", at(path)),
                            )
                            .with_label(
                                value.span,
                                format!("expected {}", one_of(names.iter().copied())),
                            )
                            .with_help(did_you_mean(&text, names.iter().copied())),
                        ),
                    }
                }
            }
            return;
        }
        // General case: accept the first variant that fits; otherwise report the
        // closest variant's problems.
        let mut best: Option<(Diagnostics, Vec<String>)> = None;
        for variant in &non_null {
            let mut trial = Diagnostics::new();
            let mut checker = Checker {
                root: self.root,
                diagnostics: &mut trial,
                invalid: Vec::new(),
            };
            checker.check(node, variant, path);
            let invalid = checker.invalid;
            if !trial.has_errors() {
                return;
            }
            if best.as_ref().is_none_or(|(b, _)| trial.len() < b.len()) {
                best = Some((trial, invalid));
            }
        }
        if let Some((best, invalid)) = best {
            self.diagnostics.extend(best);
            self.invalid.extend(invalid);
        }
    }

    /// For variants that are all objects pinning one shared property to a
    /// constant, that property's name and the variants by value.
    fn discriminator(&self, variants: &[&'a Json]) -> Option<(&'a str, Vec<(&'a str, &'a Json)>)> {
        let first = self.resolve(variants.first()?);
        let properties = first.get("properties")?.as_object()?;
        let (tag, _) = properties
            .iter()
            .find(|(_, s)| pinned_string(s).is_some())?;
        let mut by_value = Vec::new();
        for variant in variants {
            let variant = self.resolve(variant);
            let value = pinned_string(variant.get("properties")?.get(tag.as_str())?)?;
            by_value.push((value, variant));
        }
        Some((tag.as_str(), by_value))
    }

    fn type_mismatch(&mut self, node: &Node, object: &Map<String, Json>, path: &str) {
        let expected = expected_description(object);
        let wants_string = match object.get("type") {
            Some(Json::String(t)) => t == "string",
            Some(Json::Array(ts)) => ts.iter().any(|t| t == "string"),
            _ => false,
        };
        let help = match (&node.value, wants_string) {
            (Value::Int(_) | Value::Float(_) | Value::Bool(_), true) => {
                "quote the value to make it a string".to_owned()
            }
            (Value::Null, _) => "give it a value, or remove the key".to_owned(),
            _ => format!("write {expected} here"),
        };
        self.push(
            path,
            Diagnostic::error(
                "spec::wrong-type",
                format!(
                    "expected {expected}{}, found {}",
                    at(path),
                    node.value.type_name()
                ),
            )
            .with_label(
                node.span,
                format!("this is {}", article_for_value(&node.value)),
            )
            .with_help(help),
        );
    }

    /// Reports a problem with the value at `path` (a JSON pointer into the file).
    fn push(&mut self, path: &str, diagnostic: Diagnostic) {
        self.invalid.push(path.to_owned());
        self.diagnostics.push(diagnostic);
    }
}

fn article_for_value(value: &Value) -> &'static str {
    match value {
        Value::Null => "empty",
        Value::Bool(_) => "a boolean",
        Value::Int(_) => "a whole number",
        Value::Float(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
    }
}

/// ` for `path`` suffix naming where in the file a problem is.
fn at(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" in `{}`", path.trim_start_matches('/').replace('/', "."))
    }
}

fn first_sentence(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    let sentence = line.split(". ").next().unwrap_or(line);
    let sentence = sentence.trim_end_matches('.');
    let mut chars = sentence.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
