//! Sessions: credentials, endpoints, role assumption into member accounts,
//! and one set of service clients per account and region.
//!
//! Credentials come from the standard chain (environment, shared config and
//! profiles, SSO, container and instance metadata) on the management account.
//! Member accounts are reached by assuming the platform's roles there
//! ([`Roles`]): `OrganizationAccountAccessRole` stands in for the deploy role
//! only where the baseline has not created it yet, and for the audit role
//! only when asked, each time with a notice. Role sessions renew themselves
//! ([`crate::credentials`]); each service retries as [`crate::retry`] says.
//! Credentials are held by the SDK's providers and never formatted into
//! output.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_sts::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_sts::config::{
    ConfigBag, Credentials, IdentityCache, Intercept, Region, RuntimeComponents,
    SharedCredentialsProvider,
};

use crate::credentials::{self, AssumeRoleProvider, Tuning};
use crate::error::{code_of, sdk_message, LiveError};
use crate::org::{self, OrgState};
use crate::progress::Progress;
use crate::retry::{RetryPlan, Scope, Service};

/// Where and as whom to connect.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// An emulator or private endpoint for every service (`--endpoint-url`).
    pub endpoint_url: Option<String>,
    /// A named profile of the shared config files (`--profile`).
    pub profile: Option<String>,
    /// The region of the management account's calls: the model's home region.
    pub home_region: String,
    /// Most attempts per call, for every service; `0` takes each service's
    /// from the retry table ([`crate::retry::RULES`]).
    pub max_attempts: u32,
}

/// What a member account is entered for; it decides what may stand in for
/// the platform's role when that cannot be assumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `OrganizationAccountAccessRole` stands in only while the baseline has
    /// not created the deploy role in that account, and says so.
    Deploy,
    /// Nothing stands in, unless [`Session::allow_admin_audit`] was asked
    /// for: a read-only audit must not run as an administrator unnoticed.
    Audit,
    /// Nothing ever stands in: remediation acts only with the narrow role
    /// the baseline gives it.
    Remediate,
    /// Nothing ever stands in: on-call grants are made only as the access
    /// stack's role.
    Access,
}

/// The baseline's role (path and name) that enters member accounts for a
/// purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roles {
    pub purpose: Purpose,
    pub role: &'static str,
}

impl Roles {
    /// The role's name without its path.
    pub fn name(&self) -> &'static str {
        self.role.rsplit('/').next().unwrap_or(self.role)
    }
}

pub const DEPLOY_ROLES: Roles = Roles {
    purpose: Purpose::Deploy,
    role: "landfall/landfall-deploy",
};
pub const AUDIT_ROLES: Roles = Roles {
    purpose: Purpose::Audit,
    role: "landfall/landfall-audit",
};
pub const REMEDIATION_ROLES: Roles = Roles {
    purpose: Purpose::Remediate,
    role: "landfall/landfall-remediation",
};
/// The access stack's role in security tooling (`landfall access`).
pub const ACCESS_ROLES: Roles = Roles {
    purpose: Purpose::Access,
    role: "landfall/landfall-access",
};
/// The role Organizations creates in every account it creates.
pub const BOOTSTRAP_ROLE: &str = "OrganizationAccountAccessRole";

/// Counts API calls (attempts, retries included) of the clients it is added to.
#[derive(Debug, Clone, Default)]
pub struct CallCounter(Arc<AtomicU64>);

impl CallCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "LandfallCallCounter"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_sts::error::BoxError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// A connection to the management account and, through it, to members.
#[derive(Clone)]
pub struct Session {
    base: SdkConfig,
    options: ConnectOptions,
    tuning: Tuning,
    retry: RetryPlan,
    /// Whether the audit may run as `OrganizationAccountAccessRole` where
    /// `landfall-audit` cannot be assumed.
    admin_audit: bool,
    /// Entries per (account id, role): each account is entered once, even
    /// by tasks asking for it at the same time; a failure is kept only for
    /// `tuning.failure_ttl`.
    members: Arc<Mutex<HashMap<String, MemberSlot>>>,
    /// What the user must know about how accounts were entered (fallbacks).
    notices: Arc<Mutex<Vec<String>>>,
    progress: Option<Progress>,
    /// The organization as last read, until something changes it.
    organization: Arc<tokio::sync::Mutex<Option<OrgState>>>,
    /// Every call made through this session.
    pub calls: CallCounter,
}

