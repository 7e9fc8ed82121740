//! The CloudFormation emitter: the graph as JSON templates, one per stack or
//! StackSet, and `manifest.json`, which says how to deploy them.
//!
//! # `manifest.json`
//!
//! ```json
//! {
//!   "format": "landfall-manifest/1",
//!   "organization": "meridian",
//!   "home_region": "eu-central-1",
//!   "limits": { "concurrent_account_creations": 5, "template_inline_max_bytes": 51200 },
//!   "organization_actions": [{ "action": "enable_trusted_access", "service_principal": "..." }],
//!   "waves": [["meridian-organization-core"], ["..."]],
//!   "stacks": [{
//!     "name": "meridian-network-prod-eu-central-1-core",
//!     "layer": "network",
//!     "kind": "stack",                       // or "stack-set"
//!     "template": "templates/network/meridian-network-prod-eu-central-1-core.json",
//!     "template_bytes": 48123,
//!     "template_upload": "inline",           // "s3" above the inline limit
//!     "account": "network", "region": "eu-central-1",
//!     // a StackSet instead has: "administrator", "permission_model":
//!     // "service-managed", "auto_deployment": true,
//!     // "organizational_units": ["Root/Core", ...], "regions": [...], and,
//!     // to deploy to only some accounts of those OUs, "accounts": [...] with
//!     // "account_filter": "intersection"
//!     "parameters": { "LogArchiveAccountId": { "resolve": "account-id", "account": "log-archive" } },
//!     "depends_on": ["meridian-log-archive"],
//!     "wave": 1,
//!     "resources": 212, "outputs": 14
//!   }]
//! }
//! ```
//!
//! Parameter values are resolved by the deployer: `{"value": "..."}` as is,
//! `{"resolve": "account-id", "account": NAME}`, `{"resolve":
//! "organization-id"}` or `{"resolve": "organization-root-id"}`. Stacks of
//! one wave can deploy in parallel once every earlier wave is done.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use landfall_diagnostics::SourceSet;
use landfall_graph::{Graph, Layer, ParameterValue, Stack, Target};
use landfall_model::Limits;
use serde_json::{json, Map, Value};

use crate::Problem;

/// One file to write, relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmittedFile {
    pub path: String,
    pub contents: String,
}

/// What the emitter produced.
#[derive(Debug, Clone)]
pub struct Emitted {
    /// Every template, then `manifest.json`.
    pub files: Vec<EmittedFile>,
    pub summary: Summary,
}

/// Counts for the closing summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Per layer: stacks, StackSets, resources.
    pub layers: BTreeMap<Layer, LayerCount>,
    /// Templates over the inline limit, deployed from S3.
    pub s3_templates: usize,
    pub largest_template_bytes: usize,
    pub waves: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LayerCount {
    pub stacks: usize,
    pub stack_sets: usize,
    pub resources: usize,
}

impl Summary {
    pub fn stacks(&self) -> usize {
        self.layers.values().map(|c| c.stacks).sum()
    }

    pub fn stack_sets(&self) -> usize {
        self.layers.values().map(|c| c.stack_sets).sum()
    }

    pub fn resources(&self) -> usize {
        self.layers.values().map(|c| c.resources).sum()
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (layer, count) in &self.layers {
            writeln!(
                f,
                "  {:<16} {:>4} stacks {:>3} StackSets {:>6} resources",
                layer.name(),
                count.stacks,
                count.stack_sets,
                count.resources
            )?;
        }
        write!(
            f,
            "  {:<16} {:>4} stacks {:>3} StackSets {:>6} resources, {} deploy waves, {} templates through S3 (largest {} bytes)",
            "total",
            self.stacks(),
            self.stack_sets(),
            self.resources(),
            self.waves,
            self.s3_templates,
            self.largest_template_bytes
        )
    }
}

fn template_path(stack: &Stack) -> String {
    format!("templates/{}/{}.json", stack.layer.name(), stack.name)
}

