//! CloudFormation values (with intrinsics) as Terraform JSON values.
//!
//! Terraform JSON strings are templates: `${...}` interpolates an
//! expression, and a string that is one interpolation alone gives the
//! expression's own value (a list, a number). So every intrinsic becomes a
//! template, literal strings have `${` and `%{` escaped, and function
//! arguments are turned back into expressions ([`Template::expr`]).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// A Terraform template string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(pub String);

impl Template {
    pub fn literal(text: &str) -> Self {
        Template(escape(text))
    }

    pub fn interp(expr: &str) -> Self {
        Template(format!("${{{expr}}}"))
    }

    /// The template as an HCL expression (for function arguments).
    pub fn expr(&self) -> String {
        let s = &self.0;
        if let Some(inner) = s.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
            if !inner.contains("${") && balanced(inner) {
                return inner.to_owned();
            }
        }
        let mut out = String::with_capacity(s.len() + 2);
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                other => out.push(other),
            }
        }
        out.push('"');
        out
    }
}

fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// Escapes Terraform template syntax in a literal.
pub fn escape(text: &str) -> String {
    // Most literals have no braces at all: no searching, one copy.
    if !text.contains('{') {
        return text.to_owned();
    }
    text.replace("${", "$${").replace("%{", "%%{")
}

/// What an expression translator needs from the module around it.
pub trait Scope {
    /// The expression of `Ref` to a parameter or resource of the stack.
    fn reference(&mut self, name: &str) -> Option<String>;
    /// The expression of `Fn::GetAtt`.
    fn attribute(&mut self, resource: &str, attribute: &str) -> Option<String>;
    /// The expression of `Fn::ImportValue` of an export.
    fn import(&mut self, export: &str) -> String;
    /// The expression of an SSM parameter's value (dynamic references).
    fn ssm(&mut self, name: &str) -> String;
    /// A value the translator cannot express.
    fn unsupported(&mut self, what: String);
}

/// Pseudo parameters.
pub fn pseudo(name: &str) -> Option<&'static str> {
    Some(match name {
        "AWS::Region" => "data.aws_region.current.region",
        "AWS::AccountId" => "data.aws_caller_identity.current.account_id",
        "AWS::Partition" => "data.aws_partition.current.partition",
        "AWS::URLSuffix" => "data.aws_partition.current.dns_suffix",
        _ => return None,
    })
}

/// Translates a value. `None` for `Ref: AWS::NoValue` (the property goes).
pub fn value(scope: &mut dyn Scope, v: &Value) -> Option<Value> {
    match v {
        Value::String(s) => Some(Value::String(string(scope, s).0)),
        Value::Array(items) => Some(Value::Array(
            items.iter().filter_map(|i| value(scope, i)).collect(),
        )),
        Value::Object(map)
            if map.len() == 1
                && map
                    .keys()
                    .next()
                    .is_some_and(|k| k == "Ref" || k.starts_with("Fn::")) =>
        {
            if map.get("Ref").and_then(Value::as_str) == Some("AWS::NoValue") {
                return None;
            }
            Some(Value::String(intrinsic(scope, v).0))
        }
        Value::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            for (k, v) in map {
                if let Some(v) = value(scope, v) {
                    out.insert(k.clone(), v);
                }
            }
            Some(Value::Object(out))
        }
        other => Some(other.clone()),
    }
}

/// A literal string, with `{{resolve:ssm:NAME}}` dynamic references.
pub fn string(scope: &mut dyn Scope, s: &str) -> Template {
    if !s.contains('{') {
        return Template(s.to_owned());
    }
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{resolve:ssm:") {
        out.push_str(&escape(&rest[..start]));
        let after = &rest[start + "{{resolve:ssm:".len()..];
        match after.find("}}") {
            Some(end) => {
                let name = &after[..end];
                let expr = scope.ssm(name);
                out.push_str(&format!("${{{expr}}}"));
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&escape(&rest[start..]));
                rest = "";
            }
        }
    }
    out.push_str(&escape(rest));
    Template(out)
}

