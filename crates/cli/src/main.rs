//! `landfall`: the command-line front end. Glue only: parse arguments, call
//! the library crates, print, and map the outcome to an exit code
//! (0 clean, 1 problems found in the input, 2 the command line is wrong or a
//! file cannot be read, 3 an audit that could not read everything; the
//! README's table).

mod args;
mod commands;
mod output;
mod pipeline;

use std::process::ExitCode;

use clap::Parser;

// The emitters build and drop millions of small JSON nodes; mimalloc does
// that in about half the time of the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    output::discover_spec();
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(error) => {
            // Broken pipes (`landfall show | head`) end quietly.
            if error
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
