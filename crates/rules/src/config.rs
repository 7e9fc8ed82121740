//! AWS Config rules per account class: the detective half of the registry.
//!
//! Every rule whose guardrail is not switched off contributes the AWS Config
//! managed rules it lists. The synth stage emits them (as
//! `AWS::Config::ConfigRule` in a StackSet per account class); an audit
//! compares them with what is deployed.
//!
//! Scoping: IAM rules and CloudTrail's multi-region rule run in the home
//! region only (they see global resources); the egress rules run in
//! accounts of egress-blocked environments, and in the networking account
//! scoped by the `landfall:environment` tag of those environments' VPCs.
//! `DESIRED_INSTANCE_TYPE` is not emitted: it takes an allow-list of
//! instance types and the spec holds a deny-list of families; burstable
//! capacity is caught by the SCP and the pre-deployment check instead.

use std::collections::BTreeMap;

use landfall_model::{AccountId, EnvId, Model, RegionId};
use landfall_spec::types::{AccountClass, ControlMode, GuardrailId};
use serde::Serialize;

use crate::codes::RULES;
use crate::settings::Settings;

/// A tag key and value a Config rule is scoped to.
pub type ScopeTag = (String, String);

/// One AWS Config managed rule to deploy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigRule {
    /// Managed rule identifier, `ENCRYPTED_VOLUMES`.
    pub identifier: &'static str,
    /// Landfall rule codes it detects.
    pub rules: Vec<&'static str>,
    /// `InputParameters`, as the managed rule expects them.
    pub input_parameters: BTreeMap<&'static str, String>,
    /// Only resources tagged with this key and value (Config rule `Scope`).
    pub scope_tag: Option<ScopeTag>,
    /// Deploy in the home region only (global resources).
    pub home_region_only: bool,
    /// SSM Automation document for automatic remediation, if any.
    pub remediation: Option<&'static str>,
    /// Alert only (detective) or backing a preventive control.
    pub mode: ControlMode,
}

/// The Config rules of the accounts of one class (and environment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigRuleSet {
    pub class: AccountClass,
    pub environment: Option<EnvId>,
    pub accounts: Vec<AccountId>,
    pub regions: Vec<RegionId>,
    pub rules: Vec<ConfigRule>,
}

fn parameters(identifier: &str) -> BTreeMap<&'static str, String> {
    let mut out = BTreeMap::new();
    match identifier {
        "ACCESS_KEYS_ROTATED" => {
            out.insert("maxAccessKeyAge", "90".to_owned());
        }
        "RESTRICTED_INCOMING_TRAFFIC" => {
            for (i, port) in ["20", "21", "3389", "3306", "4333"].iter().enumerate() {
                let key: &'static str = [
                    "blockedPort1",
                    "blockedPort2",
                    "blockedPort3",
                    "blockedPort4",
                    "blockedPort5",
                ][i];
                out.insert(key, (*port).to_owned());
            }
        }
        "VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS" => {
            out.insert("authorizedTcpPorts", "443".to_owned());
        }
        "DB_INSTANCE_BACKUP_ENABLED" => {
            out.insert("backupRetentionMinimum", "7".to_owned());
        }
        _ => {}
    }
    out
}

fn home_region_only(identifier: &str) -> bool {
    matches!(
        identifier,
        "ACCESS_KEYS_ROTATED"
            | "MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS"
            | "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS"
            | "MULTI_REGION_CLOUD_TRAIL_ENABLED"
            | "CLOUDFRONT_ASSOCIATED_WITH_WAF"
    )
}

fn remediation(identifier: &str) -> Option<&'static str> {
    match identifier {
        "S3_BUCKET_VERSIONING_ENABLED" => Some("AWS-ConfigureS3BucketVersioning"),
        "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED" => {
            Some("AWS-ConfigureS3BucketPublicAccessBlock")
        }
        "INCOMING_SSH_DISABLED" => Some("AWS-DisablePublicAccessForSecurityGroup"),
        _ => None,
    }
}

/// The Config rules of every member account, grouped by account class and
/// environment. Deterministic: groups and rules are sorted.
pub fn config_rules(model: &Model) -> Vec<ConfigRuleSet> {
    let settings = Settings::from_model(model);
    let mut groups: BTreeMap<(String, Option<EnvId>), ConfigRuleSet> = BTreeMap::new();
    for account in model.member_accounts() {
        let key = (format!("{:?}", account.class), account.environment);
        let regions = match account.environment {
            Some(env) => model.environment(env).regions.clone(),
            None => model.guardrails.allowed_regions.clone(),
        };
        groups
            .entry(key)
            .or_insert_with(|| ConfigRuleSet {
                class: account.class,
                environment: account.environment,
                accounts: Vec::new(),
                regions,
                rules: Vec::new(),
            })
            .accounts
            .push(account.id);
    }
    let blocked: Vec<String> = settings.egress_blocked_environments.clone();
    for set in groups.values_mut() {
        let mut by_identifier: BTreeMap<(&'static str, Option<ScopeTag>), ConfigRule> =
            BTreeMap::new();
        for registered in RULES {
            let meta = registered.rule.meta();
            let mode = meta
                .guardrail
                .map_or(ControlMode::Detective, |g| settings.mode(g));
            if mode == ControlMode::Off {
                continue;
            }
            let mut scopes: Vec<Option<ScopeTag>> = vec![None];
            if meta.guardrail == Some(GuardrailId::EgressBlocked) {
                scopes = match (set.class, set.environment) {
                    (AccountClass::Networking, _) => blocked
                        .iter()
                        .map(|env| Some(("landfall:environment".to_owned(), env.clone())))
                        .collect(),
                    (_, Some(env)) if settings.egress_blocked(&model.environment(env).name) => {
                        vec![None]
                    }
                    _ => Vec::new(),
                };
            }
            for identifier in meta.config_rules.iter().copied() {
                if identifier == "DESIRED_INSTANCE_TYPE" {
                    continue;
                }
                for scope in &scopes {
                    let rule = by_identifier
                        .entry((identifier, scope.clone()))
                        .or_insert_with(|| ConfigRule {
                            identifier,
                            rules: Vec::new(),
                            input_parameters: parameters(identifier),
                            scope_tag: scope.clone(),
                            home_region_only: home_region_only(identifier),
                            remediation: remediation(identifier),
                            mode,
                        });
                    if !rule.rules.contains(&registered.code) {
                        rule.rules.push(registered.code);
                    }
                    if mode == ControlMode::Preventive {
                        rule.mode = ControlMode::Preventive;
                    }
                }
            }
        }
        set.rules = by_identifier.into_values().collect();
    }
    groups.into_values().collect()
}
