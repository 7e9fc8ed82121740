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
//!     // only when the stack reads what no stack creates: each must exist
//!     // before it deploys
//!     "inputs": [{ "kind": "image", "name": "...", "why": "..." }],
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
use rayon::prelude::*;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{json, Map, Value};

use crate::Problem;

/// One file to write, relative to the output directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
    serde_json::to_value(Template { stack, sources }).unwrap_or(Value::Null)
}

/// The template text of one stack, as written (pretty, newline-terminated).
pub fn template_text(stack: &Stack, sources: Option<&SourceSet>) -> String {
    // About 2 KB a resource in practice.
    let expected = 4096 + 2048 * stack.resources.len();
    landfall_graph::pretty::file_text(&Template { stack, sources }, expected)
}

/// A stack seen as its template. Serialized straight from the graph: the
/// resources' properties are large, and copying them into a `Value` first
/// was most of the emitter's time.
struct Template<'a> {
    stack: &'a Stack,
    sources: Option<&'a SourceSet>,
}

impl Serialize for Template<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let stack = self.stack;
        let mut t = serializer.serialize_map(None)?;
        t.serialize_entry("AWSTemplateFormatVersion", "2010-09-09")?;
        let description: String = stack.description.chars().take(1024).collect();
        t.serialize_entry("Description", &description)?;
        if !stack.parameters.is_empty() {
            t.serialize_entry("Parameters", &Parameters(stack))?;
        }
        if !stack.conditions.is_empty() {
            t.serialize_entry("Conditions", &stack.conditions)?;
        }
        t.serialize_entry(
            "Resources",
            &Resources {
                stack,
                sources: self.sources,
            },
        )?;
        if !stack.outputs.is_empty() {
            t.serialize_entry("Outputs", &Outputs(stack))?;
        }
        t.end()
    }
}

struct Parameters<'a>(&'a Stack);

impl Serialize for Parameters<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(self.0.parameters.len()))?;
        for p in &self.0.parameters {
            // CloudFormation reads an SSM parameter's value itself, given
            // its name as the parameter's value
            // (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html#aws-ssm-parameter-types).
            let entry = match &p.value {
                ParameterValue::SsmParameter(name) => json!({
                    "Type": "AWS::SSM::Parameter::Value<String>",
                    "Default": name,
                    "Description": p.description
                }),
                _ => json!({ "Type": "String", "Description": p.description }),
            };
            m.serialize_entry(&p.name, &entry)?;
        }
        m.end()
    }
}

struct Resources<'a> {
    stack: &'a Stack,
    sources: Option<&'a SourceSet>,
}

impl Serialize for Resources<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(self.stack.resources.len()))?;
        for r in &self.stack.resources {
            m.serialize_entry(
                &r.logical_id,
                &ResourceEntry {
                    resource: r,
                    sources: self.sources,
                },
            )?;
        }
        m.end()
    }
}

struct ResourceEntry<'a> {
    resource: &'a landfall_graph::Resource,
    sources: Option<&'a SourceSet>,
}

impl Serialize for ResourceEntry<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = self.resource;
        let mut m = serializer.serialize_map(None)?;
        m.serialize_entry("Type", &r.kind)?;
        if let Some(c) = &r.condition {
            m.serialize_entry("Condition", c)?;
        }
        match r.depends_on.as_slice() {
            [] => {}
            [one] => m.serialize_entry("DependsOn", one)?,
            many => m.serialize_entry("DependsOn", many)?,
        }
        if r.retain {
            m.serialize_entry("DeletionPolicy", "Retain")?;
            m.serialize_entry("UpdateReplacePolicy", "Retain")?;
        }
        if let (Some(origin), Some(sources)) = (&r.origin, self.sources) {
            if origin.file.index() < sources.len() {
                let file = sources.file(origin.file).name();
                m.serialize_entry(
                    "Metadata",
                    &json!({ "landfall:origin": format!("{file}#{}", origin.path) }),
                )?;
            }
        }
        m.serialize_entry("Properties", &r.properties)?;
        m.end()
    }
}

struct Outputs<'a>(&'a Stack);

impl Serialize for Outputs<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(self.0.outputs.len()))?;
        for o in &self.0.outputs {
            m.serialize_entry(&o.name, &OutputEntry(o))?;
        }
        m.end()
    }
}

