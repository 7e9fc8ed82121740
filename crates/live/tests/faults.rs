//! The deployer's clients against what the emulator hides, through a
//! fault-injecting proxy in front of moto server (`support/faults.rs`):
//! throttling, roles of new accounts not assumable for a while, sessions
//! that end mid-run, slow StackSet operations, organization changes that
//! take effect later, and no silent administrator fallback for the audit.
//! The last test turns moto's IAM enforcement on.
//!
//! Needs moto server like `emulator.rs` (`LANDFALL_MOTO_ENDPOINT`, or
//! `scripts/moto.sh start`); skipped with a note without one, except with
//! `CI=true`. Every wait is shortened through [`Tuning`], so the whole file
//! runs in seconds.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "support/faults.rs"]
mod faults;
mod support;

use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use aws_config::retry::RetryMode;
use aws_sdk_organizations::types::{OrganizationFeatureSet, PolicyType};
use faults::{Behaviour, Fault, FaultProxy, Rule};
use landfall_live::aws::{Clients, AUDIT_ROLES, DEPLOY_ROLES};
use landfall_live::credentials::Tuning;
use landfall_live::retry::{self, Settle};
use landfall_live::{org, stacks, ConnectOptions, LiveError, Progress, Session, Waits};
use support::{endpoint_or_skip, reset};

const REGION: &str = "us-east-1";

/// The tests share one moto server and reset it: one at a time.
static MOTO: Mutex<()> = Mutex::new(());

fn run<F, Fut>(test: &str, body: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    // Before anything sets credentials in the environment.
    let _one_at_a_time = MOTO.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(url) = endpoint_or_skip(test) else {
        return;
    };
    reset(&url);
    let runtime = landfall_live::runtime().unwrap();
    runtime.block_on(body(url));
}

/// AWS's waits, shortened to fractions of a second.
fn quick() -> Tuning {
    Tuning {
        // STS's shortest session.
        session_duration: Duration::from_secs(900),
        refresh_before: Duration::from_millis(500),
        new_account_wait: Duration::from_secs(5),
        new_role_wait: Duration::from_millis(300),
        first_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(400),
        failure_ttl: Duration::ZERO,
    }
}

async fn connect(url: &str, tuning: Tuning, max_attempts: u32) -> Session {
    Session::connect(ConnectOptions {
        endpoint_url: Some(url.to_owned()),
        profile: None,
        home_region: REGION.into(),
        max_attempts,
    })
    .await
    .with_tuning(tuning)
    .with_initial_backoff(Duration::from_millis(20))
}

async fn create_organization(mgmt: &Clients) {
    mgmt.organizations()
        .create_organization()
        .feature_set(OrganizationFeatureSet::All)
        .send()
        .await
        .expect("create organization");
}

/// A new member account's id.
async fn create_account(mgmt: &Clients, name: &str) -> String {
    create_account_with(mgmt, name, &format!("{name}@example.com")).await
}

async fn create_account_with(mgmt: &Clients, name: &str, email: &str) -> String {
    let out = mgmt
        .organizations()
        .create_account()
        .account_name(name)
        .email(email)
        .send()
        .await
        .expect("create account");
    let request = out
        .create_account_status()
        .unwrap()
        .id()
        .unwrap()
        .to_owned();
    let status = mgmt
        .organizations()
        .describe_create_account_status()
        .create_account_request_id(request)
        .send()
        .await
        .expect("account status");
    status
        .create_account_status()
        .unwrap()
        .account_id()
        .unwrap()
        .to_owned()
}

fn http_client() -> aws_sdk_sts::config::SharedHttpClient {
    use aws_smithy_http_client::tls;
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

fn unreachable_message(r: Result<Clients, LiveError>) -> String {
    match r {
        Err(LiveError::Unreachable { message, .. }) => message,
        Err(other) => panic!("expected an unreachable account, got {other}"),
        Ok(_) => panic!("expected an unreachable account, but it was entered"),
    }
}

fn injected(proxy: &FaultProxy, action: &str) -> usize {
    proxy
        .seen_of(action)
        .iter()
        .filter(|s| s.injected.is_some())
        .count()
}

/// Throttling answers are retried by the SDK, in adaptive mode for
/// Organizations and the management account's CloudFormation (whose quotas
/// the whole organization shares), standard mode elsewhere; each protocol's
/// throttling shape is recognised (JSON `TooManyRequestsException`, query
/// `Throttling`, EC2 `RequestLimitExceeded`).
/// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
/// https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
#[test]
fn throttled_calls_are_retried_adaptively_for_organizations() {
    run(
        "throttled_calls_are_retried_adaptively_for_organizations",
        |url| async move {
            let proxy = FaultProxy::start(&url).await;
            let session = connect(&proxy.url, quick(), 0).await;
            let mgmt = session.management().await.expect("management account");
            create_organization(&mgmt).await;
            let account = create_account(&mgmt, "throttled").await;

            // Without retries the injected throttling is what the caller gets.
            let single = session_at(&proxy.url, 1).await;
            let single_mgmt = single.management().await.unwrap();
            proxy.add(
                Rule::new(
                    "organizations:ListRoots",
                    Fault::throttling("organizations"),
                )
                .times(1),
            );
            let err = org::read(&single_mgmt)
                .await
                .expect_err("throttled once, no retry");
            assert!(
                err.to_string().contains("TooManyRequestsException"),
                "{err}"
            );

            proxy.add(
                Rule::new(
                    "organizations:ListRoots",
                    Fault::throttling("organizations"),
                )
                .times(3),
            );
            proxy.add(
                Rule::new(
                    "organizations:ListAccountsForParent",
                    Fault::throttling("organizations"),
                )
                .times(2),
            );
            let state = org::read(&mgmt)
                .await
                .expect("organization read through throttling");
            assert!(state.exists && state.account_by_id(&account).is_some());
            assert_eq!(injected(&proxy, "organizations:ListRoots"), 4);
            assert_eq!(injected(&proxy, "organizations:ListAccountsForParent"), 2);
            let retry =
                |c: &aws_sdk_organizations::Client| c.config().retry_config().unwrap().mode();
            assert_eq!(retry(&mgmt.organizations()), RetryMode::Adaptive);
            let cfn_mode = mgmt
                .cloudformation()
                .config()
                .retry_config()
                .unwrap()
                .mode();
            assert_eq!(cfn_mode, RetryMode::Adaptive);

            let member = session
                .member(&mgmt, &account, REGION, &DEPLOY_ROLES)
                .await
                .expect("member account");
            proxy.add(
                Rule::new(
                    "cloudformation:DescribeStacks",
                    Fault::throttling("cloudformation"),
                )
                .times(2),
            );
            proxy.add(Rule::new("ec2:DescribeVpcs", Fault::throttling("ec2")).times(2));
            assert!(stacks::read_stack(&member, "absent")
                .await
                .expect("read stack")
                .is_none());
            member
                .ec2()
                .describe_vpcs()
                .send()
                .await
                .expect("describe VPCs");
            assert_eq!(injected(&proxy, "cloudformation:DescribeStacks"), 2);
            assert_eq!(injected(&proxy, "ec2:DescribeVpcs"), 2);
            let member_mode = member
                .cloudformation()
                .config()
                .retry_config()
                .unwrap()
                .mode();
            assert_eq!(member_mode, RetryMode::Standard);
        },
    );
}

async fn session_at(url: &str, max_attempts: u32) -> Session {
    connect(url, quick(), max_attempts).await
}

/// A role in a new account answers `AccessDenied` for a while: entering the
/// account waits for it with backoff, and a failure is not remembered for
/// the rest of the run.
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency
#[test]
fn a_new_accounts_role_is_waited_for_and_a_failure_is_not_kept() {
    run(
        "a_new_accounts_role_is_waited_for_and_a_failure_is_not_kept",
        |url| async move {
            let proxy = FaultProxy::start(&url).await;
            let denial = Duration::from_millis(1500);
            proxy.set(Behaviour {
                new_account_denial: Some(denial),
                ..Behaviour::default()
            });
            let patient = Tuning {
                new_role_wait: Duration::from_secs(5),
                ..quick()
            };
            let session = connect(&proxy.url, patient, 0).await;
            let mgmt = session.management().await.unwrap();
            create_organization(&mgmt).await;
            let created = Instant::now();
            let account = create_account(&mgmt, "fresh").await;
            let member = session
                .member(&mgmt, &account, REGION, &DEPLOY_ROLES)
                .await
                .expect("entered once the role is assumable");
            assert!(created.elapsed() >= denial);
            let who = member.sts().get_caller_identity().send().await.unwrap();
            assert_eq!(who.account(), Some(account.as_str()));
            assert!(
                who.arn().unwrap().contains("landfall-deploy"),
                "{:?}",
                who.arn()
            );
            let denied = injected(&proxy, "sts:AssumeRole");
            assert!(denied >= 2, "AccessDenied answered {denied} time(s)");
            assert!(session.notices().is_empty(), "{:?}", session.notices());

            // Too impatient: the first entry fails, the next one (after the
            // role became assumable) succeeds.
            let impatient = Tuning {
                new_account_wait: Duration::from_millis(200),
                ..quick()
            };
            let impatient = connect(&proxy.url, impatient, 0).await;
            let created = Instant::now();
            let second = create_account(&mgmt, "fresher").await;
            let message = unreachable_message(
                impatient
                    .member(&mgmt, &second, REGION, &DEPLOY_ROLES)
                    .await,
            );
            assert!(message.contains("AccessDenied"), "{message}");
            tokio::time::sleep((created + denial).saturating_duration_since(Instant::now())).await;
            impatient
                .member(&mgmt, &second, REGION, &DEPLOY_ROLES)
                .await
                .expect("the failure was not kept");
        },
    );
}

/// A role session that ends mid-run is renewed before its end: the next
/// call succeeds, where a session that is not renewed gets `ExpiredToken`.
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-role-chaining
#[test]
fn a_session_that_ends_mid_run_is_renewed() {
    run("a_session_that_ends_mid_run_is_renewed", |url| async move {
        let proxy = FaultProxy::start(&url).await;
        let lifetime = Duration::from_millis(2000);
        proxy.set(Behaviour {
            session_lifetime: Some(lifetime),
            ..Behaviour::default()
        });
        let session = connect(&proxy.url, quick(), 0).await;
        let mgmt = session.management().await.unwrap();
        create_organization(&mgmt).await;
        let account = create_account(&mgmt, "long-deploy").await;

        let member = session
            .member(&mgmt, &account, REGION, &DEPLOY_ROLES)
            .await
            .unwrap();
        // A session that nothing renews, for comparison.
        let fixed = mgmt
            .sts()
            .assume_role()
            .role_arn(format!(
                "arn:aws:iam::{account}:role/landfall/landfall-deploy"
            ))
            .role_session_name("fixed")
            .send()
            .await
            .unwrap();
        let c = fixed.credentials().unwrap();
        let fixed_sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::Config::builder()
                .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
                .http_client(http_client())
                .endpoint_url(&proxy.url)
                .region(aws_sdk_sts::config::Region::new(REGION))
                .credentials_provider(aws_sdk_sts::config::Credentials::new(
                    c.access_key_id(),
                    c.secret_access_key(),
                    Some(c.session_token().to_owned()),
                    None,
                    "fixed",
                ))
                .build(),
        );
        member.sts().get_caller_identity().send().await.unwrap();
        fixed_sts.get_caller_identity().send().await.unwrap();
        let assumed_before = proxy.seen_of("sts:AssumeRole").len();

        tokio::time::sleep(lifetime + Duration::from_millis(300)).await;
        let err = fixed_sts
            .get_caller_identity()
            .send()
            .await
            .expect_err("the fixed session ended");
        assert_eq!(
            aws_sdk_sts::error::ProvideErrorMetadata::code(&err),
            Some("ExpiredToken")
        );
        let who = member
            .sts()
            .get_caller_identity()
            .send()
            .await
            .expect("the renewed session works");
        assert_eq!(who.account(), Some(account.as_str()));
        member
            .cloudformation()
            .describe_stacks()
            .send()
            .await
            .expect("and so does every client of the account");
        assert_eq!(
            proxy.seen_of("sts:AssumeRole").len(),
            assumed_before + 1,
            "renewed exactly once"
        );
        let expired_for_member = proxy
            .seen()
            .iter()
            .filter(|s| s.injected.as_deref() == Some("ExpiredToken"))
            .count();
        assert_eq!(expired_for_member, 1, "only the fixed session expired");
    });
}