/// A template for an intrinsic function call.
pub fn intrinsic(scope: &mut dyn Scope, v: &Value) -> Template {
    let Some((name, arg)) = v.as_object().and_then(|m| m.iter().next()) else {
        return Template(String::new());
    };
    match (name.as_str(), arg) {
        ("Ref", Value::String(target)) => match pseudo(target) {
            Some(expr) => Template::interp(expr),
            None => match scope.reference(target) {
                Some(expr) => Template::interp(&expr),
                None => {
                    scope.unsupported(format!("`Ref` to `{target}`"));
                    Template(String::new())
                }
            },
        },
        ("Fn::GetAtt", Value::Array(parts)) => {
            let r = parts.first().and_then(Value::as_str).unwrap_or("");
            let a = parts.get(1).and_then(Value::as_str).unwrap_or("");
            match scope.attribute(r, a) {
                Some(expr) => Template::interp(&expr),
                None => {
                    scope.unsupported(format!("`Fn::GetAtt` of `{r}.{a}`"));
                    Template(String::new())
                }
            }
        }
        ("Fn::Sub", Value::String(text)) => sub(scope, text, &BTreeMap::new()),
        ("Fn::Sub", Value::Array(parts)) => {
            let text = parts.first().and_then(Value::as_str).unwrap_or("");
            let mut vars = BTreeMap::new();
            if let Some(Value::Object(m)) = parts.get(1) {
                for (k, v) in m {
                    vars.insert(k.clone(), template_of(scope, v).0);
                }
            }
            sub(scope, text, &vars)
        }
        ("Fn::ImportValue", Value::String(export)) => Template::interp(&scope.import(export)),
        ("Fn::Join", Value::Array(parts)) => {
            let sep = parts.first().and_then(Value::as_str).unwrap_or("");
            let items: Vec<String> = match parts.get(1) {
                Some(Value::Array(items)) => {
                    items.iter().map(|i| template_of(scope, i).expr()).collect()
                }
                Some(other) => vec![template_of(scope, other).expr()],
                None => Vec::new(),
            };
            Template::interp(&format!(
                "join({}, [{}])",
                Template::literal(sep).expr(),
                items.join(", ")
            ))
        }
        ("Fn::Split", Value::Array(parts)) => {
            let sep = parts.first().and_then(Value::as_str).unwrap_or(",");
            let source = parts
                .get(1)
                .map(|s| template_of(scope, s).expr())
                .unwrap_or_default();
            Template::interp(&format!(
                "split({}, {source})",
                Template::literal(sep).expr()
            ))
        }
        ("Fn::Base64", inner) => Template::interp(&format!(
            "base64encode({})",
            template_of(scope, inner).expr()
        )),
        (other, _) => {
            scope.unsupported(format!("`{other}`"));
            Template(String::new())
        }
    }
}

fn template_of(scope: &mut dyn Scope, v: &Value) -> Template {
    match v {
        Value::String(s) => string(scope, s),
        Value::Object(_) => intrinsic(scope, v),
        Value::Number(n) => Template(n.to_string()),
        Value::Bool(b) => Template(b.to_string()),
        _ => Template(String::new()),
    }
}

fn sub(scope: &mut dyn Scope, text: &str, vars: &BTreeMap<String, String>) -> Template {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&string(scope, &rest[..start]).0);
        let after = &rest[start + 2..];
        if let Some(stripped) = after.strip_prefix('!') {
            // `${!Literal}` is a literal `${Literal}`.
            out.push_str("$${");
            rest = stripped;
            continue;
        }
        let Some(end) = after.find('}') else {
            out.push_str(&escape(&rest[start..]));
            rest = "";
            break;
        };
        let name = &after[..end];
        if let Some(v) = vars.get(name) {
            out.push_str(v);
        } else if let Some(expr) = pseudo(name) {
            out.push_str(&format!("${{{expr}}}"));
        } else if let Some((r, a)) = name.split_once('.') {
            match scope.attribute(r, a) {
                Some(expr) => out.push_str(&format!("${{{expr}}}")),
                None => scope.unsupported(format!("`${{{name}}}` in `Fn::Sub`")),
            }
        } else {
            match scope.reference(name) {
                Some(expr) => out.push_str(&format!("${{{expr}}}")),
                None => scope.unsupported(format!("`${{{name}}}` in `Fn::Sub`")),
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(&string(scope, rest).0);
    Template(out)
}

/// A JSON document (an IAM policy, container definitions) as a template
/// string of its JSON text, with intrinsics interpolated.
pub fn json_document(scope: &mut dyn Scope, v: &Value) -> Template {
    let converted = value(scope, v).unwrap_or(Value::Null);
    // Values are already templates; serializing keeps `${...}` inside JSON
    // strings, which Terraform interpolates.
    Template(serde_json::to_string(&converted).unwrap_or_default())
}

/// `TaskRole` → `task_role`; `SubnetAppA` → `subnet_app_a`.
pub fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let chars: Vec<char> = name.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_ascii_uppercase();
            if i > 0 && (prev_lower || (prev_upper && next_lower)) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(*c);
        } else {
            out.push('_');
        }
    }
    if out.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_of_logical_ids() {
        assert_eq!(snake("TaskRole"), "task_role");
        assert_eq!(snake("SubnetAppA"), "subnet_app_a");
        assert_eq!(snake("DataKeyArn"), "data_key_arn");
        assert_eq!(snake("Metal1Capacity"), "metal1_capacity");
    }

    #[test]
    fn templates_become_expressions() {
        assert_eq!(Template::interp("var.x").expr(), "var.x");
        assert_eq!(Template("a-${var.x}".into()).expr(), "\"a-${var.x}\"");
        assert_eq!(escape("${x}"), "$${x}");
    }
}
