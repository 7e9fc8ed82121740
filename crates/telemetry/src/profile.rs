//! The tool versions the generated files are written for.
//!
//! Field names differ between releases (the OpenTelemetry Collector lost
//! its `jaeger` exporter in v0.85; Jaeger v2 is configured in the
//! collector's format), so output targets one profile and says which.

use serde::Serialize;

/// Versions of the log and trace tools the output must be accepted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Profile {
    /// Vector release the agent and aggregator configurations are for; its
    /// component reference is `data/vector-components.json`.
    pub vector: &'static str,
    /// The VRL release inside that Vector (the `vrl` crate the tests run).
    pub vrl: &'static str,
    /// Fluent Bit of the FireLens log router (AWS for Fluent Bit 2.x).
    pub fluent_bit: &'static str,
    pub otel_collector: &'static str,
    pub jaeger: &'static str,
    pub opensearch: &'static str,
}

impl Default for Profile {
    fn default() -> Self {
        Self {
            vector: "0.49",
            vrl: "0.26",
            fluent_bit: "1.9",
            otel_collector: "0.128",
            jaeger: "2.7",
            opensearch: "2.19",
        }
    }
}
