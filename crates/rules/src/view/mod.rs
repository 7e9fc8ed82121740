//! The resource view: every input normalized into one list of resources that
//! every rule reads.
//!
//! Inputs are CloudFormation templates (JSON or YAML), Terraform plans
//! (`terraform show -json`), and — through [`ViewBuilder::push`] — resources
//! built by other stages (the synthesized platform, a live inventory). Each
//! file is read and parsed once; rules never see the files, only the view.
//!
//! Resource types use CloudFormation's names as the one vocabulary
//! (`AWS::EC2::Volume`); Terraform resources are translated onto the same
//! types and property shapes (`aws_ebs_volume.encrypted` becomes
//! `AWS::EC2::Volume` `Encrypted`), so a rule is written once for both.
//! Terraform types with no translation keep the kind `terraform:<type>`.

mod cfn;
mod terraform;

pub(crate) use terraform::{terraform_fix, terraform_text};

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use landfall_diagnostics::{Diagnostic, FileId, SourceSet, Span};

use crate::tree::{self, Node};
use crate::value::{Value, Variant};

/// What a file was recognized as, from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    CloudFormation,
    TerraformPlan,
    /// Resources pushed by another stage (synth, live inventory).
    Synthesized,
}

impl InputKind {
    pub fn name(self) -> &'static str {
        match self {
            InputKind::CloudFormation => "CloudFormation template",
            InputKind::TerraformPlan => "Terraform plan",
            InputKind::Synthesized => "synthesized platform",
        }
    }
}

/// An inline suppression of one rule on one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Suppression {
    /// The rule code or name as written.
    pub rule: String,
    /// Why; a suppression without one is itself a finding.
    pub reason: Option<String>,
    pub span: Span,
}

/// One resource, normalized.
#[derive(Debug, Clone)]
pub struct Resource {
    /// CloudFormation type name, or `terraform:<type>` when not translated.
    pub kind: String,
    /// The type as written in the input (`aws_ebs_volume`, `AWS::EC2::Volume`).
    pub source_type: String,
    /// Logical id (CloudFormation) or address (Terraform).
    pub id: String,
    pub file: FileId,
    /// Where the resource is declared.
    pub span: Span,
    /// Choice-free readings of the properties (one unless `Fn::If` is used).
    pub variants: Vec<Variant>,
    /// Environment name, when known (flag, tag, parameter or the model).
    pub environment: Option<String>,
    /// Region, when known.
    pub region: Option<String>,
    pub suppressions: Vec<Suppression>,
    /// The raw properties as read, to locate a property's line.
    pub(crate) raw: Option<Node>,
}

impl Resource {
    /// The first (usually only) reading of the properties.
    pub fn properties(&self) -> &Value {
        static EMPTY: Value = Value::Map(Vec::new());
        self.variants.first().map_or(&EMPTY, |v| &v.value)
    }

    /// The span of a property given by its path under `Properties`, or the
    /// resource's own span.
    pub fn span_of(&self, path: &[&str]) -> Span {
        let mut best = self.span;
        let Some(mut node) = self.raw.as_ref() else {
            return best;
        };
        for segment in path {
            let next = match &node.value {
                tree::NodeValue::Map(_) => node.get(segment),
                tree::NodeValue::Seq(items) => {
                    segment.parse::<usize>().ok().and_then(|i| items.get(i))
                }
                _ => None,
            };
            match next {
                Some(n) => {
                    node = n;
                    best = n.span;
                }
                None => break,
            }
        }
        best
    }
}

/// A file read into the view.
#[derive(Debug, Clone)]
pub struct FileInfo {
    pub id: FileId,
    pub path: PathBuf,
    pub kind: InputKind,
    /// Indexes into [`ResourceView::resources`].
    pub resources: std::ops::Range<usize>,
    pub environment: Option<String>,
    pub region: Option<String>,
    /// The account the file's resources are deployed in, when the input
    /// says so (`Metadata.landfall.account`, as the live audit writes it).
    pub account: Option<AccountInfo>,
}

/// What an input says about the account its resources are in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountInfo {
    /// The account's environment; `None` for accounts outside every
    /// environment (management, log archive, networking, ...).
    pub environment: Option<String>,
}

