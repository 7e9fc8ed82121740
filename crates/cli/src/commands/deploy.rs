//! `landfall deploy`: apply the plan to the live platform, after showing it.
//!
//! Exit codes: 0 when everything planned was applied, 1 when the plan has
//! errors (nothing is applied), the plan was declined at the prompt, or a
//! part of the platform failed or was left out, 2 on usage, I/O and AWS
//! errors.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use landfall_live::{Engine, LiveOptions, Platform, Progress};

use super::plan::{LiveArgs, WorkloadArgs};
use crate::output;

#[derive(Debug, Clone, Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub live: LiveArgs,
    #[command(flatten)]
    pub workloads: WorkloadArgs,
    /// Apply without asking.
    #[arg(long)]
    pub yes: bool,
    /// Also delete the plan's retirements: stacks, StackSets and StackSet
    /// instances of the platform that are live but no longer in the spec
    /// (dependents first). Without it they are listed and kept.
    #[arg(long)]
    pub delete_retired: bool,
    /// Where to record each change as it is applied (JSON lines); by
    /// default `.landfall/deploy-<unix time>.jsonl` in the spec directory
    /// (the current directory for the reference platform). An interrupted
    /// deploy leaves it as the record of what it did.
    #[arg(long, value_name = "PATH")]
    pub journal: Option<std::path::PathBuf>,
    /// Stacks deployed at once within a wave.
    #[arg(long, default_value_t = landfall_live::deploy::STACK_CONCURRENCY, value_name = "N")]
    pub concurrency: usize,
    /// Output format: `json` prints one document on stdout, the plan and
    /// what the deploy did (progress stays on stderr).
    #[arg(long, value_enum, default_value_t = super::plan::PlanFormat::Text)]
    pub format: super::plan::PlanFormat,
}

pub async fn engine(options: &LiveOptions, platform: &Platform) -> Engine {
    let session = landfall_live::connect(options, &platform.desired).await;
    Engine::new(
        session,
        platform,
        options.waits(),
        Progress::new(options.progress),
    )
}

/// Asks on stdin; `None` when there is no one to ask.
fn confirm() -> Option<bool> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return None;
    }
    eprint!("apply these changes? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    stdin.lock().read_line(&mut line).ok()?;
    Some(matches!(line.trim(), "y" | "Y" | "yes"))
}

pub fn run(args: &DeployArgs) -> anyhow::Result<ExitCode> {
    let json = args.format == super::plan::PlanFormat::Json;
    let prepared = match super::plan::prepare(&args.live, args.workloads.layers(), json)? {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let options = args.live.options(1);
    let runtime = landfall_live::runtime().context("cannot start the async runtime")?;
    let yes = args.yes;
    runtime.block_on(async {
        let mut engine = engine(&options, &prepared.platform).await;
        engine.delete_retired = args.delete_retired;
        engine.stack_concurrency = args.concurrency.max(1);
        let journal_path = args.journal.clone().unwrap_or_else(|| {
            landfall_live::journal::Journal::default_path(
                args.live.spec.as_deref().unwrap_or(std::path::Path::new(".")),
            )
        });
        let (plan, _) = engine.plan().await?;
        let json = args.format == super::plan::PlanFormat::Json;
        // As JSON, the plan goes out once, with the report, at the end.
        let print_json = |report: Option<&landfall_live::deploy::DeployReport>| {
            output::print_stdout(&serde_json::to_string_pretty(
                &serde_json::json!({ "plan": &plan, "report": report }),
            )?)
        };
        if json {
            eprint!("{}", plan.render());
        } else {
            output::print_stdout(&plan.render())?;
        }
        if plan.blocked() {
            eprintln!("nothing changed: the plan has errors (above)");
            if json {
                print_json(None)?;
            }
            return Ok(ExitCode::from(super::INVALID));
        }
        let deletes = args.delete_retired && !plan.retirements.is_empty();
        if (!plan.is_empty() || plan.lockfile.is_some() || deletes) && !yes {
            match confirm() {
                Some(true) => {}
                Some(false) => {
                    eprintln!("nothing changed: the plan was not applied");
                    return Ok(ExitCode::from(super::INVALID));
                }
                None => {
                    eprintln!("error: deploy needs confirmation and stdin is not a terminal: pass --yes to apply the plan above");
                    return Ok(ExitCode::from(2));
                }
            }
        }
        let journal = landfall_live::journal::Journal::create(&journal_path)
            .with_context(|| format!("cannot create the journal `{}`", journal_path.display()))?;
        eprintln!("journal: {} (every change, as it is applied)", journal_path.display());
        engine.journal = Some(std::sync::Arc::new(journal));
        // Ctrl-C: say what was applied (the journal has each change) and
        // what still runs, instead of vanishing mid-wave.
        let report = tokio::select! {
            report = engine.deploy(&plan) => report?,
            _ = tokio::signal::ctrl_c() => {
                eprintln!("{}", interrupted(&journal_path));
                return Ok(ExitCode::from(INTERRUPTED));
            }
        };
        if json {
            eprint!("{}", report.render());
            print_json(Some(&report))?;
        } else {
            output::print_stdout(&report.render())?;
        }
        Ok(if report.ok() { ExitCode::SUCCESS } else { ExitCode::from(1) })
    })
}

/// Exit code of a deploy stopped with Ctrl-C (128 + SIGINT, as shells do).
const INTERRUPTED: u8 = 130;

/// What an interrupted deploy had done, from its journal.
fn interrupted(journal: &std::path::Path) -> String {
    let events = landfall_live::journal::Journal::read(journal).unwrap_or_default();
    let of = |kind: &str| -> Vec<String> {
        events
            .iter()
            .filter(|e| e["event"] == kind)
            .filter_map(|e| e["detail"].as_str().map(str::to_owned))
            .collect()
    };
    let applied = of("applied");
    let failed = of("failed");
    let mut out = format!(
        "interrupted: {} change(s) applied, {} failed before the interrupt (each recorded in {})",
        applied.len(),
        failed.len(),
        journal.display()
    );
    for change in applied.iter().rev().take(5).rev() {
        out.push_str(&format!("\n  applied: {change}"));
    }
    out.push_str(
        "\nstack operations already started go on in CloudFormation; `landfall plan` shows what is left, and `landfall deploy` resumes",
    );
    out
}
