//! `landfall check`: the guardrail rules over CloudFormation templates and
//! Terraform plans, before anything is deployed.
//!
//! With paths: every template and plan under them (directories are walked;
//! the kind of each file is detected from its content) is read once into the
//! resource view and checked. The spec (`--spec`, default the reference
//! platform) supplies the allowlists, denied families and control modes.
//! Files that are neither template nor plan are listed as skipped (on
//! stderr, as warnings in JSON, as SARIF `toolExecutionNotifications`);
//! Terraform state, unreadable files and a directory with nothing to check
//! are input errors (exit 2), so a run that checked nothing never reads as
//! clean.
//!
//! With no path: the platform itself, synthesized in memory (address plan,
//! SCPs, every CloudFormation template of every layer, workloads included)
//! and checked like any other input.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, ValueEnum};
use landfall_rules::{report, LoadOptions, ResourceView, Settings, Severity, ViewBuilder};

use crate::args::{ColorChoice, SpecArgs};
use crate::output;

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Templates, plans (`terraform show -json`) or directories to scan;
    /// none checks the platform of the spec.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Spec directory whose guardrails apply; defaults to the built-in reference platform.
    #[arg(long, value_name = "DIR", env = "LANDFALL_SPEC")]
    pub spec: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
    /// Exit with 1 when a finding of this severity or worse exists.
    #[arg(long, value_enum, default_value_t = FailOn::Low)]
    pub fail_on: FailOn,
    /// Environment of every input (for the service allowlist and blocked
    /// egress), overriding what templates and plans say.
    #[arg(long, value_name = "NAME")]
    pub environment: Option<String>,
    /// Colour: auto (when the output is a terminal and `NO_COLOR` is unset), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Pin a CloudFormation parameter for every template (repeatable). A
    /// parameter not pinned is undecided: its default is one possible value,
    /// so conditions over it are checked both ways.
    #[arg(long = "parameter", value_name = "KEY=VALUE", value_parser = parse_parameter)]
    pub parameters: Vec<(String, String)>,
    /// Pin parameters from a file as CloudFormation takes it: a JSON list of
    /// `{"ParameterKey": ..., "ParameterValue": ...}` (`--parameters
    /// file://...`), or an object of names to values, alone or under
    /// `Parameters` (a CodePipeline template configuration file).
    #[arg(long, value_name = "FILE")]
    pub parameter_file: Option<PathBuf>,
}

/// `KEY=VALUE` of `--parameter`.
fn parse_parameter(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_owned(), value.to_owned()))
        }
        _ => Err(format!(
            "`{text}` is not KEY=VALUE; write the parameter's name, `=`, and its value, e.g. `NumberOfAZs=3`"
        )),
    }
}

/// The parameters of a parameter file, or what is wrong with it (located).
fn read_parameter_file(path: &std::path::Path) -> Result<Vec<(String, String)>, String> {
    let name = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read parameter file `{name}`: {e}"))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{name}:{}:{}: invalid JSON in the parameter file: {e}",
            e.line(),
            e.column()
        )
    })?;
    let scalar = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let expected = "expected a list of `{\"ParameterKey\": ..., \"ParameterValue\": ...}` or an object of names to values (optionally under `Parameters`)";
    match &json {
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                match (
                    item.get("ParameterKey").and_then(serde_json::Value::as_str),
                    item.get("ParameterValue").and_then(scalar),
                ) {
                    (Some(key), Some(value)) => Ok((key.to_owned(), value)),
                    _ => Err(format!(
                        "{name}: entry {} has no string `ParameterKey` and `ParameterValue`; {expected}",
                        i + 1
                    )),
                }
            })
            .collect(),
        serde_json::Value::Object(map) => {
            let map = match map.get("Parameters") {
                Some(serde_json::Value::Object(inner)) => inner,
                _ => map,
            };
            map.iter()
                .map(|(key, value)| {
                    scalar(value).map(|v| (key.clone(), v)).ok_or_else(|| {
                        format!("{name}: the value of `{key}` is not a string, number or boolean; {expected}")
                    })
                })
                .collect()
        }
        _ => Err(format!("{name}: {expected}")),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    /// Never fail on findings (exit 0 unless the input cannot be read).
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Critical => Some(Severity::Critical),
            FailOn::High => Some(Severity::High),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::Low => Some(Severity::Low),
            FailOn::Never => None,
        }
    }
}

