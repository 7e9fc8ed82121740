//! `landfall rules`: the rule registry. No argument lists every rule; a code
//! or name explains one.

use std::process::ExitCode;

use clap::Args;

use crate::args::Format;
use crate::output;

#[derive(Debug, Clone, Args)]
pub struct RulesArgs {
    /// A rule code (`LF101`) or name (`unencrypted-ebs-volume`) to explain.
    #[arg(value_name = "RULE")]
    pub rule: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(args: &RulesArgs) -> anyhow::Result<ExitCode> {
    match &args.rule {
        None => {
            let text = match args.format {
                Format::Text => landfall_rules::docs::list(),
                Format::Json => serde_json::to_string_pretty(
                    &landfall_rules::RULES
                        .iter()
                        .map(landfall_rules::docs::to_json)
                        .collect::<Vec<_>>(),
                )?,
            };
            output::print_stdout(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(code) => match landfall_rules::rule_by_code(code) {
            Some(rule) => {
                let text = match args.format {
                    Format::Text => landfall_rules::docs::explain(&rule),
                    Format::Json => {
                        serde_json::to_string_pretty(&landfall_rules::docs::to_json(&rule))?
                    }
                };
                output::print_stdout(&text)?;
                Ok(ExitCode::SUCCESS)
            }
            None => {
                let names: Vec<&str> = landfall_rules::RULES
                    .iter()
                    .flat_map(|r| [r.code, r.rule.meta().name])
                    .collect();
                let help = landfall_diagnostics::suggestion(code, names.iter().copied())
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| "`landfall rules` lists every rule".to_owned());
                output::usage_error(args.format, &format!("no rule `{code}`"), &help)
            }
        },
    }
}
