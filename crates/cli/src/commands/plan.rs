//! `landfall plan`: what `landfall deploy` would change in the live
//! platform, read through the AWS APIs; changes nothing. Also the shared
//! set-up of the live commands (`deploy`, `audit`).
//!
//! Exit codes: 0 when the plan can be applied, 1 when a stack parameter
//! cannot be resolved (its stack's deploy would fail) or the deploy would
//! refuse to start (a deployed platform without its `landfall.lock`,
//! planned addresses that live VPCs or subnets hold), 2 on usage, I/O and
//! AWS errors. With `--detailed-exitcode` (for CI, as Terraform): 0 nothing
//! to change, 2 changes, 1 anything else.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use landfall_live::{LiveOptions, Platform};

use crate::args::{ColorChoice, SpecArgs};
use crate::output;
use crate::pipeline::{Layers, WorkloadSelection};

/// Where the live platform is and who we are there.
#[derive(Debug, Clone, Args)]
pub struct LiveArgs {
    /// Spec directory; default: `LANDFALL_SPEC`, else the current directory when
    /// it holds `landfall.yaml`, else the built-in reference platform.
    #[arg(long, value_name = "DIR", env = "LANDFALL_SPEC")]
    pub spec: Option<std::path::PathBuf>,
    /// Colour: auto (when the output is a terminal and `NO_COLOR` is unset), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Send every AWS call to this endpoint (an emulator such as moto server).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Named profile from the AWS shared config files (SSO profiles included);
    /// otherwise the standard credential chain.
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// No progress lines on stderr.
    #[arg(long)]
    pub quiet: bool,
}

/// The workload stacks `plan` and `deploy` include besides the platform
/// layers.
#[derive(Debug, Clone, Default, Args)]
pub struct WorkloadArgs {
    /// Also the workload layer: every service's and data store's stacks,
    /// deployed after the platform stacks they read ids and outputs from.
    #[arg(long)]
    pub workloads: bool,
    /// Also this service's workload stacks (repeatable): its stacks, its
    /// account's shared stack and the data stores it uses. Unlike
    /// `synth --service`, the platform layers stay in the plan.
    #[arg(long, value_name = "NAME")]
    pub service: Vec<String>,
    /// Only the workload stacks of this environment (repeatable; implies
    /// `--workloads`): a deploy that goes through the environments one at
    /// a time. Workload stacks of other environments are left as they are.
    #[arg(long, value_name = "NAME")]
    pub environment: Vec<String>,
}

impl WorkloadArgs {
    pub fn layers(&self) -> Layers {
        let set = |names: &[String]| (!names.is_empty()).then(|| names.iter().cloned().collect());
        if self.workloads || !self.service.is_empty() || !self.environment.is_empty() {
            Layers::PlatformAndWorkloads(WorkloadSelection {
                services: set(&self.service),
                environments: set(&self.environment),
            })
        } else {
            Layers::Platform
        }
    }
}

/// How `plan` prints the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    Text,
    /// Changes, retirements, blockers, notes and pending parameters as JSON.
    Json,
}

/// `landfall plan`'s arguments.
#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub live: LiveArgs,
    #[command(flatten)]
    pub workloads: WorkloadArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Exit codes for CI, as `terraform plan -detailed-exitcode`: 0 nothing
    /// to change, 2 changes to apply, 1 anything else (problems, errors).
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Read member accounts as the baseline's read-only audit role
    /// (`landfall/landfall-audit`) instead of the deploy role: for
    /// credentials that must not be able to write, such as the platform
    /// repository's plan role on a pull request.
    #[arg(long)]
    pub read_only: bool,
}

impl LiveArgs {
    pub fn spec_args(&self) -> SpecArgs {
        SpecArgs {
            spec: self.spec.clone(),
            color: self.color,
            ..SpecArgs::default()
        }
    }

    pub fn options(&self, concurrency: usize) -> LiveOptions {
        LiveOptions {
            endpoint_url: self.endpoint_url.clone(),
            profile: self.profile.clone(),
            progress: !self.quiet,
            concurrency,
        }
    }
}

/// The spec, compiled offline into what the live commands compare against.
pub struct Prepared {
    pub platform: Platform,
    pub settings: landfall_rules::Settings,
}

