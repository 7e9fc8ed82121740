//! The rules: which alert may trigger which action, on what, within which
//! limits. Generated from the model (the alerts `observability.remediation.
//! automatic` names), never hand-written; a target must resolve to something
//! the model declares.

use std::collections::{BTreeMap, BTreeSet};

use landfall_model::Model;
use serde::Serialize;

/// What a rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    /// ECS `UpdateService --force-new-deployment`: replaces a service's tasks.
    EcsForceNewDeployment,
    /// ECS `UpdateService --desired-count`: more tasks for a service, by a
    /// step, never past the maximum the spec declares for it.
    EcsScaleOut,
    /// The disk cleanup on a host: the baseline's SSM Automation runbook
    /// (`Landfall-DiskCleanup`, an `aws:runCommand` step).
    SsmRunbook,
    /// EC2 reboot of a metal container instance (disruptive).
    Ec2Reboot,
    /// Auto Scaling `SetInstanceHealth` (`Unhealthy`) of a metal host AWS
    /// retires: its group replaces it, ECS draining its tasks first.
    Ec2Replace,
    /// MSK `UpdateBrokerStorage` (grows storage; cannot shrink).
    MskExpandStorage,
    /// A metal host's interfaces moved into its VPC's quarantine group (no
    /// traffic in or out) and its container instance drained; the host is
    /// kept for forensics (disruptive).
    Ec2Quarantine,
    /// RDS `FailoverDBCluster` of an Aurora cluster to its best available
    /// reader (disruptive: connections to the writer drop).
    AuroraFailover,
    /// No AWS call: the owning team is told, the journal records it.
    Notify,
}

impl ActionKind {
    /// The AWS services an action depends on, as AWS Health names them in
    /// its events' `service`: an open Health issue of one of them in the
    /// target's region holds the action back.
    pub fn aws_services(self) -> &'static [&'static str] {
        match self {
            ActionKind::EcsForceNewDeployment | ActionKind::EcsScaleOut => &["ECS"],
            ActionKind::SsmRunbook => &["EC2", "SSM"],
            ActionKind::Ec2Reboot => &["EC2"],
            ActionKind::Ec2Replace => &["EC2", "AUTOSCALING"],
            // Containment of a host acting for an attacker waits for
            // nothing AWS is going through.
            ActionKind::Ec2Quarantine => &[],
            ActionKind::MskExpandStorage => &["KAFKA", "MSK"],
            ActionKind::AuroraFailover => &["RDS"],
            ActionKind::Notify => &[],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::EcsForceNewDeployment => "ecs-force-new-deployment",
            ActionKind::EcsScaleOut => "ecs-scale-out",
            ActionKind::SsmRunbook => "ssm-runbook",
            ActionKind::Ec2Reboot => "ec2-reboot",
            ActionKind::Ec2Replace => "ec2-replace",
            ActionKind::MskExpandStorage => "msk-expand-storage",
            ActionKind::Ec2Quarantine => "ec2-quarantine",
            ActionKind::AuroraFailover => "aurora-failover",
            ActionKind::Notify => "notify",
        }
    }
}

/// What an alert's labels must name for the rule to act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    /// `service` + `environment` (+ `region`): a service of the model.
    Service,
    /// `domain` + `host` (+ `environment`): a metal host of a domain.
    Host,
    /// `store` + `environment` (+ `region`): a data store of the model.
    Store,
    /// `certificate_arn`: a certificate (the platform's).
    Certificate,
    /// `account` + `region` + `instance_id`: an EC2 instance AWS names (an
    /// AWS Health event knows no domain); whether it is a metal host of
    /// the model is read from its tags when acting.
    Instance,
}

impl TargetKind {
    /// The labels that name a target of this kind ([`Rulebook::target`]
    /// reads them): what other engines key their throttles by.
    pub fn labels(self) -> &'static [&'static str] {
        match self {
            TargetKind::Service => &["service", "environment", "region"],
            TargetKind::Host => &["domain", "host", "environment"],
            TargetKind::Store => &["store", "environment", "region"],
            TargetKind::Certificate => &["certificate_arn"],
            TargetKind::Instance => &["account", "region", "instance_id"],
        }
    }
}

/// One rule of the rulebook.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub alert: String,
    pub action: ActionKind,
    pub target: TargetKind,
    /// No second action on the same target within this many seconds.
    pub cooldown_seconds: u64,
    /// Actions without a verified recovery before the breaker opens.
    pub breaker_after: u32,
    /// At most this many actions of this rule in any ten minutes.
    pub budget_per_10m: u32,
    /// This many distinct targets within five minutes is a systemic
    /// problem: act on none, page once.
    pub systemic_targets: u32,
    /// Disruptive: waits for `landfall heal approve`.
    pub needs_approval: bool,
    /// Decides and journals, never calls AWS (every new rule starts so).
    pub dry_run: bool,
    /// A signal older than this when decided is stale (its condition may
    /// be long gone): journaled and refused.
    pub max_age_seconds: u64,
    /// Why these limits.
    pub reason: &'static str,
}

