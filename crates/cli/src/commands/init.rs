//! `landfall init DIR`: the reference platform as a starting point.

use std::process::ExitCode;

use anyhow::Context;

use crate::args::InitArgs;

pub fn run(args: &InitArgs) -> anyhow::Result<ExitCode> {
    if !args.force {
        let existing: Vec<_> = landfall_spec::REFERENCE_FILES
            .iter()
            .map(|(name, _)| args.dir.join(name))
            .filter(|path| path.exists())
            .collect();
        if let Some(first) = existing.first() {
            anyhow::bail!(
                "`{}` exists ({} of the files to write already do); pass --force to overwrite",
                first.display(),
                existing.len()
            );
        }
    }
    let written = landfall_spec::write_reference(&args.dir)
        .with_context(|| format!("cannot write the spec into `{}`", args.dir.display()))?;
    eprintln!(
        "wrote the reference platform ({} files) to `{}`; check it with `landfall validate --spec {}`",
        written.len(),
        args.dir.display(),
        args.dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
