//! One module per command; `run` dispatches.

mod iam;
mod init;
mod limits;
mod schema;
mod show;
mod validate;

use std::process::ExitCode;

use crate::args::{Cli, Command, SpecArgs};

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command.unwrap_or(Command::Show(SpecArgs::default())) {
        Command::Validate(args) => validate::run(&args),
        Command::Show(args) => show::run(&args),
        Command::Schema => schema::run(),
        Command::Init(args) => init::run(&args),
        Command::Limits(args) => limits::run(&args),
        Command::Iam(command) => iam::run(command),
    }
}

/// Exit code 1: the input has problems.
pub const INVALID: u8 = 1;
