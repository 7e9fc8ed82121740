//! `landfall rules`: the rule registry. No argument lists every rule; a code
//! or name explains one.

use std::process::ExitCode;

use clap::Args;

use crate::output;

#[derive(Debug, Clone, Args)]
pub struct RulesArgs {
    /// A rule code (`LF101`) or name (`unencrypted-ebs-volume`) to explain.
    #[arg(value_name = "RULE")]
    pub rule: Option<String>,
}

pub fn run(args: &RulesArgs) -> anyhow::Result<ExitCode> {
    match &args.rule {
        None => {
            output::print_stdout(&landfall_rules::docs::list())?;
            Ok(ExitCode::SUCCESS)
        }
        Some(code) => match landfall_rules::rule_by_code(code) {
            Some(rule) => {
                output::print_stdout(&landfall_rules::docs::explain(&rule))?;
                Ok(ExitCode::SUCCESS)
            }
            None => {
                let names: Vec<&str> = landfall_rules::RULES
                    .iter()
                    .flat_map(|r| [r.code, r.rule.meta().name])
                    .collect();
                let hint = landfall_diagnostics::suggestion(code, names.iter().copied())
                    .map(|s| format!(": did you mean `{s}`?"))
                    .unwrap_or_default();
                eprintln!("error: no rule `{code}`{hint}");
                Ok(ExitCode::from(2))
            }
        },
    }
}