/// The CloudFormation template of one stack.
pub fn template(stack: &Stack, sources: Option<&SourceSet>) -> Value {
    let mut t = Map::new();
    t.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
    let description: String = stack.description.chars().take(1024).collect();
    t.insert("Description".into(), json!(description));
    if !stack.parameters.is_empty() {
        let params: Map<String, Value> = stack
            .parameters
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    json!({ "Type": "String", "Description": p.description }),
                )
            })
            .collect();
        t.insert("Parameters".into(), Value::Object(params));
    }
    if !stack.conditions.is_empty() {
        t.insert("Conditions".into(), Value::Object(stack.conditions.clone()));
    }
    let mut resources = Map::new();
    for r in &stack.resources {
        let mut entry = Map::new();
        entry.insert("Type".into(), json!(r.kind));
        if let Some(c) = &r.condition {
            entry.insert("Condition".into(), json!(c));
        }
        match r.depends_on.as_slice() {
            [] => {}
            [one] => {
                entry.insert("DependsOn".into(), json!(one));
            }
            many => {
                entry.insert("DependsOn".into(), json!(many));
            }
        }
        if r.retain {
            entry.insert("DeletionPolicy".into(), json!("Retain"));
            entry.insert("UpdateReplacePolicy".into(), json!("Retain"));
        }
        if let (Some(origin), Some(sources)) = (&r.origin, sources) {
            if origin.file.index() < sources.len() {
                let file = sources.file(origin.file).name();
                entry.insert(
                    "Metadata".into(),
                    json!({ "landfall:origin": format!("{file}#{}", origin.path) }),
                );
            }
        }
        entry.insert("Properties".into(), Value::Object(r.properties.clone()));
        resources.insert(r.logical_id.clone(), Value::Object(entry));
    }
    t.insert("Resources".into(), Value::Object(resources));
    if !stack.outputs.is_empty() {
        let outputs: Map<String, Value> = stack
            .outputs
            .iter()
            .map(|o| {
                let mut entry = Map::new();
                if let Some(d) = &o.description {
                    entry.insert("Description".into(), json!(d));
                }
                entry.insert("Value".into(), o.value.clone());
                if let Some(e) = &o.export {
                    entry.insert("Export".into(), json!({ "Name": e }));
                }
                (o.name.clone(), Value::Object(entry))
            })
            .collect();
        t.insert("Outputs".into(), Value::Object(outputs));
    }
    Value::Object(t)
}

fn parameter_value(value: &ParameterValue) -> Value {
    match value {
        ParameterValue::Literal(v) => json!({ "value": v }),
        ParameterValue::AccountId(a) => json!({ "resolve": "account-id", "account": a }),
        ParameterValue::OrganizationId => json!({ "resolve": "organization-id" }),
        ParameterValue::OrganizationRootId => json!({ "resolve": "organization-root-id" }),
        ParameterValue::ResourceId { stack, logical_id } => {
            json!({ "resolve": "resource-id", "stack": stack, "logical_id": logical_id })
        }
        ParameterValue::StackOutput { stack, output } => {
            json!({ "resolve": "stack-output", "stack": stack, "output": output })
        }
    }
}