/// The audit enters accounts as `landfall-audit` (read-only) or not at all:
/// never as `OrganizationAccountAccessRole` (an administrator) unless asked,
/// and then with a notice. The deploy stands in `OrganizationAccountAccessRole`
/// only while the baseline has not created `landfall-deploy` there.
#[test]
fn the_audit_never_runs_as_administrator_unasked() {
    run(
        "the_audit_never_runs_as_administrator_unasked",
        |url| async move {
            let proxy = FaultProxy::start(&url).await;
            let denied = |role: &str| {
                Rule::new(
                    "sts:AssumeRole",
                    Fault::Error {
                        code: "AccessDenied".into(),
                        status: 403,
                    },
                )
                .when_body_contains(role)
            };
            proxy.add(denied("landfall/landfall-audit"));
            proxy.add(denied("landfall/landfall-deploy"));
            let session = connect(&proxy.url, quick(), 0).await;
            let mgmt = session.management().await.unwrap();
            create_organization(&mgmt).await;
            let account = create_account(&mgmt, "audited").await;

            let message =
                unreachable_message(session.member(&mgmt, &account, REGION, &AUDIT_ROLES).await);
            assert!(message.contains("landfall-audit"), "{message}");
            assert!(
                message.contains("OrganizationAccountAccessRole"),
                "{message}"
            );
            let bootstrap_tried = proxy
                .seen_of("sts:AssumeRole")
                .iter()
                .any(|s| s.body.contains("OrganizationAccountAccessRole"));
            assert!(!bootstrap_tried, "the audit tried the administrator role");

            let asked = session_at(&proxy.url, 0).await.allow_admin_audit(true);
            asked
                .member(&mgmt, &account, REGION, &AUDIT_ROLES)
                .await
                .expect("entered as administrator, as asked");
            let notices = asked.notices();
            assert_eq!(notices.len(), 1, "{notices:?}");
            assert!(notices[0].contains(&account) && notices[0].contains("administrator"));

            // Deploy: no `landfall-deploy` yet, so the bootstrap role stands in,
            // said in a notice.
            let member = session
                .member(&mgmt, &account, REGION, &DEPLOY_ROLES)
                .await
                .expect("entered through the bootstrap role");
            let notices = session.notices();
            assert_eq!(notices.len(), 1, "{notices:?}");
            assert!(
                notices[0].contains("until the baseline creates"),
                "{notices:?}"
            );
            // Once the baseline created it, a deploy role that refuses the
            // deployer is an error, not a reason to deploy as administrator.
            member
                .iam()
                .create_role()
                .role_name("landfall-deploy")
                .path("/landfall/")
                .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[]}"#)
                .send()
                .await
                .unwrap();
            let later = session_at(&proxy.url, 0).await;
            let message =
                unreachable_message(later.member(&mgmt, &account, REGION, &DEPLOY_ROLES).await);
            assert!(
                message.contains("exists but cannot be assumed"),
                "{message}"
            );
            assert!(later.notices().is_empty());
        },
    );
}

/// `EnablePolicyType` is asynchronous: `AttachPolicy` right after it can
/// answer `PolicyTypeNotEnabledException`, which `retry::until_settled`
/// waits out.
/// https://docs.aws.amazon.com/organizations/latest/APIReference/API_EnablePolicyType.html
#[test]
fn attaching_a_policy_waits_for_its_policy_type() {
    run(
        "attaching_a_policy_waits_for_its_policy_type",
        |url| async move {
            let proxy = FaultProxy::start(&url).await;
            let session = connect(&proxy.url, quick(), 0).await;
            let mgmt = session.management().await.unwrap();
            create_organization(&mgmt).await;
            let organizations = mgmt.organizations();
            let state = org::read(&mgmt).await.unwrap();
            organizations
                .enable_policy_type()
                .root_id(&state.root_id)
                .policy_type(PolicyType::ServiceControlPolicy)
                .send()
                .await
                .unwrap();
            let policy = organizations
            .create_policy()
            .name("deny-leave")
            .description("test")
            .r#type(PolicyType::ServiceControlPolicy)
            .content(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}"#)
            .send()
            .await
            .unwrap();
            let id = policy
                .policy()
                .unwrap()
                .policy_summary()
                .unwrap()
                .id()
                .unwrap()
                .to_owned();
            let not_yet = || {
                Rule::new(
                    "organizations:AttachPolicy",
                    Fault::Error {
                        code: "PolicyTypeNotEnabledException".into(),
                        status: 400,
                    },
                )
            };
            // Called once, the call fails.
            proxy.add(not_yet().times(1));
            let attach = || {
                organizations
                    .attach_policy()
                    .policy_id(&id)
                    .target_id(&state.root_id)
                    .send()
            };
            let err = attach().await.expect_err("not enabled yet");
            assert_eq!(
                aws_sdk_organizations::error::ProvideErrorMetadata::code(&err),
                Some("PolicyTypeNotEnabledException")
            );
            proxy.add(not_yet().times(3));
            let settle = Settle {
                first_delay: Duration::from_millis(50),
                max_delay: Duration::from_millis(200),
                deadline: Duration::from_secs(5),
            };
            retry::until_settled(settle, retry::ORGANIZATION_NOT_YET, attach)
                .await
                .expect("attached once the policy type is enabled");
            assert_eq!(injected(&proxy, "organizations:AttachPolicy"), 4);
        },
    );
}

/// StackSet operations run for minutes on AWS: the deployer polls until the
/// operation ends, and gives up at its timeout.
/// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackSetOperation.html
#[test]
fn slow_stack_set_operations_are_waited_for() {
    run(
        "slow_stack_set_operations_are_waited_for",
        |url| async move {
            let proxy = FaultProxy::start(&url).await;
            let running = Duration::from_millis(1200);
            proxy.set(Behaviour {
                stack_set_operation_time: Some(running),
                ..Behaviour::default()
            });
            let session = connect(&proxy.url, quick(), 0).await;
            let mgmt = session.management().await.unwrap();
            create_organization(&mgmt).await;
            let state = org::read(&mgmt).await.unwrap();
            let ou = mgmt
                .organizations()
                .create_organizational_unit()
                .parent_id(&state.root_id)
                .name("Workloads")
                .send()
                .await
                .unwrap();
            let ou_id = ou.organizational_unit().unwrap().id().unwrap().to_owned();
            let account = create_account(&mgmt, "member").await;
            mgmt.organizations()
                .move_account()
                .account_id(&account)
                .source_parent_id(&state.root_id)
                .destination_parent_id(&ou_id)
                .send()
                .await
                .unwrap();
            let template = serde_json::json!({
                "Resources": { "Topic": { "Type": "AWS::SNS::Topic" } }
            });
            let progress = Progress::new(false);
            let apply = |name: &'static str, timeout: Duration| {
                let (mgmt, template, ou_id, progress) = (&mgmt, &template, &ou_id, &progress);
                async move {
                    let task = progress.start(name, "CHECKING");
                    stacks::apply_stack_set(
                        mgmt,
                        name,
                        template,
                        &[],
                        std::slice::from_ref(ou_id),
                        &[],
                        &[REGION.to_owned()],
                        true,
                        None,
                        Waits {
                            poll: Duration::from_millis(100),
                            stack_timeout: timeout,
                        },
                        &task,
                    )
                    .await
                }
            };
            let started = Instant::now();
            let action = apply("slow", Duration::from_secs(10))
                .await
                .expect("the operation ends");
            assert_eq!(action, "created");
            assert!(started.elapsed() >= running, "{:?}", started.elapsed());
            assert!(
                proxy
                    .seen_of("cloudformation:DescribeStackSetOperation")
                    .len()
                    >= 3
            );

            let err = apply("impatient", Duration::from_millis(300))
                .await
                .expect_err("still running at the timeout");
            assert!(matches!(err, LiveError::Timeout(_)), "{err}");
        },
    );
}

/// The organization is read once per session until it is said to have
/// changed.
#[test]
fn the_organization_is_read_once_per_command() {
    run(
        "the_organization_is_read_once_per_command",
        |url| async move {
            let proxy = FaultProxy::start(&url).await;
            let session = connect(&proxy.url, quick(), 0).await;
            let mgmt = session.management().await.unwrap();
            create_organization(&mgmt).await;
            let first = session.organization(&mgmt).await.unwrap();
            let again = session.organization(&mgmt).await.unwrap();
            assert_eq!(first.root_id, again.root_id);
            assert_eq!(proxy.seen_of("organizations:ListRoots").len(), 1);
            create_account(&mgmt, "added").await;
            session.organization_changed().await;
            let changed = session.organization(&mgmt).await.unwrap();
            assert_eq!(changed.accounts.len(), first.accounts.len() + 1);
            assert_eq!(proxy.seen_of("organizations:ListRoots").len(), 2);
        },
    );
}

/// moto's IAM enforcement, on while this lives: every request must then be
/// signed by a known key and allowed by its identity policies; requests
/// before it are free. (moto 5.2.5 reads `INITIAL_NO_AUTH_ACTION_COUNT` at
/// start, and `POST /moto-api/reset-auth` sets it on a running server.)
struct Enforcement(String);

impl Enforcement {
    fn on(url: &str) -> Enforcement {
        reset_auth(url, "0");
        Enforcement(url.to_owned())
    }
}

impl Drop for Enforcement {
    fn drop(&mut self) {
        reset_auth(&self.0, "inf");
    }
}

fn reset_auth(url: &str, count: &str) {
    use std::io::{Read, Write};
    let (host, port) = support::host_port(url).unwrap();
    let mut stream = std::net::TcpStream::connect((host.as_str(), port)).unwrap();
    write!(
        stream,
        "POST /moto-api/reset-auth HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{count}",
        count.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "reset-auth: {answer}");
}

/// An IAM user of the management account with an inline policy; its keys.
async fn user(iam: &aws_sdk_iam::Client, name: &str, actions: &[&str]) -> (String, String) {
    iam.create_user().user_name(name).send().await.unwrap();
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{ "Effect": "Allow", "Action": actions, "Resource": "*" }]
    });
    iam.put_user_policy()
        .user_name(name)
        .policy_name("landfall")
        .policy_document(policy.to_string())
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key()
        .user_name(name)
        .send()
        .await
        .unwrap();
    let key = key.access_key().unwrap();
    (
        key.access_key_id().to_owned(),
        key.secret_access_key().to_owned(),
    )
}

fn use_keys((id, secret): &(String, String)) {
    std::env::set_var("AWS_ACCESS_KEY_ID", id);
    std::env::set_var("AWS_SECRET_ACCESS_KEY", secret);
}

