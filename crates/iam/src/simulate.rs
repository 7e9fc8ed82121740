//! Request files and the `landfall iam simulate` command's library side.
//!
//! The file format is documented in `docs/iam-simulate.md`.

use std::collections::BTreeMap;
use std::path::Path;

use landfall_diagnostics::{render_human, render_json, Diagnostic, RenderOptions, SourceSet};
use serde::Serialize;

use crate::authorize::{evaluate, Decision, Layer, PolicySet, StatementRef};
use crate::compile::{CompiledPolicy, Mismatch};
use crate::json::{self, Json, JsonLimits, JsonValue};
use crate::policy::{parse_policy_json, Effect};
use crate::request::{ContextValue, PrincipalInfo, PrincipalKind, Request, RequestInput};
use crate::validate::{validate_policy, PolicyKind};

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

/// What a command prints and how it exits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    pub stdout: String,
    pub stderr: String,
    /// 0 allowed, 1 denied, 2 the input could not be read.
    pub exit_code: u8,
}

/// A request file, read and compiled.
#[derive(Debug, Clone)]
pub struct Simulation {
    pub request: Request,
    pub policies: PolicySet,
    /// What the catalog check found that does not stop the evaluation
    /// (a policy without `Version`, an unknown condition key).
    pub warnings: Vec<Diagnostic>,
}

impl Simulation {
    pub fn evaluate(&self) -> Decision {
        evaluate(&self.policies, &self.request)
    }
}

/// `landfall iam simulate --input FILE [--format text|json]`: reads the
/// file, evaluates, renders. Never panics; unreadable input exits with 2.
pub fn simulate_command(input_path: &Path, format: OutputFormat) -> CommandOutput {
    let name = input_path.display().to_string();
    match std::fs::read(input_path) {
        Ok(bytes) => simulate_bytes(&name, &bytes, format),
        Err(error) => unreadable(&name, &error, format, false),
    }
}

/// The output for an input that could not be read.
fn unreadable(
    name: &str,
    error: &std::io::Error,
    format: OutputFormat,
    in_batch: bool,
) -> CommandOutput {
    let message = format!("cannot read `{name}`: {error}");
    match format {
        OutputFormat::Text => CommandOutput {
            stdout: String::new(),
            stderr: format!("error[iam::io]: {message}\n"),
            exit_code: 2,
        },
        OutputFormat::Json => {
            let value = serde_json::json!({
                "decision": null,
                "errors": [{"severity": "error", "code": "iam::io", "message": message}],
            });
            let stdout = if in_batch {
                let mut value = value;
                if let Some(object) = value.as_object_mut() {
                    object.insert("input".to_owned(), name.into());
                }
                format!("{}\n", serde_json::to_string(&value).unwrap_or_default())
            } else {
                json_text(&value)
            };
            CommandOutput {
                stdout,
                stderr: String::new(),
                exit_code: 2,
            }
        }
    }
}

/// Same as [`simulate_command`] on bytes already read.
pub fn simulate_bytes(name: &str, bytes: &[u8], format: OutputFormat) -> CommandOutput {
    simulate_one(name, bytes, format, false)
}

/// Where requests come from: a file, or bytes already read (stdin).
#[derive(Debug, Clone)]
pub enum Input {
    File(std::path::PathBuf),
    Bytes { name: String, bytes: Vec<u8> },
}

