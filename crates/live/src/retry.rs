//! How calls are retried.
//!
//! Two kinds of "try again" reach the deployer. Throttling and transient
//! faults are retried by the SDK itself, with a mode and a number of attempts
//! chosen per service and account from [`RULES`]. Errors that only say "not
//! yet" — a change made a moment ago has not reached every part of the
//! service (`EnablePolicyType` is asynchronous, a new role is not assumable
//! for a while) — are not retryable to the SDK; [`until_settled`] retries
//! them for a bounded time.

use std::future::Future;
use std::time::{Duration, Instant};

use aws_config::retry::{RetryConfig, RetryMode};
use aws_sdk_sts::error::ProvideErrorMetadata;

/// A service the deployer calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Organizations,
    CloudFormation,
    Sts,
    Ec2,
    Iam,
    S3,
    Kms,
    GuardDuty,
    Ram,
    SecurityHub,
    Ecr,
    ServiceQuotas,
    Ecs,
    Ssm,
    Sqs,
    SsoAdmin,
    Route53,
    IdentityStore,
    Scheduler,
    DynamoDb,
    ElasticLoadBalancing,
    CloudFront,
    Inspector,
    CostExplorer,
    Kafka,
    Rds,
    AutoScaling,
}

/// Whose calls: the management account's, or a member account's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Management,
    Member,
}

/// The SDK retry setting of some calls, and the AWS fact it rests on.
#[derive(Debug, Clone, Copy)]
pub struct RetryRule {
    /// `None`: every service.
    pub service: Option<Service>,
    /// `None`: every account.
    pub scope: Option<Scope>,
    pub mode: RetryMode,
    pub max_attempts: u32,
    pub why: &'static str,
    pub page: &'static str,
}

/// Retry settings, first match wins. Adaptive mode adds a client-side rate
/// limiter that slows every caller of a throttled service down, which is
/// what a quota shared by the whole organization (Organizations) or by one
/// account's StackSet and stack operations (CloudFormation in the
/// management account) needs; standard mode elsewhere.
pub const RULES: &[RetryRule] = &[
    RetryRule {
        service: Some(Service::Organizations),
        scope: None,
        mode: RetryMode::Adaptive,
        max_attempts: 10,
        why: "Organizations throttles API requests per organization, whichever account makes them",
        page: "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html",
    },
    RetryRule {
        service: Some(Service::CloudFormation),
        scope: Some(Scope::Management),
        mode: RetryMode::Adaptive,
        max_attempts: 10,
        why: "every StackSet of the organization is created, updated and polled through the management account's CloudFormation API quotas",
        page: "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html",
    },
    RetryRule {
        service: Some(Service::Route53),
        scope: None,
        mode: RetryMode::Adaptive,
        max_attempts: 10,
        why: "Route 53 answers five requests per second per account, across all its APIs",
        page: "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html",
    },
    RetryRule {
        service: None,
        scope: None,
        mode: RetryMode::Standard,
        max_attempts: 5,
        why: "the SDKs' standard retry behavior: exponential backoff with jitter over throttling and transient errors",
        page: "https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html",
    },
];

/// The rule for calls of `service` in `scope`.
pub fn rule_for(service: Service, scope: Scope) -> &'static RetryRule {
    RULES
        .iter()
        .find(|r| r.service.is_none_or(|s| s == service) && r.scope.is_none_or(|s| s == scope))
        .unwrap_or(&RULES[RULES.len() - 1])
}

/// How the SDK retries, per session: the table's modes and attempts, with
/// the backoff and an optional cap on attempts (`0`: the table's).
#[derive(Debug, Clone, Copy)]
pub struct RetryPlan {
    pub max_attempts: u32,
    pub initial_backoff: Duration,
}

impl Default for RetryPlan {
    fn default() -> Self {
        RetryPlan {
            max_attempts: 0,
            initial_backoff: Duration::from_millis(200),
        }
    }
}

