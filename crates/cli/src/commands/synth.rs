//! `landfall synth`: CloudFormation templates, StackSets and a deployment
//! manifest for the whole platform.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;

use crate::args::{Emit, Format, SynthArgs};
use crate::output;

pub fn run(args: &SynthArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let mut resolved = output::load(&args.spec)?;
    // The address plan follows the lockfile next to the spec (or the
    // reference platform's built-in one), so synthesized addresses match what
    // `landfall net` recorded.
    let layers = if args.service.is_empty() {
        crate::pipeline::Layers::PlatformAndWorkloads(None)
    } else {
        crate::pipeline::Layers::Services(args.service.iter().cloned().collect())
    };
    let compiled = crate::pipeline::compile(&mut resolved, args.spec.spec.as_deref(), layers)?;
    let (Some(compiled), Some(model)) = (compiled, resolved.model.as_ref()) else {
        output::print_diagnostics(&resolved, args.spec.color)?;
        return Ok(ExitCode::from(super::INVALID));
    };
    let graph = compiled.graph;
    if args.emit != Emit::Cloudformation {
        let options = landfall_terraform::Options {
            renames: args
                .rename
                .iter()
                .filter_map(|r| r.split_once('='))
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                .collect(),
            ..Default::default()
        };
        match landfall_terraform::emit(&graph, &options) {
            Ok(tf) => {
                landfall_terraform::write(&tf, &args.out)
                    .with_context(|| format!("cannot write to `{}`", args.out.display()))?;
                eprintln!(
                    "wrote {} Terraform root modules ({} resources) to `{}`; {} stacks have no Terraform form (see terraform/manifest.json)",
                    tf.modules,
                    tf.resources,
                    args.out.join("terraform").display(),
                    tf.skipped.len()
                );
            }
            Err(problems) => {
                for p in &problems {
                    eprintln!("error[terraform]: {p}");
                }
                return Ok(ExitCode::from(super::INVALID));
            }
        }
        if args.emit == Emit::Terraform {
            return Ok(ExitCode::SUCCESS);
        }
    }
    let emitted =
        landfall_synth::cloudformation::emit(&graph, &model.limits, Some(&resolved.loaded.sources));
    let emitted = match emitted {
        Ok(emitted) => emitted,
        Err(problems) => {
            resolved
                .diagnostics
                .extend(problems.iter().map(|p| p.to_diagnostic(&resolved.loaded)));
            output::print_diagnostics(&resolved, args.spec.color)?;
            return Ok(ExitCode::from(super::INVALID));
        }
    };
    output::print_diagnostics(&resolved, args.spec.color)?;
    landfall_synth::cloudformation::write(&emitted, &args.out)
        .with_context(|| format!("cannot write to `{}`", args.out.display()))?;
    let elapsed = started.elapsed();
    let summary = &emitted.summary;
    match args.spec.format {
        Format::Json => {
            let layers: serde_json::Map<String, serde_json::Value> = summary
                .layers
                .iter()
                .map(|(layer, c)| {
                    (
                        layer.name().to_owned(),
                        serde_json::json!({
                            "stacks": c.stacks,
                            "stack_sets": c.stack_sets,
                            "resources": c.resources,
                        }),
                    )
                })
                .collect();
            let report = serde_json::json!({
                "out": args.out.display().to_string(),
                "stacks": summary.stacks(),
                "stack_sets": summary.stack_sets(),
                "resources": summary.resources(),
                "waves": summary.waves,
                "s3_templates": summary.s3_templates,
                "largest_template_bytes": summary.largest_template_bytes,
                "layers": layers,
                "milliseconds": elapsed.as_secs_f64() * 1000.0,
            });
            output::print_stdout(&serde_json::to_string_pretty(&report)?)?;
        }
        Format::Text => {
            eprintln!(
                "wrote {} templates and manifest.json to `{}`\n{summary}\n  done in {:.1} ms",
                emitted.files.len().saturating_sub(1),
                args.out.display(),
                elapsed.as_secs_f64() * 1000.0
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
