//! The graph indexed once for reachability: resources by stack and logical
//! id, exports by name, and a resolver that follows `Ref`, `Fn::GetAtt`,
//! `Fn::ImportValue` and stack parameters the deployer fills (a resource id
//! or an output of another stack) to the resource or literal behind them.

use std::collections::HashMap;

use landfall_graph::{Graph, ParameterValue, Resource, Stack};
use serde_json::Value;

/// A resource of the graph: (stack index, resource index).
pub type Key = (usize, usize);

/// What a property value stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved<'g> {
    /// A resource, with the attribute read (`None` for `Ref`).
    Resource(Key, Option<&'g str>),
    /// A value known offline (an `Fn::Sub` string keeps its `${...}`).
    Literal(String),
    /// A pseudo parameter, or something only AWS knows.
    Unknown,
}

pub struct Index<'g> {
    pub graph: &'g Graph,
    stacks: HashMap<&'g str, usize>,
    resources: Vec<HashMap<&'g str, usize>>,
    exports: HashMap<&'g str, (usize, &'g Value)>,
    /// IAM roles by the role ARNs their trust policies name, path and name
    /// (`/workload/landfall-heal-service`): built on first use.
    trusting: std::sync::OnceLock<HashMap<String, Vec<Key>>>,
}

/// References are followed at most this deep (a cycle is a graph bug that
/// `Graph::check` reports; here it only stops the walk).
const MAX_DEPTH: u8 = 8;

impl<'g> Index<'g> {
    pub fn new(graph: &'g Graph) -> Self {
        let mut stacks = HashMap::with_capacity(graph.stacks.len());
        let mut resources = Vec::with_capacity(graph.stacks.len());
        let mut exports = HashMap::new();
        for (i, stack) in graph.stacks.iter().enumerate() {
            stacks.insert(stack.name.as_str(), i);
            resources.push(
                stack
                    .resources
                    .iter()
                    .enumerate()
                    .map(|(j, r)| (r.logical_id.as_str(), j))
                    .collect(),
            );
            for output in &stack.outputs {
                if let Some(name) = &output.export {
                    exports.insert(name.as_str(), (i, &output.value));
                }
            }
        }
        Self {
            graph,
            stacks,
            resources,
            exports,
            trusting: std::sync::OnceLock::new(),
        }
    }

    /// The IAM roles whose trust policy names a role ARN ending in
    /// `path_and_name` (`/workload/landfall-heal-service`), in any account.
    pub fn roles_trusting(&self, path_and_name: &str) -> &[Key] {
        let map = self.trusting.get_or_init(|| {
            let mut map: HashMap<String, Vec<Key>> = HashMap::new();
            for (key, role) in self.of_type("AWS::IAM::Role") {
                let Some(trust) = role.properties.get("AssumeRolePolicyDocument") else {
                    continue;
                };
                let mut tails = Vec::new();
                role_arn_tails(trust, &mut tails);
                tails.sort_unstable();
                tails.dedup();
                for tail in tails {
                    map.entry(tail).or_default().push(key);
                }
            }
            map
        });
        map.get(path_and_name).map_or(&[], Vec::as_slice)
    }