/// One account and role: entered once, by whichever task asks first.
type MemberSlot = Arc<tokio::sync::Mutex<Option<MemberEntry>>>;

#[derive(Clone)]
enum MemberEntry {
    Ready(Box<SdkConfig>),
    Failed(String, Instant),
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the credentials.
        f.debug_struct("Session")
            .field("endpoint_url", &self.options.endpoint_url)
            .field("profile", &self.options.profile)
            .field("home_region", &self.options.home_region)
            .finish_non_exhaustive()
    }
}

/// One account in one region: the clients a task needs there.
#[derive(Clone)]
pub struct Clients {
    pub account_id: String,
    pub region: String,
    pub counter: CallCounter,
    config: SdkConfig,
    total: CallCounter,
    scope: Scope,
    retry: RetryPlan,
}

macro_rules! client {
    ($fn:ident, $krate:ident, $service:ident) => {
        pub fn $fn(&self) -> $krate::Client {
            let config = $krate::config::Builder::from(&self.config)
                .region(Region::new(self.region.clone()))
                .retry_config(self.retry.config(Service::$service, self.scope))
                .interceptor(self.counter.clone())
                .interceptor(self.total.clone())
                .build();
            $krate::Client::from_conf(config)
        }
    };
}

impl Clients {
    client!(organizations, aws_sdk_organizations, Organizations);
    client!(cloudformation, aws_sdk_cloudformation, CloudFormation);
    client!(ec2, aws_sdk_ec2, Ec2);
    client!(iam, aws_sdk_iam, Iam);
    client!(kms, aws_sdk_kms, Kms);
    client!(sts, aws_sdk_sts, Sts);
    client!(guardduty, aws_sdk_guardduty, GuardDuty);
    client!(ram, aws_sdk_ram, Ram);
    client!(securityhub, aws_sdk_securityhub, SecurityHub);
    client!(ecr, aws_sdk_ecr, Ecr);
    client!(servicequotas, aws_sdk_servicequotas, ServiceQuotas);
    client!(ecs, aws_sdk_ecs, Ecs);
    client!(ssm, aws_sdk_ssm, Ssm);
    client!(sqs, aws_sdk_sqs, Sqs);
    client!(ssoadmin, aws_sdk_ssoadmin, SsoAdmin);
    client!(kafka, aws_sdk_kafka, Kafka);
    client!(rds, aws_sdk_rds, Rds);
    client!(autoscaling, aws_sdk_autoscaling, AutoScaling);
    client!(route53, aws_sdk_route53, Route53);
    client!(identitystore, aws_sdk_identitystore, IdentityStore);
    client!(scheduler, aws_sdk_scheduler, Scheduler);
    client!(dynamodb, aws_sdk_dynamodb, DynamoDb);
    client!(
        elasticloadbalancingv2,
        aws_sdk_elasticloadbalancingv2,
        ElasticLoadBalancing
    );
    client!(cloudfront, aws_sdk_cloudfront, CloudFront);
    client!(inspector2, aws_sdk_inspector2, Inspector);
    client!(costexplorer, aws_sdk_costexplorer, CostExplorer);

    pub fn s3(&self) -> aws_sdk_s3::Client {
        let mut builder = aws_sdk_s3::config::Builder::from(&self.config)
            .region(Region::new(self.region.clone()))
            .retry_config(self.retry.config(Service::S3, self.scope))
            .interceptor(self.counter.clone())
            .interceptor(self.total.clone());
        if self.config.endpoint_url().is_some() {
            // Emulators and private endpoints serve buckets by path.
            builder = builder.force_path_style(true);
        }
        aws_sdk_s3::Client::from_conf(builder.build())
    }