pub fn run(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let spec_args = SpecArgs {
        spec: args.spec.clone(),
        color: args.color,
        // JSON and SARIF runs get the spec's errors as JSON on stdout.
        format: if args.format == CheckFormat::Text {
            crate::args::Format::Text
        } else {
            crate::args::Format::Json
        },
    };
    let mut resolved = output::load(&spec_args)?;
    if resolved.model.is_none() || resolved.diagnostics.has_errors() {
        output::print_diagnostics(&resolved, &spec_args)?;
        return Ok(ExitCode::from(super::INVALID));
    }
    if let (Some(env), Some(model)) = (&args.environment, resolved.model.as_ref()) {
        if !model.environments.iter().any(|e| &e.name == env) {
            let help = landfall_diagnostics::did_you_mean(
                env,
                model.environments.iter().map(|e| e.name.as_str()),
            );
            let format = if args.format == CheckFormat::Text {
                crate::args::Format::Text
            } else {
                crate::args::Format::Json
            };
            return output::usage_error(
                format,
                &format!("--environment `{env}` is not an environment of the spec"),
                &help,
            );
        }
    }
    let started = Instant::now();
    let mut parameters = std::collections::BTreeMap::new();
    if let Some(file) = &args.parameter_file {
        match read_parameter_file(file) {
            Ok(pinned) => parameters.extend(pinned),
            Err(message) => {
                eprintln!("error: {message}");
                return Ok(ExitCode::from(2));
            }
        }
    }
    // Flags after the file: `--parameter` overrides what the file says.
    parameters.extend(args.parameters.iter().cloned());
    let options = LoadOptions {
        environment: args.environment.clone(),
        parameters,
    };
    let mut deploy_findings = Vec::new();
    let mut observability_diagnostics = Vec::new();
    let view = if args.paths.is_empty() {
        // The platform itself: synthesized in memory, every template read
        // into the view exactly as `landfall synth` would write it.
        let compiled = crate::pipeline::compile(
            &mut resolved,
            args.spec.as_deref(),
            crate::pipeline::Layers::PlatformAndWorkloads(crate::pipeline::WorkloadSelection::all()),
        )?;
        // What real AWS would refuse when it deploys the platform.
        if let (Some(compiled), Some(model)) = (&compiled, resolved.model.as_ref()) {
            deploy_findings = landfall_deployability::check(&landfall_deployability::Input {
                model,
                plan: &compiled.plan,
                scps: &compiled.scps,
                graph: &compiled.graph,
            });
        }
        // The monitoring configuration `landfall synth` would write, checked
        // across its artefacts (every alert routed, every metric produced).
        if let Some(bundle) = resolved
            .model
            .as_ref()
            .and_then(landfall_observability::generate)
        {
            observability_diagnostics = landfall_observability::checks::check(&bundle)
                .iter()
                .map(|f| f.to_diagnostic(&resolved.loaded))
                .collect();
        }
        // The log and trace configuration, checked the same way.
        if let Some(bundle) = resolved
            .model
            .as_ref()
            .and_then(landfall_telemetry::generate)
        {
            observability_diagnostics.extend(
                landfall_telemetry::checks::check(&bundle)
                    .iter()
                    .map(|f| f.to_diagnostic(&resolved.loaded)),
            );
        }
        let emitted = compiled.and_then(|compiled| {
            let model = resolved.model.as_ref()?;
            match landfall_synth::cloudformation::emit(
                &compiled.graph,
                &model.limits,
                Some(&resolved.loaded.sources),
            ) {
                Ok(emitted) => Some(emitted),
                Err(problems) => {
                    let diagnostics: Vec<_> = problems
                        .iter()
                        .map(|p| p.to_diagnostic(&resolved.loaded))
                        .collect();
                    resolved.diagnostics.extend(diagnostics);
                    None
                }
            }
        });
        let Some(emitted) = emitted else {
            output::print_diagnostics(&resolved, &spec_args)?;
            return Ok(ExitCode::from(super::INVALID));
        };
        let mut builder = ViewBuilder::new(options);
        for file in emitted
            .files
            .iter()
            .filter(|f| f.path.ends_with(".json") && f.path != "manifest.json")
        {
            builder.add_text(&file.path, &file.contents);
        }
        builder.finish()
    } else {
        ResourceView::load(&args.paths, &options)
    };
    let Some(model) = resolved.model.as_ref() else {
        return Ok(ExitCode::from(super::INVALID));
    };
    let settings = Settings::from_model(model);
    let report = landfall_rules::check(&view, &settings);
    let elapsed = started.elapsed();
    if !view.diagnostics.is_empty() {
        let text = landfall_diagnostics::render_human(
            &view.diagnostics,
            &view.sources,
            landfall_diagnostics::RenderOptions {
                color: output::use_color(args.color),
                width: 100,
            },
        );
        eprint!("{text}");
    }
    let mut deploy_diagnostics: Vec<_> = deploy_findings
        .iter()
        .map(|f| f.to_diagnostic(&resolved.loaded))
        .collect();
    let observability_failed = !observability_diagnostics.is_empty();
    if args.format == CheckFormat::Text {
        deploy_diagnostics.extend(observability_diagnostics.iter().cloned());
    }
    match args.format {
        CheckFormat::Text => {
            if !deploy_diagnostics.is_empty() {
                let text = landfall_diagnostics::render_human(
                    &deploy_diagnostics,
                    &resolved.loaded.sources,
                    landfall_diagnostics::RenderOptions {
                        color: false,
                        width: 100,
                    },
                );
                output::print_stdout(&text)?;
                eprintln!(
                    "{} deploy-time findings (what AWS would refuse when deploying the platform), {} monitoring inconsistencies",
                    deploy_findings.len(),
                    observability_diagnostics.len()
                );
            }
            let text = report::text_styled(&report, output::use_color_on_stdout(args.color));
            // Findings on stdout; the closing summary and timing on stderr.
            let (body, summary) = text
                .trim_end()
                .rsplit_once('\n')
                .unwrap_or(("", text.trim_end()));
            if !body.is_empty() {
                output::print_stdout(body)?;
            }
            let origin = if args.paths.is_empty() {
                ", synthesized from the spec"
            } else {
                ""
            };
            eprintln!("{summary}{origin} ({} ms)", elapsed.as_millis());
            if !view.skipped.is_empty() {
                eprintln!(
                    "{} file(s) skipped as neither a CloudFormation template nor a Terraform plan:",
                    view.skipped.len()
                );
                for path in &view.skipped {
                    eprintln!("  {}", path.display());
                }
            }
        }
        CheckFormat::Json => {
            let mut json = report::json(&report);
            if let Some(list) = json.as_array_mut() {
                list.extend(deploy_findings.iter().map(|f| deploy_json(f, &resolved)));
                // Inputs that could not be read or were skipped: a run that
                // checked nothing never reads as clean.
                list.extend(report::input_problems_json(&view));
                if let Some(more) = landfall_diagnostics::render_json(
                    &observability_diagnostics,
                    &resolved.loaded.sources,
                )
                .as_array()
                {
                    list.extend(more.iter().cloned());
                }
            }
            output::print_stdout(&serde_json::to_string_pretty(&json)?)?
        }
        CheckFormat::Sarif => {
            let mut sarif = report::sarif(&report);
            sarif["runs"][0]["invocations"] = report::sarif_invocations(&view);
            if let Some(results) = sarif["runs"][0]["results"].as_array_mut() {
                results.extend(deploy_findings.iter().map(|f| deploy_sarif(f, &resolved)));
                results.extend(
                    observability_diagnostics
                        .iter()
                        .map(|d| diagnostic_sarif(d, &resolved.loaded.sources)),
                );
            }
            output::print_stdout(&serde_json::to_string_pretty(&sarif)?)?
        }
    }
    // Warnings (what was not checked) are shown, not failed on.
    if view.diagnostics.iter().any(|d| d.is_error()) {
        return Ok(ExitCode::from(2));
    }
    // Deploy-time findings are what AWS would refuse: they always fail,
    // unless failing on findings is turned off; those AWS's documentation
    // leaves in doubt are warnings.
    let failed = args.fail_on.threshold().is_some_and(|t| report.fails(t))
        || (args.fail_on != FailOn::Never
            && (observability_failed || deploy_findings.iter().any(|f| f.is_certain())));
    Ok(if failed {
        ExitCode::from(super::INVALID)
    } else {
        ExitCode::SUCCESS
    })
}