/// `landfall iam simulate --input A --input B` or JSON lines on stdin: every
/// request of every input, in order, one decision each. An input holds one
/// request file, or JSON lines — one request file per line, blank lines
/// skipped. One request prints as [`simulate_bytes`] does; several print one
/// block per request (text) or one JSON object per line (JSON), each naming
/// its input. The exit code is the worst: 2 if any input could not be read,
/// else 1 if any request is denied, else 0. Reads the files it is given.
pub fn simulate_inputs(inputs: Vec<Input>, format: OutputFormat) -> CommandOutput {
    // Each request, or the error of an input that could not be read, in order.
    let mut entries: Vec<Result<(String, Vec<u8>), CommandOutput>> = Vec::new();
    for input in inputs {
        match input {
            Input::Bytes { name, bytes } => {
                entries.extend(split_json_lines(&name, bytes).into_iter().map(Ok));
            }
            Input::File(path) => {
                let name = path.display().to_string();
                match std::fs::read(&path) {
                    Ok(bytes) => entries.extend(split_json_lines(&name, bytes).into_iter().map(Ok)),
                    Err(error) => entries.push(Err(unreadable(&name, &error, format, true))),
                }
            }
        }
    }
    if let [Ok((name, bytes))] = entries.as_slice() {
        return simulate_bytes(name, bytes, format);
    }
    let mut out = CommandOutput {
        stdout: String::new(),
        stderr: String::new(),
        exit_code: 0,
    };
    for entry in entries {
        let one = match entry {
            Ok((name, bytes)) => simulate_one(&name, &bytes, format, true),
            Err(failed) => failed,
        };
        out.stdout.push_str(&one.stdout);
        out.stderr.push_str(&one.stderr);
        out.exit_code = out.exit_code.max(one.exit_code);
    }
    out
}

/// One request file, or JSON lines when the first non-blank line is a whole
/// JSON document of its own.
fn split_json_lines(name: &str, bytes: Vec<u8>) -> Vec<(String, Vec<u8>)> {
    let lines: Vec<(usize, &[u8])> = bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, line)| !line.trim_ascii().is_empty())
        .collect();
    let whole_line = |line: &[u8]| {
        let mut sources = SourceSet::default();
        let text = String::from_utf8_lossy(line);
        let file = sources.add(name, text.as_ref());
        json::parse(file, &text, &JsonLimits::default()).is_ok()
    };
    match lines.first() {
        Some((_, first)) if lines.len() > 1 && whole_line(first) => lines
            .into_iter()
            .map(|(i, line)| (format!("{name} (line {})", i + 1), line.to_vec()))
            .collect(),
        _ => vec![(name.to_owned(), bytes)],
    }
}

/// Reads, evaluates and renders one request file. `in_batch`: JSON on one
/// line with the input's name, text under a heading naming it.
fn simulate_one(name: &str, bytes: &[u8], format: OutputFormat, in_batch: bool) -> CommandOutput {
    let mut sources = SourceSet::default();
    let json = |mut value: serde_json::Value| {
        if in_batch {
            if let Some(object) = value.as_object_mut() {
                object.insert("input".to_owned(), name.into());
            }
            let mut line = serde_json::to_string(&value).unwrap_or_default();
            line.push('\n');
            line
        } else {
            json_text(&value)
        }
    };
    let heading = if in_batch {
        format!("# {name}\n")
    } else {
        String::new()
    };
    match load_simulation(&mut sources, name, bytes) {
        Ok(simulation) => {
            let decision = simulation.evaluate();
            let exit_code = if decision.is_allowed() { 0 } else { 1 };
            let (stdout, stderr) = match format {
                OutputFormat::Text => (
                    heading + &render_text(&simulation, &decision),
                    render_human(&simulation.warnings, &sources, RenderOptions::default()),
                ),
                OutputFormat::Json => {
                    let mut report = render_report(&simulation, &decision);
                    if let Some(object) = report.as_object_mut() {
                        object.insert(
                            "warnings".to_owned(),
                            render_json(&simulation.warnings, &sources),
                        );
                    }
                    (json(report), String::new())
                }
            };
            CommandOutput {
                stdout,
                stderr,
                exit_code,
            }
        }
        Err(errors) => match format {
            OutputFormat::Text => CommandOutput {
                stdout: heading,
                stderr: render_human(&errors, &sources, RenderOptions::default()),
                exit_code: 2,
            },
            OutputFormat::Json => CommandOutput {
                stdout: json(serde_json::json!({
                    "decision": null,
                    "errors": render_json(&errors, &sources),
                })),
                stderr: String::new(),
                exit_code: 2,
            },
        },
    }
}