/// With moto's IAM enforcement on, the deploying principal's own policy
/// decides whether it may enter member accounts: a principal allowed
/// `sts:AssumeRole` enters as the baseline's role; one that is not gets a
/// located refusal instead of a silent fallback; unknown keys are refused.
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_permissions-to-switch.html
#[test]
fn role_assumptions_hold_with_iam_enforcement() {
    run(
        "role_assumptions_hold_with_iam_enforcement",
        |url| async move {
            let setup = connect(&url, quick(), 0).await;
            let mgmt = setup.management().await.unwrap();
            let iam = mgmt.iam();
            let deployer = user(
                &iam,
                "deployer",
                &["organizations:*", "sts:AssumeRole", "cloudformation:*"],
            )
            .await;
            let reader = user(&iam, "reader", &["organizations:*"]).await;
            create_organization(&mgmt).await;
            let account = create_account(&mgmt, "enforced").await;

            let _enforced = Enforcement::on(&url);
            let stranger = connect(&url, quick(), 1).await;
            let Err(err) = stranger.management().await else {
                panic!("unknown keys were let in");
            };
            assert!(err.to_string().contains("InvalidClientTokenId"), "{err}");

            use_keys(&deployer);
            let session_as_deployer = connect(&url, quick(), 1).await;
            let mgmt = session_as_deployer
                .management()
                .await
                .expect("the deployer signs in");
            let state = org::read(&mgmt).await.expect("organizations:* is allowed");
            assert!(state.account_by_id(&account).is_some());
            let member = session_as_deployer
                .member(&mgmt, &account, REGION, &DEPLOY_ROLES)
                .await
                .expect("sts:AssumeRole is allowed");
            let who = member.sts().get_caller_identity().send().await.unwrap();
            assert!(
                who.arn().unwrap().contains("landfall-deploy"),
                "{:?}",
                who.arn()
            );

            use_keys(&reader);
            let session_as_reader = connect(&url, quick(), 1).await;
            let mgmt = session_as_reader
                .management()
                .await
                .expect("the reader signs in");
            org::read(&mgmt).await.expect("organizations:* is allowed");
            let message = unreachable_message(
                session_as_reader
                    .member(&mgmt, &account, REGION, &AUDIT_ROLES)
                    .await,
            );
            assert!(message.contains("AccessDenied"), "{message}");
            assert!(session_as_reader.notices().is_empty());
            use_keys(&("testing".to_owned(), "testing".to_owned()));
        },
    );
}

/// A stack call that went through but whose answer was lost is retried by
/// the SDK with the same `ClientRequestToken`, so CloudFormation recognises
/// the retry instead of failing it against a stack already in progress
/// (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html,
/// `ClientRequestToken`). moto answers the retry itself (the stack exists);
/// what AWS needs is the token, the same on both attempts.
/// Creates or updates stack `name` in the management account with `topics`
/// SNS topics (a different count is an update), as `role` when given.
async fn topics_stack(
    mgmt: &Clients,
    name: &str,
    topics: usize,
    role: Option<&str>,
) -> stacks::StackOutcome {
    let resources: serde_json::Map<String, serde_json::Value> = (0..topics)
        .map(|i| {
            (
                format!("Topic{i}"),
                serde_json::json!({ "Type": "AWS::SNS::Topic" }),
            )
        })
        .collect();
    let progress = Progress::new(false);
    let task = progress.start(name, "CHECKING");
    stacks::apply_stack(
        mgmt,
        "management",
        name,
        &serde_json::json!({ "Resources": resources }),
        &[],
        0,
        role,
        None,
        Waits {
            poll: Duration::from_millis(100),
            stack_timeout: Duration::from_secs(20),
        },
        landfall_live::Compat::Moto,
        &task,
    )
    .await
}

#[test]
fn a_retried_stack_call_carries_the_token_of_the_first() {
    run(
        "a_retried_stack_call_carries_the_token_of_the_first",
        |url| async move {
            let proxy = FaultProxy::start(&url).await;
            for action in ["CreateStack", "UpdateStack"] {
                proxy.add(Rule {
                    times: Some(1),
                    ..Rule::new(&format!("cloudformation:{action}"), Fault::LoseResponse)
                });
            }
            let session = connect(&proxy.url, quick(), 3).await;
            let mgmt = session.management().await.unwrap();
            for topics in [1, 2] {
                let outcome = topics_stack(&mgmt, "tokens", topics, None).await;
                assert!(outcome.ok, "{outcome:?}");
            }
            for action in ["CreateStack", "UpdateStack"] {
                let calls = proxy.seen_of(&format!("cloudformation:{action}"));
                assert_eq!(calls.len(), 2, "{action}: the lost answer is retried");
                let token = |i: usize| {
                    faults::form_value(&calls[i].body, "ClientRequestToken").unwrap_or_default()
                };
                assert!(
                    token(0).starts_with("landfall-"),
                    "{action}: {}",
                    calls[0].body
                );
                assert_eq!(
                    token(0),
                    token(1),
                    "{action}: the retry carries the first token"
                );
            }
        },
    );
}

/// A stack with a Network Load Balancer (deletion protection on, as the
/// platform's are) in a VPC of its own; without the load balancer when
/// `load_balancer` is false.
fn protected_lb_template(load_balancer: bool) -> serde_json::Value {
    let mut template = serde_json::json!({
        "Parameters": { "Purpose": { "Type": "String" } },
        "Resources": {
            "Vpc": { "Type": "AWS::EC2::VPC", "Properties": { "CidrBlock": "10.0.0.0/16" } },
            "Subnet": {
                "Type": "AWS::EC2::Subnet",
                "Properties": { "VpcId": { "Ref": "Vpc" }, "CidrBlock": "10.0.0.0/24" }
            },
            "Nlb": {
                "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
                "Properties": {
                    "Type": "network",
                    "Scheme": "internal",
                    "Subnets": [{ "Ref": "Subnet" }],
                    "LoadBalancerAttributes": [
                        { "Key": "deletion_protection.enabled", "Value": "true" }
                    ]
                }
            }
        }
    });
    if !load_balancer {
        template["Resources"].as_object_mut().unwrap().remove("Nlb");
    }
    template
}

/// CloudFormation does not turn off a load balancer's deletion protection
/// before deleting it: the deletion fails
/// (https://docs.aws.amazon.com/elasticloadbalancing/latest/network/network-load-balancers.html#deletion-protection:
/// "you can't delete a load balancer if deletion protection is enabled"),
/// in an update's clean-up (the load balancer is left running) as in a
/// stack's deletion (`DELETE_FAILED`). moto ignores the attribute, so what
/// is checked is the calls: an update that drops the protected load
/// balancer is preceded by an update of the live template with the
/// protection alone turned off and every parameter kept
/// (`UsePreviousValue`); a retired stack holding one gets the same update
/// before its `DeleteStack`.
#[test]
fn protected_load_balancers_are_unprotected_before_an_update_or_a_retirement_deletes_them() {
    run(
        "protected_load_balancers_are_unprotected_before_an_update_or_a_retirement_deletes_them",
        |url| async move {
            let proxy = FaultProxy::start(&url).await;
            let session = connect(&proxy.url, quick(), 3).await;
            let mgmt = session.management().await.unwrap();
            let progress = Progress::new(false);
            let waits = Waits {
                poll: Duration::from_millis(100),
                stack_timeout: Duration::from_secs(20),
            };
            let apply = |name: &'static str, load_balancer: bool| {
                let mgmt = mgmt.clone();
                let task = progress.start(name, "CHECKING");
                async move {
                    stacks::apply_stack(
                        &mgmt,
                        "management",
                        name,
                        &protected_lb_template(load_balancer),
                        &[("Purpose".to_owned(), "remediation".to_owned())],
                        0,
                        None,
                        None,
                        waits,
                        landfall_live::Compat::Moto,
                        &task,
                    )
                    .await
                }
            };
            let body_of = |seen: &faults::Seen| {
                let body = faults::form_value(&seen.body, "TemplateBody").unwrap_or_default();
                serde_json::from_str::<serde_json::Value>(&body).unwrap_or_default()
            };

            // An update that drops the load balancer.
            let created = apply("dropping", true).await;
            assert!(created.ok && created.before.is_empty(), "{created:?}");
            let updated = apply("dropping", false).await;
            assert!(updated.ok, "{updated:?}");
            assert_eq!(
                updated.before,
                vec!["deletion protection of load balancer `Nlb` in stack `dropping` turned off"]
            );
            let updates = proxy.seen_of("cloudformation:UpdateStack");
            assert_eq!(updates.len(), 2, "lift, then the update");
            let lifted = body_of(&updates[0]);
            assert_eq!(
                lifted["Resources"]["Nlb"]["Properties"]["LoadBalancerAttributes"][0]["Value"],
                "false"
            );
            assert!(
                updates[0].body.contains("UsePreviousValue=true"),
                "{}",
                updates[0].body
            );
            assert_eq!(body_of(&updates[1]), protected_lb_template(false));

            // A retired stack holding one.
            assert!(apply("retired", true).await.ok);
            let task = progress.start("retired", "DELETING");
            let before = landfall_live::retire::delete_stack(&mgmt, "retired", None, waits, &task)
                .await
                .expect("retired");
            assert_eq!(
                before,
                vec!["deletion protection of load balancer `Nlb` in stack `retired` turned off"]
            );
            let calls: Vec<(String, String)> = proxy
                .seen()
                .into_iter()
                .filter(|s| {
                    s.action == "DeleteStack"
                        || (s.action == "UpdateStack"
                            && faults::form_value(&s.body, "StackName").as_deref()
                                == Some("retired"))
                })
                .map(|s| {
                    (
                        s.action,
                        faults::form_value(&s.body, "StackName").unwrap_or_default(),
                    )
                })
                .collect();
            assert_eq!(
                calls,
                vec![
                    ("UpdateStack".to_owned(), "retired".to_owned()),
                    ("DeleteStack".to_owned(), "retired".to_owned()),
                ]
            );
            assert!(stacks::read_stack(&mgmt, "retired")
                .await
                .unwrap()
                .is_none());
        },
    );
}

/// S3 answers a request for a bucket signed for another region with
/// `301 PermanentRedirect`
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#RESTErrorResponses,
/// `PermanentRedirect`); the inventory reads each bucket in its own region,
/// so a versioned bucket outside the home region is seen as versioned, and
/// nothing is reported as unreadable.
#[test]
fn buckets_outside_the_home_region_are_read_in_their_region() {
    run(
        "buckets_outside_the_home_region_are_read_in_their_region",
        |url| async move {
            let proxy = FaultProxy::start(&url).await;
            let session = connect(&proxy.url, quick(), 0).await;
            let mgmt = session.management().await.unwrap();
            let west = mgmt.in_region("eu-west-1").s3();
            let bucket = "landfall-far-away-logs";
            west.create_bucket()
                .bucket(bucket)
                .create_bucket_configuration(
                    aws_sdk_s3::types::CreateBucketConfiguration::builder()
                        .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                        .build(),
                )
                .send()
                .await
                .unwrap();
            west.put_bucket_versioning()
                .bucket(bucket)
                .versioning_configuration(
                    aws_sdk_s3::types::VersioningConfiguration::builder()
                        .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                        .build(),
                )
                .send()
                .await
                .unwrap();
            proxy.bucket_in(bucket, "eu-west-1");
            let (inventory, buckets) = landfall_live::inventory::global(&mgmt).await;
            let (_, _, region, props) = buckets
                .iter()
                .find(|(id, ..)| id == &format!("bucket/{bucket}"))
                .expect("the bucket is listed");
            assert_eq!(region, "eu-west-1");
            assert_eq!(
                props["VersioningConfiguration"]["Status"], "Enabled",
                "{props}"
            );
            assert!(
                inventory.errors.iter().all(|e| !e.contains(bucket)),
                "{:?}",
                inventory.errors
            );
        },
    );
}

