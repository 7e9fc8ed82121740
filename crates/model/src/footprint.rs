//! The platform's size at a glance, beside the blueprint's figures.

use serde::Serialize;

use crate::model::Model;

/// Counts that `landfall show` prints; the JSON keys are a stable contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Footprint {
    pub accounts: usize,
    pub organizational_units: usize,
    pub domains: usize,
    pub environments: usize,
    pub regions: Vec<String>,
    pub azs_per_region: usize,
    pub vpcs: usize,
    pub production_vpcs: usize,
    pub subnets: usize,
    pub services: usize,
    pub latency_sensitive_services: usize,
    pub databases: usize,
    pub message_buses: usize,
    pub topics: usize,
    pub peak_public_rps: u64,
}

impl Footprint {
    pub fn of(model: &Model) -> Self {
        Self {
            accounts: model.accounts.len(),
            organizational_units: model.organizational_units.len(),
            domains: model.domains.len(),
            environments: model.environments.len(),
            regions: model.regions.iter().map(|r| r.name.clone()).collect(),
            azs_per_region: model.regions.iter().map(|r| r.azs.len()).min().unwrap_or(0),
            vpcs: model.network.vpcs.len(),
            production_vpcs: model
                .network
                .vpcs
                .iter()
                .filter(|v| model.environment(v.environment).production)
                .count(),
            subnets: model.network.subnets.len(),
            services: model.services.len(),
            latency_sensitive_services: model
                .services
                .iter()
                .filter(|s| s.latency_sensitive)
                .count(),
            databases: model.data_stores.iter().filter(|d| d.is_database()).count(),
            message_buses: model
                .data_stores
                .iter()
                .filter(|d| !d.is_database())
                .count(),
            topics: model.topics.len(),
            peak_public_rps: model
                .services
                .iter()
                .filter(|s| s.ingress == landfall_spec::types::Ingress::Public)
                .filter_map(|s| s.tasks.peak_rps)
                .map(u64::from)
                .sum(),
        }
    }
}

/// The blueprint's figures, for comparison in `landfall show`.
pub const BLUEPRINT: &[(&str, &str)] = &[
    ("accounts", "~40"),
    ("regions", "2"),
    ("azs_per_region", "3"),
    ("environments", "3"),
    ("production_vpcs", "2"),
    ("subnets", "~150"),
    ("services", "~110"),
    ("databases", "~50"),
    ("peak_public_rps", "61k"),
];
