//! One module per command; `run` dispatches.

pub mod check;
mod iam;
mod init;
mod limits;
pub mod net;
pub mod rules;
mod schema;
mod show;
mod synth;
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
        Command::Net(args) => net::run(&args),
        Command::Synth(args) => synth::run(&args),
        Command::Iam(command) => iam::run(command),
        Command::Check(args) => check::run(&args),
        Command::Rules(args) => rules::run(&args),
    }
}

/// Exit code 1: the input has problems.
pub const INVALID: u8 = 1;
