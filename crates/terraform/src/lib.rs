//! Terraform JSON from the resource graph.
//!
//! [`emit`] writes one root module per stack (`terraform/<layer>/<stack>/
//! main.tf.json`): for the workload layer, one per service and environment,
//! per data store and environment, and per account's shared resources.
//! Each module has:
//!
//! - an S3 backend with S3-native state locking (`use_lockfile = true`,
//!   Terraform ≥ 1.10 or OpenTofu ≥ 1.10), one state object per module;
//! - the `hashicorp/aws` provider in the stack's region, assuming the
//!   platform's deploy role of the target account (its id is a variable);
//! - a variable per stack parameter (the same values the CloudFormation
//!   manifest resolves; `terraform/manifest.json` says how);
//! - the resources, translated by the tables of [`families`] (one module
//!   per resource family), with addresses from the graph's logical ids
//!   (`aws_iam_role.task_role`), which derive from model names: adding a
//!   service changes no address, and renaming one is an explicit `moved`
//!   block ([`Options::renames`]) in a module that keeps its state object;
//! - outputs, and for what other stacks import, SSM parameters
//!   (`/landfall/exports/<stack>/<output>`) that the importing modules read
//!   with `aws_ssm_parameter` data sources — the same account and region
//!   scope CloudFormation exports have.
//!
//! Stacks this emitter cannot express (StackSets, conditions, a resource
//! type without a table) are listed in [`Emitted::skipped`]; for the
//! workload layer they are errors.

pub mod expr;
pub mod families;
pub mod plan;
pub mod renames;
pub mod schema;

use std::collections::{BTreeMap, BTreeSet};

use landfall_graph::{Graph, Layer, ParameterValue, Resource, Stack, Target};
use rayon::prelude::*;
use serde_json::{json, Map, Value};

use crate::families::Mapping;

/// The role Terraform assumes in each target account (baseline layer).
pub const DEPLOY_ROLE_PATH: &str = "role/landfall/landfall-deploy";
/// Where exported outputs are published.
pub const EXPORTS_PREFIX: &str = "/landfall/exports";

/// How to emit.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// State bucket; `<organization>-terraform-state` by default.
    pub state_bucket: Option<String>,
    /// Region of the state bucket; the graph's home region by default.
    pub state_region: Option<String>,
    /// Renamed services or stores: `(old name, new name)`. The renamed
    /// module keeps the old state object and moves its addresses.
    pub renames: Vec<(String, String)>,
    /// Only stacks of these layers; every layer when empty.
    pub layers: Vec<Layer>,
}

/// One file to write, relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub path: String,
    pub contents: String,
}

/// What the emitter produced.
#[derive(Debug, Clone, Default)]
pub struct Emitted {
    /// Every module, then `terraform/manifest.json`.
    pub files: Vec<File>,
    pub modules: usize,
    pub resources: usize,
    /// Stacks with no Terraform form, and why.
    pub skipped: Vec<(String, String)>,
}

/// A stack the emitter could not translate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub stack: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "stack `{}`: {}", self.stack, self.message)
    }
}

/// FNV-1a, as 8 hex digits: names derived from content.
pub fn short_hash(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", h & 0xffff_ffff)
}

fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The mapping of a resource.
pub fn mapping_for(r: &Resource) -> Option<&'static Mapping> {
    static INDEX: std::sync::OnceLock<BTreeMap<&'static str, &'static Mapping>> =
        std::sync::OnceLock::new();
    let index = INDEX.get_or_init(|| families::all().into_iter().map(|m| (m.cfn, m)).collect());
    let kind =
        if r.kind == "AWS::RDS::DBInstance" && r.properties.contains_key("DBClusterIdentifier") {
            families::data::CLUSTER_INSTANCE
        } else {
            r.kind.as_str()
        };
    index.get(kind).copied()
}

/// The translation context of one stack.
pub struct Cx<'a> {
    stack: &'a Stack,
    addrs: BTreeMap<String, (String, &'static Mapping)>,
    params: BTreeSet<String>,
    data_ssm: BTreeMap<String, String>,
    extras: Vec<(String, String, Map<String, Value>)>,
    /// Data sources beyond the module's own (type, name, body).
    data_sources: Vec<(String, String, Map<String, Value>)>,
    problems: Vec<String>,
    kafka: Option<String>,
}