fn json_text(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

const TOP_KEYS: [&str; 7] = [
    "request",
    "identity_policies",
    "resource_policy",
    "permission_boundaries",
    "session_policy",
    "scps",
    "rcps",
];

const REQUEST_KEYS: [&str; 6] = [
    "principal",
    "action",
    "resource",
    "resource_account",
    "context",
    "management_account",
];

/// Reads a request file; reports every problem found, with locations.
pub fn load_simulation(
    sources: &mut SourceSet,
    name: &str,
    bytes: &[u8],
) -> Result<Simulation, Vec<Diagnostic>> {
    let (text, bad_utf8) = json::decode_utf8(bytes);
    let file = sources.add(name, text.as_str());
    if let Some(offset) = bad_utf8 {
        return Err(vec![Diagnostic::error(
            "iam::invalid-utf8",
            "file is not valid UTF-8",
        )
        .with_label(
            landfall_diagnostics::Span::new(file, offset, offset + 1),
            "invalid byte here",
        )]);
    }
    let root = json::parse(file, &text, &JsonLimits::default()).map_err(|d| vec![d])?;
    let mut errors = Vec::new();
    let Some(members) = root.as_object() else {
        return Err(vec![type_error("request file", "an object", &root)]);
    };
    for member in members {
        if !TOP_KEYS.contains(&member.key.as_str()) {
            errors.push(
                Diagnostic::error(
                    "iam::unknown-field",
                    format!("unknown field `{}`", member.key),
                )
                .with_label(member.key_span, "not a field of a request file")
                .with_help(landfall_diagnostics::did_you_mean(&member.key, TOP_KEYS)),
            );
        }
    }
    let request = match root.get("request") {
        Some(r) => read_request(r, &mut errors),
        None => {
            errors.push(
                Diagnostic::error("iam::missing-field", "request file has no `request`")
                    .with_label(root.span, "add a `request` object"),
            );
            None
        }
    };
    // Every policy is checked against the AWS catalog as it is read: an
    // action that does not exist (`s3:GetObjekt`, `s4:Get*`) or a condition
    // value its operator cannot read would otherwise just never match, and
    // the simulation would answer for a request nobody can make.
    let mut warnings = Vec::new();
    let mut policy = |json: &Json,
                      name: String,
                      kind: PolicyKind,
                      errors: &mut Vec<Diagnostic>|
     -> Option<CompiledPolicy> {
        // A policy is a document, or `{"name": ..., "document": {...}}`.
        let (document, name) = match (
            json.get("document"),
            json.get("name").and_then(Json::as_str),
        ) {
            (Some(document), label) if json.get("Statement").is_none() => {
                (document, label.map_or(name, str::to_owned))
            }
            _ => (json, name),
        };
        match parse_policy_json(document, &name) {
            Ok(p) => {
                let found = validate_policy(
                    &p,
                    kind,
                    &crate::validate::Limits::default(),
                    crate::catalog::Catalog::get(),
                );
                let (bad, notes): (Vec<_>, Vec<_>) = found
                    .into_iter()
                    .partition(|d| d.severity == landfall_diagnostics::Severity::Error);
                warnings.extend(notes);
                if bad.is_empty() {
                    Some(CompiledPolicy::new(p))
                } else {
                    errors.extend(bad);
                    None
                }
            }
            Err(e) => {
                errors.extend(e);
                None
            }
        }
    };
    let mut list =
        |key: &str, kind: PolicyKind, errors: &mut Vec<Diagnostic>| -> Vec<CompiledPolicy> {
            match root.get(key) {
                None => Vec::new(),
                Some(json) if json.is_null() => Vec::new(),
                Some(json) => match json.as_array() {
                    Some(items) => items
                        .iter()
                        .enumerate()
                        .filter_map(|(i, item)| policy(item, format!("{key}[{i}]"), kind, errors))
                        .collect(),
                    None => {
                        errors.push(type_error(key, "an array of policies", json));
                        Vec::new()
                    }
                },
            }
        };
    let identity = list("identity_policies", PolicyKind::Inline, &mut errors);
    let boundaries = list("permission_boundaries", PolicyKind::Managed, &mut errors);
    let mut single =
        |key: &str, kind: PolicyKind, errors: &mut Vec<Diagnostic>| -> Option<CompiledPolicy> {
            let json = root.get(key).filter(|j| !j.is_null())?;
            if json.as_object().is_none() {
                errors.push(type_error(key, "a policy object or null", json));
                return None;
            }
            policy(json, key.to_owned(), kind, errors)
        };
    // The resource policy of a role to assume is its trust policy, which has
    // no `Resource`.
    let resource_kind = match &request {
        Some(r)
            if crate::aws_rules::resource_gate(&r.action.to_ascii_lowercase(), &r.resource)
                == crate::aws_rules::ResourceGate::TrustPolicy =>
        {
            PolicyKind::Trust
        }
        _ => PolicyKind::Resource,
    };
    let resource = single("resource_policy", resource_kind, &mut errors);
    let session = single("session_policy", PolicyKind::Session, &mut errors);
    let mut levels = |key: &str,
                      kind: PolicyKind,
                      errors: &mut Vec<Diagnostic>|
     -> Vec<Vec<CompiledPolicy>> {
        let Some(json) = root.get(key).filter(|j| !j.is_null()) else {
            return Vec::new();
        };
        let Some(levels) = json.as_array() else {
            errors.push(type_error(
                key,
                "an array of levels (root first), each an array of policies",
                json,
            ));
            return Vec::new();
        };
        levels
            .iter()
            .enumerate()
            .map(|(l, level)| match level.as_array() {
                Some(items) => items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, item)| policy(item, format!("{key}[{l}][{i}]"), kind, errors))
                    .collect(),
                None => {
                    errors.push(type_error(
                        &format!("{key}[{l}]"),
                        "an array of policies",
                        level,
                    ));
                    Vec::new()
                }
            })
            .collect()
    };
    let scps = levels("scps", PolicyKind::Scp, &mut errors);
    let rcps = levels("rcps", PolicyKind::Rcp, &mut errors);
    let request = request.map(Request::new);
    if let Some(r) = &request {
        // A role always has a trust policy and it decides who may assume the
        // role: a simulation without it would answer another question.
        if r.resource_gate() == crate::aws_rules::ResourceGate::TrustPolicy && resource.is_none() {
            let span = root.get("request").map_or(root.span, |j| j.span);
            errors.push(
                Diagnostic::error(
                    "iam::missing-trust-policy",
                    format!(
                        "`{}` on a role is decided by the role's trust policy, and the file has none",
                        r.input.action
                    ),
                )
                .with_label(span, "this request assumes a role")
                .with_help("give the role's trust policy as `resource_policy`"),
            );
        }
    }
    match request {
        Some(request) if errors.is_empty() => Ok(Simulation {
            request,
            policies: PolicySet {
                identity,
                resource,
                boundaries,
                session,
                scps,
                rcps,
            },
            warnings,
        }),
        _ => Err(errors),
    }
}

