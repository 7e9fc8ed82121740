//! `landfall audit`: every member account and allowed region, inventoried
//! once, checked against every guardrail rule and against the spec.
//!
//! Exit codes: 0 everything was read and nothing found, 1 findings, 2 usage,
//! I/O and AWS errors, 3 the audit is incomplete (an account could not be
//! entered or a read failed), findings or not.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use landfall_live::{audit, Progress};

use super::plan::LiveArgs;
use crate::output;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    Text,
    Json,
    Sarif,
}

#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub live: LiveArgs,
    /// Output format of the findings.
    #[arg(long, value_enum, default_value_t = AuditFormat::Text)]
    pub format: AuditFormat,
    /// Account-regions inventoried at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Where `landfall-audit` cannot be assumed, audit the account as
    /// `OrganizationAccountAccessRole` (an administrator) instead of
    /// reporting it unreachable; each such account is named on stderr.
    #[arg(long)]
    pub allow_admin_audit: bool,
}

/// Exit code 3: part of the platform could not be read.
const INCOMPLETE: u8 = 3;

pub fn run(args: &AuditArgs) -> anyhow::Result<ExitCode> {
    let json = args.format != AuditFormat::Text;
    let prepared = match super::plan::prepare(&args.live, crate::pipeline::Layers::Platform, json)?
    {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let options = args.live.options(args.concurrency);
    let runtime = landfall_live::runtime().context("cannot start the async runtime")?;
    let report = runtime.block_on(async {
        let session = landfall_live::connect(&options, &prepared.platform.desired)
            .await
            .allow_admin_audit(args.allow_admin_audit);
        let report = audit::audit(
            &session,
            &prepared.platform.desired,
            &prepared.settings,
            options.concurrency.max(1),
            &Progress::new(options.progress),
        )
        .await;
        if !options.progress {
            // With progress on, each was a progress line already.
            for notice in session.notices() {
                eprintln!("note: {notice}");
            }
        }
        report
    })?;
    let text = match args.format {
        AuditFormat::Text => audit::render_text(&report),
        AuditFormat::Json => format!("{:#}\n", audit::render_json(&report)),
        AuditFormat::Sarif => format!("{:#}\n", audit::render_sarif(&report)),
    };
    output::print_stdout(&text)?;
    Ok(if !report.complete() {
        eprintln!(
            "error: the audit is incomplete: {} read(s) failed (listed above); a clean result would not mean a clean platform",
            report.unseen().len()
        );
        ExitCode::from(INCOMPLETE)
    } else if report.findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