/// A template over the inline limit goes to the platform's template bucket
/// and CloudFormation reads it by URL
/// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html:
/// 51,200 bytes inline, 1 MB from S3). The limit is lowered here so a small
/// template takes that path; moto's CloudFormation fetches the object from
/// its own S3.
#[test]
fn templates_over_the_inline_limit_are_deployed_from_s3() {
    run(
        "templates_over_the_inline_limit_are_deployed_from_s3",
        |url| async move {
            let proxy = FaultProxy::start(&url).await;
            let session = connect(&proxy.url, quick(), 0).await;
            let mgmt = session.management().await.unwrap();
            create_organization(&mgmt).await;
            let state = org::read(&mgmt).await.unwrap();
            let store =
                stacks::TemplateStore::ensure(&mgmt, "landfall", &state.organization_id, 64)
                    .await
                    .unwrap();
            let template = serde_json::json!({
                "Resources": {
                    "Topic": { "Type": "AWS::SNS::Topic", "Properties": { "TopicName": "from-s3" } }
                }
            });
            let progress = Progress::new(false);
            let task = progress.start("large", "CHECKING");
            let outcome = stacks::apply_stack(
                &mgmt,
                "management",
                "large",
                &template,
                &[],
                0,
                None,
                Some(&store),
                Waits {
                    poll: Duration::from_millis(100),
                    stack_timeout: Duration::from_secs(20),
                },
                landfall_live::Compat::Moto,
                &task,
            )
            .await;
            assert!(outcome.ok, "{outcome:?}");
            let create = proxy.seen_of("cloudformation:CreateStack");
            assert_eq!(create.len(), 1);
            let url = faults::form_value(&create[0].body, "TemplateURL").unwrap_or_default();
            assert!(
                url.starts_with(&format!("https://{}.s3.", store.bucket)),
                "{}",
                create[0].body
            );
            assert!(faults::form_value(&create[0].body, "TemplateBody").is_none());
            // The stack really holds what the object says.
            let resources = mgmt
                .cloudformation()
                .describe_stack_resources()
                .stack_name("large")
                .send()
                .await
                .unwrap();
            assert!(resources.stack_resources().iter().any(|r| r
                .physical_resource_id()
                .unwrap_or_default()
                .ends_with(":from-s3")));
        },
    );
}

/// A stack that runs as a service role names it in `CreateStack` and
/// `UpdateStack` (`RoleARN`,
/// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html):
/// CloudFormation then acts with the role's credentials for the whole
/// operation, however long it runs, not with the caller's session.
#[test]
fn stacks_with_a_service_role_name_it_in_every_operation() {
    run(
        "stacks_with_a_service_role_name_it_in_every_operation",
        |url| async move {
            let proxy = FaultProxy::start(&url).await;
            let session = connect(&proxy.url, quick(), 0).await;
            let mgmt = session.management().await.unwrap();
            let role = "arn:aws:iam::123456789012:role/landfall/landfall-cloudformation";
            for topics in [1, 2] {
                let outcome = topics_stack(&mgmt, "as-role", topics, Some(role)).await;
                assert!(outcome.ok, "{outcome:?}");
            }
            for action in ["CreateStack", "UpdateStack"] {
                let calls = proxy.seen_of(&format!("cloudformation:{action}"));
                assert_eq!(calls.len(), 1, "{action}");
                assert_eq!(
                    faults::form_value(&calls[0].body, "RoleARN").as_deref(),
                    Some(role),
                    "{action}: {}",
                    calls[0].body
                );
            }
        },
    );
}

fn preflight_stack(
    name: &str,
    account: &str,
    capacity: Vec<landfall_graph::Capacity>,
    inputs: Vec<landfall_graph::ExternalInput>,
) -> landfall_live::desired::DesiredStack {
    landfall_live::desired::DesiredStack {
        name: name.into(),
        layer: landfall_graph::Layer::Workloads,
        target: landfall_live::desired::StackTarget::Account {
            account: account.into(),
            region: "eu-central-1".into(),
        },
        template: serde_json::json!({ "Resources": {} }),
        parameters: Vec::new(),
        wave: 0,
        resources: Vec::new(),
        depends_on: Vec::new(),
        service_role: None,
        inputs,
        capacity,
    }
}

/// The id of an AMI moto serves to every account (Amazon's own).
async fn an_amazon_ami(clients: &Clients) -> String {
    clients
        .ec2()
        .describe_images()
        .owners("amazon")
        .send()
        .await
        .unwrap()
        .images()[0]
        .image_id()
        .unwrap()
        .to_owned()
}

fn metal(instance_type: &str, az: &str) -> landfall_graph::Capacity {
    landfall_graph::Capacity {
        instance_type: instance_type.into(),
        vcpus_per_instance: 96,
        instances: 4,
        availability_zone: az.into(),
        subnet_owner: "network".into(),
    }
}

fn input(kind: landfall_graph::InputKind, name: &str) -> landfall_graph::ExternalInput {
    landfall_graph::ExternalInput {
        kind,
        name: name.into(),
        why: "provided outside the platform".into(),
        account: None,
    }
}

fn image(name: &str) -> landfall_graph::ExternalInput {
    landfall_graph::ExternalInput {
        kind: landfall_graph::InputKind::Image,
        name: name.into(),
        why: "pushed by the service's pipeline".into(),
        account: Some("shared".into()),
    }
}

/// What `plan` reads before anything is applied: the account's granted
/// vCPU quota (Service Quotas `L-1216C47A`,
/// https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas.html),
/// the instance types each AZ offers
/// (https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-regions.html,
/// moto serves AWS's offerings table: `m5zn.metal` is not in
/// eu-central-1c), and whether the image a service starts from was pushed.
/// moto has no EC2 quotas, so the proxy answers `GetServiceQuota` as AWS
/// does for an account granted 192 vCPUs.
#[test]
fn the_preflight_refuses_what_quotas_and_offerings_cannot_hold_and_holds_back_missing_images() {
    run(
        "the_preflight_refuses_what_quotas_and_offerings_cannot_hold_and_holds_back_missing_images",
        |url| async move {
            let proxy = FaultProxy::start(&url).await;
            proxy.add(
                Rule::new(
                    "servicequotas:GetServiceQuota",
                    Fault::Answer(serde_json::json!({
                        "Quota": {
                            "ServiceCode": "ec2",
                            "QuotaCode": "L-1216C47A",
                            "QuotaName": "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
                            "Value": 192.0,
                            "Unit": "None",
                            "Adjustable": true,
                            "GlobalQuota": false
                        }
                    })),
                )
                .when_body_contains("L-1216C47A"),
            );
            // The default Elastic IP quota, as AWS answers it.
            proxy.add(
                Rule::new(
                    "servicequotas:GetServiceQuota",
                    Fault::Answer(serde_json::json!({
                        "Quota": {
                            "ServiceCode": "ec2",
                            "QuotaCode": "L-0263D0A3",
                            "QuotaName": "EC2-VPC Elastic IPs",
                            "Value": 5.0,
                            "Unit": "None",
                            "Adjustable": true,
                            "GlobalQuota": false
                        }
                    })),
                )
                .when_body_contains("L-0263D0A3"),
            );
            let session = connect(&proxy.url, quick(), 0).await;
            let mgmt = session.management().await.unwrap();
            create_organization(&mgmt).await;
            let mut ids = std::collections::BTreeMap::new();
            for name in ["network", "trading", "shared"] {
                ids.insert(name.to_owned(), create_account(&mgmt, name).await);
            }
            // The shared registry holds one of the two images.
            let shared = session
                .member(&mgmt, &ids["shared"], "eu-central-1", &DEPLOY_ROLES)
                .await
                .unwrap();
            let ecr = shared.ecr();
            for repo in ["trading/pusher", "trading/forgotten"] {
                ecr.create_repository()
                    .repository_name(repo)
                    .send()
                    .await
                    .unwrap();
            }
            ecr.put_image()
                .repository_name("trading/pusher")
                .image_tag("v1")
                .image_manifest(r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":7023,"digest":"sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"},"layers":[]}"#)
                .send()
                .await
                .unwrap();

            // What the trading account holds.
            let trading = session
                .member(&mgmt, &ids["trading"], "eu-central-1", &DEPLOY_ROLES)
                .await
                .unwrap();
            trading
                .ssm()
                .put_parameter()
                .name("/landfall/ami/metal")
                .value("ami-12c6146b")
                .r#type(aws_sdk_ssm::types::ParameterType::String)
                .send()
                .await
                .unwrap();
            let ami = an_amazon_ami(&trading).await;
            // An address the network account allocated by hand: it counts
            // against the quota beside the platform's.
            let network = session
                .member(&mgmt, &ids["network"], "eu-central-1", &DEPLOY_ROLES)
                .await
                .unwrap();
            network.ec2().allocate_address().send().await.unwrap();
            // The platform's public zone (`network.dns`), and a private zone
            // whose id someone might give instead.
            let route53 = trading.route53();
            let zone = |name: &'static str, private: bool| {
                let route53 = route53.clone();
                async move {
                    let mut call = route53
                        .create_hosted_zone()
                        .name(name)
                        .caller_reference(name);
                    if private {
                        call = call
                            .vpc(
                                aws_sdk_route53::types::Vpc::builder()
                                    .vpc_id("vpc-12345678")
                                    .vpc_region(aws_sdk_route53::types::VpcRegion::EuCentral1)
                                    .build(),
                            )
                            .hosted_zone_config(
                                aws_sdk_route53::types::HostedZoneConfig::builder()
                                    .private_zone(true)
                                    .build(),
                            );
                    }
                    let out = call.send().await.unwrap();
                    let id = out.hosted_zone().unwrap().id().to_owned();
                    id.trim_start_matches("/hostedzone/").to_owned()
                }
            };
            let public_zone = zone("edge.example.com", false).await;
            let private_zone = zone("internal.example.com", true).await;
            let desired = landfall_live::Desired {
                slug: "pre".into(),
                home_region: REGION.into(),
                regions: vec!["eu-central-1".into()],
                management: "management".into(),
                ous: Vec::new(),
                accounts: Vec::new(),
                scps: Vec::new(),
                stacks: vec![
                    // 2 × 4 × 96 = 768 vCPUs against 192 granted, and one
                    // group in an AZ that does not offer its type.
                    preflight_stack(
                        "trading-base",
                        "trading",
                        vec![
                            metal("c7i.metal-24xl", "eu-central-1a"),
                            metal("m5zn.metal", "eu-central-1c"),
                        ],
                        Vec::new(),
                    ),
                    preflight_stack(
                        "pusher",
                        "trading",
                        Vec::new(),
                        vec![image("trading/pusher:v1")],
                    ),
                    preflight_stack(
                        "forgotten",
                        "trading",
                        Vec::new(),
                        vec![image("trading/forgotten:v1")],
                    ),
                    preflight_stack(
                        "nowhere",
                        "trading",
                        Vec::new(),
                        vec![image("trading/never-created:v1")],
                    ),
                    // Inputs of the stack's own account: an SSM parameter
                    // and an AMI that exist, and three that do not.
                    preflight_stack(
                        "reads-what-exists",
                        "trading",
                        Vec::new(),
                        vec![
                            input(
                                landfall_graph::InputKind::SsmParameter,
                                "/landfall/ami/metal",
                            ),
                            input(landfall_graph::InputKind::Ami, &ami),
                        ],
                    ),
                    preflight_stack(
                        "reads-a-missing-parameter",
                        "trading",
                        Vec::new(),
                        vec![input(
                            landfall_graph::InputKind::SsmParameter,
                            "/landfall/nowhere",
                        )],
                    ),
                    preflight_stack(
                        "reads-a-missing-ami",
                        "trading",
                        Vec::new(),
                        vec![input(
                            landfall_graph::InputKind::Ami,
                            "ami-0000000000000dead",
                        )],
                    ),
                    preflight_stack(
                        "reads-a-missing-export",
                        "trading",
                        Vec::new(),
                        vec![input(
                            landfall_graph::InputKind::Export,
                            "nobody-exports-this",
                        )],
                    ),
                    // The public zone the delegation stack writes to, a
                    // private zone, and an id of no zone.
                    preflight_stack(
                        "delegates-in-the-public-zone",
                        "trading",
                        Vec::new(),
                        vec![input(landfall_graph::InputKind::HostedZone, &public_zone)],
                    ),
                    preflight_stack(
                        "delegates-in-a-private-zone",
                        "trading",
                        Vec::new(),
                        vec![input(landfall_graph::InputKind::HostedZone, &private_zone)],
                    ),
                    preflight_stack(
                        "delegates-in-no-zone",
                        "trading",
                        Vec::new(),
                        vec![input(
                            landfall_graph::InputKind::HostedZone,
                            "Z0000000000000NOZONE",
                        )],
                    ),
                    // Two VPCs' NAT gateways in three AZs each: 6 of the
                    // platform's addresses and 1 other, over the default 5.
                    {
                        let mut s =
                            preflight_stack("network-core", "network", Vec::new(), Vec::new());
                        s.resources = (0..6)
                            .map(|i| (format!("NatAddress{i}"), "AWS::EC2::EIP".to_owned()))
                            .collect();
                        s
                    },
                    // An account not created yet: said, not checked.
                    preflight_stack(
                        "later-base",
                        "later",
                        vec![metal("c7i.metal-24xl", "eu-central-1b")],
                        Vec::new(),
                    ),
                ],
                vpcs: Vec::new(),
                concurrent_account_creations: 1,
                accounts_quota: 10,
                template_inline_max_bytes: 51_200,
                left_out: Vec::new(),
                compat: landfall_live::Compat::Moto,
                identity: Default::default(),
                workloads_in_full: false,
            };
            let account_id = |name: &str| ids.get(name).cloned();
            let found = landfall_live::preflight::run(&session, &mgmt, &desired, &account_id).await;

            assert_eq!(found.blockers.len(), 3, "{found:#?}");
            // https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html
            assert!(
                found.blockers.iter().any(|b| b.contains(
                    "`network` in eu-central-1 would hold 7 Elastic IP addresses (6 of the platform, 1 others), over its quota of 5"
                ) && b.contains("`L-0263D0A3`")),
                "{found:#?}"
            );
            assert!(
                found.blockers.iter().any(|b| b.contains("768 vCPUs")
                    && b.contains("quota of 192")
                    && b.contains("`L-1216C47A`")
                    && b.contains("`trading-base`")),
                "{found:#?}"
            );
            assert!(
                found.blockers.iter().any(|b| b
                    .contains("`m5zn.metal` is not offered in eu-central-1c")
                    && b.contains("eu-central-1a, eu-central-1b")),
                "{found:#?}"
            );
            // The offered one is no blocker.
            assert!(!found
                .blockers
                .iter()
                .any(|b| b.contains("`c7i.metal-24xl` is not offered")));
            assert_eq!(
                found.held.keys().map(String::as_str).collect::<Vec<_>>(),
                [
                    "delegates-in-a-private-zone",
                    "delegates-in-no-zone",
                    "forgotten",
                    "nowhere",
                    "reads-a-missing-ami",
                    "reads-a-missing-export",
                    "reads-a-missing-parameter"
                ],
                "{found:#?}"
            );
            assert!(found.held["reads-a-missing-parameter"].contains(
                "SSM parameter `/landfall/nowhere` does not exist in `trading` eu-central-1"
            ));
            // https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetHostedZone.html
            assert!(found.held["delegates-in-no-zone"].contains(
                "public hosted zone `Z0000000000000NOZONE` (`network.dns`) is not in `trading`"
            ));
            assert!(found.held["delegates-in-a-private-zone"].contains(&private_zone));
            assert!(found.held["reads-a-missing-export"]
                .contains("no stack in `trading` eu-central-1 exports `nobody-exports-this`"));
            assert!(found.held["forgotten"]
                .contains("`trading/forgotten:v1` is not in the registry of `shared`"));
            assert!(
                found
                    .notes
                    .iter()
                    .any(|n| n.contains("account `later` does not exist yet")),
                "{found:#?}"
            );
            assert!(!proxy.seen_of("servicequotas:GetServiceQuota").is_empty());
        },
    );
}