/// A requested action the AWS catalog does not have: no request can carry
/// it, so no answer about it means anything.
fn unknown_action(action: &str, span: landfall_diagnostics::Span) -> Option<Diagnostic> {
    let catalog = crate::catalog::Catalog::get();
    let (prefix, name) = action.split_once(':')?;
    let Some(service) = catalog.service(&prefix.to_ascii_lowercase()) else {
        return Some(
            Diagnostic::error(
                "iam::unknown-service",
                format!("unknown service prefix `{prefix}`"),
            )
            .with_label(span, "not a service of the AWS catalog")
            .with_help(landfall_diagnostics::did_you_mean(
                prefix,
                catalog.prefixes(),
            )),
        );
    };
    if service.action(name).is_some() {
        return None;
    }
    Some(
        Diagnostic::error("iam::unknown-action", format!("unknown action `{action}`"))
            .with_label(span, format!("not an action of `{}`", service.prefix))
            .with_help(landfall_diagnostics::did_you_mean(
                name,
                service.actions.iter().map(|a| a.name.as_str()),
            )),
    )
}

/// A principal that is none of the forms a request can come from: it would
/// match no `Principal` and no ARN condition, silently.
fn unknown_principal(principal: &str, span: landfall_diagnostics::Span) -> Option<Diagnostic> {
    let info = PrincipalInfo::parse(principal);
    let federated = info.arn.starts_with("arn:")
        && info.arn.contains(":sts::")
        && info.arn.contains(":federated-user/");
    (info.kind == PrincipalKind::Other && !federated).then(|| {
        Diagnostic::error(
            "iam::invalid-principal",
            format!("`{principal}` is not a principal a request can come from"),
        )
        .with_label(
            span,
            "not a user, role, role session, account, service or `anonymous`",
        )
        .with_help(
            "write `arn:aws:iam::ACCOUNT:user/NAME`, `arn:aws:iam::ACCOUNT:role/NAME`, \
             `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`, `arn:aws:iam::ACCOUNT:root` \
             (or the account id), a service such as `ec2.amazonaws.com`, or `anonymous`",
        )
    })
}

