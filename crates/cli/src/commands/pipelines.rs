//! `landfall pipelines`: the generated pipeline of one repository, or the
//! list of repositories that get one (what `synth` writes under
//! `pipelines/`).

use std::process::ExitCode;

use crate::args::{Format, PipelinesArgs};
use crate::output;

pub fn run(args: &PipelinesArgs) -> anyhow::Result<ExitCode> {
    let resolved = output::load(&args.spec)?;
    let Some(model) = resolved.model.as_ref() else {
        output::print_diagnostics(&resolved, &args.spec)?;
        return Ok(ExitCode::from(super::INVALID));
    };
    let files = landfall_pipelines::generate(model);
    let Some(repository) = &args.repository else {
        let names = landfall_pipelines::repositories(model);
        let text = match args.spec.format {
            Format::Text => names.join("\n") + "\n",
            Format::Json => serde_json::to_string_pretty(&names)? + "\n",
        };
        output::print_stdout(&text)?;
        return Ok(ExitCode::SUCCESS);
    };
    let own: Vec<_> = files
        .iter()
        .filter(|f| &f.repository == repository)
        .collect();
    if own.is_empty() {
        let names = landfall_pipelines::repositories(model);
        let help = landfall_diagnostics::suggestion(repository, names.iter().map(String::as_str))
            .map(|s| format!("did you mean `{s}`?"))
            .unwrap_or_else(|| "`landfall pipelines` lists the repositories".to_owned());
        return output::usage_error(
            args.spec.format,
            &format!("no pipeline for a repository `{repository}`"),
            &help,
        );
    }
    let text = match args.spec.format {
        // The workflow; the other files with `--format json`.
        Format::Text => own
            .iter()
            .filter(|f| f.path.starts_with(".github/workflows/"))
            .map(|f| f.contents.clone())
            .collect::<Vec<_>>()
            .join("\n"),
        Format::Json => {
            let files: Vec<_> = own
                .iter()
                .map(|f| serde_json::json!({ "path": f.path, "contents": f.contents }))
                .collect();
            serde_json::to_string_pretty(
                &serde_json::json!({ "repository": repository, "files": files }),
            )? + "\n"
        }
    };
    output::print_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}
