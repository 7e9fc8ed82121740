//! The label contract every generated artefact shares.
//!
//! Agents attach these to every series, rules keep them in their results,
//! Alertmanager routes on them and dashboards filter by them: one list, so
//! the artefacts cannot drift apart.

/// The owning domain (routes an alert to its team).
pub const DOMAIN: &str = "domain";
/// The service that produced a series.
pub const SERVICE: &str = "service";
/// The environment, for example `prod`.
pub const ENVIRONMENT: &str = "environment";
/// The AWS region.
pub const REGION: &str = "region";
/// The Availability Zone (its name, for example `eu-central-1a`).
pub const AZ: &str = "az";
/// `page` (a human now) or `ticket` (a human this week).
pub const SEVERITY: &str = "severity";
/// The host an agent runs on (Telegraf's own tag).
pub const HOST: &str = "host";

/// Labels every service series carries, in the order they are grouped by.
pub const SERVICE_IDENTITY: [&str; 4] = [DOMAIN, SERVICE, ENVIRONMENT, REGION];

/// `sum by (domain, service, environment, region)` and friends.
pub fn by(labels: &[&str]) -> String {
    format!("by ({})", labels.join(", "))
}

/// Severities, in routing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Page,
    Ticket,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Page => "page",
            Severity::Ticket => "ticket",
        }
    }
}
