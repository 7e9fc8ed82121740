//! `landfall plan`: what `landfall deploy` would change in the live
//! platform, read through the AWS APIs; changes nothing. Also the shared
//! set-up of the live commands (`deploy`, `audit`).

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use landfall_live::{LiveOptions, Platform};

use crate::args::{ColorChoice, SpecArgs};
use crate::output;

/// Where the live platform is and who we are there.
#[derive(Debug, Clone, Args)]
pub struct LiveArgs {
    /// Spec directory; defaults to the built-in reference platform.
    #[arg(long, value_name = "DIR")]
    pub spec: Option<std::path::PathBuf>,
    /// Colour diagnostics: auto, always, never.
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

impl LiveArgs {
    fn spec_args(&self) -> SpecArgs {
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

/// Loads, resolves, plans addresses and synthesizes; on a spec problem
/// prints the diagnostics and returns the exit code.
pub fn prepare(args: &LiveArgs) -> anyhow::Result<Result<Prepared, ExitCode>> {
    let options = args.options(1);
    let mut resolved = output::load(&args.spec_args())?;
    let lockfile = landfall_synth::platform::lockfile_text(args.spec.as_deref())
        .context("cannot read the spec's lockfile")?;
    let compiled = landfall_synth::platform::compile(&mut resolved, lockfile, Default::default());
    let (Some(compiled), Some(model)) = (compiled, resolved.model.as_ref()) else {
        output::print_diagnostics(&resolved, args.color)?;
        return Ok(Err(ExitCode::from(super::INVALID)));
    };
    Ok(Ok(Prepared {
        platform: Platform::new(model, &compiled, options.compat()),
        settings: landfall_rules::Settings::from_model(model),
    }))
}

pub fn run(args: &LiveArgs) -> anyhow::Result<ExitCode> {
    let prepared = match prepare(args)? {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let options = args.options(1);
    let runtime = landfall_live::runtime().context("cannot start the async runtime")?;
    let plan = runtime.block_on(async {
        let engine = super::deploy::engine(&options, &prepared.platform).await;
        engine.plan().await
    })?;
    output::print_stdout(&plan.0.render())?;
    Ok(ExitCode::SUCCESS)
}
