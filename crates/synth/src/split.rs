//! Cutting a unit into stacks that fit CloudFormation's limits.
//!
//! # How stacks are cut, and why it is stable
//!
//! Every resource carries a partition path of natural keys from the model,
//! coarse to fine — for a network unit `["core", "<tier>"]` or
//! `["domain-<name>", "<tier>"]`, for the organization `["domain-<name>"]`.
//! A unit is cut in two ways:
//!
//! 1. **Always** at its first `fixed_depth` levels: a network unit gets one
//!    stack for the VPC's shared parts and one per domain, whatever their
//!    size. These keys are names from the spec, so adding a domain adds a
//!    stack and changes no other stack's contents: nothing moves, nothing is
//!    renamed, and CloudFormation never has to delete a resource in one stack
//!    to create it in another (which, for accounts, subnets in use or
//!    buckets, would fail or lose data).
//! 2. **Only when needed** below that: a stack over the resource, parameter,
//!    output or template-size limit is cut along the next level of its
//!    resources' keys (tier, then AZ), recursively. Such a cut moves only the
//!    resources of the group that outgrew a limit, and only when it did.
//!    A group that still does not fit once its keys run out is cut into
//!    numbered chunks in a fixed order (the last resort, and the one place
//!    where growth inside that group can move resources between chunks).
//!
//! Logical ids never change with the cut: they are unique across the whole
//! unit. A `Ref` or `Fn::GetAtt` that crosses a cut becomes an
//! `Fn::ImportValue` of an export named after the unit and the logical id
//! (`<unit>:<LogicalId>[:<Attribute>]`), so the name does not depend on which
//! stack the resource ended up in; the stack that imports depends on the
//! stack that exports.
//!
//! A lockfile of stack assignments was considered and not chosen: natural
//! keys give the same stability without state to keep in sync, and the
//! output stays a pure function of the spec.

use std::collections::{BTreeMap, BTreeSet};
use std::io;

use landfall_graph::intrinsic::{self, rewrite_references, visit_references};
use landfall_graph::{Output, Resource, Stack};
use landfall_model::Limits;
use serde_json::Value;

use crate::unit::Unit;

/// Bytes of template outside the resources: header, parameters, outputs.
const OVERHEAD_BYTES: u64 = 2_000;
const BYTES_PER_OUTPUT: u64 = 300;
const BYTES_PER_PARAMETER: u64 = 200;
/// Share of the S3 template limit a stack may fill by estimate.
const SIZE_MARGIN_PERCENT: u64 = 90;

/// The stacks of a unit, and the units it depends on (by unit name).
pub(crate) struct SplitUnit {
    pub name: String,
    pub stacks: Vec<Stack>,
    /// The partition key of each stack.
    pub keys: Vec<Vec<String>>,
    pub unit_depends_on: Vec<String>,
    pub part_depends_on: Vec<(String, String, String)>,
}

struct Ctx<'a> {
    unit: &'a Unit,
    limits: &'a Limits,
    /// Distinct (target, attribute) references per resource, to resources.
    refs: Vec<Vec<(usize, Option<String>)>>,
    /// Referencing resources and attribute per target.
    incoming: Vec<Vec<(usize, Option<String>)>>,
    /// Parameter indexes each resource uses (directly or through conditions).
    params: Vec<Vec<usize>>,
    /// Output anchors: the resource each declared output refers to first.
    output_anchor: Vec<Option<usize>>,
    sizes: Vec<u64>,
    stamp: Vec<u32>,
    generation: u32,
}

struct Part {
    key: Vec<String>,
    members: Vec<usize>,
}

