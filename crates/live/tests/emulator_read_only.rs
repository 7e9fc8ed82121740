//! `landfall plan --read-only` against moto server: once the platform is
//! deployed, a read-only plan enters every member account as the baseline's
//! `landfall-audit` role, never as `landfall-deploy` or
//! `OrganizationAccountAccessRole`, and finds what the deploy role's plan
//! finds. This is what the platform repository's plan role may do: assume
//! the audit role in members, nothing that writes. Then, with moto's IAM
//! enforcement on and only the plan role's permissions
//! (`landfall_synth::layers::platform_ci::PLAN_READS`), nothing the plan
//! asks is refused.
//!
//! Needs a moto server (see `emulator.rs`); skipped without one.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "support/faults.rs"]
mod faults;
mod support;

use faults::FaultProxy;
use landfall_live::{load_platform, ConnectOptions, Engine, LiveOptions, Progress, Session};
use support::{endpoint_or_skip, reset, workspace_root};

async fn engine(url: &str, options: &LiveOptions, platform: &landfall_live::Platform) -> Engine {
    let session = Session::connect(ConnectOptions {
        endpoint_url: Some(url.to_owned()),
        profile: None,
        home_region: platform.desired.home_region.clone(),
        max_attempts: 8,
    })
    .await;
    Engine::new(session, platform, options.waits(), Progress::new(false))
}

#[test]
fn a_read_only_plan_enters_member_accounts_only_as_the_audit_role() {
    let test = "a_read_only_plan_enters_member_accounts_only_as_the_audit_role";
    let Some(url) = endpoint_or_skip(test) else {
        return;
    };
    reset(&url);
    let options = LiveOptions {
        endpoint_url: Some(url.clone()),
        profile: None,
        progress: false,
        concurrency: 16,
    };
    // A copy of the example: the first deploy writes its lockfile.
    let dir = std::env::temp_dir().join(format!("landfall-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(workspace_root().join("examples/emulator")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    let platform = load_platform(&dir, options.compat())
        .expect("the example compiles")
        .0;
    landfall_live::runtime().unwrap().block_on(async {
        let deployer = engine(&url, &options, &platform).await;
        let (plan, _) = deployer.plan().await.expect("plan");
        let report = deployer.deploy(&plan).await.expect("deploy");
        assert!(report.ok(), "deploy:\n{}", report.render());
        let (after, _) = engine(&url, &options, &platform)
            .await
            .plan()
            .await
            .expect("plan as the deploy role");

        // The same plan, read through a proxy that records every call.
        let proxy = FaultProxy::start(&url).await;
        let (read_only, snapshot) = engine(&proxy.url, &options, &platform)
            .await
            .read_only()
            .plan()
            .await
            .expect("read-only plan");
        let assumed = proxy.seen_of("sts:AssumeRole");
        assert!(!assumed.is_empty(), "no member account was read");
        for call in &assumed {
            assert!(
                call.body.contains("landfall%2Flandfall-audit")
                    || call.body.contains("landfall/landfall-audit"),
                "entered as another role: {}",
                call.body
            );
            assert!(!call.body.contains("landfall-deploy"), "{}", call.body);
            assert!(
                !call.body.contains("OrganizationAccountAccessRole"),
                "{}",
                call.body
            );
        }
        assert!(
            snapshot.unreachable.is_empty(),
            "{:?}",
            snapshot.unreachable
        );
        assert_eq!(read_only.changes, after.changes);
        assert_eq!(read_only.blockers, after.blockers);
        // Nor can it be applied.
        let refused = engine(&proxy.url, &options, &platform)
            .await
            .read_only()
            .deploy(&read_only)
            .await;
        assert!(
            refused.is_err_and(|e| e.to_string().contains("read-only")),
            "a read-only engine deployed"
        );

        // With moto's IAM enforcement on, as a principal of the management
        // account holding only the plan role's permissions (the synthesized
        // table; moto does not evaluate `aws:ResourceOrgID`, so the
        // assumption is not conditioned here): nothing the read-only plan
        // asks of the management account, nor its entry into every member
        // account as the audit role, is refused. (moto 5 cannot evaluate the
        // audit role's AWS managed policies, `KeyError: 'policy_document'`,
        // so what the plan reads inside members answers 500 here and is
        // not compared; and it refuses GuardDuty's and Inspector's REST
        // calls with `SignatureDoesNotMatch` whatever the policy allows, so
        // those are not counted.)
        let mgmt = deployer.session.management().await.unwrap();
        let planner = plan_role_user(&mgmt.iam()).await;
        let _enforced = Enforcement::on(&url);
        std::env::set_var("AWS_ACCESS_KEY_ID", &planner.0);
        std::env::set_var("AWS_SECRET_ACCESS_KEY", &planner.1);
        let proxy = FaultProxy::start(&url).await;
        let outcome = engine(&proxy.url, &options, &platform)
            .await
            .read_only()
            .plan()
            .await;
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        outcome.expect("read-only plan with the plan role's permissions");
        let refused: Vec<String> = proxy
            .seen()
            .into_iter()
            .filter(|call| call.status == 403)
            .filter(|call| !["guardduty", "inspector2"].contains(&call.service.as_str()))
            .map(|call| format!("{}:{}", call.service, call.action))
            .collect();
        assert!(refused.is_empty(), "refused to the plan role: {refused:?}");
        let entered = proxy.seen_of("sts:AssumeRole");
        assert!(!entered.is_empty() && entered.iter().all(|c| c.status == 200));
        assert!(!proxy
            .seen_of("organizations:ListAccountsForParent")
            .is_empty());
    });
    let _ = std::fs::remove_dir_all(&dir);
}

/// An IAM user of the management account with the plan role's permissions:
/// what the plan reads, and entering members as the audit role. Its keys.
async fn plan_role_user(iam: &aws_sdk_iam::Client) -> (String, String) {
    let reads: Vec<&str> = landfall_synth::layers::platform_ci::PLAN_READS
        .iter()
        .map(|(action, _)| *action)
        .collect();
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            { "Effect": "Allow", "Action": reads, "Resource": "*" },
            { "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/landfall/landfall-audit" }
        ]
    });
    iam.create_user().user_name("planner").send().await.unwrap();
    iam.put_user_policy()
        .user_name("planner")
        .policy_name("plan")
        .policy_document(policy.to_string())
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key()
        .user_name("planner")
        .send()
        .await
        .unwrap();
    let key = key.access_key().unwrap();
    (
        key.access_key_id().to_owned(),
        key.secret_access_key().to_owned(),
    )
}

/// moto's IAM enforcement, on while this lives (as in `faults.rs`).
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
