//! The tool versions the generated files are written for.
//!
//! Field names differ between releases (vmalert 1.79 rejects
//! `keep_firing_for`, promtool 2.42 rejects `query_offset`, amtool 0.25
//! rejects receivers added in 0.28, Zabbix 6.0 wants `groups` where 6.2 wants
//! `template_groups`), so output targets one profile and says which.

use serde::Serialize;

/// Versions of the monitoring tools the output must be accepted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Profile {
    pub prometheus: &'static str,
    pub alertmanager: &'static str,
    pub victoria_metrics: &'static str,
    pub telegraf: &'static str,
    pub grafana: &'static str,
    /// The dashboard JSON `schemaVersion` that Grafana release writes.
    pub grafana_schema_version: u32,
}

impl Default for Profile {
    /// The versions Debian 12 ships (and the tests run), Telegraf and Grafana
    /// releases of the same period.
    fn default() -> Self {
        Self {
            prometheus: "2.42",
            alertmanager: "0.25",
            victoria_metrics: "1.79",
            telegraf: "1.28",
            grafana: "10.4",
            grafana_schema_version: 39,
        }
    }
}
