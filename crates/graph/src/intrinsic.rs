//! CloudFormation intrinsic functions as JSON values: constructors, and a
//! walker and rewriter of the references they make.

use serde_json::{json, Map, Value};

/// `{"Ref": name}`: a resource's primary id, or a parameter's value.
pub fn r#ref(name: &str) -> Value {
    json!({ "Ref": name })
}

/// `{"Fn::GetAtt": [resource, attribute]}`.
pub fn get_att(resource: &str, attribute: &str) -> Value {
    json!({ "Fn::GetAtt": [resource, attribute] })
}

/// `{"Fn::Sub": text}`: `${Name}` and `${Resource.Attribute}` substituted.
pub fn sub(text: impl Into<String>) -> Value {
    json!({ "Fn::Sub": text.into() })
}

/// `{"Fn::ImportValue": export}`.
pub fn import_value(export: &str) -> Value {
    json!({ "Fn::ImportValue": export })
}

/// `{"Fn::Equals": [a, b]}`.
pub fn equals(a: Value, b: Value) -> Value {
    json!({ "Fn::Equals": [a, b] })
}

/// `{"Fn::If": [condition, then, else]}`.
pub fn if_(condition: &str, then: Value, otherwise: Value) -> Value {
    json!({ "Fn::If": [condition, then, otherwise] })
}

/// `{"Ref": "AWS::NoValue"}`: removes the property it is the value of.
pub fn no_value() -> Value {
    r#ref("AWS::NoValue")
}

/// One reference found in a value: `Ref` (no attribute), `Fn::GetAtt`, or a
/// `${...}` of `Fn::Sub`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference<'a> {
    pub target: &'a str,
    pub attribute: Option<&'a str>,
}

/// Calls `f` for every reference in `value`, in document order. Pseudo
/// parameters (`AWS::Region`, ...) are included; names bound by an
/// `Fn::Sub` variable map are not.
pub fn visit_references<'a>(value: &'a Value, f: &mut dyn FnMut(Reference<'a>)) {
    match value {
        Value::Array(items) => {
            for item in items {
                visit_references(item, f);
            }
        }
        Value::Object(map) => {
            if map.len() == 1 {
                if let Some(Value::String(target)) = map.get("Ref") {
                    f(Reference {
                        target,
                        attribute: None,
                    });
                    return;
                }
                if let Some(att) = map.get("Fn::GetAtt") {
                    if let Some((target, attribute)) = get_att_parts(att) {
                        f(Reference {
                            target,
                            attribute: Some(attribute),
                        });
                        return;
                    }
                }
                if let Some(arg) = map.get("Fn::Sub") {
                    let (text, vars) = match arg {
                        Value::String(text) => (Some(text.as_str()), None),
                        Value::Array(items) => (
                            items.first().and_then(Value::as_str),
                            items.get(1).and_then(Value::as_object),
                        ),
                        _ => (None, None),
                    };
                    if let Some(vars) = vars {
                        for v in vars.values() {
                            visit_references(v, f);
                        }
                    }
                    if let Some(text) = text {
                        for name in sub_names(text) {
                            if vars.is_some_and(|v| v.contains_key(name)) {
                                continue;
                            }
                            f(split_sub_name(name));
                        }
                    }
                    return;
                }
            }
            for v in map.values() {
                visit_references(v, f);
            }
        }
        _ => {}
    }
}

fn get_att_parts(att: &Value) -> Option<(&str, &str)> {
    match att {
        Value::Array(items) if items.len() == 2 => Some((items[0].as_str()?, items[1].as_str()?)),
        Value::String(s) => s.split_once('.'),
        _ => None,
    }
}

fn split_sub_name(name: &str) -> Reference<'_> {
    match name.split_once('.') {
        Some((target, attribute)) => Reference {
            target,
            attribute: Some(attribute),
        },
        None => Reference {
            target: name,
            attribute: None,
        },
    }
}

/// The `${...}` names of an `Fn::Sub` string, skipping `${!literal}`.
fn sub_names(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        if !name.starts_with('!') {
            names.push(name);
        }
        rest = &after[end + 1..];
    }
    names
}

