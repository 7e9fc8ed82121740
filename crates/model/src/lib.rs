//! The resolved Landfall platform model.
//!
//! [`resolve`] turns a loaded spec into an immutable [`Model`]: every reference
//! checked and replaced by a typed index, every default applied, every AWS
//! limit of the [`Limits`] table that concerns the model checked. It reports
//! every problem in one run and returns a model only when there is none.
//! This crate does no I/O.

pub mod aws;
pub mod engines;
pub mod footprint;
pub mod instance_classes;
pub mod limits;
pub mod log_search;
pub mod model;
pub mod monitoring;
mod resolve;
pub mod sidecars;

pub use footprint::Footprint;
pub use limits::{LimitInfo, Limits, LIMITS};
pub use model::*;

use landfall_diagnostics::Diagnostics;
use landfall_spec::LoadedSpec;

/// A spec loaded and resolved: the model when valid, and every diagnostic.
pub struct Resolved {
    pub loaded: LoadedSpec,
    pub model: Option<Model>,
    pub diagnostics: Diagnostics,
}

/// Resolves a loaded spec, given the diagnostics loading produced.
pub fn resolve(loaded: LoadedSpec, mut diagnostics: Diagnostics) -> Resolved {
    let (model, more) = resolve::resolve(&loaded, diagnostics.has_errors());
    diagnostics.extend(more);
    diagnostics.sort(&loaded.sources);
    Resolved {
        loaded,
        model,
        diagnostics,
    }
}

/// Loads and resolves the built-in reference platform.
pub fn reference() -> Resolved {
    let (loaded, diagnostics) = landfall_spec::load_reference();
    resolve(loaded, diagnostics)
}

/// Loads and resolves a spec directory.
pub fn load_dir(dir: &std::path::Path) -> Result<Resolved, landfall_spec::LoadError> {
    let (loaded, diagnostics) = landfall_spec::load_dir(dir)?;
    Ok(resolve(loaded, diagnostics))
}
