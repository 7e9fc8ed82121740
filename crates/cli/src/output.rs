//! Printing diagnostics and loading the spec a command works on.

use std::io::{IsTerminal, Write};

use anyhow::Context;
use landfall_diagnostics::{render_human, render_json, RenderOptions};
use landfall_model::Resolved;

use std::process::ExitCode;

use crate::args::{ColorChoice, Format, SpecArgs};

/// Loads and resolves the spec named by `--spec`, or the reference platform.
/// Errors only when the directory cannot be read at all.
/// Set when the spec was found in the current directory rather than given.
static DISCOVERED: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

/// Without `--spec` and `LANDFALL_SPEC`, a `landfall.yaml` in the current
/// directory makes it the spec (as `cargo` finds `Cargo.toml`): commands run
/// inside a spec directory use it, not the built-in reference platform.
/// Runs before argument parsing, which reads `LANDFALL_SPEC`.
pub fn discover_spec() {
    if std::env::var_os("LANDFALL_SPEC").is_some() {
        return;
    }
    let Ok(cwd) = std::env::current_dir() else {
        return;
    };
    if cwd.join("landfall.yaml").is_file() {
        std::env::set_var("LANDFALL_SPEC", &cwd);
        let _ = DISCOVERED.set(cwd);
    }
}

/// Says which spec a command reads when the user did not name one.
pub fn say_which_spec(spec: Option<&std::path::Path>) {
    match spec {
        None => eprintln!(
            "note: no --spec and no landfall.yaml here: using the built-in reference platform"
        ),
        Some(dir) if DISCOVERED.get().is_some_and(|d| d == dir) => {
            eprintln!(
                "note: using the spec in the current directory (`{}`)",
                dir.display()
            );
        }
        Some(_) => {}
    }
}

pub fn load(args: &SpecArgs) -> anyhow::Result<Resolved> {
    say_which_spec(args.spec.as_deref());
    match &args.spec {
        None => Ok(landfall_model::reference()),
        Some(dir) => landfall_model::load_dir(dir)
            .map_err(anyhow::Error::from)
            .with_context(|| "no spec loaded".to_owned()),
    }
}

/// Whether to colour what goes to stderr.
pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
        }
    }
}

/// Reports a spec's diagnostics. For people: on stderr, with a closing count.
/// With `--format json`, a spec with errors is reported as one JSON document
/// on stdout (`{"valid": false, "diagnostics": [...]}`) in place of the
/// command's output; warnings alone stay on stderr so stdout remains the
/// command's JSON.
pub fn print_diagnostics(resolved: &Resolved, args: &SpecArgs) -> anyhow::Result<()> {
    if args.format == Format::Json && resolved.diagnostics.has_errors() {
        let report = serde_json::json!({
            "valid": false,
            "errors": resolved.diagnostics.error_count(),
            "warnings": resolved.diagnostics.warning_count(),
            "diagnostics": diagnostics_json(resolved),
        });
        return print_stdout(&serde_json::to_string_pretty(&report)?);
    }
    print_diagnostics_text(resolved, args.color)
}

/// Whether to colour what goes to stdout (findings).
pub fn use_color_on_stdout(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
        }
    }
}

/// Prints diagnostics for people on stderr, with a closing count.
pub fn print_diagnostics_text(resolved: &Resolved, color: ColorChoice) -> anyhow::Result<()> {
    let diagnostics: Vec<_> = resolved.diagnostics.iter().cloned().collect();
    if diagnostics.is_empty() {
        return Ok(());
    }
    let text = render_human(
        &diagnostics,
        &resolved.loaded.sources,
        RenderOptions {
            color: use_color(color),
            width: 100,
        },
    );
    let mut stderr = std::io::stderr().lock();
    stderr.write_all(text.as_bytes())?;
    writeln!(stderr, "{}", summary(resolved))?;
    Ok(())
}

/// `found 2 errors and 1 warning in 3 files`.
pub fn summary(resolved: &Resolved) -> String {
    let errors = resolved.diagnostics.error_count();
    let warnings = resolved.diagnostics.warning_count();
    let mut files: Vec<_> = resolved
        .diagnostics
        .iter()
        .filter_map(|d| d.primary_file())
        .collect();
    files.sort();
    files.dedup();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "found {} and {} in {}",
        plural(errors, "error"),
        plural(warnings, "warning"),
        plural(files.len(), "file")
    )
}

pub fn diagnostics_json(resolved: &Resolved) -> serde_json::Value {
    let diagnostics: Vec<_> = resolved.diagnostics.iter().cloned().collect();
    render_json(&diagnostics, &resolved.loaded.sources)
}

/// Writes to stdout, treating a closed pipe as the end of output.
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        stdout.write_all(b"\n")?;
    }
    stdout.flush()?;
    Ok(())
}

/// Exit code 2, the usage convention: the command line names something that
/// does not exist or is malformed. The message says what is wrong, `help`
/// what would be right; with `--format json` both go to stdout as
/// `{"errors": [{"code": "usage", "message", "help"}]}`.
pub fn usage_error(format: Format, message: &str, help: &str) -> anyhow::Result<ExitCode> {
    match format {
        Format::Json => {
            let report = serde_json::json!({
                "errors": [{ "severity": "error", "code": "usage", "message": message, "help": help }],
            });
            print_stdout(&serde_json::to_string_pretty(&report)?)?;
        }
        Format::Text if help.is_empty() => eprintln!("error: {message}"),
        Format::Text => eprintln!("error: {message}\n  help: {help}"),
    }
    Ok(ExitCode::from(USAGE))
}

/// Exit code for a command line that is wrong (see `usage_error`).
pub const USAGE: u8 = 2;