fn type_error(what: &str, expected: &str, json: &Json) -> Diagnostic {
    Diagnostic::error(
        "iam::invalid-type",
        format!("`{what}` must be {expected}, not {}", json.type_name()),
    )
    .with_label(json.span, format!("expected {expected}"))
}

fn read_request(json: &Json, errors: &mut Vec<Diagnostic>) -> Option<RequestInput> {
    let Some(members) = json.as_object() else {
        errors.push(type_error("request", "an object", json));
        return None;
    };
    let before = errors.len();
    let mut input = RequestInput {
        resource: "*".to_owned(),
        ..RequestInput::default()
    };
    let mut saw = (false, false);
    for member in members {
        let value = &member.value;
        let string = |errors: &mut Vec<Diagnostic>| -> Option<String> {
            match value.as_str() {
                Some(s) => Some(s.to_owned()),
                None => {
                    errors.push(type_error(
                        &format!("request.{}", member.key),
                        "a string",
                        value,
                    ));
                    None
                }
            }
        };
        match member.key.as_str() {
            "principal" => {
                saw.0 = true;
                input.principal = string(errors).unwrap_or_default();
                if value.as_str().is_some() {
                    if let Some(problem) = unknown_principal(&input.principal, value.span) {
                        errors.push(problem);
                    }
                }
            }
            "action" => {
                saw.1 = true;
                input.action = string(errors).unwrap_or_default();
                if !input.action.contains(':') && value.as_str().is_some() {
                    errors.push(
                        Diagnostic::error(
                            "iam::invalid-action",
                            format!("action `{}` has no service prefix", input.action),
                        )
                        .with_label(value.span, "expected `service:Action`"),
                    );
                } else if let Some(problem) = unknown_action(&input.action, value.span) {
                    errors.push(problem);
                }
            }
            "resource" => input.resource = string(errors).unwrap_or_default(),
            "resource_account" if value.is_null() => {}
            "resource_account" => input.resource_account = string(errors),
            "management_account" if value.is_null() => {}
            "management_account" => input.management_account = string(errors),
            "context" => input.context = read_context(value, errors),
            other => errors.push(
                Diagnostic::error(
                    "iam::unknown-field",
                    format!("unknown request field `{other}`"),
                )
                .with_label(member.key_span, "not a request field")
                .with_help(landfall_diagnostics::did_you_mean(other, REQUEST_KEYS)),
            ),
        }
    }
    for (present, key) in [(saw.0, "principal"), (saw.1, "action")] {
        if !present {
            errors.push(
                Diagnostic::error("iam::missing-field", format!("request has no `{key}`"))
                    .with_label(json.span, format!("add `{key}`")),
            );
        }
    }
    (errors.len() == before).then_some(input)
}

fn read_context(json: &Json, errors: &mut Vec<Diagnostic>) -> BTreeMap<String, ContextValue> {
    let mut out = BTreeMap::new();
    let Some(members) = json.as_object() else {
        errors.push(type_error("request.context", "an object of keys", json));
        return out;
    };
    for member in members {
        let value = match &member.value.value {
            JsonValue::Array(items) => {
                let values: Vec<String> = items
                    .iter()
                    .filter_map(|item| {
                        let text = item.scalar_text();
                        if text.is_none() {
                            errors.push(type_error(
                                &member.key,
                                "a string or a list of strings",
                                item,
                            ));
                        }
                        text
                    })
                    .collect();
                ContextValue::Many(values)
            }
            _ => match member.value.scalar_text() {
                Some(text) => ContextValue::One(text),
                None => {
                    errors.push(type_error(
                        &member.key,
                        "a string or a list of strings",
                        &member.value,
                    ));
                    continue;
                }
            },
        };
        out.insert(member.key.clone(), value);
    }
    out
}

/// One statement in a report.
#[derive(Debug, Clone, Serialize)]
pub struct StatementReport {
    pub layer: Layer,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<usize>,
    pub policy: String,
    pub statement: usize,
    pub sid: Option<String>,
    pub effect: &'static str,
}