/// `landfall heal`'s actions, carried out against moto in the account the
/// model names, entered as the baseline's remediation role and nothing
/// else: ECS `UpdateService` with `forceNewDeployment`
/// (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html),
/// EC2 `RebootInstances` on the host the alert names by its private DNS
/// name, SSM `StartAutomationExecution` of the disk cleanup runbook
/// (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_StartAutomationExecution.html).
#[test]
fn remediation_actions_act_on_what_the_model_names_as_the_remediation_role() {
    run(
        "remediation_actions_act_on_what_the_model_names_as_the_remediation_role",
        |url| async move {
            let resolved =
                landfall_model::load_dir(&support::workspace_root().join("reference")).unwrap();
            let model = resolved.model.unwrap();
            let trading = model.domains.iter().find(|d| d.name == "trading").unwrap();
            let prod = model
                .environments
                .iter()
                .find(|e| e.name == "prod")
                .unwrap();
            let workload = model.workload_account(trading.id, prod.id).unwrap();
            let email = workload.email.clone();

            let proxy = FaultProxy::start(&url).await;
            let session = connect(&proxy.url, quick(), 0).await;
            let mgmt = session.management().await.unwrap();
            create_organization(&mgmt).await;
            // Named otherwise in AWS: found by its email.
            let id = create_account_with(&mgmt, "renamed-in-aws", &email).await;
            // What the workload layer created there: the domain's cluster
            // with the service, and a metal host tagged with its domain.
            let member = session
                .member(&mgmt, &id, "eu-central-1", &DEPLOY_ROLES)
                .await
                .unwrap();
            let ecs = member.ecs();
            ecs.create_cluster()
                .cluster_name("trading-prod")
                .send()
                .await
                .unwrap();
            ecs.create_service()
                .cluster("trading-prod")
                .service_name("order-gateway")
                .desired_count(2)
                .send()
                .await
                .unwrap();
            let ec2 = member.ec2();
            let image = an_amazon_ami(&member).await;
            let run = ec2
                .run_instances()
                .image_id(image)
                .min_count(1)
                .max_count(1)
                .tag_specifications(
                    aws_sdk_ec2::types::TagSpecification::builder()
                        .resource_type(aws_sdk_ec2::types::ResourceType::Instance)
                        .tags(
                            aws_sdk_ec2::types::Tag::builder()
                                .key("landfall:domain")
                                .value("trading")
                                .build(),
                        )
                        .build(),
                )
                .send()
                .await
                .unwrap();
            let instance = &run.instances()[0];
            let instance_id = instance.instance_id().unwrap().to_owned();
            // The agent reports the short form.
            let host = instance
                .private_dns_name()
                .unwrap()
                .split('.')
                .next()
                .unwrap()
                .to_owned();
            proxy.forget_seen();

            // SSM Automation is not in the emulator: its calls are recorded.
            let remediator = landfall_live::remediate::Remediator::new(
                session.clone(),
                landfall_live::remediate::Targets::from_model(&model),
            )
            .with_automation(landfall_live::automation::RecordingAutomation::default());
            // Just before acting, a host that is there is not held back and
            // one that is gone (scaled in, replaced) is.
            assert_eq!(
                remediator
                    .hold(
                        "MetalHostDiskAlmostFull",
                        "ssm-runbook",
                        &format!("host/trading/prod/{host}")
                    )
                    .await,
                None
            );
            let gone = remediator
                .hold(
                    "MetalHostDiskAlmostFull",
                    "ssm-runbook",
                    "host/trading/prod/ip-10-9-9-9",
                )
                .await
                .unwrap();
            assert!(
                gone.starts_with("the host is not there to act on: no running instance of `trading` named `ip-10-9-9-9`"),
                "{gone}"
            );
            // An intent recorded now, after the service's first deployment.
            tokio::time::sleep(Duration::from_millis(1_200)).await;
            let intent = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs();
            use landfall_live::remediate::ReadBack;
            let service_target = "service/order-gateway/prod/eu-central-1";
            assert!(matches!(
                remediator
                    .read_back("ecs-force-new-deployment", service_target, "a1", intent)
                    .await,
                ReadBack::NotDone(_)
            ));
            // Nothing records who set a desired count: an unchanged
            // deployment leaves a scale-out's intent to a human.
            assert!(matches!(
                remediator
                    .read_back("ecs-scale-out", service_target, "s1", intent)
                    .await,
                ReadBack::Unknown(_)
            ));
            let done = remediator
                .execute(
                    "ecs-force-new-deployment",
                    "service/order-gateway/prod/eu-central-1",
                    "a1",
                )
                .await
                .unwrap();
            assert!(
                done.contains("`order-gateway` in cluster `trading-prod`"),
                "{done}"
            );
            let update = proxy.seen_of("ecs:UpdateService");
            assert_eq!(update.len(), 1);
            let body: serde_json::Value = serde_json::from_str(&update[0].body).unwrap();
            assert_eq!(body["forceNewDeployment"], true, "{body}");
            assert_eq!(body["cluster"], "trading-prod");
            // Read back after a crash: the new deployment is there.
            assert!(matches!(
                remediator
                    .read_back("ecs-force-new-deployment", service_target, "a1", intent)
                    .await,
                ReadBack::Done(_)
            ));

            // Scale out: a step above the desired count, never past the
            // maximum the workload layer deploys the service with
            // (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html,
            // `desiredCount`).
            let gateway = model
                .services
                .iter()
                .find(|s| s.name == "order-gateway")
                .unwrap();
            let max = landfall_workloads::sizing::size(gateway, prod).max;
            assert!(max > 3, "{max}");
            // The force-new-deployment above changed the primary
            // deployment after the intent: a scale-out's intent reads as
            // done (erring on not calling again).
            assert!(matches!(
                remediator
                    .read_back("ecs-scale-out", service_target, "s1", intent)
                    .await,
                ReadBack::Done(_)
            ));
            proxy.forget_seen();
            let done = remediator
                .execute("ecs-scale-out", service_target, "s1")
                .await
                .unwrap();
            assert!(done.contains("from 2 to 3 tasks"), "{done}");
            let update = proxy.seen_of("ecs:UpdateService");
            assert_eq!(update.len(), 1);
            let body: serde_json::Value = serde_json::from_str(&update[0].body).unwrap();
            assert_eq!(body["desiredCount"], 3, "{body}");
            assert!(body.get("forceNewDeployment").is_none(), "{body}");
            // At the declared maximum: refused, nothing called.
            ecs.update_service()
                .cluster("trading-prod")
                .service("order-gateway")
                .desired_count(i32::try_from(max).unwrap())
                .send()
                .await
                .unwrap();
            proxy.forget_seen();
            let err = remediator
                .execute("ecs-scale-out", service_target, "s2")
                .await
                .unwrap_err();
            assert!(
                err.contains(&format!("the declared maximum is {max}")),
                "{err}"
            );
            assert!(proxy.seen_of("ecs:UpdateService").is_empty());

            let host_target = format!("host/trading/prod/{host}");
            let done = remediator
                .execute("ec2-reboot", &host_target, "a2")
                .await
                .unwrap();
            assert!(done.contains(&instance_id), "{done}");
            let reboot = proxy.seen_of("ec2:RebootInstances");
            assert_eq!(reboot.len(), 1);
            assert_eq!(
                faults::form_value(&reboot[0].body, "InstanceId.1").as_deref(),
                Some(instance_id.as_str())
            );

            let done = remediator
                .execute("ssm-runbook", &host_target, "a3")
                .await
                .unwrap();
            assert!(done.contains("disk cleanup runbook"), "{done}");
            // A retry of the same action (a crash before its result was
            // journaled) sends the same client token: SSM returns the
            // execution already started.
            let again = remediator
                .execute("ssm-runbook", &host_target, "a3")
                .await
                .unwrap();
            assert_eq!(
                done.rsplit("execution ").next(),
                again.rsplit("execution ").next()
            );
            // Each start is of the baseline's runbook, in the host's account
            // and region, naming the instance and the action, with the
            // action's client token.
            let starts = remediator.automation().starts();
            assert_eq!(starts.len(), 2, "{starts:?}");
            assert_eq!(starts[0].start, starts[1].start);
            assert_eq!(starts[0].account, id);
            assert_eq!(starts[0].region, "eu-central-1");
            assert_eq!(
                starts[0].start,
                landfall_live::automation::disk_cleanup(&instance_id, "a3")
            );
            // Nothing sent outside the runbook.
            assert!(proxy.seen_of("ssm:SendCommand").is_empty());
            // Read back by the action's id; a reboot leaves nothing to read.
            assert!(matches!(
                remediator
                    .read_back("ssm-runbook", &host_target, "a3", intent)
                    .await,
                ReadBack::Done(_)
            ));
            assert!(matches!(
                remediator
                    .read_back("ssm-runbook", &host_target, "a9", intent)
                    .await,
                ReadBack::NotDone(_)
            ));
            assert!(matches!(
                remediator
                    .read_back("ec2-reboot", &host_target, "a2", intent)
                    .await,
                ReadBack::Unknown(_)
            ));

            // Only the remediation role was assumed for these.
            for call in proxy.seen_of("sts:AssumeRole") {
                let role = faults::form_value(&call.body, "RoleArn").unwrap_or_default();
                assert!(
                    role.ends_with(":role/landfall/landfall-remediation"),
                    "{role}"
                );
            }

            // Nothing named, nothing done: no guessing.
            let err = remediator
                .execute("ec2-reboot", "host/trading/prod/ip-10-9-9-9", "a4")
                .await
                .unwrap_err();
            assert!(
                err.contains("no running instance of `trading` named `ip-10-9-9-9`"),
                "{err}"
            );
            let err = remediator
                .execute(
                    "ecs-force-new-deployment",
                    "service/no-such/prod/eu-central-1",
                    "a5",
                )
                .await
                .unwrap_err();
            assert!(err.contains("no service `no-such`"), "{err}");

            // A remediation role that refuses is not replaced by an
            // administrator role.
            let other = create_account(&mgmt, "payments-prod").await;
            proxy.add(
                Rule::new(
                    "sts:AssumeRole",
                    Fault::Error {
                        code: "AccessDenied".into(),
                        status: 403,
                    },
                )
                .when_body_contains("landfall-remediation"),
            );
            proxy.forget_seen();
            let refused = session
                .member(
                    &mgmt,
                    &other,
                    "eu-central-1",
                    &landfall_live::aws::REMEDIATION_ROLES,
                )
                .await;
            let message = match refused {
                Ok(_) => panic!("entered without the remediation role"),
                Err(e) => e.to_string(),
            };
            assert!(
                message.contains("remediation never acts as another role"),
                "{message}"
            );
            assert!(proxy
                .seen_of("sts:AssumeRole")
                .iter()
                .all(|c| !c.body.contains("OrganizationAccountAccessRole")));
        },
    );
}