    /// The same account in another region, with its own call counter.
    pub fn in_region(&self, region: &str) -> Clients {
        Clients {
            account_id: self.account_id.clone(),
            region: region.to_owned(),
            counter: CallCounter::default(),
            config: self.config.clone(),
            total: self.total.clone(),
            scope: self.scope,
            retry: self.retry,
        }
    }

    /// Whether these are the management account's clients.
    pub fn scope(&self) -> Scope {
        self.scope
    }
}

fn http_client() -> aws_sdk_sts::config::SharedHttpClient {
    use aws_smithy_http_client::tls;
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

impl Session {
    /// Loads credentials and settings; makes no call yet.
    pub async fn connect(options: ConnectOptions) -> Session {
        let retry = RetryPlan {
            max_attempts: options.max_attempts,
            ..RetryPlan::default()
        };
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http_client())
            .region(Region::new(options.home_region.clone()))
            .retry_config(retry.config(Service::Sts, Scope::Management));
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(url) = &options.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let base = loader.load().await;
        Session {
            base,
            options,
            tuning: Tuning::default(),
            retry,
            admin_audit: false,
            members: Arc::default(),
            notices: Arc::default(),
            progress: None,
            organization: Arc::default(),
            calls: CallCounter::default(),
        }
    }

    /// Other timings of role sessions and role waits (tests shorten them).
    #[must_use]
    pub fn with_tuning(mut self, tuning: Tuning) -> Session {
        self.tuning = tuning;
        self
    }

    /// Another first backoff of the SDK's retries.
    #[must_use]
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Session {
        self.retry.initial_backoff = backoff;
        self
    }

    /// Progress lines for what the user must know about how accounts were
    /// entered.
    #[must_use]
    pub fn with_progress(mut self, progress: Progress) -> Session {
        self.progress = Some(progress);
        self
    }

    /// Lets the audit enter an account as `OrganizationAccountAccessRole`
    /// (an administrator) where `landfall-audit` cannot be assumed; each
    /// such account is named in a notice.
    #[must_use]
    pub fn allow_admin_audit(mut self, allow: bool) -> Session {
        self.admin_audit = allow;
        self
    }

    pub fn home_region(&self) -> &str {
        &self.options.home_region
    }

    pub fn endpoint_url(&self) -> Option<&str> {
        self.options.endpoint_url.as_deref()
    }

    /// The caller's own settings (no role entered): for services called as
    /// the caller in the home region, such as SES for the cost reports.
    pub(crate) fn base_config(&self) -> &SdkConfig {
        &self.base
    }

    pub fn tuning(&self) -> &Tuning {
        &self.tuning
    }

    /// What was said about entering accounts (fallbacks), in order.
    pub fn notices(&self) -> Vec<String> {
        self.notices.lock().map(|n| n.clone()).unwrap_or_default()
    }

    fn notice(&self, account_id: &str, message: String) {
        if let Some(progress) = &self.progress {
            progress
                .start(format!("account {account_id}"), "ENTERING")
                .finish(&message);
        }
        if let Ok(mut n) = self.notices.lock() {
            n.push(format!("account {account_id}: {message}"));
        }
    }

    /// The management account's clients in its home region.
    pub async fn management(&self) -> Result<Clients, LiveError> {
        // The SDK falls back to instance metadata for a profile it cannot
        // find, and then reports that; say what is really wrong.
        if let Some(profile) = &self.options.profile {
            crate::credentials::check_profile_exists(profile)?;
        }
        if self.base.credentials_provider().is_none() {
            return Err(LiveError::Credentials(
                "no AWS credentials found: set AWS_PROFILE or pass --profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".into(),
            ));
        }
        let mut clients = Clients {
            account_id: String::new(),
            region: self.options.home_region.clone(),
            counter: CallCounter::default(),
            config: self.base.clone(),
            total: self.calls.clone(),
            scope: Scope::Management,
            retry: self.retry,
        };
        let identity = clients
            .sts()
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| match crate::error::transport_failure(&e) {
                Some(failure) => LiveError::Credentials(format!(
                    "cannot reach {}: {failure}; check the endpoint (and that it is running), or the network path to AWS",
                    self.options
                        .endpoint_url
                        .clone()
                        .unwrap_or_else(|| format!("AWS STS in {}", self.options.home_region))
                )),
                None => LiveError::Credentials(format!("cannot sign in: {}", sdk_message(&e))),
            })?;
        clients.account_id = identity.account().unwrap_or_default().to_owned();
        Ok(clients)
    }

    /// The organization, read once per session: later calls get the same
    /// state until [`Session::organization_changed`] says it changed.
    pub async fn organization(&self, management: &Clients) -> Result<OrgState, LiveError> {
        let mut cached = self.organization.lock().await;
        if let Some(state) = cached.as_ref() {
            return Ok(state.clone());
        }
        let state = org::read(management).await?;
        *cached = Some(state.clone());
        Ok(state)
    }

    /// Forgets the organization read: the next [`Session::organization`]
    /// reads it again. Call after changing it.
    pub async fn organization_changed(&self) {
        *self.organization.lock().await = None;
    }

    /// Clients inside a member account, entered through `roles`. Each
    /// account is entered once per session; its role session is renewed
    /// before it ends. A failure is final only for `tuning.failure_ttl`.
    pub async fn member(
        &self,
        management: &Clients,
        account_id: &str,
        region: &str,
        roles: &Roles,
    ) -> Result<Clients, LiveError> {
        if account_id == management.account_id {
            return Ok(management.in_region(region));
        }
        let key = format!("{account_id}/{}", roles.role);
        let cell = match self.members.lock() {
            Ok(mut m) => m.entry(key).or_default().clone(),
            Err(_) => Arc::default(),
        };
        let mut slot = cell.lock().await;
        let fresh = match slot.as_ref() {
            Some(MemberEntry::Ready(_)) => false,
            Some(MemberEntry::Failed(_, at)) => at.elapsed() >= self.tuning.failure_ttl,
            None => true,
        };
        if fresh {
            *slot = Some(self.enter(management, account_id, roles).await);
        }
        match slot.as_ref() {
            Some(MemberEntry::Ready(config)) => Ok(Clients {
                account_id: account_id.to_owned(),
                region: region.to_owned(),
                counter: CallCounter::default(),
                config: (**config).clone(),
                total: self.calls.clone(),
                scope: Scope::Member,
                retry: self.retry,
            }),
            Some(MemberEntry::Failed(message, _)) => Err(LiveError::Unreachable {
                account: account_id.to_owned(),
                message: message.clone(),
            }),
            None => Err(LiveError::Unreachable {
                account: account_id.to_owned(),
                message: "not entered".into(),
            }),
        }
    }

    /// Assumes the purpose's role, or what may stand in for it.
    async fn enter(&self, management: &Clients, account_id: &str, roles: &Roles) -> MemberEntry {
        let sts = management.sts();
        let arn = |role: &str| format!("arn:aws:iam::{account_id}:role/{role}");
        let tuning = &self.tuning;
        let denied =
            match credentials::assume(&sts, &arn(roles.role), tuning, tuning.new_role_wait).await {
                Ok(c) => return self.ready(&sts, arn(roles.role), c),
                Err(f) if !f.denied() => {
                    return MemberEntry::Failed(
                        format!("cannot assume `{}`: {f}", roles.role),
                        Instant::now(),
                    )
                }
                Err(f) => f,
            };
        if roles.purpose == Purpose::Remediate {
            return MemberEntry::Failed(
                format!(
                    "cannot assume `{}`: {denied}; remediation never acts as another role",
                    roles.role
                ),
                Instant::now(),
            );
        }
        if roles.purpose == Purpose::Access {
            return MemberEntry::Failed(
                format!(
                    "cannot assume `{}`: {denied}; on-call access is granted only as that role (is the access stack deployed?)",
                    roles.role
                ),
                Instant::now(),
            );
        }
        if roles.purpose == Purpose::Audit && !self.admin_audit {
            return MemberEntry::Failed(
                format!(
                    "cannot assume `{}`: {denied}; the audit does not run as `{BOOTSTRAP_ROLE}` (an administrator) instead unless that is asked for",
                    roles.role
                ),
                Instant::now(),
            );
        }
        let bootstrap =
            match credentials::assume(&sts, &arn(BOOTSTRAP_ROLE), tuning, tuning.new_account_wait)
                .await
            {
                Ok(c) => c,
                Err(f) => {
                    return MemberEntry::Failed(
                        format!(
                            "cannot assume `{}` ({denied}) nor `{BOOTSTRAP_ROLE}` ({f})",
                            roles.role
                        ),
                        Instant::now(),
                    )
                }
            };
        if roles.purpose == Purpose::Audit {
            self.notice(
                account_id,
                format!(
                    "audited as `{BOOTSTRAP_ROLE}` (an administrator), as asked: `{}` cannot be assumed ({denied})",
                    roles.role
                ),
            );
            return self.ready(&sts, arn(BOOTSTRAP_ROLE), bootstrap);
        }
        // The deploy role stands aside only while the baseline has not
        // created it: a role that exists but refuses the deployer is a
        // trust policy to fix, not a reason to deploy as administrator.
        let iam = self.clients_with(account_id, bootstrap.clone()).iam();
        match iam.get_role().role_name(roles.name()).send().await {
            Err(e) if code_of(&e) == "NoSuchEntity" => {
                self.notice(
                    account_id,
                    format!(
                        "deploying as `{BOOTSTRAP_ROLE}` until the baseline creates `{}` there",
                        roles.role
                    ),
                );
                self.ready(&sts, arn(BOOTSTRAP_ROLE), bootstrap)
            }
            Ok(_) => MemberEntry::Failed(
                format!(
                    "`{}` exists but cannot be assumed ({denied}): its trust policy must allow the management account (the baseline's `landfall-deploy` role trusts it); not deploying as `{BOOTSTRAP_ROLE}` instead",
                    roles.role
                ),
                Instant::now(),
            ),
            Err(e) => MemberEntry::Failed(
                format!(
                    "cannot assume `{}` ({denied}), and cannot tell whether the baseline created it: {}",
                    roles.role,
                    sdk_message(&e)
                ),
                Instant::now(),
            ),
        }
    }

    /// A member entry whose session renews itself.
    fn ready(
        &self,
        sts: &aws_sdk_sts::Client,
        role_arn: String,
        first: Credentials,
    ) -> MemberEntry {
        let provider = AssumeRoleProvider::new(sts.clone(), role_arn, self.tuning, first);
        // One cache per account and role: the SDK's cache holds a bounded
        // number of providers, and an organization has more accounts.
        let cache = IdentityCache::lazy()
            .buffer_time(self.tuning.refresh_before)
            .load_timeout(self.tuning.new_role_wait + Duration::from_secs(30))
            .build();
        let config = self
            .base
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .identity_cache(cache)
            .build();
        MemberEntry::Ready(Box::new(config))
    }

    /// Clients of a member account with fixed credentials (to look around
    /// before deciding how to enter it).
    fn clients_with(&self, account_id: &str, credentials: Credentials) -> Clients {
        Clients {
            account_id: account_id.to_owned(),
            region: self.options.home_region.clone(),
            counter: CallCounter::default(),
            config: self
                .base
                .to_builder()
                .credentials_provider(SharedCredentialsProvider::new(credentials))
                .build(),
            total: self.calls.clone(),
            scope: Scope::Member,
            retry: self.retry,
        }
    }
}