struct OutputEntry<'a>(&'a landfall_graph::Output);

impl Serialize for OutputEntry<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let o = self.0;
        let mut m = serializer.serialize_map(None)?;
        if let Some(d) = &o.description {
            m.serialize_entry("Description", d)?;
        }
        m.serialize_entry("Value", &o.value)?;
        if let Some(e) = &o.export {
            m.serialize_entry("Export", &json!({ "Name": e }))?;
        }
        m.end()
    }
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
        ParameterValue::ManagedPrefixList(name) => {
            json!({ "resolve": "managed-prefix-list", "name": name })
        }
        ParameterValue::SsmParameter(name) => json!({ "resolve": "ssm-parameter", "name": name }),
        ParameterValue::MskBootstrapBrokers { stack, output } => {
            json!({ "resolve": "msk-bootstrap-brokers-sasl-scram", "stack": stack, "output": output })
        }
    }
}

/// One stack's template with its manifest entry, made on its own so that
/// callers can emit stacks as they are built (on any thread) and drop them.
pub struct StackTemplate {
    /// The template; a streaming caller takes it (`std::mem::take`) and
    /// hands the rest to [`Manifest::add`].
    pub file: EmittedFile,
    bytes: usize,
    /// The manifest entry, as text at its depth in `manifest.json`, its
    /// wave still [`WAVE_PLACEHOLDER`].
    entry: String,
    /// The stack without its body: what deploy waves need.
    skeleton: Stack,
    resources: usize,
    s3: bool,
    problems: Vec<Problem>,
}