/// `msk-expand-storage` on the cluster the workload layer made for a
/// store, in the account the model names, entered as the remediation role
/// through moto's STS. moto has no MSK storage update, so the MSK calls go
/// to a recording fake ([`landfall_live::msk::RecordingMsk`]): the request
/// is `UpdateBrokerStorage` with the cluster's current version and every
/// broker (`All`) grown by a step
/// (https://docs.aws.amazon.com/msk/1.0/apireference/clusters-clusterarn-nodes-storage.html);
/// a second update within six hours is refused before any call
/// (https://docs.aws.amazon.com/msk/latest/developerguide/manually-expand-storage.html),
/// and so is one at the maximum per broker
/// (https://docs.aws.amazon.com/msk/latest/developerguide/limits.html); an
/// intent is read back from the cluster's operations.
#[test]
fn msk_storage_expansion_grows_within_msks_limits_and_reads_back() {
    use landfall_live::msk::{MskCluster, RecordingMsk, StorageUpdate};
    use landfall_live::remediate::{ReadBack, Remediator, Targets};
    run(
        "msk_storage_expansion_grows_within_msks_limits_and_reads_back",
        |url| async move {
            let resolved =
                landfall_model::load_dir(&support::workspace_root().join("reference")).unwrap();
            let model = resolved.model.unwrap();
            let store = model
                .data_stores
                .iter()
                .find(|s| s.name == "market-data-bus")
                .unwrap();
            let prod = model
                .environments
                .iter()
                .find(|e| e.name == "prod")
                .unwrap();
            let workload = model.workload_account(store.domain, prod.id).unwrap();
            let email = workload.email.clone();

            let proxy = FaultProxy::start(&url).await;
            let session = connect(&proxy.url, quick(), 0).await;
            let mgmt = session.management().await.unwrap();
            create_organization(&mgmt).await;
            let id = create_account_with(&mgmt, "market-data-prod", &email).await;
            let arn = format!("arn:aws:kafka:eu-central-1:{id}:cluster/market-data-bus/6e1f-1");
            let cluster = |gib| MskCluster {
                arn: arn.clone(),
                state: "ACTIVE".into(),
                current_version: "K3AEGXETSR30VB".into(),
                volume_gib: gib,
            };
            proxy.forget_seen();

            let remediator = Remediator::with_msk(
                session.clone(),
                Targets::from_model(&model),
                RecordingMsk::default().with_cluster("market-data-bus", cluster(1_000)),
            );
            let target = "store/market-data-bus/prod/eu-central-1";
            let intent = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs();
            assert!(matches!(
                remediator
                    .read_back("msk-expand-storage", target, "m1", intent)
                    .await,
                ReadBack::NotDone(_)
            ));
            let done = remediator
                .execute("msk-expand-storage", target, "m1")
                .await
                .unwrap();
            assert!(done.contains("from 1000 to 1250 GiB per broker"), "{done}");
            assert_eq!(
                remediator.msk().updates(),
                [StorageUpdate {
                    account_id: id.clone(),
                    region: "eu-central-1".into(),
                    cluster_arn: arn.clone(),
                    current_version: "K3AEGXETSR30VB".into(),
                    broker: "All".into(),
                    gib: 1_250,
                }]
            );
            // Read back after a crash: the operation is there.
            assert!(matches!(
                remediator
                    .read_back("msk-expand-storage", target, "m1", intent)
                    .await,
                ReadBack::Done(_)
            ));
            // A second alert within six hours: refused, nothing called.
            let err = remediator
                .execute("msk-expand-storage", target, "m2")
                .await
                .unwrap_err();
            assert!(err.contains("MSK allows one update per 6 hours"), "{err}");
            assert_eq!(remediator.msk().updates().len(), 1);

            // At MSK's maximum per broker: refused, nothing called.
            let full = Remediator::with_msk(
                session.clone(),
                Targets::from_model(&model),
                RecordingMsk::default().with_cluster("market-data-bus", cluster(16_384)),
            );
            let err = full
                .execute("msk-expand-storage", target, "m3")
                .await
                .unwrap_err();
            assert!(
                err.contains("MSK's maximum per broker (16384 GiB)"),
                "{err}"
            );
            assert!(full.msk().updates().is_empty());

            // A store the model does not declare there, or no region: no guess.
            let err = remediator
                .execute(
                    "msk-expand-storage",
                    "store/market-data-bus/nowhere/eu-central-1",
                    "m4",
                )
                .await
                .unwrap_err();
            assert!(
                err.contains("no MSK store `market-data-bus` in `nowhere`"),
                "{err}"
            );
            let err = remediator
                .execute("msk-expand-storage", "store/market-data-bus/prod/", "m5")
                .await
                .unwrap_err();
            assert!(err.contains("names no region"), "{err}");

            // Only the remediation role was assumed.
            assert!(!proxy.seen_of("sts:AssumeRole").is_empty());
            for call in proxy.seen_of("sts:AssumeRole") {
                let role = faults::form_value(&call.body, "RoleArn").unwrap_or_default();
                assert!(
                    role.ends_with(":role/landfall/landfall-remediation"),
                    "{role}"
                );
            }
        },
    );
}

/// The platform's tag keys as cost allocation tags: what Cost Explorer
/// lists is read page by page, keys are activated, and a key AWS refuses
/// is named with its reason rather than lost. moto has no Cost Explorer
/// tags, so the proxy answers as the API reference documents
/// (<https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_ListCostAllocationTags.html>,
/// <https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_UpdateCostAllocationTagsStatus.html>).
#[test]
fn cost_allocation_tags_are_read_page_by_page_and_refusals_are_named() {
    run(
        "cost_allocation_tags_are_read_page_by_page_and_refusals_are_named",
        |url| async move {
            let proxy = FaultProxy::start(&url).await;
            proxy.add(
                Rule::new(
                    "ce:ListCostAllocationTags",
                    Fault::Answer(serde_json::json!({
                        "CostAllocationTags": [
                            { "TagKey": "landfall:environment", "Type": "UserDefined", "Status": "Inactive" }
                        ]
                    })),
                )
                .when_body_contains("\"NextToken\":\"page-2\""),
            );
            proxy.add(Rule::new(
                "ce:ListCostAllocationTags",
                Fault::Answer(serde_json::json!({
                    "CostAllocationTags": [
                        { "TagKey": "landfall:domain", "Type": "UserDefined", "Status": "Active" }
                    ],
                    "NextToken": "page-2"
                })),
            ));
            proxy.add(Rule::new(
                "ce:UpdateCostAllocationTagsStatus",
                Fault::Answer(serde_json::json!({
                    "Errors": [{
                        "TagKey": "landfall:store",
                        "Code": "TagKeysNotFoundException",
                        "Message": "Failed to update Cost Allocation Tag: landfall:store"
                    }]
                })),
            ));
            let session = connect(&proxy.url, quick(), 3).await;
            let mgmt = session.management().await.unwrap();
            let ce = mgmt
                .in_region(landfall_live::cost_tags::REGION)
                .costexplorer();
            let keys: Vec<String> = landfall_graph::COST_ALLOCATION_TAGS
                .iter()
                .map(|k| (*k).to_owned())
                .collect();

            let listed = landfall_live::cost_tags::read(&ce, &keys).await.unwrap();
            assert_eq!(
                listed,
                [
                    ("landfall:domain".to_owned(), true),
                    ("landfall:environment".to_owned(), false)
                ]
                .into()
            );
            let asked = proxy.seen_of("ce:ListCostAllocationTags");
            assert_eq!(asked.len(), 2, "{asked:?}");
            for key in &keys {
                assert!(asked[0].body.contains(key.as_str()), "{}", asked[0].body);
            }
            assert!(asked[0].body.contains("\"Type\":\"UserDefined\""));

            let refused = landfall_live::cost_tags::activate(
                &ce,
                &[
                    "landfall:environment".to_owned(),
                    "landfall:store".to_owned(),
                ],
            )
            .await
            .unwrap_err();
            assert!(
                refused.contains("`landfall:store`")
                    && refused.contains("TagKeysNotFoundException")
                    && !refused.contains("`landfall:environment`"),
                "{refused}"
            );
            let updates = proxy.seen_of("ce:UpdateCostAllocationTagsStatus");
            assert_eq!(updates.len(), 1);
            let body: serde_json::Value = serde_json::from_str(&updates[0].body).unwrap();
            assert_eq!(
                body["CostAllocationTagsStatus"],
                serde_json::json!([
                    { "TagKey": "landfall:environment", "Status": "Active" },
                    { "TagKey": "landfall:store", "Status": "Active" }
                ])
            );
        },
    );
}