/// Alerts older than this when decided are stale (their condition may be
/// long gone): journaled and refused, unless their rule says otherwise.
pub const MAX_SIGNAL_AGE_SECONDS: u64 = 3_600;

/// The rules of a platform, with what targets exist.
#[derive(Debug, Clone, Serialize)]
pub struct Rulebook {
    pub rules: Vec<Rule>,
    /// `(service, environment)` pairs the model declares.
    #[serde(skip)]
    pub services: BTreeSet<(String, String)>,
    #[serde(skip)]
    pub domains: BTreeSet<String>,
    /// The environments' names: a host's `environment` must be one.
    #[serde(skip)]
    pub environments: BTreeSet<String>,
    /// The regions' names: an instance's region must be one.
    #[serde(skip)]
    pub regions: BTreeSet<String>,
    /// `(store, environment)` pairs the model declares.
    #[serde(skip)]
    pub stores: BTreeSet<(String, String)>,
    /// Windows in which nothing is acted on (`observability.remediation.
    /// change_freezes`).
    pub freezes: Vec<landfall_model::ChangeFreeze>,
    /// The regions whose targets this service acts on; empty: every
    /// region (an operator's service, which reaches them all). A service
    /// on ECS reaches AWS through its VPC's interface endpoints, which
    /// serve their own region only, so it acts on its own region's
    /// targets, and another region's service on the others
    /// ([`Rulebook::acting_in`]).
    #[serde(skip)]
    pub acts_in: BTreeSet<String>,
    /// A content hash: the rulebook's version.
    pub version: String,
}

/// The action, target kind and limits for an alert the generated rules can
/// raise; `None` for an alert remediation does not know how to fix.
fn defaults(alert: &str) -> Option<Rule> {
    use crate::rulebook::{ActionKind as A, TargetKind as T};
    let rule = |action, target, cooldown_seconds, needs_approval, reason| Rule {
        alert: alert.to_owned(),
        action,
        target,
        cooldown_seconds,
        breaker_after: 3,
        budget_per_10m: 20,
        systemic_targets: 10,
        needs_approval,
        dry_run: true,
        max_age_seconds: MAX_SIGNAL_AGE_SECONDS,
        reason,
    };
    Some(match alert {
        "EcsServiceBelowDesiredCount" => rule(A::EcsForceNewDeployment, T::Service, 900, false,
            "replacing tasks fixes a stuck deployment or a bad host; 15 minutes lets a new deployment settle"),
        "EcsTaskStuckPending" => rule(A::EcsForceNewDeployment, T::Service, 1_800, false,
            "a new deployment re-places pending tasks; 30 minutes because capacity shortages clear slowly"),
        "TelegrafAgentDown" | "VectorAgentDown" => rule(A::EcsForceNewDeployment, T::Service, 1_800, false,
            "an agent sidecar that stopped is restarted with its task"),
        "ServiceLatencyBudgetFastBurn" => rule(A::EcsScaleOut, T::Service, 900, false,
            "slow answers under load are eased by more tasks; never past the service's declared maximum; 15 minutes lets new tasks start and take traffic"),
        "MetalHostDiskAlmostFull" => rule(A::SsmRunbook, T::Host, 3_600, false,
            "the cleanup runbook removes old images and logs; an hour before trying again"),
        "SsmAgentDisconnected" => rule(A::Ec2Reboot, T::Host, 21_600, true,
            "a reboot interrupts the host's tasks: a human approves"),
        "MskBrokerStorageHigh" => rule(A::MskExpandStorage, T::Store, 86_400, false,
            "storage only grows, and MSK allows one update per six hours; once a day"),
        "CertificateExpiringIn14Days" => rule(A::Notify, T::Certificate, 86_400, false,
            "ACM renews what it can; a certificate it cannot renew needs a human"),
        landfall_model::monitoring::METAL_HOST_RETIRING => Rule {
            // A few hosts at a time: each one drained moves its tasks; more
            // in ten minutes are held back and paged.
            budget_per_10m: 4,
            // AWS announces a retirement days or weeks ahead: the notice
            // stays worth acting on for a week (a host already gone is
            // held back just before acting).
            max_age_seconds: 7 * 86_400,
            ..rule(A::Ec2Replace, T::Instance, 86_400, false,
                "AWS retires the host's hardware: replaced now, drained by ECS first and paced, rather than stopped at AWS's hour; at most four hosts in ten minutes")
        },
        landfall_model::monitoring::GUARDDUTY_INSTANCE_ALERT => rule(A::Ec2Quarantine, T::Host, 86_400, true,
            "a host GuardDuty finds acting for an attacker is cut off and drained, not terminated (its disk is evidence); cutting it off stops its tasks: a human approves"),
        landfall_model::monitoring::AURORA_WRITER_UNAVAILABLE => rule(A::AuroraFailover, T::Store, 3_600, true,
            "a writer that reports nothing for five minutes and that Aurora has not replaced is failed over to the best available reader; every connection to the writer drops: a human approves"),
        _ => return None,
    })
}