/// The template of one stack and its manifest entry, checking the limits
/// the template must meet.
pub fn stack_template(
    stack: &Stack,
    limits: &Limits,
    sources: Option<&SourceSet>,
) -> StackTemplate {
    let mut problems = Vec::new();
    let text = template_text(stack, sources);
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
    let s3 = bytes as u64 > limits.template_inline_max_bytes;
    let upload = if s3 { "s3" } else { "inline" };
    let path = template_path(stack);
    let mut entry = Map::new();
    entry.insert("name".into(), json!(stack.name));
    entry.insert("layer".into(), json!(stack.layer.name()));
    match &stack.target {
        Target::Account { account, region } => {
            entry.insert("kind".into(), json!("stack"));
            entry.insert("template".into(), json!(path));
            entry.insert("template_bytes".into(), json!(bytes));
            entry.insert("template_upload".into(), json!(upload));
            entry.insert("account".into(), json!(account));
            entry.insert("region".into(), json!(region));
        }
        Target::StackSet(set) => {
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
    if !stack.inputs.is_empty() {
        entry.insert("inputs".into(), json!(stack.inputs));
    }
    // `wave` is known once every stack is (see `Manifest::finish`).
    entry.insert("wave".into(), Value::Null);
    entry.insert("resources".into(), json!(stack.resources.len()));
    entry.insert("outputs".into(), json!(stack.outputs.len()));
    let skeleton = Stack {
        name: stack.name.clone(),
        layer: stack.layer,
        description: String::new(),
        target: stack.target.clone(),
        parameters: Vec::new(),
        conditions: Map::new(),
        resources: Vec::new(),
        outputs: Vec::new(),
        depends_on: stack.depends_on.clone(),
        inputs: Vec::new(),
        capacity: Vec::new(),
    };
    StackTemplate {
        file: EmittedFile {
            path,
            contents: text,
        },
        bytes,
        // Written here, on the thread that built the stack: for a large
        // platform the entries are tens of megabytes.
        entry: landfall_graph::pretty::at_depth(&entry, 2),
        skeleton,
        resources: stack.resources.len(),
        s3,
        problems,
    }
}

/// A manifest entry's wave before the waves are known.
const WAVE_PLACEHOLDER: &str = "\"wave\": null";

/// `manifest.json` and the summary, gathered from [`StackTemplate`]s added
/// in graph order.
#[derive(Default)]
pub struct Manifest {
    entries: Vec<String>,
    skeleton: Vec<Stack>,
    summary: Summary,
    problems: Vec<Problem>,
}

impl Manifest {
    /// Records one stack; returns its template file, to write or keep.
    pub fn add(&mut self, t: StackTemplate) -> EmittedFile {
        let count = self.summary.layers.entry(t.skeleton.layer).or_default();
        count.resources += t.resources;
        match t.skeleton.target {
            Target::Account { .. } => count.stacks += 1,
            Target::StackSet(_) => count.stack_sets += 1,
        }
        if t.s3 {
            self.summary.s3_templates += 1;
        }
        self.summary.largest_template_bytes = self.summary.largest_template_bytes.max(t.bytes);
        self.problems.extend(t.problems);
        self.entries.push(t.entry);
        self.skeleton.push(t.skeleton);
        t.file
    }

    /// `manifest.json`, with the deploy waves of every stack added.
    pub fn finish(
        mut self,
        organization: &str,
        home_region: &str,
        organization_actions: &[landfall_graph::OrganizationAction],
        limits: &Limits,
    ) -> Result<(EmittedFile, Summary), Vec<Problem>> {
        let graph = Graph {
            organization: organization.to_owned(),
            home_region: home_region.to_owned(),
            stacks: std::mem::take(&mut self.skeleton),
            organization_actions: Vec::new(),
        };
        let waves = graph.deploy_waves().map_err(|stack| {
            vec![Problem {
                code: "synth::internal",
                message: format!("stack `{stack}` depends on itself through other stacks"),
                help: "this is a bug in Landfall; please report it with the spec".into(),
                at: None,
            }]
        })?;
        if !self.problems.is_empty() {
            return Err(self.problems);
        }
        let wave_of: BTreeMap<&str, usize> = waves
            .iter()
            .enumerate()
            .flat_map(|(i, w)| w.iter().map(move |s| (*s, i)))
            .collect();
        self.summary.waves = waves.len();
        // Each entry gets its wave; on every core, the entries of a large
        // platform being tens of megabytes.
        let names: Vec<&str> = graph.stacks.iter().map(|s| s.name.as_str()).collect();
        let stacks: Vec<String> = self
            .entries
            .par_iter()
            .zip(names.par_iter())
            .map(|(entry, name)| {
                let wave = wave_of.get(name).copied().unwrap_or(0);
                entry.replacen(WAVE_PLACEHOLDER, &format!("\"wave\": {wave}"), 1)
            })
            .collect();
        #[derive(serde::Serialize)]
        struct ManifestFile<'a> {
            format: &'a str,
            organization: &'a str,
            home_region: &'a str,
            limits: Value,
            organization_actions: &'a [landfall_graph::OrganizationAction],
            waves: &'a [Vec<&'a str>],
            stacks: [(); 0],
        }
        let manifest = ManifestFile {
            format: "landfall-manifest/1",
            organization,
            home_region,
            limits: json!({
                "concurrent_account_creations": limits.concurrent_account_creations,
                "template_inline_max_bytes": limits.template_inline_max_bytes,
            }),
            organization_actions,
            waves: &waves,
            stacks: [],
        };
        let head = serde_json::to_string_pretty(&manifest).unwrap_or_default();
        let mut text = landfall_graph::pretty::splice_array(&head, "stacks", &stacks);
        text.push('\n');
        Ok((
            EmittedFile {
                path: "manifest.json".into(),
                contents: text,
            },
            self.summary,
        ))
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
    // Templates are independent: write them on every core, keep the order.
    let templates: Vec<StackTemplate> = graph
        .stacks
        .par_iter()
        .map(|stack| stack_template(stack, limits, sources))
        .collect();
    let mut manifest = Manifest::default();
    let mut files: Vec<EmittedFile> = templates.into_iter().map(|t| manifest.add(t)).collect();
    let (file, summary) = manifest.finish(
        &graph.organization,
        &graph.home_region,
        &graph.organization_actions,
        limits,
    )?;
    files.push(file);
    Ok(Emitted { files, summary })
}

/// Writes the files under `dir` (all or none; unchanged files are not
/// touched) and removes templates an earlier run left there that this
/// output no longer has, so the directory always matches the manifest.
/// Nothing outside `dir/templates` and `dir/manifest.json` is touched.
pub fn write(emitted: &Emitted, dir: &Path) -> std::io::Result<()> {
    let out = crate::output::Staged::new(dir)?;
    for file in &emitted.files {
        out.put(file.path.clone(), &file.contents);
    }
    out.commit(true, false).map(|_| ())
}
