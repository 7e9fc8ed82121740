//! `landfall iam ...`: the offline IAM policy engine.

use std::io::Write;
use std::process::ExitCode;

use landfall_iam::simulate::{simulate_command, OutputFormat};

use crate::args::{Format, IamCommand, SimulateArgs};

pub fn run(command: IamCommand) -> anyhow::Result<ExitCode> {
    match command {
        IamCommand::Simulate(args) => simulate(&args),
    }
}

/// Exit codes: 0 allowed, 1 denied, 2 the request file could not be read.
fn simulate(args: &SimulateArgs) -> anyhow::Result<ExitCode> {
    let format = match args.format {
        Format::Text => OutputFormat::Text,
        Format::Json => OutputFormat::Json,
    };
    let output = simulate_command(&args.input, format);
    std::io::stdout()
        .lock()
        .write_all(output.stdout.as_bytes())?;
    std::io::stderr()
        .lock()
        .write_all(output.stderr.as_bytes())?;
    Ok(ExitCode::from(output.exit_code))
}