pub(crate) fn split(unit: Unit, limits: &Limits) -> SplitUnit {
    let index: BTreeMap<&str, usize> = unit
        .resources
        .iter()
        .enumerate()
        .map(|(i, r)| (r.logical_id.as_str(), i))
        .collect();
    let param_index: BTreeMap<&str, usize> = unit
        .parameters
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.as_str(), i))
        .collect();
    let n = unit.resources.len();
    let mut refs = Vec::with_capacity(n);
    let mut params = Vec::with_capacity(n);
    let mut sizes = Vec::with_capacity(n);
    for resource in &unit.resources {
        let value = Value::Object(resource.properties.clone());
        let mut found: BTreeSet<(usize, Option<String>)> = BTreeSet::new();
        let mut used_params: BTreeSet<usize> = BTreeSet::new();
        visit_references(&value, &mut |r| {
            if let Some(&t) = index.get(r.target) {
                found.insert((t, r.attribute.map(str::to_owned)));
            } else if let (None, Some(&p)) = (r.attribute, param_index.get(r.target)) {
                used_params.insert(p);
            }
        });
        for dep in &resource.depends_on {
            if let Some(&t) = index.get(dep.as_str()) {
                // A dependency across a cut becomes a stack dependency; it
                // needs no export, so it is recorded apart (attribute "").
                found.insert((t, Some(String::new())));
            }
        }
        let mut conditions = BTreeSet::new();
        collect_conditions(
            &value,
            resource.condition.as_deref(),
            &unit.conditions,
            &mut conditions,
        );
        for name in &conditions {
            if let Some(cond) = unit.conditions.get(name) {
                visit_references(cond, &mut |r| {
                    if let Some(&p) = param_index.get(r.target) {
                        used_params.insert(p);
                    }
                });
            }
        }
        refs.push(found.into_iter().collect::<Vec<_>>());
        params.push(used_params.into_iter().collect());
        sizes.push(pretty_size(resource));
    }
    let mut incoming = vec![Vec::new(); n];
    for (src, list) in refs.iter().enumerate() {
        for (t, attr) in list {
            if *t != src {
                incoming[*t].push((src, attr.clone()));
            }
        }
    }
    let output_anchor = unit
        .outputs
        .iter()
        .map(|o| {
            let mut anchor = None;
            visit_references(&o.value, &mut |r| {
                if anchor.is_none() {
                    anchor = index.get(r.target).copied();
                }
            });
            anchor
        })
        .collect();
    let mut ctx = Ctx {
        unit: &unit,
        limits,
        refs,
        incoming,
        params,
        output_anchor,
        sizes,
        stamp: vec![0; n],
        generation: 0,
    };
    let mut parts = Vec::new();
    let all: Vec<usize> = (0..n).collect();
    partition(&mut ctx, all, 0, Vec::new(), &mut parts);
    if parts.is_empty() {
        parts.push(Part {
            key: Vec::new(),
            members: Vec::new(),
        });
    }
    let stacks = assemble(&ctx, &parts);
    SplitUnit {
        name: unit.name.clone(),
        stacks,
        keys: parts.iter().map(|p| p.key.clone()).collect(),
        unit_depends_on: unit.depends_on.clone(),
        part_depends_on: unit.part_depends_on.clone(),
    }
}

/// Names of conditions a resource uses: its own, `Fn::If` and `Condition`
/// references, and the conditions those conditions use.
fn collect_conditions(
    value: &Value,
    own: Option<&str>,
    all: &serde_json::Map<String, Value>,
    out: &mut BTreeSet<String>,
) {
    fn walk(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Array(items) => items.iter().for_each(|v| walk(v, found)),
            Value::Object(map) => {
                if map.len() == 1 {
                    if let Some(Value::Array(args)) = map.get("Fn::If") {
                        if let Some(Value::String(name)) = args.first() {
                            found.push(name.clone());
                        }
                    }
                    if let Some(Value::String(name)) = map.get("Condition") {
                        found.push(name.clone());
                    }
                }
                map.values().for_each(|v| walk(v, found));
            }
            _ => {}
        }
    }
    let mut pending = Vec::new();
    walk(value, &mut pending);
    pending.extend(own.map(str::to_owned));
    while let Some(name) = pending.pop() {
        if out.insert(name.clone()) {
            if let Some(cond) = all.get(&name) {
                walk(cond, &mut pending);
            }
        }
    }
}

/// Bytes a resource takes in a pretty-printed template (two-space indent,
/// three levels deep).
fn pretty_size(resource: &Resource) -> u64 {
    struct Counter {
        bytes: u64,
        lines: u64,
    }
    impl io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.bytes += buf.len() as u64;
            self.lines += buf.iter().filter(|&&b| b == b'\n').count() as u64;
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter { bytes: 0, lines: 0 };
    let _ = serde_json::to_writer_pretty(&mut counter, &resource.properties);
    counter.bytes + counter.lines * 6 + 200 + resource.kind.len() as u64
}

