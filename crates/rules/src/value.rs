//! Normalized property values: JSON-like, with unresolved values explicit.
//!
//! A template value that cannot be known before deployment (`!GetAtt`, a
//! parameter without a default, `known after apply` in a Terraform plan) is
//! [`Value::Unknown`], never a string that happens to look like one: a rule
//! can never mistake `!Ref EncryptVolumes` for the literal it resolves to.
//!
//! `Fn::If` is read as a [`Value::Choice`] in a resource's raw properties;
//! [`Value::variants`] expands a tree into one choice-free tree per
//! combination of conditions, so rules only ever see plain values and a
//! finding can say under which condition it holds.

use std::fmt::Write as _;

use crate::tree::format_number;

/// A value that is not known before deployment, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Unknown {
    /// What it is, for messages: ``!GetAtt `Key.Arn` ``, `known after apply`.
    pub why: String,
    /// The resource (logical id or Terraform address) it refers to, if any.
    pub refers_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    List(Vec<Value>),
    Map(Vec<(String, Value)>),
    Unknown(Unknown),
    /// `Fn::If`: only in raw trees, never in a variant.
    Choice {
        condition: String,
        when_true: Box<Value>,
        when_false: Box<Value>,
    },
    /// `AWS::NoValue`: only in raw trees; removed from its parent when variants
    /// are expanded.
    Absent,
}

/// One choice-free reading of a resource's properties.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// The conditions assumed, in first-use order: (name, value).
    pub assumptions: Vec<(String, bool)>,
    pub value: Value,
}

impl Variant {
    /// `when condition `IsProd` is false`, or empty when nothing is assumed.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for (i, (name, value)) in self.assumptions.iter().enumerate() {
            out.push_str(if i == 0 { "when " } else { " and " });
            match name.strip_prefix(PARAMETER_DEFAULT) {
                Some(parameter) if *value => {
                    let _ = write!(out, "parameter `{parameter}` keeps its default");
                }
                Some(parameter) => {
                    let _ = write!(out, "parameter `{parameter}` is given another value");
                }
                None => match name.split_once(CONDITION_PARAMETERS) {
                    Some((condition, parameters)) => {
                        let parameters: Vec<String> =
                            parameters.split(',').map(|p| format!("`{p}`")).collect();
                        let plural = if parameters.len() == 1 { "" } else { "s" };
                        let _ = write!(
                            out,
                            "condition `{condition}` is {value}, which depends on the unpinned parameter{plural} {}",
                            parameters.join(", ")
                        );
                    }
                    None => {
                        let _ = write!(out, "condition `{name}` is {value}");
                    }
                },
            }
        }
        out
    }
}

/// The name of the choice "parameter `X` keeps its default" in
/// [`Value::Choice`]: a prefix no CloudFormation condition name can have
/// (they are alphanumeric), then the parameter's name.
pub const PARAMETER_DEFAULT: &str = "parameter-default:";

/// Separates a condition's name from the parameters it depends on in the
/// name of an undecided condition's choice (`Has3AZs` + `NumberOfAZs`), so
/// a finding can say which parameter to pin.
pub const CONDITION_PARAMETERS: char = '\u{1f}';

/// Most conditions expanded per resource (2^n variants); further choices are
/// read as unknown.
pub const MAX_EXPANDED_CONDITIONS: usize = 4;

impl Value {
    pub fn unknown(why: impl Into<String>) -> Self {
        Value::Unknown(Unknown {
            why: why.into(),
            refers_to: None,
        })
    }

    pub fn reference(why: impl Into<String>, target: impl Into<String>) -> Self {
        Value::Unknown(Unknown {
            why: why.into(),
            refers_to: Some(target.into()),
        })
    }

    pub fn map() -> Self {
        Value::Map(Vec::new())
    }