impl<'a> Cx<'a> {
    fn new(stack: &'a Stack) -> Self {
        let mut addrs = BTreeMap::new();
        for r in &stack.resources {
            if let Some(m) = mapping_for(r) {
                addrs.insert(
                    r.logical_id.clone(),
                    (format!("{}.{}", m.tf, expr::snake(&r.logical_id)), m),
                );
            }
        }
        Self {
            stack,
            addrs,
            params: stack.parameters.iter().map(|p| p.name.clone()).collect(),
            data_ssm: BTreeMap::new(),
            extras: Vec::new(),
            data_sources: Vec::new(),
            problems: Vec::new(),
            kafka: None,
        }
    }

    pub fn problem(&mut self, message: String) {
        self.problems.push(message);
    }

    /// Adds a resource beyond the one being translated.
    pub fn extra(&mut self, tf: &str, name: &str, body: Map<String, Value>) {
        self.extras.push((tf.to_owned(), name.to_owned(), body));
    }

    /// Adds a data source the translated resource reads.
    pub fn data_source(&mut self, tf: &str, name: &str, body: Map<String, Value>) {
        self.data_sources
            .push((tf.to_owned(), name.to_owned(), body));
    }

    /// The Terraform address of a resource of the stack.
    pub fn address(&self, logical_id: &str) -> Option<String> {
        self.addrs.get(logical_id).map(|(a, _)| a.clone())
    }

    /// A name for what CloudFormation would name itself: the stack and the
    /// logical id, cut to `max` characters with a hash when longer.
    pub fn physical_name(&self, logical_id: &str, max: usize) -> String {
        let full: String = format!("{}-{}", self.stack.name, logical_id)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        if full.len() <= max {
            return full;
        }
        let hash = short_hash(&full);
        let keep = max.saturating_sub(hash.len() + 1);
        format!(
            "{}-{hash}",
            full.chars()
                .take(keep)
                .collect::<String>()
                .trim_end_matches('-')
        )
    }

    /// The module needs the Kafka provider, configured from this cluster.
    pub fn kafka_provider(&mut self, cluster_address: &str) {
        self.kafka = Some(cluster_address.to_owned());
    }

    fn ssm_data(&mut self, parameter: &str) -> String {
        let name = self
            .data_ssm
            .entry(parameter.to_owned())
            .or_insert_with(|| {
                let s = sanitize(parameter.trim_start_matches('/'));
                format!("p_{}", s.trim_matches('_'))
            })
            .clone();
        format!("data.aws_ssm_parameter.{name}")
    }
}

impl expr::Scope for Cx<'_> {
    fn reference(&mut self, name: &str) -> Option<String> {
        if self.params.contains(name) {
            return Some(format!("var.{}", expr::snake(name)));
        }
        self.addrs
            .get(name)
            .map(|(a, m)| format!("{a}.{}", m.reference))
    }

    fn attribute(&mut self, resource: &str, attribute: &str) -> Option<String> {
        let (a, m) = self.addrs.get(resource)?;
        let attr = m.attributes.iter().find(|(c, _)| *c == attribute)?.1;
        Some(format!("{a}.{attr}"))
    }

    fn import(&mut self, export: &str) -> String {
        let (stack, output) = export.split_once(':').unwrap_or((export, "value"));
        let data = self.ssm_data(&format!("{EXPORTS_PREFIX}/{stack}/{output}"));
        format!("{data}.value")
    }

    fn ssm(&mut self, name: &str) -> String {
        let data = self.ssm_data(name);
        format!("nonsensitive({data}.value)")
    }

    fn unsupported(&mut self, what: String) {
        self.problems.push(format!("{what} has no Terraform form"));
    }
}