impl Rulebook {
    /// The rulebook of a platform: a rule per automatic alert remediation
    /// knows, and the alerts it does not (which it will refuse).
    pub fn from_model(model: &Model) -> (Self, Vec<String>) {
        let automatic = model
            .observability
            .as_ref()
            .and_then(|o| o.remediation.as_ref())
            .map(|r| r.automatic.clone())
            .unwrap_or_default();
        let mut rules = Vec::new();
        let mut unknown = Vec::new();
        for alert in automatic {
            match defaults(&alert) {
                Some(rule) => rules.push(rule),
                None => unknown.push(alert),
            }
        }
        let services = model
            .services
            .iter()
            .flat_map(|s| {
                s.environments
                    .iter()
                    .map(|e| (s.name.clone(), model.environment(*e).name.clone()))
            })
            .collect();
        let domains = model.domains.iter().map(|d| d.name.clone()).collect();
        let environments = model.environments.iter().map(|e| e.name.clone()).collect();
        let regions = model.regions.iter().map(|r| r.name.clone()).collect();
        let stores = model
            .data_stores
            .iter()
            .flat_map(|s| {
                s.environments
                    .iter()
                    .map(|e| (s.name.clone(), model.environment(*e).name.clone()))
            })
            .collect();
        let mut book = Self {
            rules,
            services,
            domains,
            environments,
            regions,
            stores,
            freezes: model.change_freezes.clone(),
            acts_in: BTreeSet::new(),
            version: String::new(),
        };
        book.version = book.hash();
        (book, unknown)
    }

    /// The rulebook of a service acting on the targets of `regions` only
    /// (`heal serve --regions`); each must be a region of the model.
    pub fn acting_in(mut self, regions: &[String]) -> Result<Self, String> {
        if let Some(unknown) = regions.iter().find(|r| !self.regions.contains(*r)) {
            return Err(format!(
                "no region `{unknown}` in the spec; it declares {}",
                self.regions.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        self.acts_in = regions.iter().cloned().collect();
        Ok(self)
    }

    /// Whether this service acts on targets in `region`.
    pub fn acts_in_region(&self, region: &str) -> bool {
        self.acts_in.is_empty() || self.acts_in.contains(region)
    }

    fn hash(&self) -> String {
        let text = serde_json::to_string(&(&self.rules, &self.freezes)).unwrap_or_default();
        format!(
            "{:016x}",
            landfall_observability::plan::fnv1a(text.as_bytes())
        )
    }

    pub fn rule(&self, alert: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.alert == alert)
    }

    /// The target an alert's labels name, if the model declares it:
    /// `service/environment`, `domain/host`, `store/environment`, or the
    /// certificate.
    pub fn target(&self, rule: &Rule, labels: &BTreeMap<String, String>) -> Result<String, String> {
        let get = |k: &str| labels.get(k).map(String::as_str).unwrap_or("");
        match rule.target {
            TargetKind::Service => {
                let (service, env) = (get("service"), get("environment"));
                if self
                    .services
                    .contains(&(service.to_owned(), env.to_owned()))
                {
                    Ok(format!("service/{service}/{env}/{}", get("region")))
                } else {
                    Err(format!(
                        "no service `{service}` in environment `{env}` in the model"
                    ))
                }
            }
            TargetKind::Host => {
                let (domain, host, env) = (get("domain"), get("host"), get("environment"));
                if !self.domains.contains(domain) || host.is_empty() {
                    Err(format!(
                        "no host `{host}` of a domain `{domain}` in the model"
                    ))
                } else if !self.environments.contains(env) {
                    Err(format!(
                        "host `{host}` of `{domain}` names no environment of the model (`{env}`)"
                    ))
                } else {
                    Ok(format!("host/{domain}/{env}/{host}"))
                }
            }
            TargetKind::Store => {
                let (store, env) = (get("store"), get("environment"));
                if self.stores.contains(&(store.to_owned(), env.to_owned())) {
                    Ok(format!("store/{store}/{env}/{}", get("region")))
                } else {
                    Err(format!(
                        "no data store `{store}` in environment `{env}` in the model"
                    ))
                }
            }
            TargetKind::Certificate => {
                let arn = get("certificate_arn");
                if arn.starts_with("arn:aws:acm:") {
                    Ok(format!("certificate/{arn}"))
                } else {
                    Err("no ACM certificate ARN in the alert".to_owned())
                }
            }
            TargetKind::Instance => {
                let (account, region, instance) =
                    (get("account"), get("region"), get("instance_id"));
                if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                    Err(format!("`{account}` is not an AWS account id"))
                } else if !self.regions.contains(region) {
                    Err(format!("no region `{region}` in the model"))
                } else if !crate::signal::is_instance_id(instance) {
                    Err(format!("`{instance}` is not an EC2 instance id"))
                } else {
                    Ok(format!("instance/{account}/{region}/{instance}"))
                }
            }
        }
    }
}
