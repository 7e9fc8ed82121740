//! The platform facts rules depend on, taken from the resolved model (or
//! given by hand when scanning without a spec).

use std::collections::BTreeMap;

use landfall_model::Model;
use landfall_spec::types::{ControlMode, GuardrailId};

/// Allowlists, denied families and control modes of one platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Region names requests may go to; empty means not restricted.
    pub allowed_regions: Vec<String>,
    /// IAM service prefixes allowed per environment name; environments not
    /// listed are not restricted by service.
    pub allowed_services: BTreeMap<String, Vec<String>>,
    /// Environments whose egress is blocked by default (dev, staging: every
    /// non-production environment).
    pub egress_blocked_environments: Vec<String>,
    /// Instance families never allowed (`t3`, `db.t3`, `cache.t4g`, `kafka.t3`).
    pub denied_families: Vec<String>,
    /// Control mode per guardrail; guardrails not listed are preventive.
    pub modes: BTreeMap<GuardrailId, ControlMode>,
}

impl Default for Settings {
    /// No allowlists; the default denied families; every control preventive.
    fn default() -> Self {
        Self {
            allowed_regions: Vec::new(),
            allowed_services: BTreeMap::new(),
            egress_blocked_environments: vec!["dev".to_owned(), "staging".to_owned()],
            denied_families: landfall_spec::types::Guardrails::default_denied_families(),
            modes: BTreeMap::new(),
        }
    }
}

impl Settings {
    pub fn from_model(model: &Model) -> Self {
        let guardrails = &model.guardrails;
        Self {
            allowed_regions: guardrails
                .allowed_regions
                .iter()
                .map(|r| model.region(*r).name.clone())
                .collect(),
            // What the allow-list SCP enforces: the spec's services and
            // the platform's own, which every allow-list keeps.
            allowed_services: guardrails
                .allowed_services
                .iter()
                .map(|(env, services)| {
                    let mut all: Vec<String> = services
                        .iter()
                        .cloned()
                        .chain(
                            crate::scp::PLATFORM_SERVICES
                                .iter()
                                .map(|s| (*s).to_owned()),
                        )
                        .collect();
                    all.sort();
                    all.dedup();
                    (model.environment(*env).name.clone(), all)
                })
                .collect(),
            egress_blocked_environments: model
                .environments
                .iter()
                .filter(|e| !e.production)
                .map(|e| e.name.clone())
                .collect(),
            denied_families: guardrails.denied_instance_families.clone(),
            modes: guardrails.controls.clone(),
        }
    }

    pub fn mode(&self, guardrail: GuardrailId) -> ControlMode {
        self.modes
            .get(&guardrail)
            .copied()
            .unwrap_or(ControlMode::Preventive)
    }

    /// The denied family an instance type, DB class or node type belongs to:
    /// `t3.micro` → `t3`, `db.t4g.large` → `db.t4g`, `cache.t3.small` → `cache.t3`.
    pub fn denied_family_of(&self, instance_type: &str) -> Option<&str> {
        let family = match instance_type.rsplit_once('.') {
            Some((family, _)) => family,
            None => instance_type,
        };
        self.denied_families
            .iter()
            .find(|f| f.eq_ignore_ascii_case(family))
            .map(String::as_str)
    }

    pub fn egress_blocked(&self, environment: &str) -> bool {
        self.egress_blocked_environments
            .iter()
            .any(|e| e.eq_ignore_ascii_case(environment))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn families_match_whole_family_names_only() {
        let s = Settings::default();
        assert_eq!(s.denied_family_of("t3.micro"), Some("t3"));
        assert_eq!(s.denied_family_of("t3a.large"), Some("t3a"));
        assert_eq!(s.denied_family_of("db.t4g.medium"), Some("db.t4g"));
        assert_eq!(s.denied_family_of("cache.t3.micro"), Some("cache.t3"));
        assert_eq!(s.denied_family_of("kafka.t3.small"), Some("kafka.t3"));
        assert_eq!(s.denied_family_of("m7i.large"), None);
        assert_eq!(s.denied_family_of("db.r7g.large"), None);
        assert_eq!(s.denied_family_of("trn1.2xlarge"), None);
    }
}