/// Where a deploy-time finding points: the spec value behind it, or the
/// spec file when the value has no span.
fn deploy_location(
    finding: &landfall_deployability::Finding,
    resolved: &landfall_model::Resolved,
) -> (String, usize, usize) {
    let sources = &resolved.loaded.sources;
    match finding.at.as_ref().and_then(|at| resolved.loaded.span(at)) {
        Some(span) => {
            let l = sources.location(span);
            (l.file, l.line, l.column)
        }
        None => match &finding.at {
            Some(at) if at.file.index() < sources.len() => {
                (sources.file(at.file).name().to_owned(), 1, 1)
            }
            _ => (String::new(), 0, 0),
        },
    }
}

/// What AWS would refuse is high; what its documentation leaves in doubt, low.
fn deploy_severity(finding: &landfall_deployability::Finding) -> &'static str {
    if finding.is_certain() {
        "high"
    } else {
        "low"
    }
}

/// A deploy-time finding in the shape of the rules' JSON findings.
fn deploy_json(
    finding: &landfall_deployability::Finding,
    resolved: &landfall_model::Resolved,
) -> serde_json::Value {
    let (file, line, column) = deploy_location(finding, resolved);
    serde_json::json!({
        "rule": finding.code,
        "name": "deployability",
        "severity": deploy_severity(finding),
        "certain": finding.is_certain(),
        "stack": finding.stack,
        "resource": finding.resource.clone().unwrap_or_default(),
        "file": file,
        "line": line,
        "column": column,
        "message": finding.message,
        "fix": finding.full_help(),
    })
}