/// Emits every template and the manifest, checking the limits each template
/// must meet. `sources`, when given, names the spec file behind each
/// resource in its metadata.
pub fn emit(
    graph: &Graph,
    limits: &Limits,
    sources: Option<&SourceSet>,
) -> Result<Emitted, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut files = Vec::with_capacity(graph.stacks.len() + 1);
    let mut summary = Summary::default();
    let waves = graph.deploy_waves().map_err(|stack| {
        vec![Problem {
            code: "synth::internal",
            message: format!("stack `{stack}` depends on itself through other stacks"),
            help: "this is a bug in Landfall; please report it with the spec".into(),
            at: None,
        }]
    })?;
    let wave_of: BTreeMap<&str, usize> = waves
        .iter()
        .enumerate()
        .flat_map(|(i, w)| w.iter().map(move |s| (*s, i)))
        .collect();
    summary.waves = waves.len();
    let mut entries = Vec::with_capacity(graph.stacks.len());
    for stack in &graph.stacks {
        let mut text = serde_json::to_string_pretty(&template(stack, sources)).unwrap_or_default();
        text.push('\n');
        let bytes = text.len();
        let mut over = |what: &str, count: u64, max: u64| {
            if count > max {
                problems.push(Problem {
                    code: "limits::stack",
                    message: format!("stack `{}` has {count} {what}, more than {max}", stack.name),
                    help: "raise the limit in `limits:` only if AWS raised it for the account; otherwise report this as a bug".into(),
                    at: None,
                });
            }
        };
        over(
            "resources",
            stack.resources.len() as u64,
            limits.stack_max_resources,
        );
        over(
            "parameters",
            stack.parameters.len() as u64,
            limits.stack_max_parameters,
        );
        over(
            "outputs",
            stack.outputs.len() as u64,
            limits.stack_max_outputs,
        );
        over("template bytes", bytes as u64, limits.template_s3_max_bytes);
        let upload = if bytes as u64 > limits.template_inline_max_bytes {
            summary.s3_templates += 1;
            "s3"
        } else {
            "inline"
        };
        summary.largest_template_bytes = summary.largest_template_bytes.max(bytes);
        let count = summary.layers.entry(stack.layer).or_default();
        count.resources += stack.resources.len();
        let path = template_path(stack);
        let mut entry = Map::new();
        entry.insert("name".into(), json!(stack.name));
        entry.insert("layer".into(), json!(stack.layer.name()));
        match &stack.target {
            Target::Account { account, region } => {
                count.stacks += 1;
                entry.insert("kind".into(), json!("stack"));
                entry.insert("template".into(), json!(path));
                entry.insert("template_bytes".into(), json!(bytes));
                entry.insert("template_upload".into(), json!(upload));
                entry.insert("account".into(), json!(account));
                entry.insert("region".into(), json!(region));
            }
            Target::StackSet(set) => {
                count.stack_sets += 1;
                entry.insert("kind".into(), json!("stack-set"));
                entry.insert("template".into(), json!(path));
                entry.insert("template_bytes".into(), json!(bytes));
                entry.insert("template_upload".into(), json!(upload));
                entry.insert("administrator".into(), json!(set.administrator));
                entry.insert("permission_model".into(), json!("service-managed"));
                entry.insert("auto_deployment".into(), json!(true));
                entry.insert(
                    "organizational_units".into(),
                    json!(set.organizational_units),
                );
                if !set.accounts.is_empty() {
                    entry.insert("accounts".into(), json!(set.accounts));
                    entry.insert("account_filter".into(), json!("intersection"));
                }
                entry.insert("regions".into(), json!(set.regions));
            }
        }
        let params: Map<String, Value> = stack
            .parameters
            .iter()
            .map(|p| (p.name.clone(), parameter_value(&p.value)))
            .collect();
        entry.insert("parameters".into(), Value::Object(params));
        entry.insert("depends_on".into(), json!(stack.depends_on));
        entry.insert(
            "wave".into(),
            json!(wave_of.get(stack.name.as_str()).copied().unwrap_or(0)),
        );
        entry.insert("resources".into(), json!(stack.resources.len()));
        entry.insert("outputs".into(), json!(stack.outputs.len()));
        entries.push(Value::Object(entry));
        files.push(EmittedFile {
            path,
            contents: text,
        });
    }
    let manifest = json!({
        "format": "landfall-manifest/1",
        "organization": graph.organization,
        "home_region": graph.home_region,
        "limits": {
            "concurrent_account_creations": limits.concurrent_account_creations,
            "template_inline_max_bytes": limits.template_inline_max_bytes,
        },
        "organization_actions": graph.organization_actions,
        "waves": waves,
        "stacks": entries,
    });
    let mut text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
    text.push('\n');
    files.push(EmittedFile {
        path: "manifest.json".into(),
        contents: text,
    });
    if problems.is_empty() {
        Ok(Emitted { files, summary })
    } else {
        Err(problems)
    }
}

/// Writes the files under `dir`, and removes templates an earlier run left
/// there that this output no longer has (so the directory always matches
/// the manifest). Nothing outside `dir/templates` and `dir/manifest.json` is
/// touched.
pub fn write(emitted: &Emitted, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let keep: std::collections::BTreeSet<&str> =
        emitted.files.iter().map(|f| f.path.as_str()).collect();
    let templates = dir.join("templates");
    if templates.is_dir() {
        for layer in std::fs::read_dir(&templates)? {
            let layer = layer?;
            if !layer.file_type()?.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(layer.path())? {
                let file = file?;
                let name = file.file_name();
                let rel = format!(
                    "templates/{}/{}",
                    layer.file_name().to_string_lossy(),
                    name.to_string_lossy()
                );
                if rel.ends_with(".json") && !keep.contains(rel.as_str()) {
                    std::fs::remove_file(file.path())?;
                }
            }
        }
    }
    for file in &emitted.files {
        let path = dir.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        // Unchanged files are left alone, so their times say what changed.
        if std::fs::read(&path).is_ok_and(|old| old == file.contents.as_bytes()) {
            continue;
        }
        std::fs::write(&path, &file.contents)?;
    }
    Ok(())
}
