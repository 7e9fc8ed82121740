//! One module per command; `run` dispatches.

#[cfg(feature = "live")]
pub mod access;
#[cfg(feature = "live")]
pub mod audit;
pub mod check;
pub mod cost;
#[cfg(feature = "live")]
pub mod deploy;
pub mod heal;
mod iam;
mod init;
mod limits;
pub mod net;
mod pipelines;
#[cfg(feature = "live")]
pub mod plan;
pub mod rules;
pub mod scan;
mod schema;
mod show;
mod synth;
mod validate;

use std::process::ExitCode;

use crate::args::{Cli, Command, ShowArgs};

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command.unwrap_or(Command::Show(ShowArgs::default())) {
        Command::Validate(args) => validate::run(&args),
        Command::Show(args) => show::run(&args),
        Command::Schema => schema::run(),
        Command::Init(args) => init::run(&args),
        Command::Limits(args) => limits::run(&args),
        Command::Net(args) => net::run(&args),
        Command::Synth(args) => synth::run(&args),
        Command::Pipelines(args) => pipelines::run(&args),
        Command::Iam(command) => iam::run(command),
        Command::Check(args) => check::run(&args),
        Command::Rules(args) => rules::run(&args),
        Command::Scan(command) => scan::run(command),
        Command::Heal(command) => heal::run(command),
        Command::Cost(command) => cost::run(command),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut command = crate::args::Cli::command();
            clap_complete::generate(shell, &mut command, "landfall", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        #[cfg(feature = "live")]
        Command::Plan(args) => plan::run(&args),
        #[cfg(feature = "live")]
        Command::Deploy(args) => deploy::run(&args),
        #[cfg(feature = "live")]
        Command::Audit(args) => audit::run(&args),
        #[cfg(feature = "live")]
        Command::Access(command) => access::run(command),
    }
}

/// Exit code 1: the input has problems.
pub const INVALID: u8 = 1;
