//! The project's one YAML writer.

pub use landfall_spec::yaml::write::to_yaml;
