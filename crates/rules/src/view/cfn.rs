//! CloudFormation templates into the resource view.
//!
//! Intrinsics are resolved where the template alone decides their value:
//! `Ref` to a parameter with a default, `Fn::Sub`/`Fn::Join`/`Fn::Select`/
//! `Fn::FindInMap`/`Fn::Split` over known values, conditions built from
//! those. Everything else (`Fn::GetAtt`, `Ref` to a resource, imports,
//! parameters without defaults) becomes an explicit unknown that remembers
//! the resource it refers to. `Fn::If` on a condition the template cannot
//! decide keeps both branches; the view expands them into variants.

use std::collections::HashMap;

use landfall_diagnostics::{Diagnostic, FileId};

use super::{
    environment_from_tags, is_environment_key, suppressions_from_metadata, FileInfo, LoadOptions,
    Resource,
};
use crate::tree::{format_number, Node, NodeValue};
use crate::value::{Value, CONDITION_PARAMETERS, PARAMETER_DEFAULT};

/// Deepest intrinsic nesting resolved (conditions referring to conditions,
/// mappings inside `Sub`, ...).
const MAX_RESOLVE_DEPTH: usize = 64;

struct Template<'a> {
    parameters: HashMap<&'a str, Param<'a>>,
    /// Values pinned with `--parameter`; every other parameter is undecided.
    pinned: &'a std::collections::BTreeMap<String, String>,
    conditions: HashMap<&'a str, &'a Node>,
    mappings: Option<&'a Node>,
    resources: Vec<&'a str>,
    region: Option<String>,
    condition_cache: std::cell::RefCell<HashMap<String, Option<bool>>>,
    /// A `Transform` adds resources (SAM) or names (`Fn::ForEach`) the
    /// template does not declare: references are not checked.
    transformed: bool,
    /// References to nothing, reported once each.
    problems: std::cell::RefCell<Vec<Diagnostic>>,
}

/// Pseudo parameters CloudFormation defines.
const PSEUDO_PARAMETERS: &[&str] = &[
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
];

struct Param<'a> {
    default: Option<&'a Node>,
    list: bool,
}