/// Loads, resolves, plans addresses and synthesizes `layers`; on a spec
/// problem prints the diagnostics and returns the exit code.
/// `json`: the command was asked for JSON, so a broken spec's errors are
/// reported as JSON on stdout.
pub fn prepare(
    args: &LiveArgs,
    layers: Layers,
    json: bool,
) -> anyhow::Result<Result<Prepared, ExitCode>> {
    let options = args.options(1);
    let mut spec_args = args.spec_args();
    if json {
        spec_args.format = crate::args::Format::Json;
    }
    let mut resolved = output::load(&spec_args)?;
    let workloads_in_full =
        matches!(&layers, Layers::PlatformAndWorkloads(selection) if selection.is_all());
    let compiled = crate::pipeline::compile(&mut resolved, args.spec.as_deref(), layers)?;
    let (Some(compiled), Some(model)) = (compiled, resolved.model.as_ref()) else {
        output::print_diagnostics(&resolved, &spec_args)?;
        return Ok(Err(ExitCode::from(super::INVALID)));
    };
    let mut platform = Platform::new(model, &compiled, options.compat());
    platform.desired.workloads_in_full = workloads_in_full;
    if let Some(dir) = &args.spec {
        platform.lockfile = Some(
            landfall_live::LockfileUse::beside(dir, &compiled.plan.lockfile)
                .with_context(|| format!("cannot read the lockfile beside `{}`", dir.display()))?,
        );
    }
    Ok(Ok(Prepared {
        platform,
        settings: landfall_rules::Settings::from_model(model),
    }))
}

pub fn run(args: &PlanArgs) -> anyhow::Result<ExitCode> {
    if !args.detailed_exitcode {
        return plan(args);
    }
    // Under `--detailed-exitcode` 2 means "changes", so an error that would
    // exit 2 elsewhere exits 1 here.
    match plan(args) {
        Ok(code) => Ok(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            Ok(ExitCode::from(super::INVALID))
        }
    }
}

fn plan(args: &PlanArgs) -> anyhow::Result<ExitCode> {
    let json = args.format == PlanFormat::Json;
    let prepared = match prepare(&args.live, args.workloads.layers(), json)? {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let options = args.live.options(1);
    let runtime = landfall_live::runtime().context("cannot start the async runtime")?;
    let (plan, _) = runtime.block_on(async {
        let mut engine = super::deploy::engine(&options, &prepared.platform).await;
        if args.read_only {
            engine = engine.read_only();
        }
        engine.plan().await
    })?;
    match args.format {
        PlanFormat::Text => output::print_stdout(&plan.render())?,
        PlanFormat::Json => output::print_stdout(&format!(
            "{}\n",
            serde_json::to_string_pretty(&plan).context("cannot serialize the plan")?
        ))?,
    }
    let appliable = plan.problems.is_empty() && plan.held.is_empty() && !plan.blocked();
    Ok(match (appliable, args.detailed_exitcode) {
        (false, _) => ExitCode::from(super::INVALID),
        (true, true) if !plan.changes.is_empty() || !plan.retirements.is_empty() => {
            ExitCode::from(2)
        }
        (true, _) => ExitCode::SUCCESS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layers(args: &[&str]) -> Layers {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            workloads: WorkloadArgs,
        }
        let cli = <Cli as clap::Parser>::parse_from(
            std::iter::once("landfall").chain(args.iter().copied()),
        );
        cli.workloads.layers()
    }

    /// Only a plan of the whole workload layer may retire workload stacks
    /// (`Desired::workloads_in_full`): `--service` and `--environment`
    /// leave the rest of the layer out, not gone.
    #[test]
    fn only_the_whole_workload_layer_is_all_of_it() {
        assert_eq!(layers(&[]), Layers::Platform);
        let all =
            |args: &[&str]| matches!(layers(args), Layers::PlatformAndWorkloads(s) if s.is_all());
        assert!(all(&["--workloads"]));
        assert!(!all(&["--service", "order-gateway"]));
        assert!(!all(&["--environment", "dev"]));
        assert!(!all(&["--workloads", "--environment", "dev"]));
        assert_eq!(
            layers(&["--environment", "dev", "--environment", "staging"]),
            Layers::PlatformAndWorkloads(WorkloadSelection {
                services: None,
                environments: Some(["dev".to_owned(), "staging".to_owned()].into()),
            })
        );
    }
}
