//! `landfall check`: the guardrail rules over CloudFormation templates and
//! Terraform plans, before anything is deployed.
//!
//! With paths: every template and plan under them (directories are walked;
//! the kind of each file is detected from its content) is read once into the
//! resource view and checked. The spec (`--spec`, default the reference
//! platform) supplies the allowlists, denied families and control modes.
//!
//! With no path: the platform itself. Its SCPs are compiled and checked
//! against AWS's limits and its AWS Config rule sets are listed; scanning
//! the platform's own templates goes through `landfall synth --out DIR`
//! followed by `landfall check DIR` until `check` synthesizes in memory.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, ValueEnum};
use landfall_rules::{report, LoadOptions, ResourceView, Settings, Severity};

use crate::args::{ColorChoice, SpecArgs};
use crate::output;

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Templates, plans (`terraform show -json`) or directories to scan;
    /// none checks the platform of the spec.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Spec directory whose guardrails apply; defaults to the built-in reference platform.
    #[arg(long, value_name = "DIR")]
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
    /// Colour diagnostics: auto, always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
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
        ..SpecArgs::default()
    };
    let resolved = output::load(&spec_args)?;
    let Some(model) = resolved
        .model
        .as_ref()
        .filter(|_| !resolved.diagnostics.has_errors())
    else {
        output::print_diagnostics(&resolved, args.color)?;
        return Ok(ExitCode::from(super::INVALID));
    };
    if args.paths.is_empty() {
        return check_platform(args, model);
    }
    let settings = Settings::from_model(model);
    let started = Instant::now();
    let view = ResourceView::load(
        &args.paths,
        &LoadOptions {
            environment: args.environment.clone(),
        },
    );
    let report = landfall_rules::check(&view, &settings);
    let elapsed = started.elapsed();
    if !view.diagnostics.is_empty() {
        let text = landfall_diagnostics::render_human(
            &view.diagnostics,
            &view.sources,
            landfall_diagnostics::RenderOptions {
                color: false,
                width: 100,
            },
        );
        eprint!("{text}");
    }
    match args.format {
        CheckFormat::Text => {
            let text = report::text(&report);
            // Findings on stdout; the closing summary and timing on stderr.
            let (body, summary) = text
                .trim_end()
                .rsplit_once('\n')
                .unwrap_or(("", text.trim_end()));
            if !body.is_empty() {
                output::print_stdout(body)?;
            }
            eprintln!("{summary} ({} ms)", elapsed.as_millis());
        }
        CheckFormat::Json => {
            output::print_stdout(&serde_json::to_string_pretty(&report::json(&report))?)?
        }
        CheckFormat::Sarif => {
            output::print_stdout(&serde_json::to_string_pretty(&report::sarif(&report))?)?
        }
    }
    if !view.diagnostics.is_empty() {
        return Ok(ExitCode::from(2));
    }
    let failed = args.fail_on.threshold().is_some_and(|t| report.fails(t));
    Ok(if failed {
        ExitCode::from(super::INVALID)
    } else {
        ExitCode::SUCCESS
    })
}

/// No paths: the model-level guardrails of the platform itself.
fn check_platform(args: &CheckArgs, model: &landfall_model::Model) -> anyhow::Result<ExitCode> {
    let scps = landfall_rules::compile_scps(model);
    let config = landfall_rules::config_rules(model);
    let note = "template scanning of the platform: run `landfall synth --out DIR`, then `landfall check DIR`";
    match args.format {
        CheckFormat::Json | CheckFormat::Sarif => {
            let value = serde_json::json!({
                "scps": match &scps {
                    Ok(set) => serde_json::json!(set.policies.iter().map(|p| serde_json::json!({
                        "name": p.name,
                        "characters": p.content.chars().count(),
                        "targets": p.targets.iter().map(|t| model.ou(*t).path.clone()).collect::<Vec<_>>(),
                        "statements": p.statements,
                    })).collect::<Vec<_>>()),
                    Err(errors) => serde_json::json!({ "errors": errors.iter().map(|d| d.message.clone()).collect::<Vec<_>>() }),
                },
                "config_rule_sets": config.len(),
                "config_rules": config.iter().map(|s| s.rules.len()).sum::<usize>(),
                "note": note,
            });
            output::print_stdout(&serde_json::to_string_pretty(&value)?)?;
        }
        CheckFormat::Text => {
            let mut text = String::new();
            match &scps {
                Ok(set) => {
                    text.push_str(&format!(
                        "SCPs: {} policies within {} characters and {} per target\n",
                        set.policies.len(),
                        model.limits.scp_max_chars,
                        model.limits.scps_per_target
                    ));
                    for p in &set.policies {
                        text.push_str(&format!(
                            "  {:<28} {:>5} chars  {} statements  on {} OU(s)\n",
                            p.name,
                            p.content.chars().count(),
                            p.statements.len(),
                            p.targets.len()
                        ));
                    }
                }
                Err(errors) => {
                    for e in errors {
                        text.push_str(&format!("error: {}\n", e.message));
                        if let Some(help) = &e.help {
                            text.push_str(&format!("  help: {help}\n"));
                        }
                    }
                }
            }
            text.push_str(&format!(
                "AWS Config: {} rules in {} account groups\n",
                config.iter().map(|s| s.rules.len()).sum::<usize>(),
                config.len()
            ));
            output::print_stdout(&text)?;
            eprintln!("note: {note}");
        }
    }
    Ok(if scps.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::INVALID)
    })
}
