//! `landfall net`: the address plan, as a table, JSON or an SVG picture, and
//! the `landfall.lock` that keeps it stable.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use landfall_netplan::{Lockfile, PlanOptions, LOCKFILE_NAME};

use crate::args::{ColorChoice, Format, SpecArgs};
use crate::output;

#[derive(Debug, Clone, Args)]
pub struct NetArgs {
    /// Spec directory; default: `LANDFALL_SPEC`, else the current directory when
    /// it holds `landfall.yaml`, else the built-in reference platform. Its
    /// `landfall.lock` is read, and written when the plan adds allocations.
    #[arg(long, value_name = "DIR", env = "LANDFALL_SPEC")]
    pub spec: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = NetFormat::Text)]
    pub format: NetFormat,
    /// Re-plan what the spec no longer agrees with in `landfall.lock` (those
    /// addresses move; every move is listed) instead of stopping with an error.
    #[arg(long)]
    pub update: bool,
    /// With `--update`: free the slots and addresses of environments, regions,
    /// domains and tiers the spec no longer has, so they can be reused.
    #[arg(long, requires = "update")]
    pub prune: bool,
    /// Colour: auto (when the output is a terminal and `NO_COLOR` is unset), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NetFormat {
    Text,
    Json,
    Svg,
}

pub fn run(args: &NetArgs) -> anyhow::Result<ExitCode> {
    let spec_args = SpecArgs {
        spec: args.spec.clone(),
        // Asked for JSON, a broken spec's errors are JSON on stdout.
        format: if args.format == NetFormat::Json {
            Format::Json
        } else {
            Format::Text
        },
        color: args.color,
    };
    // The lockfile next to the spec, or the reference platform's built-in one
    // (read-only: never written into the binary's data).
    let (lock_text, lock_path) = match &args.spec {
        Some(dir) => {
            let path = dir.join(LOCKFILE_NAME);
            match std::fs::read_to_string(&path) {
                Ok(text) => (Some(text), Some(path)),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => (None, Some(path)),
                Err(error) => {
                    return Err(error).with_context(|| format!("cannot read `{}`", path.display()))
                }
            }
        }
        None => {
            if args.update {
                anyhow::bail!(
                    "the built-in reference platform is read-only: write it out with `landfall init DIR`, then run `landfall net --spec DIR --update`"
                );
            }
            let embedded = landfall_spec::REFERENCE_FILES
                .iter()
                .find(|(name, _)| *name == LOCKFILE_NAME)
                .map(|(_, text)| (*text).to_owned());
            (embedded, None)
        }
    };
    let mut resolved = output::load(&spec_args)?;
    let lock = match &lock_text {
        Some(text) if resolved.model.is_some() => {
            let name = match &lock_path {
                Some(path) => path.display().to_string(),
                None => format!("reference/{LOCKFILE_NAME}"),
            };
            let file = resolved.loaded.sources.add(name, text.as_str());
            match Lockfile::parse(text, file) {
                Ok(lock) => Some(lock),
                Err(errors) => {
                    resolved.diagnostics.extend(errors);
                    output::print_diagnostics(&resolved, &spec_args)?;
                    return Ok(ExitCode::from(super::INVALID));
                }
            }
        }
        _ => None,
    };
    let Some(model) = resolved.model.as_ref() else {
        output::print_diagnostics(&resolved, &spec_args)?;
        return Ok(ExitCode::from(super::INVALID));
    };
    let planned = landfall_netplan::plan(
        model,
        &resolved.loaded,
        lock.as_ref(),
        PlanOptions {
            update: args.update,
            prune: args.prune,
        },
    );
    let plan = planned.plan;
    resolved.diagnostics.extend(planned.diagnostics);
    resolved.diagnostics.sort(&resolved.loaded.sources);
    let Some(plan) = plan else {
        output::print_diagnostics(&resolved, &spec_args)?;
        return Ok(ExitCode::from(super::INVALID));
    };
    output::print_diagnostics_text(&resolved, args.color)?;

    if lock.as_ref() != Some(&plan.lockfile) {
        let changes = match &lock {
            Some(old) => plan.lockfile.changes_from(old),
            None => plan.lockfile.changes_from(&Lockfile::default()),
        };
        let summary = format!(
            "{} added, {} moved, {} removed",
            changes.added.len(),
            changes.moved.len(),
            changes.removed.len()
        );
        match &lock_path {
            Some(path) => {
                std::fs::write(path, plan.lockfile.to_toml())
                    .with_context(|| format!("cannot write `{}`", path.display()))?;
                eprintln!("wrote {}: {summary}", path.display());
                for (name, from, to) in &changes.moved {
                    eprintln!("  moved {name}: {from} -> {to}");
                }
            }
            None => eprintln!(
                "note: the built-in reference lockfile does not record this plan ({summary}); it is read-only"
            ),
        }
    }

    let text = match args.format {
        NetFormat::Text => landfall_netplan::render::text(model, &plan),
        NetFormat::Json => {
            serde_json::to_string_pretty(&landfall_netplan::render::json(model, &plan))?
        }
        NetFormat::Svg => landfall_netplan::render::svg(model, &plan),
    };
    output::print_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}
