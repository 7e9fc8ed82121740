//! `landfall limits`: the AWS limits table and the values in force.

use std::fmt::Write as _;
use std::process::ExitCode;

use crate::args::{Format, SpecArgs};
use crate::output;

pub fn run(args: &SpecArgs) -> anyhow::Result<ExitCode> {
    let resolved = output::load(args)?;
    let in_force = resolved.model.as_ref().map(|m| m.limits.clone());
    if in_force.is_none() {
        output::print_diagnostics(&resolved, args)?;
        return Ok(ExitCode::from(super::INVALID));
    }
    let limits = in_force.unwrap_or_default();
    // How much of the quotas the workload layer can exceed this spec uses.
    let used = resolved
        .model
        .as_ref()
        .map(|m| landfall_workloads::quotas::highest(m, &limits))
        .unwrap_or_default();
    let used_of = |key: &str| used.iter().find(|q| q.key == key);
    match args.format {
        Format::Json => {
            let rows: Vec<_> = landfall_model::LIMITS
                .iter()
                .map(|info| {
                    serde_json::json!({
                        "key": info.key,
                        "value": limits.get(info.key),
                        "used": used_of(info.key).map(|q| q.used),
                        "used_at": used_of(info.key).map(|q| q.at.clone()),
                        "aws_default": info.default,
                        "description": info.description,
                        "source": info.source,
                    })
                })
                .collect();
            output::print_stdout(&serde_json::to_string_pretty(&rows)?)?;
        }
        Format::Text => {
            let mut out = String::new();
            let width = landfall_model::LIMITS
                .iter()
                .map(|l| l.key.len())
                .max()
                .unwrap_or(0);
            let _ = writeln!(
                out,
                "{:<width$}  {:>9}  {:>9}   description",
                "limit", "used", "in force"
            );
            for info in landfall_model::LIMITS {
                let value = limits.get(info.key).unwrap_or(info.default);
                let raised = if value == info.default {
                    String::new()
                } else {
                    format!(" (AWS default {})", info.default)
                };
                let used = used_of(info.key)
                    .map(|q| format!("{:>9}", format!("{}", q.used)))
                    .unwrap_or_else(|| format!("{:>9}", "-"));
                let _ = writeln!(
                    out,
                    "{:<width$}  {used}  {value:>9}{raised}  {}",
                    info.key, info.description
                );
            }
            output::print_stdout(&out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