pub(super) fn read(
    file: FileId,
    root: Node,
    options: &LoadOptions,
    info: &mut FileInfo,
    out: &mut Vec<Resource>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut parameters = HashMap::new();
    if let Some(params) = root.get("Parameters") {
        for (name, param) in params.entries() {
            let ty = param.get("Type").and_then(Node::as_str).unwrap_or("String");
            parameters.insert(
                name.as_str(),
                Param {
                    default: param.get("Default"),
                    list: ty.starts_with("List<") || ty == "CommaDelimitedList",
                },
            );
        }
    }
    let conditions = root
        .get("Conditions")
        .map(|c| c.entries().iter().map(|(k, v)| (k.as_str(), v)).collect())
        .unwrap_or_default();
    // `Fn::ForEach` (AWS::LanguageExtensions) expanded as CloudFormation
    // does, so the resources it makes are checked like any other.
    let expanded = root
        .get("Resources")
        .filter(|r| r.entries().iter().any(|(k, _)| k.starts_with(FOR_EACH)))
        .map(|r| expand_for_each(r, root.get("Parameters"), &options.parameters, diagnostics));
    let resources_node = expanded.as_ref().or_else(|| root.get("Resources"));
    let template_metadata = root.get("Metadata").and_then(|m| m.get("landfall"));

    let mut template = Template {
        parameters,
        pinned: &options.parameters,
        conditions,
        mappings: root.get("Mappings"),
        resources: resources_node
            .map(|r| r.entries().iter().map(|(k, _)| k.as_str()).collect())
            .unwrap_or_default(),
        region: None,
        condition_cache: Default::default(),
        transformed: root.get("Transform").is_some(),
        problems: Default::default(),
    };

    // Environment: the flag, then template metadata, then a parameter default.
    let metadata_string = |key: &str| {
        template_metadata
            .and_then(|m| m.get(key))
            .and_then(Node::as_str)
            .map(str::to_owned)
    };
    let param_default = |pred: &dyn Fn(&str) -> bool| {
        template
            .parameters
            .iter()
            .filter(|(name, _)| pred(name))
            .filter_map(|(_, p)| p.default.and_then(Node::as_str))
            .map(str::to_owned)
            .next()
    };
    let environment = options
        .environment
        .clone()
        .or_else(|| metadata_string("environment"))
        .or_else(|| param_default(&is_environment_key));
    let region = metadata_string("region").or_else(|| {
        param_default(&|n: &str| {
            matches!(
                n.to_ascii_lowercase().as_str(),
                "region" | "awsregion" | "deployregion"
            )
        })
    });
    template.region = region.clone();
    info.account = template_metadata
        .and_then(|m| m.get("account"))
        .map(|account| super::AccountInfo {
            environment: account
                .get("environment")
                .and_then(Node::as_str)
                .map(str::to_owned),
        });
    info.environment = environment.clone();
    info.region = region.clone();

    let Some(resources_node) = resources_node else {
        return;
    };
    for (logical_id, node) in resources_node.entries() {
        if let Some(module) = node.at(["Type", "Fn::Rain::Module"]) {
            diagnostics.push(
                Diagnostic::error(
                    "input::rain-module",
                    format!(
                        "resource `{logical_id}` is a Rain module (`!Rain::Module {}`), which only Rain can expand",
                        module.as_str().unwrap_or("...")
                    ),
                )
                .with_label(node.span, "a module, not a resource")
                .with_help("package the template first (`rain pkg TEMPLATE > packaged.yaml`) and check the packaged template"),
            );
            continue;
        }
        let Some(source_type) = node.get("Type").and_then(Node::as_str) else {
            diagnostics.push(
                Diagnostic::error(
                    "input::resource-without-type",
                    format!("resource `{logical_id}` has no `Type`"),
                )
                .with_label(node.span, "add a `Type` such as `AWS::S3::Bucket`"),
            );
            continue;
        };
        // A resource whose condition is false is not created.
        let condition = node.get("Condition").and_then(Node::as_str);
        let condition_value = condition.map(|c| template.condition(c, 0));
        if condition_value == Some(Some(false)) {
            continue;
        }
        let raw = node.get("Properties").cloned();
        let properties = raw
            .as_ref()
            .map_or_else(Value::map, |p| template.resolve(p, 0));
        let mut variants = properties.variants();
        if let (Some(name), Some(None)) = (condition, condition_value) {
            let name = template.condition_label(name);
            variants.retain(|v| !v.assumptions.contains(&(name.clone(), false)));
            for v in &mut variants {
                if !v.assumptions.iter().any(|(c, _)| *c == name) {
                    v.assumptions.insert(0, (name.clone(), true));
                }
            }
        }
        let tag_environment = variants
            .first()
            .and_then(|v| v.value.get("Tags"))
            .and_then(environment_from_tags);
        out.push(Resource {
            kind: source_type.to_owned(),
            source_type: source_type.to_owned(),
            id: logical_id.clone(),
            file,
            // The body: in YAML it starts at the line after the logical id.
            span: node.span,
            variants,
            environment: options
                .environment
                .clone()
                .or(tag_environment)
                .or_else(|| environment.clone()),
            region: region.clone(),
            suppressions: suppressions_from_metadata(node.get("Metadata")),
            raw,
        });
    }
    diagnostics.extend(template.problems.take());
    serverless_coverage(file, resources_node, diagnostics);
}

const FOR_EACH: &str = "Fn::ForEach::";
/// Most copies one `Fn::ForEach` loop (and all loops of a template) makes.
const MAX_FOR_EACH_COPIES: usize = 10_000;

