//! The Landfall platform spec: YAML files a platform team keeps in git.
//!
//! [`load_dir`] reads a spec directory, checks every file against the JSON
//! Schema generated from [`types`], and merges the files into one [`Spec`].
//! Every value keeps a [`Pointer`] back to where it was written, so later
//! stages can report problems at the exact file, line and column. Nothing
//! downstream of this crate sees YAML.

pub mod load;
pub mod reference;
pub mod salvage;
pub mod schema;
pub mod types;
pub mod yaml;

pub use load::{load_dir, load_files, LoadError, LoadedSpec, Located, Pointer, Spec};
pub use reference::{load_reference, write_reference, REFERENCE_FILES};
