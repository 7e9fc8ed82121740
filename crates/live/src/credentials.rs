//! Member-account credentials that last as long as the run.
//!
//! A role session lasts an hour at most when the caller is itself a role
//! session (role chaining), and a first deploy of a large organization takes
//! hours. Each (account, role) therefore gets an [`AssumeRoleProvider`] that
//! assumes the role again whenever the SDK's identity cache finds the
//! session close to its end; the clients of that account share the cache.
//!
//! A role that was just created — `OrganizationAccountAccessRole` in a new
//! account, the baseline's roles right after their StackSet ran — answers
//! `AccessDenied` for a while. [`assume`] retries that for as long as
//! [`Tuning`] allows, instead of taking the first answer as final.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::provider::{error::CredentialsError, future, ProvideCredentials};
use aws_sdk_sts::config::Credentials;

use crate::error::{code_of, sdk_message};

/// Timing of role sessions and of waiting for roles to become assumable;
/// the defaults are for AWS, tests shorten them.
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    /// Asked for each role session (`DurationSeconds`).
    pub session_duration: Duration,
    /// A session is renewed when it has less than this left.
    pub refresh_before: Duration,
    /// How long `AccessDenied` is taken for a role not assumable yet in a
    /// newly created account (`OrganizationAccountAccessRole`).
    pub new_account_wait: Duration,
    /// The same for the platform's own roles, created by the baseline.
    pub new_role_wait: Duration,
    /// First wait between attempts; doubles up to `max_backoff`.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// An account that could not be entered is tried again after this long.
    pub failure_ttl: Duration,
}

/// How long roles take to become assumable. IAM is eventually consistent
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency),
/// and `OrganizationAccountAccessRole` of an account Organizations just
/// created can answer `AccessDenied` for some minutes after the creation
/// succeeded (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_access.html);
/// AWS gives no number, so the waits are ours.
/// A role session chained from another role lasts one hour at most
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-role-chaining).
pub const AWS_TUNING: Tuning = Tuning {
    session_duration: Duration::from_secs(3600),
    refresh_before: Duration::from_secs(300),
    new_account_wait: Duration::from_secs(300),
    new_role_wait: Duration::from_secs(30),
    first_backoff: Duration::from_secs(2),
    max_backoff: Duration::from_secs(30),
    failure_ttl: Duration::from_secs(300),
};

impl Default for Tuning {
    fn default() -> Self {
        AWS_TUNING
    }
}

/// Why a role could not be assumed.
#[derive(Debug, Clone)]
pub struct AssumeFailure {
    /// The service's error code (`AccessDenied`), empty when it did not answer.
    pub code: String,
    pub message: String,
    pub attempts: u32,
}

impl AssumeFailure {
    pub fn denied(&self) -> bool {
        self.code == "AccessDenied"
    }
}

impl std::fmt::Display for AssumeFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)?;
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

/// One `AssumeRole` of `role_arn`, retried while it answers `AccessDenied`
/// and `wait` has not passed.
pub async fn assume(
    sts: &aws_sdk_sts::Client,
    role_arn: &str,
    tuning: &Tuning,
    wait: Duration,
) -> Result<Credentials, AssumeFailure> {
    let started = Instant::now();
    let mut delay = tuning.first_backoff;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let failure = match sts
            .assume_role()
            .role_arn(role_arn)
            .role_session_name("landfall")
            .duration_seconds(i32::try_from(tuning.session_duration.as_secs()).unwrap_or(3600))
            .send()
            .await
        {
            Ok(out) => match out.credentials() {
                Some(c) => {
                    return Ok(Credentials::new(
                        c.access_key_id(),
                        c.secret_access_key(),
                        Some(c.session_token().to_owned()),
                        SystemTime::try_from(*c.expiration()).ok(),
                        "landfall-assume-role",
                    ))
                }
                None => AssumeFailure {
                    code: String::new(),
                    message: "AssumeRole returned no credentials".into(),
                    attempts,
                },
            },
            Err(e) => AssumeFailure {
                code: code_of(&e).to_owned(),
                message: sdk_message(&e),
                attempts,
            },
        };
        if !failure.denied() || started.elapsed() + delay > wait {
            return Err(failure);
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(tuning.max_backoff);
    }
}

