//! Sessions: credentials, endpoints, role assumption into member accounts,
//! and one set of service clients per account and region.
//!
//! Credentials come from the standard chain (environment, shared config and
//! profiles, SSO, container and instance metadata) on the management account.
//! Member accounts are reached by assuming the platform's roles there, with
//! `OrganizationAccountAccessRole` as the bootstrap fallback. Credentials are
//! held by the SDK's providers and never formatted into output.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_sts::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_sts::config::{
    ConfigBag, Credentials, Intercept, Region, RuntimeComponents, SharedCredentialsProvider,
};

use crate::error::{sdk_message, LiveError};

/// Where and as whom to connect.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// An emulator or private endpoint for every service (`--endpoint-url`).
    pub endpoint_url: Option<String>,
    /// A named profile of the shared config files (`--profile`).
    pub profile: Option<String>,
    /// The region of the management account's calls: the model's home region.
    pub home_region: String,
    /// Most attempts per call (throttling and transient errors back off
    /// exponentially between attempts).
    pub max_attempts: u32,
}

/// Roles tried, in order, when entering a member account. The first is the
/// baseline's audit or deploy role; `OrganizationAccountAccessRole` is what
/// Organizations creates in every new account.
pub const DEPLOY_ROLES: [&str; 2] = ["landfall/landfall-deploy", "OrganizationAccountAccessRole"];
pub const AUDIT_ROLES: [&str; 2] = ["landfall/landfall-audit", "OrganizationAccountAccessRole"];

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
    /// Credentials per (account id, role set), so each account is entered
    /// once, even by tasks asking for it at the same time.
    members: Arc<Mutex<HashMap<String, Arc<tokio::sync::OnceCell<MemberEntry>>>>>,
    /// Every call made through this session.
    pub calls: CallCounter,
}

#[derive(Clone)]
enum MemberEntry {
    Ready(Box<SdkConfig>, String),
    Failed(String),
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
}

macro_rules! client {
    ($fn:ident, $krate:ident) => {
        pub fn $fn(&self) -> $krate::Client {
            let config = $krate::config::Builder::from(&self.config)
                .region(Region::new(self.region.clone()))
                .interceptor(self.counter.clone())
                .interceptor(self.total.clone())
                .build();
            $krate::Client::from_conf(config)
        }
    };
}

impl Clients {
    client!(organizations, aws_sdk_organizations);
    client!(cloudformation, aws_sdk_cloudformation);
    client!(ec2, aws_sdk_ec2);
    client!(iam, aws_sdk_iam);
    client!(kms, aws_sdk_kms);
    client!(sts, aws_sdk_sts);
    client!(guardduty, aws_sdk_guardduty);
    client!(ram, aws_sdk_ram);
    client!(securityhub, aws_sdk_securityhub);

    pub fn s3(&self) -> aws_sdk_s3::Client {
        let mut builder = aws_sdk_s3::config::Builder::from(&self.config)
            .region(Region::new(self.region.clone()))
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
        }
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
        let attempts = options.max_attempts.max(1);
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http_client())
            .region(Region::new(options.home_region.clone()))
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(attempts)
                    .with_initial_backoff(Duration::from_millis(200)),
            );
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
            members: Arc::default(),
            calls: CallCounter::default(),
        }
    }

    pub fn home_region(&self) -> &str {
        &self.options.home_region
    }

    pub fn endpoint_url(&self) -> Option<&str> {
        self.options.endpoint_url.as_deref()
    }

    /// The management account's clients in its home region.
    pub async fn management(&self) -> Result<Clients, LiveError> {
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
        };
        let identity = clients
            .sts()
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| LiveError::Credentials(format!("cannot sign in: {}", sdk_message(&e))))?;
        clients.account_id = identity.account().unwrap_or_default().to_owned();
        Ok(clients)
    }

    /// Clients inside a member account, entering it through the first of
    /// `roles` that can be assumed. Each account is entered once per session.
    pub async fn member(
        &self,
        management: &Clients,
        account_id: &str,
        region: &str,
        roles: &[&str],
    ) -> Result<Clients, LiveError> {
        if account_id == management.account_id {
            return Ok(management.in_region(region));
        }
        let key = format!("{account_id}/{}", roles.join(","));
        let cell = match self.members.lock() {
            Ok(mut m) => m.entry(key).or_default().clone(),
            Err(_) => Arc::default(),
        };
        let entry = cell
            .get_or_init(|| self.assume(management, account_id, roles))
            .await
            .clone();
        match entry {
            MemberEntry::Ready(config, _role) => Ok(Clients {
                account_id: account_id.to_owned(),
                region: region.to_owned(),
                counter: CallCounter::default(),
                config: *config,
                total: self.calls.clone(),
            }),
            MemberEntry::Failed(message) => Err(LiveError::Unreachable {
                account: account_id.to_owned(),
                message,
            }),
        }
    }

    async fn assume(&self, management: &Clients, account_id: &str, roles: &[&str]) -> MemberEntry {
        let sts = management.sts();
        let mut last = String::new();
        for role in roles {
            let arn = format!("arn:aws:iam::{account_id}:role/{role}");
            match sts
                .assume_role()
                .role_arn(&arn)
                .role_session_name("landfall")
                .duration_seconds(3600)
                .send()
                .await
            {
                Ok(out) => {
                    let Some(c) = out.credentials() else {
                        last = format!("assuming `{role}` returned no credentials");
                        continue;
                    };
                    let credentials = Credentials::new(
                        c.access_key_id(),
                        c.secret_access_key(),
                        Some(c.session_token().to_owned()),
                        std::time::SystemTime::try_from(*c.expiration()).ok(),
                        "landfall-assume-role",
                    );
                    let config = self
                        .base
                        .to_builder()
                        .credentials_provider(SharedCredentialsProvider::new(credentials))
                        .build();
                    return MemberEntry::Ready(Box::new(config), (*role).to_owned());
                }
                Err(e) => last = format!("cannot assume `{role}`: {}", sdk_message(&e)),
            }
        }
        MemberEntry::Failed(last)
    }
}
