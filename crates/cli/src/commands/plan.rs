//! `landfall plan`: what `landfall deploy` would change in the live
//! platform, read through the AWS APIs; changes nothing. Also the shared
//! set-up of the live commands (`deploy`, `audit`).

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use landfall_live::{LiveOptions, Platform};
use landfall_netplan::{Lockfile, PlanOptions, LOCKFILE_NAME};

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
    let spec_args = args.spec_args();
    let mut resolved = output::load(&spec_args)?;
    let lock_text = match &args.spec {
        Some(dir) => {
            let path = dir.join(LOCKFILE_NAME);
            match std::fs::read_to_string(&path) {
                Ok(text) => Some((path.display().to_string(), text)),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
                Err(error) => {
                    return Err(error).with_context(|| format!("cannot read `{}`", path.display()))
                }
            }
        }
        None => landfall_spec::REFERENCE_FILES
            .iter()
            .find(|(name, _)| *name == LOCKFILE_NAME)
            .map(|(_, text)| (format!("reference/{LOCKFILE_NAME}"), (*text).to_owned())),
    };
    let mut lock = None;
    if let Some((name, text)) = &lock_text {
        let file = resolved.loaded.sources.add(name.clone(), text.as_str());
        match Lockfile::parse(text, file) {
            Ok(parsed) => lock = Some(parsed),
            Err(diagnostics) => resolved.diagnostics.extend(diagnostics),
        }
    }
    let plan = match (&resolved.model, resolved.diagnostics.has_errors()) {
        (Some(model), false) => {
            let planned = landfall_netplan::plan(
                model,
                &resolved.loaded,
                lock.as_ref(),
                PlanOptions::default(),
            );
            resolved.diagnostics.extend(planned.diagnostics);
            planned.plan
        }
        _ => None,
    };
    let (Some(model), Some(plan), false) = (
        resolved.model.as_ref(),
        plan,
        resolved.diagnostics.has_errors(),
    ) else {
        output::print_diagnostics(&resolved, args.color)?;
        return Ok(Err(ExitCode::from(super::INVALID)));
    };
    match Platform::new(model, &plan, options.compat()) {
        Ok(platform) => Ok(Ok(Prepared {
            platform,
            settings: landfall_rules::Settings::from_model(model),
        })),
        Err(problems) => {
            for p in problems {
                eprintln!("error: {p}");
            }
            Ok(Err(ExitCode::from(super::INVALID)))
        }
    }
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
