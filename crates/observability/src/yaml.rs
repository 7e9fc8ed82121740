//! JSON values written as block YAML (what people read and diff).

use saphyr::{Mapping, Scalar, Yaml, YamlEmitter};
use serde_json::Value;
use std::borrow::Cow;

/// A JSON value as a YAML document; keys keep their insertion order.
pub fn to_yaml(value: &Value) -> String {
    let doc = convert(value);
    let mut out = String::new();
    let mut emitter = YamlEmitter::new(&mut out);
    emitter.multiline(true);
    // Writing into a String cannot fail.
    let _ = emitter.dump(&doc);
    // The emitter starts every document with `---`; one file holds one document.
    let body = out.strip_prefix("---\n").unwrap_or(&out).to_owned();
    body + "\n"
}

fn convert(value: &Value) -> Yaml<'_> {
    match value {
        Value::Null => Yaml::Value(Scalar::Null),
        Value::Bool(b) => Yaml::Value(Scalar::Boolean(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Yaml::Value(Scalar::Integer(i)),
            None => Yaml::Value(Scalar::FloatingPoint(n.as_f64().unwrap_or(0.0).into())),
        },
        Value::String(s) => Yaml::Value(Scalar::String(Cow::Borrowed(s))),
        Value::Array(items) => Yaml::Sequence(items.iter().map(convert).collect()),
        Value::Object(map) => {
            let mut mapping = Mapping::new();
            for (k, v) in map {
                mapping.insert(Yaml::Value(Scalar::String(Cow::Borrowed(k))), convert(v));
            }
            Yaml::Mapping(mapping)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_that_would_read_as_other_types_are_quoted() {
        let text =
            to_yaml(&json!({ "a": "true", "b": "5m", "c": "x{y=\"1\"} > 2", "d": 3, "e": [] }));
        assert!(text.contains("a: \"true\""), "{text}");
        assert!(text.contains("b: 5m"), "{text}");
        assert!(text.contains("c: \"x{y=\\\"1\\\"} > 2\""), "{text}");
        assert!(text.contains("d: 3"), "{text}");
        assert!(text.contains("e: []"), "{text}");
    }
}