fn parameter_resolution(value: &ParameterValue) -> Value {
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

/// The old name of a stack renamed through `renames`, if any.
fn old_stack_name(stack: &str, renames: &[(String, String)]) -> Option<String> {
    renames.iter().find_map(|(old, new)| {
        ["-service-", "-store-"].iter().find_map(|kind| {
            stack
                .strip_suffix(&format!("{kind}{new}"))
                .map(|prefix| format!("{prefix}{kind}{old}"))
        })
    })
}

/// The root module of one stack, as a JSON value, and its manifest entry.
/// A stack's root module: `main.tf.json`, and its `moved` blocks (written to
/// `moved.tf.json`, because checkov's Terraform JSON reader cannot read a
/// `moved` list).
pub struct RootModule {
    pub main: Value,
    pub moved: Vec<Value>,
    pub manifest_entry: Value,
    pub resources: usize,
}

/// `versions.tf.json` of every module: the Terraform version the S3
/// backend's lockfile needs (kept apart for the same reason).
pub const VERSIONS: &str = "{\n  \"terraform\": {\n    \"required_version\": \">= 1.10\"\n  }\n}\n";

pub fn module(graph: &Graph, stack: &Stack, options: &Options) -> Result<RootModule, Vec<String>> {
    let Target::Account { account, region } = &stack.target else {
        return Err(vec![
            "a StackSet has no Terraform form here (deploy it with CloudFormation)".into(),
        ]);
    };
    if !stack.conditions.is_empty() || stack.resources.iter().any(|r| r.condition.is_some()) {
        return Err(vec!["conditions have no Terraform form here".into()]);
    }
    let mut cx = Cx::new(stack);
    for r in &stack.resources {
        if mapping_for(r).is_none() {
            cx.problem(format!(
                "resource type `{}` has no Terraform mapping",
                r.kind
            ));
        }
    }
    if !cx.problems.is_empty() {
        return Err(cx.problems);
    }
    let old_name = old_stack_name(&stack.name, &options.renames);
    let mut resources: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut moved = Vec::new();
    let mut count = 0;
    for r in &stack.resources {
        let Some(m) = mapping_for(r) else { continue };
        let name = expr::snake(&r.logical_id);
        let mut body = Map::with_capacity(r.properties.len() + 2);
        families::apply(&mut cx, m.props, &r.properties, &mut body, &r.logical_id);
        if let Some(hook) = m.hook {
            hook(&mut cx, r, &mut body, &name);
        }
        if !r.depends_on.is_empty() {
            let deps: Vec<Value> = r
                .depends_on
                .iter()
                .filter_map(|d| cx.address(d))
                .map(Value::String)
                .collect();
            body.insert("depends_on".into(), Value::Array(deps));
        }
        if r.retain {
            body.insert("lifecycle".into(), json!({ "prevent_destroy": true }));
        }
        for (old, new) in &options.renames {
            let (o, n) = (
                landfall_graph::logical_id(&[old]),
                landfall_graph::logical_id(&[new]),
            );
            if r.logical_id.contains(&n) {
                let from = expr::snake(&r.logical_id.replace(&n, &o));
                moved.push(
                    json!({ "from": format!("{}.{from}", m.tf), "to": format!("{}.{name}", m.tf) }),
                );
            }
        }
        resources
            .entry(m.tf.to_owned())
            .or_default()
            .insert(name, Value::Object(body));
        count += 1;
    }
    for (tf, name, body) in std::mem::take(&mut cx.extras) {
        resources
            .entry(tf)
            .or_default()
            .insert(name, Value::Object(body));
        count += 1;
    }
    // Outputs, and exports as SSM parameters.
    let mut outputs = Map::new();
    for o in &stack.outputs {
        let v = expr::value(&mut cx, &o.value).unwrap_or(Value::Null);
        let mut entry = Map::new();
        entry.insert("value".into(), v.clone());
        if let Some(d) = &o.description {
            entry.insert("description".into(), json!(d));
        }
        outputs.insert(expr::snake(&o.name), Value::Object(entry));
        if o.export.is_some() {
            resources.entry("aws_ssm_parameter".into()).or_default().insert(
                format!("export_{}", expr::snake(&o.name)),
                json!({
                    "name": format!("{EXPORTS_PREFIX}/{}/{}", stack.name, o.name),
                    "description": format!("Output {} of {}, for the modules that import it", o.name, stack.name),
                    "type": "String",
                    "value": v
                }),
            );
            count += 1;
        }
    }
    if !cx.problems.is_empty() {
        return Err(cx.problems);
    }
    // Variables.
    let mut variables = Map::new();
    let mut resolution = Map::new();
    variables.insert(
        "target_account_id".into(),
        json!({ "type": "string", "description": format!("Id of the `{account}` account (the provider assumes its deploy role)") }),
    );
    resolution.insert(
        "target_account_id".into(),
        json!({ "resolve": "account-id", "account": account }),
    );
    for p in &stack.parameters {
        let mut v = json!({ "type": "string", "description": p.description });
        if let ParameterValue::Literal(value) = &p.value {
            v["default"] = json!(value);
        }
        variables.insert(expr::snake(&p.name), v);
        resolution.insert(expr::snake(&p.name), parameter_resolution(&p.value));
    }
    // Data sources.
    let mut data = Map::new();
    data.insert("aws_region".into(), json!({ "current": {} }));
    data.insert("aws_caller_identity".into(), json!({ "current": {} }));
    data.insert("aws_partition".into(), json!({ "current": {} }));
    if !cx.data_ssm.is_empty() {
        let ssm: Map<String, Value> = cx
            .data_ssm
            .iter()
            .map(|(param, name)| (name.clone(), json!({ "name": param })))
            .collect();
        data.insert("aws_ssm_parameter".into(), Value::Object(ssm));
    }
    for (tf, name, body) in std::mem::take(&mut cx.data_sources) {
        if let Value::Object(of_type) = data.entry(tf).or_insert_with(|| json!({})) {
            of_type.insert(name, Value::Object(body));
        }
    }
    let bucket = options
        .state_bucket
        .clone()
        .unwrap_or_else(|| format!("{}-terraform-state", graph.organization));
    let state_region = options
        .state_region
        .clone()
        .unwrap_or_else(|| graph.home_region.clone());
    let state_key = format!(
        "{}/{}.tfstate",
        stack.layer.name(),
        old_name.as_deref().unwrap_or(&stack.name)
    );
    let mut providers = json!({ "aws": { "source": "hashicorp/aws", "version": ">= 6.0" } });
    let mut provider = json!({
        "aws": [{
            "region": region,
            "assume_role": [{
                "role_arn": format!("arn:aws:iam::${{var.target_account_id}}:{DEPLOY_ROLE_PATH}"),
                "session_name": format!("landfall-{}", short_hash(&stack.name))
            }],
            "default_tags": [{ "tags": { "landfall:stack": stack.name, "landfall:layer": stack.layer.name() } }]
        }]
    });
    if let Some(cluster) = &cx.kafka {
        providers["kafka"] = json!({ "source": "Mongey/kafka", "version": ">= 0.8" });
        provider["kafka"] = json!([{
            "bootstrap_servers": format!("${{split(\",\", {cluster}.bootstrap_brokers_sasl_iam)}}"),
            "tls_enabled": true,
            "sasl_mechanism": "aws-iam",
            "sasl_aws_region": region
        }]);
    }
    let mut root = Map::new();
    root.insert(
        "//".into(),
        json!(format!(
            "Generated by landfall from stack {}; edit the spec, not this file",
            stack.name
        )),
    );
    root.insert(
        "terraform".into(),
        json!({
            "required_providers": providers,
            "backend": { "s3": { "bucket": bucket, "key": state_key, "region": state_region, "encrypt": true, "use_lockfile": true } }
        }),
    );
    root.insert("provider".into(), provider);
    root.insert("variable".into(), Value::Object(variables));
    root.insert("data".into(), Value::Object(data));
    root.insert(
        "resource".into(),
        Value::Object(
            resources
                .into_iter()
                .map(|(k, v)| (k, Value::Object(v)))
                .collect(),
        ),
    );
    if !outputs.is_empty() {
        root.insert("output".into(), Value::Object(outputs));
    }
    let entry = json!({
        "name": stack.name,
        "layer": stack.layer.name(),
        "directory": module_dir(stack),
        "account": account,
        "region": region,
        "state": { "bucket": bucket, "key": state_key, "region": state_region },
        "variables": resolution,
        "depends_on": stack.depends_on,
    });
    Ok(RootModule {
        main: Value::Object(root),
        moved,
        manifest_entry: entry,
        resources: count,
    })
}

fn module_dir(stack: &Stack) -> String {
    format!("terraform/{}/{}", stack.layer.name(), stack.name)
}

/// One stack's root module files and manifest entry, made on its own so
/// that callers can emit stacks as they are built (on any thread) and drop
/// them. `graph` gives the organization and home region (the platform
/// graph will do).
pub fn module_files(graph: &Graph, stack: &Stack, options: &Options) -> ModuleFiles {
    if !options.layers.is_empty() && !options.layers.contains(&stack.layer) {
        return ModuleFiles::Excluded;
    }
    match module(graph, stack, options) {
        Ok(m) => {
            let dir = module_dir(stack);
            // About 2 KB a resource in practice.
            let main = landfall_graph::pretty::file_text(&m.main, 4096 + 2048 * m.resources);
            let mut files = vec![
                File {
                    path: format!("{dir}/main.tf.json"),
                    contents: main,
                },
                File {
                    path: format!("{dir}/versions.tf.json"),
                    contents: VERSIONS.to_owned(),
                },
            ];
            if !m.moved.is_empty() {
                let mut text =
                    serde_json::to_string_pretty(&json!({ "moved": m.moved })).unwrap_or_default();
                text.push('\n');
                files.push(File {
                    path: format!("{dir}/moved.tf.json"),
                    contents: text,
                });
            }
            ModuleFiles::Module {
                files,
                // Written here, on the thread that built the stack.
                entry: landfall_graph::pretty::at_depth(&m.manifest_entry, 2),
                resources: m.resources,
                stack: stack.name.clone(),
                state_key: m
                    .manifest_entry
                    .pointer("/state/key")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            }
        }
        // A workload stack must have a Terraform form; other layers may
        // stay CloudFormation only.
        Err(messages) if stack.layer == Layer::Workloads => ModuleFiles::Failed(
            messages
                .into_iter()
                .map(|message| Problem {
                    stack: stack.name.clone(),
                    message,
                })
                .collect(),
        ),
        Err(messages) => ModuleFiles::Skipped {
            stack: stack.name.clone(),
            why: messages.join("; "),
        },
    }
}

impl ModuleFiles {
    /// Takes the files out, leaving the rest for [`Manifest::add`].
    pub fn take_files(&mut self) -> Vec<File> {
        match self {
            ModuleFiles::Module { files, .. } => std::mem::take(files),
            _ => Vec::new(),
        }
    }
}

/// What [`module_files`] made of one stack.
pub enum ModuleFiles {
    Module {
        files: Vec<File>,
        /// The manifest entry, as text at its depth in the manifest.
        entry: String,
        resources: usize,
        stack: String,
        /// The backend key of its state object.
        state_key: String,
    },
    /// Not Terraform's to express (a StackSet, a condition): left to
    /// CloudFormation.
    Skipped { stack: String, why: String },
    /// A workload stack that could not be translated.
    Failed(Vec<Problem>),
    /// Not in the layers asked for.
    Excluded,
}

/// `terraform/manifest.json` and the counts, gathered from
/// [`ModuleFiles`] added in graph order.
#[derive(Default)]
pub struct Manifest {
    entries: Vec<String>,
    problems: Vec<Problem>,
    /// Which stack keeps each state object: two modules on one state
    /// would destroy each other's resources when applied.
    state_keys: BTreeMap<String, String>,
    /// The counts so far (`files` stays empty).
    pub emitted: Emitted,
}

impl Manifest {
    /// Records one stack; returns its files, to write or keep.
    pub fn add(&mut self, module: ModuleFiles) -> Vec<File> {
        match module {
            ModuleFiles::Module {
                files,
                entry,
                resources,
                stack,
                state_key,
            } => {
                if let Some(first) = self.state_keys.get(&state_key) {
                    self.problems.push(Problem {
                        message: format!(
                            "its state `{state_key}` is also the state of `{first}`: applying one module would destroy the other's resources"
                        ),
                        stack,
                    });
                } else {
                    self.state_keys.insert(state_key, stack);
                }
                self.entries.push(entry);
                self.emitted.modules += 1;
                self.emitted.resources += resources;
                files
            }
            ModuleFiles::Skipped { stack, why } => {
                self.emitted.skipped.push((stack, why));
                Vec::new()
            }
            ModuleFiles::Failed(problems) => {
                self.problems.extend(problems);
                Vec::new()
            }
            ModuleFiles::Excluded => Vec::new(),
        }
    }

    /// The manifest file and the counts; the problems of workload stacks
    /// that have no Terraform form, if any.
    pub fn finish(self, organization: &str) -> Result<(File, Emitted), Vec<Problem>> {
        if !self.problems.is_empty() {
            return Err(self.problems);
        }
        #[derive(serde::Serialize)]
        struct ManifestFile<'a> {
            format: &'a str,
            organization: &'a str,
            modules: [(); 0],
            skipped: Vec<Value>,
        }
        let manifest = ManifestFile {
            format: "landfall-terraform-manifest/1",
            organization,
            modules: [],
            skipped: self
                .emitted
                .skipped
                .iter()
                .map(|(s, why)| json!({ "stack": s, "why": why }))
                .collect(),
        };
        let head = serde_json::to_string_pretty(&manifest).unwrap_or_default();
        let mut text = landfall_graph::pretty::splice_array(&head, "modules", &self.entries);
        text.push('\n');
        Ok((
            File {
                path: "terraform/manifest.json".into(),
                contents: text,
            },
            self.emitted,
        ))
    }
}

/// Emits every stack it can express; errors are the workload layer's
/// stacks it could not.
pub fn emit(graph: &Graph, options: &Options) -> Result<Emitted, Vec<Problem>> {
    // Modules are independent: translate and write them on every core, then
    // assemble in graph order.
    let built: Vec<ModuleFiles> = graph
        .stacks
        .par_iter()
        .map(|stack| module_files(graph, stack, options))
        .collect();
    let mut manifest = Manifest::default();
    let mut files = Vec::new();
    for module in built {
        files.extend(manifest.add(module));
    }
    let (file, mut emitted) = manifest.finish(&graph.organization)?;
    files.push(file);
    emitted.files = files;
    Ok(emitted)
}
