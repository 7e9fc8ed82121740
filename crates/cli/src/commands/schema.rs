//! `landfall schema`: the JSON Schema of spec files.

use std::process::ExitCode;

use crate::output;

pub fn run() -> anyhow::Result<ExitCode> {
    let schema = landfall_spec::schema::spec_schema();
    output::print_stdout(&serde_json::to_string_pretty(schema)?)?;
    Ok(ExitCode::SUCCESS)
}