/// `ec2-quarantine` on the metal host a GuardDuty finding names, in the
/// account the model names, entered as the remediation role: the container
/// instance is drained so ECS starts its tasks elsewhere
/// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-draining.html)
/// and the tasks on it are stopped (their awsvpc interfaces are ECS's, not
/// the host's),
/// the instance tagged with the action, and each of its interfaces tagged
/// with the groups it had and moved into the VPC's quarantine group alone
/// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyNetworkInterfaceAttribute.html).
/// Read back by the action's tag; without the domain's quarantine group
/// nothing is moved.
#[test]
fn quarantine_drains_the_host_and_moves_its_interfaces_into_the_quarantine_group() {
    use landfall_live::remediate::{ReadBack, Remediator, Targets};
    run(
        "quarantine_drains_the_host_and_moves_its_interfaces_into_the_quarantine_group",
        |url| async move {
            let resolved =
                landfall_model::load_dir(&support::workspace_root().join("reference")).unwrap();
            let model = resolved.model.unwrap();
            let trading = model.domains.iter().find(|d| d.name == "trading").unwrap();
            let prod = model
                .environments
                .iter()
                .find(|e| e.name == "prod")
                .unwrap();
            let email = model
                .workload_account(trading.id, prod.id)
                .unwrap()
                .email
                .clone();

            let proxy = FaultProxy::start(&url).await;
            let session = connect(&proxy.url, quick(), 0).await;
            let mgmt = session.management().await.unwrap();
            create_organization(&mgmt).await;
            let id = create_account_with(&mgmt, "trading-prod", &email).await;
            let member = session
                .member(&mgmt, &id, "eu-central-1", &DEPLOY_ROLES)
                .await
                .unwrap();
            let ec2 = member.ec2();
            let vpc = ec2
                .create_vpc()
                .cidr_block("10.20.0.0/16")
                .send()
                .await
                .unwrap()
                .vpc()
                .unwrap()
                .vpc_id()
                .unwrap()
                .to_owned();
            let subnet = ec2
                .create_subnet()
                .vpc_id(&vpc)
                .cidr_block("10.20.1.0/24")
                .send()
                .await
                .unwrap()
                .subnet()
                .unwrap()
                .subnet_id()
                .unwrap()
                .to_owned();
            let group = |name: &str, tags: Vec<(&str, &str)>| {
                let ec2 = ec2.clone();
                let vpc = vpc.clone();
                let name = name.to_owned();
                let tags: Vec<aws_sdk_ec2::types::Tag> = tags
                    .into_iter()
                    .map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build())
                    .collect();
                async move {
                    ec2.create_security_group()
                        .group_name(&name)
                        .description(&name)
                        .vpc_id(vpc)
                        .tag_specifications(
                            aws_sdk_ec2::types::TagSpecification::builder()
                                .resource_type(aws_sdk_ec2::types::ResourceType::SecurityGroup)
                                .set_tags(Some(tags))
                                .build(),
                        )
                        .send()
                        .await
                        .unwrap()
                        .group_id()
                        .unwrap()
                        .to_owned()
                }
            };
            let instance_group = group("metal", vec![("landfall:domain", "trading")]).await;
            let image = an_amazon_ami(&member).await;
            let run = ec2
                .run_instances()
                .image_id(image)
                .min_count(1)
                .max_count(1)
                .subnet_id(&subnet)
                .tag_specifications(
                    aws_sdk_ec2::types::TagSpecification::builder()
                        .resource_type(aws_sdk_ec2::types::ResourceType::Instance)
                        .tags(
                            aws_sdk_ec2::types::Tag::builder()
                                .key("landfall:domain")
                                .value("trading")
                                .build(),
                        )
                        .tags(
                            aws_sdk_ec2::types::Tag::builder()
                                .key("landfall:environment")
                                .value("prod")
                                .build(),
                        )
                        .build(),
                )
                .send()
                .await
                .unwrap();
            let instance = &run.instances()[0];
            let instance_id = instance.instance_id().unwrap().to_owned();
            // GuardDuty names the host by its full private DNS name.
            let host = instance.private_dns_name().unwrap().to_owned();
            let ecs = member.ecs();
            ecs.create_cluster()
                .cluster_name("trading-prod")
                .send()
                .await
                .unwrap();
            let document = serde_json::json!({
                "instanceId": instance_id, "region": "eu-central-1",
                "accountId": id, "availabilityZone": "eu-central-1a"
            })
            .to_string();
            ecs.register_container_instance()
                .cluster("trading-prod")
                .instance_identity_document(document)
                .send()
                .await
                .unwrap();

            // A task of a service on the host.
            ecs.register_task_definition()
                .family("order-gateway")
                .container_definitions(
                    aws_sdk_ecs::types::ContainerDefinition::builder()
                        .name("app")
                        .image("app")
                        .memory(512)
                        .build(),
                )
                .send()
                .await
                .unwrap();
            let listed = ecs
                .list_container_instances()
                .cluster("trading-prod")
                .send()
                .await
                .unwrap();
            let container_instance = listed.container_instance_arns()[0].clone();
            let started = ecs
                .start_task()
                .cluster("trading-prod")
                .task_definition("order-gateway")
                .container_instances(&container_instance)
                .send()
                .await
                .unwrap();
            let task = started.tasks()[0].task_arn().unwrap().to_owned();

            let remediator = Remediator::new(session.clone(), Targets::from_model(&model));
            let target = format!("host/trading/prod/{host}");
            // The host's interface carries no domain tag yet: not one of
            // the launch template's hosts, nothing done.
            let err = remediator
                .execute("ec2-quarantine", &target, "q0")
                .await
                .unwrap_err();
            assert!(err.contains("carries `landfall:domain=trading`"), "{err}");
            // The metal launch template tags the host's interfaces.
            let interface = ec2
                .describe_network_interfaces()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("attachment.instance-id")
                        .values(&instance_id)
                        .build(),
                )
                .send()
                .await
                .unwrap()
                .network_interfaces()[0]
                .network_interface_id()
                .unwrap()
                .to_owned();
            ec2.create_tags()
                .resources(&interface)
                .tags(
                    aws_sdk_ec2::types::Tag::builder()
                        .key("landfall:domain")
                        .value("trading")
                        .build(),
                )
                .send()
                .await
                .unwrap();
            // The host's group, on its interface. (Given at launch, moto
            // would also report it on the interface after any change: it
            // unions an interface's groups with the instance's launch
            // groups, where AWS keeps the instance's groups as its primary
            // interface's.)
            ec2.modify_network_interface_attribute()
                .network_interface_id(&interface)
                .groups(&instance_group)
                .send()
                .await
                .unwrap();
            // No quarantine group of the domain in the VPC: nothing moved.
            proxy.forget_seen();
            let err = remediator
                .execute("ec2-quarantine", &target, "q0")
                .await
                .unwrap_err();
            assert!(err.contains("no quarantine group of `trading`"), "{err}");
            assert!(proxy
                .seen_of("ec2:ModifyNetworkInterfaceAttribute")
                .is_empty());

            let quarantine = group(
                "quarantine",
                vec![
                    ("landfall:domain", "trading"),
                    ("landfall:quarantine", "true"),
                ],
            )
            .await;
            assert!(matches!(
                remediator
                    .read_back("ec2-quarantine", &target, "q1", 0)
                    .await,
                ReadBack::NotDone(_)
            ));
            proxy.forget_seen();
            let done = remediator
                .execute("ec2-quarantine", &target, "q1")
                .await
                .unwrap();
            assert!(done.contains(&instance_id), "{done}");
            assert!(done.contains("container instance drained"), "{done}");
            assert!(done.contains("1 task(s) on it stopped"), "{done}");
            let stopped = ecs
                .describe_tasks()
                .cluster("trading-prod")
                .tasks(&task)
                .send()
                .await
                .unwrap();
            assert_eq!(stopped.tasks()[0].last_status(), Some("STOPPED"));
            assert!(stopped.tasks()[0]
                .stopped_reason()
                .unwrap_or_default()
                .contains("q1"));
            let modify = proxy.seen_of("ec2:ModifyNetworkInterfaceAttribute");
            assert_eq!(modify.len(), 1, "one interface");
            assert_eq!(
                faults::form_value(&modify[0].body, "SecurityGroupId.1").as_deref(),
                Some(quarantine.as_str()),
                "{}",
                modify[0].body
            );
            assert!(faults::form_value(&modify[0].body, "SecurityGroupId.2").is_none());
            // What AWS now holds: the interface in the quarantine group
            // alone, the groups it had on a tag, the instance drained and
            // tagged with the action.
            let interfaces = ec2
                .describe_network_interfaces()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("attachment.instance-id")
                        .values(&instance_id)
                        .build(),
                )
                .send()
                .await
                .unwrap();
            let interface = &interfaces.network_interfaces()[0];
            let groups: Vec<&str> = interface
                .groups()
                .iter()
                .filter_map(|g| g.group_id())
                .collect();
            assert_eq!(groups, [quarantine.as_str()]);
            let before = interface
                .tag_set()
                .iter()
                .find(|t| t.key() == Some("landfall:groups-before"))
                .and_then(|t| t.value());
            assert_eq!(before, Some(instance_group.as_str()));
            let listed = ecs
                .list_container_instances()
                .cluster("trading-prod")
                .send()
                .await
                .unwrap();
            let described = ecs
                .describe_container_instances()
                .cluster("trading-prod")
                .set_container_instances(Some(listed.container_instance_arns().to_vec()))
                .send()
                .await
                .unwrap();
            assert_eq!(
                described.container_instances()[0].status(),
                Some("DRAINING")
            );
            assert!(matches!(
                remediator
                    .read_back("ec2-quarantine", &target, "q1", 0)
                    .await,
                ReadBack::Done(_)
            ));
            // Another action's id is not this one's record.
            assert!(matches!(
                remediator
                    .read_back("ec2-quarantine", &target, "q9", 0)
                    .await,
                ReadBack::NotDone(_)
            ));
            // Again: nothing left to move.
            proxy.forget_seen();
            let again = remediator
                .execute("ec2-quarantine", &target, "q2")
                .await
                .unwrap();
            assert!(again.contains("were already"), "{again}");
            assert!(proxy
                .seen_of("ec2:ModifyNetworkInterfaceAttribute")
                .is_empty());
            for call in proxy.seen_of("sts:AssumeRole") {
                let role = faults::form_value(&call.body, "RoleArn").unwrap_or_default();
                assert!(
                    role.ends_with(":role/landfall/landfall-remediation"),
                    "{role}"
                );
            }
        },
    );
}