    pub fn stack(&self, key: Key) -> &'g Stack {
        &self.graph.stacks[key.0]
    }

    pub fn resource(&self, key: Key) -> &'g Resource {
        &self.graph.stacks[key.0].resources[key.1]
    }

    /// A resource's logical id and stack, as findings name it.
    pub fn name(&self, key: Key) -> String {
        format!(
            "`{}` (stack `{}`)",
            self.resource(key).logical_id,
            self.stack(key).name
        )
    }

    fn lookup(&self, stack: usize, logical_id: &str) -> Option<Key> {
        self.resources[stack]
            .get(logical_id)
            .map(|&index| (stack, index))
    }

    /// What `value`, a property of a resource in stack `stack`, stands for.
    pub fn resolve(&self, stack: usize, value: &'g Value) -> Resolved<'g> {
        self.resolve_at(stack, value, 0)
    }

    fn resolve_at(&self, stack: usize, value: &'g Value, depth: u8) -> Resolved<'g> {
        if depth > MAX_DEPTH {
            return Resolved::Unknown;
        }
        match value {
            Value::String(s) => Resolved::Literal(s.clone()),
            Value::Number(n) => Resolved::Literal(n.to_string()),
            Value::Bool(b) => Resolved::Literal(b.to_string()),
            Value::Object(map) if map.len() == 1 => {
                if let Some(Value::String(name)) = map.get("Ref") {
                    return self.resolve_name(stack, name, None, depth);
                }
                if let Some(Value::Array(parts)) = map.get("Fn::GetAtt") {
                    if let (Some(name), Some(attribute)) = (
                        parts.first().and_then(Value::as_str),
                        parts.get(1).and_then(Value::as_str),
                    ) {
                        return self.resolve_name(stack, name, Some(attribute), depth);
                    }
                }
                if let Some(Value::String(export)) = map.get("Fn::ImportValue") {
                    return match self.exports.get(export.as_str()) {
                        Some(&(other, value)) => self.resolve_at(other, value, depth + 1),
                        None => Resolved::Unknown,
                    };
                }
                match map.get("Fn::Sub") {
                    Some(Value::String(text)) => Resolved::Literal(text.clone()),
                    Some(Value::Array(items)) => items
                        .first()
                        .and_then(Value::as_str)
                        .map_or(Resolved::Unknown, |t| Resolved::Literal(t.to_owned())),
                    _ => Resolved::Unknown,
                }
            }
            _ => Resolved::Unknown,
        }
    }

    fn resolve_name(
        &self,
        stack: usize,
        name: &'g str,
        attribute: Option<&'g str>,
        depth: u8,
    ) -> Resolved<'g> {
        if let Some(key) = self.lookup(stack, name) {
            return Resolved::Resource(key, attribute);
        }
        let Some(parameter) = self.graph.stacks[stack]
            .parameters
            .iter()
            .find(|p| p.name == name)
        else {
            return Resolved::Unknown;
        };
        match &parameter.value {
            ParameterValue::Literal(v) => Resolved::Literal(v.clone()),
            ParameterValue::ResourceId { stack, logical_id } => self
                .stacks
                .get(stack.as_str())
                .and_then(|&s| self.lookup(s, logical_id))
                .map_or(Resolved::Unknown, |key| Resolved::Resource(key, None)),
            ParameterValue::StackOutput { stack, output } => {
                let Some(&other) = self.stacks.get(stack.as_str()) else {
                    return Resolved::Unknown;
                };
                match self.graph.stacks[other]
                    .outputs
                    .iter()
                    .find(|o| o.name == *output)
                {
                    Some(o) => self.resolve_at(other, &o.value, depth + 1),
                    None => Resolved::Unknown,
                }
            }
            _ => Resolved::Unknown,
        }
    }

    /// The value behind `value` when it is a parameter the deployer fills
    /// with another stack's output: that stack and the output's value
    /// (`value` itself, in its own stack, otherwise).
    pub fn through_output(&self, stack: usize, value: &'g Value) -> (usize, &'g Value) {
        let Some(Value::String(name)) = value.get("Ref") else {
            return (stack, value);
        };
        let parameter = self.graph.stacks[stack]
            .parameters
            .iter()
            .find(|p| p.name == *name);
        if let Some(ParameterValue::StackOutput {
            stack: other,
            output,
        }) = parameter.map(|p| &p.value)
        {
            if let Some(&o) = self.stacks.get(other.as_str()) {
                if let Some(out) = self.graph.stacks[o]
                    .outputs
                    .iter()
                    .find(|x| x.name == *output)
                {
                    return (o, &out.value);
                }
            }
        }
        (stack, value)
    }

    /// The resource `value` stands for, whatever attribute it reads.
    pub fn resource_of(&self, stack: usize, value: &'g Value) -> Option<Key> {
        match self.resolve(stack, value) {
            Resolved::Resource(key, _) => Some(key),
            _ => None,
        }
    }

    /// The resources the `${Name}` variables of an `Fn::Sub` string (or a
    /// plain reference) stand for: a task secret's `ValueFrom` names its
    /// secret as `${SecretArn}:key::`.
    pub fn substituted(&self, stack: usize, value: &'g Value) -> Vec<Key> {
        let Some(Value::String(text)) = value.get("Fn::Sub") else {
            return self.resource_of(stack, value).into_iter().collect();
        };
        let mut out = Vec::new();
        let mut rest = text.as_str();
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else { break };
            let name = &after[..end];
            rest = &after[end + 1..];
            if name.starts_with('!') {
                continue;
            }
            let (name, attribute) = match name.split_once('.') {
                Some((n, a)) => (n, Some(a)),
                None => (name, None),
            };
            if let Resolved::Resource(key, _) = self.resolve_name(stack, name, attribute, 0) {
                out.push(key);
            }
        }
        out
    }

    /// Every resource a value mentions anywhere inside it (for values built
    /// from several intrinsics, like a firewall endpoint id cut out of
    /// `EndpointIds`), with the attribute read.
    pub fn mentioned(&self, stack: usize, value: &'g Value) -> Vec<(Key, Option<&'g str>)> {
        let mut out = Vec::new();
        self.mentioned_into(stack, value, &mut out);
        out
    }

    fn mentioned_into(
        &self,
        stack: usize,
        value: &'g Value,
        out: &mut Vec<(Key, Option<&'g str>)>,
    ) {
        match value {
            Value::Object(map) if map.len() == 1 && !map.contains_key("Fn::Sub") => {
                if let Resolved::Resource(key, attribute) = self.resolve(stack, value) {
                    out.push((key, attribute));
                    return;
                }
                for v in map.values() {
                    self.mentioned_into(stack, v, out);
                }
            }
            Value::Object(map) => {
                for v in map.values() {
                    self.mentioned_into(stack, v, out);
                }
            }
            Value::Array(items) => {
                for v in items {
                    self.mentioned_into(stack, v, out);
                }
            }
            _ => {}
        }
    }

    /// The resources of one type, across every stack, in graph order.
    pub fn of_type<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = (Key, &'g Resource)> + 'a {
        let graph = self.graph;
        graph.stacks.iter().enumerate().flat_map(move |(s, stack)| {
            stack
                .resources
                .iter()
                .enumerate()
                .filter(move |(_, r)| r.kind == kind)
                .map(move |(i, r)| ((s, i), r))
        })
    }
}

/// The path and name after `:role` of every role ARN written in a value
/// (plain or `Fn::Sub` strings), up to the end of the string.
fn role_arn_tails(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) => {
            for (at, _) in text.match_indices(":role/") {
                out.push(text[at + ":role".len()..].to_owned());
            }
        }
        Value::Array(items) => items.iter().for_each(|v| role_arn_tails(v, out)),
        Value::Object(map) => map.values().for_each(|v| role_arn_tails(v, out)),
        _ => {}
    }
}

/// A resource's property by name, `null` when the resource has none:
/// the checks read graphs of any shape and must not panic on one.
pub trait Properties {
    fn at(&self, key: &str) -> &Value;
}

static NULL: Value = Value::Null;

impl Properties for serde_json::Map<String, Value> {
    fn at(&self, key: &str) -> &Value {
        self.get(key).unwrap_or(&NULL)
    }
}
