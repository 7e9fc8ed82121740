//! `landfall deploy`: apply the plan to the live platform, after showing it.

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
}

pub async fn engine(options: &LiveOptions, platform: &Platform) -> Engine {
    let session = landfall_live::connect(options, &platform.desired).await;
    Engine {
        session,
        desired: std::sync::Arc::new(platform.desired.clone()),
        waits: options.waits(),
        progress: Progress::new(options.progress),
        trusted_services: platform.trusted_services.clone(),
    }
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
    let prepared = match super::plan::prepare(&args.live, args.workloads.layers())? {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let options = args.live.options(1);
    let runtime = landfall_live::runtime().context("cannot start the async runtime")?;
    let yes = args.yes;
    runtime.block_on(async {
        let engine = engine(&options, &prepared.platform).await;
        let (plan, _) = engine.plan().await?;
        output::print_stdout(&plan.render())?;
        if !plan.is_empty() && !yes {
            match confirm() {
                Some(true) => {}
                Some(false) => {
                    eprintln!("nothing changed");
                    return Ok(ExitCode::SUCCESS);
                }
                None => {
                    eprintln!("error: deploy needs confirmation and stdin is not a terminal: pass --yes to apply the plan above");
                    return Ok(ExitCode::from(2));
                }
            }
        }
        let report = engine.deploy(&plan).await?;
        output::print_stdout(&report.render())?;
        Ok(if report.ok() { ExitCode::SUCCESS } else { ExitCode::from(1) })
    })
}
