//! The project's one YAML writer.

pub(crate) use landfall_spec::yaml::write::to_yaml;