fn partition(
    ctx: &mut Ctx<'_>,
    members: Vec<usize>,
    depth: usize,
    key: Vec<String>,
    out: &mut Vec<Part>,
) {
    let must_split = depth < ctx.unit.fixed_depth;
    if !must_split && fits(ctx, &members) {
        out.push(Part { key, members });
        return;
    }
    let mut rest = Vec::new();
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for &i in &members {
        match ctx.unit.resources[i].partition.get(depth) {
            Some(k) => groups.entry(k.as_str()).or_default().push(i),
            None => rest.push(i),
        }
    }
    let groups: Vec<(String, Vec<usize>)> =
        groups.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    if !rest.is_empty() {
        if must_split || fits(ctx, &rest) {
            out.push(Part {
                key: key.clone(),
                members: rest,
            });
        } else {
            chunk(ctx, rest, &key, out);
        }
    }
    for (k, group) in groups {
        let mut child = key.clone();
        child.push(k);
        partition(ctx, group, depth + 1, child, out);
    }
}

/// The last resort: a group with no finer keys, cut into numbered chunks in
/// resource order.
fn chunk(ctx: &mut Ctx<'_>, members: Vec<usize>, key: &[String], out: &mut Vec<Part>) {
    let max_resources = usize::try_from(ctx.limits.stack_max_resources)
        .unwrap_or(usize::MAX)
        .max(1);
    let max_bytes = ctx.limits.template_s3_max_bytes * SIZE_MARGIN_PERCENT / 100;
    let mut current: Vec<usize> = Vec::new();
    let mut bytes = OVERHEAD_BYTES;
    let mut number = 0;
    let flush = |current: &mut Vec<usize>, number: &mut usize, out: &mut Vec<Part>| {
        if current.is_empty() {
            return;
        }
        *number += 1;
        let mut k = key.to_vec();
        k.push(format!("part{number}"));
        out.push(Part {
            key: k,
            members: std::mem::take(current),
        });
    };
    for i in members {
        let size = ctx.sizes[i] + BYTES_PER_OUTPUT;
        if !current.is_empty() && (current.len() >= max_resources || bytes + size > max_bytes) {
            flush(&mut current, &mut number, out);
            bytes = OVERHEAD_BYTES;
        }
        current.push(i);
        bytes += size;
    }
    flush(&mut current, &mut number, out);
}

fn fits(ctx: &mut Ctx<'_>, members: &[usize]) -> bool {
    let limits = ctx.limits;
    if members.len() as u64 > limits.stack_max_resources {
        return false;
    }
    ctx.generation += 1;
    let generation = ctx.generation;
    for &i in members {
        ctx.stamp[i] = generation;
    }
    let mut outputs: BTreeSet<(usize, &str)> = BTreeSet::new();
    let mut params: BTreeSet<usize> = BTreeSet::new();
    let mut bytes = OVERHEAD_BYTES;
    for &i in members {
        for (src, attr) in &ctx.incoming[i] {
            if ctx.stamp[*src] != generation && attr.as_deref() != Some("") {
                outputs.insert((i, attr.as_deref().unwrap_or("")));
            }
        }
        params.extend(ctx.params[i].iter().copied());
        bytes += ctx.sizes[i];
    }
    let declared = ctx
        .output_anchor
        .iter()
        .filter(|a| a.is_some_and(|i| ctx.stamp[i] == generation))
        .count();
    let output_count = (outputs.len() + declared) as u64;
    bytes += output_count * BYTES_PER_OUTPUT + params.len() as u64 * BYTES_PER_PARAMETER;
    output_count <= limits.stack_max_outputs
        && params.len() as u64 <= limits.stack_max_parameters
        && bytes <= limits.template_s3_max_bytes * SIZE_MARGIN_PERCENT / 100
}

fn export_name(unit: &str, target: &str, attribute: Option<&str>) -> String {
    match attribute {
        None => format!("{unit}:{target}"),
        Some(a) => format!("{unit}:{target}:{a}"),
    }
}

fn output_name(target: &str, attribute: Option<&str>) -> String {
    let mut name = target.to_owned();
    if let Some(a) = attribute {
        name.extend(a.chars().filter(char::is_ascii_alphanumeric));
    }
    name
}