impl StatementReport {
    /// `scp level 1 policy `name` statement 2 (Sid `X`)`, as the text
    /// explanation names a statement.
    pub fn label(&self) -> String {
        let level = self
            .level
            .map(|l| format!(" level {l}"))
            .unwrap_or_default();
        let sid = self
            .sid
            .as_ref()
            .map(|s| format!(" (Sid `{s}`)"))
            .unwrap_or_default();
        format!(
            "{}{level} policy `{}` statement {}{sid}",
            self.layer.as_str(),
            self.policy,
            self.statement
        )
    }
}

/// Names a matched statement: its layer, level, policy name and Sid.
pub fn describe_statement(policies: &PolicySet, s: &StatementRef) -> StatementReport {
    let policy = match s.layer {
        Layer::Scp => policies.scps.get(s.level).and_then(|l| l.get(s.policy)),
        Layer::Rcp => policies.rcps.get(s.level).and_then(|l| l.get(s.policy)),
        Layer::Identity => policies.identity.get(s.policy),
        Layer::Boundary => policies.boundaries.get(s.policy),
        Layer::Resource => policies.resource.as_ref(),
        Layer::Session => policies.session.as_ref(),
        Layer::Aws => None,
    };
    let sid = policy
        .and_then(|p| p.policy.statements.get(s.statement))
        .and_then(|st| st.sid.as_ref())
        .map(|sid| sid.value.clone());
    StatementReport {
        layer: s.layer,
        level: matches!(s.layer, Layer::Scp | Layer::Rcp).then_some(s.level),
        policy: policy.map(|p| p.name().to_owned()).unwrap_or_default(),
        statement: s.statement,
        sid,
        effect: match s.effect {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        },
    }
}

/// A statement that did not match the request, and the element that did not.
#[derive(Debug, Clone, Serialize)]
pub struct UnmatchedReport {
    #[serde(flatten)]
    pub statement: StatementReport,
    /// `Action`, `NotAction`, `Resource`, `NotResource`, `Principal`,
    /// `NotPrincipal` or `Condition`.
    pub element: &'static str,
    /// For `Condition`: the operator and key that were false.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<ConditionReport>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConditionReport {
    pub operator: String,
    pub key: String,
}