/// A deploy-time finding as a SARIF result.
fn deploy_sarif(
    finding: &landfall_deployability::Finding,
    resolved: &landfall_model::Resolved,
) -> serde_json::Value {
    let (file, line, column) = deploy_location(finding, resolved);
    let resource = match &finding.resource {
        Some(r) => format!("{}/{r}", finding.stack),
        None => finding.stack.clone(),
    };
    serde_json::json!({
        "ruleId": finding.code,
        "level": if finding.is_certain() { "error" } else { "warning" },
        "message": { "text": format!("stack `{}`: {}", finding.stack, finding.message) },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": file.replace('\\', "/") },
                "region": { "startLine": line.max(1), "startColumn": column.max(1) },
            },
            "logicalLocations": [{ "name": resource, "kind": "resource" }],
        }],
        "properties": { "severity": deploy_severity(finding), "fix": finding.full_help() },
    })
}

/// A spec diagnostic (a monitoring inconsistency) as a SARIF result at its
/// spec location.
fn diagnostic_sarif(
    diagnostic: &landfall_diagnostics::Diagnostic,
    sources: &landfall_diagnostics::SourceSet,
) -> serde_json::Value {
    let json = landfall_diagnostics::JsonDiagnostic::new(diagnostic, sources);
    serde_json::json!({
        "ruleId": json.code,
        "level": if diagnostic.is_error() { "error" } else { "warning" },
        "message": { "text": json.message },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": json.file.unwrap_or_default().replace('\\', "/") },
                "region": { "startLine": json.line.unwrap_or(1), "startColumn": json.column.unwrap_or(1) },
            },
        }],
        "properties": { "fix": json.help },
    })
}
