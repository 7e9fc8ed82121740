//! Terraform plans (`terraform show -json PLANFILE`) into the resource view.
//!
//! Resources come from `planned_values` (the root module and every child
//! module, recursively); attributes listed in the matching
//! `resource_changes[].change.after_unknown` become explicit unknowns when
//! the configuration sets them (one it does not set is left to AWS's default,
//! like an absent CloudFormation property, though the plan calls it known
//! after apply), and
//! `configuration` supplies the references between resources (which bucket a
//! `aws_s3_bucket_versioning` configures, which launch template an auto
//! scaling group uses) even when the ids are known only after apply.
//!
//! Each translated type is mapped onto its CloudFormation type and property
//! names. AWS provider v4+ splits S3 bucket settings into separate resources
//! (`aws_s3_bucket_versioning`, `aws_s3_bucket_server_side_encryption_configuration`,
//! `aws_s3_bucket_public_access_block`, `aws_s3_bucket_acl`); they are merged
//! into the bucket they configure, so the bucket rules see one bucket. A
//! split resource whose bucket is not in the plan stays a resource of its own
//! (kind `Landfall::S3::BucketVersioning`, ...).

use std::collections::HashMap;

use landfall_diagnostics::{Diagnostic, FileId};

use super::{environment_from_tags, is_environment_key, FileInfo, LoadOptions, Resource};
use crate::tree::{Node, NodeValue};
use crate::value::{Value, Variant};

const MAX_MODULE_DEPTH: usize = 32;

struct Planned<'a> {
    address: String,
    config_address: String,
    ty: &'a str,
    node: &'a Node,
}

pub(super) fn read(
    file: FileId,
    root: Node,
    options: &LoadOptions,
    info: &mut FileInfo,
    out: &mut Vec<Resource>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut planned = Vec::new();
    if let Some(module) = root.at(["planned_values", "root_module"]) {
        collect_planned(module, &mut planned, 0);
    }
    let mut unknowns: HashMap<&str, &Node> = HashMap::new();
    for change in root.get("resource_changes").map_or(&[][..], Node::items) {
        if let (Some(address), Some(after_unknown)) = (
            change.get("address").and_then(Node::as_str),
            change.at(["change", "after_unknown"]),
        ) {
            unknowns.insert(address, after_unknown);
        }
    }
    let mut configuration: HashMap<String, Configured> = HashMap::new();
    if let Some(module) = root.at(["configuration", "root_module"]) {
        collect_configuration(module, "", &mut configuration, 0);
    }
    let variable = |names: &[&str]| {
        root.get("variables").and_then(|vars| {
            vars.entries()
                .iter()
                .find(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
                .and_then(|(_, v)| v.get("value"))
                .and_then(Node::as_str)
                .map(str::to_owned)
        })
    };
    let file_environment = options.environment.clone().or_else(|| {
        root.get("variables").and_then(|vars| {
            vars.entries()
                .iter()
                .find(|(k, _)| is_environment_key(k))
                .and_then(|(_, v)| v.get("value"))
                .and_then(Node::as_str)
                .map(str::to_owned)
        })
    });
    let provider_region = root
        .at([
            "configuration",
            "provider_config",
            "aws",
            "expressions",
            "region",
            "constant_value",
        ])
        .and_then(Node::as_str)
        .map(str::to_owned)
        .or_else(|| variable(&["region", "aws_region"]));
    info.environment = file_environment.clone();
    info.region = provider_region.clone();

    let instances = Instances::new(planned.iter().map(|p| p.address.as_str()));
    let empty = HashMap::new();
    let mut resources: Vec<(Resource, Option<Split>)> = Vec::new();
    for p in &planned {
        let mut values = p.node.get("values").map_or_else(Value::map, plain);
        let configured = configuration.get(&p.config_address);
        let refs = configured.map_or(&empty, |c| &c.refs);
        if let Some(after_unknown) = unknowns.get(p.address.as_str()) {
            overlay_unknown(
                &mut values,
                after_unknown,
                "",
                refs,
                configured.map(|c| &c.paths),
                0,
            );
        }
        let tf = Tf {
            values: &values,
            refs,
        };
        let (kind, mut properties, mut split) = translate(p.ty, &tf);
        resolve_references(&mut properties, &p.address, &instances);
        if let Some(split) = &mut split {
            split.bucket_ref = split
                .bucket_ref
                .take()
                .map(|target| instances.resolve(&target, &p.address).unwrap_or(target));
        }
        let tags = properties.get("Tags").cloned();
        let environment = options
            .environment
            .clone()
            .or_else(|| tags.as_ref().and_then(environment_from_tags))
            .or_else(|| file_environment.clone());
        let region = values
            .get("region")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| provider_region.clone());
        let suppressions = tags
            .as_ref()
            .map(|t| suppressions_from_tags(t, p.node))
            .unwrap_or_default();
        resources.push((
            Resource {
                kind,
                source_type: p.ty.to_owned(),
                id: p.address.clone(),
                file,
                span: p.node.span,
                variants: vec![Variant {
                    assumptions: Vec::new(),
                    value: properties,
                }],
                environment,
                region,
                suppressions,
                raw: None,
            },
            split,
        ));
    }
    merge_split_resources(&mut resources);
    out.extend(resources.into_iter().map(|(r, _)| r));
    let _ = diagnostics;
}

fn collect_planned<'a>(module: &'a Node, out: &mut Vec<Planned<'a>>, depth: usize) {
    if depth > MAX_MODULE_DEPTH {
        return;
    }
    for resource in module.get("resources").map_or(&[][..], Node::items) {
        if resource.get("mode").and_then(Node::as_str) == Some("data") {
            continue;
        }
        let (Some(address), Some(ty)) = (
            resource.get("address").and_then(Node::as_str),
            resource.get("type").and_then(Node::as_str),
        ) else {
            continue;
        };
        out.push(Planned {
            address: address.to_owned(),
            config_address: strip_indexes(address),
            ty,
            node: resource,
        });
    }
    for child in module.get("child_modules").map_or(&[][..], Node::items) {
        collect_planned(child, out, depth + 1);
    }
}