/// Every statement of every layer that did not match the request, with the
/// first element that did not. Not on the evaluation path: explanations only.
pub fn unmatched_statements(policies: &PolicySet, request: &Request) -> Vec<UnmatchedReport> {
    let mut layers: Vec<(Layer, usize, usize, &CompiledPolicy)> = Vec::new();
    for (layer, levels) in [(Layer::Rcp, &policies.rcps), (Layer::Scp, &policies.scps)] {
        for (level, list) in levels.iter().enumerate() {
            layers.extend(list.iter().enumerate().map(|(i, p)| (layer, level, i, p)));
        }
    }
    for (layer, list) in [
        (Layer::Identity, policies.identity.as_slice()),
        (Layer::Resource, policies.resource.as_slice()),
        (Layer::Boundary, policies.boundaries.as_slice()),
        (Layer::Session, policies.session.as_slice()),
    ] {
        layers.extend(list.iter().enumerate().map(|(i, p)| (layer, 0, i, p)));
    }
    let mut out = Vec::new();
    for (layer, level, index, policy) in layers {
        for (i, compiled) in policy.statements.iter().enumerate() {
            let reference = StatementRef {
                layer,
                level,
                policy: index,
                statement: i,
                effect: compiled.effect,
            };
            let statement = &policy.policy.statements[i];
            let (element, condition, message) =
                if layer == Layer::Resource && !compiled.has_principal() {
                    (
                        "Principal",
                        None,
                        "a resource-based policy statement without `Principal` never applies"
                            .to_owned(),
                    )
                } else {
                    match compiled.mismatch(request) {
                        None => continue,
                        Some(Mismatch::Action { negated }) => (
                            if negated { "NotAction" } else { "Action" },
                            None,
                            format!("`{}` is not covered", request.input.action),
                        ),
                        Some(Mismatch::Resource { negated }) => (
                            if negated { "NotResource" } else { "Resource" },
                            None,
                            format!("`{}` is not covered", request.input.resource),
                        ),
                        Some(Mismatch::Principal { negated }) => (
                            if negated { "NotPrincipal" } else { "Principal" },
                            None,
                            format!("`{}` is not covered", request.input.principal),
                        ),
                        Some(Mismatch::Condition { index }) => {
                            let c = &statement.conditions[index];
                            let report = ConditionReport {
                                operator: c.operator.value.name(),
                                key: c.key.value.clone(),
                            };
                            let message = match request.get(&c.key.value.to_ascii_lowercase()) {
                                Some(values) => format!(
                                    "`{}` on `{}` is false for {}",
                                    report.operator,
                                    report.key,
                                    values
                                        .iter()
                                        .map(|v| format!("`{v}`"))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                                None => format!(
                                    "`{}` on `{}` is false: the request has no `{}`",
                                    report.operator, report.key, report.key
                                ),
                            };
                            ("Condition", Some(report), message)
                        }
                    }
                };
            out.push(UnmatchedReport {
                statement: describe_statement(policies, &reference),
                element,
                condition,
                message,
            });
        }
    }
    out
}

/// The JSON report of a decision.
pub fn render_report(simulation: &Simulation, decision: &Decision) -> serde_json::Value {
    let policies = &simulation.policies;
    let input = &simulation.request.input;
    let deciding: Vec<_> = decision
        .deciding()
        .map(|s| describe_statement(policies, s))
        .collect();
    let matched: Vec<_> = decision
        .matched
        .iter()
        .map(|s| describe_statement(policies, s))
        .collect();
    serde_json::json!({
        "decision": decision.decision.as_str(),
        "blocked_by": decision.blocked_by,
        "cross_account": decision.cross_account,
        "request": {
            "principal": input.principal,
            "action": input.action,
            "resource": input.resource,
            "resource_account": simulation.request.resource_account(),
        },
        "deciding_statements": deciding,
        "matched_statements": matched,
        "missing_levels": decision.missing_levels.iter().map(|(layer, level)| serde_json::json!({"layer": layer, "level": level})).collect::<Vec<_>>(),
        "exemptions": decision.exemptions.iter().map(|(layer, why)| serde_json::json!({"layer": layer, "reason": why, "message": why.describe(*layer)})).collect::<Vec<_>>(),
        "aws_rule": decision.aws_rule.map(|rule| serde_json::json!({"rule": rule, "message": rule.describe(), "page": rule.page()})),
        "unmatched_statements": unmatched_statements(policies, &simulation.request),
    })
}

/// The human report of a decision.
pub fn render_text(simulation: &Simulation, decision: &Decision) -> String {
    let policies = &simulation.policies;
    let input = &simulation.request.input;
    let mut out = String::new();
    out.push_str(&format!("decision: {}\n", decision.decision.as_str()));
    if !decision.blocked_by.is_empty() {
        let layers: Vec<&str> = decision.blocked_by.iter().map(|l| l.as_str()).collect();
        out.push_str(&format!("blocked by: {}\n", layers.join(", ")));
    }
    out.push_str(&format!(
        "request: `{}` calls `{}` on `{}`{}\n",
        input.principal,
        input.action,
        input.resource,
        if decision.cross_account {
            " (cross-account)"
        } else {
            ""
        }
    ));
    for s in &decision.matched {
        let r = describe_statement(policies, s);
        out.push_str(&format!("  {:<5} {}\n", r.effect.to_lowercase(), r.label()));
    }
    for (layer, level) in &decision.missing_levels {
        out.push_str(&format!(
            "  {} level {level}: no statement allows the request\n",
            layer.as_str()
        ));
    }
    for (layer, why) in &decision.exemptions {
        out.push_str(&format!("  note: {}\n", why.describe(*layer)));
    }
    if let Some(rule) = decision.aws_rule {
        out.push_str(&format!("  note: {} ({})\n", rule.describe(), rule.page()));
    } else if decision.matched.is_empty() {
        out.push_str("  no statement matched the request\n");
    }
    for u in unmatched_statements(policies, &simulation.request) {
        out.push_str(&format!(
            "  no    {}: {} — {}\n",
            u.statement.label(),
            u.element,
            u.message
        ));
    }
    out
}
