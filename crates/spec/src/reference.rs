//! The reference platform: the blueprint's company as a spec, built in.

use landfall_diagnostics::Diagnostics;

use crate::load::{load_files, LoadedSpec};

include!(concat!(env!("OUT_DIR"), "/reference_files.rs"));

/// Loads the built-in reference platform.
pub fn load_reference() -> (LoadedSpec, Diagnostics) {
    load_files(
        REFERENCE_FILES
            .iter()
            .filter(|(name, _)| name.ends_with(".yaml") || name.ends_with(".yml"))
            .map(|(name, text)| (*name, *text)),
    )
}

/// Writes the reference platform's files below `dir` (for `landfall init`).
pub fn write_reference(dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut written = Vec::new();
    for (name, text) in REFERENCE_FILES {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}
