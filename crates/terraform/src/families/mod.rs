//! Translation tables from CloudFormation resource types to hashicorp/aws
//! resources, one module per family. A [`Mapping`] is data: the Terraform
//! type, what `Ref` and each `Fn::GetAtt` attribute become, and the property
//! table ([`P`]); a few types add a hook for what a table cannot say
//! (rules split out of a security group, inline policies split out of a
//! role). A property with no entry is reported, never dropped.

pub mod compute;
pub mod data;
pub mod dns;
pub mod edge;
pub mod iam;
pub mod identity;
pub mod network;
pub mod platform;

use serde_json::{Map, Value};

use crate::Cx;

/// How one CloudFormation property becomes Terraform.
#[derive(Clone, Copy)]
pub enum K {
    /// The value, translated.
    V,
    /// A string from a number or boolean (Terraform wants a string).
    Str,
    /// A boolean from a `"true"`/`"false"` string.
    Bool,
    /// A JSON document, as the JSON text (`jsonencode`'s job).
    Json,
    /// `[{Key, Value}]` tags as a map.
    Tags,
    /// `[{Name, Value}]` pairs (metric dimensions) as a map.
    NameValues,
    /// One nested block.
    Block(&'static [P]),
    /// A list of nested blocks.
    Blocks(&'static [P]),
    /// A nested object whose properties go to the parent.
    Flat(&'static [P]),
    /// Handled by the type's hook.
    Hook,
}

/// `P(cloudformation name, terraform name, how)`.
#[derive(Clone, Copy)]
pub struct P(pub &'static str, pub &'static str, pub K);

pub type Hook = fn(&mut Cx<'_>, &landfall_graph::Resource, &mut Map<String, Value>, &str);

/// One CloudFormation type's translation.
pub struct Mapping {
    pub cfn: &'static str,
    pub tf: &'static str,
    /// The attribute `Ref` gives.
    pub reference: &'static str,
    /// `Fn::GetAtt` attributes.
    pub attributes: &'static [(&'static str, &'static str)],
    pub props: &'static [P],
    /// Runs after the table, with the Terraform name of the resource.
    pub hook: Option<Hook>,
}

/// Every mapping.
pub fn all() -> Vec<&'static Mapping> {
    let mut v: Vec<&'static Mapping> = Vec::new();
    v.extend(compute::MAPPINGS.iter());
    v.extend(data::MAPPINGS.iter());
    v.extend(dns::MAPPINGS.iter());
    v.extend(edge::MAPPINGS.iter());
    v.extend(iam::MAPPINGS.iter());
    v.extend(identity::MAPPINGS.iter());
    v.extend(network::MAPPINGS.iter());
    v.extend(platform::MAPPINGS.iter());
    v
}

/// Applies a property table to CloudFormation properties.
pub fn apply(
    cx: &mut Cx<'_>,
    props: &'static [P],
    input: &Map<String, Value>,
    out: &mut Map<String, Value>,
    at: &str,
) {
    for (name, v) in input {
        let Some(P(_, tf, kind)) = props.iter().find(|p| p.0 == name) else {
            cx.problem(format!("{at}: property `{name}` has no Terraform mapping"));
            continue;
        };
        let kind = *kind;
        match kind {
            K::Hook => {}
            K::V => {
                if let Some(v) = crate::expr::value(cx, v) {
                    out.insert((*tf).into(), v);
                }
            }
            K::Str => {
                let s = match v {
                    Value::Number(n) => Value::String(n.to_string()),
                    Value::Bool(b) => Value::String(b.to_string()),
                    other => crate::expr::value(cx, other).unwrap_or(Value::Null),
                };
                out.insert((*tf).into(), s);
            }
            K::Bool => {
                let b = match v {
                    Value::String(s) => Value::Bool(s == "true"),
                    other => crate::expr::value(cx, other).unwrap_or(Value::Null),
                };
                out.insert((*tf).into(), b);
            }
            K::Json => {
                let text = match v {
                    // Already JSON text (a lifecycle policy, a topic config).
                    Value::String(s) => crate::expr::Template::literal(s).0,
                    other => crate::expr::json_document(cx, other).0,
                };
                out.insert((*tf).into(), Value::String(text));
            }
            K::Tags => {
                out.insert((*tf).into(), tags(cx, v));
            }
            K::NameValues => {
                let mut map = Map::new();
                for pair in v.as_array().into_iter().flatten() {
                    if let (Some(k), Some(val)) =
                        (pair.get("Name").and_then(Value::as_str), pair.get("Value"))
                    {
                        map.insert(
                            k.to_owned(),
                            crate::expr::value(cx, val).unwrap_or(Value::Null),
                        );
                    }
                }
                out.insert((*tf).into(), Value::Object(map));
            }
            K::Block(inner) => {
                if let Value::Object(m) = v {
                    let mut o = Map::with_capacity(m.len());
                    apply(cx, inner, m, &mut o, &format!("{at}.{name}"));
                    out.insert((*tf).into(), Value::Object(o));
                }
            }
            K::Blocks(inner) => {
                if let Value::Array(items) = v {
                    let blocks: Vec<Value> = items
                        .iter()
                        .filter_map(Value::as_object)
                        .map(|m| {
                            let mut o = Map::with_capacity(m.len());
                            apply(cx, inner, m, &mut o, &format!("{at}.{name}"));
                            Value::Object(o)
                        })
                        .collect();
                    out.insert((*tf).into(), Value::Array(blocks));
                }
            }
            K::Flat(inner) => {
                if let Value::Object(m) = v {
                    apply(cx, inner, m, out, &format!("{at}.{name}"));
                }
            }
        }
    }
}

/// CloudFormation tags (a list of `{Key, Value}`, or already a map) as a map.
pub fn tags(cx: &mut Cx<'_>, v: &Value) -> Value {
    let mut out = Map::with_capacity(v.as_array().map_or(0, Vec::len));
    match v {
        Value::Array(items) => {
            for t in items {
                if let (Some(k), Some(val)) = (t.get("Key").and_then(Value::as_str), t.get("Value"))
                {
                    out.insert(
                        k.to_owned(),
                        crate::expr::value(cx, val).unwrap_or(Value::Null),
                    );
                }
            }
        }
        Value::Object(m) => {
            for (k, val) in m {
                out.insert(
                    k.clone(),
                    crate::expr::value(cx, val).unwrap_or(Value::Null),
                );
            }
        }
        _ => {}
    }
    Value::Object(out)
}

pub const TAGS: P = P("Tags", "tags", K::Tags);