/// Settings for reading inputs.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Environment of every input (`--environment`); overrides what templates say.
    pub environment: Option<String>,
    /// CloudFormation parameter values pinned for every template
    /// (`--parameter KEY=VALUE`). A parameter not pinned is undecided: its
    /// default is one possible value, not the deployed one.
    pub parameters: std::collections::BTreeMap<String, String>,
}

/// Every resource of a run, with the files they came from.
#[derive(Debug, Default)]
pub struct ResourceView {
    pub sources: SourceSet,
    pub files: Vec<FileInfo>,
    pub resources: Vec<Resource>,
    /// Problems reading inputs (malformed JSON or YAML, unrecognized files).
    pub diagnostics: Vec<Diagnostic>,
    /// Files under a directory that were skipped as neither template nor plan.
    pub skipped: Vec<PathBuf>,
    index: Index,
}

#[derive(Debug, Default)]
struct Index {
    by_kind: HashMap<String, Vec<usize>>,
    by_id: HashMap<(FileId, String), usize>,
    referrers: HashMap<(FileId, String), Vec<usize>>,
}

impl ResourceView {
    /// Reads files and directories (recursively) into one view.
    pub fn load(paths: &[PathBuf], options: &LoadOptions) -> ResourceView {
        let mut builder = ViewBuilder::new(options.clone());
        for path in paths {
            builder.add_path(path);
        }
        builder.finish()
    }

    /// Resources of one kind, in input order.
    pub fn of_kind<'a>(&'a self, kind: &str) -> impl Iterator<Item = &'a Resource> + 'a {
        self.index
            .by_kind
            .get(kind)
            .into_iter()
            .flatten()
            .map(|&i| &self.resources[i])
    }

    /// Indexes of the resources of one kind.
    pub fn indexes_of_kind(&self, kind: &str) -> &[usize] {
        self.index.by_kind.get(kind).map_or(&[], Vec::as_slice)
    }

    /// A resource of the same file (template or plan) by logical id or address.
    pub fn lookup(&self, file: FileId, id: &str) -> Option<&Resource> {
        self.index
            .by_id
            .get(&(file, id.to_owned()))
            .map(|&i| &self.resources[i])
    }

    /// The resource a value refers to (`!Ref`, `!GetAtt`, a plan reference).
    pub fn resolve(&self, from: &Resource, value: &Value) -> Option<&Resource> {
        self.lookup(from.file, value.refers_to()?)
    }

    /// Resources of the same file that refer to `target` anywhere in their properties.
    pub fn referrers<'a>(&'a self, target: &Resource) -> impl Iterator<Item = &'a Resource> + 'a {
        self.index
            .referrers
            .get(&(target.file, target.id.clone()))
            .into_iter()
            .flatten()
            .map(|&i| &self.resources[i])
    }

    pub fn file_info(&self, file: FileId) -> Option<&FileInfo> {
        self.files.iter().find(|f| f.id == file)
    }
}

/// Builds a [`ResourceView`] from files, texts or resources.
pub struct ViewBuilder {
    options: LoadOptions,
    view: ResourceView,
}

/// Extensions read when walking a directory.
const EXTENSIONS: &[&str] = &["json", "yaml", "yml", "template"];

impl ViewBuilder {
    pub fn new(options: LoadOptions) -> Self {
        Self {
            options,
            view: ResourceView::default(),
        }
    }

