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
    /// List, from the live accounts, every internet-facing endpoint
    /// (CloudFront, public load balancers, public addresses) and every
    /// internal one per VPC, with its account, domain and environment; as
    /// CSV, JSON, or a Nessus target list.
    #[cfg(feature = "live")]
    #[command(
        after_help = "Examples:\n  landfall scan targets --env prod --format nessus > targets.txt   (Nessus: Targets, Add File)\n  landfall scan targets --format csv > targets.csv"
    )]
    Targets(TargetsArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TargetsFormat {
    Csv,
    Json,
    /// One host a line, as Nessus takes targets from a file.
    Nessus,
}

#[cfg(feature = "live")]
#[derive(Debug, Clone, Args)]
pub struct TargetsArgs {
    #[command(flatten)]
    pub live: super::plan::LiveArgs,
    /// Only the accounts of this environment.
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    #[arg(long, value_enum, default_value_t = TargetsFormat::Csv)]
    pub format: TargetsFormat,
    /// Account-regions read at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
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
        #[cfg(feature = "live")]
        ScanCommand::Targets(args) => targets(&args),
    }
}

/// Exit code 3: part of the platform could not be read.
#[cfg(feature = "live")]
const INCOMPLETE: u8 = 3;

#[cfg(feature = "live")]
fn targets(args: &TargetsArgs) -> anyhow::Result<ExitCode> {
    use anyhow::Context;
    use landfall_live::targets;

    let spec_args = args.live.spec_args();
    let resolved = output::load(&spec_args)?;
    let Some(model) = resolved.model.as_ref() else {
        output::print_diagnostics(&resolved, &spec_args)?;
        return Ok(ExitCode::from(super::INVALID));
    };
    if let Some(env) = &args.env {
        if !model.environments.iter().any(|e| &e.name == env) {
            let names: Vec<&str> = model.environments.iter().map(|e| e.name.as_str()).collect();
            return output::usage_error(
                Format::Text,
                &format!("no environment `{env}` in the spec"),
                &format!("one of: {}", names.join(", ")),
            );
        }
    }
    let owners: targets::Owners = model
        .accounts
        .iter()
        .map(|a| {
            (
                a.name.clone(),
                (
                    a.domain.map(|d| model.domain(d).name.clone()),
                    a.environment.map(|e| model.environment(e).name.clone()),
                ),
            )
        })
        .collect();
    let home = model.region(model.organization.home_region).name.clone();
    let mut regions = vec![home.clone()];
    for r in &model.guardrails.allowed_regions {
        let name = model.region(*r).name.clone();
        if !regions.contains(&name) {
            regions.push(name);
        }
    }
    let options = args.live.options(args.concurrency);
    let runtime = landfall_live::runtime().context("cannot start the async runtime")?;
    let found = runtime.block_on(async {
        let session = landfall_live::Session::connect(landfall_live::ConnectOptions {
            endpoint_url: options.endpoint_url.clone(),
            profile: options.profile.clone(),
            home_region: home.clone(),
            max_attempts: 3,
        })
        .await;
        targets::read(
            &session,
            &owners,
            &regions,
            args.env.as_deref(),
            args.concurrency,
        )
        .await
    })?;
    let text = match args.format {
        TargetsFormat::Csv => targets::render_csv(&found.targets),
        TargetsFormat::Json => format!("{:#}\n", serde_json::json!(found)),
        TargetsFormat::Nessus => targets::render_nessus(&found.targets),
    };
    output::print_stdout(&text)?;
    for e in &found.errors {
        eprintln!("error: {e}");
    }
    Ok(if found.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "error: the list is incomplete: {} read(s) failed (listed above)",
            found.errors.len()
        );
        ExitCode::from(INCOMPLETE)
    })
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