fn assemble(ctx: &Ctx<'_>, parts: &[Part]) -> Vec<Stack> {
    let unit = ctx.unit;
    let n = unit.resources.len();
    let mut part_of = vec![0usize; n];
    for (p, part) in parts.iter().enumerate() {
        for &i in &part.members {
            part_of[i] = p;
        }
    }
    let names: Vec<String> = parts
        .iter()
        .map(|part| {
            if part.key.is_empty() {
                unit.name.clone()
            } else {
                format!("{}-{}", unit.name, part.key.join("-"))
            }
        })
        .collect();
    let index: BTreeMap<&str, usize> = unit
        .resources
        .iter()
        .enumerate()
        .map(|(i, r)| (r.logical_id.as_str(), i))
        .collect();
    // Exports each part must provide: (target, attribute) referenced from
    // another part.
    let mut exports: Vec<BTreeSet<(usize, Option<String>)>> = vec![BTreeSet::new(); parts.len()];
    let mut stack_deps: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); parts.len()];
    for (src, list) in ctx.refs.iter().enumerate() {
        for (t, attr) in list {
            let (ps, pt) = (part_of[src], part_of[*t]);
            if ps != pt {
                stack_deps[ps].insert(pt);
                if attr.as_deref() != Some("") {
                    exports[pt].insert((*t, attr.clone()));
                }
            }
        }
    }
    let mut stacks = Vec::with_capacity(parts.len());
    for (p, part) in parts.iter().enumerate() {
        let mut resources = Vec::with_capacity(part.members.len());
        for &i in &part.members {
            let mut resource = unit.resources[i].clone();
            let mut value = Value::Object(std::mem::take(&mut resource.properties));
            rewrite_references(&mut value, &mut |r| {
                let &t = index.get(r.target)?;
                (part_of[t] != p).then(|| {
                    intrinsic::import_value(&export_name(&unit.name, r.target, r.attribute))
                })
            });
            if let Value::Object(map) = value {
                resource.properties = map;
            }
            resource
                .depends_on
                .retain(|d| index.get(d.as_str()).is_some_and(|&t| part_of[t] == p));
            resources.push(resource);
        }
        let mut outputs: Vec<Output> = exports[p]
            .iter()
            .map(|(t, attr)| {
                let target = unit.resources[*t].logical_id.as_str();
                let value = match attr {
                    None => intrinsic::r#ref(target),
                    Some(a) => intrinsic::get_att(target, a),
                };
                Output {
                    name: output_name(target, attr.as_deref()),
                    description: None,
                    value,
                    export: Some(export_name(&unit.name, target, attr.as_deref())),
                }
            })
            .collect();
        for (o, output) in unit.outputs.iter().enumerate() {
            let anchored_here = match ctx.output_anchor[o] {
                Some(i) => part_of[i] == p,
                None => p == 0,
            };
            if anchored_here && !outputs.iter().any(|x| x.name == output.name) {
                outputs.push(output.clone());
            }
        }
        // Parameters and conditions this part uses.
        let mut used_params: BTreeSet<usize> = BTreeSet::new();
        let mut used_conditions: BTreeSet<String> = BTreeSet::new();
        for &i in &part.members {
            used_params.extend(ctx.params[i].iter().copied());
            collect_conditions(
                &Value::Object(unit.resources[i].properties.clone()),
                unit.resources[i].condition.as_deref(),
                &unit.conditions,
                &mut used_conditions,
            );
        }
        for output in &outputs {
            visit_references(&output.value, &mut |r| {
                if let Some(pi) = unit.parameters.iter().position(|x| x.name == r.target) {
                    used_params.insert(pi);
                }
            });
        }
        let parameters: Vec<landfall_graph::Parameter> = used_params
            .iter()
            .filter_map(|&i| unit.parameters.get(i).cloned())
            .collect();
        // A parameter CloudFormation reads from SSM is something from
        // outside the platform that must exist before the stack deploys.
        let mut inputs: Vec<landfall_graph::ExternalInput> = parameters
            .iter()
            .filter_map(|p| match &p.value {
                landfall_graph::ParameterValue::SsmParameter(name) => {
                    Some(landfall_graph::ExternalInput {
                        kind: landfall_graph::InputKind::SsmParameter,
                        name: name.clone(),
                        why: p.description.clone(),
                        account: None,
                    })
                }
                _ => None,
            })
            .chain(unit.inputs.iter().cloned())
            .collect();
        inputs.extend(unit.inputs.iter().cloned());
        let conditions = unit
            .conditions
            .iter()
            .filter(|(k, _)| used_conditions.contains(k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let depends_on = stack_deps[p].iter().map(|&d| names[d].clone()).collect();
        let description = if parts.len() == 1 {
            unit.description.clone()
        } else {
            format!("{} ({})", unit.description, part.key.join(", "))
        };
        stacks.push(Stack {
            name: names[p].clone(),
            layer: unit.layer,
            description,
            target: unit.target.clone(),
            parameters,
            conditions,
            resources,
            outputs,
            depends_on,
            inputs,
            capacity: unit.capacity.clone(),
        });
    }
    stacks
}