/// Credentials of one role in one account, assumed again whenever the
/// identity cache asks (that is, shortly before the session ends).
#[derive(Debug)]
pub struct AssumeRoleProvider {
    sts: aws_sdk_sts::Client,
    role_arn: String,
    tuning: Tuning,
    /// The session obtained when the account was entered, handed out once.
    first: Mutex<Option<Credentials>>,
}

impl AssumeRoleProvider {
    /// `sts` is the management account's client (its own credentials
    /// refresh through the standard chain); `first` the session already
    /// obtained.
    pub fn new(
        sts: aws_sdk_sts::Client,
        role_arn: String,
        tuning: Tuning,
        first: Credentials,
    ) -> Self {
        AssumeRoleProvider {
            sts,
            role_arn,
            tuning,
            first: Mutex::new(Some(first)),
        }
    }

    async fn load(&self) -> Result<Credentials, CredentialsError> {
        let first = self
            .first
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(c) = first {
            return Ok(c);
        }
        assume(
            &self.sts,
            &self.role_arn,
            &self.tuning,
            self.tuning.new_role_wait,
        )
        .await
        .map_err(|f| {
            CredentialsError::provider_error(format!(
                "cannot renew the session of `{}`: {f}",
                self.role_arn
            ))
        })
    }
}

impl ProvideCredentials for AssumeRoleProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.load())
    }
}

/// Fails with a plain message when `--profile NAME` names a profile that
/// neither the shared config file nor the credentials file defines (the
/// SDK would fall back to instance metadata and report that instead).
pub fn check_profile_exists(name: &str) -> Result<(), crate::error::LiveError> {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let file = |variable: &str, default: &str| {
        std::env::var_os(variable)
            .map(std::path::PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join(default)))
    };
    let config = file("AWS_CONFIG_FILE", "config");
    let credentials = file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
    let mut known = Vec::new();
    for (path, in_config) in [(&config, true), (&credentials, false)] {
        let Some(text) = path.as_ref().and_then(|p| std::fs::read_to_string(p).ok()) else {
            continue;
        };
        known.extend(profile_names(&text, in_config));
    }
    if known.iter().any(|k| k == name) {
        return Ok(());
    }
    let shown = |p: &Option<std::path::PathBuf>| {
        p.as_ref().map_or_else(
            || "(no home directory)".to_owned(),
            |p| p.display().to_string(),
        )
    };
    known.sort();
    known.dedup();
    let help = if known.is_empty() {
        "no profiles are defined; run `aws configure --profile NAME` or `aws configure sso`"
            .to_owned()
    } else {
        landfall_diagnostics::did_you_mean(name, known.iter().map(String::as_str))
    };
    Err(crate::error::LiveError::Credentials(format!(
        "profile `{name}` is not defined in {} or {}; {help}",
        shown(&config),
        shown(&credentials)
    )))
}

/// Profile names of a shared config file (`[profile NAME]`, `[default]`) or
/// credentials file (`[NAME]`).
fn profile_names(text: &str, config_file: bool) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let section = line.trim().strip_prefix('[')?.strip_suffix(']')?.trim();
            if config_file {
                match section.strip_prefix("profile ") {
                    Some(name) => Some(name.trim().to_owned()),
                    None if section == "default" => Some("default".to_owned()),
                    None => None,
                }
            } else {
                Some(section.to_owned())
            }
        })
        .collect()
}

#[cfg(test)]
mod profile_tests {
    use super::profile_names;

    #[test]
    fn profile_sections_of_both_files() {
        let config = "[default]\nregion = eu-west-1\n[profile platform-admin]\nsso_session = x\n[sso-session x]\n";
        assert_eq!(profile_names(config, true), ["default", "platform-admin"]);
        let credentials = "[default]\naws_access_key_id = A\n[ci]\n";
        assert_eq!(profile_names(credentials, false), ["default", "ci"]);
    }
}