impl RetryPlan {
    /// The SDK retry configuration of `service` in `scope`.
    pub fn config(&self, service: Service, scope: Scope) -> RetryConfig {
        let rule = rule_for(service, scope);
        let attempts = match self.max_attempts {
            0 => rule.max_attempts,
            n => n,
        };
        let config = match rule.mode {
            RetryMode::Adaptive => RetryConfig::adaptive(),
            _ => RetryConfig::standard(),
        };
        config
            .with_max_attempts(attempts.max(1))
            .with_initial_backoff(self.initial_backoff)
    }
}

/// How long and how often to try again while the service says "not yet".
#[derive(Debug, Clone, Copy)]
pub struct Settle {
    /// The first wait; each next one doubles, up to `max_delay`.
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// No new attempt starts after this long.
    pub deadline: Duration,
}

impl Default for Settle {
    fn default() -> Self {
        Settle {
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(15),
            deadline: Duration::from_secs(120),
        }
    }
}

/// Error codes that say an organization change has not taken effect yet.
/// `EnablePolicyType` is asynchronous: until the root lists the policy type
/// as enabled, `AttachPolicy` answers `PolicyTypeNotEnabledException`
/// (https://docs.aws.amazon.com/organizations/latest/APIReference/API_EnablePolicyType.html);
/// a policy change still spreading answers `PolicyChangesInProgressException`,
/// and a change racing another one `ConcurrentModificationException`
/// (https://docs.aws.amazon.com/organizations/latest/APIReference/CommonErrors.html).
pub const ORGANIZATION_NOT_YET: &[&str] = &[
    "PolicyTypeNotEnabledException",
    "PolicyChangesInProgressException",
    "ConcurrentModificationException",
];

/// Runs `op` until it succeeds, fails with a code not in `pending`, or
/// `settle.deadline` has passed; waits with exponential backoff between
/// attempts. Returns the last result.
pub async fn until_settled<T, E, F, Fut>(
    settle: Settle,
    pending: &[&str],
    mut op: F,
) -> Result<T, E>
where
    E: ProvideErrorMetadata,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let started = Instant::now();
    let mut delay = settle.first_delay;
    loop {
        match op().await {
            Err(e)
                if e.code().is_some_and(|c| pending.contains(&c))
                    && started.elapsed() + delay <= settle.deadline =>
            {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(settle.max_delay);
            }
            result => return result,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organizations_and_management_cloudformation_retry_adaptively() {
        let plan = RetryPlan::default();
        for scope in [Scope::Management, Scope::Member] {
            assert_eq!(
                plan.config(Service::Organizations, scope).mode(),
                RetryMode::Adaptive
            );
        }
        assert_eq!(
            plan.config(Service::CloudFormation, Scope::Management)
                .mode(),
            RetryMode::Adaptive
        );
        for service in [
            Service::CloudFormation,
            Service::Ec2,
            Service::Sts,
            Service::Iam,
        ] {
            assert_eq!(
                plan.config(service, Scope::Member).mode(),
                RetryMode::Standard
            );
        }
        assert_eq!(
            plan.config(Service::Sts, Scope::Management).mode(),
            RetryMode::Standard
        );
    }

    #[test]
    fn attempts_come_from_the_table_unless_capped() {
        let plan = RetryPlan::default();
        assert_eq!(
            plan.config(Service::Organizations, Scope::Management)
                .max_attempts(),
            rule_for(Service::Organizations, Scope::Management).max_attempts
        );
        let capped = RetryPlan {
            max_attempts: 3,
            ..RetryPlan::default()
        };
        assert_eq!(capped.config(Service::Ec2, Scope::Member).max_attempts(), 3);
    }

    #[test]
    fn every_rule_names_its_aws_page() {
        for rule in RULES {
            assert!(
                rule.page.starts_with("https://docs.aws.amazon.com/"),
                "{rule:?}"
            );
        }
        // The last rule catches every call.
        let last = RULES[RULES.len() - 1];
        assert!(last.service.is_none() && last.scope.is_none());
    }
}