/// Aurora failover of the store whose writer stopped reporting, against
/// moto through the fault proxy: the cluster is found by the workload
/// layer's tags (CloudFormation names it), refused without a call while it
/// has no reader to take over, then `FailoverDBCluster` names the
/// available reader of the lowest promotion tier (the analytics reader, of
/// tier 15, is promoted last), after the cluster is tagged with the action
/// and the writer before it; read back after a crash by that tag and the
/// writer that changed; a cluster that is not available is refused
/// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_FailoverDBCluster.html,
/// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBClusters.html,
/// promotion tiers: https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.AuroraHighAvailability.html).
#[test]
fn aurora_failover_promotes_the_best_available_reader_and_reads_back() {
    use landfall_live::remediate::{ReadBack, Remediator, Targets};
    run(
        "aurora_failover_promotes_the_best_available_reader_and_reads_back",
        |url| async move {
            let resolved =
                landfall_model::load_dir(&support::workspace_root().join("reference")).unwrap();
            let model = resolved.model.unwrap();
            let clearing = model.domains.iter().find(|d| d.name == "clearing").unwrap();
            let prod = model
                .environments
                .iter()
                .find(|e| e.name == "prod")
                .unwrap();
            let email = model
                .workload_account(clearing.id, prod.id)
                .unwrap()
                .email
                .clone();
            let proxy = FaultProxy::start(&url).await;
            let session = connect(&proxy.url, quick(), 0).await;
            let mgmt = session.management().await.unwrap();
            create_organization(&mgmt).await;
            let id = create_account_with(&mgmt, "clearing-prod", &email).await;
            let member = session
                .member(&mgmt, &id, "eu-central-1", &DEPLOY_ROLES)
                .await
                .unwrap();
            let rds = member.rds();
            let tag = |k: &str, v: &str| aws_sdk_rds::types::Tag::builder().key(k).value(v).build();
            // Another store's cluster, and the store's cluster in another
            // environment's tags: neither is the target.
            for (name, store, env) in [
                ("positions-cluster", "positions", "prod"),
                ("settlements-staging", "settlements", "staging"),
                ("settlements-cluster-abc123", "settlements", "prod"),
            ] {
                rds.create_db_cluster()
                    .db_cluster_identifier(name)
                    .engine("aurora-mysql")
                    .master_username("admin")
                    .master_user_password("a-long-password-1")
                    .tags(tag("landfall:store", store))
                    .tags(tag("landfall:environment", env))
                    .send()
                    .await
                    .unwrap();
            }
            let cluster = "settlements-cluster-abc123";
            let instance = |name: &str, tier: i32| {
                let rds = rds.clone();
                let name = name.to_owned();
                async move {
                    rds.create_db_instance()
                        .db_instance_identifier(name)
                        .db_cluster_identifier(cluster)
                        .engine("aurora-mysql")
                        .db_instance_class("db.r7g.2xlarge")
                        .promotion_tier(tier)
                        .send()
                        .await
                        .unwrap();
                }
            };
            instance("instance1", 1).await;

            let remediator = Remediator::new(session.clone(), Targets::from_model(&model));
            let target = "store/settlements/prod/eu-central-1";
            proxy.forget_seen();
            // The writer alone: nothing to fail over to, nothing called.
            let err = remediator
                .execute("aurora-failover", target, "f0")
                .await
                .unwrap_err();
            assert!(err.contains("no reader"), "{err}");
            assert!(proxy.seen_of("rds:FailoverDBCluster").is_empty());
            assert!(proxy.seen_of("rds:AddTagsToResource").is_empty());

            instance("analytics1", 15).await;
            instance("instance2", 1).await;
            let intent = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs();
            assert!(matches!(
                remediator
                    .read_back("aurora-failover", target, "f1", intent)
                    .await,
                ReadBack::NotDone(_)
            ));
            proxy.forget_seen();
            let done = remediator
                .execute("aurora-failover", target, "f1")
                .await
                .unwrap();
            assert!(done.contains("from `instance1` to `instance2`"), "{done}");
            let failover = proxy.seen_of("rds:FailoverDBCluster");
            assert_eq!(failover.len(), 1);
            assert!(
                failover[0]
                    .body
                    .contains(&format!("DBClusterIdentifier={cluster}")),
                "{}",
                failover[0].body
            );
            assert!(
                failover[0]
                    .body
                    .contains("TargetDBInstanceIdentifier=instance2"),
                "{}",
                failover[0].body
            );
            // The tag came first: a crash after the failover leaves it.
            let seen: Vec<String> = proxy
                .seen()
                .iter()
                .filter(|s| s.service == "rds")
                .map(|s| s.action.clone())
                .collect();
            let tagged = seen.iter().position(|a| a == "AddTagsToResource").unwrap();
            let failed = seen.iter().position(|a| a == "FailoverDBCluster").unwrap();
            assert!(tagged < failed, "{seen:?}");
            let described = rds
                .describe_db_clusters()
                .db_cluster_identifier(cluster)
                .send()
                .await
                .unwrap();
            let described = &described.db_clusters()[0];
            let writer = described
                .db_cluster_members()
                .iter()
                .find(|m| m.is_cluster_writer() == Some(true))
                .unwrap();
            assert_eq!(writer.db_instance_identifier(), Some("instance2"));
            assert!(described
                .tag_list()
                .iter()
                .any(|t| t.key() == Some("landfall:failover-by")
                    && t.value() == Some("f1/instance1")));
            // Read back: this action's tag and a new writer.
            assert!(matches!(
                remediator
                    .read_back("aurora-failover", target, "f1", intent)
                    .await,
                ReadBack::Done(_)
            ));
            assert!(matches!(
                remediator
                    .read_back("aurora-failover", target, "f2", intent)
                    .await,
                ReadBack::NotDone(_)
            ));

            // A cluster that is not available is refused before any call.
            rds.stop_db_cluster()
                .db_cluster_identifier(cluster)
                .send()
                .await
                .unwrap();
            proxy.forget_seen();
            let err = remediator
                .execute("aurora-failover", target, "f3")
                .await
                .unwrap_err();
            assert!(err.contains("not available"), "{err}");
            assert!(proxy.seen_of("rds:FailoverDBCluster").is_empty());
            // A store the model does not have is no target.
            let err = remediator
                .execute("aurora-failover", "store/nowhere/prod/eu-central-1", "f4")
                .await
                .unwrap_err();
            assert!(err.contains("no Aurora store `nowhere`"), "{err}");
        },
    );
}

/// A metal host AWS retires is replaced through its Auto Scaling group:
/// found by its id in the account AWS names, recognised as the model's by
/// its tags, marked unhealthy (Auto Scaling then terminates and replaces
/// it, https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_SetInstanceHealth.html),
/// read back from the group; an instance that is not a metal host of the
/// model is refused and held back before acting, and so is one already
/// gone; an account the model does not know is refused.
#[test]
fn a_retiring_metal_host_is_replaced_through_its_group() {
    run(
        "a_retiring_metal_host_is_replaced_through_its_group",
        |url| async move {
            let resolved =
                landfall_model::load_dir(&support::workspace_root().join("reference")).unwrap();
            let model = resolved.model.unwrap();
            let trading = model.domains.iter().find(|d| d.name == "trading").unwrap();
            let prod = model
                .environments
                .iter()
                .find(|e| e.name == "prod")
                .unwrap();
            let email = model
                .workload_account(trading.id, prod.id)
                .unwrap()
                .email
                .clone();
            let session = connect(&url, quick(), 0).await;
            let mgmt = session.management().await.unwrap();
            create_organization(&mgmt).await;
            let id = create_account_with(&mgmt, "trading-prod-in-aws", &email).await;
            let member = session
                .member(&mgmt, &id, "eu-central-1", &DEPLOY_ROLES)
                .await
                .unwrap();
            // What the workload layer makes: a metal group whose instances
            // carry the domain and environment.
            let image = an_amazon_ami(&member).await;
            member
                .ec2()
                .create_launch_template()
                .launch_template_name("metal")
                .launch_template_data(
                    aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                        .image_id(&image)
                        .instance_type(aws_sdk_ec2::types::InstanceType::C5Metal)
                        .build(),
                )
                .send()
                .await
                .unwrap();
            let tag = |key: &str, value: &str| {
                aws_sdk_autoscaling::types::Tag::builder()
                    .key(key)
                    .value(value)
                    .propagate_at_launch(true)
                    .build()
            };
            let autoscaling = member.autoscaling();
            autoscaling
                .create_auto_scaling_group()
                .auto_scaling_group_name("trading-prod-metal-a")
                .launch_template(
                    aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder()
                        .launch_template_name("metal")
                        .build(),
                )
                .min_size(0)
                .max_size(2)
                .desired_capacity(1)
                .availability_zones("eu-central-1a")
                .new_instances_protected_from_scale_in(true)
                .tags(tag("landfall:domain", "trading"))
                .tags(tag("landfall:environment", "prod"))
                .send()
                .await
                .unwrap();
            let instances = autoscaling
                .describe_auto_scaling_instances()
                .send()
                .await
                .unwrap();
            let instance = instances.auto_scaling_instances()[0]
                .instance_id()
                .unwrap()
                .to_owned();
            // And an instance of nobody's.
            let stranger = member
                .ec2()
                .run_instances()
                .image_id(&image)
                .min_count(1)
                .max_count(1)
                .send()
                .await
                .unwrap()
                .instances()[0]
                .instance_id()
                .unwrap()
                .to_owned();

            let remediator = landfall_live::remediate::Remediator::new(
                session.clone(),
                landfall_live::remediate::Targets::from_model(&model),
            );
            let target = format!("instance/{id}/eu-central-1/{instance}");
            use landfall_live::remediate::ReadBack;
            assert!(matches!(
                remediator.read_back("ec2-replace", &target, "r1", 0).await,
                ReadBack::NotDone(_)
            ));
            assert_eq!(
                remediator
                    .hold("MetalHostRetiring", "ec2-replace", &target)
                    .await,
                None
            );
            let done = remediator
                .execute("ec2-replace", &target, "r1")
                .await
                .unwrap();
            assert!(
                done.contains(&format!(
                    "marked `{instance}` unhealthy in group `trading-prod-metal-a`"
                )),
                "{done}"
            );
            let after = autoscaling
                .describe_auto_scaling_instances()
                .instance_ids(&instance)
                .send()
                .await
                .unwrap();
            assert_eq!(
                after.auto_scaling_instances()[0].health_status(),
                Some("Unhealthy")
            );
            assert!(matches!(
                remediator.read_back("ec2-replace", &target, "r1", 0).await,
                ReadBack::Done(_)
            ));

            let refused = remediator
                .execute(
                    "ec2-replace",
                    &format!("instance/{id}/eu-central-1/{stranger}"),
                    "r2",
                )
                .await
                .unwrap_err();
            assert!(
                refused.contains("is not a metal host of the model"),
                "{refused}"
            );
            let stranger_held = remediator
                .hold(
                    "MetalHostRetiring",
                    "ec2-replace",
                    &format!("instance/{id}/eu-central-1/{stranger}"),
                )
                .await
                .unwrap();
            assert!(
                stranger_held.starts_with("nothing of the model's to replace"),
                "{stranger_held}"
            );
            // An instance already gone (replaced at AWS's hour) is held too.
            let gone = remediator
                .hold(
                    "MetalHostRetiring",
                    "ec2-replace",
                    &format!("instance/{id}/eu-central-1/i-0123456789abcdef0"),
                )
                .await
                .unwrap();
            assert!(
                gone.starts_with("nothing of the model's to replace"),
                "{gone}"
            );
            let unknown_account = remediator
                .execute(
                    "ec2-replace",
                    &format!("instance/999999999999/eu-central-1/{instance}"),
                    "r3",
                )
                .await
                .unwrap_err();
            assert!(
                unknown_account.contains("999999999999 is not in the organization"),
                "{unknown_account}"
            );
        },
    );
}
