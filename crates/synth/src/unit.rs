//! A unit: everything one layer deploys to one target, before splitting.
//!
//! Layer builders add resources to a unit as if it were one stack, referring
//! to each other with plain `Ref`/`Fn::GetAtt`; [`crate::split`] then cuts
//! the unit into stacks along the resources' partition keys and turns the
//! references that cross a cut into exports and imports.

use std::collections::BTreeMap;

use landfall_graph::{
    Capacity, ExternalInput, Layer, Output, Parameter, ParameterValue, Resource, Target,
};
use landfall_spec::Pointer;
use serde_json::{Map, Value};

use crate::Problem;

pub(crate) struct Unit {
    /// The stack name when the unit is deployed whole; split stacks append
    /// their partition keys.
    pub name: String,
    pub layer: Layer,
    pub description: String,
    pub target: Target,
    pub parameters: Vec<Parameter>,
    pub conditions: Map<String, Value>,
    pub resources: Vec<Resource>,
    pub outputs: Vec<Output>,
    /// Units (by name) deployed before this one.
    pub depends_on: Vec<String>,
    /// Finer dependencies: stacks of this unit whose first partition key is
    /// `.0` depend on the stacks of unit `.1` whose first key is `.2` (a
    /// domain's network stack on that domain's organization stack), instead
    /// of on the whole unit.
    pub part_depends_on: Vec<(String, String, String)>,
    /// Partition levels that always get stacks of their own, whatever the
    /// size: the unit's natural grouping (for example one stack per domain),
    /// chosen so growth elsewhere never moves a resource.
    pub fixed_depth: usize,
    /// What every stack of the unit reads that no stack creates (besides
    /// the SSM parameters its parameters name, found by themselves).
    pub inputs: Vec<ExternalInput>,
    /// The instances every stack of the unit runs (quotas and the types
    /// each AZ offers are AWS's to tell, at plan time).
    pub capacity: Vec<Capacity>,
    ids: BTreeMap<String, Option<Pointer>>,
    pub problems: Vec<Problem>,
}

impl Unit {
    pub fn new(name: String, layer: Layer, description: String, target: Target) -> Self {
        Self {
            name,
            layer,
            description,
            target,
            parameters: Vec::new(),
            conditions: Map::new(),
            resources: Vec::new(),
            outputs: Vec::new(),
            depends_on: Vec::new(),
            part_depends_on: Vec::new(),
            fixed_depth: 0,
            inputs: Vec::new(),
            capacity: Vec::new(),
            ids: BTreeMap::new(),
            problems: Vec::new(),
        }
    }

    /// Adds a resource; two resources with one logical id are reported (they
    /// come from names that differ only in punctuation).
    pub fn add(&mut self, resource: Resource) {
        if let Some(first) = self.ids.get(&resource.logical_id) {
            self.problems.push(Problem {
                code: "synth::logical-id-clash",
                message: format!(
                    "two names give the CloudFormation logical id `{}` in stack `{}`",
                    resource.logical_id, self.name
                ),
                help: "rename one of them so they differ in more than punctuation".into(),
                at: resource.origin.clone().or_else(|| first.clone()),
            });
            return;
        }
        self.ids
            .insert(resource.logical_id.clone(), resource.origin.clone());
        self.resources.push(resource);
    }

    /// Declares a parameter once, returning its name.
    pub fn parameter(&mut self, name: &str, description: &str, value: ParameterValue) -> String {
        if !self.parameters.iter().any(|p| p.name == name) {
            self.parameters.push(Parameter {
                name: name.to_owned(),
                description: description.to_owned(),
                value,
            });
        }
        name.to_owned()
    }
}

/// A fluent way to build a [`Resource`].
pub(crate) trait ResourceExt: Sized {
    fn props(self, properties: Value) -> Self;
    fn at(self, partition: &[&str]) -> Self;
    fn origin(self, origin: &Pointer) -> Self;
    fn retain(self) -> Self;
    fn depends(self, logical_id: &str) -> Self;
    fn when(self, condition: &str) -> Self;
}

impl ResourceExt for Resource {
    fn props(mut self, properties: Value) -> Self {
        if let Value::Object(map) = properties {
            self.properties = map;
        }
        self
    }

    fn at(mut self, partition: &[&str]) -> Self {
        self.partition = partition.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    fn origin(mut self, origin: &Pointer) -> Self {
        self.origin = Some(origin.clone());
        self
    }

    fn retain(mut self) -> Self {
        self.retain = true;
        self
    }

    fn depends(mut self, logical_id: &str) -> Self {
        if !self.depends_on.iter().any(|d| d == logical_id) {
            self.depends_on.push(logical_id.to_owned());
        }
        self
    }

    fn when(mut self, condition: &str) -> Self {
        self.condition = Some(condition.to_owned());
        self
    }
}

/// `Resource::new(id, kind)` with properties, the usual start.
pub(crate) fn resource(logical_id: impl Into<String>, kind: &str, properties: Value) -> Resource {
    Resource::new(logical_id, kind).props(properties)
}

/// CloudFormation tags from key/value pairs.
pub(crate) fn tags(pairs: &[(&str, &str)]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(k, v)| serde_json::json!({ "Key": k, "Value": v }))
            .collect(),
    )
}