    /// Sets a key of a map (replacing it); no effect on other values.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) {
        if let Value::Map(entries) = self {
            let key = key.into();
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 = value,
                None => entries.push((key, value)),
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Follows map keys and list indexes.
    pub fn at(&self, path: &[&str]) -> Option<&Value> {
        let mut value = self;
        for segment in path {
            value = match value {
                Value::Map(_) => value.get(segment)?,
                Value::List(items) => items.get(segment.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(value)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }

    /// The resource an unknown value refers to.
    pub fn refers_to(&self) -> Option<&str> {
        match self {
            Value::Unknown(u) => u.refers_to.as_deref(),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A boolean, also from the strings CloudFormation accepts (`"true"`).
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    /// An integer, also from a numeric string (`"22"`).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) if n.fract() == 0.0 => Some(*n as i64),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The items of a list; a single non-list value reads as a list of one,
    /// as Terraform and CloudFormation both accept in places.
    pub fn items(&self) -> &[Value] {
        match self {
            Value::List(items) => items,
            Value::Null | Value::Absent => &[],
            other => std::slice::from_ref(other),
        }
    }

    pub fn entries(&self) -> &[(String, Value)] {
        match self {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    /// Text for messages: strings as written, others in short JSON form.
    pub fn display(&self) -> String {
        match self {
            Value::String(s) => s.clone(),
            Value::Number(n) => format_number(*n),
            Value::Bool(b) => b.to_string(),
            Value::Null | Value::Absent => "null".to_owned(),
            // Name the resource referred to: `Deployer`, not ``!Ref `Deployer` ``.
            Value::Unknown(u) => u.refers_to.clone().unwrap_or_else(|| u.why.clone()),
            Value::List(_) | Value::Map(_) | Value::Choice { .. } => self.to_json().to_string(),
        }
    }

    /// JSON, with unknown values as `{"$unknown": why}` (for snapshots and
    /// `--format json` dumps of the view).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null | Value::Absent => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => serde_json::Number::from_f64(*n).map_or(J::Null, |n| {
                if n.as_f64()
                    .is_some_and(|f| f.fract() == 0.0 && f.abs() < 1e15)
                {
                    J::from(n.as_f64().unwrap_or_default() as i64)
                } else {
                    J::Number(n)
                }
            }),
            Value::String(s) => J::String(s.clone()),
            Value::List(items) => J::Array(items.iter().map(Value::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
            Value::Unknown(u) => serde_json::json!({ "$unknown": u.why }),
            Value::Choice {
                condition,
                when_true,
                when_false,
            } => {
                serde_json::json!({ "$if": [condition, when_true.to_json(), when_false.to_json()] })
            }
        }
    }

    /// Conditions of the `Fn::If` choices in the tree, in first-use order.
    fn conditions(&self, out: &mut Vec<String>) {
        match self {
            Value::Choice {
                condition,
                when_true,
                when_false,
            } => {
                if !out.contains(condition) {
                    out.push(condition.clone());
                }
                when_true.conditions(out);
                when_false.conditions(out);
            }
            Value::List(items) => items.iter().for_each(|v| v.conditions(out)),
            Value::Map(entries) => entries.iter().for_each(|(_, v)| v.conditions(out)),
            _ => {}
        }
    }

    /// Expands choices into choice-free variants: one per combination of the
    /// first [`MAX_EXPANDED_CONDITIONS`] conditions; choices on further
    /// conditions become unknown. Identical variants are merged.
    pub fn variants(&self) -> Vec<Variant> {
        let mut conditions = Vec::new();
        self.conditions(&mut conditions);
        if conditions.is_empty() {
            return vec![Variant {
                assumptions: Vec::new(),
                value: self.without_absent(),
            }];
        }
        conditions.truncate(MAX_EXPANDED_CONDITIONS);
        let mut out: Vec<Variant> = Vec::new();
        for mask in 0..(1u32 << conditions.len()) {
            let assumptions: Vec<(String, bool)> = conditions
                .iter()
                .enumerate()
                .map(|(i, c)| (c.clone(), mask & (1 << i) == 0))
                .collect();
            let value = self.choose(&assumptions);
            if let Some(existing) = out.iter_mut().find(|v| v.value == value) {
                // Keep only the assumptions both readings share.
                existing.assumptions.retain(|a| assumptions.contains(a));
            } else {
                out.push(Variant { assumptions, value });
            }
        }
        if out.len() == 1 {
            out[0].assumptions.clear();
        }
        out
    }

    fn choose(&self, assumptions: &[(String, bool)]) -> Value {
        match self {
            Value::Choice {
                condition,
                when_true,
                when_false,
            } => match assumptions.iter().find(|(c, _)| c == condition) {
                Some((_, true)) => when_true.choose(assumptions),
                Some((_, false)) => when_false.choose(assumptions),
                None => Value::unknown(format!("depends on condition `{condition}`")),
            },
            Value::List(items) => Value::List(
                items
                    .iter()
                    .map(|v| v.choose(assumptions))
                    .filter(|v| *v != Value::Absent)
                    .collect(),
            ),
            Value::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.choose(assumptions)))
                    .filter(|(_, v)| *v != Value::Absent)
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn without_absent(&self) -> Value {
        self.choose(&[])
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn choice(condition: &str, a: Value, b: Value) -> Value {
        Value::Choice {
            condition: condition.to_owned(),
            when_true: Box::new(a),
            when_false: Box::new(b),
        }
    }

    #[test]
    fn choices_expand_to_one_variant_per_condition_value() {
        let mut props = Value::map();
        props.insert(
            "Encrypted",
            choice("IsProd", Value::Bool(true), Value::Bool(false)),
        );
        props.insert("Size", Value::Number(10.0));
        let variants = props.variants();
        assert_eq!(variants.len(), 2);
        assert_eq!(variants[1].describe(), "when condition `IsProd` is false");
        assert_eq!(
            variants[1].value.get("Encrypted").and_then(Value::as_bool),
            Some(false)
        );
    }

    #[test]
    fn no_value_removes_the_key() {
        let mut props = Value::map();
        props.insert(
            "KeyName",
            choice("HasKey", Value::String("k".into()), Value::Absent),
        );
        let variants = props.variants();
        assert!(variants[1].value.get("KeyName").is_none());
    }

    #[test]
    fn identical_readings_merge() {
        let mut props = Value::map();
        props.insert("A", choice("C", Value::Bool(true), Value::Bool(true)));
        let variants = props.variants();
        assert_eq!(variants.len(), 1);
        assert!(variants[0].assumptions.is_empty());
    }

    #[test]
    fn strings_are_read_as_numbers_and_booleans_where_aws_does() {
        assert_eq!(Value::String("22".into()).as_i64(), Some(22));
        assert_eq!(Value::String("True".into()).as_bool(), Some(true));
        assert_eq!(Value::unknown("x").as_bool(), None);
    }
}
