//! Writes a synthetic spec directory, for timing the `landfall` binary on
//! large organizations (`scripts/bench-synth-large.sh`).
//!
//!     cargo run -p landfall-testkit --example write-spec -- DIR ACCOUNTS SERVICES

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(accounts), Some(services)) = (
        args.first(),
        args.get(1).and_then(|a| a.parse().ok()),
        args.get(2).and_then(|a| a.parse().ok()),
    ) else {
        eprintln!("usage: write-spec DIR ACCOUNTS SERVICES");
        return ExitCode::from(2);
    };
    let dir = std::path::Path::new(dir);
    for (name, text) in landfall_testkit::synthetic_workloads(accounts, services) {
        let path = dir.join(&name);
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, text));
        if let Err(e) = written {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
