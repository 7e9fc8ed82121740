//! `landfall scan`: what scanners and testers need from the spec.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::args::{Format, SpecArgs};
use crate::output;

#[derive(Debug, Subcommand)]
pub enum ScanCommand {
    /// Write the penetration-test scope: accounts, endpoints and whether AWS
    /// permits testing each without approval, prohibited activities, and
    /// the tests that need AWS's approval first.
    #[command(
        after_help = "Examples:\n  landfall scan pentest-scope --out pentest-scope.md\n  landfall scan pentest-scope --format json"
    )]
    PentestScope(PentestScopeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct PentestScopeArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// Write the document to this file (Markdown, or JSON with `--format
    /// json`) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn run(command: ScanCommand) -> anyhow::Result<ExitCode> {
    match command {
        ScanCommand::PentestScope(args) => pentest_scope(&args),
    }
}

fn pentest_scope(args: &PentestScopeArgs) -> anyhow::Result<ExitCode> {
    let resolved = output::load(&args.spec)?;
    let Some(model) = resolved.model.as_ref() else {
        output::print_diagnostics(&resolved, &args.spec)?;
        return Ok(ExitCode::from(super::INVALID));
    };
    let scope = landfall_workloads::pentest::scope(model);
    let text = match args.spec.format {
        Format::Json => serde_json::to_string_pretty(&scope)? + "\n",
        Format::Text => landfall_workloads::pentest::render_markdown(&scope),
    };
    match &args.out {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &text) {
                return output::usage_error(
                    args.spec.format,
                    &format!("cannot write `{}`: {e}", path.display()),
                    "give a path in a directory that exists and can be written",
                );
            }
            let asked = scope
                .endpoints
                .iter()
                .filter(|e| e.permitted_as.is_none())
                .count();
            eprintln!(
                "wrote {}: {} accounts, {} endpoints ({asked} need AWS's approval to test)",
                path.display(),
                scope.accounts.len(),
                scope.endpoints.len()
            );
        }
        None => output::print_stdout(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}