/// `module.a["x"].aws_s3_bucket.b[0]` → `module.a.aws_s3_bucket.b`.
fn strip_indexes(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut depth = 0usize;
    let mut quoted = false;
    for c in address.chars() {
        match c {
            '"' if depth > 0 => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The resource address of a reference, with its index when the reference
/// gives a literal one: `aws_s3_bucket.b.id` → `aws_s3_bucket.b`,
/// `aws_s3_bucket.b[0].id` → `aws_s3_bucket.b[0]`.
fn reference_target(reference: &str, module: &str) -> Option<String> {
    let segments = address_segments(reference);
    let (first, second) = (segments.first()?, segments.get(1)?);
    let ty = &reference[first.clone()];
    if [
        "var", "local", "data", "module", "each", "count", "path", "self",
    ]
    .contains(&ty)
        || ty.contains('[')
    {
        return None;
    }
    let name = &reference[second.clone()];
    let (bare, index) = name.split_at(name.find('[').unwrap_or(name.len()));
    let literal = index
        .strip_prefix('[')
        .and_then(|i| i.strip_suffix(']'))
        .is_some_and(|i| {
            (!i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()))
                || (i.len() >= 2 && i.starts_with('"') && i.ends_with('"'))
        });
    let index = if literal { index } else { "" };
    Some(format!("{module}{ty}.{bare}{index}"))
}

/// Byte ranges of the dot-separated parts of an address, indexes kept with
/// their part (`module.a["x.y"].t.n[0]` → `module`, `a["x.y"]`, `t`, `n[0]`).
fn address_segments(address: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut depth, mut quoted, mut start) = (0usize, false, 0);
    for (i, c) in address.char_indices() {
        match c {
            '"' if depth > 0 => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth = depth.saturating_sub(1),
            '.' if depth == 0 && !quoted => {
                out.push(start..i);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(start..address.len());
    out
}

/// The instance addresses of a plan, to resolve the configuration's
/// references (which name `aws_s3_bucket.b`, or `aws_s3_bucket.b[0]` for a
/// literal index) to the instance they mean (`aws_s3_bucket.b[0]`,
/// `module.m["x"].aws_s3_bucket.b["k"]`).
struct Instances {
    all: std::collections::HashSet<String>,
    by_config: HashMap<String, Vec<String>>,
}

impl Instances {
    fn new<'a>(addresses: impl Iterator<Item = &'a str>) -> Self {
        let mut all = std::collections::HashSet::new();
        let mut by_config: HashMap<String, Vec<String>> = HashMap::new();
        for address in addresses {
            all.insert(address.to_owned());
            by_config
                .entry(strip_indexes(address))
                .or_default()
                .push(address.to_owned());
        }
        Self { all, by_config }
    }

    /// The instance `target` (a configuration address, possibly with a
    /// literal index) means when referred to from the instance `from`: the
    /// same module instance; the literal index, else the referrer's own
    /// index (`count.index`, `each.key`), else none; else the only instance.
    fn resolve(&self, target: &str, from: &str) -> Option<String> {
        if self.all.contains(target) && !target.starts_with("module.") {
            return Some(target.to_owned());
        }
        let from_segments = address_segments(from);
        let target_segments = address_segments(target);
        if from_segments.len() < 2 || target_segments.len() < 2 {
            return None;
        }
        let module_prefix = &from[..from_segments[from_segments.len() - 2].start];
        let own_name = &from[from_segments[from_segments.len() - 1].clone()];
        let own_index = &own_name[own_name.find('[').unwrap_or(own_name.len())..];
        let local = &target[target_segments[target_segments.len() - 2].start..];
        let has_index = local.contains('[');
        let mut candidates = vec![format!("{module_prefix}{local}")];
        if !has_index && !own_index.is_empty() {
            candidates.insert(0, format!("{module_prefix}{local}{own_index}"));
        }
        if let Some(found) = candidates.into_iter().find(|c| self.all.contains(c)) {
            return Some(found);
        }
        match self
            .by_config
            .get(&strip_indexes(target))
            .map(Vec::as_slice)
        {
            Some([only]) => Some(only.clone()),
            _ => None,
        }
    }
}

/// Points every reference of a resource's values at the instance it means.
fn resolve_references(value: &mut Value, from: &str, instances: &Instances) {
    match value {
        Value::Unknown(unknown) => {
            if let Some(target) = &unknown.refers_to {
                if let Some(instance) = instances.resolve(target, from) {
                    unknown.refers_to = Some(instance);
                }
            }
        }
        Value::List(items) => items
            .iter_mut()
            .for_each(|v| resolve_references(v, from, instances)),
        Value::Map(entries) => entries
            .iter_mut()
            .for_each(|(_, v)| resolve_references(v, from, instances)),
        _ => {}
    }
}

/// What a resource's configuration sets: the resources its attributes
/// refer to, and every attribute and block path it gives an expression
/// (`true` for a whole-value expression, `false` for a block).
#[derive(Debug, Default)]
struct Configured {
    refs: HashMap<String, String>,
    paths: HashMap<String, bool>,
}

impl Configured {
    fn sets(paths: &HashMap<String, bool>, path: &str) -> bool {
        if paths.contains_key(path) {
            return true;
        }
        // An ancestor assigned as a whole (`metadata_options = var.x`).
        path.match_indices('.')
            .any(|(i, _)| paths.get(&path[..i]) == Some(&true))
    }
}

fn collect_configuration(
    module: &Node,
    prefix: &str,
    out: &mut HashMap<String, Configured>,
    depth: usize,
) {
    if depth > MAX_MODULE_DEPTH {
        return;
    }
    for resource in module.get("resources").map_or(&[][..], Node::items) {
        let Some(address) = resource.get("address").and_then(Node::as_str) else {
            continue;
        };
        let mut configured = Configured::default();
        if let Some(expressions) = resource.get("expressions") {
            expression_refs(expressions, "", prefix, &mut configured, 0);
        }
        out.insert(format!("{prefix}{address}"), configured);
    }
    for (name, call) in module.get("module_calls").map_or(&[][..], Node::entries) {
        if let Some(child) = call.get("module") {
            collect_configuration(child, &format!("{prefix}module.{name}."), out, depth + 1);
        }
    }
}

fn expression_refs(node: &Node, path: &str, module: &str, out: &mut Configured, depth: usize) {
    if depth > 16 {
        return;
    }
    match &node.value {
        NodeValue::Map(entries) => {
            let expression =
                node.get("references").is_some() || node.get("constant_value").is_some();
            if !path.is_empty() {
                let whole = out.paths.entry(path.to_owned()).or_insert(false);
                *whole |= expression;
            }
            if let Some(references) = node.get("references") {
                if let Some(target) = references
                    .items()
                    .iter()
                    .filter_map(Node::as_str)
                    .find_map(|r| reference_target(r, module))
                {
                    out.refs.insert(path.to_owned(), target);
                }
            }
            if expression {
                return;
            }
            for (key, value) in entries {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                expression_refs(value, &child, module, out, depth + 1);
            }
        }
        // Nested blocks: one path for every block of a kind.
        NodeValue::Seq(items) => {
            for item in items {
                expression_refs(item, path, module, out, depth + 1);
            }
        }
        _ => {}
    }
}

fn plain(node: &Node) -> Value {
    match &node.value {
        NodeValue::Null => Value::Null,
        NodeValue::Bool(b) => Value::Bool(*b),
        NodeValue::Number(n) => Value::Number(*n),
        NodeValue::String(s) => Value::String(s.clone()),
        NodeValue::Seq(items) => Value::List(items.iter().map(plain).collect()),
        NodeValue::Map(entries) => {
            Value::Map(entries.iter().map(|(k, v)| (k.clone(), plain(v))).collect())
        }
    }
}

/// Marks every attribute `after_unknown` flags as unknown, keeping the
/// reference the configuration gives for it. An attribute the configuration
/// does not set (`configured`, when the plan has the resource's
/// configuration) is unset, not unknown: the provider leaves it to AWS's
/// default, as an absent CloudFormation property does.
fn overlay_unknown(
    value: &mut Value,
    unknown: &Node,
    path: &str,
    refs: &HashMap<String, String>,
    configured: Option<&HashMap<String, bool>>,
    depth: usize,
) {
    if depth > 32 {
        return;
    }
    match &unknown.value {
        NodeValue::Bool(true) if configured.is_some_and(|c| !Configured::sets(c, path)) => {
            *value = Value::Null;
        }
        NodeValue::Bool(true) => {
            *value = match refs.get(path) {
                Some(target) => Value::reference(format!("`{path}` (known after apply)"), target),
                None => Value::unknown(format!("`{path}` (known after apply)")),
            };
        }
        NodeValue::Map(entries) => {
            if !matches!(value, Value::Map(_)) {
                *value = Value::map();
            }
            for (key, child) in entries {
                if matches!(child.value, NodeValue::Bool(false)) {
                    continue;
                }
                let child_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                if value.get(key).is_none() {
                    value.insert(key.clone(), Value::Null);
                }
                if let Value::Map(map) = value {
                    if let Some((_, v)) = map.iter_mut().find(|(k, _)| k == key) {
                        overlay_unknown(v, child, &child_path, refs, configured, depth + 1);
                    }
                }
            }
        }
        NodeValue::Seq(items) => {
            if let Value::List(list) = value {
                for (v, u) in list.iter_mut().zip(items) {
                    overlay_unknown(v, u, path, refs, configured, depth + 1);
                }
            }
        }
        _ => {}
    }
}

/// A plan resource's values with the references of its configuration.
struct Tf<'a> {
    values: &'a Value,
    refs: &'a HashMap<String, String>,
}

impl Tf<'_> {
    /// An attribute; a reference to another resource when its value is not
    /// known or not given.
    fn attr(&self, path: &str) -> Value {
        let segments: Vec<&str> = path.split('.').collect();
        let mut value = Some(self.values);
        for segment in &segments {
            value = value.and_then(|v| match v {
                // Blocks are lists of one.
                Value::List(items) => items.first().and_then(|i| i.get(segment)),
                other => other.get(segment),
            });
        }
        match (value, self.refs.get(path)) {
            (Some(v @ Value::Unknown(_)), Some(target)) => {
                Value::reference(v.display(), target.clone())
            }
            (Some(Value::Null) | None, Some(target)) => {
                Value::reference(format!("`{path}`"), target.clone())
            }
            (Some(v), _) => v.clone(),
            (None, None) => Value::Absent,
        }
    }

    fn blocks(&self, name: &str) -> Vec<&Value> {
        match self.values.get(name) {
            Some(Value::List(items)) => items.iter().collect(),
            Some(v @ Value::Map(_)) => vec![v],
            _ => Vec::new(),
        }
    }
}

/// A split S3 setting: which bucket, and what to merge into it.
struct Split {
    bucket_ref: Option<String>,
    bucket_name: Option<String>,
    key: &'static str,
    value: Value,
}

fn map(entries: Vec<(&str, Value)>) -> Value {
    Value::Map(
        entries
            .into_iter()
            .filter(|(_, v)| *v != Value::Absent)
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

fn tags_list(tf: &Tf<'_>) -> Value {
    let tags = match tf.values.get("tags_all") {
        Some(Value::Map(entries)) if !entries.is_empty() => tf.values.get("tags_all"),
        _ => tf.values.get("tags"),
    };
    match tags {
        Some(Value::Map(entries)) => Value::List(
            entries
                .iter()
                .map(|(k, v)| {
                    map(vec![
                        ("Key", Value::String(k.clone())),
                        ("Value", v.clone()),
                    ])
                })
                .collect(),
        ),
        _ => Value::Absent,
    }
}

fn block_device(device: &Value, name: Option<&Value>) -> Value {
    let ebs = match device.get("ebs") {
        Some(Value::List(items)) => items.first().cloned().unwrap_or_else(Value::map),
        Some(other) => other.clone(),
        None => device.clone(),
    };
    map(vec![
        (
            "DeviceName",
            name.cloned()
                .or_else(|| device.get("device_name").cloned())
                .unwrap_or(Value::Absent),
        ),
        (
            "Ebs",
            map(vec![
                (
                    "Encrypted",
                    ebs.get("encrypted").cloned().unwrap_or(Value::Absent),
                ),
                (
                    "KmsKeyId",
                    ebs.get("kms_key_id").cloned().unwrap_or(Value::Absent),
                ),
            ]),
        ),
    ])
}

fn instance_block_devices(tf: &Tf<'_>) -> Value {
    let mut devices = Vec::new();
    for root in tf.blocks("root_block_device") {
        devices.push(block_device(root, Some(&Value::String("root".to_owned()))));
    }
    for device in tf.blocks("ebs_block_device") {
        devices.push(block_device(device, None));
    }
    Value::List(devices)
}

/// Security group rules of a Terraform block list, one entry per source.
fn sg_entries(blocks: &[&Value], egress: bool) -> Value {
    let mut out = Vec::new();
    for block in blocks {
        let base = |source: (&str, Value)| {
            map(vec![
                (
                    "IpProtocol",
                    block.get("protocol").cloned().unwrap_or(Value::Absent),
                ),
                (
                    "FromPort",
                    block.get("from_port").cloned().unwrap_or(Value::Absent),
                ),
                (
                    "ToPort",
                    block.get("to_port").cloned().unwrap_or(Value::Absent),
                ),
                source,
            ])
        };
        let mut any = false;
        for (attr, key) in [
            ("cidr_blocks", "CidrIp"),
            ("ipv6_cidr_blocks", "CidrIpv6"),
            (
                "prefix_list_ids",
                if egress {
                    "DestinationPrefixListId"
                } else {
                    "SourcePrefixListId"
                },
            ),
            (
                "security_groups",
                if egress {
                    "DestinationSecurityGroupId"
                } else {
                    "SourceSecurityGroupId"
                },
            ),
        ] {
            match block.get(attr) {
                Some(Value::List(items)) => {
                    for item in items {
                        any = true;
                        out.push(base((key, item.clone())));
                    }
                }
                Some(v @ Value::Unknown(_)) => {
                    any = true;
                    out.push(base((key, v.clone())));
                }
                _ => {}
            }
        }
        if block.get("self").and_then(Value::as_bool) == Some(true) {
            any = true;
            out.push(base((
                "SourceSecurityGroupId",
                Value::String("self".to_owned()),
            )));
        }
        if !any {
            out.push(base(("Description", Value::Absent)));
        }
    }
    Value::List(out)
}

/// `metadata_options { http_tokens, http_endpoint }` as `MetadataOptions`.
fn metadata_options(tf: &Tf<'_>) -> Value {
    map(vec![
        ("HttpTokens", tf.attr("metadata_options.http_tokens")),
        ("HttpEndpoint", tf.attr("metadata_options.http_endpoint")),
    ])
}

fn first_of(value: Value) -> Value {
    match value {
        Value::List(items) if items.len() == 1 => items.into_iter().next().unwrap_or(Value::Absent),
        other => other,
    }
}

/// Maps a Terraform type onto its CloudFormation kind and property shape.
fn translate(ty: &str, tf: &Tf<'_>) -> (String, Value, Option<Split>) {
    let a = |path: &str| tf.attr(path);
    let tags = tags_list(tf);
    let (kind, props): (&str, Value) = match ty {
        "aws_ebs_volume" => (
            "AWS::EC2::Volume",
            map(vec![
                ("Encrypted", a("encrypted")),
                ("KmsKeyId", a("kms_key_id")),
                ("AvailabilityZone", a("availability_zone")),
                ("Tags", tags),
            ]),
        ),
        "aws_ebs_encryption_by_default" => (
            "Landfall::EC2::EBSEncryptionByDefault",
            map(vec![("Enabled", a("enabled"))]),
        ),
        "aws_instance" => (
            "AWS::EC2::Instance",
            map(vec![
                ("InstanceType", a("instance_type")),
                ("KeyName", a("key_name")),
                ("IamInstanceProfile", a("iam_instance_profile")),
                ("BlockDeviceMappings", instance_block_devices(tf)),
                ("MetadataOptions", metadata_options(tf)),
                (
                    "LaunchTemplate",
                    map(vec![
                        ("LaunchTemplateId", a("launch_template.id")),
                        ("LaunchTemplateName", a("launch_template.name")),
                    ]),
                ),
                ("AvailabilityZone", a("availability_zone")),
                ("SecurityGroupIds", a("vpc_security_group_ids")),
                ("Tags", tags),
            ]),
        ),
        "aws_launch_template" => {
            let devices: Vec<Value> = tf
                .blocks("block_device_mappings")
                .into_iter()
                .map(|d| block_device(d, None))
                .collect();
            (
                "AWS::EC2::LaunchTemplate",
                map(vec![
                    (
                        "LaunchTemplateData",
                        map(vec![
                            ("InstanceType", a("instance_type")),
                            ("KeyName", a("key_name")),
                            ("BlockDeviceMappings", Value::List(devices)),
                            ("MetadataOptions", metadata_options(tf)),
                            (
                                "IamInstanceProfile",
                                map(vec![
                                    ("Name", a("iam_instance_profile.name")),
                                    ("Arn", a("iam_instance_profile.arn")),
                                ]),
                            ),
                        ]),
                    ),
                    ("Tags", tags),
                ]),
            )
        }
        "aws_launch_configuration" => (
            "AWS::AutoScaling::LaunchConfiguration",
            map(vec![
                ("InstanceType", a("instance_type")),
                ("KeyName", a("key_name")),
                ("IamInstanceProfile", a("iam_instance_profile")),
                ("BlockDeviceMappings", instance_block_devices(tf)),
                ("MetadataOptions", metadata_options(tf)),
            ]),
        ),
        "aws_autoscaling_group" => {
            let overrides: Vec<Value> = tf
                .values
                .at(&[
                    "mixed_instances_policy",
                    "0",
                    "launch_template",
                    "0",
                    "override",
                ])
                .map(|o| {
                    o.items()
                        .iter()
                        .map(|item| {
                            map(vec![(
                                "InstanceType",
                                item.get("instance_type").cloned().unwrap_or(Value::Absent),
                            )])
                        })
                        .collect()
                })
                .unwrap_or_default();
            (
                "AWS::AutoScaling::AutoScalingGroup",
                map(vec![
                    (
                        "LaunchTemplate",
                        map(vec![
                            ("LaunchTemplateId", a("launch_template.id")),
                            ("LaunchTemplateName", a("launch_template.name")),
                        ]),
                    ),
                    ("LaunchConfigurationName", a("launch_configuration")),
                    (
                        "MixedInstancesPolicy",
                        map(vec![(
                            "LaunchTemplate",
                            map(vec![
                                (
                                    "LaunchTemplateSpecification",
                                    map(vec![(
                                        "LaunchTemplateId",
                                        a("mixed_instances_policy.launch_template.launch_template_specification.launch_template_id"),
                                    )]),
                                ),
                                ("Overrides", Value::List(overrides)),
                            ]),
                        )]),
                    ),
                ]),
            )
        }
        "aws_ecs_capacity_provider" => (
            "AWS::ECS::CapacityProvider",
            map(vec![(
                "AutoScalingGroupProvider",
                map(vec![(
                    "AutoScalingGroupArn",
                    a("auto_scaling_group_provider.auto_scaling_group_arn"),
                )]),
            )]),
        ),
        "aws_db_instance" | "aws_rds_cluster_instance" => (
            "AWS::RDS::DBInstance",
            map(vec![
                ("DBInstanceClass", a("instance_class")),
                ("Engine", a("engine")),
                ("DBClusterIdentifier", a("cluster_identifier")),
                (
                    "StorageEncrypted",
                    if ty == "aws_db_instance" {
                        a("storage_encrypted")
                    } else {
                        Value::Absent
                    },
                ),
                (
                    "DeletionProtection",
                    if ty == "aws_db_instance" {
                        a("deletion_protection")
                    } else {
                        Value::Absent
                    },
                ),
                (
                    "BackupRetentionPeriod",
                    if ty == "aws_db_instance" {
                        a("backup_retention_period")
                    } else {
                        Value::Absent
                    },
                ),
                ("PubliclyAccessible", a("publicly_accessible")),
                ("Tags", tags),
            ]),
        ),
        "aws_rds_cluster" => (
            "AWS::RDS::DBCluster",
            map(vec![
                ("Engine", a("engine")),
                ("DBClusterInstanceClass", a("db_cluster_instance_class")),
                ("StorageEncrypted", a("storage_encrypted")),
                ("DeletionProtection", a("deletion_protection")),
                ("BackupRetentionPeriod", a("backup_retention_period")),
                ("Tags", tags),
            ]),
        ),
        "aws_elasticache_replication_group" => (
            "AWS::ElastiCache::ReplicationGroup",
            map(vec![
                ("CacheNodeType", a("node_type")),
                ("Engine", a("engine")),
                ("AtRestEncryptionEnabled", a("at_rest_encryption_enabled")),
                ("TransitEncryptionEnabled", a("transit_encryption_enabled")),
                ("Tags", tags),
            ]),
        ),
        "aws_elasticache_cluster" => (
            "AWS::ElastiCache::CacheCluster",
            map(vec![
                ("CacheNodeType", a("node_type")),
                ("Engine", a("engine")),
                ("ReplicationGroupId", a("replication_group_id")),
                ("TransitEncryptionEnabled", a("transit_encryption_enabled")),
                ("Tags", tags),
            ]),
        ),
        "aws_msk_cluster" => (
            "AWS::MSK::Cluster",
            map(vec![
                (
                    "BrokerNodeGroupInfo",
                    map(vec![(
                        "InstanceType",
                        a("broker_node_group_info.instance_type"),
                    )]),
                ),
                (
                    "EncryptionInfo",
                    map(vec![
                        (
                            "EncryptionAtRest",
                            map(vec![(
                                "DataVolumeKMSKeyId",
                                a("encryption_info.encryption_at_rest_kms_key_arn"),
                            )]),
                        ),
                        (
                            "EncryptionInTransit",
                            map(vec![
                                (
                                    "ClientBroker",
                                    a("encryption_info.encryption_in_transit.client_broker"),
                                ),
                                (
                                    "InCluster",
                                    a("encryption_info.encryption_in_transit.in_cluster"),
                                ),
                            ]),
                        ),
                    ]),
                ),
                ("Tags", tags),
            ]),
        ),
        "aws_s3_bucket" => {
            let versioning = match a("versioning.enabled") {
                Value::Bool(true) => map(vec![("Status", Value::String("Enabled".to_owned()))]),
                Value::Bool(false) => map(vec![("Status", Value::String("Suspended".to_owned()))]),
                _ => Value::Absent,
            };
            (
                "AWS::S3::Bucket",
                map(vec![
                    ("BucketName", a("bucket")),
                    ("VersioningConfiguration", versioning),
                    ("AccessControl", acl_to_cfn(&a("acl"))),
                    ("Tags", tags),
                ]),
            )
        }
        "aws_s3_bucket_versioning" => {
            let status = a("versioning_configuration.status");
            return split(
                tf,
                "Landfall::S3::BucketVersioning",
                "VersioningConfiguration",
                map(vec![("Status", status)]),
            );
        }
        "aws_s3_bucket_server_side_encryption_configuration" => {
            let algorithm = a("rule.apply_server_side_encryption_by_default.sse_algorithm");
            return split(
                tf,
                "Landfall::S3::BucketEncryption",
                "BucketEncryption",
                map(vec![(
                    "ServerSideEncryptionConfiguration",
                    Value::List(vec![map(vec![(
                        "ServerSideEncryptionByDefault",
                        map(vec![("SSEAlgorithm", algorithm)]),
                    )])]),
                )]),
            );
        }
        "aws_s3_bucket_public_access_block" => {
            return split(
                tf,
                "Landfall::S3::BucketPublicAccessBlock",
                "PublicAccessBlockConfiguration",
                map(vec![
                    ("BlockPublicAcls", a("block_public_acls")),
                    ("BlockPublicPolicy", a("block_public_policy")),
                    ("IgnorePublicAcls", a("ignore_public_acls")),
                    ("RestrictPublicBuckets", a("restrict_public_buckets")),
                ]),
            );
        }
        "aws_s3_bucket_acl" => {
            return split(
                tf,
                "Landfall::S3::BucketAcl",
                "AccessControl",
                acl_to_cfn(&a("acl")),
            );
        }
        "aws_iam_user" => (
            "AWS::IAM::User",
            map(vec![("UserName", a("name")), ("Tags", tags)]),
        ),
        "aws_iam_access_key" => ("AWS::IAM::AccessKey", map(vec![("UserName", a("user"))])),
        "aws_iam_user_login_profile" => (
            "Landfall::IAM::LoginProfile",
            map(vec![("UserName", a("user"))]),
        ),
        "aws_key_pair" => ("AWS::EC2::KeyPair", map(vec![("KeyName", a("key_name"))])),
        "aws_security_group" | "aws_default_security_group" => (
            if ty == "aws_security_group" {
                "AWS::EC2::SecurityGroup"
            } else {
                "Landfall::EC2::DefaultSecurityGroup"
            },
            map(vec![
                ("GroupName", a("name")),
                ("VpcId", a("vpc_id")),
                (
                    "SecurityGroupIngress",
                    sg_entries(&tf.blocks("ingress"), false),
                ),
                // Terraform removes AWS's default allow-all egress rule: no
                // egress block means no egress.
                (
                    "SecurityGroupEgress",
                    sg_entries(&tf.blocks("egress"), true),
                ),
                ("Tags", tags),
            ]),
        ),
        "aws_security_group_rule" => {
            let egress = a("type").as_str() == Some("egress");
            let entries = sg_entries(&[tf.values], egress);
            let entry = match entries {
                Value::List(items) if items.len() == 1 => {
                    items.into_iter().next().unwrap_or(Value::Absent)
                }
                Value::List(items) => {
                    // Several CIDRs on one rule: CidrIp holds all of them.
                    let mut merged = items.first().cloned().unwrap_or_else(Value::map);
                    for key in ["CidrIp", "CidrIpv6"] {
                        let all: Vec<Value> =
                            items.iter().filter_map(|i| i.get(key).cloned()).collect();
                        if !all.is_empty() {
                            merged.insert(key, Value::List(all));
                        }
                    }
                    merged
                }
                other => other,
            };
            let mut entry = entry;
            entry.insert("GroupId", a("security_group_id"));
            (
                if egress {
                    "AWS::EC2::SecurityGroupEgress"
                } else {
                    "AWS::EC2::SecurityGroupIngress"
                },
                entry,
            )
        }
        "aws_vpc_security_group_ingress_rule" | "aws_vpc_security_group_egress_rule" => (
            if ty.ends_with("ingress_rule") {
                "AWS::EC2::SecurityGroupIngress"
            } else {
                "AWS::EC2::SecurityGroupEgress"
            },
            map(vec![
                ("GroupId", a("security_group_id")),
                ("IpProtocol", a("ip_protocol")),
                ("FromPort", a("from_port")),
                ("ToPort", a("to_port")),
                ("CidrIp", a("cidr_ipv4")),
                ("CidrIpv6", a("cidr_ipv6")),
                ("SourcePrefixListId", a("prefix_list_id")),
                ("SourceSecurityGroupId", a("referenced_security_group_id")),
            ]),
        ),
        "aws_internet_gateway" => ("AWS::EC2::InternetGateway", map(vec![("Tags", tags)])),
        "aws_egress_only_internet_gateway" => (
            "AWS::EC2::EgressOnlyInternetGateway",
            map(vec![("VpcId", a("vpc_id"))]),
        ),
        "aws_internet_gateway_attachment" => (
            "AWS::EC2::VPCGatewayAttachment",
            map(vec![
                ("InternetGatewayId", a("internet_gateway_id")),
                ("VpcId", a("vpc_id")),
            ]),
        ),
        "aws_route" => (
            "AWS::EC2::Route",
            map(vec![
                ("DestinationCidrBlock", a("destination_cidr_block")),
                ("DestinationIpv6CidrBlock", a("destination_ipv6_cidr_block")),
                ("GatewayId", a("gateway_id")),
                ("EgressOnlyInternetGatewayId", a("egress_only_gateway_id")),
                ("NatGatewayId", a("nat_gateway_id")),
            ]),
        ),
        "aws_route_table" => {
            let routes: Vec<Value> = tf
                .blocks("route")
                .into_iter()
                .map(|r| {
                    map(vec![
                        (
                            "DestinationCidrBlock",
                            r.get("cidr_block").cloned().unwrap_or(Value::Absent),
                        ),
                        (
                            "DestinationIpv6CidrBlock",
                            r.get("ipv6_cidr_block").cloned().unwrap_or(Value::Absent),
                        ),
                        (
                            "GatewayId",
                            r.get("gateway_id").cloned().unwrap_or(Value::Absent),
                        ),
                        (
                            "EgressOnlyInternetGatewayId",
                            r.get("egress_only_gateway_id")
                                .cloned()
                                .unwrap_or(Value::Absent),
                        ),
                    ])
                })
                .collect();
            (
                "AWS::EC2::RouteTable",
                map(vec![
                    ("VpcId", a("vpc_id")),
                    ("Routes", Value::List(routes)),
                ]),
            )
        }
        "aws_vpc" => (
            "AWS::EC2::VPC",
            map(vec![("CidrBlock", a("cidr_block")), ("Tags", tags)]),
        ),
        "aws_flow_log" => (
            "AWS::EC2::FlowLog",
            map(vec![
                (
                    "ResourceId",
                    first_of(match a("vpc_id") {
                        Value::Absent | Value::Null => a("subnet_id"),
                        v => v,
                    }),
                ),
                ("ResourceType", Value::String("VPC".to_owned())),
                ("TrafficType", a("traffic_type")),
            ]),
        ),
        "aws_cloudtrail" => (
            "AWS::CloudTrail::Trail",
            map(vec![
                (
                    "IsLogging",
                    match a("enable_logging") {
                        Value::Absent | Value::Null => Value::Bool(true),
                        v => v,
                    },
                ),
                ("IsMultiRegionTrail", a("is_multi_region_trail")),
                ("EnableLogFileValidation", a("enable_log_file_validation")),
                ("KMSKeyId", a("kms_key_id")),
                ("IsOrganizationTrail", a("is_organization_trail")),
            ]),
        ),
        "aws_config_configuration_recorder" => (
            "AWS::Config::ConfigurationRecorder",
            map(vec![(
                "RecordingGroup",
                map(vec![
                    ("AllSupported", a("recording_group.all_supported")),
                    (
                        "IncludeGlobalResourceTypes",
                        a("recording_group.include_global_resource_types"),
                    ),
                ]),
            )]),
        ),
        "aws_config_configuration_recorder_status" => (
            "Landfall::Config::RecorderStatus",
            map(vec![("IsEnabled", a("is_enabled"))]),
        ),
        "aws_guardduty_detector" => (
            "AWS::GuardDuty::Detector",
            map(vec![("Enable", a("enable"))]),
        ),
        "aws_ecr_repository" => (
            "AWS::ECR::Repository",
            map(vec![
                (
                    "ImageScanningConfiguration",
                    map(vec![(
                        "ScanOnPush",
                        a("image_scanning_configuration.scan_on_push"),
                    )]),
                ),
                ("ImageTagMutability", a("image_tag_mutability")),
            ]),
        ),
        "aws_lb" | "aws_alb" => (
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
            map(vec![
                (
                    "Scheme",
                    match a("internal") {
                        Value::Bool(true) => Value::String("internal".to_owned()),
                        Value::Bool(false) => Value::String("internet-facing".to_owned()),
                        other => other,
                    },
                ),
                ("Type", a("load_balancer_type")),
                ("Tags", tags),
            ]),
        ),
        "aws_wafv2_web_acl_association" => (
            "AWS::WAFv2::WebACLAssociation",
            map(vec![
                ("ResourceArn", a("resource_arn")),
                ("WebACLArn", a("web_acl_arn")),
            ]),
        ),
        "aws_cloudfront_distribution" => (
            "AWS::CloudFront::Distribution",
            map(vec![(
                "DistributionConfig",
                map(vec![("WebACLId", a("web_acl_id"))]),
            )]),
        ),
        "aws_kms_key" => (
            "AWS::KMS::Key",
            map(vec![
                ("EnableKeyRotation", a("enable_key_rotation")),
                ("KeySpec", a("customer_master_key_spec")),
            ]),
        ),
        _ => {
            return (format!("terraform:{ty}"), tf.values.clone(), None);
        }
    };
    (kind.to_owned(), props, None)
}

fn acl_to_cfn(acl: &Value) -> Value {
    match acl.as_str() {
        Some("public-read") => Value::String("PublicRead".to_owned()),
        Some("public-read-write") => Value::String("PublicReadWrite".to_owned()),
        Some("authenticated-read") => Value::String("AuthenticatedRead".to_owned()),
        Some("private") => Value::String("Private".to_owned()),
        Some(other) => Value::String(other.to_owned()),
        None => Value::Absent,
    }
}

fn split(
    tf: &Tf<'_>,
    kind: &str,
    key: &'static str,
    value: Value,
) -> (String, Value, Option<Split>) {
    let bucket = tf.attr("bucket");
    let bucket_ref = tf.refs.get("bucket").cloned();
    let props = map(vec![("Bucket", bucket.clone()), (key, value.clone())]);
    (
        kind.to_owned(),
        props,
        Some(Split {
            bucket_ref,
            bucket_name: bucket.as_str().map(str::to_owned),
            key,
            value,
        }),
    )
}

/// Merges split S3 settings into the bucket they configure (found by
/// reference, else by bucket name); linked split resources leave the view.
fn merge_split_resources(resources: &mut Vec<(Resource, Option<Split>)>) {
    let mut by_address: HashMap<String, usize> = HashMap::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for (i, (r, _)) in resources.iter().enumerate() {
        if r.kind == "AWS::S3::Bucket" {
            by_address.insert(r.id.clone(), i);
            if let Some(name) = r.properties().get("BucketName").and_then(Value::as_str) {
                by_name.insert(name.to_owned(), i);
            }
        }
    }
    let mut merges = Vec::new();
    for (i, (_, split)) in resources.iter().enumerate() {
        let Some(split) = split else { continue };
        let target = split
            .bucket_ref
            .as_ref()
            .and_then(|a| by_address.get(a))
            .or_else(|| split.bucket_name.as_ref().and_then(|n| by_name.get(n)));
        if let Some(&target) = target {
            merges.push((i, target, split.key, split.value.clone()));
        }
    }
    let mut linked = vec![false; resources.len()];
    for (from, to, key, value) in merges {
        linked[from] = true;
        for variant in &mut resources[to].0.variants {
            variant.value.insert(key, value.clone());
        }
        let (id, suppressions) = {
            let r = &resources[from].0;
            (r.id.clone(), r.suppressions.clone())
        };
        let bucket = &mut resources[to].0;
        bucket.suppressions.extend(suppressions);
        for variant in &mut bucket.variants {
            let mut sources = variant
                .value
                .get("Landfall::MergedFrom")
                .map(|v| v.items().to_vec())
                .unwrap_or_default();
            sources.push(Value::String(id.clone()));
            variant
                .value
                .insert("Landfall::MergedFrom", Value::List(sources));
        }
    }
    let mut index = 0;
    resources.retain(|_| {
        let keep = !linked[index];
        index += 1;
        keep
    });
}

/// CloudFormation property names in messages and fixes, and the Terraform
/// attributes they are read from (`Encrypted` is `encrypted`).
const TERRAFORM_NAMES: &[(&str, &str)] = &[
    ("AccessControl", "acl"),
    ("AtRestEncryptionEnabled", "at_rest_encryption_enabled"),
    ("BackupRetentionPeriod", "backup_retention_period"),
    (
        "ClientBroker",
        "encryption_info.encryption_in_transit.client_broker",
    ),
    ("DeletionProtection", "deletion_protection"),
    ("DistributionConfig.WebACLId", "web_acl_id"),
    ("Ebs.Encrypted", "encrypted"),
    ("Enable", "enable"),
    ("EnableKeyRotation", "enable_key_rotation"),
    ("EnableLogFileValidation", "enable_log_file_validation"),
    ("Encrypted", "encrypted"),
    (
        "EncryptionAtRest.DataVolumeKMSKeyId",
        "encryption_info.encryption_at_rest_kms_key_arn",
    ),
    ("HttpTokens", "metadata_options.http_tokens"),
    (
        "ImageScanningConfiguration.ScanOnPush",
        "image_scanning_configuration.scan_on_push",
    ),
    ("ImageTagMutability", "image_tag_mutability"),
    (
        "InCluster",
        "encryption_info.encryption_in_transit.in_cluster",
    ),
    ("IsLogging", "enable_logging"),
    ("IsMultiRegionTrail", "is_multi_region_trail"),
    ("KMSKeyId", "kms_key_id"),
    ("KmsKeyId", "kms_key_id"),
    ("MetadataOptions.HttpTokens", "metadata_options.http_tokens"),
    ("PubliclyAccessible", "publicly_accessible"),
    ("ScanOnPush", "image_scanning_configuration.scan_on_push"),
    ("StorageEncrypted", "storage_encrypted"),
    ("TransitEncryptionEnabled", "transit_encryption_enabled"),
    (
        "VersioningConfiguration.Status",
        "versioning_configuration.status",
    ),
];

/// Canned ACLs by their CloudFormation names.
const TERRAFORM_ACLS: &[(&str, &str)] = &[
    ("AuthenticatedRead", "authenticated-read"),
    ("PublicRead", "public-read"),
    ("PublicReadWrite", "public-read-write"),
];

/// A message written in CloudFormation's names, in Terraform's: every
/// backticked `Property` or `Property: value` that has a Terraform name
/// becomes `attribute` or `attribute = value`.
pub(crate) fn terraform_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('`') {
        let Some(len) = rest[start + 1..].find('`') else {
            break;
        };
        out.push_str(&rest[..start]);
        let code = &rest[start + 1..start + 1 + len];
        out.push('`');
        out.push_str(&terraform_code(code));
        out.push('`');
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

fn terraform_code(code: &str) -> String {
    let name = |key: &str| {
        TERRAFORM_NAMES
            .iter()
            .find(|(cfn, _)| *cfn == key)
            .map(|(_, tf)| *tf)
    };
    if let Some((_, acl)) = TERRAFORM_ACLS.iter().find(|(cfn, _)| *cfn == code) {
        return (*acl).to_owned();
    }
    if let Some(attribute) = name(code) {
        return attribute.to_owned();
    }
    if let Some((key, value)) = code.split_once(": ") {
        if let Some(attribute) = name(key) {
            let literal = value == "true"
                || value == "false"
                || value.parse::<f64>().is_ok()
                || value.starts_with('"');
            return if literal {
                format!("{attribute} = {value}")
            } else {
                format!("{attribute} = \"{value}\"")
            };
        }
    }
    code.to_owned()
}

/// A rule's fix for a Terraform resource: its Terraform form when it gives
/// one (`... (Terraform: X)`), else its text in Terraform's names.
pub(crate) fn terraform_fix(fix: &str) -> String {
    if let Some(start) = fix.find(" (Terraform: ") {
        let inner = &fix[start + " (Terraform: ".len()..];
        let inner = inner.strip_suffix(')').unwrap_or(inner);
        let verb = if inner.starts_with('`') {
            "set"
        } else {
            "declare"
        };
        return format!("{verb} {inner}");
    }
    terraform_text(fix)
}

/// Terraform suppressions: tag `landfall:suppress` = `LF101: reason` (several
/// separated by `;`).
fn suppressions_from_tags(tags: &Value, node: &Node) -> Vec<super::Suppression> {
    let mut out = Vec::new();
    for tag in tags.items() {
        let key = tag.get("Key").and_then(Value::as_str).unwrap_or_default();
        if !key.eq_ignore_ascii_case("landfall:suppress") {
            continue;
        }
        let text = tag.get("Value").and_then(Value::as_str).unwrap_or_default();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (rule, reason) = match part.split_once(':') {
                Some((rule, reason)) => (rule.trim(), Some(reason.trim())),
                None => (part, None),
            };
            out.push(super::Suppression {
                rule: rule.to_owned(),
                reason: reason.filter(|r| !r.is_empty()).map(str::to_owned),
                span: node.span,
            });
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::view::{LoadOptions, ViewBuilder};

    #[test]
    fn addresses_lose_their_indexes_for_configuration_lookups() {
        assert_eq!(
            strip_indexes(r#"module.a["x[1]"].aws_s3_bucket.b[0]"#),
            "module.a.aws_s3_bucket.b"
        );
        assert_eq!(
            reference_target("aws_s3_bucket.b.id", "module.m."),
            Some("module.m.aws_s3_bucket.b".to_owned())
        );
        assert_eq!(reference_target("var.name", ""), None);
        // A literal index is kept; an expression's is not in the reference.
        assert_eq!(
            reference_target("aws_s3_bucket.this[0].id", "module.logs."),
            Some("module.logs.aws_s3_bucket.this[0]".to_owned())
        );
        assert_eq!(
            reference_target(r#"aws_s3_bucket.site["a.b"]"#, ""),
            Some(r#"aws_s3_bucket.site["a.b"]"#.to_owned())
        );
    }

    #[test]
    fn references_resolve_to_the_instance_they_mean() {
        let instances = Instances::new(
            [
                "aws_s3_bucket.one",
                r#"aws_s3_bucket.site["a"]"#,
                r#"aws_s3_bucket.site["b"]"#,
                r#"module.m["x"].aws_s3_bucket.this[0]"#,
                r#"module.m["y"].aws_s3_bucket.this[0]"#,
            ]
            .into_iter(),
        );
        let resolve = |target: &str, from: &str| instances.resolve(target, from);
        assert_eq!(
            resolve("aws_s3_bucket.one", "aws_s3_bucket_acl.a[3]").as_deref(),
            Some("aws_s3_bucket.one")
        );
        // for_each: the referrer's own key.
        assert_eq!(
            resolve("aws_s3_bucket.site", r#"aws_s3_bucket_acl.site["b"]"#).as_deref(),
            Some(r#"aws_s3_bucket.site["b"]"#)
        );
        // Ambiguous without a key: left alone.
        assert_eq!(resolve("aws_s3_bucket.site", "aws_s3_bucket_acl.x"), None);
        // The module instance of the referrer.
        assert_eq!(
            resolve(
                "module.m.aws_s3_bucket.this[0]",
                r#"module.m["y"].aws_s3_bucket_acl.this[0]"#
            )
            .as_deref(),
            Some(r#"module.m["y"].aws_s3_bucket.this[0]"#)
        );
    }

    #[test]
    fn split_versioning_merges_into_its_bucket_by_reference() {
        let plan = r#"{
          "format_version": "1.2", "terraform_version": "1.9.0",
          "planned_values": {"root_module": {"resources": [
            {"address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket", "name": "b", "values": {"bucket_prefix": "x"}},
            {"address": "aws_s3_bucket_versioning.v", "mode": "managed", "type": "aws_s3_bucket_versioning", "name": "v",
             "values": {"versioning_configuration": [{"status": "Enabled"}]}}
          ]}},
          "resource_changes": [
            {"address": "aws_s3_bucket.b", "change": {"after_unknown": {"bucket": true, "id": true}}},
            {"address": "aws_s3_bucket_versioning.v", "change": {"after_unknown": {"bucket": true}}}
          ],
          "configuration": {"root_module": {"resources": [
            {"address": "aws_s3_bucket_versioning.v", "expressions": {"bucket": {"references": ["aws_s3_bucket.b.id", "aws_s3_bucket.b"]}}}
          ]}}
        }"#;
        let mut builder = ViewBuilder::new(LoadOptions::default());
        assert!(builder.add_text("plan.json", plan));
        let view = builder.finish();
        assert_eq!(view.resources.len(), 1);
        let bucket = &view.resources[0];
        assert_eq!(
            bucket
                .properties()
                .at(&["VersioningConfiguration", "Status"])
                .and_then(Value::as_str),
            Some("Enabled")
        );
        assert!(bucket.properties().get("BucketName").unwrap().is_unknown());
    }
}