/// Replaces every reference for which `f` returns a value: a whole `Ref` or
/// `Fn::GetAtt` becomes that value; a `${...}` in `Fn::Sub` becomes a
/// variable bound to it.
pub fn rewrite_references(value: &mut Value, f: &mut dyn FnMut(Reference<'_>) -> Option<Value>) {
    match value {
        Value::Array(items) => {
            for item in items {
                rewrite_references(item, f);
            }
        }
        Value::Object(map) => {
            if map.len() == 1 {
                let replacement = if let Some(Value::String(target)) = map.get("Ref") {
                    Some(f(Reference {
                        target,
                        attribute: None,
                    }))
                } else if let Some((target, attribute)) =
                    map.get("Fn::GetAtt").and_then(get_att_parts)
                {
                    Some(f(Reference {
                        target,
                        attribute: Some(attribute),
                    }))
                } else {
                    None
                };
                match replacement {
                    Some(Some(new)) => {
                        *value = new;
                        return;
                    }
                    Some(None) => return,
                    None => {}
                }
                if let Some(arg) = map.get_mut("Fn::Sub") {
                    rewrite_sub(arg, f);
                    return;
                }
            }
            for v in map.values_mut() {
                rewrite_references(v, f);
            }
        }
        _ => {}
    }
}

fn rewrite_sub(arg: &mut Value, f: &mut dyn FnMut(Reference<'_>) -> Option<Value>) {
    let (text, mut vars) = match arg {
        Value::String(text) => (text.clone(), Map::new()),
        Value::Array(items) => {
            let text = items
                .first()
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let vars = items
                .get(1)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            (text, vars)
        }
        _ => return,
    };
    for v in vars.values_mut() {
        rewrite_references(v, f);
    }
    let mut new_text = String::with_capacity(text.len());
    let mut rest = text.as_str();
    let mut changed = false;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        new_text.push_str(&rest[..start]);
        let bound = vars.contains_key(name) || name.starts_with('!');
        let replacement = if bound { None } else { f(split_sub_name(name)) };
        match replacement {
            Some(v) => {
                let var: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
                new_text.push_str("${");
                new_text.push_str(&var);
                new_text.push('}');
                vars.insert(var, v);
                changed = true;
            }
            None => {
                new_text.push_str("${");
                new_text.push_str(name);
                new_text.push('}');
            }
        }
        rest = &after[end + 1..];
    }
    new_text.push_str(rest);
    if changed || !vars.is_empty() {
        *arg = if vars.is_empty() {
            Value::String(new_text)
        } else {
            Value::Array(vec![Value::String(new_text), Value::Object(vars)])
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(value: &Value) -> Vec<(String, Option<String>)> {
        let mut out = Vec::new();
        visit_references(value, &mut |r| {
            out.push((r.target.to_owned(), r.attribute.map(str::to_owned)))
        });
        out
    }

    #[test]
    fn finds_ref_getatt_and_sub_names() {
        let value = json!({
            "A": r#ref("Vpc"),
            "B": [get_att("Key", "Arn"), {"Fn::GetAtt": "Role.Arn"}],
            "C": sub("arn:${AWS::Partition}:s3:::${Bucket}/${!Literal}/${Trail.Arn}"),
            "D": {"Fn::Sub": ["${X}-${Y}", {"X": r#ref("Param")}]},
        });
        assert_eq!(
            refs(&value),
            vec![
                ("Vpc".into(), None),
                ("Key".into(), Some("Arn".into())),
                ("Role".into(), Some("Arn".into())),
                ("AWS::Partition".into(), None),
                ("Bucket".into(), None),
                ("Trail".into(), Some("Arn".into())),
                ("Param".into(), None),
                ("Y".into(), None),
            ]
        );
    }

    #[test]
    fn rewrites_references_into_imports() {
        let mut value = json!({
            "A": r#ref("Vpc"),
            "B": get_att("Key", "Arn"),
            "C": sub("arn:${AWS::Partition}:ec2:::subnet/${Subnet}"),
            "D": r#ref("Local"),
        });
        rewrite_references(&mut value, &mut |r| {
            (r.target != "Local" && !r.target.starts_with("AWS::"))
                .then(|| import_value(&format!("x:{}", r.target)))
        });
        assert_eq!(
            value,
            json!({
                "A": {"Fn::ImportValue": "x:Vpc"},
                "B": {"Fn::ImportValue": "x:Key"},
                "C": {"Fn::Sub": ["arn:${AWS::Partition}:ec2:::subnet/${Subnet}", {"Subnet": {"Fn::ImportValue": "x:Subnet"}}]},
                "D": {"Ref": "Local"},
            })
        );
    }
}