/// `Resources` with every `Fn::ForEach::Name: [Identifier, Collection,
/// {OutputKey: OutputValue}]` replaced by its copies: one per item of the
/// collection, with `${Identifier}` and `&{Identifier}` substituted in keys
/// and strings and `{"Ref": Identifier}` replaced by the item. Loops nest.
/// A collection known only at deployment (a parameter neither pinned nor
/// defaulted) cannot be expanded: a warning says so.
/// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-foreach.html
fn expand_for_each(
    resources: &Node,
    parameters: Option<&Node>,
    pinned: &std::collections::BTreeMap<String, String>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Node {
    let mut out = Vec::new();
    let mut budget = MAX_FOR_EACH_COPIES;
    expand_entries(
        resources.entries(),
        parameters,
        pinned,
        &[],
        &mut out,
        diagnostics,
        &mut budget,
        0,
    );
    Node {
        span: resources.span,
        value: NodeValue::Map(out),
    }
}

#[allow(clippy::too_many_arguments)]
fn expand_entries(
    entries: &[(String, Node)],
    parameters: Option<&Node>,
    pinned: &std::collections::BTreeMap<String, String>,
    bindings: &[(String, String)],
    out: &mut Vec<(String, Node)>,
    diagnostics: &mut Vec<Diagnostic>,
    budget: &mut usize,
    depth: usize,
) {
    for (key, node) in entries {
        let Some(name) = key.strip_prefix(FOR_EACH) else {
            out.push((
                substitute_text(key, bindings),
                substitute(node, bindings, 0),
            ));
            continue;
        };
        let items = node.items();
        let (Some(identifier), Some(collection), Some(template)) = (
            items.first().and_then(Node::as_str),
            items.get(1),
            items.get(2),
        ) else {
            diagnostics.push(
                Diagnostic::error(
                    "input::malformed-foreach",
                    format!("`Fn::ForEach::{name}` is not `[Identifier, Collection, {{OutputKey: OutputValue}}]`"),
                )
                .with_label(node.span, "here"),
            );
            continue;
        };
        if depth >= 5 {
            diagnostics.push(
                Diagnostic::error(
                    "input::malformed-foreach",
                    format!(
                        "`Fn::ForEach::{name}` nests deeper than the 5 loops CloudFormation allows"
                    ),
                )
                .with_label(node.span, "here"),
            );
            continue;
        }
        let Some(values) = collection_values(collection, parameters, pinned, bindings) else {
            diagnostics.push(
                Diagnostic::warning(
                    "input::foreach-not-expanded",
                    format!("`Fn::ForEach::{name}` loops over values known only at deployment; the resources it makes are not checked"),
                )
                .with_label(collection.span, "the collection")
                .with_help("pin the parameter it refers to (`--parameter NAME=a,b,c`) to check them"),
            );
            continue;
        };
        for value in values {
            if *budget == 0 {
                diagnostics.push(
                    Diagnostic::warning(
                        "input::foreach-not-expanded",
                        format!("`Fn::ForEach` loops make more than {MAX_FOR_EACH_COPIES} resources; the rest are not checked"),
                    )
                    .with_label(node.span, "here"),
                );
                return;
            }
            *budget -= 1;
            let mut inner = bindings.to_vec();
            inner.push((identifier.to_owned(), value));
            expand_entries(
                template.entries(),
                parameters,
                pinned,
                &inner,
                out,
                diagnostics,
                budget,
                depth + 1,
            );
        }
    }
}

/// The items a `Fn::ForEach` loops over: a literal list, or a list
/// parameter (pinned, else its default).
fn collection_values(
    collection: &Node,
    parameters: Option<&Node>,
    pinned: &std::collections::BTreeMap<String, String>,
    bindings: &[(String, String)],
) -> Option<Vec<String>> {
    let scalar = |n: &Node| match &n.value {
        NodeValue::String(s) => Some(substitute_text(s, bindings)),
        NodeValue::Number(x) => Some(format_number(*x)),
        NodeValue::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match &collection.value {
        NodeValue::Seq(items) => items.iter().map(scalar).collect(),
        NodeValue::Map(_) => {
            let name = collection.get("Ref").and_then(Node::as_str)?;
            let text = match pinned.get(name) {
                Some(value) => value.clone(),
                None => {
                    let default = parameters?.get(name)?.get("Default")?;
                    match &default.value {
                        NodeValue::Seq(items) => {
                            return items.iter().map(scalar).collect();
                        }
                        _ => scalar(default)?,
                    }
                }
            };
            Some(text.split(',').map(|p| p.trim().to_owned()).collect())
        }
        _ => None,
    }
}

/// `${Id}` (and `&{Id}`, the item without its non-alphanumeric characters)
/// replaced by each binding's value.
fn substitute_text(text: &str, bindings: &[(String, String)]) -> String {
    let mut out = text.to_owned();
    for (identifier, value) in bindings {
        out = out.replace(&format!("${{{identifier}}}"), value);
        let alphanumeric: String = value.chars().filter(char::is_ascii_alphanumeric).collect();
        out = out.replace(&format!("&{{{identifier}}}"), &alphanumeric);
    }
    out
}

fn substitute(node: &Node, bindings: &[(String, String)], depth: usize) -> Node {
    if bindings.is_empty() || depth > MAX_RESOLVE_DEPTH {
        return node.clone();
    }
    let value = match &node.value {
        NodeValue::String(s) => NodeValue::String(substitute_text(s, bindings)),
        NodeValue::Map(entries) => {
            if let [(key, arg)] = entries.as_slice() {
                if key == "Ref" {
                    if let Some((_, value)) = bindings
                        .iter()
                        .rev()
                        .find(|(id, _)| Some(id.as_str()) == arg.as_str())
                    {
                        return Node {
                            span: node.span,
                            value: NodeValue::String(value.clone()),
                        };
                    }
                }
            }
            NodeValue::Map(
                entries
                    .iter()
                    .map(|(k, v)| {
                        (
                            substitute_text(k, bindings),
                            substitute(v, bindings, depth + 1),
                        )
                    })
                    .collect(),
            )
        }
        NodeValue::Seq(items) => NodeValue::Seq(
            items
                .iter()
                .map(|v| substitute(v, bindings, depth + 1))
                .collect(),
        ),
        other => other.clone(),
    };
    Node {
        span: node.span,
        value,
    }
}

/// SAM types whose IAM policies the rules check; every other
/// `AWS::Serverless::*` resource is not checked.
const SERVERLESS_CHECKED: &[&str] = &["AWS::Serverless::Function", "AWS::Serverless::StateMachine"];

/// Says what of an AWS SAM template was not checked: the transform creates
/// resources (roles, APIs, tables, permissions) the template does not
/// declare, so a SAM template that looks clean may not be.
fn serverless_coverage(file: FileId, resources: &Node, diagnostics: &mut Vec<Diagnostic>) {
    let serverless: Vec<(&str, &Node)> = resources
        .entries()
        .iter()
        .filter_map(|(id, node)| {
            let ty = node.get("Type").and_then(Node::as_str)?;
            ty.starts_with("AWS::Serverless::")
                .then_some((id.as_str(), node))
        })
        .collect();
    let Some((_, first)) = serverless.first() else {
        return;
    };
    let mut unchecked: Vec<String> = serverless
        .iter()
        .filter_map(|(id, node)| {
            let ty = node.get("Type").and_then(Node::as_str)?;
            (!SERVERLESS_CHECKED.contains(&ty)).then(|| format!("`{id}` ({ty})"))
        })
        .collect();
    let checked = serverless.len() - unchecked.len();
    let mut message = format!(
        "{} AWS SAM resource(s): {checked} checked only for their IAM `Policies`",
        serverless.len()
    );
    if !unchecked.is_empty() {
        let more = unchecked.len().saturating_sub(8);
        unchecked.truncate(8);
        message.push_str(&format!(
            ", not checked: {}{}",
            unchecked.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    diagnostics.push(
        Diagnostic::warning("input::serverless-not-checked", message)
            .with_label(first.span, "AWS SAM")
            .in_file(file)
            .with_help("the SAM transform creates roles, APIs, tables and permissions the template does not declare; to check them, check the processed template (`aws cloudformation get-template --stack-name STACK --template-stage Processed`)"),
    );
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(format_number(*n)),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn is_known(value: &Value) -> bool {
    match value {
        Value::Unknown(_) | Value::Choice { .. } | Value::Absent => false,
        Value::List(items) => items.iter().all(is_known),
        Value::Map(entries) => entries.iter().all(|(_, v)| is_known(v)),
        _ => true,
    }
}

impl Template<'_> {
    fn plain(node: &Node) -> Value {
        match &node.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Number(n) => Value::Number(*n),
            NodeValue::String(s) => Value::String(s.clone()),
            NodeValue::Seq(items) => Value::List(items.iter().map(Self::plain).collect()),
            NodeValue::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), Self::plain(v)))
                    .collect(),
            ),
        }
    }

    fn resolve(&self, node: &Node, depth: usize) -> Value {
        if depth > MAX_RESOLVE_DEPTH {
            return Value::unknown("nested too deeply to resolve");
        }
        match &node.value {
            NodeValue::Map(entries) if entries.len() == 1 => {
                let (key, arg) = &entries[0];
                if key == "Ref" || key.starts_with("Fn::") || key == "Condition" {
                    return self.intrinsic(key, arg, depth + 1);
                }
                Value::Map(vec![(key.clone(), self.resolve(arg, depth + 1))])
            }
            NodeValue::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), self.resolve(v, depth + 1)))
                    .collect(),
            ),
            NodeValue::Seq(items) => {
                Value::List(items.iter().map(|v| self.resolve(v, depth + 1)).collect())
            }
            _ => Self::plain(node),
        }
    }

    fn reference(&self, name: &str, depth: usize) -> Value {
        match name {
            "AWS::NoValue" => return Value::Absent,
            "AWS::Region" => {
                return self
                    .region
                    .clone()
                    .map_or_else(|| Value::unknown("!Ref `AWS::Region`"), Value::String)
            }
            "AWS::Partition" => return Value::String("aws".to_owned()),
            "AWS::URLSuffix" => return Value::String("amazonaws.com".to_owned()),
            _ => {}
        }
        if let Some(param) = self.parameters.get(name) {
            let as_list = |value: Value| match (&value, param.list) {
                (Value::String(s), true) => Value::List(
                    s.split(',')
                        .map(|p| Value::String(p.trim().to_owned()))
                        .collect(),
                ),
                _ => value,
            };
            if let Some(pinned) = self.pinned.get(name) {
                return as_list(Value::String(pinned.clone()));
            }
            // A default is one value the stack may be deployed with, not the
            // value: both it and any other are possible.
            return match param.default {
                Some(default) => Value::Choice {
                    condition: format!("{PARAMETER_DEFAULT}{name}"),
                    when_true: Box::new(as_list(self.resolve(default, depth + 1))),
                    when_false: Box::new(Value::unknown(format!(
                        "parameter `{name}` (not pinned with `--parameter`)"
                    ))),
                },
                None => Value::unknown(format!("parameter `{name}` (no default)")),
            };
        }
        if self.resources.contains(&name) {
            return Value::reference(format!("!Ref `{name}`"), name);
        }
        Value::unknown(format!("!Ref `{name}`"))
    }

    fn intrinsic(&self, key: &str, arg: &Node, depth: usize) -> Value {
        let args = arg.items();
        match key {
            "Ref" => match arg.as_str() {
                Some(name) => {
                    self.check_reference(name, arg.span, "!Ref");
                    self.reference(name, depth)
                }
                None => Value::unknown("!Ref with a non-string argument"),
            },
            "Fn::GetAtt" => {
                let (target, attribute) = match &arg.value {
                    NodeValue::String(s) => match s.split_once('.') {
                        Some((t, a)) => (t.to_owned(), a.to_owned()),
                        None => (s.clone(), String::new()),
                    },
                    NodeValue::Seq(items) => (
                        items
                            .first()
                            .and_then(Node::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                        items
                            .get(1)
                            .and_then(Node::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                    ),
                    _ => (String::new(), String::new()),
                };
                Value::reference(format!("!GetAtt `{target}.{attribute}`"), target)
            }
            "Fn::If" => {
                let (Some(condition), Some(a), Some(b)) = (
                    args.first().and_then(Node::as_str),
                    args.get(1),
                    args.get(2),
                ) else {
                    return Value::unknown("malformed !If");
                };
                match self.condition(condition, depth) {
                    Some(true) => self.resolve(a, depth),
                    Some(false) => self.resolve(b, depth),
                    None => Value::Choice {
                        condition: self.condition_label(condition),
                        when_true: Box::new(self.resolve(a, depth)),
                        when_false: Box::new(self.resolve(b, depth)),
                    },
                }
            }
            "Fn::Sub" => self.sub(arg, depth),
            "Fn::Join" => {
                let (Some(delimiter), Some(list)) = (args.first(), args.get(1)) else {
                    return Value::unknown("malformed !Join");
                };
                let delimiter = self.resolve(delimiter, depth);
                let list = self.resolve(list, depth);
                let parts: Option<Vec<String>> = list.items().iter().map(scalar_text).collect();
                match (delimiter.as_str(), parts, matches!(list, Value::List(_))) {
                    (Some(d), Some(parts), true) => Value::String(parts.join(d)),
                    _ => Value::unknown("!Join of values known only at deployment"),
                }
            }
            "Fn::Select" => {
                let (Some(index), Some(list)) = (args.first(), args.get(1)) else {
                    return Value::unknown("malformed !Select");
                };
                let index = self.resolve(index, depth).as_i64();
                let list = self.resolve(list, depth);
                match (index, &list) {
                    (Some(i), Value::List(items)) => usize::try_from(i)
                        .ok()
                        .and_then(|i| items.get(i))
                        .cloned()
                        .unwrap_or_else(|| Value::unknown("!Select out of range")),
                    _ => Value::unknown("!Select of values known only at deployment"),
                }
            }
            "Fn::Split" => {
                let (Some(delimiter), Some(source)) = (args.first(), args.get(1)) else {
                    return Value::unknown("malformed !Split");
                };
                match (
                    self.resolve(delimiter, depth).as_str(),
                    self.resolve(source, depth).as_str(),
                ) {
                    (Some(d), Some(s)) if !d.is_empty() => {
                        Value::List(s.split(d).map(|p| Value::String(p.to_owned())).collect())
                    }
                    _ => Value::unknown("!Split of values known only at deployment"),
                }
            }
            "Fn::FindInMap" => {
                let keys: Vec<Option<String>> = args
                    .iter()
                    .take(3)
                    .map(|n| scalar_text(&self.resolve(n, depth)))
                    .collect();
                let found = match (keys.as_slice(), self.mappings) {
                    ([Some(map), Some(top), Some(second)], Some(mappings)) => {
                        mappings.at([map.as_str(), top.as_str(), second.as_str()])
                    }
                    _ => None,
                };
                match found {
                    Some(node) => self.resolve(node, depth),
                    None => Value::unknown("!FindInMap of values known only at deployment"),
                }
            }
            "Condition" => match arg.as_str().and_then(|c| self.condition(c, depth)) {
                Some(b) => Value::Bool(b),
                None => Value::unknown("condition known only at deployment"),
            },
            "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or" => {
                match self.condition_expr(key, arg, depth) {
                    Some(b) => Value::Bool(b),
                    None => Value::unknown("condition known only at deployment"),
                }
            }
            other => Value::unknown(format!(
                "!{} (known only at deployment)",
                other.trim_start_matches("Fn::")
            )),
        }
    }

    fn sub(&self, arg: &Node, depth: usize) -> Value {
        let (template, vars) = match &arg.value {
            NodeValue::String(s) => (s.as_str(), None),
            NodeValue::Seq(items) => match items.first().and_then(Node::as_str) {
                Some(s) => (s, items.get(1)),
                None => return Value::unknown("malformed !Sub"),
            },
            _ => return Value::unknown("malformed !Sub"),
        };
        let mut out = String::new();
        let mut rest = template;
        let mut refers_to = None;
        let mut known = true;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let name = &after[..end];
            rest = &after[end + 1..];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
                continue;
            }
            let value = match vars.and_then(|v| v.get(name)) {
                Some(node) => self.resolve(node, depth),
                None => match name.split_once('.') {
                    Some((target, _)) if !name.starts_with("AWS::") => {
                        Value::reference(format!("!GetAtt `{name}`"), target)
                    }
                    _ => {
                        self.check_reference(name, arg.span, "!Sub");
                        self.reference(name, depth)
                    }
                },
            };
            match scalar_text(&value) {
                Some(text) => out.push_str(&text),
                None => {
                    known = false;
                    if refers_to.is_none() {
                        refers_to = value.refers_to().map(str::to_owned);
                    }
                }
            }
        }
        out.push_str(rest);
        if known {
            Value::String(out)
        } else {
            let why = format!("!Sub `{template}`");
            match refers_to {
                Some(target) => Value::reference(why, target),
                None => Value::unknown(why),
            }
        }
    }

    /// Reports a `Ref` (or `${Name}` in `Fn::Sub`) to nothing: CloudFormation
    /// refuses such a template ("unresolved resource dependencies").
    fn check_reference(&self, name: &str, span: landfall_diagnostics::Span, how: &str) {
        if self.transformed
            || self.parameters.contains_key(name)
            || self.resources.contains(&name)
            || PSEUDO_PARAMETERS.contains(&name)
        {
            return;
        }
        let mut problems = self.problems.borrow_mut();
        if problems.iter().any(|d| d.primary_span() == Some(span)) {
            return;
        }
        let diagnostic = if name.trim().is_empty() {
            Diagnostic::error(
                "input::empty-reference",
                format!("`{how}` with an empty name refers to nothing"),
            )
            .with_label(span, "empty")
            .with_help("name a parameter, a resource or a pseudo parameter such as `AWS::Region`")
        } else {
            let candidates = self
                .parameters
                .keys()
                .copied()
                .chain(self.resources.iter().copied())
                .chain(PSEUDO_PARAMETERS.iter().copied());
            Diagnostic::error(
                "input::undefined-reference",
                format!("`{how}` refers to `{name}`, which is no parameter, resource or pseudo parameter of this template"),
            )
            .with_label(span, "undefined")
            .with_help(format!(
                "{}; CloudFormation refuses a template with unresolved references",
                landfall_diagnostics::did_you_mean(name, candidates)
            ))
        };
        problems.push(diagnostic);
    }

    /// The name an undecided condition goes by in choices and findings: the
    /// condition, and the parameters (not pinned) it depends on.
    fn condition_label(&self, name: &str) -> String {
        let mut parameters = Vec::new();
        let mut seen = Vec::new();
        self.condition_parameters(name, &mut parameters, &mut seen);
        if parameters.is_empty() {
            name.to_owned()
        } else {
            format!("{name}{CONDITION_PARAMETERS}{}", parameters.join(","))
        }
    }

    fn condition_parameters(&self, name: &str, out: &mut Vec<String>, seen: &mut Vec<String>) {
        if seen.iter().any(|s| s == name) || seen.len() > MAX_RESOLVE_DEPTH {
            return;
        }
        seen.push(name.to_owned());
        if let Some(node) = self.conditions.get(name) {
            self.node_parameters(node, out, seen, 0);
        }
    }

    fn node_parameters(
        &self,
        node: &Node,
        out: &mut Vec<String>,
        seen: &mut Vec<String>,
        depth: usize,
    ) {
        if depth > MAX_RESOLVE_DEPTH {
            return;
        }
        match &node.value {
            NodeValue::Map(entries) => {
                for (key, value) in entries {
                    match (key.as_str(), value.as_str()) {
                        ("Ref", Some(parameter))
                            if self.parameters.contains_key(parameter)
                                && !self.pinned.contains_key(parameter) =>
                        {
                            if !out.iter().any(|p| p == parameter) {
                                out.push(parameter.to_owned());
                            }
                        }
                        ("Condition", Some(condition)) => {
                            self.condition_parameters(condition, out, seen);
                        }
                        _ => self.node_parameters(value, out, seen, depth + 1),
                    }
                }
            }
            NodeValue::Seq(items) => {
                for item in items {
                    self.node_parameters(item, out, seen, depth + 1);
                }
            }
            _ => {}
        }
    }

    /// The value of a named condition, when the template decides it.
    fn condition(&self, name: &str, depth: usize) -> Option<bool> {
        if depth > MAX_RESOLVE_DEPTH {
            return None;
        }
        if let Some(cached) = self.condition_cache.borrow().get(name) {
            return *cached;
        }
        // Guard against cycles: undecided while being evaluated.
        self.condition_cache
            .borrow_mut()
            .insert(name.to_owned(), None);
        let node = self.conditions.get(name)?;
        let value = match node.entries() {
            [(key, arg)] => self.condition_expr(key, arg, depth + 1),
            _ => None,
        };
        self.condition_cache
            .borrow_mut()
            .insert(name.to_owned(), value);
        value
    }

    fn condition_expr(&self, key: &str, arg: &Node, depth: usize) -> Option<bool> {
        if depth > MAX_RESOLVE_DEPTH {
            return None;
        }
        let args = arg.items();
        let sub = |n: &Node| match n.entries() {
            [(k, a)] if k == "Condition" => a.as_str().and_then(|c| self.condition(c, depth + 1)),
            [(k, a)] => self.condition_expr(k, a, depth + 1),
            _ => None,
        };
        match key {
            "Fn::Equals" => {
                let a = self.resolve(args.first()?, depth + 1);
                let b = self.resolve(args.get(1)?, depth + 1);
                if is_known(&a) && is_known(&b) {
                    Some(match (scalar_text(&a), scalar_text(&b)) {
                        (Some(a), Some(b)) => a == b,
                        _ => a == b,
                    })
                } else {
                    None
                }
            }
            "Fn::Not" => sub(args.first()?).map(|b| !b),
            "Fn::And" => {
                let values: Vec<Option<bool>> = args.iter().map(sub).collect();
                if values.contains(&Some(false)) {
                    Some(false)
                } else if values.iter().all(|v| *v == Some(true)) {
                    Some(true)
                } else {
                    None
                }
            }
            "Fn::Or" => {
                let values: Vec<Option<bool>> = args.iter().map(sub).collect();
                if values.contains(&Some(true)) {
                    Some(true)
                } else if values.iter().all(|v| *v == Some(false)) {
                    Some(false)
                } else {
                    None
                }
            }
            "Condition" => self.condition(arg.as_str()?, depth + 1),
            _ => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use crate::view::{LoadOptions, ViewBuilder};

    fn view(text: &str) -> crate::view::ResourceView {
        view_with(text, &[])
    }

    fn view_with(text: &str, pinned: &[(&str, &str)]) -> crate::view::ResourceView {
        let options = LoadOptions {
            parameters: pinned
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..LoadOptions::default()
        };
        let mut builder = ViewBuilder::new(options);
        assert!(builder.add_text("t.yaml", text));
        builder.finish()
    }

    #[test]
    fn refs_resolve_to_parameter_defaults_and_resources_stay_unknown() {
        let v = view(
            "Parameters:\n  Enc:\n    Type: String\n    Default: 'false'\n  Key:\n    Type: String\nResources:\n  K:\n    Type: AWS::KMS::Key\n  V:\n    Type: AWS::EC2::Volume\n    Properties:\n      Encrypted: !Ref Enc\n      KmsKeyId: !Ref K\n      AvailabilityZone: !Ref Key\n",
        );
        let volume = &v.resources[1];
        let props = volume.properties();
        assert_eq!(
            props.get("Encrypted").and_then(|v| v.as_bool()),
            Some(false)
        );
        assert_eq!(props.get("KmsKeyId").and_then(|v| v.refers_to()), Some("K"));
        assert!(props.get("AvailabilityZone").unwrap().is_unknown());
        assert_eq!(v.referrers(&v.resources[0]).count(), 1);
    }

    #[test]
    fn sub_with_known_values_is_a_string_and_with_unknown_is_unknown() {
        let v = view(
            "Parameters:\n  Env:\n    Type: String\n    Default: dev\nResources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Sub 'logs-${Env}-${AWS::Region}-${!Literal}'\n      Other: !Sub 'logs-${Env}'\n",
        );
        let props = v.resources[0].properties();
        assert!(props.get("BucketName").unwrap().is_unknown());
        // `Env` is not pinned: its default is not what gets deployed.
        assert!(props.get("Other").unwrap().is_unknown());
        assert_eq!(v.resources[0].environment.as_deref(), Some("dev"));
        let v = view_with(
            "Parameters:\n  Env:\n    Type: String\n    Default: dev\nResources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      Other: !Sub 'logs-${Env}'\n",
            &[("Env", "prod")],
        );
        assert_eq!(
            v.resources[0]
                .properties()
                .get("Other")
                .and_then(|v| v.as_str()),
            Some("logs-prod")
        );
    }

    #[test]
    fn decidable_conditions_pick_a_branch_and_others_keep_both() {
        let v = view_with(
            "Parameters:\n  Env:\n    Type: String\n    Default: prod\n  Flag:\n    Type: String\nConditions:\n  IsProd: !Equals [!Ref Env, prod]\n  FlagOn: !Equals [!Ref Flag, 'on']\nResources:\n  V:\n    Type: AWS::EC2::Volume\n    Properties:\n      Encrypted: !If [IsProd, true, false]\n      Iops: !If [FlagOn, 3000, !Ref AWS::NoValue]\n",
            &[("Env", "prod")],
        );
        let r = &v.resources[0];
        assert_eq!(r.variants.len(), 2);
        assert_eq!(
            r.variants[0]
                .value
                .get("Encrypted")
                .and_then(|v| v.as_bool()),
            Some(true)
        );
        assert!(r.variants[1].value.get("Iops").is_none());
    }

    #[test]
    fn find_in_map_select_and_join_resolve() {
        let v = view(
            "Mappings:\n  Types:\n    prod:\n      Instance: m7i.large\nResources:\n  I:\n    Type: AWS::EC2::Instance\n    Properties:\n      InstanceType: !FindInMap [Types, prod, Instance]\n      ImageId: !Select [1, [a, b]]\n      KeyName: !Join ['-', [k, '1']]\n",
        );
        let props = v.resources[0].properties();
        assert_eq!(
            props.get("InstanceType").and_then(|v| v.as_str()),
            Some("m7i.large")
        );
        assert_eq!(props.get("ImageId").and_then(|v| v.as_str()), Some("b"));
        assert_eq!(props.get("KeyName").and_then(|v| v.as_str()), Some("k-1"));
    }

    /// A resource that exists only for a non-default parameter value (a NAT
    /// instance for the third availability zone, `NumberOfAZs` defaulting to
    /// 2) is checked unless the parameter is pinned to a value that rules it
    /// out; a value read from a default says so.
    #[test]
    fn parameter_defaults_do_not_decide_conditions() {
        let template = "Parameters:\n  NumberOfAZs:\n    Type: Number\n    Default: 2\n    AllowedValues: [2, 3, 4]\n  Encrypt:\n    Type: String\n    Default: 'false'\nConditions:\n  Has3AZs: !Or [!Equals [!Ref NumberOfAZs, 3], !Equals [!Ref NumberOfAZs, 4]]\nResources:\n  NatInstance3:\n    Type: AWS::EC2::Instance\n    Condition: Has3AZs\n    Properties:\n      InstanceType: t3.micro\n  V:\n    Type: AWS::EC2::Volume\n    Properties:\n      Encrypted: !Ref Encrypt\n";
        let v = view(template);
        assert_eq!(v.resources.len(), 2);
        assert_eq!(v.resources[0].id, "NatInstance3");
        // The finding says which parameter to pin.
        assert_eq!(
            v.resources[0].variants[0].describe(),
            "when condition `Has3AZs` is true, which depends on the unpinned parameter `NumberOfAZs`"
        );
        let volume = &v.resources[1];
        assert_eq!(volume.variants.len(), 2);
        assert_eq!(
            volume.variants[0].describe(),
            "when parameter `Encrypt` keeps its default"
        );
        assert!(volume.variants[1]
            .value
            .get("Encrypted")
            .unwrap()
            .is_unknown());
        // Pinned: decided.
        let v = view_with(template, &[("NumberOfAZs", "2"), ("Encrypt", "true")]);
        assert_eq!(v.resources.len(), 1);
        assert_eq!(v.resources[0].variants.len(), 1);
        let v = view_with(template, &[("NumberOfAZs", "3")]);
        assert_eq!(v.resources.len(), 2);
        assert!(v.resources[0].variants[0].assumptions.is_empty());
    }

    #[test]
    fn cyclic_conditions_do_not_hang() {
        let v = view(
            "Conditions:\n  A: !Not [!Condition B]\n  B: !Not [!Condition A]\nResources:\n  V:\n    Type: AWS::EC2::Volume\n    Condition: A\n    Properties:\n      Encrypted: !If [B, true, false]\n",
        );
        assert_eq!(v.resources.len(), 1);
    }
}
