//! `landfall validate`: every problem of a spec, located, in one run.

use std::process::ExitCode;

use crate::args::{Format, SpecArgs};
use crate::output;

pub fn run(args: &SpecArgs) -> anyhow::Result<ExitCode> {
    let mut resolved = output::load(args)?;
    // The address plan's checks too (an address space that cannot hold the
    // plan, more domains than address slots): what `net` and `synth` would
    // refuse, `validate` reports in the same run.
    if resolved.model.is_some() && !resolved.diagnostics.has_errors() {
        let lockfile = landfall_synth::platform::lockfile_text(args.spec.as_deref())?;
        let mut lock = None;
        if let Some((name, text)) = &lockfile {
            let file = resolved.loaded.sources.add(name.clone(), text.as_str());
            match landfall_netplan::Lockfile::parse(text, file) {
                Ok(parsed) => lock = Some(parsed),
                Err(diagnostics) => resolved.diagnostics.extend(diagnostics),
            }
        }
        if let Some(model) = resolved.model.as_ref() {
            let planned = landfall_netplan::plan(
                model,
                &resolved.loaded,
                lock.as_ref(),
                landfall_netplan::PlanOptions::default(),
            );
            resolved.diagnostics.extend(planned.diagnostics);
        }
    }
    // What the spec says about monitoring must hold together too (an
    // automatic-remediation alert that no rule raises, ...): the same checks
    // `landfall synth` refuses to write on.
    if let Some(bundle) = resolved
        .model
        .as_ref()
        .and_then(landfall_observability::generate)
    {
        let findings = landfall_observability::checks::check(&bundle);
        let diagnostics: Vec<_> = findings
            .iter()
            .map(|f| f.to_diagnostic(&resolved.loaded))
            .collect();
        resolved.diagnostics.extend(diagnostics);
    }
    // And the log and trace pipelines (every service routed, topics big
    // enough, every remap program compiles, retention as the spec says).
    if let Some(bundle) = resolved
        .model
        .as_ref()
        .and_then(landfall_telemetry::generate)
    {
        let diagnostics: Vec<_> = landfall_telemetry::checks::check(&bundle)
            .iter()
            .map(|f| f.to_diagnostic(&resolved.loaded))
            .collect();
        resolved.diagnostics.extend(diagnostics);
    }
    // The AWS quotas the workload layer would exceed (listener rules of a
    // domain's load balancer, network interfaces, ...), as `synth` does.
    if let Some(model) = resolved.model.as_ref() {
        let problems = landfall_workloads::quotas::problems(model, &model.limits);
        let diagnostics: Vec<_> = problems
            .iter()
            .map(|p| p.to_diagnostic(&resolved.loaded))
            .collect();
        resolved.diagnostics.extend(diagnostics);
    }
    let valid = !resolved.diagnostics.has_errors();
    match args.format {
        Format::Json => {
            let report = serde_json::json!({
                "valid": valid,
                "errors": resolved.diagnostics.error_count(),
                "warnings": resolved.diagnostics.warning_count(),
                "files": resolved.loaded.sources.len(),
                "diagnostics": output::diagnostics_json(&resolved),
            });
            output::print_stdout(&serde_json::to_string_pretty(&report)?)?;
        }
        Format::Text => {
            output::print_diagnostics(&resolved, args)?;
            if valid {
                let name = args.spec.as_ref().map_or_else(
                    || "the reference platform".to_owned(),
                    |p| format!("`{}`", p.display()),
                );
                let warnings = match resolved.diagnostics.warning_count() {
                    0 => String::new(),
                    1 => ", with 1 warning".to_owned(),
                    n => format!(", with {n} warnings"),
                };
                eprintln!(
                    "{name} is valid ({} files){warnings}",
                    resolved.loaded.sources.len()
                );
            }
        }
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::INVALID)
    })
}