    /// Adds a file, or every template and plan under a directory.
    pub fn add_path(&mut self, path: &Path) {
        if path.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files, &mut self.view.diagnostics, 0);
            files.sort();
            let (read, reported, skipped) = (
                self.view.files.len(),
                self.view.diagnostics.len(),
                self.view.skipped.len(),
            );
            for file in files {
                self.add_file(&file, false);
            }
            // Nothing checked must not look like nothing wrong.
            if self.view.files.len() == read && self.view.diagnostics.len() == reported {
                let skipped = &self.view.skipped[skipped..];
                let mut help = String::from(
                    "templates have a `Resources` mapping; plans come from `terraform show -json PLANFILE`",
                );
                if !skipped.is_empty() {
                    let names: Vec<String> = skipped
                        .iter()
                        .take(5)
                        .map(|p| format!("`{}`", p.display()))
                        .collect();
                    help = format!(
                        "{} file(s) skipped as neither: {}{}; {help}",
                        skipped.len(),
                        names.join(", "),
                        if skipped.len() > names.len() {
                            ", ..."
                        } else {
                            ""
                        }
                    );
                }
                self.view.diagnostics.push(
                    Diagnostic::error(
                        "input::nothing-to-check",
                        format!(
                            "`{}` holds no CloudFormation template or Terraform plan (files ending in {})",
                            path.display(),
                            EXTENSIONS
                                .iter()
                                .map(|e| format!("`.{e}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                    .with_help(help),
                );
            }
        } else {
            self.add_file(path, true);
        }
    }

    fn add_file(&mut self, path: &Path, explicit: bool) {
        let name = path.display().to_string();
        match std::fs::read(path) {
            Ok(bytes) => {
                let text = decode(&bytes);
                if !self.add_text_as(&name, path, &text) {
                    if explicit {
                        let file = self.view.sources.add(name.clone(), text);
                        self.view.diagnostics.push(
                            Diagnostic::error(
                                "input::unrecognized",
                                format!("`{name}` is neither a CloudFormation template nor a Terraform plan"),
                            )
                            .in_file(file)
                            .with_help("templates have a `Resources` mapping; plans come from `terraform show -json PLANFILE`"),
                        );
                    } else {
                        self.view.skipped.push(path.to_owned());
                    }
                }
            }
            Err(error) => {
                let file = self.view.sources.add(name.clone(), "");
                self.view.diagnostics.push(
                    Diagnostic::error(
                        "input::unreadable",
                        format!("cannot read `{name}`: {error}"),
                    )
                    .in_file(file),
                );
            }
        }
    }

    /// Adds a file's text under a display name; the kind is detected from
    /// the content. Returns false when the text is neither a template nor a
    /// plan (and adds nothing).
    pub fn add_text(&mut self, name: &str, text: &str) -> bool {
        self.add_text_as(name, Path::new(name), text)
    }

    fn add_text_as(&mut self, name: &str, path: &Path, text: &str) -> bool {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let looks_json = text.trim_start().starts_with('{');
        let file = self.view.sources.add(name, text);
        let parsed = if looks_json {
            tree::parse_json(file, text)
        } else {
            tree::parse_yaml(file, self.view.sources.file(file))
        };
        let root = match parsed {
            Ok(root) => root,
            Err(diagnostic) => {
                // Malformed files named on purpose, or that look like templates, are reported.
                let looks_like_input = ["Resources", "AWSTemplateFormatVersion", "planned_values"]
                    .iter()
                    .any(|k| text.contains(k));
                if looks_like_input || path.extension().is_none() {
                    self.view.diagnostics.push(diagnostic);
                    return true;
                }
                return looks_like_input;
            }
        };
        if let Some(what) = terraform_state(&root) {
            self.view.diagnostics.push(
                Diagnostic::error(
                    "input::terraform-state",
                    format!("`{name}` is {what}, not a plan: it shows what exists, not what a change would create"),
                )
                .in_file(file)
                .with_help("check a plan: `terraform plan -out=tfplan && terraform show -json tfplan > plan.json`"),
            );
            return true;
        }
        let kind = if root.get("planned_values").is_some()
            || (root.get("format_version").is_some() && root.get("terraform_version").is_some())
        {
            InputKind::TerraformPlan
        } else if matches!(
            root.get("Resources").map(|n| &n.value),
            Some(tree::NodeValue::Map(_))
        ) || root.get("AWSTemplateFormatVersion").is_some()
        {
            InputKind::CloudFormation
        } else {
            return false;
        };
        let start = self.view.resources.len();
        let mut info = FileInfo {
            id: file,
            path: path.to_owned(),
            kind,
            resources: start..start,
            environment: None,
            region: None,
            account: None,
        };
        let mut resources = Vec::new();
        match kind {
            InputKind::CloudFormation => cfn::read(
                file,
                root,
                &self.options,
                &mut info,
                &mut resources,
                &mut self.view.diagnostics,
            ),
            InputKind::TerraformPlan => terraform::read(
                file,
                root,
                &self.options,
                &mut info,
                &mut resources,
                &mut self.view.diagnostics,
            ),
            InputKind::Synthesized => {}
        }
        for resource in &resources {
            port_range_errors(resource, kind, &mut self.view.diagnostics);
        }
        for resource in resources {
            self.push(resource);
        }
        info.resources = start..self.view.resources.len();
        self.view.files.push(info);
        true
    }

    /// Adds a resource built elsewhere (the synthesized platform, a live
    /// inventory). Its `file` must come from [`ViewBuilder::sources`].
    pub fn push(&mut self, resource: Resource) {
        let index = self.view.resources.len();
        self.view
            .index
            .by_kind
            .entry(resource.kind.clone())
            .or_default()
            .push(index);
        self.view
            .index
            .by_id
            .insert((resource.file, resource.id.clone()), index);
        let mut targets = Vec::new();
        for variant in &resource.variants {
            collect_refs(&variant.value, &mut targets);
        }
        targets.sort();
        targets.dedup();
        for target in targets {
            if target != resource.id {
                self.view
                    .index
                    .referrers
                    .entry((resource.file, target))
                    .or_default()
                    .push(index);
            }
        }
        self.view.resources.push(resource);
    }

    /// The source set, to register a file for pushed resources.
    pub fn sources(&mut self) -> &mut SourceSet {
        &mut self.view.sources
    }

    pub fn finish(self) -> ResourceView {
        self.view
    }
}

/// What kind of Terraform state a document is, if it is state rather than a
/// plan: `terraform show -json` without a plan file (`values`, no
/// `planned_values`), or a state file itself (`lineage`, `serial`).
fn terraform_state(root: &Node) -> Option<&'static str> {
    if root.get("planned_values").is_some() || root.get("resource_changes").is_some() {
        return None;
    }
    if root.get("format_version").is_some()
        && root.get("terraform_version").is_some()
        && root.get("values").is_some()
    {
        return Some("Terraform state (`terraform show -json` without a plan file)");
    }
    if root.get("lineage").is_some() && root.get("serial").is_some() {
        return Some("a Terraform state file");
    }
    None
}

/// Security group rules whose port range runs backwards (`FromPort` 23,
/// `ToPort` 21) are input errors: which ports were meant is a guess, and
/// EC2 reads a range from its start up to its end.
fn port_range_errors(resource: &Resource, kind: InputKind, diagnostics: &mut Vec<Diagnostic>) {
    const GROUPS: &[&str] = &[
        "AWS::EC2::SecurityGroup",
        "Landfall::EC2::DefaultSecurityGroup",
    ];
    const RULES: &[&str] = &[
        "AWS::EC2::SecurityGroupIngress",
        "AWS::EC2::SecurityGroupEgress",
    ];
    let mut reported: Vec<Vec<String>> = Vec::new();
    for variant in &resource.variants {
        let mut entries: Vec<(Vec<String>, &Value)> = Vec::new();
        if RULES.contains(&resource.kind.as_str()) {
            entries.push((Vec::new(), &variant.value));
        } else if GROUPS.contains(&resource.kind.as_str()) {
            for list in ["SecurityGroupIngress", "SecurityGroupEgress"] {
                if let Some(Value::List(items)) = variant.value.get(list) {
                    for (i, item) in items.iter().enumerate() {
                        entries.push((vec![list.to_owned(), i.to_string()], item));
                    }
                }
            }
        }
        for (path, entry) in entries {
            let port_protocol = match entry.get("IpProtocol") {
                Some(Value::String(p)) => {
                    matches!(p.to_ascii_lowercase().as_str(), "tcp" | "udp" | "6" | "17")
                }
                Some(Value::Number(n)) => *n == 6.0 || *n == 17.0,
                _ => false,
            };
            let from = entry.get("FromPort").and_then(Value::as_i64);
            let to = entry.get("ToPort").and_then(Value::as_i64);
            let (Some(from), Some(to)) = (from, to) else {
                continue;
            };
            if !port_protocol || from <= to || from == -1 || to == -1 || reported.contains(&path) {
                continue;
            }
            let mut at: Vec<&str> = path.iter().map(String::as_str).collect();
            at.push("FromPort");
            let span = resource.span_of(&at);
            let (from_name, to_name, fix) = if kind == InputKind::TerraformPlan {
                (
                    "from_port",
                    "to_port",
                    format!("write the lower port first: `from_port = {to}`, `to_port = {from}`"),
                )
            } else {
                (
                    "FromPort",
                    "ToPort",
                    format!("write the lower port first: `FromPort: {to}`, `ToPort: {from}`"),
                )
            };
            diagnostics.push(
                Diagnostic::error(
                    "input::inverted-port-range",
                    format!(
                        "security group rule of `{}` has an inverted port range: `{from_name}` {from} is above `{to_name}` {to}",
                        resource.id
                    ),
                )
                .with_label(span, "the range's start")
                .with_help(format!(
                    "{fix}; a range runs from its start up to its end, so which ports were meant cannot be read from it"
                )),
            );
            reported.push(path);
        }
    }
}

/// A file's text: UTF-8 (a byte order mark dropped), or UTF-16 with a byte
/// order mark, or without one when every other byte is zero (what
/// `terraform show -json > plan.json` writes in Windows PowerShell 5).
/// Invalid sequences become U+FFFD.
pub(crate) fn decode(bytes: &[u8]) -> String {
    fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> String {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|pair| unit([pair[0], pair[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    }
    if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
        return String::from_utf8_lossy(rest).into_owned();
    }
    if let Some(rest) = bytes.strip_prefix(b"\xff\xfe") {
        return utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xfe\xff") {
        return utf16(rest, u16::from_be_bytes);
    }
    // No mark: ASCII text in UTF-16 has a zero in every other byte.
    let head = &bytes[..bytes.len().min(64) & !1];
    if head.len() >= 4 {
        let zero_at = |parity: usize| {
            head.iter()
                .enumerate()
                .all(|(i, b)| (*b == 0) == (i % 2 == parity))
        };
        if zero_at(1) {
            return utf16(bytes, u16::from_le_bytes);
        }
        if zero_at(0) {
            return utf16(bytes, u16::from_be_bytes);
        }
    }
    match String::from_utf8(bytes.to_vec()) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Unknown(u) => {
            if let Some(target) = &u.refers_to {
                out.push(target.clone());
            }
        }
        Value::List(items) => items.iter().for_each(|v| collect_refs(v, out)),
        Value::Map(entries) => entries.iter().for_each(|(_, v)| collect_refs(v, out)),
        _ => {}
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, diagnostics: &mut Vec<Diagnostic>, depth: usize) {
    if depth > 64 {
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            diagnostics.push(Diagnostic::error(
                "input::unreadable",
                format!("cannot read directory `{}`: {error}", dir.display()),
            ));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "node_modules" || name == "target" {
            continue;
        }
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&path, out, diagnostics, depth + 1),
            Ok(t) if t.is_file() => {
                let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
                if EXTENSIONS.contains(&ext) {
                    out.push(path);
                }
            }
            _ => {}
        }
    }
}

/// Reads `Environment`-like tags from a CloudFormation `Tags` list or a
/// Terraform `tags` map (normalized to the CloudFormation list form).
pub(crate) fn environment_from_tags(tags: &Value) -> Option<String> {
    for tag in tags.items() {
        let key = tag.get("Key").and_then(Value::as_str)?;
        if is_environment_key(key) {
            if let Some(value) = tag.get("Value").and_then(Value::as_str) {
                return Some(value.to_owned());
            }
        }
    }
    None
}

pub(crate) fn is_environment_key(key: &str) -> bool {
    matches!(
        key.to_ascii_lowercase().as_str(),
        "environment" | "env" | "stage" | "environmentname" | "landfall:environment"
    )
}

/// Reads suppressions from `{landfall: {suppress: [{rule, reason}]}}`.
pub(crate) fn suppressions_from_metadata(metadata: Option<&Node>) -> Vec<Suppression> {
    let Some(list) = metadata.and_then(|m| m.at(["landfall", "suppress"])) else {
        return Vec::new();
    };
    list.items()
        .iter()
        .map(|item| Suppression {
            rule: item
                .get("rule")
                .and_then(Node::as_str)
                .unwrap_or_default()
                .to_owned(),
            reason: item
                .get("reason")
                .and_then(Node::as_str)
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_owned),
            span: item.span,
        })
        .collect()
}
